//! A passkey as the second factor after a password, against the real worker: the
//! second-factor page offers the user's own passkeys (and only theirs, in `allowCredentials`),
//! another user's credential is refused there, and the user's own completes the sign-in with
//! `pwd` and the passkey's methods in the id_token.

use serde_json::{json, Value};

use crate::support::applications::setup;
use crate::support::authorize::code_params;
use crate::support::browser::Browser;
use crate::support::html::tags;
use crate::support::jwt::claims;
use crate::support::passkey_ceremonies::{
    origin_of, post_json, register, signed_in, submit_assertion,
};
use crate::support::soft_authenticator::{b64, Bend, SoftKey};
use crate::support::tokens::redeem;

/// The `data-options` URL and CSRF token of the passkey block on a page.
fn passkey_block(text: &str) -> (String, String) {
    let options = tags(text, "div")
        .into_iter()
        .find(|d| d.get("id").map(String::as_str) == Some("passkey-sign-in"))
        .and_then(|d| d.get("data-options").cloned())
        .unwrap_or_else(|| panic!("no passkey block on the page: {text}"));
    let csrf = tags(text, "input")
        .into_iter()
        .find(|i| i.get("name").map(String::as_str) == Some("csrf"))
        .and_then(|i| i.get("value").cloned())
        .unwrap_or_default();
    (options.replace("&amp;", "&"), csrf)
}

#[tokio::test]
async fn a_passkey_is_the_second_factor_after_a_password_but_only_the_users_own() {
    let (app, rp, user) = setup().await;
    let other = app.create_user(json!({})).await;
    let mut key = SoftKey::new(7);
    let mut theirs = SoftKey::new(8);
    let mut browser = signed_in(&app, &rp, &user).await;
    assert_eq!(
        register(&mut browser, &rp.issuer, &mut key, &Bend::default())
            .await
            .status,
        201
    );
    let mut other_browser = signed_in(&app, &rp, &other).await;
    assert_eq!(
        register(
            &mut other_browser,
            &rp.issuer,
            &mut theirs,
            &Bend::default()
        )
        .await
        .status,
        201
    );
    let pool = rp.created["pool_id"]
        .as_str()
        .unwrap_or("default")
        .to_string();
    let r = app
        .admin()
        .patch(
            &format!("/api/v1/pools/{pool}"),
            &json!({"mfa": "required"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.excerpt());

    // The password, then the second-factor page offers the user's passkey (no enrolment of an
    // authenticator app: the passkey is their second factor).
    let origin = origin_of(&rp.issuer);
    let mut b = Browser::new(&app);
    let login = b
        .authorize(
            &rp.issuer,
            &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        )
        .await
        .login();
    let page = b
        .submit_login(&rp.issuer, &login, &user.username, &user.password)
        .await
        .stopped();
    assert_eq!(page.status, 200, "{}", page.excerpt());
    assert!(
        page.text.contains("Use a passkey instead"),
        "{}",
        page.excerpt()
    );
    assert!(page
        .header("content-security-policy")
        .contains("script-src 'nonce-"));
    let (options_url, csrf) = passkey_block(&page.text);
    let uid = login.url.rsplit('/').next().unwrap_or_default().to_string();
    let opts = post_json(&mut b, &options_url, &csrf, &json!({})).await;
    assert_eq!(opts.status, 200, "{}", opts.excerpt());
    let allowed = &opts.json["publicKey"]["allowCredentials"];
    assert_eq!(
        allowed,
        &json!([{"type": "public-key", "id": b64(&key.credential_id), "transports": ["hybrid", "internal"]}])
    );

    // Another user's passkey proves nothing about this one.
    let id = opts.json["challenge_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let wrong = theirs.get(&opts.json["publicKey"], &origin, &Bend::default());
    let refused = submit_assertion(&mut b, &rp, &uid, &csrf, &id, &wrong)
        .await
        .stopped();
    assert_eq!(refused.status, 401, "{}", refused.excerpt());
    assert!(
        refused.text.contains("Use a passkey instead"),
        "back on the second-factor page: {}",
        refused.excerpt()
    );

    // Their own passkey completes the sign-in: password and passkey, phishing-resistant.
    let opts = post_json(&mut b, &options_url, &csrf, &json!({}))
        .await
        .json;
    let id = opts["challenge_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let good = key.get(&opts["publicKey"], &origin, &Bend::default());
    let cb = submit_assertion(&mut b, &rp, &uid, &csrf, &id, &good)
        .await
        .callback();
    let tokens = redeem(&app, &rp, cb.param("code"), None).await;
    let id_token = claims(tokens.json["id_token"].as_str().unwrap_or_default());
    assert_eq!(id_token["sub"], user.id.as_str());
    let amr: Vec<&str> = id_token["amr"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for m in ["pwd", "swk", "user", "mfa"] {
        assert!(amr.contains(&m), "amr {amr:?} lacks {m}");
    }
    assert_eq!(id_token["acr"], "urn:doorward:acr:phishing-resistant");
}
