//! The HTTP edge: finds the site (console or an application's issuer), builds the request
//! context, and hands off to the endpoint. Raw parameters become `oidc` types here.

pub mod account;
pub mod admin;
pub mod api_error;
pub mod assets;
pub mod audit;
pub mod audit_batch;
pub mod authentication_level;
pub mod authorization;
pub mod authorize;
pub mod context;
pub mod discovery;
pub mod documents;
pub mod error_page;
pub mod forms;
pub mod grants;
pub mod header_set;
pub mod hot_routes;
pub mod i18n;
pub mod interaction;
pub mod interaction_steps;
pub mod introspection;
pub mod logout;
pub mod outbound;
pub mod passkeys;
pub mod registration;
pub mod request_objects;
pub mod respond;
pub mod revocation;
pub mod second_factor;
pub mod second_factor_page;
pub mod sector_identifier;
pub mod session;
pub mod sign_in;
pub mod tenant;
pub mod token;
pub mod tokens;
pub mod userinfo;

use worker::{Context, Env, Request, Response, Result};

use crate::oidc::issuer::{self, Site};
use context::{Ctx, Settings};
use respond::failure;

/// Serves one request; the audit events it recorded are written through `wctx.wait_until`
/// after the response, so the log never slows or fails a sign-in.
pub async fn handle(req: Request, env: Env, wctx: Context) -> Result<Response> {
    let url = req.url()?;
    if url.path() == "/healthz" {
        return healthz(url.scheme() == "https");
    }
    let settings = match Settings::of_isolate(&env) {
        Ok(s) => s,
        Err(e) => return failure(e),
    };
    let site = site_of(&url, &settings);
    let now = context::now();
    let user_agent = req.headers().get("User-Agent").ok().flatten();
    let ctx = Ctx {
        env,
        settings,
        now,
        audit: audit::Recorder::new(now, forms::client_ip(&req), user_agent),
        kv: std::cell::OnceCell::new(),
        url,
    };
    let result = match site {
        Site::Console { path } => admin::route(&ctx, req, &path, &ctx.url).await,
        Site::Tenant {
            subdomain,
            issuer,
            path,
        } => {
            tenant::route(
                &ctx,
                req,
                tenant::AppAt::Subdomain(&subdomain),
                &issuer,
                &path,
            )
            .await
        }
        Site::CustomHost { host, issuer, path } => {
            tenant::route(&ctx, req, tenant::AppAt::Host(&host), &issuer, &path).await
        }
        Site::Unknown => Err(respond::HttpError::NotFound),
    };
    let mut events = ctx.audit.take();
    events.extend(audit::due_tally(now, ctx.settings.audit.token_tally_secs));
    if !events.is_empty() {
        audit::forward(&ctx.env, &events, ctx.settings.audit);
        audit_batch::hand_over(&ctx.env, &wctx, events, ctx.settings.audit.batch_ms);
    }
    result
        .or_else(failure)
        .map(|r| transport_headers(r, ctx.https()))
}

/// Which site the URL names: the console or an application's issuer, by host and path.
fn site_of(url: &url::Url, settings: &Settings) -> Site {
    let host = match url.port() {
        Some(p) => format!("{}:{p}", url.host_str().unwrap_or("")),
        None => url.host_str().unwrap_or("").to_string(),
    };
    issuer::resolve(
        url.scheme(),
        &host,
        url.path(),
        settings.base_domain.as_deref(),
    )
}

/// `/healthz`, on any host and for any method: the isolate answers, nothing more is checked.
fn healthz(https: bool) -> Result<Response> {
    Response::from_json(&serde_json::json!({"status": "ok"})).map(|r| transport_headers(r, https))
}

/// Headers every answer carries: `nosniff` (a JSON error must never be sniffed into a page)
/// and, over https, HSTS (RFC 6797), so a browser never again asks an issuer over plain http.
/// Answers whose headers are immutable (passed through from the assets binding) keep theirs.
fn transport_headers(mut resp: Response, https: bool) -> Response {
    let h = resp.headers_mut();
    let _ = h.set("X-Content-Type-Options", "nosniff");
    if https {
        let _ = h.set("Strict-Transport-Security", "max-age=31536000");
    }
    resp
}
