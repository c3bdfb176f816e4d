//! The token layer: client authentication, minting Doorward's tokens, and verifying them.
//! Endpoints (`token`, `authorize`, `userinfo`, `introspection`, `revocation`, `logout`), the
//! grants and the admin API call it; it imports none of them — only the request context,
//! responses' error type, the stores, `crypto` and `oidc`.

pub mod access_keys;
pub mod client_auth;
pub mod client_keys;
pub mod client_secret;
pub mod mint;
pub mod subject;
pub mod user_revocation;
pub mod user_tokens;
pub mod verify;
