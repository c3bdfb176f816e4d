//! Reading request inputs: form bodies, query strings, cookies and the client's IP.

use worker::Request;

/// `application/x-www-form-urlencoded` pairs of a POST body (empty for anything else).
pub async fn form_pairs(req: &mut Request) -> Vec<(String, String)> {
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
        return Vec::new();
    }
    let body = req.text().await.unwrap_or_default();
    url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

pub fn query_pairs(req: &Request) -> Vec<(String, String)> {
    req.url()
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
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

/// The caller's IP as the edge reports it (`CF-Connecting-IP`); locally there is none, and
/// every request shares one per-IP throttle bucket.
pub fn client_ip(req: &Request) -> String {
    req.headers()
        .get("CF-Connecting-IP")
        .ok()
        .flatten()
        .unwrap_or_else(|| "local".into())
}

/// Whether an `Authorization` header attempts HTTP Basic (RFC 7617), which decides whether an
/// `invalid_client` answer carries a `WWW-Authenticate` challenge (RFC 6749 §5.2).
pub fn is_basic(authorization: Option<&str>) -> bool {
    authorization.is_some_and(|h| {
        h.as_bytes()
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"basic "))
    })
}

/// Whether the request came over https (decides the `Secure` cookie flag).
pub fn is_https(req: &Request) -> bool {
    req.url().map(|u| u.scheme() == "https").unwrap_or(false)
}
