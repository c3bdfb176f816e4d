//! Routing inside one application's issuer. The application is found by subdomain or by a
//! host of its own (one KV read, cached per isolate); an unknown one is a 404 before anything
//! else runs.

use worker::{Method, Request};

use super::context::Ctx;
use super::respond::{HttpError, HttpResult};
use super::{
    account, assets, authorize, discovery, hot_routes, interaction, interaction_steps,
    introspection, logout, passkeys, registration, revocation, token, userinfo,
};
use crate::oidc::model::Application;

pub use super::context::AppAt;

pub async fn route(ctx: &Ctx, req: Request, at: AppAt<'_>, issuer: &str, path: &str) -> HttpResult {
    let kv = ctx.kv()?;
    let (app, version) = match at {
        AppAt::Subdomain(s) => kv.app_by_subdomain(s).await?,
        // The record must still claim the host: a stale index entry names nothing.
        AppAt::Host(h) => kv
            .app_by_host(h)
            .await?
            .filter(|(a, _)| a.custom_domains.iter().any(|d| d == h)),
    }
    .ok_or(HttpError::NotFound)?;
    let method = req.method();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    // Browser clients (SPAs, the console's Try-it panel on another host) call these
    // cross-origin. No cookies are involved, so any origin may; pages and /auth are excluded.
    let cors = matches!(
        segments.as_slice(),
        ["token"] | ["token", _] | ["me"] | [".well-known", _] | ["reg"] | ["reg", _]
    );
    if cors && method == Method::Options {
        let headers = worker::Headers::new();
        headers.set("Access-Control-Allow-Origin", "*")?;
        headers.set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE")?;
        headers.set(
            "Access-Control-Allow-Headers",
            "Authorization, Content-Type",
        )?;
        headers.set("Access-Control-Max-Age", "600")?;
        return Ok(worker::Response::empty()?
            .with_status(204)
            .with_headers(headers));
    }
    let result = dispatch(ctx, req, (&app, version), (at, issuer), method, &segments).await;
    match result {
        Ok(mut resp) if cors => {
            let _ = resp.headers_mut().set("Access-Control-Allow-Origin", "*");
            Ok(resp)
        }
        other => other,
    }
}

