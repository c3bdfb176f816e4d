//! `/api/v1/sessions`: list a pool's live SSO sessions (optionally one user's) and revoke one,
//! which signs the user out at once everywhere the session cookie was used.

use serde_json::{json, Value};
use url::Url;
use worker::Method;

use super::{method_not_allowed, no_content, query};
use crate::http::context::Ctx;
use crate::http::respond::{json, HttpError, HttpResult};
use crate::http::session;
use crate::oidc::audit::{Action, AuditEvent, RevocationReason, Revoked, Target, What};
use crate::store::directory::{Directory, DirectoryCommand};
use crate::store::placement::PoolAt;

pub async fn route(
    ctx: &Ctx,
    method: Method,
    rest: &[&str],
    url: &Url,
    pool: PoolAt<'_>,
) -> HttpResult {
    let PoolAt { id: pool, at } = pool;
    match (rest, method) {
        ([], Method::Get) => {
            let items: Vec<Value> = Directory::new(&ctx.env, pool, at)
                .call(DirectoryCommand::ListSessions {
                    user_id: query(url, "user_id"),
                    now: ctx.now,
                })
                .await?;
            json(200, &json!({"items": items}))
        }
        ([id], Method::Delete) => {
            if session::revoke(ctx, PoolAt { id: pool, at }, id).await? {
                ctx.audit
                    .admin_change(pool, Target::Session, id, Action::Revoke, None, None);
                let what = What::TokenRevoked {
                    revoked: Revoked::SsoSession,
                    reason: RevocationReason::Admin,
                };
                ctx.audit.record(AuditEvent::new(pool, what));
                no_content()
            } else {
                Err(HttpError::NotFound)
            }
        }
        ([], _) => method_not_allowed("GET"),
        ([_], _) => method_not_allowed("DELETE"),
        _ => Err(HttpError::NotFound),
    }
}
