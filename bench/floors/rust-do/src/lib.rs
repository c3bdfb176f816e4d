//! One Durable Object round trip per request, and nothing else: the floor under any Doorward
//! endpoint that reads a `GrantStore` shard (introspection's revocation check, by the token's
//! jti). The worker sends a JSON command over the stub's `fetch` and answers the object's JSON
//! answer; the object runs one `SELECT` on a table its constructor creates. Both sides are
//! written the way `src/store/rpc.rs` and `src/objects/grant_store.rs` are (body read by the
//! runtime in one go, the command a tagged serde enum, rows read through `to_array`), so what
//! this costs is the runtime's and the `worker` crate's share of such a call.
//!
//! Routes: `GET /do` calls one fixed object (warm once the first request started it);
//! `GET /do/N` calls one of N objects chosen at random per request (N = 64: warm after a few
//! hundred requests; N = 4096, Doorward's shards per kind: mostly objects that must start).
//! Anything else answers what Doorward's `/healthz` answers.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use worker::{
    durable_object, event, js_sys, wasm_bindgen_futures, web_sys, Context, DurableObject, Env,
    Method, Request, RequestInit, Response, Result, SqlStorage, State,
};

/// The binding host.mjs declares for the object class below.
const BINDING: &str = "KV";
/// The record every request looks for: absent, as a token's jti is in the revocation list of
/// a token that was never revoked.
const KEY: &str = "rev:floor-jti";

/// What the object understands (the shape of `GrantCommand::Get`).
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Command {
    Get { key: String, now: u64 },
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = req.path();
    let name = match path.strip_prefix("/do") {
        Some("") => "rev-warm".to_string(),
        Some(rest) => match rest.strip_prefix('/').and_then(|n| n.parse::<u32>().ok()) {
            Some(n) if n > 0 => {
                let i = (js_sys::Math::random() * f64::from(n)) as u32;
                format!("rev-{n}-{i}")
            }
            _ => return Response::error("not found", 404),
        },
        None => return Response::from_json(&serde_json::json!({"status": "ok"})),
    };
    let now = (worker::Date::now().as_millis() / 1000) as u64;
    let answer = call(&env, &name, &Command::Get { key: KEY.into(), now }).await?;
    Response::from_json(&serde_json::json!({ "value": answer }))
}

/// `store::rpc::call`, without the placement: one POST to the object's stub, its body read as
/// text by the runtime, parsed as JSON.
async fn call(env: &Env, name: &str, cmd: &Command) -> Result<Value> {
    let stub = env.durable_object(BINDING)?.get_by_name(name)?;
    let body = serde_json::to_string(cmd)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let req = Request::new_with_init("https://object/rpc", &init)?;
    let resp = stub.fetch_with_request(req).await?;
    let status = resp.status_code();
    let js: web_sys::Response = resp.into();
    let text = wasm_bindgen_futures::JsFuture::from(js.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    if status != 200 {
        return Err(worker::Error::RustError(format!("{name}: {status} {text}")));
    }
    Ok(serde_json::from_str(&text)?)
}

#[derive(Deserialize)]
struct Row {
    value: String,
}

/// One key-value table in the object's SQLite database.
#[durable_object]
pub struct KvStore {
    sql: SqlStorage,
}

impl KvStore {
    fn get(&self, key: &str) -> Result<Value> {
        let rows: Vec<Row> = self
            .sql
            .exec("SELECT value FROM kv WHERE key = ?", vec![key.into()])?
            .to_array()?;
        Ok(match rows.into_iter().next() {
            Some(r) => serde_json::from_str(&r.value)?,
            None => Value::Null,
        })
    }
}

impl DurableObject for KvStore {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        // Idempotent; runs before any command because the constructor is synchronous.
        let _ = sql.exec(
            "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            None,
        );
        KvStore { sql }
    }

    /// `store::rpc::serve`: parse the command (its body read by the runtime in one go), run
    /// it, answer JSON.
    async fn fetch(&self, req: Request) -> Result<Response> {
        let text = wasm_bindgen_futures::JsFuture::from(req.inner().text()?)
            .await?
            .as_string()
            .unwrap_or_default();
        let cmd: Command = match serde_json::from_str(&text) {
            Ok(c) => c,
            Err(e) => return Response::error(format!("bad command: {e}"), 400),
        };
        match cmd {
            Command::Get { key, now: _ } => match self.get(&key) {
                Ok(v) => Response::from_json(&v),
                Err(e) => Response::error(e.to_string(), 500),
            },
        }
    }
}
