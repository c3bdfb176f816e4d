//! Reading request inputs: form bodies, query strings, cookies and the client's IP. Bodies are
//! read as bytes, bounded (413 past the limit), and parameters are bounded in count and
//! length (`oidc::limits`) before anyone looks at them.

use worker::Request;

use super::respond::HttpError;
use crate::oidc::limits::{self, check_params, MAX_PARAMS};

/// The body as bytes, refused with 413 past `limit` (by `Content-Length` before reading, and
/// by the bytes read). Bytes, not `text()`: the runtime warns on every `text()` of a form.
pub async fn body_bytes(req: &mut Request, limit: usize) -> Result<Vec<u8>, HttpError> {
    let declared = req
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|l| l.trim().parse::<u64>().ok());
    if declared.is_some_and(|l| l > limit as u64) {
        return Err(HttpError::TooLarge(limit));
    }
    let bytes = req.bytes().await.unwrap_or_default();
    if bytes.len() > limit {
        return Err(HttpError::TooLarge(limit));
    }
    Ok(bytes)
}

/// Parses `a=b&c=d`, keeping one pair more than allowed so the count check can refuse it
/// without collecting thousands.
fn bounded_pairs(raw: &[u8]) -> Result<Vec<(String, String)>, HttpError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw)
        .take(MAX_PARAMS + 1)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    check_params(&pairs)?;
    Ok(pairs)
}

/// `application/x-www-form-urlencoded` pairs of a POST body (empty for anything else).
pub async fn form_pairs(req: &mut Request) -> Result<Vec<(String, String)>, HttpError> {
    let is_form = req
        .headers()
        .get("Content-Type")
        .ok()
        .flatten()
        .is_some_and(|c| {
            c.to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        });
    if !is_form {
        return Ok(Vec::new());
    }
    let body = body_bytes(req, limits::MAX_FORM_BODY).await?;
    bounded_pairs(&body)
}

/// The query string's pairs (of `Ctx::url`), bounded like a form's.
pub fn query_pairs(url: &url::Url) -> Result<Vec<(String, String)>, HttpError> {
    bounded_pairs(url.query().unwrap_or("").as_bytes())
}

pub fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

pub fn cookie(req: &Request, name: &str) -> Option<String> {
    let header = req.headers().get("Cookie").ok().flatten()?;
    header.split(';').find_map(|c| {
        let (k, v) = c.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// The caller's throttle bucket from the IP the edge reports (`CF-Connecting-IP`; IPv6 by
/// its /64); locally there is none, and every request shares one per-IP bucket.
pub fn client_ip(req: &Request) -> String {
    let ip = req
        .headers()
        .get("CF-Connecting-IP")
        .ok()
        .flatten()
        .unwrap_or_else(|| "local".into());
    crate::oidc::throttle::ip_bucket(&ip)
}

pub use crate::oidc::token_request::is_basic;
