//! The password grant (RFC 6749 §4.3, the legacy resource owner password credentials): an
//! id_token for `openid` and a working refresh token for `offline_access`, sign-in by username,
//! email or phone, `unauthorized_client` where the grant is not ticked, the same answer for an
//! unknown user and a wrong password, blocked users, and the lock that 20 parallel wrong
//! passwords cannot outrun.

use serde_json::json;

use crate::support::json::field;
use crate::support::jwt;
use crate::support::tokens::{
    assert_oauth_error, audiences, password_grant, password_tokens, refresh, userinfo,
};
use crate::support::worker::{unique, TestApp};

// ---------------------------------------------------------------------------------------------
// Password mode
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn password_mode_issues_an_id_token_for_openid_and_a_working_refresh_token_for_offline_access(
) {
    let app = TestApp::spawn().await;
    let client = app
        .create_application(json!({"grant_types": ["password", "refresh_token"]}))
        .await;
    let (issuer, id) = (client.issuer.as_str(), client.client_id.as_str());
    let email = format!("{}@example.com", unique("mail"));
    let user = app
        .create_user(json!({"email": email, "phone_number": "+15555550123"}))
        .await;
    let (user_id, username, password) = (
        user.id.as_str(),
        user.username.as_str(),
        user.password.as_str(),
    );

    let t = password_tokens(&app, &client, username, password, "openid offline_access").await;
    let id_token = field(&t, "id_token");
    let c = jwt::claims(id_token);
    assert_eq!(c["sub"], user_id, "id_token sub; claims {c}");
    assert_eq!(
        audiences(&c["aud"]),
        vec![id.to_string()],
        "id_token aud; claims {c}"
    );
    assert_eq!(c["iss"], issuer, "id_token iss; claims {c}");
    let refresh_token = field(&t, "refresh_token");
    assert_eq!(
        userinfo(&app, issuer, field(&t, "access_token"))
            .await
            .expect_status(200)
            .json["sub"],
        user_id
    );

    let r = refresh(&app, &client, refresh_token, None).await;
    r.expect_status(200);
    let fresh_at = field(&r.json, "access_token");
    assert_eq!(
        userinfo(&app, issuer, fresh_at)
            .await
            .expect_status(200)
            .json["sub"],
        user_id,
        "refreshed access token"
    );

    // No offline_access, no refresh token; no openid, no id_token.
    let t = password_tokens(&app, &client, username, password, "openid").await;
    assert!(t.get("id_token").is_some(), "openid alone: {t}");
    assert!(
        t.get("refresh_token").is_none(),
        "refresh token without offline_access: {t}"
    );
    let t = password_tokens(&app, &client, username, password, "offline_access").await;
    assert!(t.get("id_token").is_none(), "id_token without openid: {t}");
    assert!(
        t.get("refresh_token").is_some(),
        "offline_access alone: {t}"
    );

    // Email and phone number name the user too.
    for login in [email.as_str(), "+15555550123"] {
        let t = password_tokens(&app, &client, login, password, "openid").await;
        assert_eq!(
            jwt::claims(field(&t, "id_token"))["sub"],
            user_id,
            "signed in as {login}"
        );
    }
}

#[tokio::test]
async fn password_mode_at_an_application_that_has_not_ticked_it_is_unauthorized_client() {
    let app = TestApp::spawn().await;
    let client = app
        .create_application(json!({
            "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
        }))
        .await;
    let user = app.create_user(json!({})).await;

    let r = password_grant(&app, &client, &user.username, &user.password, "openid").await;
    assert_oauth_error("password grant not ticked", &r, 400, "unauthorized_client");
    assert!(r.json.get("access_token").is_none(), "{}", r.text);
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let client = app
        .create_application(json!({"grant_types": ["password"]}))
        .await;
    let user = app.create_user(json!({})).await;

    let wrong = password_grant(&app, &client, &user.username, "not the password", "openid").await;
    let unknown = password_grant(
        &app,
        &client,
        &unique("nobody"),
        "not the password",
        "openid",
    )
    .await;
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
    let client = app
        .create_application(json!({"grant_types": ["password"]}))
        .await;
    let user = app.create_user(json!({})).await;
    password_tokens(&app, &client, &user.username, &user.password, "openid").await; // control

    let r = app
        .admin()
        .patch(
            &format!("/api/v1/users/{}", user.id),
            &json!({"blocked": true}),
        )
        .await;
    r.expect_status(200);
    let r = password_grant(&app, &client, &user.username, &user.password, "openid").await;
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
    let client = app
        .create_application(json!({"grant_types": ["password"]}))
        .await;
    let user = app.create_user(json!({})).await;
    let (app, client, username) = (&app, &client, user.username.as_str());

    let guesses = (0..20).map(|i| async move {
        let guess = format!("wrong guess {i}");
        password_grant(app, client, username, &guess, "openid").await
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

    let r = password_grant(app, client, username, &user.password, "openid").await;
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
