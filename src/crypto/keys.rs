//! The one signing interface the protocol code's tokens go through: `sign_jwt` for every
//! algorithm (WebCrypto for RS256/PS256/ES256/EdDSA, HMAC for HS256) and `verify_jwt` for
//! Doorward's own tokens. Imported `CryptoKey`s are cached per isolate (ARCHITECTURE.md "Tokens and keys"):
//! signing keys for a minute, so a rotation is picked up quickly; verification keys by pool
//! and `kid`, used only while the `kid` is in the pool's current JWKS.

use std::cell::RefCell;
use std::collections::HashMap;
use web_sys::CryptoKey;
use worker::Env;

use super::{secretbox, webcrypto};
use crate::oidc::jws::{self, Header};
use crate::oidc::model::SigningAlg;
use crate::store::kv::Kv;
use crate::store::placement::PoolAt;
use crate::store::vault::{self, StoredKey, VaultCommand};
use crate::store::StoreError;

const SIGNING_KEY_TTL_MS: f64 = 60_000.0;
/// Imported verification keys kept per isolate, at most.
const VERIFYING_MAX: usize = 256;

thread_local! {
    static SIGNING: RefCell<HashMap<String, (String, CryptoKey, f64)>> = RefCell::new(HashMap::new());
    static VERIFYING: RefCell<HashMap<String, CryptoKey>> = RefCell::new(HashMap::new());
}

fn now_ms() -> f64 {
    worker::Date::now().as_millis() as f64
}

/// The pool's active key for `alg`: (kid, key).
async fn signing_key(
    env: &Env,
    master: &str,
    pool: PoolAt<'_>,
    alg: SigningAlg,
) -> Result<(String, CryptoKey), StoreError> {
    let cache_key = format!("{}|{}", pool.id, alg.as_str());
    let now = now_ms();
    if let Some((kid, key)) = SIGNING.with(|c| {
        c.borrow()
            .get(&cache_key)
            .filter(|(_, _, at)| now - at < SIGNING_KEY_TTL_MS)
            .map(|(k, key, _)| (k.clone(), key.clone()))
    }) {
        return Ok((kid, key));
    }
    let stored: StoredKey = vault::call(
        env,
        pool.id,
        pool.at,
        VaultCommand::ActiveKey {
            pool: pool.id.to_string(),
            alg,
        },
    )
    .await?;
    let private = secretbox::open(master, "signing-key", &stored.private_sealed).await?;
    let jwk: serde_json::Value = serde_json::from_slice(&private)?;
    let key = webcrypto::import_jwk(alg, &jwk, true).await?;
    SIGNING.with(|c| {
        c.borrow_mut()
            .insert(cache_key, (stored.kid.clone(), key.clone(), now))
    });
    Ok((stored.kid, key))
}

/// Drops this isolate's signing keys of `pool` (after a rotation), so the next token is
/// signed with the new key; other isolates pick it up within `SIGNING_KEY_TTL_MS`.
pub fn forget_pool(pool: &str) {
    let prefix = format!("{pool}|");
    SIGNING.with(|c| c.borrow_mut().retain(|k, _| !k.starts_with(&prefix)));
}

/// Signs `claims` as a compact JWS. HS256 uses `hs_secret` (the client secret).
pub async fn sign_jwt(
    env: &Env,
    master: &str,
    pool: PoolAt<'_>,
    alg: SigningAlg,
    typ: &str,
    claims: &serde_json::Value,
    hs_secret: Option<&[u8]>,
) -> Result<String, StoreError> {
    if alg == SigningAlg::HS256 {
        let secret =
            hs_secret.ok_or_else(|| StoreError::Runtime("HS256 needs the client secret".into()))?;
        let header = Header {
            alg: alg.as_str().into(),
            kid: None,
            typ: Some(typ.into()),
        };
        let input = jws::signing_input(&header, claims);
        return Ok(jws::assemble(&input, &jws::hs256_sign(secret, &input)));
    }
    let (kid, key) = signing_key(env, master, pool, alg).await?;
    let header = Header {
        alg: alg.as_str().into(),
        kid: Some(kid),
        typ: Some(typ.into()),
    };
    let input = jws::signing_input(&header, claims);
    let sig = webcrypto::sign(alg, &key, input.as_bytes()).await?;
    Ok(jws::assemble(&input, &sig))
}

/// Verifies a token signed with one of the pool's published keys; returns its claims.
/// `None` for anything malformed, unknown or badly signed (and for HS256, which Doorward
/// never uses for its own access tokens).
pub async fn verify_jwt(
    env: &Env,
    pool: &str,
    token: &str,
) -> Result<Option<serde_json::Value>, StoreError> {
    let Some((jws, alg)) = jws::parse(token) else {
        return Ok(None);
    };
    if alg == SigningAlg::HS256 {
        return Ok(None);
    }
    let Some(kid) = jws.header.kid.clone() else {
        return Ok(None);
    };
    // The key must be in the pool's current set (KV, through the isolate's short cache), so a
    // key rotated out of the JWKS stops verifying as soon as that cache does, and one pool's
    // key never verifies at another pool.
    let Some(jwks) = Kv::new(env)?.jwks(pool).await? else {
        return Ok(None);
    };
    let Some(jwk) = jwks["keys"].as_array().and_then(|ks| {
        ks.iter()
            .find(|k| k["kid"] == kid.as_str() && k["alg"] == alg.as_str())
    }) else {
        return Ok(None);
    };
    let cache_key = format!("{pool}|{kid}|{}", alg.as_str());
    let cached = VERIFYING.with(|c| c.borrow().get(&cache_key).cloned());
    let key = match cached {
        Some(k) => k,
        None => {
            let key = webcrypto::import_jwk(alg, jwk, false).await?;
            VERIFYING.with(|c| {
                let mut c = c.borrow_mut();
                // Bounded: keys of pools no longer used here are dropped wholesale.
                if c.len() >= VERIFYING_MAX {
                    c.clear();
                }
                c.insert(cache_key, key.clone())
            });
            key
        }
    };
    if webcrypto::verify(alg, &key, &jws.signature, jws.signing_input.as_bytes()).await? {
        Ok(Some(jws.payload))
    } else {
        Ok(None)
    }
}
