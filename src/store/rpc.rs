//! Calls into Durable Objects: one JSON command in, one JSON answer out, over the stub's
//! `fetch`. The command enums live beside each store so both sides share one definition.

use serde::{de::DeserializeOwned, Serialize};
use worker::{Env, Method, Request, RequestInit};

use super::StoreError;

/// Sends `cmd` to the object `name` of namespace `binding`.
pub async fn call<C: Serialize, R: DeserializeOwned>(
    env: &Env,
    binding: &str,
    name: &str,
    cmd: &C,
) -> Result<R, StoreError> {
    let ns = env.durable_object(binding)?;
    let stub = ns.get_by_name(name)?;
    let body = serde_json::to_string(cmd)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post).with_body(Some(body.into()));
    let req = Request::new_with_init("https://object/rpc", &init)?;
    let mut resp = stub.fetch_with_request(req).await?;
    let text = resp.text().await?;
    if resp.status_code() != 200 {
        return Err(StoreError::Object(format!(
            "{binding}/{name}: {} {text}",
            resp.status_code()
        )));
    }
    Ok(serde_json::from_str(&text)?)
}

/// The object side: parse a command, run it, answer JSON (500 with the error text otherwise;
/// the worker turns that into a logged `server_error`, never shown to the user).
pub async fn serve<C, R, F, Fut>(
    mut req: worker::Request,
    run: F,
) -> worker::Result<worker::Response>
where
    C: DeserializeOwned,
    R: Serialize,
    F: FnOnce(C) -> Fut,
    Fut: std::future::Future<Output = Result<R, StoreError>>,
{
    let text = req.text().await?;
    let cmd: C = match serde_json::from_str(&text) {
        Ok(c) => c,
        Err(e) => return worker::Response::error(format!("bad command: {e}"), 400),
    };
    match run(cmd).await {
        Ok(r) => worker::Response::from_json(&r),
        Err(e) => worker::Response::error(e.to_string(), 500),
    }
}
