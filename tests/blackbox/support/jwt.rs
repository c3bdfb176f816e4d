//! Reading JWTs without verifying them, for tests about which claims were granted: the
//! signatures are checked where a test says so, by the independent `openidconnect` crate.
//! Depends on nothing else in `support`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::Value;

/// Part `index` of a JWS compact serialization (RFC 7515 §7.1), decoded as JSON.
#[track_caller]
fn part(jwt: &str, index: usize) -> Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWS compact serialization: {jwt}");
    let raw = URL_SAFE_NO_PAD
        .decode(parts[index])
        .unwrap_or_else(|e| panic!("part {index} of {jwt}: {e}"));
    serde_json::from_slice(&raw)
        .unwrap_or_else(|e| panic!("part {index} of {jwt} is not JSON: {e}"))
}

/// The JOSE header.
#[track_caller]
pub fn header(jwt: &str) -> Value {
    part(jwt, 0)
}

/// The claims.
#[track_caller]
pub fn claims(jwt: &str) -> Value {
    part(jwt, 1)
}

/// `exp - iat`.
#[track_caller]
pub fn lifetime(jwt: &str) -> Option<u64> {
    let c = claims(jwt);
    c["exp"].as_u64().zip(c["iat"].as_u64()).map(|(e, i)| e - i)
}
