//! Public documents served as pre-serialised bytes: discovery and JWKS are built once per
//! isolate per version (the application's `updated_at`, the JWKS text in KV) and answered
//! with a strong `ETag`, so a client that revalidates gets a 304 and nothing is rebuilt on
//! the hot path. `hot_routes` answers from the same built documents through `respond`.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use worker::{Headers, Response};

use super::respond::HttpResult;
use crate::oidc::jws::sha256_b64;

/// One built document: what it was built from, its bytes, its entity tag and how long a
/// client may keep it.
pub struct Document {
    version: String,
    body: Vec<u8>,
    etag: String,
    cache_control: &'static str,
}

const MAX_DOCUMENTS: usize = 2_000;

thread_local! {
    static BUILT: RefCell<HashMap<String, Rc<Document>>> = RefCell::new(HashMap::new());
}

/// The document `key` at `version`, built by `build` only when this isolate has not built
/// that version yet; answered as JSON, or 304 when `if_none_match` names its tag.
pub fn serve(
    key: &str,
    version: &str,
    if_none_match: Option<&str>,
    cache_control: &'static str,
    build: impl FnOnce() -> Result<Vec<u8>, serde_json::Error>,
) -> HttpResult {
    let doc = built(key, version, cache_control, build)?;
    respond(&doc, if_none_match)
}

/// The document `key` at `version`, from this isolate's cache or built now by `build`.
pub fn built(
    key: &str,
    version: &str,
    cache_control: &'static str,
    build: impl FnOnce() -> Result<Vec<u8>, serde_json::Error>,
) -> Result<Rc<Document>, super::respond::HttpError> {
    let cached = BUILT.with(|b| {
        b.borrow()
            .get(key)
            .filter(|d| d.version == version)
            .cloned()
    });
    if let Some(d) = cached {
        return Ok(d);
    }
    let body = build().map_err(crate::store::StoreError::from)?;
    let etag = format!("\"{}\"", sha256_b64_bytes(&body));
    let d = Rc::new(Document {
        version: version.to_string(),
        body,
        etag,
        cache_control,
    });
    BUILT.with(|b| {
        let mut map = b.borrow_mut();
        if map.len() >= MAX_DOCUMENTS {
            map.clear();
        }
        map.insert(key.to_string(), d.clone());
    });
    Ok(d)
}

/// A built document as JSON, or 304 when `if_none_match` names its tag (RFC 9110 §13.1.2:
/// a comma-separated list of tags, or `*`). Any origin may read it: the documents are
/// public and carry no cookies.
pub fn respond(doc: &Document, if_none_match: Option<&str>) -> HttpResult {
    let headers = Headers::new();
    headers.set("Cache-Control", doc.cache_control)?;
    headers.set("Access-Control-Allow-Origin", "*")?;
    headers.set("ETag", &doc.etag)?;
    if not_modified(doc, if_none_match) {
        return Ok(Response::empty()?.with_status(304).with_headers(headers));
    }
    headers.set("Content-Type", "application/json")?;
    Ok(Response::from_bytes(doc.body.clone())?.with_headers(headers))
}

/// Whether `if_none_match` names the document's tag (or is `*`): the answer is a 304.
pub fn not_modified(doc: &Document, if_none_match: Option<&str>) -> bool {
    if_none_match.is_some_and(|tags| {
        tags.split(',')
            .any(|t| t.trim() == doc.etag || t.trim() == "*")
    })
}

/// A short tag of the bytes (the first 16 characters of their SHA-256, base64url).
fn sha256_b64_bytes(body: &[u8]) -> String {
    let full = sha256_b64(&String::from_utf8_lossy(body));
    full.get(..16).unwrap_or(&full).to_string()
}
