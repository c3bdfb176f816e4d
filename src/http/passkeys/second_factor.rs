//! A passkey as the second factor after a password: whether the second-factor page offers
//! one (the user holds at least one passkey), and the request options that list exactly the
//! user's credentials (WebAuthn §5.5 `allowCredentials`), so the browser asks for one of
//! theirs and nobody else's.

use crate::http::context::Ctx;
use crate::http::respond::HttpError;
use crate::oidc::jws::b64_decode;
use crate::oidc::model::Application;
use crate::oidc::webauthn::credential::PasskeyRecord;
use crate::store::passkeys::Passkeys;

/// `Some({issuer}/interaction/{uid})` when `user_id` holds a passkey.
pub async fn offer(
    ctx: &Ctx,
    app: &Application,
    user_id: &str,
    issuer: &str,
    uid: &str,
) -> Result<Option<String>, HttpError> {
    let list = Passkeys::of_app(&ctx.env, app).list(user_id).await?;
    Ok((!list.is_empty()).then(|| format!("{issuer}/interaction/{uid}")))
}

/// The user's credential ids (raw bytes) with their records, for `allowCredentials`.
pub fn allowed(list: &[PasskeyRecord]) -> Vec<(Vec<u8>, &PasskeyRecord)> {
    list.iter()
        .filter_map(|p| b64_decode(&p.credential_id).map(|id| (id, p)))
        .collect()
}
