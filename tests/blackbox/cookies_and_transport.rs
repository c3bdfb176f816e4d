//! What the answers carry over the wire: CSRF cookies are host-only (no `Domain`, so no sibling
//! subdomain shares them) while the SSO session cookie is shared across the base domain; every
//! answer says `X-Content-Type-Options: nosniff`; a failed HTTP Basic client authentication
//! is challenged with the error as auth-params; a known path asked with another method is 405
//! naming the methods it serves.
//!
//! Not covered, on purpose: HSTS and the `__Host-` cookie prefix, which apply only over https,
//! and the local runtime serves plain http only.

use reqwest::header::WWW_AUTHENTICATE;
use reqwest::Method;
use serde_json::json;

use crate::support::applications::setup;
use crate::support::authorize::{code_params, fresh_code};
use crate::support::browser::{Browser, Consent};
use crate::support::tokens::{code_form, introspect, post_form, revoke, token, Auth};
use crate::support::worker::{send, Options, Reply, TestApp};

const BASE: &str = "id.example.test";

/// Whether a raw `Set-Cookie` value carries a `Domain` attribute.
fn has_domain(raw: &str) -> Option<String> {
    raw.split(';').skip(1).find_map(|attr| {
        let (k, v) = attr.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("domain")
            .then(|| v.trim().to_string())
    })
}

// ---------------------------------------------------------------------------------------------
// Cookies (RFC 6265 §5.3: a cookie without Domain is host-only)

#[tokio::test]
async fn csrf_cookies_are_host_only_while_the_session_cookie_spans_the_base_domain() {
    let app = TestApp::spawn_with(Options {
        base_domain: Some(BASE),
        ..Options::default()
    })
    .await;
    let rp = app.create_application(json!({})).await;
    let user = app.create_user(json!({})).await;
    assert!(
        rp.issuer
            .starts_with(&format!("http://{}.{BASE}/", rp.subdomain)),
        "subdomain style: {}",
        rp.issuer
    );

    let mut browser = Browser::new(&app);
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let page = browser.authorize(&rp.issuer, &params).await.login();
    let interaction = browser
        .cookie_full("dw_interaction")
        .unwrap_or_else(|| panic!("no dw_interaction cookie: {:?}", browser.jar))
        .clone();
    let done = browser
        .complete(
            &rp.issuer,
            crate::support::browser::Outcome::Login(page),
            &user,
            Consent::Allow,
        )
        .await
        .callback();
    assert!(done.get("code").is_some(), "{:?}", done.params);
    let session = browser
        .cookie_full("dw_session_default")
        .unwrap_or_else(|| panic!("no session cookie: {:?}", browser.jar))
        .clone();

    let logout = browser.get(&format!("{}/session/end", rp.issuer)).await;
    logout.expect_status(200);
    let logout_csrf = browser
        .cookie_full("dw_logout")
        .unwrap_or_else(|| panic!("no dw_logout cookie: {:?}", browser.jar))
        .clone();

    for c in [&interaction, &logout_csrf] {
        assert_eq!(
            has_domain(&c.raw),
            None,
            "{} must be host-only: {}",
            c.name,
            c.raw
        );
    }
    assert_eq!(
        has_domain(&session.raw).map(|d| d.to_ascii_lowercase()),
        Some(format!(".{BASE}")),
        "the SSO session is shared across the base domain: {}",
        session.raw
    );
}

// ---------------------------------------------------------------------------------------------
// nosniff on every answer

