//! `{issuer}/token`: one pipeline for every grant (dex's shape) — read parameters (body, and
//! the query string the hosted service's guide documents), authenticate the client, check the
//! grant is ticked for it, run the grant, answer with `no-store`. Also the token minting the
//! grants and the authorization endpoint share.

use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use worker::Request;

use super::context::Ctx;
use super::forms;
use super::grants;
use super::respond::{json_no_store, oauth_error, HttpError, HttpResult};
use crate::crypto::{keys, random, secretbox};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::model::{Application, GrantType, User};
use crate::oidc::scope::ScopeSet;
use crate::oidc::token_request::{client_credentials, merge_params, ClientCredentials};
use crate::oidc::tokens::{access_token_claims, id_token_claims, AccessTokenInput, IdTokenInput};

/// Proof that the caller authenticated as this application: only `authenticate` builds it.
// A proof type: the private field is what keeps any other code from building one.
#[allow(clippy::manual_non_exhaustive)]
pub struct AuthenticatedClient<'a> {
    pub app: &'a Application,
    _proof: (),
}

pub type Params = std::collections::BTreeMap<String, String>;

pub async fn handle(ctx: &Ctx, mut req: Request, app: &Application, issuer: &str) -> HttpResult {
    let body = forms::form_pairs(&mut req).await;
    let query = forms::query_pairs(&req);
    let authorization = req.headers().get("Authorization").ok().flatten();
    let basic = authorization
        .as_deref()
        .is_some_and(|h| h.to_ascii_lowercase().starts_with("basic "));
    let result = async {
        let params = merge_params(&body, &query)?;
        let grant_raw = params.get("grant_type").cloned().unwrap_or_default();
        if grant_raw.is_empty() {
            return Err(OAuthError::invalid_request("grant_type is missing").into());
        }
        let creds = client_credentials(authorization.as_deref(), &params)?;
        if grant_raw == "client_credentials"
            && creds.client_id().is_some_and(|id| id.starts_with("ak_"))
        {
            return grants::client_credentials::with_access_account(
                ctx, app, issuer, &creds, &params,
            )
            .await;
        }
        let client = authenticate(ctx, app, &creds).await?;
        let Some(grant) = GrantType::parse(&grant_raw).filter(|g| *g != GrantType::Implicit) else {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "grant_type is not supported",
            )
            .into());
        };
        if !app.allows_grant(grant) {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "the client may not use this grant_type",
            )
            .into());
        }
        match grant {
            GrantType::AuthorizationCode => {
                grants::authorization_code::run(ctx, &client, issuer, &params).await
            }
            GrantType::RefreshToken => {
                grants::refresh_token::run(ctx, &client, issuer, &params).await
            }
            GrantType::ClientCredentials => {
                grants::client_credentials::with_client(ctx, &client, issuer, &params).await
            }
            GrantType::Password => grants::password::run(ctx, &req, &client, issuer, &params).await,
            GrantType::Implicit => Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "grant_type is not supported",
            )
            .into()),
        }
    }
    .await;
    match result {
        Ok(body) => json_no_store(200, &body),
        Err(HttpError::OAuth(e)) => oauth_error(&e, basic),
        Err(other) => Err(other),
    }
}

/// The application's client secret (decrypted from its sealed form).
pub async fn client_secret(ctx: &Ctx, app: &Application) -> Result<String, HttpError> {
    let raw = secretbox::open(
        &ctx.settings.master_key,
        crate::http::admin::applications::SECRET_PURPOSE,
        &app.client_secret_encrypted,
    )
    .await?;
    String::from_utf8(raw).map_err(|_| HttpError::Runtime("client secret is not UTF-8".into()))
}

