//! `{issuer}/me` (OIDC Core §5.3): GET or POST, the access token from the Bearer header or
//! the `access_token` form field (RFC 6750 §2.2). Claims by the token's scopes; `sub` is the
//! id_token's. Any token problem is a 401 with `WWW-Authenticate: Bearer error="invalid_token"`.

use serde_json::Value;
use worker::Request;

use super::context::Ctx;
use super::forms;
use super::respond::{json_no_store, with_headers, HttpError, HttpResult};
use crate::crypto::keys;
use crate::oidc::model::Application;
use crate::oidc::scope::ScopeSet;
use crate::oidc::tokens::{user_claims, AccessTokenClaims};
use crate::store::grants::Grants;

/// A verified, live, unrevoked access token of this issuer: only `verify_access_token` builds it.
pub struct VerifiedAccessToken {
    pub claims: AccessTokenClaims,
}

/// Checks signature, issuer, expiry and the revocation list.
pub async fn verify_access_token(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    token: &str,
) -> Result<Option<VerifiedAccessToken>, HttpError> {
    let Some(claims) = keys::verify_jwt(&ctx.env, &app.pool_id, token).await? else {
        return Ok(None);
    };
    let Ok(claims) = serde_json::from_value::<AccessTokenClaims>(claims) else {
        return Ok(None);
    };
    if claims.iss != issuer || claims.exp <= ctx.now {
        return Ok(None);
    }
    if Grants::new(&ctx.env)
        .is_revoked(&claims.jti, ctx.now)
        .await?
    {
        return Ok(None);
    }
    Ok(Some(VerifiedAccessToken { claims }))
}

fn unauthorized(error: Option<&str>, description: &str) -> HttpResult {
    let challenge = match error {
        Some(e) => {
            format!("Bearer realm=\"doorward\", error=\"{e}\", error_description=\"{description}\"")
        }
        None => "Bearer realm=\"doorward\"".to_string(),
    };
    let body = serde_json::json!({"error": error.unwrap_or("invalid_request"), "error_description": description});
    Ok(with_headers(
        json_no_store(401, &body)?,
        &[("WWW-Authenticate", challenge.as_str())],
    ))
}

pub async fn handle(ctx: &Ctx, mut req: Request, app: &Application, issuer: &str) -> HttpResult {
    let header = req.headers().get("Authorization").ok().flatten();
    let from_header = header.as_deref().and_then(|h| {
        (h.len() > 7 && h[..7].eq_ignore_ascii_case("bearer ")).then(|| h[7..].trim().to_string())
    });
    let from_form = if req.method() == worker::Method::Post {
        forms::first(&forms::form_pairs(&mut req).await, "access_token").map(str::to_string)
    } else {
        None
    };
    let token = match (from_header, from_form) {
        (Some(_), Some(_)) => {
            return unauthorized(Some("invalid_request"), "send the token one way only")
        }
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => return unauthorized(None, "an access token is required"),
    };
    let Some(verified) = verify_access_token(ctx, app, issuer, &token).await? else {
        return unauthorized(
            Some("invalid_token"),
            "the access token is invalid, expired or revoked",
        );
    };
    let claims = verified.claims;
    let scope = ScopeSet::parse(&claims.scope);
    // Userinfo is for user tokens of this application that were granted `openid`.
    if claims.aud != app.client_id || !scope.contains("openid") {
        return unauthorized(
            Some("invalid_token"),
            "the access token is not valid for userinfo",
        );
    }
    let user = super::authorize::load_user(ctx, app, &claims.sub).await?;
    match user {
        Some(u) if !u.blocked => json_no_store(200, &Value::Object(user_claims(&u, &scope))),
        _ => unauthorized(
            Some("invalid_token"),
            "the access token's user no longer exists",
        ),
    }
}
