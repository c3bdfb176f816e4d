//! Doorward: an OpenID Connect identity provider on the Workers runtime.
//!
//! `oidc` holds the protocol rules (runtime-free, unit-tested natively); `crypto`, `store`,
//! `objects` and `http` run on the Workers runtime and panic natively if called.

pub mod crypto;
pub mod http;
pub mod objects;
pub mod oidc;
pub mod store;

#[cfg(test)]
mod console_lists_tests;
#[cfg(test)]
mod layering_tests;

pub use objects::{grant_store::GrantStore, key_vault::KeyVault, user_directory::UserDirectory};

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    http::handle(req, env).await
}
