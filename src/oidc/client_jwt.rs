//! Verifying JWTs that clients sign — client assertions (RFC 7523) and request objects
//! (RFC 9101) — with the client's registered keys (its JWK set) or, for HS256, its secret.
//! Signature checking is `jwt-compact`'s (RSA through the `rsa` crate, P-256, Ed25519): no
//! hand-written JWS parsing on the inbound path. Time and claim rules are the callers'
//! (`client_assertion`, `request_object`); this module only answers "signed by this client,
//! with an allowed algorithm". Runtime-free.

use jwt_compact::alg::{Ed25519, Es256, Hs256, Hs256Key, Rsa};
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{AlgorithmExt, Claims, UntrustedToken};
use rsa::traits::PublicKeyParts;
use serde_json::{Map, Value};

use super::model::SigningAlg;

/// The smallest RSA modulus accepted (RFC 7518 §3.3).
const MIN_RSA_BITS: usize = 2048;
/// The most keys tried for one token without a `kid`.
const MAX_CANDIDATES: usize = 10;

/// What a client signs with.
pub enum ClientKeys<'a> {
    /// Its JWK set (`{"keys": [...]}`), registered inline or fetched from its `jwks_uri`.
    Jwks(&'a Value),
    /// Its client secret (HS256: `client_secret_jwt`, or HS256 request objects).
    Secret(&'a [u8]),
}

/// Why a JWT was not accepted; `UnknownKey` means "refetch the keys once and retry".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtRejected {
    Malformed,
    AlgorithmNotAllowed(String),
    UnknownKey,
    BadSignature,
}

impl JwtRejected {
    pub fn describe(&self) -> String {
        match self {
            JwtRejected::Malformed => "is not a signed JWT".into(),
            JwtRejected::AlgorithmNotAllowed(a) => {
                format!("is signed with `{a}`, which is not allowed here")
            }
            JwtRejected::UnknownKey => "is signed with a key the client has not registered".into(),
            JwtRejected::BadSignature => "has a signature that does not verify".into(),
        }
    }
}

/// A JWT's header and claims, read without verifying it (to learn who claims to have sent
/// it, before the keys are looked up). Never trust what this returns.
#[derive(Debug, Clone)]
pub struct Unverified {
    pub alg: String,
    pub kid: Option<String>,
    pub claims: Map<String, Value>,
}

pub fn peek(token: &str) -> Option<Unverified> {
    let t = UntrustedToken::new(token).ok()?;
    let claims = t
        .deserialize_claims_unchecked::<Map<String, Value>>()
        .ok()?;
    Some(Unverified {
        alg: t.algorithm().to_string(),
        kid: t.header().key_id.clone(),
        claims: flatten(claims),
    })
}

/// The claims of `token` if it is signed with one of `allowed` by `keys`.
pub fn verify(
    token: &str,
    allowed: &[SigningAlg],
    keys: ClientKeys<'_>,
) -> Result<Map<String, Value>, JwtRejected> {
    let t = UntrustedToken::new(token).map_err(|_| JwtRejected::Malformed)?;
    let alg = SigningAlg::parse(t.algorithm())
        .filter(|a| allowed.contains(a))
        .ok_or_else(|| JwtRejected::AlgorithmNotAllowed(t.algorithm().to_string()))?;
    let jwks = match (alg, keys) {
        (SigningAlg::HS256, ClientKeys::Secret(secret)) => {
            let key = Hs256Key::new(secret);
            return Hs256
                .validator::<Map<String, Value>>(&key)
                .validate(&t)
                .map(|v| flatten(v.claims().clone()))
                .map_err(|_| JwtRejected::BadSignature);
        }
        (SigningAlg::HS256, ClientKeys::Jwks(_)) | (_, ClientKeys::Secret(_)) => {
            return Err(JwtRejected::AlgorithmNotAllowed(t.algorithm().to_string()))
        }
        (_, ClientKeys::Jwks(set)) => set,
    };
    let kid = t.header().key_id.as_deref();
    let candidates: Vec<&Value> = jwks["keys"]
        .as_array()
        .map(|ks| {
            ks.iter()
                .filter(|k| usable_for(k, alg))
                .filter(|k| kid.is_none_or(|id| k["kid"].as_str() == Some(id)))
                .take(MAX_CANDIDATES)
                .collect()
        })
        .unwrap_or_default();
    if candidates.is_empty() {
        return Err(JwtRejected::UnknownKey);
    }
    for jwk in candidates {
        if let Some(claims) = verify_with(&t, alg, jwk) {
            return Ok(flatten(claims));
        }
    }
    Err(JwtRejected::BadSignature)
}