#[tokio::test]
async fn every_answer_says_nosniff() {
    let (app, rp, user) = setup().await;
    let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
    let issuer = rp.issuer.as_str();
    let mut replies: Vec<(&str, Reply)> = vec![
        (
            "discovery",
            app.get_url(&format!("{issuer}/.well-known/openid-configuration"))
                .await,
        ),
        (
            "jwks",
            app.get_url(&format!("{issuer}/.well-known/jwks.json"))
                .await,
        ),
        (
            "a token",
            token(
                &app,
                issuer,
                rp.basic(),
                &code_form(&code, &rp.redirect_uri),
            )
            .await,
        ),
        (
            "a token error",
            token(&app, issuer, rp.basic(), &[("grant_type", "nope")]).await,
        ),
        (
            "an invalid_client",
            token(
                &app,
                issuer,
                Auth::Basic(&rp.client_id, "wrong"),
                &[("grant_type", "refresh_token")],
            )
            .await,
        ),
        (
            "userinfo without a token",
            send(app.at(Method::GET, &format!("{issuer}/me"))).await,
        ),
        (
            "a 405",
            send(app.at(Method::DELETE, &format!("{issuer}/token"))).await,
        ),
        (
            "an unknown issuer path",
            app.get_url(&format!("{issuer}/nothing-here")).await,
        ),
        (
            "the login page",
            Browser::new(&app)
                .authorize(
                    issuer,
                    &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
                )
                .await
                .login()
                .reply,
        ),
        (
            "the admin API",
            app.admin().get("/api/v1/applications").await,
        ),
        (
            "an admin API 401",
            send(app.console(Method::GET, "/api/v1/applications")).await,
        ),
        (
            "an admin API 400",
            app.admin()
                .post_raw("/api/v1/users", "application/json", "{")
                .await,
        ),
    ];
    replies.push((
        "an unknown admin path",
        app.admin().get("/api/v1/nothing-here").await,
    ));
    replies.push((
        "the console page",
        send(app.console(Method::GET, "/")).await,
    ));
    replies.push((
        "a page asset",
        app.get_url(&format!("{issuer}/assets/brand.css")).await,
    ));
    let missing: Vec<String> = replies
        .iter()
        .filter(|(_, r)| {
            !r.header("x-content-type-options")
                .eq_ignore_ascii_case("nosniff")
        })
        .map(|(case, r)| format!("{case} ({})", r.status))
        .collect();
    assert!(
        missing.is_empty(),
        "without X-Content-Type-Options: nosniff: {missing:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The Basic challenge of invalid_client (RFC 6749 §5.2, auth-params as in RFC 6750 §3)

#[tokio::test]
async fn a_failed_basic_client_authentication_is_challenged_with_the_error_as_auth_params() {
    let (app, rp, user) = setup().await;
    let wrong = format!("{}x", rp.client_secret);
    let auth = Auth::Basic(&rp.client_id, &wrong);
    let issuer = rp.issuer.as_str();
    let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
    let replies = [
        (
            "/token",
            token(&app, issuer, auth, &code_form(&code, &rp.redirect_uri)).await,
        ),
        (
            "/token/introspection",
            introspect(&app, issuer, auth, "x", None).await,
        ),
        (
            "/token/revocation",
            revoke(&app, issuer, auth, "x", None).await,
        ),
    ];
    for (endpoint, r) in &replies {
        assert_eq!(r.status, 401, "{endpoint}: {}", r.text);
        assert_eq!(r.json["error"], "invalid_client", "{endpoint}: {}", r.text);
        let challenge = r
            .headers
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            challenge.starts_with(
                "Basic realm=\"doorward\", error=\"invalid_client\", error_description=\""
            ) && challenge.ends_with('"')
                && challenge.len()
                    > "Basic realm=\"doorward\", error=\"invalid_client\", error_description=\"\""
                        .len(),
            "{endpoint}: WWW-Authenticate: {challenge:?}"
        );
    }
    // client_secret_post gets no challenge: it did not try HTTP authentication.
    let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
    let r = post_form(
        &app,
        &format!("{issuer}/token"),
        Auth::Post(&rp.client_id, &wrong),
        &code_form(&code, &rp.redirect_uri),
    )
    .await;
    assert_eq!(
        (r.status.as_u16(), r.header("www-authenticate")),
        (401, ""),
        "{}",
        r.text
    );
}

// ---------------------------------------------------------------------------------------------
// 405 with Allow (RFC 9110 §15.5.6)

#[tokio::test]
async fn a_known_path_asked_with_another_method_is_405_naming_the_allowed_ones() {
    let (app, rp, _) = setup().await;
    let issuer = rp.issuer.as_str();
    let cases = [
        (Method::DELETE, "/token", "POST"),
        (Method::GET, "/token", "POST"),
        (Method::POST, "/.well-known/openid-configuration", "GET"),
        (Method::PUT, "/.well-known/jwks.json", "GET"),
        (Method::GET, "/token/introspection", "POST"),
        (Method::GET, "/token/revocation", "POST"),
        (Method::DELETE, "/auth", "GET, POST"),
        (Method::PUT, "/me", "GET, POST"),
        (Method::DELETE, "/session/end", "GET, POST"),
        (Method::GET, "/session/end/confirm", "POST"),
        (Method::GET, "/interaction/abc/login", "POST"),
        (Method::POST, "/interaction/abc", "GET"),
    ];
    let mut failures = Vec::new();
    for (method, path, allow) in cases {
        let r = send(app.at(method.clone(), &format!("{issuer}{path}"))).await;
        if r.status != 405 || r.header("allow") != allow || !r.json["error"].is_string() {
            failures.push(format!(
                "{method} {path}: {} Allow={:?} {}",
                r.status,
                r.header("allow"),
                r.excerpt()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "expected 405 with Allow and a JSON error:\n{}",
        failures.join("\n")
    );
}
