//! `/api/v1/applications/{id}/clients`: the clients of an application. The primary client
//! (whose id is the application's) lives in the application record and is listed first;
//! every other client — made here or registered dynamically at `{issuer}/reg` — is a record
//! of the application's `ClientRegistry` object, mirrored to KV (`store::clients`).

use serde_json::{json, Value};
use worker::{Method, Request};

use super::{body, check_sector, invalid, method_not_allowed, no_content};
use crate::crypto::random;
use crate::http::api_error::AdminError;
use crate::http::context::Ctx;
use crate::http::respond::{json, json_no_store, HttpError, HttpResult};
use crate::http::tokens::client_secret;
use crate::oidc::audit::{Action, AuditEvent, Target, What};
use crate::oidc::client::{ClientOrigin, ClientRecord};
use crate::oidc::model::{Application, Client};
use crate::oidc::registration::{apply_client, FieldErrors};
use crate::store::clients::{self, RegistryCommand};
use crate::store::placement::Placement;
use crate::store::vault;

pub async fn route(
    ctx: &Ctx,
    mut req: Request,
    method: Method,
    app: Application,
    rest: &[&str],
) -> HttpResult {
    match (rest, method) {
        ([], Method::Get) => {
            let mut items = vec![primary_view(&app)];
            items.extend(list(ctx, &app).await?.iter().map(record_view));
            json(200, &json!({"items": items}))
        }
        ([], Method::Post) => {
            let b = body(&mut req).await?;
            create(ctx, &app, &b).await
        }
        ([id], Method::Get) if *id == app.id() => json(200, &primary_view(&app)),
        ([id], Method::Get) => json(200, &record_view(&load(ctx, &app, id).await?)),
        ([id], Method::Patch) => {
            let b = body(&mut req).await?;
            update(ctx, app, id, &b).await
        }
        ([id], Method::Delete) if *id == app.id() => Err(AdminError::field(
            "client_id",
            "the primary client is the application's own: delete the application instead",
        )
        .into()),
        ([id], Method::Delete) => {
            let before = record_view(&load(ctx, &app, id).await?);
            clients::delete(&ctx.env, app.id(), id).await?;
            changed(ctx, &app, id, Action::Delete, Some(&before), None);
            no_content()
        }
        ([id, "secret"], Method::Get) => {
            let client = client_of(ctx, &app, id).await?;
            if !client.has_secret() {
                return Err(no_secret());
            }
            let secret = client_secret::open(ctx, &client).await?;
            changed(ctx, &app, id, Action::ShowSecret, None, None);
            json_no_store(200, &json!({"client_secret": secret}))
        }
        ([id, "secret"], Method::Post) => rotate_secret(ctx, app, id).await,
        ([], _) => method_not_allowed("GET, POST"),
        ([_], _) => method_not_allowed("GET, PATCH, DELETE"),
        ([_, "secret"], _) => method_not_allowed("GET, POST"),
        _ => Err(HttpError::NotFound),
    }
}

/// An administrator's change to client `id` of `app`, in the application's pool's log.
fn changed(
    ctx: &Ctx,
    app: &Application,
    id: &str,
    action: Action,
    before: Option<&Value>,
    after: Option<&Value>,
) {
    ctx.audit
        .admin_change(&app.pool_id, Target::Client, id, action, before, after);
}

fn no_secret() -> HttpError {
    AdminError::field("client_secret", "this client is public and has no secret").into()
}

/// The clients of `app` besides its primary one, from the registry (authoritative).
pub async fn list(ctx: &Ctx, app: &Application) -> Result<Vec<ClientRecord>, HttpError> {
    Ok(clients::call(&ctx.env, app.id(), RegistryCommand::ListClients).await?)
}

async fn load(ctx: &Ctx, app: &Application, id: &str) -> Result<ClientRecord, HttpError> {
    let record: Option<ClientRecord> = clients::call(
        &ctx.env,
        app.id(),
        RegistryCommand::GetClient {
            client_id: id.to_string(),
        },
    )
    .await?;
    record
        .filter(|r| r.application_id == app.id())
        .ok_or(HttpError::NotFound)
}

async fn client_of(ctx: &Ctx, app: &Application, id: &str) -> Result<Client, HttpError> {
    if id == app.id() {
        Ok(app.client.clone())
    } else {
        Ok(load(ctx, app, id).await?.client)
    }
}

/// A client as the admin sees it: never its secret (shown by create and rotate only).
fn client_view(c: &Client) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("client_secret_encrypted");
        o.insert("has_secret".into(), json!(c.has_secret()));
    }
    v
}

fn primary_view(app: &Application) -> Value {
    let mut v = client_view(&app.client);
    v["application_id"] = json!(app.id());
    v["origin"] = json!("primary");
    v["disabled"] = json!(false);
    v["created_at"] = json!(app.created_at);
    v["updated_at"] = json!(app.updated_at);
    v
}

