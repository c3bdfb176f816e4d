//! The hosted error page of the front channel (`/auth`, the login and consent pages, logout):
//! shown when the redirect URI cannot be trusted, so it never redirects (RFC 6749 §4.1.2.1).
//! The public description is shown; the private detail goes to the log only.

use worker::Request;

use super::assets::{self, PageStyle};
use super::context::Ctx;
use super::i18n;
use super::respond::{html, page_csp, HttpResult};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::model::Application;
use crate::oidc::response::html_escape;

pub async fn error_page(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
    issuer: &str,
    err: &OAuthError,
    status: u16,
) -> HttpResult {
    if let Some(d) = &err.detail {
        worker::console_warn!("authorization error {}: {}", err.code.as_str(), d);
    }
    let accept = req.headers().get("Accept-Language").ok().flatten();
    let style =
        PageStyle::for_app(ctx, app, issuer, i18n::negotiate(None, accept.as_deref())).await?;
    let title = match err.code {
        ErrorCode::InvalidClient => style.msg("unknown_client_title"),
        _ => style.msg("invalid_request_title"),
    };
    let body = assets::render(
        ctx,
        "error.html",
        &style,
        &[
            ("error_title", title),
            ("error_description", err.description.clone()),
            ("error_code", err.code.as_str().into()),
        ],
        &[],
    )
    .await
    .unwrap_or_else(|_| {
        format!(
            "<!doctype html><title>Error</title><p>{}</p>",
            html_escape(&err.description)
        )
    });
    html(status, body, &page_csp(None))
}
