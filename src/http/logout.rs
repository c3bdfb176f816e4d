//! `{issuer}/session/end` (OpenID Connect RP-Initiated Logout 1.0). A valid `id_token_hint`
//! that names the signed-in user (and session) ends the SSO session at once; otherwise the
//! user confirms on a page (CSRF double submit,
//! as on the login page). `post_logout_redirect_uri` must be registered for the application,
//! exactly; otherwise an error page and never a redirect (§3). Ending a live session is
//! audited as the user's sign-out (`token_revoked`, `signed_out`).

use subtle::ConstantTimeEq;
use worker::{Method, Request};

use super::assets::PageStyle;
use super::context::Ctx;
use super::error_page::error_page;
use super::respond::{html, page_csp, redirect_source, see_other_with, HttpError, HttpResult};
use super::tokens::{subject, verify};
use super::{assets, forms, i18n, session};
use crate::crypto::random;
use crate::oidc::audit::{AuditEvent, RevocationReason, Revoked, What};
use crate::oidc::error::OAuthError;
use crate::oidc::jws;
use crate::oidc::model::Application;
use crate::store::clients;
use crate::store::placement::PoolAt;

const CSRF_COOKIE: &str = "dw_logout";

async fn params(ctx: &Ctx, req: &mut Request) -> Result<Vec<(String, String)>, HttpError> {
    if req.method() == Method::Post {
        forms::form_pairs(req).await
    } else {
        forms::query_pairs(&ctx.url)
    }
}

/// The client the request is from: its `client_id`, else the audience of its
/// `id_token_hint` (checked when the hint is verified), else the primary client. `None` when
/// it names no client of this application.
async fn requesting_client(
    ctx: &Ctx,
    app: &Application,
    pairs: &[(String, String)],
) -> Result<Option<Application>, HttpError> {
    let named = forms::first(pairs, "client_id")
        .filter(|c| !c.is_empty())
        .map(str::to_string)
        .or_else(|| {
            let hint = forms::first(pairs, "id_token_hint")?;
            let (jws, _) = jws::parse(hint)?;
            jws.payload["aud"].as_str().map(str::to_string)
        });
    match named {
        Some(id) => Ok(clients::resolve(&ctx.env, app, &id).await?),
        None => Ok(Some(app.clone())),
    }
}

/// Checks the post-logout redirect URI against the registered list.
fn checked_redirect(
    app: &Application,
    pairs: &[(String, String)],
) -> Result<Option<String>, OAuthError> {
    match forms::first(pairs, "post_logout_redirect_uri").filter(|u| !u.is_empty()) {
        None => Ok(None),
        Some(u) if app.client.post_logout_redirect_uris.iter().any(|r| r == u) => {
            Ok(Some(u.to_string()))
        }
        Some(_) => Err(OAuthError::invalid_request(
            "post_logout_redirect_uri is not registered for this client",
        )),
    }
}

pub async fn handle(ctx: &Ctx, mut req: Request, app: &Application, issuer: &str) -> HttpResult {
    let pairs = match params(ctx, &mut req).await {
        Ok(p) => p,
        Err(HttpError::OAuth(e)) => return error_page(ctx, &req, app, issuer, &e, 400).await,
        Err(other) => return Err(other),
    };
    let Some(client) = requesting_client(ctx, app, &pairs).await? else {
        let e = OAuthError::invalid_request("client_id is not a client of this application");
        return error_page(ctx, &req, app, issuer, &e, 400).await;
    };
    let app = &client;
    let redirect = match checked_redirect(app, &pairs) {
        Ok(r) => r,
        Err(e) => return error_page(ctx, &req, app, issuer, &e, 400).await,
    };
    let state = forms::first(&pairs, "state").unwrap_or("").to_string();
    if let Some(hint) = forms::first(&pairs, "id_token_hint").filter(|h| !h.is_empty()) {
        let hinted = verify::id_token_hint(ctx, app, issuer, hint).await?;
        let current = session::current(ctx, &req, PoolAt::of_app(app)).await?;
        // Without asking only when the hint names the very user (and session, when it says
        // which) signed in here: otherwise any valid hint — an attacker's own, say — would
        // sign out whoever is signed in (a logout CSRF).
        let names_this_session = match (&hinted, &current) {
            (Some(h), Some(s)) => {
                h.sub == subject::presented(ctx, &app.client, &s.user_id)
                    && h.sid.as_ref().is_none_or(|sid| *sid == s.session_id)
            }
            _ => false,
        };
        if names_this_session {
            let clear = sign_out(ctx, &req, app).await?;
            return finish(ctx, &req, app, issuer, redirect, &state, &clear).await;
        }
        if hinted.is_some() && current.is_none() {
            // Nobody is signed in here: there is nothing to end and nothing to ask.
            let clear = sign_out(ctx, &req, app).await?;
            return finish(ctx, &req, app, issuer, redirect, &state, &clear).await;
        }
        if redirect.is_some() {
            // §2: the RP asked for a redirect, but the hint does not name this session.
            worker::console_warn!(
                "logout: id_token_hint does not name the session; asking the user"
            );
        }
    }
    let csrf = random::token()?;
    let cookie = session::set_csrf_cookie(ctx, CSRF_COOKIE, &csrf, 600, issuer);
    let style = page_style(ctx, &req, app, issuer).await?;
    let form_target = redirect.as_deref().and_then(redirect_source);
    let body = assets::render(
        ctx,
        "logout.html",
        &style,
        &[
            ("action", format!("{issuer}/session/end/confirm")),
            ("csrf", csrf),
            ("state", state),
            ("post_logout_redirect_uri", redirect.unwrap_or_default()),
            ("client_id", app.client.client_id.clone()),
        ],
        &[],
    )
    .await?;
    let mut resp = html(200, body, &page_csp(form_target.as_deref()))?;
    resp.headers_mut().append("Set-Cookie", &cookie)?;
    Ok(resp)
}

