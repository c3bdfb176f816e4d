//! `GET /api/v1/pools/{id}/export` and `POST /api/v1/pools/{id}/import`: a whole user pool
//! as one JSON document — the pool, its users with their password hashes, its applications
//! with their clients and client secrets, its resources and its access accounts (with their
//! secret hashes) — so a pool moves between Doorward deployments. The export holds secrets:
//! it is as sensitive as the database itself (see the README). Import is additive and can be
//! repeated: what already exists (a user or access key id, a claimed subdomain) is skipped and
//! reported, never overwritten.

use serde_json::{json, Value};
use worker::Request;

use super::applications::{claim, claim_hosts, release};
use super::DEFAULT_POOL;
use crate::crypto::password;
use crate::http::api_error::AdminError;
use crate::http::context::Ctx;
use crate::http::forms;
use crate::http::respond::{json_no_store, HttpError, HttpResult};
use crate::http::second_factor;
use crate::http::tokens::client_secret;
use crate::oidc::audit::{Action, Target};
use crate::oidc::client::ClientRecord;
use crate::oidc::factors::UserFactors;
use crate::oidc::model::{AccessAccount, Application, Pool, Resource, User};
use crate::oidc::webauthn::credential::PasskeyRecord;
use crate::store::clients::{self, RegistryCommand};
use crate::store::directory::{Directory, DirectoryCommand, WriteOutcome};
use crate::store::factors::FactorCommand;
use crate::store::kv::Kv;
use crate::store::passkeys::{Created, Passkeys};
use crate::store::placement::Placement;

pub const FORMAT: &str = "doorward.pool/1";
/// The largest import body; a bigger pool is imported in parts (import is additive).
const MAX_IMPORT_BYTES: usize = 8 * 1024 * 1024;
const PAGE: u32 = 500;

pub async fn export(ctx: &Ctx, pool_id: &str) -> HttpResult {
    let kv = ctx.kv()?;
    let pool = kv
        .pool(pool_id)
        .await?
        .or_else(|| (pool_id == DEFAULT_POOL).then(super::pools::default_pool))
        .ok_or(HttpError::NotFound)?;
    let dir = Directory::new(&ctx.env, pool_id, Placement::of_pool(&pool));
    let mut users: Vec<Value> = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page: Vec<Value> = dir
            .call(DirectoryCommand::ExportUsers {
                after: after.clone(),
                limit: PAGE,
            })
            .await?;
        after = page
            .last()
            .and_then(|u| u["user"]["id"].as_str())
            .map(str::to_string);
        let done = page.len() < PAGE as usize;
        for mut entry in page {
            open_factors(ctx, &mut entry).await?;
            users.push(entry);
        }
        if done || after.is_none() {
            break;
        }
    }
    let mut applications = Vec::new();
    for app in kv
        .list_apps()
        .await?
        .into_iter()
        .filter(|a| a.pool_id == pool_id)
    {
        let records: Vec<ClientRecord> =
            clients::call(&ctx.env, app.id(), RegistryCommand::ListClients).await?;
        let mut others = Vec::new();
        for r in records {
            let secret = opened(ctx, &r.client).await?;
            let mut record = serde_json::to_value(&r).map_err(crate::store::StoreError::from)?;
            strip_sealed(&mut record);
            others.push(json!({"client": record, "client_secret": secret}));
        }
        let secret = opened(ctx, &app.client).await?;
        let mut record = serde_json::to_value(&app).map_err(crate::store::StoreError::from)?;
        strip_sealed(&mut record);
        applications
            .push(json!({"application": record, "client_secret": secret, "clients": others}));
    }
    let resources = kv.list_resources(pool_id).await?;
    let accounts: Vec<Value> = dir.call(DirectoryCommand::ExportAccounts).await?;
    let doc = json!({
        "format": FORMAT, "exported_at": ctx.now, "pool": pool, "users": users,
        "applications": applications, "resources": resources, "access_accounts": accounts,
    });
    // As sensitive as the database: who took it, and when, is in the log.
    let (target, action) = (Target::Pool, Action::Export);
    ctx.audit
        .admin_change(pool_id, target, pool_id, action, None, None);
    let mut resp = json_no_store(200, &doc)?;
    resp.headers_mut().set(
        "Content-Disposition",
        &format!("attachment; filename=\"doorward-pool-{pool_id}.json\""),
    )?;
    Ok(resp)
}

/// A client's secret in the clear (sealed secrets only open under this deployment's
/// `MASTER_KEY`; the importing deployment seals them under its own).
async fn opened(ctx: &Ctx, c: &crate::oidc::model::Client) -> Result<Option<String>, HttpError> {
    if c.has_secret() {
        Ok(Some(client_secret::open(ctx, c).await?))
    } else {
        Ok(None)
    }
}

fn strip_sealed(v: &mut Value) {
    if let Some(o) = v.as_object_mut() {
        o.remove("client_secret_encrypted");
    }
}

/// What an import did.
#[derive(Default)]
struct Report {
    counts: serde_json::Map<String, Value>,
    skipped: Vec<Value>,
}

