//! `/api/v1/applications`: create, read, update, delete an application and rotate its secret.
//! The subdomain is reserved in the registry object first (KV cannot make it unique), then the
//! record is written to KV under both its client id and its subdomain.

use serde_json::{json, Value};
use url::Url;
use worker::{Method, Request};

use super::{body, check_sector, conflict, invalid, method_not_allowed, no_content, DEFAULT_POOL};
use crate::crypto::random;
use crate::http::context::Ctx;
use crate::http::respond::{json, json_no_store, HttpError, HttpResult};
use crate::http::tokens::client_secret;
use crate::oidc::audit::{Action, AuditEvent, Target, What};
use crate::oidc::client::ClientOrigin;
use crate::oidc::issuer::issuer_for;
use crate::oidc::model::{Application, Client};
use crate::oidc::registration::{apply_application, new_application};
use crate::store::clients;
use crate::store::directory::{Directory, DirectoryCommand};

pub async fn route(
    ctx: &Ctx,
    mut req: Request,
    method: Method,
    rest: &[&str],
    url: &Url,
) -> HttpResult {
    let origin = url.origin().ascii_serialization();
    match (rest, method) {
        ([], Method::Get) => {
            let apps = ctx.kv()?.list_apps().await?;
            let items: Vec<Value> = apps.iter().map(|a| view(ctx, a, &origin)).collect();
            json(200, &json!({"items": items}))
        }
        ([], Method::Post) => {
            let b = body(&mut req).await?;
            create(ctx, &b, &origin).await
        }
        ([id], Method::Get) => {
            let app = load(ctx, id).await?;
            json(200, &view(ctx, &app, &origin))
        }
        ([id], Method::Patch) => {
            let b = body(&mut req).await?;
            update(ctx, id, &b, &origin).await
        }
        ([id], Method::Delete) => {
            let app = load(ctx, id).await?;
            let before = view(ctx, &app, &origin);
            ctx.audit.admin_change(
                &app.pool_id,
                Target::Application,
                app.id(),
                Action::Delete,
                Some(&before),
                None,
            );
            // Its other clients go with it (each from the registry and from KV).
            for record in super::clients::list(ctx, &app).await? {
                clients::delete(&ctx.env, app.id(), &record.client.client_id).await?;
            }
            ctx.kv()?.delete_app(&app).await?;
            release(ctx, &app.subdomain, &app.client.client_id).await?;
            for host in &app.custom_domains {
                release(ctx, &host_claim(host), &app.client.client_id).await?;
            }
            no_content()
        }
        ([id, "clients", rest @ ..], method) => {
            let app = load(ctx, id).await?;
            super::clients::route(ctx, req, method, app, rest).await
        }
        ([id, "initial-access-tokens", rest @ ..], method) => {
            let app = load(ctx, id).await?;
            super::initial_access_tokens::route(ctx, req, method, &app, rest).await
        }
        ([id, "secret"], Method::Get) => {
            let app = load(ctx, id).await?;
            let secret = client_secret::open(ctx, &app.client).await?;
            secret_event(ctx, &app, Action::ShowSecret);
            json_no_store(200, &json!({"client_secret": secret}))
        }
        ([id, "secret"], Method::Post) => {
            let mut app = load(ctx, id).await?;
            let secret = random::token()?;
            app.client.client_secret_encrypted = client_secret::seal(ctx, &secret).await?;
            app.updated_at = ctx.now;
            ctx.kv()?.put_app(&app).await?;
            secret_event(ctx, &app, Action::RotateSecret);
            let mut v = view(ctx, &app, &origin);
            v["client_secret"] = json!(secret);
            json_no_store(200, &v)
        }
        ([], _) => method_not_allowed("GET, POST"),
        ([_], _) => method_not_allowed("GET, PATCH, DELETE"),
        ([_, "secret"], _) => method_not_allowed("GET, POST"),
        _ => Err(HttpError::NotFound),
    }
}

/// An administrator saw or replaced the primary client's secret (never its value).
fn secret_event(ctx: &Ctx, app: &Application, action: Action) {
    let id = app.id();
    ctx.audit
        .admin_change(&app.pool_id, Target::Application, id, action, None, None);
}

async fn load(ctx: &Ctx, client_id: &str) -> Result<Application, HttpError> {
    ctx.kv()?
        .app_by_client_id(client_id)
        .await?
        .ok_or(HttpError::NotFound)
}

/// The admin view: never the secret (it is shown by create and rotate only).
pub fn view(ctx: &Ctx, app: &Application, origin: &str) -> Value {
    let mut v = serde_json::to_value(app).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("client_secret_encrypted");
        // Custom hosts are served over https only (their certificates come from the edge).
        let custom: Vec<String> = app
            .custom_domains
            .iter()
            .map(|h| format!("https://{h}/oidc"))
            .collect();
        o.insert("custom_issuers".into(), json!(custom));
        o.insert(
            "issuer".into(),
            json!(issuer_for(
                origin,
                &app.subdomain,
                ctx.settings.base_domain.as_deref()
            )),
        );
    }
    v
}

/// A custom host's name in the registry, beside the subdomains (which contain no dot).
pub(super) fn host_claim(host: &str) -> String {
    format!("host:{host}")
}

