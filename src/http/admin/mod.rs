//! The admin API (`/api/v1/...` on the console host): bearer-token authentication compared in
//! constant time, JSON in and out, field-named validation errors, and the OpenAPI document.
//! The console's static files are served for every other console path.

pub mod accounts;
pub mod applications;
pub mod audit;
pub mod clients;
pub mod console;
pub mod debug;
pub mod initial_access_tokens;
pub mod keys;
pub mod openapi;
pub mod passkeys;
pub mod pool_transfer;
pub mod pools;
pub mod resources;
pub mod sessions;
pub mod user_factors;
pub mod users;

use serde_json::Value;
use subtle::ConstantTimeEq;
use url::Url;
use worker::Request;

use super::api_error::AdminError;
use super::context::Ctx;
use super::forms;
use super::respond::{json, HttpError, HttpResult};
use super::sector_identifier;
use crate::oidc::audit::{AuditEvent, FailureReason, SignInChannel, SignInMethod, What};
use crate::oidc::model::{Client, ADMIN_POOL};
use crate::oidc::registration::FieldErrors;
use crate::store::directory::{Directory, DirectoryCommand};
use crate::store::placement::{Placement, PoolAt};

/// The longest id or path segment the admin API looks up.
const MAX_ID: usize = 128;

/// Default user pool (created on first use).
pub const DEFAULT_POOL: &str = "default";

/// The audit log's actor for calls made with the `ADMIN_TOKEN` bearer secret.
pub const ADMIN_TOKEN_ACTOR: &str = "admin token";

pub async fn route(ctx: &Ctx, req: Request, path: &str, url: &Url) -> HttpResult {
    let Some(rest) = path.strip_prefix("/api/v1") else {
        return super::assets::serve(ctx, &console_asset(path)).await;
    };
    if rest == "/openapi.json" {
        return json(200, &openapi::document());
    }
    if let Some(console_rest) = rest.strip_prefix("/console") {
        let segments: Vec<&str> = console_rest
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        let method = req.method();
        return console::route(ctx, req, method, &segments).await;
    }
    let by_token = match bearer(&req) {
        Some(t) => admin_token_presented(ctx, &req, &t).await?,
        None => false,
    };
    let actor = match by_token {
        true => Some(ADMIN_TOKEN_ACTOR.to_string()),
        false => console::authorized(ctx, &req).await?,
    };
    let Some(actor) = actor else {
        return Err(AdminError::Unauthorized("a valid admin bearer token is required").into());
    };
    // Every event this request records was done by this administrator.
    ctx.audit.set_actor(&actor);
    let segments: Vec<&str> = rest
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    // No id Doorward makes is this long; a longer one could not even be a store key (KV keys
    // are at most 512 bytes), so it names nothing.
    if segments.iter().any(|s| s.len() > MAX_ID) {
        return Err(HttpError::NotFound);
    }
    let method = req.method();
    let pool = query(url, "pool_id").unwrap_or_else(|| DEFAULT_POOL.to_string());
    if pool.len() > MAX_ID || pool.is_empty() {
        return Err(
            AdminError::field("pool_id", format!("must be 1 to {MAX_ID} characters")).into(),
        );
    }
    // The pool's placement (its Durable Objects' jurisdiction), read for the routes that reach
    // its objects; a pool that does not exist has nothing anywhere, so it reads as not pinned.
    let reaches_objects = matches!(
        segments.first().copied(),
        Some("users" | "access-accounts" | "keys" | "sessions" | "audit")
    );
    let placed = PoolAt {
        id: &pool,
        at: match reaches_objects {
            true => placement_of(ctx, &pool).await?,
            false => Placement::GLOBAL,
        },
    };
    match (
        segments.first().copied(),
        &segments[1.min(segments.len())..],
    ) {
        (Some("applications"), rest) => applications::route(ctx, req, method, rest, url).await,
        (Some("users"), rest) => users::route(ctx, req, method, rest, url, placed).await,
        (Some("resources"), rest) => resources::route(ctx, req, method, rest, &pool).await,
        (Some("access-accounts"), rest) => accounts::route(ctx, req, method, rest, placed).await,
        (Some("keys"), rest) => keys::route(ctx, req, method, rest, placed).await,
        (Some("sessions"), rest) => sessions::route(ctx, method, rest, url, placed).await,
        // A pool as one document, in and out (`pool_transfer`).
        (Some("pools"), [id, "export"]) if method == worker::Method::Get => {
            pool_transfer::export(ctx, id).await
        }
        (Some("pools"), [id, "import"]) if method == worker::Method::Post => {
            if !pools::valid_id(id) {
                return Err(HttpError::NotFound);
            }
            let mut req = req;
            pool_transfer::import(ctx, &mut req, id).await
        }
        (Some("pools"), rest) => pools::route(ctx, req, method, rest).await,
        (Some("audit"), rest) => audit::route(ctx, method, rest, url, placed).await,
        (Some("debug"), rest) => debug::route(ctx, req, method, rest).await,
        _ => Err(HttpError::NotFound),
    }
}

