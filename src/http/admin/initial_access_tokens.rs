//! `/api/v1/applications/{id}/initial-access-tokens`: the tokens (RFC 7591 §3.1) a client
//! must present to register at `{issuer}/reg` when the application's `dynamic_registration`
//! is `initial_access_token`. A token is shown once, when minted; only its hash is kept, with
//! its expiry and an optional number of registrations it may make.

use serde_json::{json, Value};
use worker::{Method, Request};

use super::{body, method_not_allowed, no_content};
use crate::crypto::random;
use crate::http::api_error::AdminError;
use crate::http::context::Ctx;
use crate::http::respond::{json, json_no_store, HttpError, HttpResult};
use crate::oidc::audit::{Action, Target};
use crate::oidc::jws::sha256_b64;
use crate::oidc::model::Application;
use crate::store::clients::{self, InitialAccessToken, RegistryCommand};

/// A day by default; at most thirty.
const DEFAULT_LIFETIME_SECS: u64 = 86_400;
const MAX_LIFETIME_SECS: u64 = 30 * 86_400;

pub async fn route(
    ctx: &Ctx,
    mut req: Request,
    method: Method,
    app: &Application,
    rest: &[&str],
) -> HttpResult {
    match (rest, method) {
        ([], Method::Get) => {
            let items: Vec<InitialAccessToken> = clients::call(
                &ctx.env,
                app.id(),
                RegistryCommand::ListInitialTokens { now: ctx.now },
            )
            .await?;
            let items: Vec<Value> = items.iter().map(view).collect();
            json(200, &json!({"items": items}))
        }
        ([], Method::Post) => {
            let b = body(&mut req).await?;
            mint(ctx, app, &b).await
        }
        ([id], Method::Delete) => {
            let _: Value = clients::call(
                &ctx.env,
                app.id(),
                RegistryCommand::RevokeInitialToken { id: id.to_string() },
            )
            .await?;
            let (pool, target) = (&app.pool_id, Target::InitialAccessToken);
            ctx.audit
                .admin_change(pool, target, id, Action::Revoke, None, None);
            no_content()
        }
        ([], _) => method_not_allowed("GET, POST"),
        ([_], _) => method_not_allowed("DELETE"),
        _ => Err(HttpError::NotFound),
    }
}

fn view(t: &InitialAccessToken) -> Value {
    json!({"id": t.id, "expires_at": t.expires_at, "uses_left": t.uses_left, "created_at": t.created_at})
}

async fn mint(ctx: &Ctx, app: &Application, b: &Value) -> HttpResult {
    if let Some(k) = b.as_object().and_then(|o| {
        o.keys()
            .find(|k| !matches!(k.as_str(), "expires_in" | "uses"))
    }) {
        return Err(AdminError::field(k, "is not a known field").into());
    }
    let expires_in = match b.get("expires_in") {
        None | Some(Value::Null) => DEFAULT_LIFETIME_SECS,
        Some(v) => match v.as_u64() {
            Some(n) if (60..=MAX_LIFETIME_SECS).contains(&n) => n,
            _ => {
                return Err(AdminError::field(
                    "expires_in",
                    format!("must be 60 to {MAX_LIFETIME_SECS} seconds"),
                )
                .into())
            }
        },
    };
    let uses = match b.get("uses") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(n) if n >= 1 => Some(n),
            _ => {
                return Err(AdminError::field(
                    "uses",
                    "must be a whole number of registrations, at least 1",
                )
                .into())
            }
        },
    };
    let token = random::token()?;
    let record = InitialAccessToken {
        id: random::id()?,
        token_hash: sha256_b64(&token),
        expires_at: ctx.now + expires_in,
        uses_left: uses,
        created_at: ctx.now,
    };
    let _: Value = clients::call(
        &ctx.env,
        app.id(),
        RegistryCommand::MintInitialToken {
            token: record.clone(),
        },
    )
    .await?;
    let mut v = view(&record);
    let mut after = v.clone();
    after["application_id"] = json!(app.id());
    let (pool, target) = (&app.pool_id, Target::InitialAccessToken);
    ctx.audit
        .admin_change(pool, target, &record.id, Action::Create, None, Some(&after));
    v["initial_access_token"] = json!(token);
    json_no_store(201, &v)
}
