//! The hosted login page: one message for a wrong password and an unknown user, the per-account
//! lock after five failures (whichever login names the account, and under 20 parallel guesses),
//! blocked users, sign-in by username, email or phone, the session cookie's attributes,
//! anti-framing headers and the CSRF check of the form.

use futures::future::join_all;
use reqwest::Method;
use serde_json::json;

use crate::support::applications::setup;
use crate::support::authorize::code_params;
use crate::support::browser::{resolve, Browser, Outcome};
use crate::support::worker::{send, TestApp};

// ---------------------------------------------------------------------------------------------
// The hosted login page

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_401_message() {
    let (app, rp, user) = setup().await;
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let mut pages = Vec::new();
    for (login, password) in [
        (user.username.as_str(), "wrong-password"),
        ("no-such-user", "wrong-password"),
    ] {
        let mut browser = Browser::new(&app);
        let page = browser.authorize(&rp.issuer, &params).await.login();
        let reply = browser
            .submit_login(&rp.issuer, &page, login, password)
            .await
            .stopped();
        assert_eq!(reply.status, 401, "{login}: {}", reply.excerpt());
        assert!(
            reply.text.contains("Incorrect username or password."),
            "{login}: {}",
            reply.excerpt()
        );
        assert!(
            browser.cookies_starting("dw_session_").is_empty(),
            "no session after a failure"
        );
        // Per-request values (CSRF token, interaction id, the login as typed) aside, the
        // pages must be identical: nothing tells a known account from an unknown one.
        let uid = page.url.rsplit('/').next().unwrap_or_default().to_string();
        let login_html = login.replace('&', "&amp;");
        // The ceremony script's CSP nonce is new in every response.
        let nonce = reply
            .text
            .split("nonce=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or("{nonce}")
            .to_string();
        pages.push(
            reply
                .text
                .replace(&nonce, "{nonce}")
                .replace(page.csrf(), "{csrf}")
                .replace(&uid, "{uid}")
                .replace(&login_html, "{login}"),
        );
    }
    assert_eq!(
        pages[0], pages[1],
        "the two pages differ only in per-request values"
    );
}

#[tokio::test]
async fn the_account_locks_after_five_wrong_passwords_even_for_the_right_one() {
    let (app, rp, user) = setup().await;
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let mut browser = Browser::new(&app);
    let page = browser.authorize(&rp.issuer, &params).await.login();
    for i in 1..=5 {
        let r = browser
            .submit_login(&rp.issuer, &page, &user.username, "wrong-password")
            .await
            .stopped();
        assert_eq!(r.status, 401, "failure {i}: {}", r.excerpt());
    }
    let r = browser
        .submit_login(&rp.issuer, &page, &user.username, &user.password)
        .await
        .stopped();
    assert_eq!(r.status, 429, "locked: {}", r.excerpt());
    assert!(
        r.text.contains("Too many failed attempts"),
        "{}",
        r.excerpt()
    );
    assert!(
        browser.cookies_starting("dw_session_").is_empty(),
        "no session while locked"
    );
}

/// The lock is per account: the username, the email and the phone number all name the same
/// account, so neither spreading guesses over them nor switching to another one after the lock
/// gets more than five guesses.
#[tokio::test]
async fn the_lock_holds_whichever_login_names_the_account() {
    let (app, rp, user) = setup().await;
    let (name, email, phone) = (
        user.username.as_str(),
        user.email.as_str(),
        user.phone.as_str(),
    );
    // (case, the five wrong guesses, the login then tried with the right password)
    let cases: [(&str, [&str; 5], &str); 3] = [
        ("locked by username, then email", [name; 5], email),
        ("locked by username, then phone", [name; 5], phone),
        (
            "guesses spread over all three",
            [name, email, phone, name, email],
            phone,
        ),
    ];
    let mut failures = Vec::new();
    for (case, guesses, then) in cases {
        // A fresh account per case, so one case's lock does not decide the next.
        let user = app.create_user(json!({})).await;
        let swap = |l: &str| {
            if l == name {
                user.username.clone()
            } else if l == email {
                user.email.clone()
            } else {
                user.phone.clone()
            }
        };
        let mut browser = Browser::new(&app);
        let page = browser
            .authorize(
                &rp.issuer,
                &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
            )
            .await
            .login();
        for g in guesses {
            browser
                .submit_login(&rp.issuer, &page, &swap(g), "wrong-password")
                .await;
        }
        let out = browser
            .submit_login(&rp.issuer, &page, &swap(then), &user.password)
            .await;
        let signed_in = !browser.cookies_starting("dw_session_").is_empty();
        match out {
            Outcome::Login(p) if p.reply.status == 429 && !signed_in => {}
            other => failures.push(format!(
                "{case}: signed in = {signed_in}, {}",
                other.describe()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "expected 429 and no session for:\n{}",
        failures.join("\n")
    );
}

/// The counters live in a Durable Object: 20 parallel wrong guesses are counted as they start,
/// so at most five are even checked and the account ends up locked.
#[tokio::test]
async fn parallel_wrong_passwords_cannot_outrun_the_lock() {
    let (app, rp, user) = setup().await;
    let mut browser = Browser::new(&app);
    let page = browser
        .authorize(
            &rp.issuer,
            &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        )
        .await
        .login();
    let action = resolve(&page.url, &page.form.action);
    let mut form = page.form.hidden.clone();
    form.push(("login".into(), user.username.clone()));
    form.push(("password".into(), "wrong-password".into()));
    let replies =
        join_all((0..20).map(|_| send(browser.request(Method::POST, &action).form(&form)))).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(checked <= 5, "at most five guesses checked: {statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    let r = browser
        .submit_login(&rp.issuer, &page, &user.username, &user.password)
        .await
        .stopped();
    assert_eq!(r.status, 429, "locked after the burst: {}", r.excerpt());
}

#[tokio::test]
async fn a_blocked_user_cannot_sign_in() {
    let (app, rp, user) = setup().await;
    app.admin()
        .patch(
            &format!("/api/v1/users/{}", user.id),
            &json!({"blocked": true}),
        )
        .await
        .expect_status(200);
    let mut browser = Browser::new(&app);
    let page = browser
        .authorize(
            &rp.issuer,
            &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        )
        .await
        .login();
    let r = browser
        .submit_login(&rp.issuer, &page, &user.username, &user.password)
        .await
        .stopped();
    assert_eq!(r.status, 403, "{}", r.excerpt());
    assert!(
        browser.cookies_starting("dw_session_").is_empty(),
        "no session for a blocked user"
    );
}

#[tokio::test]
async fn users_sign_in_with_username_email_or_phone_and_get_a_session_cookie() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({})).await;
    let user = app
        .create_user(json!({"email": "p@example.com", "phone_number": "+15551234567"}))
        .await;
    for login in [user.username.as_str(), "p@example.com", "+15551234567"] {
        let mut browser = Browser::new(&app);
        let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
        let page = browser.authorize(&rp.issuer, &params).await.login();
        let after = browser
            .submit_login(&rp.issuer, &page, login, &user.password)
            .await;
        assert!(
            matches!(after, Outcome::Consent(_) | Outcome::Callback(_)),
            "{login}: signed in"
        );
        let session = browser
            .cookie_full("dw_session_default")
            .unwrap_or_else(|| panic!("{login}: no session cookie"));
        let raw = session.raw.to_ascii_lowercase();
        assert!(
            raw.contains("httponly") && raw.contains("samesite=lax"),
            "session cookie attributes: {}",
            session.raw
        );
    }
}

#[tokio::test]
async fn the_login_page_forbids_framing_and_sets_a_referrer_policy() {
    let (app, rp, _) = setup().await;
    let page = Browser::new(&app)
        .authorize(
            &rp.issuer,
            &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        )
        .await
        .login();
    let r = &page.reply;
    assert!(
        r.header("content-security-policy")
            .contains("frame-ancestors 'none'"),
        "CSP: {}",
        r.header("content-security-policy")
    );
    assert_eq!(r.header("x-frame-options"), "DENY");
    assert!(
        !r.header("referrer-policy").is_empty(),
        "Referrer-Policy is set"
    );
    assert!(!page.csrf().is_empty(), "the form carries a CSRF token");
}

#[tokio::test]
async fn a_login_form_without_the_right_csrf_token_is_rejected() {
    let (app, rp, user) = setup().await;
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    // (case, form csrf field, interaction cookie)
    type Tamper = fn(&str) -> (Option<String>, Option<String>);
    let cases: [(&str, Tamper); 4] = [
        ("no csrf field", |c| (None, Some(c.to_string()))),
        ("wrong csrf field", |c| {
            (Some(format!("{c}x")), Some(c.to_string()))
        }),
        ("no csrf cookie", |c| (Some(c.to_string()), None)),
        ("csrf cookie of another value", |c| {
            (Some(c.to_string()), Some("forged".to_string()))
        }),
    ];
    let mut failures = Vec::new();
    for (case, tamper) in cases {
        let mut browser = Browser::new(&app);
        let page = browser.authorize(&rp.issuer, &params).await.login();
        let (field, cookie) = tamper(page.csrf());
        let path = browser
            .cookie_full("dw_interaction")
            .map(|c| c.path.clone())
            .unwrap_or_else(|| "/".into());
        browser.remove_cookie("dw_interaction");
        if let Some(c) = cookie {
            browser.set_cookie("dw_interaction", &c, &path);
        }
        let mut form = vec![
            ("login".to_string(), user.username.clone()),
            ("password".to_string(), user.password.clone()),
        ];
        if let Some(f) = field {
            form.push(("csrf".into(), f));
        }
        let out = browser.submit(&rp.issuer, &page, form).await;
        let signed_in = !browser.cookies_starting("dw_session_").is_empty();
        match out {
            Outcome::Stopped { reply, .. } if reply.status == 400 && !signed_in => {}
            other => failures.push(format!("{case}: {other:?} (session: {signed_in})")),
        }
    }
    assert!(
        failures.is_empty(),
        "expected a 400 page and no session for:\n{}",
        failures.join("\n")
    );
}
