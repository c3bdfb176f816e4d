//! Doorward: an OpenID Connect identity provider on the Workers runtime.
//!
//! `oidc` holds the protocol rules (runtime-free, unit-tested natively); `crypto`, `store`,
//! `objects` and `http` run on the Workers runtime and panic natively if called.

pub mod crypto;
pub mod http;
pub mod jobs;
pub mod objects;
pub mod oidc;
pub mod store;

#[cfg(test)]
mod console_lists_tests;
#[cfg(test)]
mod layering_tests;

pub use objects::{
    audit_log::AuditLog, client_registry::ClientRegistry, grant_store::GrantStore,
    key_vault::KeyVault, user_directory::UserDirectory,
};

use wasm_bindgen::prelude::wasm_bindgen;
use worker::{event, Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent};

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    http::handle(req, env, ctx).await
}

/// The synchronous entry `src/entry.js` tries first for a GET: `/healthz`, or discovery or
/// JWKS from this isolate's memory (`http::hot_routes`), as the response `fetch` would give;
/// `undefined` sends the request to `fetch`. The answer is `[init, body, untilMs, version]`:
/// the `Response`'s init and body (a `Uint8Array`, or `null`), and how long `src/entry.js` may
/// give it again while the isolate's version (`hotWords`) is still `version`.
#[wasm_bindgen(js_name = hotAnswer)]
pub fn hot_answer(url: &str, if_none_match: Option<String>) -> Option<js_sys::Array> {
    let answer = http::hot_routes::answer(url, if_none_match.as_deref())?;
    let body = answer.body.map_or(wasm_bindgen::JsValue::NULL, Into::into);
    Some(js_sys::Array::of4(
        &answer.init,
        &body,
        &answer.until_ms.into(),
        &answer.version.into(),
    ))
}

/// Where `src/entry.js` reads the isolate's version and counts its repeats
/// (`store::isolate_version`): `[memory, versionIndex, repeatsIndex]`, the wasm's
/// `WebAssembly.Memory` and the two words' indices in a `Uint32Array` over its buffer.
#[wasm_bindgen(js_name = hotWords)]
pub fn hot_words() -> js_sys::Array {
    let [version, repeats] = store::isolate_version::word_indices();
    js_sys::Array::of3(&wasm_bindgen::memory(), &version.into(), &repeats.into())
}

/// The cron trigger: scheduled jobs (`jobs`). A failure is logged; the next run retries.
#[event(scheduled)]
async fn scheduled(event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let now = (event.schedule() / 1000.0) as u64;
    match jobs::rotate_keys(&env, now).await {
        Ok(done) => {
            for (pool, changes) in done {
                if changes.as_object().is_some_and(|c| {
                    c.values()
                        .any(|v| v.as_array().is_some_and(|a| !a.is_empty()))
                }) {
                    worker::console_log!("key rotation in pool {pool}: {changes}");
                }
            }
        }
        Err(e) => worker::console_error!("key rotation failed: {e}"),
    }
}
