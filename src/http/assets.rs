//! Static files under `assets/` through the ASSETS binding, and the hosted-page templates the
//! worker fills in (DESIGN.md: static HTML under assets/, per-request values supplied here).

use worker::{Method, Request, RequestInit, Response};

use super::context::Ctx;
use super::respond::{HttpError, HttpResult};
use crate::oidc::response::html_escape;

/// Fetches `path` (e.g. `/pages/login.html`) from the static assets.
pub async fn fetch(ctx: &Ctx, path: &str) -> Result<Response, HttpError> {
    let assets = ctx.env.assets("ASSETS")?;
    let mut init = RequestInit::new();
    init.with_method(Method::Get);
    let req = Request::new_with_init(&format!("https://assets.local{path}"), &init)?;
    Ok(assets.fetch_request(req).await?)
}

/// Serves a static file with caching suited to versionless assets.
pub async fn serve(ctx: &Ctx, path: &str) -> HttpResult {
    if path.contains("..") {
        return Err(HttpError::NotFound);
    }
    let mut resp = fetch(ctx, path).await?;
    if resp.status_code() != 200 {
        return Err(HttpError::NotFound);
    }
    // A fetched response's headers are immutable: rebuild it with ours.
    let content_type = resp.headers().get("Content-Type")?.unwrap_or_else(|| "application/octet-stream".into());
    let bytes = resp.bytes().await?;
    let headers = worker::Headers::new();
    headers.set("Content-Type", &content_type)?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Cache-Control", "public, max-age=300")?;
    if content_type.starts_with("text/html") {
        headers.set("Content-Security-Policy", &super::respond::page_csp(None).replace("default-src 'none'", "default-src 'none'; script-src 'self'; connect-src 'self'"))?;
        headers.set("X-Frame-Options", "DENY")?;
        headers.set("Referrer-Policy", "no-referrer")?;
    }
    Ok(Response::from_bytes(bytes)?.with_headers(headers))
}

/// Loads a page template and replaces `{{name}}` placeholders. Values are HTML-escaped except
/// those listed in `raw`, which the caller has built from escaped parts.
pub async fn render(ctx: &Ctx, page: &str, values: &[(&str, String)], raw: &[&str]) -> Result<String, HttpError> {
    let mut resp = fetch(ctx, &format!("/pages/{page}")).await?;
    if resp.status_code() != 200 {
        return Err(HttpError::Runtime(format!("page template {page} is missing")));
    }
    let mut html = resp.text().await?;
    for (k, v) in values {
        let v = if raw.contains(k) { v.clone() } else { html_escape(v) };
        html = html.replace(&format!("{{{{{k}}}}}"), &v);
    }
    Ok(html)
}
