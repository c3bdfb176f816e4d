//! `{issuer}/token/introspection` (RFC 7662): an authenticated client learns whether an access
//! or refresh token is active — only for tokens issued to it; everything else (expired,
//! revoked, unknown, another client's) is `{"active": false}` (§2.2, so nothing leaks).

use serde_json::{json, Value};
use worker::Request;

use super::context::Ctx;
use super::forms;
use super::respond::{json_no_store, oauth_error, HttpError, HttpResult};
use super::token::authenticate;
use super::userinfo::verify_access_token;
use crate::oidc::error::OAuthError;
use crate::oidc::jws::sha256_b64;
use crate::oidc::model::Application;
use crate::oidc::records::RefreshFamily;
use crate::oidc::token_request::{client_credentials, merge_params, ClientCredentials};
use crate::store::grants::{Grants, Kind};

/// The token's shape: a JWS (two dots) is an access token, `{family}.{secret}` a refresh token.
pub enum TokenShape<'a> {
    Access,
    Refresh { family_id: &'a str },
    Unknown,
}

pub fn shape(token: &str) -> TokenShape<'_> {
    match token.matches('.').count() {
        2 => TokenShape::Access,
        1 => TokenShape::Refresh {
            family_id: token.split('.').next().unwrap_or(""),
        },
        _ => TokenShape::Unknown,
    }
}

/// Reads the form, authenticates the client (`allow_public` for revocation).
pub async fn read_authenticated(
    ctx: &Ctx,
    req: &mut Request,
    app: &Application,
    allow_public: bool,
) -> Result<(String, bool), HttpResult> {
    let body = forms::form_pairs(req).await;
    let authorization = req.headers().get("Authorization").ok().flatten();
    let basic = authorization
        .as_deref()
        .is_some_and(|h| h.to_ascii_lowercase().starts_with("basic "));
    let fail = |e: OAuthError| Err(oauth_error(&e, basic));
    let params = match merge_params(&body, &[]) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let creds = match client_credentials(authorization.as_deref(), &params) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    if !allow_public && matches!(creds, ClientCredentials::None { .. }) {
        return fail(OAuthError::invalid_client("client authentication failed"));
    }
    match authenticate(ctx, app, &creds).await {
        Ok(_) => {}
        Err(HttpError::OAuth(e)) => return fail(e),
        Err(other) => return Err(Err(other)),
    }
    match params.get("token").filter(|t| !t.is_empty()) {
        Some(t) => Ok((t.clone(), basic)),
        None => fail(OAuthError::invalid_request("token is missing")),
    }
}

/// The live family of a refresh token of this client, if the token is its current one.
pub async fn live_family(
    ctx: &Ctx,
    app: &Application,
    token: &str,
    family_id: &str,
) -> Result<Option<RefreshFamily>, HttpError> {
    let f: Option<RefreshFamily> = Grants::new(&ctx.env)
        .get(Kind::Family, family_id, ctx.now)
        .await?;
    Ok(f.filter(|f| {
        f.client_id == app.client_id
            && !f.revoked
            && f.expires_at > ctx.now
            && f.current_hash == sha256_b64(token)
    }))
}

pub async fn handle(ctx: &Ctx, mut req: Request, app: &Application, issuer: &str) -> HttpResult {
    let (token, _) = match read_authenticated(ctx, &mut req, app, false).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let inactive = json!({"active": false});
    let answer: Value = match shape(&token) {
        TokenShape::Access => match verify_access_token(ctx, app, issuer, &token).await? {
            Some(v) if v.claims.client_id == app.client_id => {
                let c = v.claims;
                json!({
                    "active": true, "token_type": "access_token", "scope": c.scope, "client_id": c.client_id,
                    "sub": c.sub, "aud": c.aud, "iss": c.iss, "exp": c.exp, "iat": c.iat, "jti": c.jti,
                })
            }
            _ => inactive,
        },
        TokenShape::Refresh { family_id } => {
            match live_family(ctx, app, &token, family_id).await? {
                Some(f) => json!({
                    "active": true, "token_type": "refresh_token", "scope": f.scope, "client_id": f.client_id,
                    "sub": f.user_id, "aud": f.client_id, "iss": issuer, "exp": f.expires_at, "iat": f.rotated_at,
                }),
                None => inactive,
            }
        }
        TokenShape::Unknown => inactive,
    };
    json_no_store(200, &answer)
}
