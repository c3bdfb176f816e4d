//! Issue 5: password mode (the legacy resource owner password grant), black-box against the real
//! worker under `wrangler dev`: an id_token for `openid` and a working refresh token for
//! `offline_access`, sign-in by username, email or phone, `unauthorized_client` where the grant
//! is not ticked, the same answer for an unknown user and a wrong password, blocked users, and
//! the lock that 20 parallel wrong passwords cannot outrun. Talks HTTP only; knows nothing of the
//! crate's internals. Each test spawns its own worker (STYLE.md habit 11).

use crate::common;

use common::oauth::{
    assert_oauth_error, audiences, create_app, create_user, jwt_claims, password_tokens, s, token,
    userinfo, Auth, PASSWORD,
};
use common::{unique, TestApp};
use serde_json::json;

// ---------------------------------------------------------------------------------------------
// Password mode
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn password_mode_issues_an_id_token_for_openid_and_a_working_refresh_token_for_offline_access(
) {
    let app = TestApp::spawn().await;
    let client = create_app(&app, "legacy", &["password", "refresh_token"], json!({})).await;
    let (issuer, id, secret) = (
        s(&client, "issuer"),
        s(&client, "client_id"),
        s(&client, "client_secret"),
    );
    let email = format!("{}@example.com", unique("mail"));
    let user = create_user(
        &app,
        json!({"email": email, "phone_number": "+15555550123"}),
    )
    .await;
    let (user_id, username) = (s(&user, "id"), s(&user, "username"));

    let t = password_tokens(&app, &client, username, "openid offline_access").await;
    let id_token = s(&t, "id_token");
    let c = jwt_claims(id_token);
    assert_eq!(c["sub"], user_id, "id_token sub; claims {c}");
    assert_eq!(
        audiences(&c["aud"]),
        vec![id.to_string()],
        "id_token aud; claims {c}"
    );
    assert_eq!(c["iss"], issuer, "id_token iss; claims {c}");
    let refresh = s(&t, "refresh_token");
    assert_eq!(
        userinfo(&app, issuer, s(&t, "access_token"))
            .await
            .expect_status(200)
            .json["sub"],
        user_id
    );

    let r = token(
        &app,
        issuer,
        Auth::Basic(id, secret),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    r.expect_status(200);
    let fresh_at = s(&r.json, "access_token");
    assert_eq!(
        userinfo(&app, issuer, fresh_at)
            .await
            .expect_status(200)
            .json["sub"],
        user_id,
        "refreshed access token"
    );

    // No offline_access, no refresh token; no openid, no id_token.
    let t = password_tokens(&app, &client, username, "openid").await;
    assert!(t.get("id_token").is_some(), "openid alone: {t}");
    assert!(
        t.get("refresh_token").is_none(),
        "refresh token without offline_access: {t}"
    );
    let t = password_tokens(&app, &client, username, "offline_access").await;
    assert!(t.get("id_token").is_none(), "id_token without openid: {t}");
    assert!(
        t.get("refresh_token").is_some(),
        "offline_access alone: {t}"
    );

    // Email and phone number name the user too.
    for login in [email.as_str(), "+15555550123"] {
        let t = password_tokens(&app, &client, login, "openid").await;
        assert_eq!(
            jwt_claims(s(&t, "id_token"))["sub"],
            user_id,
            "signed in as {login}"
        );
    }
}

#[tokio::test]
async fn password_mode_at_an_application_that_has_not_ticked_it_is_unauthorized_client() {
    let app = TestApp::spawn().await;
    let client = create_app(
        &app,
        "web",
        &["authorization_code", "refresh_token", "client_credentials"],
        json!({}),
    )
    .await;
    let (issuer, id, secret) = (
        s(&client, "issuer"),
        s(&client, "client_id"),
        s(&client, "client_secret"),
    );
    let user = create_user(&app, json!({})).await;

    let r = token(
        &app,
        issuer,
        Auth::Basic(id, secret),
        &[
            ("grant_type", "password"),
            ("username", s(&user, "username")),
            ("password", PASSWORD),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_oauth_error("password grant not ticked", &r, 400, "unauthorized_client");
    assert!(r.json.get("access_token").is_none(), "{}", r.text);
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let client = create_app(&app, "legacy", &["password"], json!({})).await;
    let (issuer, id, secret) = (
        s(&client, "issuer"),
        s(&client, "client_id"),
        s(&client, "client_secret"),
    );
    let user = create_user(&app, json!({})).await;

    let attempt = |username: String, password: &'static str| {
        let app = &app;
        async move {
            token(
                app,
                issuer,
                Auth::Basic(id, secret),
                &[
                    ("grant_type", "password"),
                    ("username", &username),
                    ("password", password),
                    ("scope", "openid"),
                ],
            )
            .await
        }
    };
    let wrong = attempt(s(&user, "username").to_string(), "not the password").await;
    let unknown = attempt(unique("nobody"), "not the password").await;
    assert_oauth_error("wrong password", &wrong, 400, "invalid_grant");
    assert_oauth_error("unknown user", &unknown, 400, "invalid_grant");
    assert_eq!(
        wrong.json["error_description"], "invalid username or password",
        "{}",
        wrong.text
    );
    assert_eq!(
        wrong.text, unknown.text,
        "the bodies must not tell an unknown user from a wrong password"
    );
    assert_eq!(
        wrong.header("www-authenticate"),
        unknown.header("www-authenticate")
    );
}

#[tokio::test]
async fn a_blocked_user_is_refused_in_password_mode() {
    let app = TestApp::spawn().await;
    let client = create_app(&app, "legacy", &["password"], json!({})).await;
    let user = create_user(&app, json!({})).await;
    let (issuer, id, secret) = (
        s(&client, "issuer"),
        s(&client, "client_id"),
        s(&client, "client_secret"),
    );
    password_tokens(&app, &client, s(&user, "username"), "openid").await; // control

    let r = app
        .admin()
        .patch(
            &format!("/api/v1/users/{}", s(&user, "id")),
            &json!({"blocked": true}),
        )
        .await;
    r.expect_status(200);
    let r = token(
        &app,
        issuer,
        Auth::Basic(id, secret),
        &[
            ("grant_type", "password"),
            ("username", s(&user, "username")),
            ("password", PASSWORD),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_oauth_error(
        "blocked user with the right password",
        &r,
        400,
        "invalid_grant",
    );
    assert!(r.json.get("access_token").is_none(), "{}", r.text);
}

#[tokio::test]
async fn twenty_parallel_wrong_passwords_still_lock_the_account() {
    let app = TestApp::spawn().await;
    let client = create_app(&app, "legacy", &["password"], json!({})).await;
    let user = create_user(&app, json!({})).await;
    let (issuer, id, secret) = (
        s(&client, "issuer"),
        s(&client, "client_id"),
        s(&client, "client_secret"),
    );
    let username = s(&user, "username");

    let guesses = (0..20).map(|i| {
        let guess = format!("wrong guess {i}");
        let app = &app;
        async move {
            token(
                app,
                issuer,
                Auth::Basic(id, secret),
                &[
                    ("grant_type", "password"),
                    ("username", username),
                    ("password", &guess),
                    ("scope", "openid"),
                ],
            )
            .await
        }
    });
    let replies = futures::future::join_all(guesses).await;
    for (i, r) in replies.iter().enumerate() {
        assert_oauth_error(
            &format!("parallel wrong password #{i}"),
            r,
            400,
            "invalid_grant",
        );
    }

    let r = token(
        &app,
        issuer,
        Auth::Basic(id, secret),
        &[
            ("grant_type", "password"),
            ("username", username),
            ("password", PASSWORD),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_oauth_error(
        "the right password on a locked account",
        &r,
        400,
        "invalid_grant",
    );
    assert_eq!(
        r.json["error_description"], "too many failed attempts; try again later",
        "the account should be locked after 20 parallel failures; body: {}",
        r.text
    );
}