pub fn record_view(r: &ClientRecord) -> Value {
    let mut v = client_view(&r.client);
    v["application_id"] = json!(r.application_id);
    v["origin"] = json!(r.origin);
    v["disabled"] = json!(r.disabled);
    v["created_at"] = json!(r.created_at);
    v["updated_at"] = json!(r.updated_at);
    v
}

/// `disabled` is the record's, not the client's: taken out of the body before the client
/// rules see it.
fn take_disabled(b: &Value) -> Result<(Value, Option<bool>), HttpError> {
    let mut b = b.clone();
    let disabled = match b.as_object_mut().and_then(|o| o.remove("disabled")) {
        None => None,
        Some(Value::Bool(d)) => Some(d),
        Some(_) => return Err(AdminError::field("disabled", "must be true or false").into()),
    };
    Ok((b, disabled))
}

async fn create(ctx: &Ctx, app: &Application, b: &Value) -> HttpResult {
    let (b, disabled) = take_disabled(b)?;
    let mut client = match apply_client(Client::default(), &b, true) {
        Ok(c) => c,
        Err(e) => return invalid(e),
    };
    check_sector(ctx, None, &client).await?;
    client.client_id = random::id()?;
    // Every client made here gets a secret, as the primary client does: turning a public
    // client confidential later then needs no rotation first.
    let secret = random::token()?;
    client.client_secret_encrypted = client_secret::seal(ctx, &secret).await?;
    let record = ClientRecord {
        application_id: app.id().to_string(),
        client,
        origin: ClientOrigin::Admin,
        disabled: disabled.unwrap_or(false),
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    clients::put(&ctx.env, &record).await?;
    ensure_keys(ctx, app, &record.client).await?;
    let mut v = record_view(&record);
    let id = &record.client.client_id;
    changed(ctx, app, id, Action::Create, None, Some(&v));
    let registered = What::ClientRegistered {
        origin: ClientOrigin::Admin,
    };
    ctx.audit
        .record(AuditEvent::new(&app.pool_id, registered).client(app.id(), id));
    v["client_secret"] = json!(secret);
    json_no_store(201, &v)
}

async fn update(ctx: &Ctx, mut app: Application, id: &str, b: &Value) -> HttpResult {
    let (b, disabled) = take_disabled(b)?;
    if id == app.id() {
        let before_view = primary_view(&app);
        if disabled.is_some() {
            return Err(AdminError::field(
                "disabled",
                "the primary client cannot be disabled: delete the application instead",
            )
            .into());
        }
        let before = app.client.clone();
        app.client = match apply_client(app.client.clone(), &b, false) {
            Ok(c) => c,
            Err(e) => return invalid(e),
        };
        check_sector(ctx, Some(&before), &app.client).await?;
        app.updated_at = ctx.now;
        ctx.kv()?.put_app(&app).await?;
        ensure_keys(ctx, &app, &app.client).await?;
        let after = primary_view(&app);
        changed(
            ctx,
            &app,
            id,
            Action::Update,
            Some(&before_view),
            Some(&after),
        );
        return json(200, &after);
    }
    let mut record = load(ctx, &app, id).await?;
    let before_view = record_view(&record);
    let before = record.client.clone();
    record.client = match apply_client(record.client.clone(), &b, false) {
        Ok(c) => c,
        Err(e) => return invalid(e),
    };
    check_sector(ctx, Some(&before), &record.client).await?;
    if !record.client.is_public() && !record.client.has_secret() {
        let mut e = FieldErrors::default();
        e.add(
            "token_endpoint_auth_method",
            "this client was registered public and has no secret: rotate one first (POST …/secret)",
        );
        return invalid(e);
    }
    if let Some(d) = disabled {
        record.disabled = d;
    }
    record.updated_at = ctx.now;
    clients::put(&ctx.env, &record).await?;
    ensure_keys(ctx, &app, &record.client).await?;
    let after = record_view(&record);
    changed(
        ctx,
        &app,
        id,
        Action::Update,
        Some(&before_view),
        Some(&after),
    );
    json(200, &after)
}

async fn rotate_secret(ctx: &Ctx, mut app: Application, id: &str) -> HttpResult {
    let secret = random::token()?;
    let sealed = client_secret::seal(ctx, &secret).await?;
    let mut v = if id == app.id() {
        app.client.client_secret_encrypted = sealed;
        app.updated_at = ctx.now;
        ctx.kv()?.put_app(&app).await?;
        primary_view(&app)
    } else {
        let mut record = load(ctx, &app, id).await?;
        record.client.client_secret_encrypted = sealed;
        record.updated_at = ctx.now;
        clients::put(&ctx.env, &record).await?;
        record_view(&record)
    };
    changed(ctx, &app, id, Action::RotateSecret, None, None);
    v["client_secret"] = json!(secret);
    json_no_store(200, &v)
}

async fn ensure_keys(ctx: &Ctx, app: &Application, c: &Client) -> Result<(), HttpError> {
    vault::ensure_keys(
        &ctx.env,
        &app.pool_id,
        Placement::of_app(app),
        &c.signing_algs(),
    )
    .await?;
    Ok(())
}
