//! Building responses: JSON, OAuth errors (RFC 6749 §5.2), HTML pages with the security
//! headers every page carries, and the mapping of internal failures to a logged
//! `server_error` (the detail goes to the log, never to the client).

use serde::Serialize;
use worker::{Response, ResponseBuilder};

use super::header_set;

use super::api_error::AdminError;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::store::StoreError;

/// Anything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("{0}")]
    OAuth(OAuthError),
    #[error("admin API: {0}")]
    Admin(AdminError),
    #[error("not found")]
    NotFound,
    /// A body past the endpoint's limit (bytes): 413.
    #[error("request body over {0} bytes")]
    TooLarge(usize),
    #[error("configuration: {0}")]
    Config(String),
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("runtime: {0}")]
    Runtime(String),
}

impl From<OAuthError> for HttpError {
    fn from(e: OAuthError) -> Self {
        HttpError::OAuth(e)
    }
}

impl From<AdminError> for HttpError {
    fn from(e: AdminError) -> Self {
        HttpError::Admin(e)
    }
}

impl From<worker::Error> for HttpError {
    fn from(e: worker::Error) -> Self {
        HttpError::Runtime(e.to_string())
    }
}

impl From<crate::crypto::webcrypto::CryptoError> for HttpError {
    fn from(e: crate::crypto::webcrypto::CryptoError) -> Self {
        HttpError::Store(StoreError::Crypto(e))
    }
}

impl From<getrandom::Error> for HttpError {
    fn from(e: getrandom::Error) -> Self {
        HttpError::Runtime(format!("random: {e}"))
    }
}

pub type HttpResult = Result<Response, HttpError>;

pub fn with_headers(mut resp: Response, pairs: &[(&str, &str)]) -> Response {
    let h = resp.headers_mut();
    for (k, v) in pairs {
        let _ = h.set(k, v);
    }
    resp
}

pub fn json<T: Serialize>(status: u16, body: &T) -> HttpResult {
    Ok(Response::from_json(body)?.with_status(status))
}

/// A JSON response that must never be cached (tokens, introspection).
pub fn json_no_store<T: Serialize>(status: u16, body: &T) -> HttpResult {
    let body = serde_json::to_vec(body).map_err(|e| HttpError::Runtime(format!("json: {e}")))?;
    Ok(ResponseBuilder::new()
        .with_status(status)
        .with_headers(header_set::copy(header_set::Kind::JsonNoStore)?)
        .fixed(body))
}

/// An RFC 6749 §5.2 error body. `invalid_client` after a Basic attempt carries
/// `WWW-Authenticate` (§5.2); the private detail goes to the log.
pub fn oauth_error(err: &OAuthError, basic_attempted: bool) -> HttpResult {
    if let Some(d) = &err.detail {
        worker::console_warn!("oauth error {}: {}", err.code.as_str(), d);
    }
    let mut resp = json_no_store(err.code.status(), &err.body())?;
    if err.code == ErrorCode::InvalidClient && basic_attempted {
        // The error as auth-params too (RFC 6750 §3 style, as certified providers send it):
        // clients such as openid-client report the challenge, not the body.
        let challenge = format!(
            "Basic realm=\"doorward\", error=\"{}\", error_description=\"{}\"",
            err.code.as_str(),
            quoted_string_safe(&err.description)
        );
        let _ = resp.headers_mut().set("WWW-Authenticate", &challenge);
    }
    Ok(resp)
}

/// Text fit for an HTTP quoted-string (RFC 9110 §5.6.4): printable ASCII without `"` or `\\`.
fn quoted_string_safe(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            ' '..='~' if c != '"' && c != '\\' => c,
            _ => '\'',
        })
        .collect()
}

/// A protected-resource error (RFC 6750 §3): 401 with a `Bearer` challenge. A request that
/// carried no token gets a challenge without an error code (§3.1), but the same JSON body
/// shape as every other error.
pub fn bearer_error(err: &OAuthError, token_was_sent: bool) -> HttpResult {
    let challenge = if token_was_sent {
        format!(
            "Bearer realm=\"doorward\", error=\"{}\", error_description=\"{}\"",
            err.code.as_str(),
            quoted_string_safe(&err.description)
        )
    } else {
        "Bearer realm=\"doorward\"".to_string()
    };
    Ok(with_headers(
        json_no_store(401, &err.body())?,
        &[("WWW-Authenticate", challenge.as_str())],
    ))
}

/// A 303 to another page (after a form, RFC 9110 §15.4.4), never cached.
pub fn see_other(location: &str) -> HttpResult {
    see_other_with(location, &[])
}

