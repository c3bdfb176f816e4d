//! `/api/v1/debug/...`: admin-only probes for tests and benchmarks, off unless the
//! `ENABLE_DEBUG_API` var is `true` (tests and `bench/` set it; production never does).
//! - `codes`, `codes/take`: race N takes of one code through the real Durable Object. The
//!   dummy code record has an empty client id, so no token endpoint accepts it.
//! - `hash`: hash `count` passwords, to time the password hash the same way.
//! - `sign`: sign `count` tokens through the one signing interface, so `bench/` can time a
//!   signature per algorithm from outside (a Worker's clock does not advance while it computes).
//! - `raw-application`: store an application record exactly as given, unvalidated, under its
//!   client id and subdomain — how tests recreate a record that an older release wrote, to
//!   prove it still loads and behaves after an upgrade; `GET raw-application/{id}` reads the
//!   record back exactly as stored (sealed secret included), to turn it into an older shape.
//! - `PUT raw-session`: store an SSO session record exactly as given under the SHA-256 of the
//!   given cookie value — how tests recreate a session an older release wrote (before it
//!   recorded authentication methods), to prove it still reads as a password sign-in; with
//!   `"indexed": true` also its row in the pool's directory as the release before the
//!   directory held sessions wrote it (no record), to prove it is listed and revoked.
//! - `PUT raw-grant` `{kind, id, record, expires_at}`: store a `GrantStore` record exactly as
//!   given under an id of the caller's choosing (`kind` by key prefix: `rtf`, `rev`, `ia`…) —
//!   how tests recreate records an older release wrote under 22-character ids, in the shard
//!   layout of that release (`store::shards`), to prove they are still found after an upgrade.
//! - `POST fetch-grant` `{kind, id}`: read a `GrantStore` record over the object's `fetch`
//!   entry, as a worker of the release before JS RPC calls it during a deploy (`store::rpc`),
//!   to prove the objects still answer it: `{"record": …}` (null when absent or expired).
//! - `PUT raw-throttle` `{user_id, counter}`: store a user's account throttle row of the
//!   default pool exactly as given — how tests recreate a counter an earlier release stored
//!   (with its attempts in flight), to prove its failures and lock still hold after an upgrade.
//! - `DELETE client-mirror/{client_id}`: drop a client's KV mirror only, as KV looks at an
//!   edge it has not reached yet, to prove the registry object answers in its place.
//! - `POST placement/users` `{pool_id, jurisdiction}`: the ids of the users in the pool's
//!   directory object *at that placement* (`null`: the global one), to prove that a pinned
//!   pool's data is in its jurisdiction's objects and nowhere else.
//! - `GET audit-batches`: how many audit-log appends this isolate made and how many events its
//!   requests handed over (`http::audit_batch`), so tests can tell that events were batched.
//! - `GET hot-answers`: how many requests this isolate answered from memory before the async
//!   entry (`http::hot_routes`), so tests can tell that path from the normal one.

use serde_json::{json, Value};
use worker::{Method, Request};

use super::{body, invalid};
use crate::crypto::keys;
use crate::http::admin::DEFAULT_POOL;
use crate::http::context::Ctx;
use crate::http::respond::{json, HttpError, HttpResult};
use crate::oidc::model::ResponseType;
use crate::oidc::model::{Jurisdiction, SigningAlg};
use crate::oidc::records::{CodeRecord, CodeTake, Issued};
use crate::oidc::registration::FieldErrors;
use crate::store::directory::{Directory, DirectoryCommand, SessionIndex};
use crate::store::grants::{Grants, Kind};
use crate::store::placement::{Placement, PoolAt};
use crate::store::shards::token_key;

