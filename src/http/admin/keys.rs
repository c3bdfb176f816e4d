//! `/api/v1/keys`: list a pool's signing keys and rotate one algorithm's key. Rotation keeps
//! the previous key in the JWKS so tokens it signed still verify.

use serde_json::{json, Value};
use worker::{Method, Request};

use super::{body, invalid, method_not_allowed};
use crate::http::context::Ctx;
use crate::http::respond::{json, HttpError, HttpResult};
use crate::oidc::audit::{Action, Target};
use crate::oidc::model::SigningAlg;
use crate::oidc::registration::FieldErrors;
use crate::store::placement::PoolAt;
use crate::store::vault::{self, KeyInfo, VaultCommand};

pub async fn route(
    ctx: &Ctx,
    mut req: Request,
    method: Method,
    rest: &[&str],
    pool: PoolAt<'_>,
) -> HttpResult {
    let PoolAt { id: pool, at } = pool;
    match (rest, method) {
        ([], Method::Get) => {
            let items: Vec<KeyInfo> = vault::call(&ctx.env, pool, at, VaultCommand::List).await?;
            let s = ctx.settings.key_rotation;
            json(
                200,
                &json!({"items": items, "schedule": {"period_secs": s.period,
                    "publish_ahead_secs": s.publish_ahead, "retire_after_secs": s.retire_after}}),
            )
        }
        (["rotate"], Method::Post) => {
            let b = body(&mut req).await?;
            let alg = b.get("alg").and_then(Value::as_str).unwrap_or("RS256");
            let Some(alg) = SigningAlg::parse(alg).filter(|a| *a != SigningAlg::HS256) else {
                let mut e = FieldErrors::default();
                let algs: Vec<&str> = SigningAlg::ASYMMETRIC.map(SigningAlg::as_str).to_vec();
                e.add("alg", format!("must be one of {}", algs.join(", ")));
                return invalid(e);
            };
            // Make sure a key exists first, so the rotation has something to replace.
            let _: Value = vault::call(
                &ctx.env,
                pool,
                at,
                VaultCommand::ActiveKey {
                    pool: pool.to_string(),
                    alg,
                },
            )
            .await?;
            let info: KeyInfo = vault::call(
                &ctx.env,
                pool,
                at,
                VaultCommand::Rotate {
                    pool: pool.to_string(),
                    alg,
                },
            )
            .await?;
            // This isolate signs with the new key from the next token on; other isolates pick
            // it up when their cached key expires (a minute).
            crate::crypto::keys::forget_pool(pool);
            let after = serde_json::to_value(&info).unwrap_or_default();
            let id = after["kid"].as_str().unwrap_or(alg.as_str()).to_string();
            ctx.audit.admin_change(
                pool,
                Target::SigningKey,
                &id,
                Action::Rotate,
                None,
                Some(&after),
            );
            json(201, &info)
        }
        ([], _) => method_not_allowed("GET"),
        (["rotate"], _) => method_not_allowed("POST"),
        _ => Err(HttpError::NotFound),
    }
}
