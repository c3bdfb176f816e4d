//! `{issuer}/token/revocation` (RFC 7009). A refresh token takes its whole family and the
//! access tokens issued from it; an access token goes on the revocation list (by `jti`, until
//! it would expire) that userinfo and introspection consult. Unknown tokens and other clients'
//! tokens get the same 200 and are left alone (§2.2).

use worker::{Request, Response};

use super::context::Ctx;
use super::introspection::{live_family, read_authenticated, shape, TokenShape};
use super::respond::{with_headers, HttpResult};
use super::userinfo::verify_access_token;
use crate::oidc::model::Application;
use crate::oidc::records::IssuedJti;
use crate::store::grants::Grants;

pub async fn handle(ctx: &Ctx, mut req: Request, app: &Application, issuer: &str) -> HttpResult {
    let (token, _) = match read_authenticated(ctx, &mut req, app, true).await {
        Ok(t) => t,
        Err(resp) => return resp,
    };
    let grants = Grants::new(&ctx.env);
    match shape(&token) {
        TokenShape::Access => {
            if let Some(v) = verify_access_token(ctx, app, issuer, &token).await? {
                if v.claims.client_id == app.client_id {
                    grants
                        .revoke_jtis(&[IssuedJti {
                            jti: v.claims.jti,
                            exp: v.claims.exp,
                        }])
                        .await?;
                }
            }
        }
        TokenShape::Refresh { family_id } => {
            if live_family(ctx, app, &token, family_id).await?.is_some() {
                if let Some(f) = grants.revoke_family(family_id, ctx.now).await? {
                    grants.revoke_jtis(&f.access_jtis).await?;
                }
            }
        }
        TokenShape::Unknown => {}
    }
    Ok(with_headers(
        Response::empty()?.with_status(200),
        &[("Cache-Control", "no-store")],
    ))
}
