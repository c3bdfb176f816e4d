//! `{issuer}/token/revocation` (RFC 7009). A refresh token takes its whole family and the
//! access tokens issued from it; an access token goes on the revocation list (by `jti`, until
//! it would expire) that userinfo and introspection consult. Unknown tokens and other clients'
//! tokens get the same 200 and are left alone (§2.2).

use worker::{Request, Response};

use super::context::Ctx;
use super::respond::{with_headers, HttpResult};
use super::tokens::client_auth::{assertion_audiences, authenticated_token_param};
use super::tokens::verify::{self, TokenShape};
use crate::oidc::audit::{AuditEvent, RevocationReason, Revoked, What};
use crate::oidc::grant_policy::CallerKind;
use crate::oidc::model::Application;
use crate::oidc::records::IssuedJti;
use crate::store::grants::Grants;
use crate::store::placement::Placement;

pub async fn handle(ctx: &Ctx, mut req: Request, app: &Application, issuer: &str) -> HttpResult {
    // §2.1: public clients may revoke their own tokens.
    let admitted = [CallerKind::Confidential, CallerKind::Public];
    let owned = assertion_audiences(issuer, "/token/revocation");
    let audiences = owned.each_ref().map(String::as_str);
    let (client, token) =
        match authenticated_token_param(ctx, &mut req, app, &admitted, &audiences).await {
            Ok(t) => t,
            Err(resp) => return resp,
        };
    // From here on, `app` is the application as the authenticated client sees it.
    let app = &client.app;
    let grants = Grants::new(&ctx.env, Placement::of_app(app));
    match verify::shape(&token) {
        TokenShape::Access => {
            if let Some(v) = verify::access_token(ctx, app, issuer, &token).await? {
                if v.claims.client_id == app.client.client_id {
                    // A user's token names the user; a machine token's subject is the caller.
                    let user =
                        (v.claims.sub != v.claims.client_id).then_some(v.claims.sub.as_str());
                    revoked(ctx, app, user, Revoked::AccessToken);
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
            if let Some(family) = verify::refresh_family(ctx, app, &token, family_id).await? {
                revoked(ctx, app, Some(&family.user_id), Revoked::RefreshToken);
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

fn revoked(ctx: &Ctx, app: &Application, user: Option<&str>, revoked: Revoked) {
    let what = What::TokenRevoked {
        revoked,
        reason: RevocationReason::ClientRequest,
    };
    ctx.audit
        .record(AuditEvent::of_app(app, what).user_if(user));
}
