//! `/api/v1/access-accounts`: programmatic access accounts (access key / secret key) and the
//! `resource:action` permissions they hold. The secret is shown once, at creation; only its
//! SHA-256 is kept (it is 256 random bits, so a slow hash adds nothing). The key's format and
//! its authentication belong to the token layer (`tokens::access_keys`).

use serde_json::{json, Value};
use worker::{Method, Request};

use super::{body, invalid, method_not_allowed, no_content};
use crate::crypto::random;
use crate::http::context::Ctx;
use crate::http::respond::{json, json_no_store, HttpError, HttpResult};
use crate::http::tokens::access_keys::new_access_key;
use crate::oidc::audit::{Action, Target};
use crate::oidc::jws::sha256_b64;
use crate::oidc::model::AccessAccount;
use crate::oidc::registration::{parse_permission, FieldErrors};
use crate::store::directory::{AccountRecord, Directory, DirectoryCommand};
use crate::store::placement::PoolAt;

fn permissions(v: &Value) -> Result<Vec<String>, String> {
    let arr = v
        .as_array()
        .ok_or("must be a list of resource:action strings")?;
    let mut out = Vec::new();
    for p in arr {
        let s = p.as_str().ok_or("must be a list of strings")?;
        if parse_permission(s).is_none() {
            return Err(format!("`{s}` is not resource:action"));
        }
        if !out.iter().any(|o: &String| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

fn changed(
    ctx: &Ctx,
    pool: &str,
    access_key: &str,
    action: Action,
    before: Option<&Value>,
    after: Option<&Value>,
) {
    let target = Target::AccessAccount;
    ctx.audit
        .admin_change(pool, target, access_key, action, before, after);
}

pub async fn route(
    ctx: &Ctx,
    mut req: Request,
    method: Method,
    rest: &[&str],
    pool: PoolAt<'_>,
) -> HttpResult {
    let PoolAt { id: pool, at } = pool;
    let dir = Directory::new(&ctx.env, pool, at);
    match (rest, method) {
        ([], Method::Get) => {
            let items: Vec<AccessAccount> = dir.call(DirectoryCommand::ListAccounts).await?;
            json(200, &json!({"items": items}))
        }
        ([], Method::Post) => {
            let b = body(&mut req).await?;
            let mut e = FieldErrors::default();
            let perms =
                permissions(b.get("permissions").unwrap_or(&json!([]))).unwrap_or_else(|m| {
                    e.add("permissions", m);
                    vec![]
                });
            if !e.is_empty() {
                return invalid(e);
            }
            let secret = random::token()?;
            let account = AccessAccount {
                access_key: new_access_key(pool)?,
                pool_id: pool.to_string(),
                description: b["description"].as_str().unwrap_or("").to_string(),
                permissions: perms,
                disabled: false,
                created_at: ctx.now,
            };
            let created: AccessAccount = dir
                .call(DirectoryCommand::CreateAccount {
                    account,
                    secret_hash: sha256_b64(&secret),
                })
                .await?;
            let mut v = serde_json::to_value(created).unwrap_or_default();
            let id = v["access_key"].as_str().unwrap_or_default().to_string();
            changed(ctx, pool, &id, Action::Create, None, Some(&v));
            v["secret_key"] = json!(secret);
            json_no_store(201, &v)
        }
        ([ak], Method::Get) => {
            let rec: Option<AccountRecord> = dir
                .call(DirectoryCommand::GetAccount {
                    access_key: ak.to_string(),
                })
                .await?;
            json(200, &rec.ok_or(HttpError::NotFound)?.account)
        }
        ([ak], Method::Patch) => {
            let b = body(&mut req).await?;
            let rec: Option<AccountRecord> = dir
                .call(DirectoryCommand::GetAccount {
                    access_key: ak.to_string(),
                })
                .await?;
            let mut account = rec.ok_or(HttpError::NotFound)?.account;
            let before = serde_json::to_value(&account).unwrap_or_default();
            let mut e = FieldErrors::default();
            if let Some(p) = b.get("permissions") {
                match permissions(p) {
                    Ok(p) => account.permissions = p,
                    Err(m) => e.add("permissions", m),
                }
            }
            if let Some(d) = b.get("disabled") {
                match d.as_bool() {
                    Some(x) => account.disabled = x,
                    None => e.add("disabled", "must be true or false"),
                }
            }
            if let Some(d) = b.get("description").and_then(Value::as_str) {
                account.description = d.to_string();
            }
            if !e.is_empty() {
                return invalid(e);
            }
            let saved: Option<AccessAccount> = dir
                .call(DirectoryCommand::UpdateAccount { account })
                .await?;
            let saved = saved.ok_or(HttpError::NotFound)?;
            let after = serde_json::to_value(&saved).unwrap_or_default();
            changed(ctx, pool, ak, Action::Update, Some(&before), Some(&after));
            json(200, &saved)
        }
        ([ak], Method::Delete) => {
            let existed: bool = dir
                .call(DirectoryCommand::DeleteAccount {
                    access_key: ak.to_string(),
                })
                .await?;
            if existed {
                changed(ctx, pool, ak, Action::Delete, None, None);
                no_content()
            } else {
                Err(HttpError::NotFound)
            }
        }
        ([], _) => method_not_allowed("GET, POST"),
        ([_], _) => method_not_allowed("GET, PATCH, DELETE"),
        _ => Err(HttpError::NotFound),
    }
}
