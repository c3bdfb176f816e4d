//! What the black-box tests share, one concept per module: [`worker`] (starting the real worker,
//! reaching it, the admin API's credentials), [`applications`] (applications and users made
//! through the admin API), [`json`] (reading answers), [`tokens`] (the token-side endpoints as
//! clients call them), [`jwt`] (reading tokens), [`html`] and [`browser`] (the front channel as
//! a user's browser walks it), [`authorize`] (authorization requests and the codes they
//! earn), [`totp`] (an authenticator app's codes and the second-factor pages), [`served`]
//! (documents the test serves for the worker to fetch), [`soft_authenticator`] (a WebAuthn
//! authenticator in software) and [`passkey_ceremonies`] (the ceremonies as a page's script
//! runs them). Knows nothing of the crate's internals: everything goes over HTTP.

pub mod applications;
pub mod assertions;
pub mod authorize;
pub mod browser;
pub mod html;
pub mod json;
pub mod jwt;
pub mod passkey_ceremonies;
pub mod served;
pub mod soft_authenticator;
pub mod tokens;
pub mod totp;
pub mod worker;
