//! Static files under `assets/` through the ASSETS binding, and the hosted-page templates the
//! worker fills in (static HTML under assets/, per-request values supplied here).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use worker::{Method, Request, RequestInit, Response};

use super::context::Ctx;
use super::i18n::{self, Locale};
use super::respond::{HttpError, HttpResult};
use crate::oidc::model::Application;
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
    let content_type = resp
        .headers()
        .get("Content-Type")?
        .unwrap_or_else(|| "application/octet-stream".into());
    let bytes = resp.bytes().await?;
    let headers = worker::Headers::new();
    headers.set("Content-Type", &content_type)?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Cache-Control", "public, max-age=300")?;
    if content_type.starts_with("text/html") {
        headers.set(
            "Content-Security-Policy",
            &super::respond::console_csp(ctx.settings.base_domain.as_deref()),
        )?;
        headers.set("X-Frame-Options", "DENY")?;
        headers.set("Referrer-Policy", "no-referrer")?;
    }
    Ok(Response::from_bytes(bytes)?.with_headers(headers))
}

/// What every hosted page shares: language, where its CSS is, and the pool's branding.
pub struct PageStyle {
    pub locale: Locale,
    /// `{issuer}/assets`.
    pub assets: String,
    pub app_name: String,
    pub logo_url: Option<String>,
}

impl PageStyle {
    /// The style for an application's pages (one KV read for the pool's branding).
    pub async fn for_app(
        ctx: &Ctx,
        app: &Application,
        issuer: &str,
        locale: Locale,
    ) -> Result<PageStyle, HttpError> {
        let pool = ctx.kv()?.pool(&app.pool_id).await?;
        Ok(PageStyle {
            locale,
            assets: format!("{issuer}/assets"),
            app_name: app.display_name().to_string(),
            logo_url: pool.and_then(|p| p.branding.logo_url),
        })
    }

    /// A message in this page's language with `{app}` filled in.
    pub fn msg(&self, key: &str) -> String {
        i18n::msg(self.locale, key).replace("{app}", &self.app_name)
    }
}

/// Loads a page template and fills it: `{{msg:key}}` from the page's language, `{{lang}}`,
/// A page template, fetched from the assets once per isolate: the assets belong to the
/// deployed version, as the isolate does, so they cannot change under it.
async fn template(ctx: &Ctx, page: &str) -> Result<Rc<str>, HttpError> {
    thread_local! {
        static TEMPLATES: RefCell<HashMap<String, Rc<str>>> = RefCell::new(HashMap::new());
    }
    if let Some(t) = TEMPLATES.with(|t| t.borrow().get(page).cloned()) {
        return Ok(t);
    }
    let mut resp = fetch(ctx, &format!("/pages/{page}")).await?;
    if resp.status_code() != 200 {
        return Err(HttpError::Runtime(format!(
            "page template {page} is missing"
        )));
    }
    let text: Rc<str> = resp.text().await?.into();
    TEMPLATES.with(|t| t.borrow_mut().insert(page.to_string(), text.clone()));
    Ok(text)
}

/// `{{assets}}`, `{{logo_block}}`, then `values`. Values are HTML-escaped except those listed
/// in `raw`, which the caller has built from escaped parts.
pub async fn render(
    ctx: &Ctx,
    page: &str,
    style: &PageStyle,
    values: &[(&str, String)],
    raw: &[&str],
) -> Result<String, HttpError> {
    let template = template(ctx, page).await?;
    let mut html = String::with_capacity(template.len() + 512);
    let mut rest: &str = &template;
    while let Some((before, after)) = rest.split_once("{{msg:") {
        html.push_str(before);
        let Some((key, tail)) = after.split_once("}}") else {
            html.push_str("{{msg:");
            rest = after;
            break;
        };
        html.push_str(&html_escape(&style.msg(key)));
        rest = tail;
    }
    html.push_str(rest);
    let logo = style
        .logo_url
        .as_ref()
        .map(|l| format!("<img class=\"logo\" src=\"{}\" alt=\"\">", html_escape(l)))
        .unwrap_or_default();
    html = html.replace("{{logo_block}}", &logo);
    let fixed = [
        ("lang", style.locale.tag().to_string()),
        ("assets", style.assets.clone()),
        ("app_name", style.app_name.clone()),
    ];
    for (k, v) in fixed.iter().chain(values.iter()) {
        let v = if raw.contains(k) {
            v.clone()
        } else {
            html_escape(v)
        };
        html = html.replace(&format!("{{{{{k}}}}}"), &v);
    }
    Ok(html)
}

/// `{issuer}/assets/brand.css`: the pool's colours as overrides of the page CSS variables.
pub async fn brand_css(ctx: &Ctx, app: &Application) -> HttpResult {
    let pool = ctx.kv()?.pool(&app.pool_id).await?;
    let mut css = String::from("/* Branding of this user pool (generated). */\n:root {\n");
    if let Some(b) = pool.map(|p| p.branding) {
        // Colours were validated as #rrggbb when saved, so they cannot break out of the rule.
        if let Some(c) = b.primary_color {
            css.push_str(&format!("  --dw-primary: {c};\n"));
        }
        if let Some(c) = b.background_color {
            css.push_str(&format!("  --dw-bg: {c};\n"));
        }
    }
    css.push_str("}\n");
    let headers = worker::Headers::new();
    headers.set("Content-Type", "text/css; charset=utf-8")?;
    headers.set("Cache-Control", "public, max-age=60")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    Ok(Response::ok(css)?.with_headers(headers))
}
