//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): an unregistered post-logout URI
//! gets an error page and no redirect; a valid `id_token_hint` ends the session (redirecting
//! with `state`, or showing the signed-out page) and kills the old cookie server-side; without
//! a hint the user is asked, and only a confirmed POST with its CSRF token and cookie ends the
//! session. A sign-out that ends a live session is audited (`token_revoked`, `signed_out`).

use reqwest::header::LOCATION;
use reqwest::StatusCode;
use serde_json::json;

use crate::support::applications::{application_body, Application, TestUser};
use crate::support::authorize::{code_params, with};
use crate::support::browser::{Browser, Consent};
use crate::support::html::Form;
use crate::support::json::field;
use crate::support::tokens::redeem;
use crate::support::worker::{Reply, TestApp};

// ---------------------------------------------------------------------------------------------
// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0)
// ---------------------------------------------------------------------------------------------

const SESSION_COOKIE: &str = "dw_session_default";

fn query_param(url: &str, key: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// The hidden `csrf` field of the first form of a page.
fn csrf_of(r: &Reply) -> Option<String> {
    Form::parse(&r.text).and_then(|f| f.field("csrf").map(str::to_string))
}

/// A code-flow application with skip_consent and a registered post-logout URI.
pub(crate) async fn logout_app(app: &TestApp) -> Application {
    let mut body = application_body();
    let sub = field(&body, "subdomain").to_string();
    body["post_logout_redirect_uris"] = json!([format!("https://{sub}.rp.example/signed-out")]);
    body["skip_consent"] = json!(true);
    app.create_application(body).await
}

/// The application's registered post-logout redirect URI.
pub(crate) fn post_logout_uri(client: &Application) -> String {
    client["post_logout_redirect_uris"][0]
        .as_str()
        .unwrap_or_else(|| panic!("no post-logout URI: {}", client.created))
        .to_string()
}

/// Signs `user` in through the hosted login page and exchanges the code; returns the id_token.
/// The browser then holds the SSO session cookie.
async fn sign_in(
    app: &TestApp,
    browser: &mut Browser,
    client: &Application,
    user: &TestUser,
) -> String {
    let params = code_params(&client.client_id, &client.redirect_uri, "openid");
    let done = browser
        .sign_in(&client.issuer, &params, user, Consent::Allow)
        .await
        .callback();
    let code = done.param("code").to_string();
    assert!(
        browser.cookie(SESSION_COOKIE).is_some(),
        "no {SESSION_COOKIE} cookie after signing in: {:?}",
        browser.jar
    );
    let t = redeem(app, client, &code, None).await;
    t.expect_status(200);
    field(&t.json, "id_token").to_string()
}

/// `prompt=none` answers with a code while the session lives, `login_required` once it ended.
async fn session_is_alive(browser: &mut Browser, client: &Application) -> bool {
    let params = code_params(&client.client_id, &client.redirect_uri, "openid");
    let cb = browser
        .authorize(&client.issuer, &with(params, "prompt", "none"))
        .await
        .callback();
    if cb.get("code").is_some() {
        return true;
    }
    assert_eq!(
        cb.get("error"),
        Some("login_required"),
        "prompt=none: {:?}",
        cb.params
    );
    false
}

fn session_end(client: &Application, params: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    format!("{}/session/end?{}", client.issuer, q.finish())
}

#[tokio::test]
async fn logout_with_an_unregistered_post_logout_redirect_uri_shows_an_error_page_and_does_not_redirect(
) {
    let app = TestApp::spawn().await;
    let client = logout_app(&app).await;
    let user = app.create_user(json!({})).await;
    let mut browser = Browser::new(&app);
    let id_token = sign_in(&app, &mut browser, &client, &user).await;
    let registered = post_logout_uri(&client);

    let cases = [
        (
            "an attacker's URI",
            "https://evil.example/steal".to_string(),
        ),
        (
            "a registered URI with a different path",
            format!("{registered}/more"),
        ),
        (
            "a registered URI with an extra query",
            format!("{registered}?next=https://evil.example"),
        ),
        (
            "the login redirect_uri (not a post-logout URI)",
            client.redirect_uri.clone(),
        ),
    ];
    for (case, uri) in &cases {
        for with_hint in [true, false] {
            let mut params = vec![
                ("post_logout_redirect_uri", uri.as_str()),
                ("state", "st-2"),
            ];
            if with_hint {
                params.push(("id_token_hint", &id_token));
            }
            let r = browser.get(&session_end(&client, &params)).await;
            let case = format!("{case}, hint: {with_hint}");
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{case}: status; body {}",
                r.excerpt()
            );
            assert!(
                r.headers.get(LOCATION).is_none(),
                "{case}: must not redirect, Location: {}",
                r.header("location")
            );
            assert!(
                r.header("content-type").contains("text/html"),
                "{case}: an HTML error page, got {}",
                r.header("content-type")
            );
            let lower = r.text.to_ascii_lowercase();
            assert!(
                !lower.contains("http-equiv=\"refresh\""),
                "{case}: no meta refresh on the error page"
            );
            assert!(
                !lower.contains("href=\"https://evil.example"),
                "{case}: the page must not link to the unregistered URI"
            );
        }
    }
    assert!(
        browser.cookie(SESSION_COOKIE).is_some(),
        "a refused logout must not clear the session cookie"
    );
    assert!(
        session_is_alive(&mut browser, &client).await,
        "a refused logout must not end the session"
    );
}

