//! `/api/v1/pools`: user pools and their branding. The `default` pool exists from the start;
//! others are created here. `__admins` (console administrators) is reserved.

use crate::oidc::acr::MfaPolicy;
use crate::store::directory::Directory;
use crate::store::factors::FactorCommand;
use serde_json::{json, Value};
use worker::{Method, Request};

use super::{body, conflict, invalid, method_not_allowed, DEFAULT_POOL};
use crate::http::context::Ctx;
use crate::http::respond::{json, HttpError, HttpResult};
use crate::oidc::audit::{Action, Target, MAX_RETENTION_DAYS};
use crate::oidc::model::{Branding, Jurisdiction, Pool};
use crate::oidc::registration::FieldErrors;
use crate::store::audit::{self, AuditCommand};
use crate::store::placement::Placement;

pub fn valid_id(id: &str) -> bool {
    crate::oidc::issuer::is_valid_subdomain(id) && id.len() <= 32 && !id.contains('_')
}

fn parse_branding(v: &Value, e: &mut FieldErrors) -> Branding {
    let mut b = Branding::default();
    let color = |s: &str| {
        s.strip_prefix('#')
            .is_some_and(|hex| hex.len() == 6 && hex.bytes().all(|c| c.is_ascii_hexdigit()))
    };
    if let Some(c) = v.get("primary_color").and_then(Value::as_str) {
        if color(c) {
            b.primary_color = Some(c.to_string())
        } else {
            e.add("branding.primary_color", "must be #rrggbb")
        }
    }
    if let Some(c) = v.get("background_color").and_then(Value::as_str) {
        if color(c) {
            b.background_color = Some(c.to_string())
        } else {
            e.add("branding.background_color", "must be #rrggbb")
        }
    }
    if let Some(l) = v.get("logo_url").and_then(Value::as_str) {
        let ok = (l.starts_with("https://") && url::Url::parse(l).is_ok())
            || (l.starts_with("data:image/")
                && l.len() < 64 * 1024
                && !l.contains(['"', '\'', ')', ' ']));
        if ok {
            b.logo_url = Some(l.to_string())
        } else {
            e.add(
                "branding.logo_url",
                "must be an https URL or a data:image URI under 64 KB",
            )
        }
    }
    b
}

/// `audit_retention_days`: how long the pool's audit log keeps an event.
fn parse_retention(v: &Value, e: &mut FieldErrors) -> Option<u32> {
    let days = v
        .as_u64()
        .filter(|d| (1..=u64::from(MAX_RETENTION_DAYS)).contains(d));
    if days.is_none() {
        e.add(
            "audit_retention_days",
            format!("must be a whole number of days from 1 to {MAX_RETENTION_DAYS}"),
        );
    }
    days.map(|d| d as u32)
}

/// `jurisdiction`: where the pool's Durable Objects live (`null` or absent: anywhere).
fn parse_jurisdiction(v: &Value, e: &mut FieldErrors) -> Option<Jurisdiction> {
    let j = v.as_str().and_then(Jurisdiction::parse);
    if j.is_none() && !v.is_null() {
        let names: Vec<&str> = Jurisdiction::ALL.map(Jurisdiction::as_str).to_vec();
        e.add(
            "jurisdiction",
            format!("must be one of {} (or null)", names.join(", ")),
        );
    }
    j
}

fn view(pool: &Pool) -> Value {
    serde_json::to_value(pool).unwrap_or(Value::Null)
}

pub fn default_pool() -> Pool {
    Pool {
        id: DEFAULT_POOL.into(),
        name: "Default".into(),
        branding: Branding::default(),
        created_at: 0,
        audit_retention_days: crate::oidc::audit::DEFAULT_RETENTION_DAYS,
        jurisdiction: None,
        passkey_user_verification: Default::default(),
        mfa: MfaPolicy::default(),
    }
}

/// `passkey_user_verification`: `preferred` or `required` (WebAuthn §5.8.6).
fn parse_user_verification(
    v: &Value,
    e: &mut FieldErrors,
) -> Option<crate::oidc::webauthn::UserVerification> {
    let parsed = serde_json::from_value(v.clone()).ok();
    if parsed.is_none() {
        e.add("passkey_user_verification", "must be preferred or required");
    }
    parsed
}

/// `mfa`: one of the pool MFA policies.
fn parse_mfa(v: &Value, e: &mut FieldErrors) -> Option<MfaPolicy> {
    let p = v.as_str().and_then(MfaPolicy::parse);
    if p.is_none() {
        e.add("mfa", "must be one of off, optional, required");
    }
    p
}

