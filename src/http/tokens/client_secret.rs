//! An application's client secret at rest: sealed with AES-GCM under `MASTER_KEY` rather than
//! hashed, because HS256 id_tokens are signed with it (OIDC Core §10.1), so it must be
//! recoverable. Sealed by the admin API, opened by client authentication and HS256 signing.

use crate::crypto::secretbox;
use crate::http::context::Ctx;
use crate::http::respond::HttpError;
use crate::oidc::model::Client;

/// The sealing purpose: a sealed client secret cannot be opened as any other kind of secret.
const PURPOSE: &str = "client-secret";

/// Seals a new client secret for storage in the application record.
pub async fn seal(ctx: &Ctx, secret: &str) -> Result<String, HttpError> {
    Ok(secretbox::seal(&ctx.settings.master_key, PURPOSE, secret.as_bytes()).await?)
}

/// The client's secret, opened from its sealed form. A client registered as public has none
/// (callers check `Client::has_secret` where that can happen).
pub async fn open(ctx: &Ctx, client: &Client) -> Result<String, HttpError> {
    if !client.has_secret() {
        return Err(HttpError::Runtime("the client has no secret".into()));
    }
    let raw = secretbox::open(
        &ctx.settings.master_key,
        PURPOSE,
        &client.client_secret_encrypted,
    )
    .await?;
    String::from_utf8(raw).map_err(|_| HttpError::Runtime("client secret is not UTF-8".into()))
}
