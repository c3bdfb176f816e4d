//! `{issuer}/auth` (GET and POST): reads the parameters once, validates the request
//! (`oidc::authorize`), finds who is signed in (the SSO session, checked against an
//! `id_token_hint`), and hands over to `authorization::finish`.

use worker::Request;

use super::authentication_level as level;
use super::authorization::response::deliver;
use super::authorization::{self, SignInState};
use super::context::Ctx;
use super::error_page::error_page;
use super::respond::{HttpError, HttpResult};
use super::tokens::{subject, verify};
use super::{forms, request_objects, session};
use crate::oidc::authorize::{self, AuthorizeError, Params, SignedIn};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::model::Application;
use crate::oidc::response;
use crate::store::clients;
use crate::store::placement::PoolAt;

pub async fn handle(ctx: &Ctx, mut req: Request, app: &Application, issuer: &str) -> HttpResult {
    let read = if req.method() == worker::Method::Post {
        forms::form_pairs(&mut req).await
    } else {
        forms::query_pairs(&ctx.url)
    };
    let pairs = match read {
        Ok(p) => p,
        Err(HttpError::OAuth(e)) => return error_page(ctx, &req, app, issuer, &e, 400).await,
        Err(other) => return Err(other),
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
    // The client named, as a view of the application (a client of another application is
    // as unknown here as a made-up id); `validate` refuses a missing one.
    let client = match params.get("client_id") {
        Some(id) => match clients::resolve(&ctx.env, app, id).await? {
            Some(c) => c,
            None => {
                let e = OAuthError::invalid_client("the client is unknown");
                return error_page(ctx, &req, app, issuer, &e, 400).await;
            }
        },
        None => app.clone(),
    };
    let app = &client;
    // A request object's parameters take the place of the outer ones (RFC 9101 §6.3).
    let params = if request_objects::present(&params) {
        match request_objects::unpack(ctx, app, issuer, &params).await {
            Ok(p) => p,
            Err(e) => return refuse_request_object(ctx, &req, app, issuer, &params, e).await,
        }
    } else {
        params
    };
    let request = match authorize::validate(app, &params) {
        Ok(r) => r,
        Err(AuthorizeError::Page(e)) => return error_page(ctx, &req, app, issuer, &e, 400).await,
        Err(AuthorizeError::Redirect(e, target)) => {
            return deliver(response::error(&target, &e, issuer))
        }
    };
    // RFC 8707: a resource must be one of the pool's resource servers (an MCP server, say).
    if let Some(resource) = &request.resource {
        let known = ctx
            .kv()?
            .list_resources(&app.pool_id)
            .await?
            .iter()
            .any(|r| r.uri == *resource);
        if !known {
            let e = OAuthError::new(
                ErrorCode::InvalidTarget,
                "resource is not a resource server of this issuer",
            );
            return deliver(response::error(&request.error_target(), &e, issuer));
        }
    }
    // The session, and its user, consent and (when the class may depend on them) factors, in
    // one directory call.
    let factors = session::carried(&req, &app.pool_id)
        && level::needs_factors(ctx, app, &request.acr_values).await?;
    let (session, known) = session::current_with_user(
        ctx,
        &req,
        PoolAt::of_app(app),
        &app.client.client_id,
        factors,
    )
    .await?;
    // id_token_hint names who the client expects; another signed-in user counts as nobody.
    let mut signed_in = session.as_ref().map(|s| SignedIn {
        user_id: s.user_id.clone(),
        auth_time: s.auth_time,
        fresh: false,
    });
    if let Some(hint) = &request.id_token_hint {
        match verify::id_token_hint(ctx, app, issuer, hint).await? {
            Some(hinted) => {
                if signed_in
                    .as_ref()
                    .is_some_and(|s| subject::presented(ctx, &app.client, &s.user_id) != hinted.sub)
                {
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
    let state = SignInState {
        signed_in,
        authentications: session
            .as_ref()
            .map(|s| s.authentications())
            .unwrap_or_default(),
        session_id: session.map(|s| s.session_id),
        set_cookie: None,
        user: known.as_ref().and_then(|k| k.user.clone()),
        factors: known.as_ref().and_then(|k| k.factors.clone()),
        consent: known.map(|k| k.consent),
        ending: None,
    };
    authorization::finish(ctx, app, issuer, request, state).await
}

/// A request object that cannot be used: its error goes to the redirect URI when the outer
/// request names a registered one (OIDC Core §6.3, RFC 9101 §6.3), else to the error page.
async fn refuse_request_object(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
    issuer: &str,
    params: &Params,
    e: OAuthError,
) -> HttpResult {
    let mut outer = params.clone();
    outer.remove("request");
    outer.remove("request_uri");
    match authorize::validate(app, &outer) {
        Ok(r) => deliver(response::error(&r.error_target(), &e, issuer)),
        Err(AuthorizeError::Redirect(_, target)) => deliver(response::error(&target, &e, issuer)),
        Err(AuthorizeError::Page(_)) => error_page(ctx, req, app, issuer, &e, 400).await,
    }
}