/// RFC 6749 §2.3 / §3.2.1: the client must be this issuer's application; confidential clients
/// prove their secret (constant-time), public clients send only their id (PKCE then protects
/// the code).
pub async fn authenticate<'a>(
    ctx: &Ctx,
    app: &'a Application,
    creds: &ClientCredentials,
) -> Result<AuthenticatedClient<'a>, HttpError> {
    let bad = || HttpError::OAuth(OAuthError::invalid_client("client authentication failed"));
    let Some(id) = creds.client_id() else {
        return Err(bad());
    };
    if !bool::from(id.as_bytes().ct_eq(app.client_id.as_bytes())) {
        return Err(bad());
    }
    match creds {
        ClientCredentials::Basic { secret, .. } | ClientCredentials::Post { secret, .. } => {
            if app.is_public() {
                return Err(bad());
            }
            let expected = client_secret(ctx, app).await?;
            if bool::from(secret.as_bytes().ct_eq(expected.as_bytes())) {
                Ok(AuthenticatedClient { app, _proof: () })
            } else {
                Err(bad())
            }
        }
        ClientCredentials::None { .. } if app.is_public() => {
            Ok(AuthenticatedClient { app, _proof: () })
        }
        _ => Err(bad()),
    }
}

/// Mints a JWT access token; returns it and its `jti`.
pub async fn access_token(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    subject: &str,
    scope: &str,
) -> Result<(String, String), HttpError> {
    access_token_for(
        ctx,
        app,
        issuer,
        subject,
        &app.client_id,
        &app.client_id,
        scope,
    )
    .await
}

pub async fn access_token_for(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    subject: &str,
    audience: &str,
    client_id: &str,
    scope: &str,
) -> Result<(String, String), HttpError> {
    let jti = random::id()?;
    let token =
        signed_access_token(ctx, app, issuer, subject, audience, client_id, scope, &jti).await?;
    Ok((token, jti))
}

/// Signs an access token whose `jti` the caller chose (a code records it before the token
/// exists, so a replay can revoke it even mid-issue).
#[allow(clippy::too_many_arguments)] // The claims of RFC 9068 §2.2, one by one.
pub async fn signed_access_token(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    subject: &str,
    audience: &str,
    client_id: &str,
    scope: &str,
    jti: &str,
) -> Result<String, HttpError> {
    let claims = access_token_claims(&AccessTokenInput {
        issuer,
        jti,
        subject,
        audience,
        client_id,
        scope,
        now: ctx.now,
        lifetime: app.token_lifetimes.access_token,
    });
    Ok(keys::sign_jwt(
        &ctx.env,
        &ctx.settings.master_key,
        &app.pool_id,
        app.access_token_signed_response_alg,
        "at+jwt",
        &claims,
        None,
    )
    .await?)
}

/// Mints an id_token with the application's algorithm (HS256 with the client secret).
#[allow(clippy::too_many_arguments)] // Mirrors the claims of OIDC Core §2 one by one.
pub async fn id_token(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    user: &User,
    scope: &ScopeSet,
    auth_time: u64,
    nonce: Option<&str>,
    access_token: Option<&str>,
    code: Option<&str>,
    session_id: Option<&str>,
    minimal: bool,
) -> Result<String, HttpError> {
    let alg = app.id_token_signed_response_alg;
    let claims = id_token_claims(&IdTokenInput {
        issuer,
        client_id: &app.client_id,
        user,
        scope,
        alg,
        now: ctx.now,
        lifetime: app.token_lifetimes.id_token,
        auth_time,
        nonce,
        access_token,
        code,
        session_id,
        minimal,
    });
    let secret = if alg == crate::oidc::model::SigningAlg::HS256 {
        Some(client_secret(ctx, app).await?)
    } else {
        None
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

/// The token response body (DESIGN.md "Token shapes").
pub fn token_response(
    access_token: &str,
    expires_in: u64,
    scope: &str,
    id_token: Option<String>,
    refresh_token: Option<String>,
) -> Value {
    let mut v = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": scope,
    });
    if let Some(t) = id_token {
        v["id_token"] = json!(t);
    }
    if let Some(t) = refresh_token {
        v["refresh_token"] = json!(t);
    }
    v
}
