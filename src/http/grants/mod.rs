//! One file per grant type (RFC 6749 §4), each run by `http::token` after client
//! authentication and the grant-ticked check, so no grant can skip them.

pub mod authorization_code;
pub mod client_credentials;
pub mod password;
pub mod refresh_token;
pub mod user_tokens;