async fn dispatch(
    ctx: &Ctx,
    req: Request,
    (app, version): (&Application, u64),
    (at, issuer): (AppAt<'_>, &str),
    method: Method,
    segments: &[&str],
) -> HttpResult {
    let hot = |document| hot_routes::Source::new(at, issuer, document);
    match (method, segments) {
        (Method::Get, [".well-known", document @ "openid-configuration"]) => {
            let inm = if_none_match(&req);
            discovery::configuration(issuer, app, version, inm.as_deref(), &hot(document))
        }
        (Method::Get, [".well-known", document @ "oauth-authorization-server"]) => {
            let inm = if_none_match(&req);
            discovery::authorization_server(issuer, app, version, inm.as_deref(), &hot(document))
        }
        (Method::Get, [".well-known", document @ "jwks.json"]) => {
            let inm = if_none_match(&req);
            discovery::jwks(ctx, app, inm.as_deref(), &hot(document)).await
        }
        (Method::Get | Method::Post, ["auth"]) => authorize::handle(ctx, req, app, issuer).await,
        (Method::Get, ["interaction", uid]) => interaction::show(ctx, req, app, issuer, uid).await,
        (Method::Post, ["interaction", uid, "login"]) => {
            interaction::login(ctx, req, app, issuer, uid).await
        }
        (Method::Post, ["interaction", uid, "consent"]) => {
            interaction::consent(ctx, req, app, issuer, uid).await
        }
        (Method::Post, ["interaction", uid, "passkey", "options"]) => {
            passkeys::sign_in::options(ctx, req, app, issuer, uid).await
        }
        (Method::Post, ["interaction", uid, "passkey"]) => {
            passkeys::sign_in::verify(ctx, req, app, issuer, uid).await
        }
        (Method::Get, ["account", "passkeys"]) => {
            passkeys::account::page(ctx, req, app, issuer).await
        }
        (Method::Post, ["account", "passkeys", "options"]) => {
            passkeys::account::registration_options(ctx, req, app, issuer).await
        }
        (Method::Post, ["account", "passkeys"]) => {
            passkeys::account::register(ctx, req, app, issuer).await
        }
        (Method::Post, ["account", "passkeys", id, action @ ("rename" | "delete")]) => {
            passkeys::account::change(ctx, req, app, issuer, id, action).await
        }
        (Method::Post, ["interaction", uid, "mfa"]) => {
            interaction_steps::second_factor(ctx, req, app, issuer, uid).await
        }
        (Method::Post, ["interaction", uid, "continue"]) => {
            interaction_steps::continue_after_enrolment(ctx, req, app, issuer, uid).await
        }
        // The passkeys page (`account/passkeys`) is routed by its own module, before this.
        (Method::Get | Method::Post, ["account", rest @ ..]) => {
            account::route(ctx, req, app, issuer, rest).await
        }
        (Method::Post, ["token"]) => token::handle(ctx, req, app, issuer).await,
        (Method::Get | Method::Post, ["me"]) => userinfo::handle(ctx, req, app, issuer).await,
        (Method::Post, ["token", "introspection"]) => {
            introspection::handle(ctx, req, app, issuer).await
        }
        (Method::Post, ["token", "revocation"]) => revocation::handle(ctx, req, app, issuer).await,
        (Method::Get | Method::Post, ["session", "end"]) => {
            logout::handle(ctx, req, app, issuer).await
        }
        (Method::Post, ["session", "end", "confirm"]) => {
            logout::confirm(ctx, req, app, issuer).await
        }
        (_, ["reg"]) => registration::handle(ctx, req, app, issuer, None).await,
        (_, ["reg", client_id]) => {
            registration::handle(ctx, req, app, issuer, Some(client_id)).await
        }
        (Method::Get, ["assets", "brand.css"]) => assets::brand_css(ctx, app).await,
        (Method::Get, ["assets", file]) if !file.is_empty() => {
            assets::serve(ctx, &format!("/pages/{file}")).await
        }
        (_, segments) => match allowed_methods(segments) {
            Some(allow) => method_not_allowed(allow),
            None => Err(HttpError::NotFound),
        },
    }
}

fn if_none_match(req: &Request) -> Option<String> {
    req.headers().get("If-None-Match").ok().flatten()
}

/// The methods a known path serves, for the 405 answer (RFC 9110 §15.5.6) to any other.
fn allowed_methods(segments: &[&str]) -> Option<&'static str> {
    match segments {
        [".well-known", "openid-configuration" | "oauth-authorization-server" | "jwks.json"] => {
            Some("GET")
        }
        ["interaction", _] | ["assets", _] => Some("GET"),
        ["account", "passkeys"] => Some("GET, POST"),
        ["interaction", _, "passkey"]
        | ["interaction", _, "passkey", "options"]
        | ["account", "passkeys", "options"]
        | ["account", "passkeys", _, "rename" | "delete"] => Some("POST"),
        ["auth"] | ["me"] | ["session", "end"] => Some("GET, POST"),
        ["token"]
        | ["token", "introspection"]
        | ["token", "revocation"]
        | ["interaction", _, "login" | "consent" | "mfa" | "continue"]
        | ["session", "end", "confirm"] => Some("POST"),
        _ => None,
    }
}

fn method_not_allowed(allow: &str) -> HttpResult {
    let body = crate::oidc::error::OAuthError::invalid_request("this method is not allowed here");
    let mut resp = worker::Response::from_json(&body.body())?.with_status(405);
    resp.headers_mut().set("Allow", allow)?;
    Ok(resp)
}
