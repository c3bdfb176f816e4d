//! A client's public keys: its registered `jwks`, or the set at its `jwks_uri`, fetched under
//! `http::outbound`'s limits and kept per isolate for five minutes. A token that names a key
//! the kept set lacks is retried once with a fresh fetch, so a client rotating its keys is
//! followed at once — and a client cannot make Doorward fetch more than once per token.

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::Value;

use crate::http::context::Ctx;
use crate::http::outbound::fetch_document;
use crate::oidc::client_jwt::{self, ClientKeys, JwtRejected};
use crate::oidc::model::{Client, SigningAlg};

const TTL_MS: f64 = 300_000.0;
const MAX_KEPT: usize = 1_000;

thread_local! {
    static FETCHED: RefCell<HashMap<String, (f64, Value)>> = RefCell::new(HashMap::new());
}

fn now_ms() -> f64 {
    worker::Date::now().as_millis() as f64
}

/// Where a client's keys come from.
enum KeySource {
    Inline,
    Fetched,
    None,
}

fn source(client: &Client) -> KeySource {
    match (&client.jwks, &client.jwks_uri) {
        (Some(_), _) => KeySource::Inline,
        (None, Some(_)) => KeySource::Fetched,
        (None, None) => KeySource::None,
    }
}

/// The client's key set; `fresh` skips the kept copy of a fetched one. The error is safe to
/// show the client.
pub async fn keys(ctx: &Ctx, client: &Client, fresh: bool) -> Result<Value, String> {
    if let Some(set) = &client.jwks {
        return Ok(set.clone());
    }
    let Some(uri) = &client.jwks_uri else {
        return Err("the client has registered no keys".into());
    };
    let now = now_ms();
    if !fresh {
        let kept = FETCHED.with(|f| {
            f.borrow()
                .get(uri)
                .filter(|(at, _)| now - at < TTL_MS)
                .map(|(_, v)| v.clone())
        });
        if let Some(set) = kept {
            return Ok(set);
        }
    }
    let body = fetch_document(ctx, uri, "application/json, application/jwk-set+json")
        .await
        .map_err(|e| format!("the client's jwks_uri {}", e.0))?;
    let set: Value = serde_json::from_slice(&body)
        .ok()
        .filter(|v: &Value| v["keys"].is_array())
        .ok_or("the client's jwks_uri is not a JWK set")?;
    FETCHED.with(|f| {
        let mut map = f.borrow_mut();
        if map.len() >= MAX_KEPT {
            map.clear();
        }
        map.insert(uri.clone(), (now, set.clone()));
    });
    Ok(set)
}

/// Why a client-signed JWT was not accepted: the client's keys could not be had (the text is
/// safe to show), or the JWT itself was refused.
pub enum Refused {
    KeysUnavailable(String),
    Jwt(JwtRejected),
}

/// The claims of `jwt` if the client signed it with one of `allowed` and one of its keys —
/// retried once with freshly fetched keys when the kept set lacks the key (client key rotation).
pub async fn verify_signed(
    ctx: &Ctx,
    client: &Client,
    jwt: &str,
    allowed: &[SigningAlg],
) -> Result<serde_json::Map<String, Value>, Refused> {
    let set = keys(ctx, client, false)
        .await
        .map_err(Refused::KeysUnavailable)?;
    match client_jwt::verify(jwt, allowed, ClientKeys::Jwks(&set)) {
        Err(JwtRejected::UnknownKey | JwtRejected::BadSignature)
            if matches!(source(client), KeySource::Fetched) =>
        {
            let set = keys(ctx, client, true)
                .await
                .map_err(Refused::KeysUnavailable)?;
            client_jwt::verify(jwt, allowed, ClientKeys::Jwks(&set)).map_err(Refused::Jwt)
        }
        other => other.map_err(Refused::Jwt),
    }
}
