//! Refresh tokens of the authorization code flow (RFC 6749 §6, OAuth 2.0 Security BCP §4.14):
//! rotation with a new id_token, a just-rotated token honoured once more (the grace window)
//! and the family revoked when it comes back again, binding to the client, and narrowing but
//! not widening the scope.

use serde_json::{json, Value};

use crate::support::applications::{setup, Application, TestUser};
use crate::support::authorize::fresh_code;
use crate::support::jwt;
use crate::support::tokens::{assert_oauth_error, introspect, redeem, refresh, userinfo};
use crate::support::worker::TestApp;

// ---------------------------------------------------------------------------------------------
// Refresh tokens (RFC 6749 §6, OAuth 2.0 Security BCP §4.14)

async fn offline_tokens(app: &TestApp, rp: &Application, user: &TestUser, scope: &str) -> Value {
    let code = fresh_code(app, rp, user, scope, &[("prompt", "consent".into())]).await;
    let r = redeem(app, rp, &code, None).await;
    r.expect_status(200);
    assert!(
        r.json["refresh_token"].is_string(),
        "a refresh token was earned: {}",
        r.text
    );
    r.json
}

#[tokio::test]
async fn refresh_rotates_the_token_and_returns_a_new_id_token() {
    let (app, rp, user) = setup().await;
    let t0 = offline_tokens(&app, &rp, &user, "openid email offline_access").await;
    let rt0 = t0["refresh_token"].as_str().unwrap_or("");
    let r = refresh(&app, &rp, rt0, None).await;
    r.expect_status(200);
    assert_eq!(r.header("cache-control"), "no-store");
    let rt1 = r.json["refresh_token"].as_str().unwrap_or("");
    assert!(
        !rt1.is_empty() && rt1 != rt0,
        "a new refresh token: {}",
        r.text
    );
    let id1 = r.json["id_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no id_token on refresh: {}", r.text));
    assert_ne!(Some(id1), t0["id_token"].as_str(), "a new id_token");
    let (c0, c1) = (
        jwt::claims(t0["id_token"].as_str().unwrap_or("")),
        jwt::claims(id1),
    );
    assert_eq!(
        (&c1["sub"], &c1["aud"], &c1["iss"]),
        (&c0["sub"], &c0["aud"], &c0["iss"])
    );
    userinfo(
        &app,
        &rp.issuer,
        r.json["access_token"].as_str().unwrap_or(""),
    )
    .await
    .expect_status(200);
    refresh(&app, &rp, rt1, None).await.expect_status(200);
}

/// OAuth 2.0 Security BCP §4.14.2: an application that sets a grace window (here 10 s) has a
/// just-rotated token honoured once more, for one lost response; presented again it is reuse,
/// and the whole family (its newest refresh token and the access tokens issued from it) is
/// revoked, so the window cannot become a sliding one that a thief keeps alive. That the
/// window closes after its seconds is proven with a fixed clock by the native tests of the
/// rotation rule; without a window (the default) see the hardening tests.
#[tokio::test]
async fn with_a_grace_window_a_just_rotated_refresh_token_is_honoured_once_and_its_reuse_revokes_the_family(
) {
    let app = TestApp::spawn().await;
    let rp = app
        .create_application(json!({"refresh_token_grace_seconds": 10}))
        .await;
    let user = app.create_user(json!({})).await;
    let t0 = offline_tokens(&app, &rp, &user, "openid offline_access").await;
    let rt0 = t0["refresh_token"].as_str().unwrap_or("").to_string();
    let r1 = refresh(&app, &rp, &rt0, None).await;
    r1.expect_status(200);
    let at1 = r1.json["access_token"].as_str().unwrap_or("").to_string();

    // The client lost the answer and retries with the token it still has.
    let retry = refresh(&app, &rp, &rt0, None).await;
    assert_eq!(
        retry.status, 200,
        "the first retry in the window was refused: {}",
        retry.text
    );
    let rt2 = retry.json["refresh_token"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let at2 = retry.json["access_token"]
        .as_str()
        .unwrap_or("")
        .to_string();

    let again = refresh(&app, &rp, &rt0, None).await;
    assert_oauth_error(
        "the rotated token a second time",
        &again,
        400,
        "invalid_grant",
    );
    let r = refresh(&app, &rp, &rt2, None).await;
    assert_oauth_error("the newest token of the family", &r, 400, "invalid_grant");
    for (case, at) in [("first", &at1), ("second", &at2)] {
        let me = userinfo(&app, &rp.issuer, at).await;
        assert_eq!(
            me.status, 401,
            "the family's {case} access token is revoked: {}",
            me.text
        );
    }
}

#[tokio::test]
async fn a_refresh_token_sent_by_another_client_is_invalid_grant() {
    let (app, rp, user) = setup().await;
    let other = app.create_application(json!({})).await;
    let t = offline_tokens(&app, &rp, &user, "openid offline_access").await;
    let rt = t["refresh_token"].as_str().unwrap_or("");
    let r = refresh(&app, &other, rt, None).await;
    assert_oauth_error("another client's refresh token", &r, 400, "invalid_grant");
    // The theft attempt did not consume it for its rightful client.
    refresh(&app, &rp, rt, None).await.expect_status(200);
}

#[tokio::test]
async fn refresh_may_narrow_the_scope_but_not_widen_it() {
    let (app, rp, user) = setup().await;
    let t = offline_tokens(&app, &rp, &user, "openid email offline_access").await;
    let rt = t["refresh_token"].as_str().unwrap_or("");
    let r = refresh(&app, &rp, rt, Some("openid email phone offline_access")).await;
    assert_oauth_error("a wider scope", &r, 400, "invalid_scope");
    // The refusal rotated nothing: the presented token is still the family's current one.
    let seen = introspect(&app, &rp.issuer, rp.basic(), rt, None).await;
    assert_eq!(seen.json["active"], true, "{}", seen.text);
    let narrow = refresh(&app, &rp, rt, Some("openid offline_access")).await;
    narrow.expect_status(200);
    assert_eq!(narrow.json["scope"], "openid offline_access");
}