pub(super) async fn release(ctx: &Ctx, name: &str, client_id: &str) -> Result<(), HttpError> {
    let _: Value = Directory::registry(&ctx.env)
        .call(DirectoryCommand::ReleaseSubdomain {
            subdomain: name.to_string(),
            client_id: client_id.to_string(),
        })
        .await?;
    Ok(())
}

/// Claims every host in `hosts` not yet this application's; on a conflict releases what it
/// claimed here and names the host. A host under the base domain is refused: it is a subdomain.
pub(super) async fn claim_hosts(
    ctx: &Ctx,
    hosts: &[String],
    already: &[String],
    client_id: &str,
) -> Result<Option<HttpResult>, HttpError> {
    if let Some(base) = ctx.settings.base_domain.as_deref() {
        if let Some(h) = hosts
            .iter()
            .find(|h| *h == base || h.ends_with(&format!(".{base}")))
        {
            let mut e = crate::oidc::registration::FieldErrors::default();
            e.add(
                "custom_domains",
                format!("`{h}` is under the base domain: use the subdomain instead"),
            );
            return Ok(Some(invalid(e)));
        }
    }
    let mut claimed = Vec::new();
    for h in hosts.iter().filter(|h| !already.contains(h)) {
        if claim(ctx, &host_claim(h), client_id).await? {
            claimed.push(h.clone());
        } else {
            for c in &claimed {
                release(ctx, &host_claim(c), client_id).await?;
            }
            return Ok(Some(conflict("custom_domains", h)));
        }
    }
    Ok(None)
}

pub(super) async fn claim(ctx: &Ctx, subdomain: &str, client_id: &str) -> Result<bool, HttpError> {
    Ok(Directory::registry(&ctx.env)
        .call(DirectoryCommand::ClaimSubdomain {
            subdomain: subdomain.to_string(),
            client_id: client_id.to_string(),
        })
        .await?)
}

async fn create(ctx: &Ctx, b: &Value, origin: &str) -> HttpResult {
    let pool_id = b
        .get("pool_id")
        .and_then(Value::as_str)
        .unwrap_or(DEFAULT_POOL)
        .to_string();
    let mut app = match apply_application(
        new_application(&pool_id, Client::default(), ctx.now),
        b,
        true,
    ) {
        Ok(a) => a,
        Err(e) => return invalid(e),
    };
    check_sector(ctx, None, &app.client).await?;
    let pool = match pool_id.len() <= 64 {
        true => ctx.kv()?.pool(&pool_id).await?,
        false => None,
    };
    if pool.is_none() && pool_id != DEFAULT_POOL {
        let mut e = crate::oidc::registration::FieldErrors::default();
        e.add(
            "pool_id",
            "no such user pool (create it with POST /api/v1/pools)",
        );
        return invalid(e);
    }
    // The issuer's requests place their Durable Object calls by this copy (`Placement`).
    app.jurisdiction = pool.and_then(|p| p.jurisdiction);
    let client_id = random::id()?;
    if !claim(ctx, &app.subdomain, &client_id).await? {
        return conflict("subdomain", "subdomain");
    }
    if let Some(refused) = claim_hosts(ctx, &app.custom_domains, &[], &client_id).await? {
        release(ctx, &app.subdomain, &client_id).await?;
        return refused;
    }
    let secret = random::token()?;
    app.client.client_id = client_id;
    app.client.client_secret_encrypted = client_secret::seal(ctx, &secret).await?;
    ctx.kv()?.put_app(&app).await?;
    let mut v = view(ctx, &app, origin);
    ctx.audit.admin_change(
        &app.pool_id,
        Target::Application,
        app.id(),
        Action::Create,
        None,
        Some(&v),
    );
    let registered = What::ClientRegistered {
        origin: ClientOrigin::Admin,
    };
    ctx.audit.record(AuditEvent::of_app(&app, registered));
    v["client_secret"] = json!(secret);
    json_no_store(201, &v)
}

async fn update(ctx: &Ctx, client_id: &str, b: &Value, origin: &str) -> HttpResult {
    let current = load(ctx, client_id).await?;
    let mut app = match apply_application(current.clone(), b, false) {
        Ok(a) => a,
        Err(e) => return invalid(e),
    };
    check_sector(ctx, Some(&current.client), &app.client).await?;
    let old_subdomain = current.subdomain.clone();
    let old_hosts = current.custom_domains.clone();
    if let Some(refused) =
        claim_hosts(ctx, &app.custom_domains, &old_hosts, &app.client.client_id).await?
    {
        return refused;
    }
    if app.subdomain != old_subdomain && !claim(ctx, &app.subdomain, &app.client.client_id).await? {
        return conflict("subdomain", "subdomain");
    }
    app.updated_at = ctx.now;
    let kv = ctx.kv()?;
    kv.put_app(&app).await?;
    if app.subdomain != old_subdomain {
        kv.delete_subdomain(&old_subdomain).await?;
        release(ctx, &old_subdomain, &app.client.client_id).await?;
    }
    for gone in old_hosts.iter().filter(|h| !app.custom_domains.contains(h)) {
        kv.delete_host(gone).await?;
        release(ctx, &host_claim(gone), &app.client.client_id).await?;
    }
    let (before, after) = (view(ctx, &current, origin), view(ctx, &app, origin));
    ctx.audit.admin_change(
        &app.pool_id,
        Target::Application,
        app.id(),
        Action::Update,
        Some(&before),
        Some(&after),
    );
    json(200, &after)
}
