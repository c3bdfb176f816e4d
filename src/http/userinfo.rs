//! `{issuer}/me` (OIDC Core §5.3): GET or POST, the access token from the Bearer header or
//! the `access_token` form field (RFC 6750 §2.2). Claims by the token's scopes and those the
//! authorization request asked for by name (§5.5, carried by the token); `sub` is the
//! id_token's. JSON, or a signed JWT for a client with `userinfo_signed_response_alg`
//! (§5.3.2). Any token problem is a 401 with `WWW-Authenticate: Bearer error="invalid_token"`.

use serde_json::Value;
use worker::{Request, Response};

use super::context::Ctx;
use super::forms;
use super::respond::{bearer_error, json_no_store, with_headers, HttpError, HttpResult};
use super::tokens::{mint, verify};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::model::Application;
use crate::oidc::scope::ScopeSet;
use crate::oidc::token_request::bearer_token;
use crate::oidc::tokens::user_claims;
use crate::store::clients;
use crate::store::directory::Directory;

fn invalid_token(description: &str) -> HttpResult {
    bearer_error(&OAuthError::new(ErrorCode::InvalidToken, description), true)
}

pub async fn handle(ctx: &Ctx, mut req: Request, app: &Application, issuer: &str) -> HttpResult {
    let header = req.headers().get("Authorization").ok().flatten();
    let from_header = header.as_deref().and_then(bearer_token);
    let from_form = if req.method() == worker::Method::Post {
        let form = match forms::form_pairs(&mut req).await {
            Ok(f) => f,
            Err(HttpError::OAuth(e)) => return bearer_error(&e, true),
            Err(other) => return Err(other),
        };
        forms::first(&form, "access_token").map(str::to_string)
    } else {
        None
    };
    let token = match (from_header, from_form) {
        (Some(_), Some(_)) => {
            return bearer_error(
                &OAuthError::invalid_request("send the token one way only"),
                true,
            )
        }
        (Some(t), None) | (None, Some(t)) => t,
        (None, None) => {
            return bearer_error(
                &OAuthError::invalid_request("an access token is required"),
                false,
            )
        }
    };
    let Some(verified) = verify::access_token(ctx, app, issuer, &token).await? else {
        return invalid_token("the access token is invalid, expired or revoked");
    };
    let claims = &verified.claims;
    let scope = ScopeSet::parse(&claims.scope);
    // Userinfo is for user tokens of this application's clients that were granted `openid`
    // (a token for a resource server, RFC 8707, has that server as its audience instead).
    if claims.aud != claims.client_id || !scope.contains("openid") {
        return invalid_token("the access token is not valid for userinfo");
    }
    let Some(client) = clients::resolve(&ctx.env, app, &claims.client_id).await? else {
        return invalid_token("the access token is not valid for userinfo");
    };
    let user = Directory::of_app(&ctx.env, app)
        .user(&verified.subject_id)
        .await?;
    let Some(user) = user.filter(|u| !u.blocked) else {
        return invalid_token("the access token's user no longer exists");
    };
    // `sub` is the token's, which is the id_token's (pairwise where the client is); the
    // claims are the scopes' plus those asked for by name (OIDC Core §5.5).
    let released = user_claims(&user, &claims.sub, &scope, &claims.userinfo_claims);
    match client.client.userinfo_signed_response_alg {
        None => json_no_store(200, &Value::Object(released)),
        // §5.3.2: a client registered for signed answers gets `application/jwt`.
        Some(alg) => {
            let jwt = mint::userinfo_jwt(ctx, &client, issuer, alg, released).await?;
            Ok(with_headers(
                Response::ok(jwt)?,
                &[
                    ("Content-Type", "application/jwt"),
                    ("Cache-Control", "no-store"),
                    ("Pragma", "no-cache"),
                ],
            ))
        }
    }
}