/// Whether a JWK may verify `alg`: its key type fits, and its `use` and `alg`, when given, agree.
fn usable_for(k: &Value, alg: SigningAlg) -> bool {
    let kty = match alg {
        SigningAlg::RS256 | SigningAlg::PS256 => "RSA",
        SigningAlg::ES256 => "EC",
        SigningAlg::EdDSA => "OKP",
        SigningAlg::HS256 => return false,
    };
    k["kty"] == kty
        && k["use"].as_str().is_none_or(|u| u == "sig")
        && k["alg"].as_str().is_none_or(|a| a == alg.as_str())
}

fn verify_with(
    t: &UntrustedToken<'_>,
    alg: SigningAlg,
    jwk: &Value,
) -> Option<Claims<Map<String, Value>>> {
    let jwk: JsonWebKey<'_> = serde_json::from_value(public_only(jwk)).ok()?;
    match alg {
        SigningAlg::RS256 | SigningAlg::PS256 => {
            let key = rsa::RsaPublicKey::try_from(&jwk).ok()?;
            if key.size() * 8 < MIN_RSA_BITS {
                return None;
            }
            let rsa = if alg == SigningAlg::RS256 {
                Rsa::rs256()
            } else {
                Rsa::ps256()
            };
            rsa.validator::<Map<String, Value>>(&key)
                .validate(t)
                .ok()
                .map(|v| v.claims().clone())
        }
        SigningAlg::ES256 => {
            let key = <Es256 as jwt_compact::Algorithm>::VerifyingKey::try_from(&jwk).ok()?;
            Es256
                .validator::<Map<String, Value>>(&key)
                .validate(t)
                .ok()
                .map(|v| v.claims().clone())
        }
        SigningAlg::EdDSA => {
            let key = <Ed25519 as jwt_compact::Algorithm>::VerifyingKey::try_from(&jwk).ok()?;
            Ed25519
                .validator::<Map<String, Value>>(&key)
                .validate(t)
                .ok()
                .map(|v| v.claims().clone())
        }
        SigningAlg::HS256 => None,
    }
}

/// The public members of a JWK (a client that registers a private key by mistake does not get
/// it parsed as one), as jwt-compact reads them.
fn public_only(jwk: &Value) -> Value {
    let mut out = Map::new();
    for k in ["kty", "n", "e", "crv", "x", "y"] {
        if let Some(v) = jwk.get(k) {
            out.insert(k.to_string(), v.clone());
        }
    }
    Value::Object(out)
}

/// jwt-compact takes `exp`, `nbf` and `iat` out of the claims as times: put them back as
/// NumericDate seconds, so callers see the claims as sent.
fn flatten(c: Claims<Map<String, Value>>) -> Map<String, Value> {
    let mut m = c.custom;
    for (name, t) in [
        ("exp", c.expiration),
        ("nbf", c.not_before),
        ("iat", c.issued_at),
    ] {
        if let Some(t) = t {
            m.insert(name.into(), Value::from(t.timestamp()));
        }
    }
    m
}

#[cfg(test)]
#[path = "client_jwt_tests.rs"]
mod tests;
