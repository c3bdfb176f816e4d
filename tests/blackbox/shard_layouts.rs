//! The `GrantStore` shard layouts (`store::shards`): everything minted now has the compact
//! shape (24-character ids, 44-character tokens), and records an earlier release wrote under
//! its shapes (22-character ids, 43-character tokens) are still found, rotated and revoked
//! where that release put them — an upgrade signs nobody out. Codes minted since are kept
//! beside their sign-in (45 characters); a code of the shape before (44 characters, in the
//! `code` object its hash names) is still redeemed, once.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::support::applications::{setup, Application};
use crate::support::authorize::{code_params, with, Params};
use crate::support::browser::{Browser, Consent};
use crate::support::jwt;
use crate::support::tokens::{assert_oauth_error, redeem, refresh, revoke};
use crate::support::totp::now;
use crate::support::worker::TestApp;

fn sha256_b64(s: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(s.as_bytes()))
}

#[tokio::test]
async fn what_is_minted_now_has_the_compact_shape() {
    let (app, rp, user) = setup().await;
    let mut browser = Browser::new(&app);
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid offline_access");
    let params = with(params, "prompt", "consent");
    let code = browser
        .sign_in(&rp.issuer, &params, &user, Consent::Allow)
        .await
        .callback()
        .param("code")
        .to_string();
    // Placed beside its sign-in: the interaction object's character, then a 44-character token.
    assert_eq!(code.len(), 45, "{code}");
    let session = browser
        .cookie("dw_session_default")
        .unwrap_or_else(|| panic!("no session cookie"));
    // Held by the pool's directory (`http::session`): 46 characters.
    assert_eq!(session.len(), 46, "{session}");
    let r = redeem(&app, &rp, &code, None).await;
    r.expect_status(200);
    let rt = r.json["refresh_token"].as_str().unwrap_or("");
    let family = rt.split('.').next().unwrap_or("");
    assert_eq!(family.len(), 24, "{rt}");
    let jti = jwt::claims(r.json["access_token"].as_str().unwrap_or(""))["jti"].clone();
    assert_eq!(jti.as_str().map(str::len), Some(24), "{jti}");
    refresh(&app, &rp, rt, None).await.expect_status(200);
}

/// A refresh family and an SSO session as the release before the compact layout wrote them
/// (`debug/raw-grant` and `debug/raw-session` store them under the old shapes, so in that
/// release's objects): the family rotates, its rotated token works, revoking it sticks; the
/// session signs the user in without a password.
#[tokio::test]
async fn records_an_earlier_release_wrote_are_found_after_the_upgrade() {
    let app = TestApp::spawn().await;
    // No consent page: the old session alone answers prompt=none.
    let rp = app.create_application(json!({"skip_consent": true})).await;
    let user = app.create_user(json!({})).await;
    let user_id = user.id.clone();

    let family_id = "QUJDREVGR0hJSktMTU5PUA"; // 22 characters: 16 bytes
    let old_token = format!("{family_id}.{}", "t".repeat(43));
    let t = now();
    app.admin()
        .put(
            "/api/v1/debug/raw-grant",
            &json!({"kind": "rtf", "id": family_id, "expires_at": t + 3600, "record": {
                "family_id": family_id, "client_id": rp.client_id, "pool_id": "default",
                "user_id": user_id, "scope": "openid offline_access", "auth_time": t - 60,
                "session_id": null, "current_hash": sha256_b64(&old_token),
                "previous_hash": null, "rotated_at": t - 60, "expires_at": t + 3600}}),
        )
        .await
        .expect_status(204);
    let r = refresh(&app, &rp, &old_token, None).await;
    r.expect_status(200);
    let rotated = r.json["refresh_token"].as_str().unwrap_or("").to_string();
    assert!(rotated.starts_with(&format!("{family_id}.")), "{rotated}");
    let r = refresh(&app, &rp, &rotated, None).await;
    r.expect_status(200);
    let newest = r.json["refresh_token"].as_str().unwrap_or("").to_string();
    revoke(&app, &rp.issuer, rp.basic(), &newest, Some("refresh_token"))
        .await
        .expect_status(200);
    assert_oauth_error(
        "the revoked family",
        &refresh(&app, &rp, &newest, None).await,
        400,
        "invalid_grant",
    );

    // The session cookie of that release: 43 characters, its bare hash the key.
    let cookie = "c".repeat(43);
    app.admin()
        .put(
            "/api/v1/debug/raw-session",
            &json!({"cookie": cookie, "record": {
                "session_id": "AAAAAAAAAAAAAAAAAAAAAA", "pool_id": "default", "user_id": user_id,
                "auth_time": t - 60, "expires_at": t + 3600}}),
        )
        .await
        .expect_status(204);
    let mut browser = Browser::new(&app);
    browser.set_cookie("dw_session_default", &cookie, "/");
    let none = with(
        code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        "prompt",
        "none",
    );
    let cb = browser.authorize(&rp.issuer, &none).await.callback();
    let code = cb.param("code").to_string();
    let r = redeem(&app, &rp, &code, None).await;
    r.expect_status(200);
    let id = jwt::claims(r.json["id_token"].as_str().unwrap_or(""));
    assert_eq!(id["sub"].as_str(), Some(user_id.as_str()), "{id}");
}