pub async fn route(ctx: &Ctx, mut req: Request, method: Method, rest: &[&str]) -> HttpResult {
    let enabled = ctx
        .env
        .var("ENABLE_DEBUG_API")
        .map(|v| v.to_string() == "true")
        .unwrap_or(false);
    if !enabled {
        return Err(HttpError::NotFound);
    }
    match (rest, method) {
        (["audit-batches"], Method::Get) => {
            let (appends, events) = crate::http::audit_batch::counts();
            json(200, &json!({"appends": appends, "events": events}))
        }
        (["hot-answers"], Method::Get) => json(
            200,
            &json!({"answered": crate::http::hot_routes::answered()}),
        ),
        (["placement", "users"], Method::Post) => {
            let b = body(&mut req).await?;
            let pool = b["pool_id"].as_str().unwrap_or(DEFAULT_POOL);
            let at = match b["jurisdiction"].as_str() {
                None => Placement::GLOBAL,
                Some(j) => Placement(Some(Jurisdiction::parse(j).ok_or(HttpError::NotFound)?)),
            };
            let page: Vec<Value> = Directory::new(&ctx.env, pool, at)
                .call(DirectoryCommand::ExportUsers {
                    after: None,
                    limit: 1000,
                })
                .await?;
            let ids: Vec<&Value> = page.iter().map(|u| &u["user"]["id"]).collect();
            json(200, &json!({"user_ids": ids}))
        }
        (["hash"], Method::Post) => {
            let b = body(&mut req).await?;
            let count = b["count"].as_u64().unwrap_or(1).min(100);
            for _ in 0..count {
                crate::crypto::password::hash("a benchmark password").await?;
            }
            json(
                200,
                &json!({"count": count, "iterations": crate::crypto::password::ITERATIONS}),
            )
        }
        (["sign"], Method::Post) => {
            let b = body(&mut req).await?;
            let alg = b["alg"]
                .as_str()
                .and_then(SigningAlg::parse)
                .unwrap_or(SigningAlg::RS256);
            let count = b["count"].as_u64().unwrap_or(1).min(1000);
            let claims = json!({"iss": "bench", "sub": "bench-user", "aud": "bench-client", "iat": ctx.now,
                "exp": ctx.now + 3600, "scope": "openid profile email", "jti": "0123456789abcdef01234",
                "name": "A typical user name", "email": "someone@example.com", "email_verified": true});
            let secret = [7u8; 32];
            for _ in 0..count {
                keys::sign_jwt(
                    &ctx.env,
                    &ctx.settings.master_key,
                    PoolAt {
                        id: DEFAULT_POOL,
                        at: Placement::GLOBAL,
                    },
                    alg,
                    "JWT",
                    &claims,
                    Some(&secret),
                )
                .await?;
            }
            json(200, &json!({"alg": alg.as_str(), "count": count}))
        }
        (["raw-session"], Method::Put) => {
            let b = body(&mut req).await?;
            let (Some(cookie), Some(expires_at)) =
                (b["cookie"].as_str(), b["record"]["expires_at"].as_u64())
            else {
                return invalid(FieldErrors(
                    [(
                        "record".to_string(),
                        "cookie and record.expires_at are required".to_string(),
                    )]
                    .into(),
                ));
            };
            Grants::new(&ctx.env, Placement::GLOBAL)
                .put(Kind::Session, &token_key(cookie), &b["record"], expires_at)
                .await?;
            let record = &b["record"];
            if b["indexed"].as_bool() == Some(true) {
                let index = SessionIndex {
                    session_id: record["session_id"].as_str().unwrap_or("").to_string(),
                    user_id: record["user_id"].as_str().unwrap_or("").to_string(),
                    key_hash: token_key(cookie),
                    created_at: record["auth_time"].as_u64().unwrap_or(0),
                    expires_at,
                    record: None,
                };
                let pool = record["pool_id"].as_str().unwrap_or(DEFAULT_POOL);
                let _: Value = Directory::new(&ctx.env, pool, Placement::GLOBAL)
                    .call(DirectoryCommand::RegisterSession { session: index })
                    .await?;
            }
            Ok(worker::Response::empty()?.with_status(204))
        }
        (["raw-grant"], Method::Put) => {
            let b = body(&mut req).await?;
            let kind = b["kind"].as_str().and_then(Kind::from_prefix);
            let (Some(kind), Some(id), Some(expires_at)) =
                (kind, b["id"].as_str(), b["expires_at"].as_u64())
            else {
                return invalid(FieldErrors(
                    [(
                        "kind".to_string(),
                        "a known kind, id and expires_at are required".to_string(),
                    )]
                    .into(),
                ));
            };
            Grants::new(&ctx.env, Placement::GLOBAL)
                .put(kind, id, &b["record"], expires_at)
                .await?;
            Ok(worker::Response::empty()?.with_status(204))
        }
        (["fetch-grant"], Method::Post) => {
            let b = body(&mut req).await?;
            let kind = b["kind"].as_str().and_then(Kind::from_prefix);
            let (Some(kind), Some(id)) = (kind, b["id"].as_str()) else {
                return invalid(FieldErrors(
                    [(
                        "kind".to_string(),
                        "a known kind and id are required".to_string(),
                    )]
                    .into(),
                ));
            };
            let now = worker::Date::now().as_millis() / 1000;
            let record = Grants::new(&ctx.env, Placement::GLOBAL)
                .get_over_fetch(kind, id, now)
                .await?;
            json(200, &json!({ "record": record }))
        }
        (["raw-throttle"], Method::Put) => {
            let b = body(&mut req).await?;
            let Some(user_id) = b["user_id"].as_str() else {
                return invalid(FieldErrors(
                    [("user_id".to_string(), "required".to_string())].into(),
                ));
            };
            let _: Value = Directory::new(&ctx.env, DEFAULT_POOL, Placement::GLOBAL)
                .call(DirectoryCommand::PutRawThrottle {
                    user_id: user_id.to_string(),
                    data: b["counter"].clone(),
                })
                .await?;
            Ok(worker::Response::empty()?.with_status(204))
        }
        (["client-mirror", id], Method::Delete) => {
            ctx.kv()?.remove_text(&format!("client:{id}")).await?;
            Ok(worker::Response::empty()?.with_status(204))
        }
        (["raw-application", id], Method::Get) => match ctx.kv()?.app_by_client_id(id).await? {
            Some(app) => json(200, &app),
            None => Err(HttpError::NotFound),
        },
        (["raw-application"], Method::Put) => {
            let b = body(&mut req).await?;
            let (Some(client_id), Some(subdomain)) =
                (b["client_id"].as_str(), b["subdomain"].as_str())
            else {
                return invalid(FieldErrors(
                    [(
                        "client_id".to_string(),
                        "client_id and subdomain are required".to_string(),
                    )]
                    .into(),
                ));
            };
            ctx.kv()?
                .put_app_json(client_id, subdomain, b.to_string())
                .await?;
            json(200, &json!({"client_id": client_id}))
        }
        (["codes"], Method::Post) => {
            let code = crate::store::grants::new_code(None)?;
            let record = CodeRecord {
                client_id: String::new(),
                pool_id: String::new(),
                user_id: String::new(),
                redirect_uri: String::new(),
                scope: String::new(),
                nonce: None,
                code_challenge: None,
                code_challenge_method: None,
                auth_time: ctx.now,
                session_id: None,
                response_type: ResponseType::Code,
                offline: false,
                expires_at: ctx.now + 60,
                consumed: false,
                replayed: false,
                issued: Issued::default(),
                amr: vec![],
                resource: None,
                claims: Default::default(),
            };
            Grants::new(&ctx.env, Placement::GLOBAL)
                .put_code(&code, &record, None)
                .await?;
            json(201, &json!({"code": code}))
        }
        (["codes", "take"], Method::Post) => {
            let b = body(&mut req).await?;
            let code = b.get("code").and_then(Value::as_str).unwrap_or("");
            match Grants::new(&ctx.env, Placement::GLOBAL)
                .take_code(code, "", ctx.now, Issued::default())
                .await?
            {
                CodeTake::Fresh { .. } => json(200, &json!({"taken": true})),
                CodeTake::Replayed { .. } | CodeTake::Missing | CodeTake::OtherClient => {
                    json(409, &json!({"taken": false}))
                }
            }
        }
        _ => Err(HttpError::NotFound),
    }
}
