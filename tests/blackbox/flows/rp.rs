//! The relying party's side of the authorization code tests (issue 3): an application as its
//! developer sees it ([`Rp`]), its calls to the token and userinfo endpoints, and codes obtained
//! through the scripted browser. Shared by `code_flow`, `code_redemption`, `authorization_errors`,
//! `login_page`, `consent_and_prompt` and `refresh_tokens`; depends only on `common` and `flows`.
#![allow(dead_code)] // Each test binary uses a different subset of the helpers.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use reqwest::header::AUTHORIZATION;
use reqwest::Method;
use serde_json::{json, Value};

use crate::common::{send, Reply, TestApp};
use crate::flows::{code_params, create_user, with, Browser, Consent, Outcome, TestUser};

/// An application as its developer sees it after creating it.
#[derive(Debug, Clone)]
pub struct Rp {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
}

/// Creates an application (a fresh subdomain, one redirect URI) with `extra` settings.
pub async fn new_rp(app: &TestApp, extra: Value) -> Rp {
    let mut body = app.application_body("ac");
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let v = app.create_application(body).await;
    let s = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("application without `{k}`: {v}"))
            .to_string()
    };
    Rp {
        issuer: s("issuer"),
        client_id: s("client_id"),
        client_secret: s("client_secret"),
        redirect_uri: v["redirect_uris"][0]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    }
}

pub async fn setup() -> (TestApp, Rp, TestUser) {
    let app = TestApp::spawn().await;
    let rp = new_rp(&app, json!({})).await;
    let user = create_user(&app).await;
    (app, rp, user)
}

pub fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// `POST {issuer}/token` with `client_secret_basic` and a form body.
pub async fn token(app: &TestApp, rp: &Rp, form: &[(&str, &str)]) -> Reply {
    send(
        app.at(Method::POST, &format!("{}/token", rp.issuer))
            .header(AUTHORIZATION, basic(&rp.client_id, &rp.client_secret))
            .form(form),
    )
    .await
}

/// Redeems a code (optionally with a PKCE verifier).
pub async fn redeem(app: &TestApp, rp: &Rp, code: &str, verifier: Option<&str>) -> Reply {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", rp.redirect_uri.as_str()),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    token(app, rp, &form).await
}

pub async fn refresh(app: &TestApp, rp: &Rp, refresh_token: &str, scope: Option<&str>) -> Reply {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    token(app, rp, &form).await
}

pub async fn userinfo(app: &TestApp, rp: &Rp, access_token: &str) -> Reply {
    send(
        app.at(Method::GET, &format!("{}/me", rp.issuer))
            .bearer_auth(access_token),
    )
    .await
}

/// Signs `user` in through the browser with `params` (allowing consent) and returns the code.
pub async fn code_for(
    browser: &mut Browser,
    rp: &Rp,
    user: &TestUser,
    params: &[(&str, String)],
) -> String {
    let cb = browser
        .sign_in(
            &rp.issuer,
            params,
            &user.username,
            &user.password,
            Consent::Allow,
        )
        .await
        .callback();
    cb.param("code").to_string()
}

/// A code for the standard request plus `extra` parameters.
pub async fn fresh_code(
    app: &TestApp,
    rp: &Rp,
    user: &TestUser,
    scope: &str,
    extra: &[(&'static str, String)],
) -> String {
    let mut params = code_params(&rp.client_id, &rp.redirect_uri, scope);
    for (k, v) in extra {
        params = with(params, k, v);
    }
    code_for(&mut Browser::new(app), rp, user, &params).await
}

#[track_caller]
pub fn expect_oauth_error(r: &Reply, status: u16, error: &str) {
    assert_eq!(
        (r.status.as_u16(), r.json["error"].as_str().unwrap_or("")),
        (status, error),
        "expected {status} {error}; body: {}",
        r.excerpt()
    );
}

/// The claims of a JWT, unverified (for tests that only read them).
pub fn claims(jwt: &str) -> Value {
    let payload = jwt
        .split('.')
        .nth(1)
        .unwrap_or_else(|| panic!("not a JWT: {jwt}"));
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap_or_else(|e| panic!("JWT payload: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("JWT payload JSON: {e}"))
}

/// Where the browser stopped, in one line (for failure lists).
pub fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Callback(c) => format!("callback {}", c.url),
        Outcome::Login(p) => format!("login page {}", p.reply.status),
        Outcome::Consent(_) => "consent page (signed in)".into(),
        Outcome::Stopped { reply, .. } => format!("page {}", reply.status),
    }
}
