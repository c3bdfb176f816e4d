//! Calls into Durable Objects: one JSON command in, one JSON answer out, over the stub's
//! `fetch`. The command enums live beside each store so both sides share one definition.

use serde::{de::DeserializeOwned, Serialize};
use worker::{Env, Method, Request, RequestInit};

use super::placement::{self, Placement};
use super::StoreError;

/// Sends `cmd` to the object `name` of namespace `binding`, in the jurisdiction `at` names.
pub async fn call<C: Serialize, R: DeserializeOwned>(
    env: &Env,
    binding: &str,
    at: Placement,
    name: &str,
    cmd: &C,
) -> Result<R, StoreError> {
    let stub = placement::stub(env, binding, at, name)?;
    let body = serde_json::to_string(cmd)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let req = Request::new_with_init("https://object/rpc", &init)?;
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
    Ok(serde_json::from_str(&text)?)
}

/// A body read by the runtime in one go. The `worker` crate's `text()` pulls a streamed
/// body chunk by chunk through Rust, which showed as a tenth of an introspection's CPU on the
/// calling side, and doubled a round trip's cost against JavaScript's on the object's.
async fn whole_text(
    text: Result<js_sys::Promise, wasm_bindgen::JsValue>,
) -> Result<String, String> {
    let promise = text.map_err(|e| format!("{e:?}"))?;
    let value = wasm_bindgen_futures::JsFuture::from(promise)
        .await
        .map_err(|e| format!("{e:?}"))?;
    Ok(value.as_string().unwrap_or_default())
}

/// The object side: parse a command, run it, answer JSON (500 with the error text otherwise;
/// the worker turns that into a logged `server_error`, never shown to the user).
pub async fn serve<C, R, F, Fut>(req: worker::Request, run: F) -> worker::Result<worker::Response>
where
    C: DeserializeOwned,
    R: Serialize,
    F: FnOnce(C) -> Fut,
    Fut: std::future::Future<Output = Result<R, StoreError>>,
{
    let js = req.inner();
    let text = whole_text(js.text())
        .await
        .map_err(|e| worker::Error::RustError(format!("command body: {e}")))?;
    let cmd: C = match serde_json::from_str(&text) {
        Ok(c) => c,
        Err(e) => return worker::Response::error(format!("bad command: {e}"), 400),
    };
    match run(cmd).await {
        Ok(r) => worker::Response::from_json(&r),
        Err(e) => worker::Response::error(e.to_string(), 500),
    }
}