pub async fn route(ctx: &Ctx, mut req: Request, method: Method, rest: &[&str]) -> HttpResult {
    let kv = ctx.kv()?;
    match (rest, method) {
        ([], Method::Get) => {
            let mut items = kv.list_pools().await?;
            if !items.iter().any(|p| p.id == DEFAULT_POOL) {
                items.insert(0, default_pool());
            }
            json(200, &json!({"items": items}))
        }
        ([], Method::Post) => {
            let b = body(&mut req).await?;
            let mut e = FieldErrors::default();
            let id = b["id"].as_str().unwrap_or("").to_string();
            if !valid_id(&id) {
                e.add(
                    "id",
                    "must be a lower-case DNS label of at most 32 characters",
                );
            }
            let name = b["name"].as_str().unwrap_or(&id).to_string();
            let branding = parse_branding(b.get("branding").unwrap_or(&json!({})), &mut e);
            let retention = b
                .get("audit_retention_days")
                .and_then(|v| parse_retention(v, &mut e));
            let jurisdiction = b
                .get("jurisdiction")
                .and_then(|v| parse_jurisdiction(v, &mut e));
            let uv = b
                .get("passkey_user_verification")
                .and_then(|v| parse_user_verification(v, &mut e));
            let mfa = b.get("mfa").and_then(|v| parse_mfa(v, &mut e));
            if !e.is_empty() {
                return invalid(e);
            }
            if id == DEFAULT_POOL || kv.pool(&id).await?.is_some() {
                return conflict("id", "pool id");
            }
            let pool = Pool {
                id,
                name,
                branding,
                created_at: ctx.now,
                audit_retention_days: retention.unwrap_or(default_pool().audit_retention_days),
                jurisdiction,
                passkey_user_verification: uv.unwrap_or_default(),
                mfa: mfa.unwrap_or_default(),
            };
            kv.put_pool(&pool).await?;
            let after = view(&pool);
            ctx.audit.admin_change(
                &pool.id,
                Target::Pool,
                &pool.id,
                Action::Create,
                None,
                Some(&after),
            );
            json(201, &pool)
        }
        ([id], Method::Get) => {
            let pool = kv
                .pool(id)
                .await?
                .or_else(|| (*id == DEFAULT_POOL).then(default_pool));
            json(200, &pool.ok_or(HttpError::NotFound)?)
        }
        ([id], Method::Patch) => {
            let b = body(&mut req).await?;
            let mut pool = kv
                .pool(id)
                .await?
                .or_else(|| (*id == DEFAULT_POOL).then(default_pool))
                .ok_or(HttpError::NotFound)?;
            let before = view(&pool);
            let mut e = FieldErrors::default();
            if let Some(n) = b.get("name").and_then(Value::as_str) {
                pool.name = n.to_string();
            }
            if let Some(br) = b.get("branding") {
                pool.branding = parse_branding(br, &mut e);
            }
            let retention = b
                .get("audit_retention_days")
                .and_then(|v| parse_retention(v, &mut e));
            // Its objects were created where they are and cannot move, so the jurisdiction
            // can be restated but not changed (a new pool and an export/import move users).
            if let Some(v) = b.get("jurisdiction") {
                if parse_jurisdiction(v, &mut e) != pool.jurisdiction && e.is_empty() {
                    e.add(
                        "jurisdiction",
                        "is fixed when the pool is created; to move users, export the pool and import it into a new pool",
                    );
                }
            }
            if let Some(uv) = b
                .get("passkey_user_verification")
                .and_then(|v| parse_user_verification(v, &mut e))
            {
                pool.passkey_user_verification = uv;
            }
            if let Some(p) = b.get("mfa").and_then(|v| parse_mfa(v, &mut e)) {
                pool.mfa = p;
            }
            if !e.is_empty() {
                return invalid(e);
            }
            if let Some(days) = retention {
                pool.audit_retention_days = days;
                // Applied to the log at once (a shorter retention drops old events now).
                let _: Value = audit::call(
                    &ctx.env,
                    &pool.id,
                    Placement::of_pool(&pool),
                    AuditCommand::SetRetention {
                        retention_days: days,
                        now: ctx.now,
                    },
                )
                .await?;
            }
            kv.put_pool(&pool).await?;
            let after = view(&pool);
            ctx.audit.admin_change(
                &pool.id,
                Target::Pool,
                &pool.id,
                Action::Update,
                Some(&before),
                Some(&after),
            );
            json(200, &pool)
        }
        // How many users hold each second factor (the console's pool page).
        ([id, "factors"], Method::Get) => {
            let at = super::placement_of(ctx, id).await?;
            let counts: Value = Directory::new(&ctx.env, id, at)
                .factors(FactorCommand::Counts)
                .await?;
            json(200, &counts)
        }
        ([_, "factors"], _) => method_not_allowed("GET"),
        ([], _) => method_not_allowed("GET, POST"),
        ([_], _) => method_not_allowed("GET, PATCH"),
        ([_, "export"], _) => method_not_allowed("GET"),
        ([_, "import"], _) => method_not_allowed("POST"),
        _ => Err(HttpError::NotFound),
    }
}
