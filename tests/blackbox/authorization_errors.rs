//! Errors at the authorization endpoint (OIDC Core §3.1.2.6): a redirect URI that is not exactly
//! a registered one, or a client that is not this issuer's, gets an error page and never a
//! redirect; anything wrong after the redirect URI check goes back to the client with `state`
//! and `iss` (RFC 9207).

use reqwest::header::LOCATION;
use reqwest::Method;
use serde_json::json;

use crate::support::applications::setup;
use crate::support::authorize::{code_params, param, with, without, Pkce};
use crate::support::browser::{authorize_url, Browser, Outcome};
use crate::support::worker::{send, TestApp};

// ---------------------------------------------------------------------------------------------
// Redirect URI: exact match, else an error page and never a redirect

#[tokio::test]
async fn unregistered_or_mutated_redirect_uris_get_an_error_page_and_never_a_redirect() {
    let app = TestApp::spawn().await;
    let rp = app
        .create_application(json!({"redirect_uris": ["https://rp.example/cb/done"]}))
        .await;
    let cases = [
        ("unregistered", "https://evil.example/cb/done"),
        ("trailing slash", "https://rp.example/cb/done/"),
        ("host case", "https://RP.example/cb/done"),
        ("path case", "https://rp.example/CB/done"),
        ("extra path segment", "https://rp.example/cb/done/more"),
        ("shorter path", "https://rp.example/cb"),
        ("added query", "https://rp.example/cb/done?x=1"),
        ("explicit port", "https://rp.example:8443/cb/done"),
        ("explicit default port", "https://rp.example:443/cb/done"),
        ("scheme http", "http://rp.example/cb/done"),
        ("userinfo part", "https://user@rp.example/cb/done"),
        ("fragment", "https://rp.example/cb/done#x"),
        ("missing", ""),
    ];
    let mut failures = Vec::new();
    for (case, uri) in cases {
        let params = code_params(&rp.client_id, uri, "openid");
        let params = if uri.is_empty() {
            without(params, "redirect_uri")
        } else {
            params
        };
        let url = authorize_url(&rp.issuer, &params);
        let r = send(app.at(Method::GET, &url)).await;
        let ok = r.status == 400
            && r.headers.get(LOCATION).is_none()
            && r.header("content-type").starts_with("text/html");
        if !ok {
            failures.push(format!(
                "{case} ({uri}): {} location={:?} type={}",
                r.status,
                r.header("location"),
                r.header("content-type")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "expected a 400 HTML page with no Location for:\n{}",
        failures.join("\n")
    );

    // The registered URI itself is accepted (the table is not failing for another reason).
    let ok = Browser::new(&app)
        .authorize(
            &rp.issuer,
            &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        )
        .await;
    assert!(
        ok.is_login(),
        "the exact registered URI leads to the login page"
    );
}

#[tokio::test]
async fn a_client_of_another_issuer_gets_an_error_page_and_no_redirect() {
    let (app, rp, _) = setup().await;
    let other = app.create_application(json!({})).await;
    let cases = [
        (
            "another issuer's client",
            other.client_id.as_str(),
            other.redirect_uri.as_str(),
        ),
        ("unknown client", "no-such-client", rp.redirect_uri.as_str()),
    ];
    for (case, client_id, redirect_uri) in cases {
        let url = authorize_url(&rp.issuer, &code_params(client_id, redirect_uri, "openid"));
        let r = send(app.at(Method::GET, &url)).await;
        assert_eq!(r.status, 400, "{case}: {}", r.excerpt());
        assert!(r.headers.get(LOCATION).is_none(), "{case}: no redirect");
    }
}

// ---------------------------------------------------------------------------------------------
// Errors sent back to the client

#[tokio::test]
async fn invalid_requests_after_the_redirect_uri_check_go_back_to_the_client_with_state_and_iss() {
    let (app, rp, _) = setup().await;
    let base = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    // (case, changed parameter, value, acceptable error codes)
    let cases: [(&str, &'static str, &str, &[&str]); 6] = [
        (
            "response type not ticked",
            "response_type",
            "id_token",
            &["unauthorized_client", "unsupported_response_type"],
        ),
        (
            "unknown response type",
            "response_type",
            "bogus",
            &["unsupported_response_type"],
        ),
        (
            "scope without openid",
            "scope",
            "profile email",
            &["invalid_scope", "invalid_request"],
        ),
        (
            "unknown PKCE method",
            "code_challenge_method",
            "S512",
            &["invalid_request"],
        ),
        (
            "prompt=none combined",
            "prompt",
            "none login",
            &["invalid_request"],
        ),
        (
            "unknown prompt",
            "prompt",
            "sometimes",
            &["invalid_request"],
        ),
    ];
    let mut failures = Vec::new();
    for (case, key, value, want) in cases {
        let mut params = with(base.clone(), key, value);
        if key == "code_challenge_method" {
            params = with(params, "code_challenge", &Pkce::s256().challenge);
        }
        match Browser::new(&app).authorize(&rp.issuer, &params).await {
            Outcome::Callback(cb) => {
                let ok = cb.get("error").is_some_and(|e| want.contains(&e))
                    && cb.get("state") == param(&params, "state")
                    && cb.get("iss") == Some(rp.issuer.as_str())
                    && cb.get("code").is_none();
                if !ok {
                    failures.push(format!("{case}: {:?}", cb.params));
                }
            }
            other => failures.push(format!("{case}: {}", other.describe())),
        }
    }
    assert!(
        failures.is_empty(),
        "expected an error redirect for:\n{}",
        failures.join("\n")
    );
}
