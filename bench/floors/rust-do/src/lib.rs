//! One Durable Object call per request, and nothing else: the floor under any Doorward
//! endpoint that reads a `GrantStore` shard (introspection's revocation check, by the token's
//! jti) or writes one (each step of a sign-in puts a record). The worker sends a JSON command
//! and answers the object's JSON answer; a read is one `SELECT` on a table the object's
//! constructor creates, a write one `INSERT OR REPLACE` of an interaction-sized record into
//! GrantStore's `records` table (one SQLite commit: an fsync on this host). Both sides are
//! written the way `src/store/rpc.rs` and `src/objects/grant_store.rs` are (a tagged serde
//! command, rows read through `to_array`), so what this costs is the runtime's and the
//! `worker` crate's share of such a call.
//!
//! Two ways to call the object: over the stub's `fetch` (a Request and a Response, the bodies
//! read by the runtime in one go), as Doorward's `store::rpc::call` does today, or by JS RPC
//! (the object's `call` method, the command's JSON text in and the answer's out), where
//! Doorward's calls are moving. workerd serves RPC only on classes that extend
//! `DurableObject`, which the class wasm-bindgen generates does not: `entry.js` (the main
//! module bench/host/host.mjs loads) wraps it in one.
//!
//! Routes: `GET /do` calls one fixed object over `fetch` (warm once the first request started
//! it); `GET /do/N` calls one of N objects chosen at random per request (N = 64: warm after a
//! few hundred requests; N = 4096, Doorward's shards per kind: mostly objects that must
//! start); `GET /rpc` and `GET /rpc/N` make the same read by RPC; `GET /write/N` writes one
//! record to one of N objects at random by RPC (answering `{"value": true}`). Anything else
//! answers what Doorward's `/healthz` answers.

