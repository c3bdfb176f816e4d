//! Randomness from the runtime's CSPRNG (`crypto.getRandomValues` through `getrandom`).

use crate::oidc::jws::b64;

/// `n` random bytes. A CSPRNG failure is unrecoverable for an identity provider: surface it
/// as an error rather than hand out a weak value.
pub fn bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)?;
    Ok(buf)
}

/// A 256-bit random token in base64url (43 characters): codes, refresh tokens, sessions.
pub fn token() -> Result<String, getrandom::Error> {
    Ok(b64(&bytes::<32>()?))
}

/// A 128-bit random identifier in base64url (22 characters): user and client ids, `kid`.
pub fn id() -> Result<String, getrandom::Error> {
    Ok(b64(&bytes::<16>()?))
}

/// The id of a `GrantStore` record, or of a token whose revocation lives there (`jti`): 144
/// random bits in base64url, 24 characters — the shape that puts it in the compact shard
/// layout (`store::shards`).
pub fn grant_id() -> Result<String, getrandom::Error> {
    Ok(b64(&bytes::<18>()?))
}

/// A token whose hash keys a `GrantStore` record (codes, SSO and console sessions): 264
/// random bits in base64url, 44 characters (`store::shards::token_key`).
pub fn grant_token() -> Result<String, getrandom::Error> {
    Ok(b64(&bytes::<33>()?))
}

/// The cookie of an SSO session the pool's directory holds: 272 random bits in base64url, 46
/// characters — a length no earlier session cookie had (`http::session`).
pub fn session_token() -> Result<String, getrandom::Error> {
    Ok(b64(&bytes::<34>()?))
}