#[tokio::test]
async fn logout_with_a_valid_hint_ends_the_session_and_redirects_with_state() {
    let app = TestApp::spawn().await;
    let client = logout_app(&app).await;
    let user = app.create_user(json!({})).await;
    let mut browser = Browser::new(&app);
    let id_token = sign_in(&app, &mut browser, &client, &user).await;
    assert!(
        session_is_alive(&mut browser, &client).await,
        "control: the session lives before logout"
    );
    let registered = post_logout_uri(&client);

    let r = browser
        .get(&session_end(
            &client,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", &registered),
                ("state", "st-3"),
            ],
        ))
        .await;
    assert_eq!(
        r.status.as_u16(),
        303,
        "logout with a valid hint: body {}",
        r.excerpt()
    );
    let location = r.header("location");
    assert!(
        location.starts_with(&registered),
        "redirected to {location}, expected {registered}"
    );
    assert_eq!(
        query_param(location, "state").as_deref(),
        Some("st-3"),
        "state in {location}"
    );
    assert!(
        browser.cookie(SESSION_COOKIE).is_none(),
        "{SESSION_COOKIE} not cleared: {:?}",
        r.headers
    );
    assert!(
        !session_is_alive(&mut browser, &client).await,
        "prompt=none after logout must be login_required"
    );
    // The sign-out is in the audit log: the session revoked, by the user, at this client.
    let client_id = client.client_id.clone();
    crate::audit_trail::audit_until(&app, "kind=token_revoked", |events| {
        events.iter().any(|e| {
            e["revoked"] == "sso_session"
                && e["reason"] == "signed_out"
                && e["user_id"] == user.id.as_str()
                && e["client_id"] == client_id.as_str()
        })
    })
    .await;
}

#[tokio::test]
async fn logout_with_a_valid_hint_and_no_redirect_shows_the_signed_out_page_and_kills_the_old_cookie(
) {
    let app = TestApp::spawn().await;
    let client = logout_app(&app).await;
    let user = app.create_user(json!({})).await;
    let mut browser = Browser::new(&app);
    let id_token = sign_in(&app, &mut browser, &client, &user).await;

    // The session cookie kept aside: replaying it after logout must not revive the session.
    let stolen = browser
        .cookie_full(SESSION_COOKIE)
        .cloned()
        .unwrap_or_else(|| panic!("no session cookie"));
    let url = format!("{}/session/end", client.issuer);
    let r = browser
        .post_form(&url, &[("id_token_hint", &id_token)])
        .await;
    r.expect_status(200);
    assert!(
        r.headers.get(LOCATION).is_none(),
        "no post_logout_redirect_uri, no redirect"
    );
    assert!(
        r.header("content-type").contains("text/html"),
        "{}",
        r.header("content-type")
    );
    assert!(
        csrf_of(&r).is_none(),
        "a valid hint needs no confirmation: {}",
        r.excerpt()
    );
    assert!(
        browser.cookie(SESSION_COOKIE).is_none(),
        "{SESSION_COOKIE} not cleared: {:?}",
        r.headers
    );
    browser.set_cookie(SESSION_COOKIE, &stolen.value, &stolen.path);
    assert!(
        !session_is_alive(&mut browser, &client).await,
        "the old session cookie must be dead server-side"
    );
}

