//! Passkeys (WebAuthn) on an application's issuer: sign-in from the hosted login page
//! (`sign_in`), the user's own list at `{issuer}/account/passkeys` (`account`), and what both
//! share — the relying party of the issuer, single-use challenges, and the signature check
//! through WebCrypto. The WebAuthn rules themselves are in `oidc::webauthn`.

pub mod account;
pub mod login_block;
pub mod second_factor;
pub mod sign_in;
pub mod text;

use crate::crypto::{random, webcrypto};
use crate::http::context::Ctx;
use crate::http::respond::HttpError;
use crate::oidc::jws::b64;
use crate::oidc::model::Application;
use crate::oidc::webauthn::cose::CoseAlg;
use crate::oidc::webauthn::credential::{ChallengePurpose, ChallengeRecord};
use crate::oidc::webauthn::options::TIMEOUT_SECS;
use crate::oidc::webauthn::RelyingParty;
use crate::store::passkeys;
use crate::store::placement::PoolAt;

/// The relying party of this issuer, with the pool's user-verification setting.
pub async fn relying_party(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
) -> Result<RelyingParty, HttpError> {
    let uv = ctx
        .kv()?
        .pool(&app.pool_id)
        .await?
        .map(|p| p.passkey_user_verification)
        .unwrap_or_default();
    RelyingParty::for_issuer_under(issuer, ctx.settings.base_domain.as_deref(), uv)
        .ok_or_else(|| HttpError::Runtime(format!("issuer without a host: {issuer}")))
}

/// Issues a challenge (256 random bits, WebAuthn §13.4.3 asks for at least 128) for one
/// ceremony; answers its id and bytes. It lives as long as the browser waits, plus a minute.
pub async fn issue_challenge(
    ctx: &Ctx,
    pool: PoolAt<'_>,
    purpose: ChallengePurpose,
) -> Result<(String, [u8; 32]), HttpError> {
    let challenge = random::bytes::<32>()?;
    let id = random::grant_id()?;
    let rec = ChallengeRecord {
        challenge: b64(&challenge),
        pool_id: pool.id.to_string(),
        purpose,
        expires_at: ctx.now + TIMEOUT_SECS + 60,
    };
    passkeys::put_challenge(&ctx.env, pool.at, &id, &rec).await?;
    Ok((id, challenge))
}

/// Takes the challenge `id` if it was issued for exactly this pool and purpose; answers its
/// bytes. Taken either way: a challenge answered wrongly is spent too.
pub async fn take_challenge(
    ctx: &Ctx,
    pool: PoolAt<'_>,
    id: &str,
    purpose: &ChallengePurpose,
) -> Result<Option<Vec<u8>>, HttpError> {
    if !crate::oidc::records::is_grant_id(id) {
        return Ok(None);
    }
    let rec = passkeys::take_challenge(&ctx.env, pool.at, id, ctx.now).await?;
    Ok(rec
        .filter(|r| r.pool_id == pool.id && &r.purpose == purpose)
        .and_then(|r| crate::oidc::jws::b64_decode(&r.challenge)))
}

/// Verifies a WebAuthn signature with the stored JWK through WebCrypto. A key WebCrypto will
/// not import counts as a failed signature (logged), never a server error.
pub async fn signature_ok(
    alg: CoseAlg,
    jwk: &serde_json::Value,
    signature: &[u8],
    data: &[u8],
) -> bool {
    let result = async {
        let key = webcrypto::import_jwk(alg.signing_alg(), jwk, false).await?;
        webcrypto::verify(alg.signing_alg(), &key, signature, data).await
    }
    .await;
    match result {
        Ok(ok) => ok,
        Err(e) => {
            worker::console_warn!("passkey signature check failed: {e}");
            false
        }
    }
}

/// Whether WebCrypto imports this public key (checked at registration, so a key that could
/// never verify is refused then and not at every later sign-in).
pub async fn key_imports(alg: CoseAlg, jwk: &serde_json::Value) -> bool {
    webcrypto::import_jwk(alg.signing_alg(), jwk, false)
        .await
        .is_ok()
}

/// A fresh CSP nonce (128 bits) for the one script a passkey page runs.
pub fn nonce() -> Result<String, HttpError> {
    Ok(b64(&random::bytes::<16>()?))
}