use std::sync::atomic::{AtomicU32, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use worker::{
    durable_object, event, js_sys, wasm_bindgen_futures, web_sys, Context, DurableObject, Env,
    Method, Request, RequestInit, Response, Result, SqlStorage, State, Stub,
};

/// The binding host.mjs declares for the object class below.
const BINDING: &str = "KV";
/// The record every read looks for: absent, as a token's jti is in the revocation list of
/// a token that was never revoked.
const KEY: &str = "rev:floor-jti";
/// How long a written record lives (an interaction's ten minutes).
const RECORD_SECS: u64 = 600;
/// Keys written cycle through this many (`ia:0` … `ia:4999`), so every table stays bounded.
const WRITE_KEYS: u32 = 5000;
/// Writes made by this isolate, for the next key.
static WRITES: AtomicU32 = AtomicU32::new(0);

/// What the object understands (the shapes of `GrantCommand::Get` and `GrantCommand::Put`).
#[derive(Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
enum Command {
    Get {
        key: String,
        now: u64,
    },
    Put {
        key: String,
        value: Value,
        expires_at: u64,
    },
}

/// How the worker calls the object.
#[derive(Clone, Copy)]
enum Via {
    /// A POST to the stub's `fetch`.
    Fetch,
    /// The object's `call` method, by JS RPC.
    Rpc,
}

#[wasm_bindgen]
extern "C" {
    /// The object's stub as JS RPC sees it: its `call` method (defined on `KvStore` below,
    /// served through entry.js), a promise of the answer's JSON text.
    type KvStoreRpc;

    #[wasm_bindgen(method, js_name = call)]
    fn call(this: &KvStoreRpc, text: &str) -> js_sys::Promise;
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let path = req.path();
    // The route is the first segment ("/do"), the rest ("", "/64") names the object.
    let (route, rest) = match path[1..].find('/') {
        Some(i) => path.split_at(i + 1),
        None => (path.as_str(), ""),
    };
    let now = worker::Date::now().as_millis() / 1000;
    let (via, name, cmd) = match route {
        "/do" | "/rpc" => (
            if route == "/do" { Via::Fetch } else { Via::Rpc },
            object_name(rest, "rev", Some("rev-warm")),
            Command::Get {
                key: KEY.into(),
                now,
            },
        ),
        "/write" => {
            let n = WRITES.fetch_add(1, Ordering::Relaxed) % WRITE_KEYS;
            (
                Via::Rpc,
                object_name(rest, "ia", None),
                Command::Put {
                    key: format!("ia:{n}"),
                    value: interaction(now),
                    expires_at: now + RECORD_SECS,
                },
            )
        }
        _ => return Response::from_json(&json!({"status": "ok"})),
    };
    let Some(name) = name else {
        return Response::error("not found", 404);
    };
    let stub = env.durable_object(BINDING)?.get_by_name(&name)?;
    let body = serde_json::to_string(&cmd)?;
    let text = match via {
        Via::Fetch => call_fetch(stub, &name, body).await?,
        Via::Rpc => call_rpc(stub, &body).await?,
    };
    let answer: Value = serde_json::from_str(&text)?;
    Response::from_json(&json!({ "value": answer }))
}

/// The object a route names: `""` the fixed one (if the route has one), `/N` one of N at
/// random; `None`: no such object.
fn object_name(rest: &str, kind: &str, fixed: Option<&str>) -> Option<String> {
    if rest.is_empty() {
        return fixed.map(String::from);
    }
    let n = rest
        .strip_prefix('/')?
        .parse::<u32>()
        .ok()
        .filter(|&n| n > 0)?;
    let i = (js_sys::Math::random() * f64::from(n)) as u32;
    Some(format!("{kind}-{n}-{i}"))
}

/// A record the size and shape of Doorward's interaction (a pending authorization request):
/// about 200 bytes of JSON.
fn interaction(now: u64) -> Value {
    json!({
        "client_id": "Zmxvb3ItY2xpZW50LWlk",
        "request": {
            "redirect_uri": "https://app.example.com/callback",
            "scope": "openid",
            "state": "af0ifjsldkj3",
        },
        "csrf": "Y3NyZi1mbG9vci10b2tlbg",
        "user_id": null,
        "expires_at": now + RECORD_SECS,
    })
}

/// `store::rpc::call`, without the placement: one POST to the object's stub, its body read as
/// text by the runtime.
async fn call_fetch(stub: Stub, name: &str, body: String) -> Result<String> {
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
    Ok(text)
}

/// The same call by JS RPC: the object's `call` method, a string each way.
async fn call_rpc(stub: Stub, body: &str) -> Result<String> {
    let rpc: KvStoreRpc = stub.into_rpc();
    let answer = wasm_bindgen_futures::JsFuture::from(rpc.call(body)).await?;
    answer
        .as_string()
        .ok_or_else(|| worker::Error::RustError("the object's answer is not text".into()))
}

#[derive(Deserialize)]
struct Row {
    value: String,
}

/// One key-value table in the object's SQLite database for the reads, and GrantStore's
/// `records` table for the writes.
#[durable_object]
pub struct KvStore {
    sql: SqlStorage,
}

impl KvStore {
    /// One command, as GrantStore runs `get` and `put`: its answer (`null`: absent; `true`:
    /// written).
    fn run(&self, cmd: Command) -> Result<Value> {
        match cmd {
            Command::Get { key, now: _ } => {
                let rows: Vec<Row> = self
                    .sql
                    .exec("SELECT value FROM kv WHERE key = ?", vec![key.into()])?
                    .to_array()?;
                Ok(match rows.into_iter().next() {
                    Some(r) => serde_json::from_str(&r.value)?,
                    None => Value::Null,
                })
            }
            Command::Put {
                key,
                value,
                expires_at,
            } => {
                self.sql.exec(
                    "INSERT OR REPLACE INTO records (key, value, expires_at) VALUES (?, ?, ?)",
                    vec![
                        key.into(),
                        serde_json::to_string(&value)?.into(),
                        (expires_at as i64).into(),
                    ],
                )?;
                Ok(Value::Bool(true))
            }
        }
    }
}

/// JS RPC: what entry.js's `KvStore.call` delegates to.
#[wasm_bindgen]
impl KvStore {
    /// The command's JSON text in, the answer's out; a bad command or a failed statement
    /// rejects the call.
    #[wasm_bindgen(js_name = call)]
    pub async fn call_command(&self, text: String) -> std::result::Result<JsValue, JsValue> {
        let fail = |e: &dyn std::fmt::Display| JsValue::from_str(&e.to_string());
        let cmd: Command = serde_json::from_str(&text).map_err(|e| fail(&e))?;
        let answer = self.run(cmd).map_err(|e| fail(&e))?;
        let text = serde_json::to_string(&answer).map_err(|e| fail(&e))?;
        Ok(JsValue::from_str(&text))
    }
}

impl DurableObject for KvStore {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        // Idempotent; runs before any command because the constructor is synchronous. The
        // read's table, and the write's: GrantStore's `records`, with its expiry index.
        let _ = sql.exec(
            "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            None,
        );
        let _ = sql.exec(
            "CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL)",
            None,
        );
        let _ = sql.exec(
            "CREATE INDEX IF NOT EXISTS records_expiry ON records (expires_at)",
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
        match self.run(cmd) {
            Ok(v) => Response::from_json(&v),
            Err(e) => Response::error(e.to_string(), 500),
        }
    }
}