#[tokio::test]
async fn logout_without_a_hint_asks_for_confirmation_and_only_a_confirmed_post_ends_the_session() {
    let app = TestApp::spawn().await;
    let client = logout_app(&app).await;
    let user = app.create_user(json!({})).await;
    let mut browser = Browser::new(&app);
    sign_in(&app, &mut browser, &client, &user).await;
    let issuer = &client.issuer;
    let registered = post_logout_uri(&client);
    let confirm = format!("{issuer}/session/end/confirm");
    let ask = session_end(
        &client,
        &[("post_logout_redirect_uri", &registered), ("state", "st-4")],
    );

    // Without a hint (and with a garbage one) the user is asked; nothing ends yet.
    for params in [vec![], vec![("id_token_hint", "not-a-jwt")]] {
        let r = browser.get(&session_end(&client, &params)).await;
        r.expect_status(200);
        assert!(
            r.headers.get(LOCATION).is_none(),
            "confirmation page must not redirect"
        );
        assert!(
            csrf_of(&r).is_some(),
            "no csrf on the confirmation page: {}",
            r.excerpt()
        );
        assert!(
            r.text.contains(&confirm),
            "form action should be {confirm}: {}",
            r.excerpt()
        );
        assert!(
            browser.cookie("dw_logout").is_some(),
            "no dw_logout CSRF cookie: {:?}",
            r.headers
        );
        assert!(
            session_is_alive(&mut browser, &client).await,
            "showing the confirmation must not end the session"
        );
    }

    // A forged confirmation (wrong CSRF) ends nothing.
    browser.get(&ask).await.expect_status(200);
    let r = browser
        .post_form(&confirm, &[("csrf", "forged"), ("logout", "yes")])
        .await;
    assert!(
        r.status.is_client_error(),
        "confirmation with a forged csrf: {} {}",
        r.status,
        r.excerpt()
    );
    assert!(
        session_is_alive(&mut browser, &client).await,
        "a forged confirmation must not end the session"
    );

    // Nor does a real CSRF token without its dw_logout cookie (a cross-site post).
    let r = browser.get(&ask).await;
    let csrf = csrf_of(&r).unwrap_or_else(|| panic!("no csrf: {}", r.excerpt()));
    let logout_cookie = browser
        .cookie_full("dw_logout")
        .cloned()
        .unwrap_or_else(|| panic!("no dw_logout cookie"));
    browser.remove_cookie("dw_logout");
    let r = browser
        .post_form(&confirm, &[("csrf", csrf.as_str()), ("logout", "yes")])
        .await;
    assert!(
        r.status.is_client_error(),
        "confirmation without the dw_logout cookie: {} {}",
        r.status,
        r.excerpt()
    );
    assert!(
        session_is_alive(&mut browser, &client).await,
        "a confirmation without its cookie must not end the session"
    );
    browser.set_cookie("dw_logout", &logout_cookie.value, &logout_cookie.path);

    // "Stay signed in" keeps the session.
    let r = browser.get(&ask).await;
    let form = Form::parse(&r.text).unwrap_or_else(|| panic!("no form: {}", r.excerpt()));
    let mut answer = form.hidden.clone();
    answer.push(("logout".into(), "no".into()));
    browser.post_form(&confirm, &answer).await;
    assert!(
        session_is_alive(&mut browser, &client).await,
        "\"Stay signed in\" must keep the session"
    );

    // "Sign out" ends it, and goes to the registered URI with the state.
    let r = browser.get(&ask).await;
    let form = Form::parse(&r.text).unwrap_or_else(|| panic!("no form: {}", r.excerpt()));
    let mut answer = form.hidden.clone();
    answer.push(("logout".into(), "yes".into()));
    let r = browser.post_form(&confirm, &answer).await;
    assert!(
        matches!(r.status.as_u16(), 200 | 303),
        "confirming logout: {} {}",
        r.status,
        r.excerpt()
    );
    if r.status.as_u16() == 303 {
        let location = r.header("location");
        assert!(
            location.starts_with(&registered),
            "redirected to {location}"
        );
        assert_eq!(
            query_param(location, "state").as_deref(),
            Some("st-4"),
            "state in {location}"
        );
    }
    assert!(
        browser.cookie(SESSION_COOKIE).is_none(),
        "{SESSION_COOKIE} not cleared: {:?}",
        r.headers
    );
    assert!(
        !session_is_alive(&mut browser, &client).await,
        "prompt=none after a confirmed logout"
    );
}