/// A 303 to `location` with `extra` headers besides (cookies: each appended, so two
/// `Set-Cookie`s both go).
pub fn see_other_with(location: &str, extra: &[(&str, &str)]) -> HttpResult {
    let headers = header_set::copy(header_set::Kind::Redirect)?;
    headers.set("Location", location)?;
    for (name, value) in extra {
        headers.append(name, value)?;
    }
    Ok(ResponseBuilder::new()
        .with_status(303)
        .with_headers(headers)
        .empty())
}

/// An HTML page with the security headers every page carries (`header_set::Kind::Page`: no
/// framing, no sniffing, no referrer, no caching) and its own CSP.
pub fn html(status: u16, body: String, csp: &str) -> HttpResult {
    let headers = header_set::copy(header_set::Kind::Page)?;
    headers.set("Content-Security-Policy", csp)?;
    Ok(ResponseBuilder::new()
        .with_status(status)
        .with_headers(headers)
        .fixed(body.into_bytes()))
}

/// The CSP source that lets a form's redirect reach `uri`: Chromium applies `form-action`
/// to the redirects after a form POST too, so the login and consent pages must name the
/// client's redirect target. A custom scheme (`com.example.app:/cb`) is named by its scheme.
pub fn redirect_source(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    match url.scheme() {
        "http" | "https" => Some(url.origin().ascii_serialization()),
        scheme => Some(format!("{scheme}:")),
    }
}

/// The console's CSP: its own scripts, and API calls to itself — plus, in subdomain style,
/// to the tenant issuers under the base domain, which its Try-it panel calls.
pub fn console_csp(base_domain: Option<&str>) -> String {
    let connect = match base_domain {
        Some(base) => format!("'self' https://*.{base}"),
        None => "'self'".into(),
    };
    format!(
        "default-src 'none'; script-src 'self'; connect-src {connect}; style-src 'self'; \
         img-src 'self' data: https:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The default page CSP: no scripts at all, styles only from this origin, forms only to this
/// origin (plus `extra_form_action`, e.g. a form_post target).
pub fn page_csp(extra_form_action: Option<&str>) -> String {
    let form = match extra_form_action {
        Some(t) => format!("'self' {t}"),
        None => "'self'".into(),
    };
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self' data: https:; form-action {form}; \
         frame-ancestors 'none'; base-uri 'none'"
    )
}

/// The page CSP of a page that runs one script of Doorward's own (the passkey ceremony): the
/// default page CSP, plus that script by its per-response nonce (CSP3: a nonce also admits an
/// external script) and calls to this origin. No other page gets `script-src`.
pub fn page_csp_with_script(extra_form_action: Option<&str>, nonce: &str) -> String {
    format!(
        "{}; script-src 'nonce-{nonce}'; connect-src 'self'",
        page_csp(extra_form_action)
    )
}

/// Turns a handler failure into a response: protocol errors in their surface's shape,
/// internal ones as a logged `server_error` with no detail for the client. Every variant is
/// named: a new kind of failure must choose how it is answered.
pub fn failure(err: HttpError) -> worker::Result<Response> {
    let out = match err {
        HttpError::OAuth(e) => oauth_error(&e, false),
        HttpError::Admin(e) => admin_error(&e),
        HttpError::NotFound => json(404, &serde_json::json!({"error": "not_found"})),
        HttpError::TooLarge(limit) => json_no_store(
            413,
            &OAuthError::invalid_request(format!("the request body is larger than {limit} bytes"))
                .body(),
        ),
        HttpError::Config(_) | HttpError::Store(_) | HttpError::Runtime(_) => {
            worker::console_error!("internal error: {err}");
            json_no_store(500, &OAuthError::server_error("").body())
        }
    };
    out.or_else(|_| Response::error("server error", 500))
}

/// An admin API error; a 401 carries the admin API's Bearer challenge (RFC 6750 §3).
fn admin_error(e: &AdminError) -> HttpResult {
    let (_, status) = e.code_and_status();
    let resp = json_no_store(status, &e.body())?;
    Ok(match e {
        AdminError::Unauthorized(_) => with_headers(
            resp,
            &[("WWW-Authenticate", "Bearer realm=\"doorward-admin\"")],
        ),
        AdminError::MethodNotAllowed(allow) => with_headers(resp, &[("Allow", allow)]),
        AdminError::InvalidFields(_)
        | AdminError::AlreadyExists { .. }
        | AdminError::TooManyAttempts => resp,
    })
}
