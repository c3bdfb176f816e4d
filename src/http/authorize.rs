//! `{issuer}/auth` (GET and POST): validates the request (`oidc::authorize`), then signs the
//! user in, asks for consent or issues the response, as `oidc::authorize::next_step` decides.
//! Issuing the front-channel response (code and/or tokens) also lives here, because the
//! login and consent pages finish through it.

use worker::{Request, Response};

use super::assets::PageStyle;
use super::context::Ctx;
use super::respond::{html, page_csp, HttpError, HttpResult};
use super::{assets, forms, i18n, interaction, session};
use crate::crypto::random;
use crate::oidc::authorize::{self, AuthorizationRequest, AuthorizeError, Next, Params, SignedIn};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::jws::sha256_b64;
use crate::oidc::model::{Application, User};
use crate::oidc::records::{CodeRecord, Issued};
use crate::oidc::response::{self, form_post_html, html_escape, Delivery};
use crate::oidc::scope::ScopeSet;
use crate::store::directory::{Directory, DirectoryCommand};
use crate::store::grants::{Grants, Kind};

pub async fn handle(ctx: &Ctx, mut req: Request, app: &Application, issuer: &str) -> HttpResult {
    let pairs = if req.method() == worker::Method::Post {
        forms::form_pairs(&mut req).await
    } else {
        forms::query_pairs(&req)
    };
    // OIDC Core §3.1.2.1 / RFC 6749 §3.1: parameters must not repeat.
    let mut params = Params::new();
    for (k, v) in pairs {
        if params.insert(k.clone(), v).is_some() {
            return error_page(
                ctx,
                &req,
                app,
                issuer,
                &OAuthError::invalid_request(format!("parameter `{k}` is repeated")),
                400,
            )
            .await;
        }
    }
    let request = match authorize::validate(app, &params) {
        Ok(r) => r,
        Err(AuthorizeError::Page(e)) => return error_page(ctx, &req, app, issuer, &e, 400).await,
        Err(AuthorizeError::Redirect(e, target)) => {
            return deliver(response::error(&target, &e, issuer))
        }
    };
    let session = session::current(ctx, &req, &app.pool_id).await?;
    // id_token_hint names who the client expects; another signed-in user counts as nobody.
    let mut signed_in = session.as_ref().map(|s| SignedIn {
        user_id: s.user_id.clone(),
        auth_time: s.auth_time,
        fresh: false,
    });
    if let Some(hint) = &request.id_token_hint {
        match hint_subject(ctx, app, issuer, hint).await? {
            Some(sub) => {
                if signed_in.as_ref().is_some_and(|s| s.user_id != sub) {
                    signed_in = None;
                }
            }
            None => {
                let e = OAuthError::invalid_request(
                    "id_token_hint is not a valid id_token of this issuer",
                );
                return deliver(response::error(&request.error_target(), &e, issuer));
            }
        }
    }
    continue_request(
        ctx,
        &req,
        app,
        issuer,
        request,
        signed_in,
        session.map(|s| s.session_id),
        None,
    )
    .await
}

/// Decides and acts: issue, fail back to the client, or open an interaction page.
#[allow(clippy::too_many_arguments)] // Each is a distinct piece of request state.
pub async fn continue_request(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
    issuer: &str,
    request: AuthorizationRequest,
    signed_in: Option<SignedIn>,
    session_id: Option<String>,
    set_cookie: Option<String>,
) -> HttpResult {
    // A first-party application never asks, so its consent is not even looked up.
    let consented = match &signed_in {
        Some(s) if !app.skip_consent => has_consent(ctx, app, &s.user_id, &request.scope).await?,
        _ => false,
    };
    let step = authorize::next_step(
        &request,
        signed_in.as_ref(),
        consented,
        app.skip_consent,
        ctx.now,
    );
    let resp = match step {
        Next::Issue => {
            let Some(s) = signed_in else {
                return Err(HttpError::Runtime("issue without a user".into()));
            };
            let user = load_user(ctx, app, &s.user_id).await?;
            match user {
                Some(u) if !u.blocked => deliver(
                    issue(
                        ctx,
                        app,
                        issuer,
                        &request,
                        &u,
                        s.auth_time,
                        session_id.as_deref(),
                    )
                    .await?,
                ),
                _ => {
                    let e =
                        OAuthError::new(ErrorCode::LoginRequired, "the user must sign in again");
                    deliver(response::error(&request.error_target(), &e, issuer))
                }
            }
        }
        Next::Fail(code) => {
            let e = OAuthError::new(code, "user interaction is required");
            deliver(response::error(&request.error_target(), &e, issuer))
        }
        Next::Login | Next::Consent => {
            let user = if step == Next::Consent {
                signed_in.as_ref().map(|s| s.user_id.clone())
            } else {
                None
            };
            let auth_time = if step == Next::Consent {
                signed_in.as_ref().map(|s| s.auth_time)
            } else {
                None
            };
            interaction::open(ctx, req, app, issuer, request, user, auth_time).await
        }
    }?;
    Ok(match set_cookie {
        Some(c) => {
            let mut r = resp;
            let _ = r.headers_mut().append("Set-Cookie", &c);
            r
        }
        None => resp,
    })
}

