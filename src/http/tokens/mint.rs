//! Minting Doorward's tokens through the one signing interface (`crypto::keys`): JWT access
//! tokens (RFC 9068 shape), id_tokens (OIDC Core §2) and signed userinfo answers (§5.3.2) with
//! the client's algorithm — HS256 with the client secret — and the token response body
//! (RFC 6749 §5.1). The `sub` a client is shown comes from `subject`.

use serde::Serialize;
use serde_json::{json, Map, Value};

use super::{client_secret, subject};
use crate::crypto::keys;
use crate::http::context::Ctx;
use crate::http::respond::HttpError;
use crate::oidc::model::{Application, SigningAlg, User};
use crate::oidc::scope::ScopeSet;
use crate::oidc::tokens::{access_token_claims, id_token_claims, AccessTokenInput, IdTokenInput};

/// Whom an access token is about.
#[derive(Debug, Clone, Copy)]
pub enum Subject<'a> {
    /// A user, by Doorward's id: the token's `sub` is the id as the client sees it (public or
    /// pairwise, `subject::presented`), with the real id sealed beside a pairwise one.
    User(&'a str),
    /// A machine caller (client credentials): its own id.
    Caller(&'a str),
}

/// What an access token says beyond what the application, issuer and clock fix.
pub struct AccessTokenFor<'a> {
    /// Chosen by the caller: a code records it before the token exists, so a replay can
    /// revoke it even mid-issue.
    pub jti: &'a str,
    pub subject: Subject<'a>,
    /// The client id for user tokens; the resource URI for machine tokens (RFC 8707).
    pub audience: &'a str,
    /// The application's id, or the access key of a machine caller.
    pub client_id: &'a str,
    pub scope: &'a str,
    /// OIDC Core §5.5: the claims asked for at userinfo by name, which userinfo reads back.
    pub userinfo_claims: &'a [String],
}

pub async fn access_token(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    t: &AccessTokenFor<'_>,
) -> Result<String, HttpError> {
    let (sub, sealed) = match t.subject {
        Subject::Caller(id) => (id.to_string(), None),
        Subject::User(user_id) => {
            let sub = subject::presented(ctx, &app.client, user_id);
            let sealed = if sub == user_id {
                None
            } else {
                Some(subject::seal_user(ctx, user_id).await?)
            };
            (sub, sealed)
        }
    };
    let claims = access_token_claims(&AccessTokenInput {
        issuer,
        jti: t.jti,
        subject: &sub,
        audience: t.audience,
        client_id: t.client_id,
        scope: t.scope,
        now: ctx.now,
        lifetime: app.client.token_lifetimes.access_token,
        userinfo_claims: t.userinfo_claims,
        sealed_user: sealed.as_deref(),
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
    /// OIDC Core §5.5: the claims asked for in the id_token by name.
    pub requested: &'a [String],
    pub auth_time: u64,
    /// RFC 8176 methods of that authentication (its `acr` follows from them).
    pub amr: &'a [String],
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
    let sub = subject::presented(ctx, &app.client, &t.user.id);
    let claims = id_token_claims(&IdTokenInput {
        issuer,
        client_id: &app.client.client_id,
        user: t.user,
        subject: &sub,
        scope: t.scope,
        requested: t.requested,
        alg,
        now: ctx.now,
        lifetime: app.client.token_lifetimes.id_token,
        auth_time: t.auth_time,
        amr: t.amr,
        nonce: t.nonce,
        access_token: t.access_token,
        code: t.code,
        session_id: t.session_id,
        minimal: t.minimal,
    });
    sign_for_client(ctx, app, alg, &claims).await
}

/// OIDC Core §5.3.2: a userinfo answer as a JWT signed with the client's
/// `userinfo_signed_response_alg`, carrying `iss` and `aud` ("SHOULD contain the Claims iss
/// ... and aud") beside the released claims.
pub async fn userinfo_jwt(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    alg: SigningAlg,
    mut claims: Map<String, Value>,
) -> Result<String, HttpError> {
    claims.insert("iss".into(), json!(issuer));
    claims.insert("aud".into(), json!(app.client.client_id));
    sign_for_client(ctx, app, alg, &Value::Object(claims)).await
}

/// Signs a JWT for the client to read: with the pool's key of `alg`, or for HS256 with the
/// client's secret (OIDC Core §10.1).
async fn sign_for_client(
    ctx: &Ctx,
    app: &Application,
    alg: SigningAlg,
    claims: &Value,
) -> Result<String, HttpError> {
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
        claims,
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
