//! The claims of a client assertion (RFC 7523 §3, OIDC Core §9) once its signature verified:
//! `iss` and `sub` are the client id, `aud` names this authorization server, `exp` is
//! required and near, and `jti` is there to be spent once. Runtime-free.

use serde_json::{Map, Value};

/// `client_assertion_type` for a JWT (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest an assertion may live: it is made for one request.
pub const MAX_LIFETIME_SECS: u64 = 600;
/// Clock skew tolerated between the client and Doorward.
pub const LEEWAY_SECS: u64 = 60;

/// What a valid assertion leaves to spend: its `jti`, single-use until `exp`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionUse {
    pub jti: String,
    pub exp: u64,
}

/// Checks the claims for client `client_id`; `audiences` are the values `aud` may hold (the
/// issuer, the token endpoint, the endpoint called).
pub fn check(
    claims: &Map<String, Value>,
    client_id: &str,
    audiences: &[&str],
    now: u64,
) -> Result<AssertionUse, String> {
    for claim in ["iss", "sub"] {
        if claims.get(claim).and_then(Value::as_str) != Some(client_id) {
            return Err(format!("the assertion's {claim} must be the client id"));
        }
    }
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => audiences.contains(&a.as_str()),
        Some(Value::Array(list)) => list
            .iter()
            .any(|a| a.as_str().is_some_and(|a| audiences.contains(&a))),
        _ => false,
    };
    if !aud_ok {
        return Err("the assertion's aud must be this issuer or its token endpoint".into());
    }
    let exp = claims
        .get("exp")
        .and_then(Value::as_u64)
        .ok_or("the assertion must have an exp")?;
    if exp + LEEWAY_SECS <= now {
        return Err("the assertion has expired".into());
    }
    if exp > now + MAX_LIFETIME_SECS + LEEWAY_SECS {
        return Err(format!(
            "the assertion lives too long (at most {MAX_LIFETIME_SECS} seconds)"
        ));
    }
    for claim in ["nbf", "iat"] {
        if claims
            .get(claim)
            .and_then(Value::as_u64)
            .is_some_and(|t| t > now + LEEWAY_SECS)
        {
            return Err(format!("the assertion's {claim} is in the future"));
        }
    }
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or("the assertion must have a jti")?;
    Ok(AssertionUse {
        jti: jti.to_string(),
        exp: exp + LEEWAY_SECS,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NOW: u64 = 1_000_000;
    const AUD: &[&str] = &["https://i/oidc", "https://i/oidc/token"];

    fn good() -> Value {
        json!({"iss": "c1", "sub": "c1", "aud": "https://i/oidc/token", "exp": NOW + 60, "jti": "j1"})
    }

    #[test]
    fn a_good_assertion_leaves_its_jti_to_spend() {
        let c = good();
        let u = check(c.as_object().unwrap(), "c1", AUD, NOW).unwrap();
        assert_eq!(u.jti, "j1");
        let mut listed = good();
        listed["aud"] = json!(["https://elsewhere", "https://i/oidc"]);
        assert!(check(listed.as_object().unwrap(), "c1", AUD, NOW).is_ok());
    }

    #[test]
    fn every_wrong_claim_is_refused() {
        let cases: Vec<(&str, &str, Value)> = vec![
            ("another iss", "iss", json!("c2")),
            ("another sub", "sub", json!("c2")),
            ("no sub", "sub", Value::Null),
            ("another audience", "aud", json!("https://other/token")),
            ("audience list without us", "aud", json!(["https://other"])),
            ("expired", "exp", json!(NOW - LEEWAY_SECS - 1)),
            ("too long", "exp", json!(NOW + 3600)),
            ("no exp", "exp", Value::Null),
            ("exp not a number", "exp", json!("soon")),
            ("iat in the future", "iat", json!(NOW + 3600)),
            ("nbf in the future", "nbf", json!(NOW + 3600)),
            ("no jti", "jti", Value::Null),
            ("empty jti", "jti", json!("")),
        ];
        for (case, claim, value) in cases {
            let mut c = good();
            if value.is_null() {
                c.as_object_mut().unwrap().remove(claim);
            } else {
                c[claim] = value;
            }
            assert!(
                check(c.as_object().unwrap(), "c1", AUD, NOW).is_err(),
                "{case}"
            );
        }
    }
}
