//! Blocked and locked accounts: a blocked account is refused before its password is checked,
//! so a wrong password and the right one get the same answer (otherwise "blocked" would tell a
//! guesser the guess was right), on the login page and in the password grant; administrators
//! see an account's sign-in lock (`GET /api/v1/users/{id}/lock`) and clear it.

use serde_json::json;

use crate::support::applications::{Application, TestUser};
use crate::support::authorize::code_params;
use crate::support::browser::Browser;
use crate::support::tokens::{assert_oauth_error, password_grant, password_tokens};
use crate::support::worker::{Reply, TestApp};

async fn password_app(app: &TestApp) -> (Application, TestUser) {
    let client = app
        .create_application(json!({"grant_types": ["password"]}))
        .await;
    let user = app.create_user(json!({})).await;
    (client, user)
}

async fn block(app: &TestApp, user: &TestUser) {
    app.admin()
        .patch(
            &format!("/api/v1/users/{}", user.id),
            &json!({"blocked": true}),
        )
        .await
        .expect_status(200);
}

/// The login page's alert, the part of the page that says why the sign-in failed.
fn alert(r: &Reply) -> String {
    let Some(start) = r.text.find("role=\"alert\"") else {
        return String::new();
    };
    let rest = r.text.get(start..).unwrap_or("");
    let body = rest.split_once('>').map(|(_, b)| b).unwrap_or("");
    body.split_once('<')
        .map(|(t, _)| t)
        .unwrap_or(body)
        .trim()
        .to_string()
}

#[tokio::test]
async fn a_blocked_account_gets_the_same_login_page_for_a_wrong_password_as_for_the_right_one() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({})).await;
    let user = app.create_user(json!({})).await;
    block(&app, &user).await;
    let mut seen = Vec::new();
    for (case, password) in [
        ("the right password", user.password.as_str()),
        ("a wrong password", "not the password"),
    ] {
        let mut browser = Browser::new(&app);
        let page = browser
            .authorize(
                &rp.issuer,
                &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
            )
            .await
            .login();
        let r = browser
            .submit_login(&rp.issuer, &page, &user.username, password)
            .await
            .stopped();
        assert!(
            browser.cookies_starting("dw_session_").is_empty(),
            "{case}: no session"
        );
        seen.push((case, r.status.as_u16(), alert(&r)));
    }
    let (_, status, message) = &seen[0];
    assert_eq!(*status, 403, "{seen:?}");
    assert!(message.contains("blocked"), "{seen:?}");
    assert!(
        seen.iter().all(|(_, s, m)| (s, m) == (status, message)),
        "the same answer whatever the password: {seen:?}"
    );
}

#[tokio::test]
async fn a_blocked_account_gets_the_same_password_grant_answer_for_a_wrong_password_as_for_the_right_one(
) {
    let app = TestApp::spawn().await;
    let (client, user) = password_app(&app).await;
    block(&app, &user).await;
    let right = password_grant(&app, &client, &user.username, &user.password, "openid").await;
    let wrong = password_grant(&app, &client, &user.username, "not the password", "openid").await;
    assert_oauth_error("the right password", &right, 400, "invalid_grant");
    assert_eq!(
        right.json["error_description"], "the account is blocked",
        "{}",
        right.text
    );
    assert_eq!(
        (wrong.status, &wrong.text),
        (right.status, &right.text),
        "the same answer whatever the password"
    );
}

#[tokio::test]
async fn an_administrator_sees_an_accounts_sign_in_lock_and_clears_it() {
    let app = TestApp::spawn().await;
    let (client, user) = password_app(&app).await;
    let lock = format!("/api/v1/users/{}/lock", user.id);
    let r = app.admin().get(&lock).await;
    r.expect_status(200);
    assert_eq!(
        r.json,
        json!({"locked": false, "retry_after": 0, "failures": 0}),
        "no failures yet"
    );

    for i in 0..5 {
        let r = password_grant(
            &app,
            &client,
            &user.username,
            &format!("wrong {i}"),
            "openid",
        )
        .await;
        assert_oauth_error(&format!("wrong password {i}"), &r, 400, "invalid_grant");
    }
    let r = password_grant(&app, &client, &user.username, &user.password, "openid").await;
    assert_eq!(
        r.json["error_description"], "too many failed attempts; try again later",
        "control: locked after five failures: {}",
        r.text
    );
    let r = app.admin().get(&lock).await;
    r.expect_status(200);
    assert_eq!(r.json["locked"], true, "{}", r.text);
    assert_eq!(r.json["failures"], 5, "{}", r.text);
    let retry = r.json["retry_after"].as_u64().unwrap_or(0);
    assert!(
        retry > 0 && retry <= 15 * 60,
        "retry_after within the 15-minute lock: {}",
        r.text
    );

    app.admin().delete(&lock).await.expect_status(204);
    let r = app.admin().get(&lock).await;
    assert_eq!(
        r.json,
        json!({"locked": false, "retry_after": 0, "failures": 0}),
        "cleared"
    );
    password_tokens(&app, &client, &user.username, &user.password, "openid").await;
}

/// Throttle counters as the release before this one stored them, attempts in flight included
/// (they live in the directory object's memory now): a stored lock still holds, stored
/// failures still count towards the next one, and attempts that release counted in flight,
/// which will never end, block nobody.
#[tokio::test]
async fn throttle_counters_an_earlier_release_stored_still_count_after_the_upgrade() {
    let app = TestApp::spawn().await;
    let (client, user) = password_app(&app).await;
    let lock = format!("/api/v1/users/{}/lock", user.id);
    let t = crate::support::totp::now();
    let store = |counter: serde_json::Value| {
        let body = json!({"user_id": user.id, "counter": counter});
        let app = &app;
        async move {
            app.admin()
                .put("/api/v1/debug/raw-throttle", &body)
                .await
                .expect_status(204);
        }
    };

    // Five attempts in flight and no failure: that release refused the next attempt.
    store(json!({"failures": 0, "inflight": 5, "window_start": t - 10, "locked_until": 0})).await;
    password_tokens(&app, &client, &user.username, &user.password, "openid").await;

    // Four failures (and an attempt in flight): one more wrong password locks.
    store(json!({"failures": 4, "inflight": 1, "window_start": t - 10, "locked_until": 0})).await;
    let r = app.admin().get(&lock).await;
    assert_eq!(
        r.json,
        json!({"locked": false, "retry_after": 0, "failures": 4}),
        "{}",
        r.text
    );
    let r = password_grant(&app, &client, &user.username, "wrong", "openid").await;
    assert_oauth_error("the fifth failure", &r, 400, "invalid_grant");
    let r = password_grant(&app, &client, &user.username, &user.password, "openid").await;
    assert_eq!(
        r.json["error_description"], "too many failed attempts; try again later",
        "locked by the stored failures and one more: {}",
        r.text
    );

    // A stored lock holds against the right password.
    app.admin().delete(&lock).await.expect_status(204);
    store(json!({"failures": 5, "inflight": 2, "window_start": t - 10, "locked_until": t + 600}))
        .await;
    let r = password_grant(&app, &client, &user.username, &user.password, "openid").await;
    assert_eq!(
        r.json["error_description"], "too many failed attempts; try again later",
        "{}",
        r.text
    );
    let r = app.admin().get(&lock).await;
    assert_eq!(r.json["locked"], true, "{}", r.text);
}