impl Report {
    fn count(&mut self, kind: &str) {
        let n = self.counts.get(kind).and_then(Value::as_u64).unwrap_or(0);
        self.counts.insert(kind.into(), json!(n + 1));
    }
    fn skip(&mut self, kind: &str, id: &str, reason: impl Into<String>) {
        self.skipped
            .push(json!({"kind": kind, "id": id, "reason": reason.into()}));
    }
}

pub async fn import(ctx: &Ctx, req: &mut Request, pool_id: &str) -> HttpResult {
    let bytes = forms::body_bytes(req, MAX_IMPORT_BYTES).await?;
    let doc: Value = serde_json::from_slice(&bytes)
        .ok()
        .filter(Value::is_object)
        .ok_or_else(|| AdminError::field("body", "must be a pool export (a JSON object)"))?;
    if doc["format"] != FORMAT {
        return Err(AdminError::field("format", format!("must be {FORMAT}")).into());
    }
    let kv = ctx.kv()?;
    let mut report = Report::default();
    // The pool itself: created from the document when it does not exist here yet, with the
    // document's jurisdiction; an existing pool keeps its own (it cannot move), and what is
    // imported into it goes where it is.
    let pool = match kv.pool(pool_id).await? {
        Some(existing) => existing,
        None if pool_id == DEFAULT_POOL => super::pools::default_pool(),
        None => {
            let mut pool: Pool = serde_json::from_value(doc["pool"].clone())
                .map_err(|e| AdminError::field("pool", e.to_string()))?;
            pool.id = pool_id.to_string();
            kv.put_pool(&pool).await?;
            report.count("pools");
            pool
        }
    };
    let dir = Directory::new(&ctx.env, pool_id, Placement::of_pool(&pool));
    for entry in doc["users"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
        let (Ok(user), Some(hash)) = (
            serde_json::from_value::<User>(entry["user"].clone()),
            entry["password_hash"].as_str(),
        ) else {
            report.skip(
                "user",
                entry["user"]["id"].as_str().unwrap_or("?"),
                "not a user entry",
            );
            continue;
        };
        if let Err(e) = password::check_importable(hash) {
            report.skip("user", &user.id, format!("password_hash {e}"));
            continue;
        }
        if dir.user(&user.id).await?.is_some() {
            report.skip("user", &user.id, "already exists");
            continue;
        }
        let id = user.id.clone();
        let out: WriteOutcome<User> = dir
            .call(DirectoryCommand::CreateUser {
                user,
                password_hash: hash.to_string(),
            })
            .await?;
        match out {
            WriteOutcome::Ok { .. } => {
                report.count("users");
                import_factors(ctx, &dir, &id, entry, &mut report).await?;
            }
            WriteOutcome::Conflict { field } => {
                report.skip("user", &id, format!("{field} is taken"))
            }
            WriteOutcome::NotFound => report.skip("user", &id, "not written"),
        }
    }
    for entry in doc["applications"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        import_application(ctx, kv, &pool, entry, &mut report).await?;
    }
    for r in doc["resources"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        match serde_json::from_value::<Resource>(r.clone()) {
            Ok(mut res) => {
                res.pool_id = pool_id.to_string();
                if kv.resource(pool_id, &res.code).await?.is_some() {
                    report.skip("resource", &res.code, "already exists");
                } else {
                    kv.put_resource(&res).await?;
                    report.count("resources");
                }
            }
            Err(_) => report.skip(
                "resource",
                r["code"].as_str().unwrap_or("?"),
                "not a resource",
            ),
        }
    }
    for entry in doc["access_accounts"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let (Ok(mut account), Some(hash)) = (
            serde_json::from_value::<AccessAccount>(entry["account"].clone()),
            entry["secret_hash"].as_str(),
        ) else {
            report.skip("access_account", "?", "not an access account entry");
            continue;
        };
        account.pool_id = pool_id.to_string();
        let existing: Value = dir
            .call(DirectoryCommand::GetAccount {
                access_key: account.access_key.clone(),
            })
            .await?;
        if !existing.is_null() {
            report.skip("access_account", &account.access_key, "already exists");
            continue;
        }
        let _: Value = dir
            .call(DirectoryCommand::CreateAccount {
                account,
                secret_hash: hash.to_string(),
            })
            .await?;
        report.count("access_accounts");
    }
    let imported = json!({"imported": report.counts, "skipped": report.skipped.len()});
    let (target, action) = (Target::Pool, Action::Import);
    ctx.audit
        .admin_change(pool_id, target, pool_id, action, None, Some(&imported));
    json_no_store(
        200,
        &json!({"imported": report.counts, "skipped": report.skipped}),
    )
}

/// The user's authenticator-app secret as the document carries it: opened (base64url in
/// `factors.totp.secret`), since this deployment's `MASTER_KEY` means nothing to another;
/// recovery-code hashes (bound to the user id, which the import keeps) and passkeys' public
/// keys travel as stored.
async fn open_factors(ctx: &Ctx, entry: &mut Value) -> Result<(), HttpError> {
    let Some(totp) = entry
        .get_mut("factors")
        .and_then(|f| f.get_mut("totp"))
        .and_then(Value::as_object_mut)
    else {
        return Ok(());
    };
    if let Some(Value::String(sealed)) = totp.remove("sealed_secret") {
        let raw = second_factor::open_secret(ctx, &sealed).await?;
        totp.insert("secret".into(), json!(crate::oidc::jws::b64(&raw)));
    }
    Ok(())
}

