//! Calls into Durable Objects: one JSON command in, one JSON answer out. The worker calls the
//! object's JS RPC method `command(text)` (the classes `src/entry.js` wraps around the
//! generated ones); the object also still answers the same command POSTed to its `fetch`, so
//! a worker of the previous release, still running during a deploy, reaches the new objects.
//! The command enums live beside each store so both sides share one definition.
//!
//! Why RPC: a call over the stub's `fetch` builds a `Request` on this side and a `Response`
//! on the object's, each with its headers and body stream, and the `worker` crate converts
//! both. `bench/floors/rust-do` measured a read round trip at 0.257 ms of CPU that way and
//! 0.165 ms by RPC (one of 64 objects, the whole workerd).

use std::future::Future;

use serde::{de::DeserializeOwned, Serialize};
use serde_json::Value;
use wasm_bindgen::{prelude::wasm_bindgen, JsCast, JsValue};
use worker::Env;

use super::placement::{self, Placement};
use super::StoreError;

/// The method every object class answers commands on (`src/entry.js` declares it on the
/// classes workerd instantiates; `crate::objects::command_entry!` defines it in wasm).
pub const METHOD: &str = "command";

#[wasm_bindgen]
extern "C" {
    /// A Durable Object stub seen through JS RPC.
    type CommandStub;
    #[wasm_bindgen(method, js_name = command)]
    fn command(this: &CommandStub, text: &str) -> js_sys::Promise;
}

/// A Durable Object that runs one command enum. Both of its entries (JS RPC and `fetch`)
/// parse a command and run it through here.
pub trait CommandObject {
    type Command: DeserializeOwned;
    fn run_command(&self, cmd: Self::Command) -> impl Future<Output = Result<Answer, StoreError>>;
}

/// A command's answer: the JSON text that goes back to the caller. The sign-in's commands
/// write it straight from their answer's type (`of`) or give a record as stored (`stored`),
/// without building a `serde_json::Value` first and writing that out; the rest answer a
/// `Value` (`From`). The text is the same either way, but for the order of an object's keys,
/// which no reader depends on.
#[derive(Debug)]
pub struct Answer(String);

impl Answer {
    pub fn of<T: Serialize + ?Sized>(value: &T) -> Result<Answer, StoreError> {
        Ok(Answer(serde_json::to_string(value)?))
    }

    /// JSON text as the object stored it (written by `serde_json`, so well-formed).
    pub fn stored(text: String) -> Answer {
        Answer(text)
    }

    pub fn null() -> Answer {
        Answer("null".into())
    }

    pub fn text(&self) -> &str {
        &self.0
    }
}

impl From<Value> for Answer {
    fn from(value: Value) -> Answer {
        Answer(value.to_string())
    }
}

/// How a command travels to its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// JS RPC, `stub.command(text)` (falling back to `Fetch` for an object of the release
    /// before it): what every store client uses.
    Rpc,
    /// POSTed to the object's `fetch`, as the previous release did: only the debug probe
    /// `debug/fetch-grant` asks for it, to prove that the objects answer workers of that
    /// release while a deploy replaces them.
    Fetch,
}

/// Sends `cmd` to the object `name` of namespace `binding`, in the jurisdiction `at` names.
pub async fn call<C: Serialize, R: DeserializeOwned>(
    env: &Env,
    binding: &str,
    at: Placement,
    name: &str,
    cmd: &C,
) -> Result<R, StoreError> {
    call_by(Transport::Rpc, env, binding, at, name, cmd).await
}

/// `call` over the transport given. Generic only in what it serialises and parses: the round
/// trips are not, so the wasm holds one copy of each.
pub async fn call_by<C: Serialize, R: DeserializeOwned>(
    transport: Transport,
    env: &Env,
    binding: &str,
    at: Placement,
    name: &str,
    cmd: &C,
) -> Result<R, StoreError> {
    let body = serde_json::to_string(cmd)?;
    let text = match transport {
        Transport::Rpc => command_text(env, binding, at, name, body).await?,
        Transport::Fetch => fetch_text(env, binding, at, name, body).await?,
    };
    Ok(serde_json::from_str(&text)?)
}

/// The round trip of `call`, once for every command type.
async fn command_text(
    env: &Env,
    binding: &str,
    at: Placement,
    name: &str,
    body: String,
) -> Result<String, StoreError> {
    let stub: CommandStub = placement::stub(env, binding, at, name)?.into_rpc();
    let answer = match wasm_bindgen_futures::JsFuture::from(stub.command(&body)).await {
        Ok(answer) => answer,
        Err(e) => {
            let message = message_of(&e);
            // An object still running the previous release (a deploy in progress) has no
            // `command`; the runtime refuses before anything ran, so the old way is safe.
            if refused_as_unknown_to_rpc(&message) {
                return fetch_text(env, binding, at, name, body).await;
            }
            return Err(StoreError::Object(format!("{binding}/{name}: {message}")));
        }
    };
    answer
        .as_string()
        .ok_or_else(|| StoreError::Object(format!("{binding}/{name}: the answer is not text")))
}