fn console_asset(path: &str) -> String {
    match path {
        "/" | "" => "/console/index.html".to_string(),
        p if p.starts_with("/console/") => p.to_string(),
        p => format!("/console{p}"),
    }
}

/// `Authorization: Bearer {ADMIN_TOKEN}`, compared in constant time, and throttled per client
/// address like a password (20 failures in 15 minutes lock that address out for 15 minutes):
/// a lock answers 429 whatever the token, so guessing cannot go on behind it.
pub async fn admin_token_presented(
    ctx: &Ctx,
    req: &Request,
    token: &str,
) -> Result<bool, HttpError> {
    let dir = Directory::new(&ctx.env, ADMIN_POOL, Placement::GLOBAL);
    let key = format!("ip:admin-token:{}", forms::client_ip(req));
    let locked: Option<u64> = dir
        .call(DirectoryCommand::CheckLock {
            key: key.clone(),
            now: ctx.now,
        })
        .await?;
    if locked.is_some() {
        admin_token_refused(ctx, FailureReason::Locked);
        return Err(AdminError::TooManyAttempts.into());
    }
    let ok = !token.is_empty()
        && bool::from(token.as_bytes().ct_eq(ctx.settings.admin_token.as_bytes()));
    if !ok {
        let _: Value = dir
            .call(DirectoryCommand::RecordFailure { key, now: ctx.now })
            .await?;
        admin_token_refused(ctx, FailureReason::WrongToken);
    }
    Ok(ok)
}

/// Where the pool's Durable Objects are (`Pool::jurisdiction`); the console's own pool and a
/// pool with no record (the untouched default, or none at all) are not pinned.
pub async fn placement_of(ctx: &Ctx, pool: &str) -> Result<Placement, HttpError> {
    if pool == ADMIN_POOL {
        return Ok(Placement::GLOBAL);
    }
    Ok(ctx
        .kv()?
        .pool(pool)
        .await?
        .map(|p| Placement::of_pool(&p))
        .unwrap_or(Placement::GLOBAL))
}

/// A refused admin token, in the administrators' pool's log.
fn admin_token_refused(ctx: &Ctx, reason: FailureReason) {
    let what = What::SignInFailed {
        method: SignInMethod::AdminToken,
        channel: SignInChannel::AdminApi,
        reason,
        login: None,
    };
    ctx.audit.record(AuditEvent::new(ADMIN_POOL, what));
}

/// The bearer token of the request, if it sent one.
fn bearer(req: &Request) -> Option<String> {
    let header = req.headers().get("Authorization").ok().flatten()?;
    header.strip_prefix("Bearer ").map(|t| t.trim().to_string())
}

pub fn query(url: &Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// Reads a JSON object body, or a 400 naming `body`.
pub async fn body(req: &mut Request) -> Result<Value, HttpError> {
    let bytes = super::forms::body_bytes(req, crate::oidc::limits::MAX_JSON_BODY).await?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v) if v.is_object() => Ok(v),
        _ => Err(AdminError::field("body", "must be a JSON object").into()),
    }
}

pub fn invalid(errors: FieldErrors) -> HttpResult {
    Err(AdminError::InvalidFields(errors).into())
}

/// OIDC Registration §5: the sector document must be had and list the redirect URIs.
pub async fn check_sector(
    ctx: &Ctx,
    before: Option<&Client>,
    after: &Client,
) -> Result<(), HttpError> {
    match sector_identifier::check(ctx, before, after).await {
        Ok(()) => Ok(()),
        Err(why) => Err(AdminError::field("sector_identifier_uri", why).into()),
    }
}

pub fn conflict(field: &str, what: &str) -> HttpResult {
    Err(AdminError::AlreadyExists {
        field: field.to_string(),
        what: what.to_string(),
    }
    .into())
}

/// 405 naming the methods the path serves (RFC 9110 §15.5.6).
pub fn method_not_allowed(allow: &'static str) -> HttpResult {
    Err(AdminError::MethodNotAllowed(allow).into())
}

pub fn no_content() -> HttpResult {
    Ok(worker::Response::empty()?.with_status(204))
}