/// The second factors and passkeys of a user the import just created: the app's secret
/// sealed under this deployment's key, the rest as exported. Passkeys sign in only where the
/// relying party ID is the same (the same base domain or custom host).
async fn import_factors(
    ctx: &Ctx,
    dir: &Directory<'_>,
    user_id: &str,
    entry: &Value,
    report: &mut Report,
) -> Result<(), HttpError> {
    if let Some(f) = entry.get("factors").filter(|f| f.is_object()) {
        let mut f = f.clone();
        let secret = f["totp"]["secret"]
            .as_str()
            .map(crate::oidc::jws::b64_decode);
        match secret {
            Some(Some(raw)) if raw.len() >= 10 => {
                let sealed = second_factor::seal_for(ctx, None, &raw).await?;
                if let Some(t) = f["totp"].as_object_mut() {
                    t.remove("secret");
                    t.insert("sealed_secret".into(), json!(sealed));
                }
            }
            Some(_) => {
                report.skip(
                    "totp",
                    user_id,
                    "factors.totp.secret must be base64url of the secret",
                );
                if let Some(o) = f.as_object_mut() {
                    o.remove("totp");
                }
            }
            None => {}
        }
        match serde_json::from_value::<UserFactors>(f) {
            Ok(factors) if !factors.is_empty() => {
                let _: Value = dir
                    .call_factors(FactorCommand::Import {
                        user_id: user_id.to_string(),
                        factors,
                    })
                    .await?;
                report.count("second_factors");
            }
            Ok(_) => {}
            Err(e) => report.skip("factors", user_id, e.to_string()),
        }
    }
    let passkeys = Passkeys::from_directory(dir);
    for p in entry["passkeys"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        match serde_json::from_value::<PasskeyRecord>(p.clone()) {
            Ok(mut record) => {
                record.user_id = user_id.to_string();
                let id = record.credential_id.clone();
                match passkeys.create(record).await? {
                    Created::Created => report.count("passkeys"),
                    Created::Taken => {
                        report.skip("passkey", &id, "the credential is registered already")
                    }
                    Created::Full => {
                        report.skip("passkey", &id, "the user holds the most passkeys one may")
                    }
                    Created::NoUser => report.skip("passkey", &id, "the user is not there"),
                }
            }
            Err(e) => report.skip("passkey", user_id, e.to_string()),
        }
    }
    Ok(())
}

/// One application with its clients: keeps its id (so integrations keep their client ids),
/// claims its subdomain and hosts, and seals its secrets under this deployment's key.
async fn import_application(
    ctx: &Ctx,
    kv: &Kv,
    pool: &Pool,
    entry: &Value,
    report: &mut Report,
) -> Result<(), HttpError> {
    let pool_id = pool.id.as_str();
    let mut record = entry["application"].clone();
    let id = record["client_id"].as_str().unwrap_or("?").to_string();
    if let Some(o) = record.as_object_mut() {
        o.insert("client_secret_encrypted".into(), json!(""));
        o.insert("pool_id".into(), json!(pool_id));
    }
    let Ok(mut app) = serde_json::from_value::<Application>(record) else {
        report.skip("application", &id, "not an application record");
        return Ok(());
    };
    app.jurisdiction = pool.jurisdiction;
    if kv.app_by_client_id(&id).await?.is_some() {
        report.skip("application", &id, "already exists");
        return Ok(());
    }
    if !claim(ctx, &app.subdomain, &id).await? {
        report.skip(
            "application",
            &id,
            format!("subdomain {} is taken", app.subdomain),
        );
        return Ok(());
    }
    if claim_hosts(ctx, &app.custom_domains, &[], &id)
        .await?
        .is_some()
    {
        release(ctx, &app.subdomain, &id).await?;
        report.skip("application", &id, "a custom domain is taken");
        return Ok(());
    }
    if let Some(s) = entry["client_secret"].as_str() {
        app.client.client_secret_encrypted = client_secret::seal(ctx, s).await?;
    }
    kv.put_app(&app).await?;
    report.count("applications");
    for c in entry["clients"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
    {
        let mut rec = c["client"].clone();
        if let Some(o) = rec.as_object_mut() {
            o.insert("client_secret_encrypted".into(), json!(""));
            o.insert("application_id".into(), json!(id));
        }
        let Ok(mut rec) = serde_json::from_value::<ClientRecord>(rec) else {
            report.skip(
                "client",
                c["client"]["client_id"].as_str().unwrap_or("?"),
                "not a client record",
            );
            continue;
        };
        if let Some(s) = c["client_secret"].as_str() {
            rec.client.client_secret_encrypted = client_secret::seal(ctx, s).await?;
        }
        clients::put(&ctx.env, &rec).await?;
        report.count("clients");
    }
    Ok(())
}