/// Whether the runtime refused an RPC call because the object's class, as deployed, does not
/// serve it: a class of the release before RPC (not declared `extends DurableObject`), or one
/// without a `command` method. workerd throws these before the call reaches the object.
fn refused_as_unknown_to_rpc(message: &str) -> bool {
    message.starts_with("The receiving Durable Object does not support RPC")
        || message.starts_with(&format!(
            "The RPC receiver does not implement the method \"{METHOD}\""
        ))
}

/// The text of an error thrown across RPC (an `Error`'s message, or the value itself).
fn message_of(e: &JsValue) -> String {
    match e.dyn_ref::<js_sys::Error>() {
        Some(err) => String::from(err.message()),
        None => e.as_string().unwrap_or_else(|| format!("{e:?}")),
    }
}

/// The object side of RPC: parse the command, run it, answer the JSON text. A command that
/// does not parse, or fails, is thrown as an `Error` with the reason; the worker turns it
/// into a logged `server_error`, never shown to the user.
pub async fn answer<O: CommandObject>(object: &O, text: String) -> Result<JsValue, JsValue> {
    let fail = |e: String| JsValue::from(js_sys::Error::new(&e));
    let cmd: O::Command =
        serde_json::from_str(&text).map_err(|e| fail(format!("bad command: {e}")))?;
    let answer = object
        .run_command(cmd)
        .await
        .map_err(|e| fail(e.to_string()))?;
    Ok(JsValue::from_str(answer.text()))
}

/// A body read by the runtime in one go. The `worker` crate's `text()` pulls a streamed
/// body chunk by chunk through Rust, which doubled a round trip's cost against JavaScript's
/// on the object's side.
async fn whole_text(
    text: Result<js_sys::Promise, wasm_bindgen::JsValue>,
) -> Result<String, String> {
    let promise = text.map_err(|e| format!("{e:?}"))?;
    let value = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| format!("{e:?}"))?;
    Ok(value.as_string().unwrap_or_default())
}

/// The object side of `fetch`, for callers of the previous release: parse a command, run it,
/// answer JSON (500 with the error text otherwise).
pub async fn serve<O: CommandObject>(
    object: &O,
    req: worker::Request,
) -> worker::Result<worker::Response> {
    let js = req.inner();
    let text = whole_text(js.text())
        .await
        .map_err(|e| worker::Error::RustError(format!("command body: {e}")))?;
    let cmd: O::Command = match serde_json::from_str(&text) {
        Ok(c) => c,
        Err(e) => return worker::Response::error(format!("bad command: {e}"), 400),
    };
    match object.run_command(cmd).await {
        Ok(answer) => {
            let headers = worker::Headers::new();
            headers.set("Content-Type", "application/json")?;
            Ok(worker::Response::ok(answer.0)?.with_headers(headers))
        }
        Err(e) => worker::Response::error(e.to_string(), 500),
    }
}

/// The round trip over the object's `fetch` (`Transport::Fetch`, and `command_text`'s
/// fallback), once for every command type.
async fn fetch_text(
    env: &Env,
    binding: &str,
    at: Placement,
    name: &str,
    body: String,
) -> Result<String, StoreError> {
    let stub = placement::stub(env, binding, at, name)?;
    let mut init = worker::RequestInit::new();
    init.with_method(worker::Method::Post)
        .with_body(Some(body.into()));
    let req = worker::Request::new_with_init("https://object/rpc", &init)?;
    let resp = stub.fetch_with_request(req).await?;
    let status = resp.status_code();
    let js: web_sys::Response = resp.into();
    let text = whole_text(js.text())
        .await
        .map_err(|e| StoreError::Runtime(format!("{binding}/{name}: body: {e}")))?;
    if status != 200 {
        return Err(StoreError::Object(format!(
            "{binding}/{name}: {status} {text}"
        )));
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::refused_as_unknown_to_rpc;

    #[test]
    fn only_the_runtimes_refusals_of_an_object_unknown_to_rpc_fall_back_to_fetch() {
        // What workerd throws (read off this runtime), for a class of the release before RPC
        // and for one without the method.
        for refused in [
            "The receiving Durable Object does not support RPC, because its class was not \
             declared with `extends DurableObject`. In order to enable RPC, make sure your class \
             extends the special class `DurableObject`, which can be imported from the module \
             \"cloudflare:workers\".",
            "The RPC receiver does not implement the method \"command\".",
        ] {
            assert!(refused_as_unknown_to_rpc(refused), "{refused}");
        }
        // Anything the object itself answered, or a failure after the call reached it, must
        // not be sent again: a command may have run.
        for ran in [
            "bad command: unknown variant `nope`",
            "The RPC receiver does not implement the method \"other\".",
            "Durable Object reset because its code was updated.",
            "object: take_code: storage failed",
        ] {
            assert!(!refused_as_unknown_to_rpc(ran), "{ran}");
        }
    }
}
