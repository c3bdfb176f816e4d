//! `{issuer}/token/introspection` (RFC 7662): an authenticated client learns whether an access
//! or refresh token is active — only for tokens issued to it; everything else (expired,
//! revoked, unknown, another client's, or a blocked or deleted user's) is `{"active": false}`
//! (§2.2, so nothing leaks).

use serde_json::{json, Value};
use worker::Request;

use super::context::Ctx;
use super::respond::{json_no_store, HttpError, HttpResult};
use super::tokens::client_auth::{assertion_audiences, authenticated_token_param};
use super::tokens::subject;
use super::tokens::verify::{self, TokenShape};
use crate::oidc::grant_policy::CallerKind;
use crate::oidc::model::Application;
use crate::store::directory::Directory;

/// A user token is active only while its user exists and is not blocked (userinfo applies the
/// same rule). A machine token's subject is its client, not a user.
async fn user_is_active(
    ctx: &Ctx,
    app: &Application,
    subject: &str,
    client_id: &str,
) -> Result<bool, HttpError> {
    if subject == client_id {
        return Ok(true);
    }
    let user = Directory::of_app(&ctx.env, app).user(subject).await?;
    Ok(user.is_some_and(|u| !u.blocked))
}

pub async fn handle(ctx: &Ctx, mut req: Request, app: &Application, issuer: &str) -> HttpResult {
    let owned = assertion_audiences(issuer, "/token/introspection");
    let audiences = owned.each_ref().map(String::as_str);
    let (client, token) = match authenticated_token_param(
        ctx,
        &mut req,
        app,
        &[CallerKind::Confidential],
        &audiences,
    )
    .await
    {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    // From here on, `app` is the application as the authenticated client sees it.
    let app = &client.app;
    let inactive = json!({"active": false});
    let answer: Value = match verify::shape(&token) {
        TokenShape::Access => match verify::access_token(ctx, app, issuer, &token).await? {
            Some(v)
                if v.claims.client_id == app.client.client_id
                    && user_is_active(ctx, app, &v.subject_id, &v.claims.client_id).await? =>
            {
                let c = v.claims;
                json!({
                    "active": true, "token_type": "access_token", "scope": c.scope, "client_id": c.client_id,
                    "sub": c.sub, "aud": c.aud, "iss": c.iss, "exp": c.exp, "iat": c.iat, "jti": c.jti,
                })
            }
            _ => inactive,
        },
        TokenShape::Refresh { family_id } => {
            match verify::refresh_family(ctx, app, &token, family_id).await? {
                Some(f) if user_is_active(ctx, app, &f.user_id, &f.client_id).await? => json!({
                    "active": true, "token_type": "refresh_token", "scope": f.scope, "client_id": f.client_id,
                    "sub": subject::presented(ctx, &app.client, &f.user_id), "aud": f.client_id, "iss": issuer, "exp": f.expires_at, "iat": f.rotated_at,
                }),
                _ => inactive,
            }
        }
        TokenShape::Unknown => inactive,
    };
    json_no_store(200, &answer)
}