/// A code as the release before placed codes stored it — 44 characters, its tagged hash the
/// key, in the `code` object that hash names (`debug/raw-grant` puts it exactly there) — is
/// redeemed after the upgrade, and only once.
#[tokio::test]
async fn a_code_minted_before_codes_were_placed_is_redeemed_once() {
    let (app, rp, user) = setup().await;
    let code: String = "Q".repeat(44);
    let t = now();
    app.admin()
        .put(
            "/api/v1/debug/raw-grant",
            &json!({"kind": "code", "id": format!("~{}", sha256_b64(&code)),
                "expires_at": t + 300, "record": {
                "client_id": rp.client_id, "pool_id": "default", "user_id": user.id,
                "redirect_uri": rp.redirect_uri, "scope": "openid", "nonce": "n-0",
                "code_challenge": null, "code_challenge_method": null, "auth_time": t - 5,
                "session_id": null, "response_type": "code", "offline": false,
                "expires_at": t + 300, "consumed": false, "replayed": false,
                "issued": {"access_jtis": [], "refresh_family": null}}}),
        )
        .await
        .expect_status(204);
    let r = redeem(&app, &rp, &code, None).await;
    r.expect_status(200);
    let id = jwt::claims(r.json["id_token"].as_str().unwrap_or(""));
    assert_eq!(id["sub"].as_str(), Some(user.id.as_str()), "{id}");
    assert_eq!(id["nonce"].as_str(), Some("n-0"), "{id}");
    assert_oauth_error(
        "the old code again",
        &redeem(&app, &rp, &code, None).await,
        400,
        "invalid_grant",
    );
}

/// An authorization request that must be answered from the session alone (`prompt=none`).
fn silent(rp: &Application) -> Params {
    with(
        code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        "prompt",
        "none",
    )
}

/// A session as the release before the directory held sessions wrote it — its record in a
/// `GrantStore` shard under a 44-character cookie's hash, its index row in the pool's
/// directory without a record — still signs the user in after the upgrade, is listed, and a
/// revocation by id ends it at once (the next `prompt=none` is `login_required`).
#[tokio::test]
async fn a_session_of_the_release_before_is_listed_and_revoked() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({"skip_consent": true})).await;
    let user = app.create_user(json!({})).await;
    let t = now();
    let cookie = "s".repeat(44);
    let session_id = "BBBBBBBBBBBBBBBBBBBBBB";
    app.admin()
        .put(
            "/api/v1/debug/raw-session",
            &json!({"cookie": cookie, "indexed": true, "record": {
                "session_id": session_id, "pool_id": "default", "user_id": user.id,
                "auth_time": t - 60, "expires_at": t + 3600,
                "authentications": [{"at": t - 60, "amr": ["pwd"]}]}}),
        )
        .await
        .expect_status(204);
    let none = || silent(&rp);
    let mut browser = Browser::new(&app);
    browser.set_cookie("dw_session_default", &cookie, "/");
    let code = browser
        .authorize(&rp.issuer, &none())
        .await
        .callback()
        .param("code")
        .to_string();
    redeem(&app, &rp, &code, None).await.expect_status(200);

    let listed = app
        .admin()
        .get(&format!("/api/v1/sessions?user_id={}", user.id))
        .await;
    listed.expect_status(200);
    assert_eq!(
        listed.json["items"][0]["session_id"].as_str(),
        Some(session_id),
        "{}",
        listed.text
    );
    app.admin()
        .delete(&format!("/api/v1/sessions/{session_id}"))
        .await
        .expect_status(204);
    let cb = browser.authorize(&rp.issuer, &none()).await.callback();
    assert_eq!(cb.param("error"), "login_required", "{}", cb.url);
}

/// A session started now is held by the directory: listed, ended by the console at once,
/// and a second revocation finds nothing.
#[tokio::test]
async fn a_session_the_directory_holds_is_listed_and_revoked_at_once() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({"skip_consent": true})).await;
    let user = app.create_user(json!({})).await;
    let none = || silent(&rp);
    let mut browser = Browser::new(&app);
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    browser
        .sign_in(&rp.issuer, &params, &user, Consent::Allow)
        .await
        .callback();
    // Signed in: prompt=none answers with a code.
    let cb = browser.authorize(&rp.issuer, &none()).await.callback();
    assert!(!cb.param("code").is_empty(), "{}", cb.url);
    let listed = app
        .admin()
        .get(&format!("/api/v1/sessions?user_id={}", user.id))
        .await;
    let items = listed.json["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{}", listed.text);
    let id = items[0]["session_id"].as_str().unwrap_or("").to_string();
    app.admin()
        .delete(&format!("/api/v1/sessions/{id}"))
        .await
        .expect_status(204);
    let cb = browser.authorize(&rp.issuer, &none()).await.callback();
    assert_eq!(cb.param("error"), "login_required", "{}", cb.url);
    // Revoked already: a second revocation finds nothing.
    app.admin()
        .delete(&format!("/api/v1/sessions/{id}"))
        .await
        .expect_status(404);
}
