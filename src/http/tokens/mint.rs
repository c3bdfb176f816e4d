//! Minting Doorward's tokens through the one signing interface (`crypto::keys`): JWT access
//! tokens (RFC 9068 shape), id_tokens (OIDC Core §2) with the application's algorithm — HS256
//! with the client secret — and the token response body (RFC 6749 §5.1).

use serde::Serialize;

use super::client_secret;
use crate::crypto::keys;
use crate::http::context::Ctx;
use crate::http::respond::HttpError;
use crate::oidc::model::{Application, SigningAlg, User};
use crate::oidc::scope::ScopeSet;
use crate::oidc::tokens::{access_token_claims, id_token_claims, AccessTokenInput, IdTokenInput};

/// What an access token says beyond what the application, issuer and clock fix.
pub struct AccessTokenFor<'a> {
    /// Chosen by the caller: a code records it before the token exists, so a replay can
    /// revoke it even mid-issue.
    pub jti: &'a str,
    pub subject: &'a str,
    /// The client id for user tokens; the resource URI for machine tokens (RFC 8707).
    pub audience: &'a str,
    /// The application's id, or the access key of a machine caller.
    pub client_id: &'a str,
    pub scope: &'a str,
}

pub async fn access_token(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    t: &AccessTokenFor<'_>,
) -> Result<String, HttpError> {
    let claims = access_token_claims(&AccessTokenInput {
        issuer,
        jti: t.jti,
        subject: t.subject,
        audience: t.audience,
        client_id: t.client_id,
        scope: t.scope,
        now: ctx.now,
        lifetime: app.client.token_lifetimes.access_token,
    });
    Ok(keys::sign_jwt(
        &ctx.env,
        &ctx.settings.master_key,
        &app.pool_id,
        app.client.access_token_signed_response_alg,
        "at+jwt",
        &claims,
        None,
    )
    .await?)
}

/// What an id_token says beyond what the application, issuer and clock fix.
pub struct IdTokenFor<'a> {
    pub user: &'a User,
    pub scope: &'a ScopeSet,
    pub auth_time: u64,
    pub nonce: Option<&'a str>,
    /// For `at_hash` (OIDC Core §3.1.3.6, §3.3.2.11).
    pub access_token: Option<&'a str>,
    /// For `c_hash` (OIDC Core §3.3.2.11).
    pub code: Option<&'a str>,
    pub session_id: Option<&'a str>,
    /// OIDC Core §5.4: with an access token beside it at the authorization endpoint, the
    /// profile claims come from userinfo instead.
    pub minimal: bool,
}

pub async fn id_token(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    t: &IdTokenFor<'_>,
) -> Result<String, HttpError> {
    let alg = app.client.id_token_signed_response_alg;
    let claims = id_token_claims(&IdTokenInput {
        issuer,
        client_id: &app.client.client_id,
        user: t.user,
        scope: t.scope,
        alg,
        now: ctx.now,
        lifetime: app.client.token_lifetimes.id_token,
        auth_time: t.auth_time,
        nonce: t.nonce,
        access_token: t.access_token,
        code: t.code,
        session_id: t.session_id,
        minimal: t.minimal,
    });
    let secret = match alg {
        SigningAlg::HS256 => Some(client_secret::open(ctx, &app.client).await?),
        SigningAlg::RS256 | SigningAlg::ES256 | SigningAlg::PS256 | SigningAlg::EdDSA => None,
    };
    Ok(keys::sign_jwt(
        &ctx.env,
        &ctx.settings.master_key,
        &app.pool_id,
        alg,
        "JWT",
        &claims,
        secret.as_deref().map(str::as_bytes),
    )
    .await?)
}

/// The token response body (RFC 6749 §5.1).
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub scope: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl TokenResponse {
    pub fn bearer(access_token: String, expires_in: u64, scope: String) -> TokenResponse {
        TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in,
            scope,
            id_token: None,
            refresh_token: None,
        }
    }
}
