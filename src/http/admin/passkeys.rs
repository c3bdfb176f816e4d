//! `/api/v1/users/{id}/passkeys`: an administrator lists a user's passkeys (never their keys)
//! and removes one (`DELETE …/passkeys/{credential_id}`); the removal is in the pool's audit
//! log as `mfa_changed` (`passkey_removed`) with the acting administrator.

use serde_json::json;
use worker::Method;

use super::{method_not_allowed, no_content};
use crate::http::context::Ctx;
use crate::http::passkeys::account::view;
use crate::http::respond::{json, HttpError, HttpResult};
use crate::oidc::audit::{AuditEvent, What};
use crate::store::directory::Directory;
use crate::store::passkeys::Passkeys;
use crate::store::placement::PoolAt;

pub async fn route(
    ctx: &Ctx,
    method: Method,
    user_id: &str,
    rest: &[&str],
    pool_at: PoolAt<'_>,
) -> HttpResult {
    let pool = pool_at.id;
    if Directory::new(&ctx.env, pool, pool_at.at)
        .user(user_id)
        .await?
        .is_none()
    {
        return Err(HttpError::NotFound);
    }
    let passkeys = Passkeys::new(&ctx.env, pool, pool_at.at);
    match (rest, method) {
        ([], Method::Get) => {
            let items: Vec<_> = passkeys.list(user_id).await?.iter().map(view).collect();
            json(200, &json!({"items": items}))
        }
        ([credential_id], Method::Delete) => {
            if passkeys.delete(user_id, credential_id).await?.is_none() {
                return Err(HttpError::NotFound);
            }
            let what = What::MfaChanged {
                change: "passkey_removed".into(),
            };
            ctx.audit.record(AuditEvent::new(pool, what).user(user_id));
            no_content()
        }
        ([], _) => method_not_allowed("GET"),
        ([_], _) => method_not_allowed("DELETE"),
        _ => Err(HttpError::NotFound),
    }
}