pub async fn confirm(ctx: &Ctx, mut req: Request, app: &Application, issuer: &str) -> HttpResult {
    let pairs = match forms::form_pairs(&mut req).await {
        Ok(p) => p,
        Err(HttpError::OAuth(e)) => return error_page(ctx, &req, app, issuer, &e, 400).await,
        Err(other) => return Err(other),
    };
    let sent = forms::first(&pairs, "csrf").unwrap_or("");
    let cookie =
        forms::cookie(&req, &session::csrf_cookie_name(ctx, CSRF_COOKIE)).unwrap_or_default();
    if sent.is_empty() || !bool::from(sent.as_bytes().ct_eq(cookie.as_bytes())) {
        return error_page(
            ctx,
            &req,
            app,
            issuer,
            &OAuthError::invalid_request("This sign-out page has expired. Try again."),
            400,
        )
        .await;
    }
    let Some(client) = requesting_client(ctx, app, &pairs).await? else {
        let e = OAuthError::invalid_request("client_id is not a client of this application");
        return error_page(ctx, &req, app, issuer, &e, 400).await;
    };
    let app = &client;
    let redirect = match checked_redirect(app, &pairs) {
        Ok(r) => r,
        Err(e) => return error_page(ctx, &req, app, issuer, &e, 400).await,
    };
    let state = forms::first(&pairs, "state").unwrap_or("").to_string();
    if forms::first(&pairs, "logout") != Some("yes") {
        let e = OAuthError::invalid_request("You are still signed in.");
        return error_page(ctx, &req, app, issuer, &e, 200).await;
    }
    let clear = sign_out(ctx, &req, app).await?;
    finish(ctx, &req, app, issuer, redirect, &state, &clear).await
}

/// Ends the browser's session of the application's pool, audited as the user's sign-out when
/// one was live; returns the Set-Cookie that clears it.
async fn sign_out(ctx: &Ctx, req: &Request, app: &Application) -> Result<String, HttpError> {
    let (clear, ended) = session::end(ctx, req, PoolAt::of_app(app)).await?;
    if let Some(user_id) = ended {
        let what = What::TokenRevoked {
            revoked: Revoked::SsoSession,
            reason: RevocationReason::SignedOut,
        };
        ctx.audit
            .record(AuditEvent::of_app(app, what).user(&user_id));
    }
    Ok(clear)
}

async fn page_style(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
    issuer: &str,
) -> Result<PageStyle, HttpError> {
    let accept = req.headers().get("Accept-Language").ok().flatten();
    PageStyle::for_app(
        ctx,
        app,
        issuer,
        i18n::negotiate(
            forms::first(
                &forms::query_pairs(&ctx.url).unwrap_or_default(),
                "ui_locales",
            ),
            accept.as_deref(),
        ),
    )
    .await
}

async fn finish(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
    issuer: &str,
    redirect: Option<String>,
    state: &str,
    clear_cookie: &str,
) -> HttpResult {
    match redirect {
        Some(uri) => {
            let mut url = url::Url::parse(&uri).map_err(|_| HttpError::NotFound)?;
            if !state.is_empty() {
                url.query_pairs_mut().append_pair("state", state);
            }
            see_other_with(url.as_str(), &[("Set-Cookie", clear_cookie)])
        }
        None => {
            let style = page_style(ctx, req, app, issuer).await?;
            let body = assets::render(ctx, "logged_out.html", &style, &[], &[]).await?;
            let mut resp = html(200, body, &page_csp(None))?;
            resp.headers_mut().append("Set-Cookie", clear_cookie)?;
            Ok(resp)
        }
    }
}
