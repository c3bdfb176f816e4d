//! Public documents served as pre-serialised bytes: discovery and JWKS are built once per
//! isolate per version (the application's `updated_at`, the JWKS text in KV) and answered
//! with a strong `ETag`, so a client that revalidates gets a 304 and nothing is rebuilt on
//! the hot path.

use std::cell::RefCell;
use std::collections::HashMap;

use worker::{Headers, Response};

use super::respond::HttpResult;
use crate::oidc::jws::sha256_b64;

/// One built document: what it was built from, its bytes, and its entity tag.
struct Built {
    version: String,
    body: Vec<u8>,
    etag: String,
}

const MAX_DOCUMENTS: usize = 2_000;

thread_local! {
    static BUILT: RefCell<HashMap<String, std::rc::Rc<Built>>> = RefCell::new(HashMap::new());
}

/// The document `key` at `version`, built by `build` only when this isolate has not built
/// that version yet; answered as JSON, or 304 when `if_none_match` names its tag.
pub fn serve(
    key: &str,
    version: &str,
    if_none_match: Option<&str>,
    cache_control: &str,
    build: impl FnOnce() -> Result<Vec<u8>, serde_json::Error>,
) -> HttpResult {
    let cached = BUILT.with(|b| {
        b.borrow()
            .get(key)
            .filter(|d| d.version == version)
            .cloned()
    });
    let doc = match cached {
        Some(d) => d,
        None => {
            let body = build().map_err(crate::store::StoreError::from)?;
            let etag = format!("\"{}\"", sha256_b64_bytes(&body));
            let d = std::rc::Rc::new(Built {
                version: version.to_string(),
                body,
                etag,
            });
            BUILT.with(|b| {
                let mut map = b.borrow_mut();
                if map.len() >= MAX_DOCUMENTS {
                    map.clear();
                }
                map.insert(key.to_string(), d.clone());
            });
            d
        }
    };
    let headers = Headers::new();
    headers.set("Cache-Control", cache_control)?;
    headers.set("Access-Control-Allow-Origin", "*")?;
    headers.set("ETag", &doc.etag)?;
    if if_none_match.is_some_and(|tags| {
        tags.split(',')
            .any(|t| t.trim() == doc.etag || t.trim() == "*")
    }) {
        return Ok(Response::empty()?.with_status(304).with_headers(headers));
    }
    headers.set("Content-Type", "application/json")?;
    Ok(Response::from_bytes(doc.body.clone())?.with_headers(headers))
}

/// A short tag of the bytes (the first 16 characters of their SHA-256, base64url).
fn sha256_b64_bytes(body: &[u8]) -> String {
    let full = sha256_b64(&String::from_utf8_lossy(body));
    full.get(..16).unwrap_or(&full).to_string()
}
