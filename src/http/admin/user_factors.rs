//! `/api/v1/users/{id}/factors`: a user's second factors as an administrator sees them (never
//! a secret: what is enrolled, when, how many recovery codes are left), removing the
//! authenticator app, and "reset MFA" (every second factor gone; in a pool that requires MFA
//! the user enrols again at the next sign-in). Each change is an `mfa_changed` event.

use serde_json::json;
use worker::Method;

use super::{method_not_allowed, no_content};
use crate::http::context::Ctx;
use crate::http::respond::{json, HttpError, HttpResult};
use crate::oidc::audit::{AuditEvent, What};
use crate::oidc::factors::FactorSummary;
use crate::store::directory::Directory;
use crate::store::factors::FactorCommand;

/// The factor list of the console's user page.
pub fn view(s: &FactorSummary) -> serde_json::Value {
    let mut items = vec![];
    if s.totp {
        items.push(json!({
            "kind": "totp",
            "created_at": s.totp_created_at,
            "last_used_at": s.totp_last_used_at,
        }));
    }
    if s.recovery_codes_left > 0 {
        items.push(json!({
            "kind": "recovery_codes",
            "remaining": s.recovery_codes_left,
            "created_at": s.recovery_created_at,
        }));
    }
    json!({"items": items})
}

pub async fn route(ctx: &Ctx, method: Method, id: &str, rest: &[&str], pool: &str) -> HttpResult {
    let dir = Directory::new(&ctx.env, pool);
    if dir.user(id).await?.is_none() {
        return Err(HttpError::NotFound);
    }
    let changed = |change: &str| {
        ctx.audit.record(
            AuditEvent::new(
                pool,
                What::MfaChanged {
                    change: change.into(),
                },
            )
            .user(id),
        )
    };
    let user_id = id.to_string();
    match (rest, method) {
        ([], Method::Get) => json(200, &view(&dir.factor_summary(id).await?)),
        ([], Method::Delete) => {
            let had: bool = dir.call_factors(FactorCommand::Reset { user_id }).await?;
            if had {
                changed("reset_by_admin");
            }
            no_content()
        }
        (["totp"], Method::Delete) => {
            let had: bool = dir
                .call_factors(FactorCommand::RemoveTotp { user_id })
                .await?;
            if !had {
                return Err(HttpError::NotFound);
            }
            changed("totp_removed");
            no_content()
        }
        ([], _) => method_not_allowed("GET, DELETE"),
        (["totp"], _) => method_not_allowed("DELETE"),
        _ => Err(HttpError::NotFound),
    }
}
