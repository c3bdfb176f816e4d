//! Request objects (RFC 9101, OIDC Core §6): an authorization request's parameters as a JWT
//! the client signed, passed by value (`request`) or by reference (`request_uri`). Once its
//! signature verified (`client_jwt`), its claims are checked here and laid over the outer
//! parameters, which they take precedence over. Runtime-free.

use serde_json::{Map, Value};

use super::authorize::Params;
use super::client_jwt::Unverified;
use super::model::{Client, SigningAlg};

/// Clock skew tolerated on `exp` and `nbf`.
const LEEWAY_SECS: u64 = 60;

/// The algorithms a request object may be signed with (and `none`, where registered).
pub const ALGS_SUPPORTED: &[&str] = &["none", "RS256", "PS256", "ES256", "EdDSA", "HS256"];

/// How the client's request object must be verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// Unsigned (`alg: none`), which the client registered.
    Unsigned,
    /// Signed with this algorithm.
    Signed(SigningAlg),
}

/// Which verification the object's header asks for, if the client allows it: `none` only
/// when registered as `request_object_signing_alg`, any other only if it is the registered
/// one (or any supported algorithm when the client registered none).
pub fn verification(client: &Client, object: &Unverified) -> Result<Verification, String> {
    let registered = client.request_object_signing_alg.as_deref();
    if object.alg == "none" {
        return match registered {
            Some("none") => Ok(Verification::Unsigned),
            _ => Err("unsigned request objects are not registered for this client".into()),
        };
    }
    let alg = SigningAlg::parse(&object.alg)
        .ok_or_else(|| format!("`{}` is not a supported algorithm", object.alg))?;
    match registered {
        Some(r) if r != alg.as_str() => Err(format!(
            "the request object must be signed with {r}, not {}",
            alg.as_str()
        )),
        _ => Ok(Verification::Signed(alg)),
    }
}

/// The object's own claims rules: who sent it, to whom, and for how long.
pub fn check_claims(
    claims: &Map<String, Value>,
    client_id: &str,
    issuer: &str,
    now: u64,
) -> Result<(), String> {
    if claims.contains_key("request") || claims.contains_key("request_uri") {
        return Err("a request object must not contain request or request_uri".into());
    }
    if let Some(c) = claims.get("client_id") {
        if c.as_str() != Some(client_id) {
            return Err("the request object's client_id is not the request's".into());
        }
    }
    if let Some(iss) = claims.get("iss") {
        if iss.as_str() != Some(client_id) {
            return Err("the request object's iss must be the client id".into());
        }
    }
    if let Some(aud) = claims.get("aud") {
        let ok = match aud {
            Value::String(a) => a == issuer,
            Value::Array(list) => list.iter().any(|a| a.as_str() == Some(issuer)),
            _ => false,
        };
        if !ok {
            return Err("the request object's aud must be this issuer".into());
        }
    }
    if let Some(exp) = claims.get("exp") {
        match exp.as_u64() {
            Some(e) if e + LEEWAY_SECS > now => {}
            _ => return Err("the request object has expired".into()),
        }
    }
    if claims
        .get("nbf")
        .and_then(Value::as_u64)
        .is_some_and(|n| n > now + LEEWAY_SECS)
    {
        return Err("the request object is not valid yet".into());
    }
    Ok(())
}

/// The outer parameters with the object's laid over them (RFC 9101 §6.3: the object's win),
/// `request` and `request_uri` removed. JWT-only claims (`iss`, `aud`, `exp`, `nbf`, `iat`,
/// `jti`) are not parameters; a JSON-valued parameter (`claims`) is passed on as JSON text.
pub fn merge(outer: &Params, claims: &Map<String, Value>) -> Params {
    let mut out: Params = outer
        .iter()
        .filter(|(k, _)| k.as_str() != "request" && k.as_str() != "request_uri")
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in claims {
        if matches!(k.as_str(), "iss" | "aud" | "exp" | "nbf" | "iat" | "jti") {
            continue;
        }
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Null => continue,
            other => other.to_string(),
        };
        out.insert(k.clone(), text);
    }
    out
}

/// OIDC Core §6.2: a `request_uri` must be one the client registered, when it registered
/// any (compared without a fragment, which a client may vary to defeat caches).
pub fn is_registered_request_uri(client: &Client, uri: &str) -> bool {
    if client.request_uris.is_empty() {
        return true;
    }
    let base = |u: &str| u.split('#').next().unwrap_or(u).to_string();
    client.request_uris.iter().any(|r| base(r) == base(uri))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn only_registered_algorithms_verify_and_none_only_when_registered() {
        let mut c = Client::default();
        let with = |alg: &str| Unverified {
            alg: alg.into(),
            kid: None,
            claims: Map::new(),
        };
        assert_eq!(
            verification(&c, &with("RS256")),
            Ok(Verification::Signed(SigningAlg::RS256))
        );
        assert!(verification(&c, &with("none")).is_err());
        assert!(verification(&c, &with("HS512")).is_err());
        c.request_object_signing_alg = Some("none".into());
        assert_eq!(verification(&c, &with("none")), Ok(Verification::Unsigned));
        assert!(verification(&c, &with("RS256")).is_err());
        c.request_object_signing_alg = Some("ES256".into());
        assert!(verification(&c, &with("RS256")).is_err());
        assert!(verification(&c, &with("ES256")).is_ok());
    }

    #[test]
    fn claims_rules_refuse_each_wrong_claim() {
        let good = json!({"client_id": "c1", "iss": "c1", "aud": "https://i/oidc", "exp": 2000, "scope": "openid"});
        assert!(check_claims(&obj(good.clone()), "c1", "https://i/oidc", 1000).is_ok());
        for (case, key, value) in [
            ("another client", "client_id", json!("c2")),
            ("another iss", "iss", json!("c2")),
            ("another audience", "aud", json!("https://other")),
            ("expired", "exp", json!(10)),
            ("not yet valid", "nbf", json!(99_999)),
            ("nested request", "request", json!("x")),
            ("nested request_uri", "request_uri", json!("https://x")),
        ] {
            let mut c = good.clone();
            c[key] = value;
            assert!(
                check_claims(&obj(c), "c1", "https://i/oidc", 1000).is_err(),
                "{case}"
            );
        }
    }

    #[test]
    fn the_objects_parameters_win_and_json_ones_stay_json() {
        let outer: Params = [
            ("scope", "openid"),
            ("state", "outer"),
            ("request", "x.y.z"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let merged = merge(
            &outer,
            &obj(
                json!({"state": "inner", "max_age": 60, "claims": {"userinfo": {"email": null}}, "iss": "c1"}),
            ),
        );
        assert_eq!(merged["state"], "inner");
        assert_eq!(merged["scope"], "openid");
        assert_eq!(merged["max_age"], "60");
        assert_eq!(merged["claims"], r#"{"userinfo":{"email":null}}"#);
        assert!(!merged.contains_key("request") && !merged.contains_key("iss"));
    }

    #[test]
    fn request_uris_must_be_registered_when_any_are() {
        let mut c = Client::default();
        assert!(is_registered_request_uri(&c, "https://rp.example/r/1"));
        c.request_uris = vec!["https://rp.example/r/1".into()];
        assert!(is_registered_request_uri(
            &c,
            "https://rp.example/r/1#cache-bust"
        ));
        assert!(!is_registered_request_uri(&c, "https://rp.example/r/2"));
    }
}
