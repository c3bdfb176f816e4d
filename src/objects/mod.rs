//! The Durable Object classes (bound in wrangler.toml). Each runs the command enum of its
//! `crate::store` client; the protocol rules they apply come from `crate::oidc`.

pub mod audit_log;
pub mod client_registry;
pub mod grant_store;
pub mod key_vault;
pub mod user_directory;