/// The subject of a hint that this issuer signed for this client, or None.
pub async fn hint_subject(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    hint: &str,
) -> Result<Option<String>, HttpError> {
    let claims = match crate::oidc::jws::parse(hint) {
        Some((j, crate::oidc::model::SigningAlg::HS256)) => {
            let secret = super::token::client_secret(ctx, app).await?;
            crate::oidc::jws::hs256_verify(secret.as_bytes(), &j.signing_input, &j.signature)
                .then_some(j.payload)
        }
        Some(_) => crate::crypto::keys::verify_jwt(&ctx.env, &app.pool_id, hint).await?,
        None => None,
    };
    // An expired hint is still a valid hint (OIDC Core §3.1.2.1): check issuer and audience only.
    Ok(claims
        .filter(|c| c["iss"] == issuer && c["aud"] == app.client_id.as_str())
        .and_then(|c| c["sub"].as_str().map(str::to_string)))
}

async fn has_consent(
    ctx: &Ctx,
    app: &Application,
    user_id: &str,
    scope: &ScopeSet,
) -> Result<bool, HttpError> {
    let granted: Option<String> = Directory::new(&ctx.env, &app.pool_id)
        .call(DirectoryCommand::GetConsent {
            user_id: user_id.to_string(),
            client_id: app.client_id.clone(),
        })
        .await?;
    Ok(granted.is_some_and(|g| scope.is_subset_of(&ScopeSet::parse(&g))))
}

pub async fn load_user(ctx: &Ctx, app: &Application, id: &str) -> Result<Option<User>, HttpError> {
    Ok(Directory::new(&ctx.env, &app.pool_id)
        .call(DirectoryCommand::GetUser { id: id.to_string() })
        .await?)
}

/// Builds the authorization response for a signed-in, consenting user: a code, tokens, or
/// both (OIDC Core §3.1.2.5, §3.2.2.5, §3.3.2.5), plus `state` and `iss`.
pub async fn issue(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    req: &AuthorizationRequest,
    user: &User,
    auth_time: u64,
    session_id: Option<&str>,
) -> Result<Delivery, HttpError> {
    let rt = req.response_type;
    let mut params: Vec<(String, String)> = Vec::new();
    let code = if rt.has_code() {
        let code = random::token()?;
        let record = CodeRecord {
            client_id: app.client_id.clone(),
            pool_id: app.pool_id.clone(),
            user_id: user.id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            scope: req.scope.to_string(),
            nonce: req.nonce.clone(),
            code_challenge: req.code_challenge.clone(),
            code_challenge_method: req.code_challenge_method.map(|m| m.as_str().to_string()),
            auth_time,
            session_id: session_id.map(str::to_string),
            response_type: rt,
            offline: req.scope.contains("offline_access"),
            expires_at: ctx.now + app.token_lifetimes.authorization_code.min(600),
            consumed: false,
            replayed: false,
            issued: Issued::default(),
        };
        Grants::new(&ctx.env)
            .put(Kind::Code, &sha256_b64(&code), &record, record.expires_at)
            .await?;
        params.push(("code".into(), code.clone()));
        Some(code)
    } else {
        None
    };
    let access_token = if rt.has_token() {
        let scope = req.scope.to_string();
        let (at, _) = super::token::access_token(ctx, app, issuer, &user.id, &scope).await?;
        params.push(("access_token".into(), at.clone()));
        params.push(("token_type".into(), "Bearer".into()));
        params.push((
            "expires_in".into(),
            app.token_lifetimes.access_token.to_string(),
        ));
        params.push(("scope".into(), scope));
        Some(at)
    } else {
        None
    };
    if rt.has_id_token() {
        let id_token = super::token::id_token(
            ctx,
            app,
            issuer,
            user,
            &req.scope,
            auth_time,
            req.nonce.as_deref(),
            access_token.as_deref(),
            code.as_deref(),
            session_id,
            access_token.is_some(),
        )
        .await?;
        params.push(("id_token".into(), id_token));
    }
    if let Some(s) = &req.state {
        params.push(("state".into(), s.clone()));
    }
    params.push(("iss".into(), issuer.to_string()));
    Ok(response::deliver(
        &req.redirect_uri,
        req.response_mode,
        params,
    ))
}

/// Sends a delivery: a 303 redirect, or the auto-submitting form_post page.
pub fn deliver(d: Delivery) -> HttpResult {
    match d {
        Delivery::Redirect(url) => {
            let headers = worker::Headers::new();
            headers.set("Location", &url)?;
            headers.set("Cache-Control", "no-store")?;
            headers.set("Referrer-Policy", "no-referrer")?;
            Ok(Response::empty()?.with_status(303).with_headers(headers))
        }
        Delivery::FormPost { action, fields } => {
            let nonce = random::id()?;
            let target = url::Url::parse(&action)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default();
            let csp = format!(
                "default-src 'none'; script-src 'nonce-{nonce}'; form-action {target}; frame-ancestors 'none'; base-uri 'none'"
            );
            html(200, form_post_html(&action, &fields, &nonce), &csp)
        }
    }
}

/// The hosted error page: never redirects (the redirect URI could not be trusted).
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
