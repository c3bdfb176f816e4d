//! Refresh tokens of the authorization code flow (RFC 6749 §6, OAuth 2.0 Security BCP §4.14):
//! rotation with a new id_token, a grace window honoured once and not sliding, family
//! revocation on reuse after it, binding to the client, and narrowing but not widening the
//! scope.

use std::time::Duration;

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

/// OAuth 2.0 Security BCP §4.14.2: the grace window is for one lost response, so an old token
/// is honoured once, within 10 s of its rotation; it must not become a sliding window that a
/// thief can keep alive by replaying the old token every few seconds.
#[tokio::test]
async fn a_rotated_refresh_token_is_honoured_only_once_inside_the_grace_window() {
    let (app, rp, user) = setup().await;
    // (case, pause before each replay of the old token)
    let cases = [
        ("immediate replays", Duration::from_millis(0)),
        (
            "replays 6 s apart (12 s after the rotation)",
            Duration::from_secs(6),
        ),
    ];
    let mut failures = Vec::new();
    for (case, pause) in cases {
        let t0 = offline_tokens(&app, &rp, &user, "openid offline_access").await;
        let rt0 = t0["refresh_token"].as_str().unwrap_or("").to_string();
        refresh(&app, &rp, &rt0, None).await.expect_status(200);
        tokio::time::sleep(pause).await;
        let retry = refresh(&app, &rp, &rt0, None).await;
        if retry.status != 200 {
            failures.push(format!(
                "{case}: the first retry in the window was refused: {}",
                retry.text
            ));
            continue;
        }
        tokio::time::sleep(pause).await;
        let again = refresh(&app, &rp, &rt0, None).await;
        if again.status == 200 {
            failures.push(format!("{case}: the old token was honoured a second time"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_after_the_grace_window_revokes_the_family() {
    let (app, rp, user) = setup().await;
    let t0 = offline_tokens(&app, &rp, &user, "openid offline_access").await;
    let rt0 = t0["refresh_token"].as_str().unwrap_or("").to_string();
    let r1 = refresh(&app, &rp, &rt0, None).await;
    r1.expect_status(200);
    let rt1 = r1.json["refresh_token"].as_str().unwrap_or("").to_string();
    let at1 = r1.json["access_token"].as_str().unwrap_or("").to_string();

    tokio::time::sleep(Duration::from_secs(11)).await;
    let r = refresh(&app, &rp, &rt0, None).await;
    assert_oauth_error(
        "the rotated token after the window",
        &r,
        400,
        "invalid_grant",
    );
    let r = refresh(&app, &rp, &rt1, None).await;
    assert_oauth_error("the newest token of the family", &r, 400, "invalid_grant");
    let me = userinfo(&app, &rp.issuer, &at1).await;
    assert_eq!(
        me.status, 401,
        "the family's access token is revoked: {}",
        me.text
    );
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
