//! Refresh-token rotation and reuse (OAuth 2.0 Security BCP §4.14.2, RFC 9700): by default a
//! just-rotated token presented again is reuse and revokes the whole family; the retry grace is
//! an application setting (`refresh_token_grace_seconds`, 0..=60, off by default) shown and
//! changed through the admin API; a token with a real family id but a secret the family never
//! issued is refused without revoking anything (a guess must not be able to end a session).

use serde_json::{json, Value};

use crate::support::applications::{Application, TestUser};
use crate::support::json::{assert_invalid_field, field};
use crate::support::tokens::{assert_oauth_error, password_tokens, refresh, userinfo};
use crate::support::worker::{random_b64, TestApp};

/// An application ticking password + refresh_token with `settings`, and a user.
async fn refreshing_app(app: &TestApp, settings: Value) -> (Application, TestUser) {
    let mut body = json!({"grant_types": ["password", "refresh_token"]});
    if let (Some(b), Value::Object(s)) = (body.as_object_mut(), settings) {
        b.extend(s);
    }
    let client = app.create_application(body).await;
    let user = app.create_user(json!({})).await;
    (client, user)
}

/// A fresh family: (access token, refresh token).
async fn family(app: &TestApp, client: &Application, user: &TestUser) -> (String, String) {
    let t = password_tokens(
        app,
        client,
        &user.username,
        &user.password,
        "openid offline_access",
    )
    .await;
    (
        field(&t, "access_token").to_string(),
        field(&t, "refresh_token").to_string(),
    )
}

#[tokio::test]
async fn by_default_a_just_rotated_refresh_token_presented_again_revokes_the_family() {
    let app = TestApp::spawn().await;
    let (client, user) = refreshing_app(&app, json!({})).await;
    assert_eq!(
        client["refresh_token_grace_seconds"], 0,
        "off by default: {}",
        client.created
    );
    let (at0, rt0) = family(&app, &client, &user).await;
    let r1 = refresh(&app, &client, &rt0, None).await;
    r1.expect_status(200);
    let at1 = field(&r1.json, "access_token").to_string();
    let rt1 = field(&r1.json, "refresh_token").to_string();

    // At once, inside any window a grace would give: without one it is reuse.
    let again = refresh(&app, &client, &rt0, None).await;
    assert_oauth_error("the rotated token again", &again, 400, "invalid_grant");
    let newest = refresh(&app, &client, &rt1, None).await;
    assert_oauth_error("the family's newest token", &newest, 400, "invalid_grant");
    for (case, at) in [("first", &at0), ("rotated", &at1)] {
        let me = userinfo(&app, &client.issuer, at).await;
        assert_eq!(
            me.status, 401,
            "the family's {case} access token: {}",
            me.text
        );
    }
}

#[tokio::test]
async fn a_real_family_id_with_a_secret_it_never_issued_is_refused_and_revokes_nothing() {
    let app = TestApp::spawn().await;
    let (client, user) = refreshing_app(&app, json!({})).await;
    let (at, rt0) = family(&app, &client, &user).await;
    let (family_id, secret) = rt0
        .split_once('.')
        .unwrap_or_else(|| panic!("a refresh token is `family.secret`: {rt0}"));
    let cases = [
        ("a random secret", format!("{family_id}.{}", random_b64(32))),
        ("an empty secret", format!("{family_id}.")),
        ("the secret with a suffix", format!("{family_id}.{secret}x")),
        ("a long secret", format!("{family_id}.{}", "s".repeat(4000))),
    ];
    for (case, forged) in &cases {
        let r = refresh(&app, &client, forged, None).await;
        assert_oauth_error(case, &r, 400, "invalid_grant");
    }
    // The guesses revoked nothing: the real token still rotates, its access token still works.
    userinfo(&app, &client.issuer, &at).await.expect_status(200);
    let r = refresh(&app, &client, &rt0, None).await;
    r.expect_status(200);
    let rt1 = field(&r.json, "refresh_token").to_string();
    // And after a rotation, guesses at the family still leave its current token alone.
    let r = refresh(
        &app,
        &client,
        &format!("{family_id}.{}", random_b64(32)),
        None,
    )
    .await;
    assert_oauth_error("a guess after the rotation", &r, 400, "invalid_grant");
    refresh(&app, &client, &rt1, None).await.expect_status(200);
}

#[tokio::test]
async fn the_refresh_grace_is_shown_and_changed_through_the_admin_api_within_0_to_60_seconds() {
    let app = TestApp::spawn().await;
    let (client, user) = refreshing_app(&app, json!({})).await;
    let path = format!("/api/v1/applications/{}", client.client_id);
    let got = app.admin().get(&path).await;
    got.expect_status(200);
    assert_eq!(got.json["refresh_token_grace_seconds"], 0, "{}", got.text);

    for seconds in [60, 0, 10] {
        let r = app
            .admin()
            .patch(&path, &json!({"refresh_token_grace_seconds": seconds}))
            .await;
        r.expect_status(200);
        assert_eq!(r.json["refresh_token_grace_seconds"], seconds, "{}", r.text);
        let got = app.admin().get(&path).await;
        assert_eq!(
            got.json["refresh_token_grace_seconds"], seconds,
            "GET after PATCH: {}",
            got.text
        );
    }
    for bad in [
        json!(61),
        json!(-1),
        json!(3600),
        json!("10"),
        json!(1.5),
        json!(null),
    ] {
        let r = app
            .admin()
            .patch(&path, &json!({"refresh_token_grace_seconds": bad}))
            .await;
        assert_invalid_field(
            &format!("refresh_token_grace_seconds = {bad}"),
            &r,
            Some("refresh_token_grace_seconds"),
        );
    }
    let r = app
        .admin()
        .post("/api/v1/applications", &{
            let mut b = crate::support::applications::application_body();
            b["refresh_token_grace_seconds"] = json!(61);
            b
        })
        .await;
    assert_invalid_field("creating with 61", &r, Some("refresh_token_grace_seconds"));

    // The refused values changed nothing, and the 10 s set above is honoured: one retry.
    let got = app.admin().get(&path).await;
    assert_eq!(got.json["refresh_token_grace_seconds"], 10, "{}", got.text);
    let (_, rt0) = family(&app, &client, &user).await;
    refresh(&app, &client, &rt0, None).await.expect_status(200);
    let retry = refresh(&app, &client, &rt0, None).await;
    assert_eq!(
        retry.status, 200,
        "the retry within the grace: {}",
        retry.text
    );
}
