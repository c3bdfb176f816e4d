//! The OpenID Connect protocol rules: request parsing, checks, grants and token shapes.
//! Must not depend on `worker` or any runtime API, so it compiles and is unit-tested natively;
//! the HTTP layer hands it plain values and a clock reading.

pub mod acr;
pub mod audit;
pub mod audit_query;
pub mod audit_tally;
pub mod authorize;
pub mod claims_request;
pub mod client;
pub mod client_assertion;
pub mod client_credentials;
pub mod client_jwt;
pub mod client_metadata;
pub mod dates;
pub mod discovery;
pub mod error;
pub mod factors;
pub mod grant_policy;
pub mod issuer;
pub mod jws;
pub mod key_schedule;
pub mod limits;
pub mod model;
pub mod outbound;
#[cfg(test)]
mod parser_props;
pub mod pkce;
pub mod records;
pub mod redirect_uri;
pub mod registration;
pub mod request_object;
pub mod response;
pub mod scope;
pub mod subject;
pub mod throttle;
pub mod token_request;
pub mod tokens;
pub mod totp;
pub mod webauthn;
