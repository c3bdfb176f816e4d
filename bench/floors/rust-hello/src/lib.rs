//! What Doorward's `/healthz` does, and nothing else: the cost of the wasm module, the
//! wasm-bindgen glue and the `worker` crate's request/response conversions.

use worker::{event, Context, Env, Request, Response, Result};

#[event(fetch)]
async fn fetch(_req: Request, _env: Env, _ctx: Context) -> Result<Response> {
    Response::from_json(&serde_json::json!({"status": "ok"}))
}
