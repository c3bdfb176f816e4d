//! Passkeys against the real worker, with a software authenticator (`support::soft_authenticator`)
//! building real CBOR attestation objects and ES256 assertions: a passkey registered from
//! `{issuer}/account/passkeys` signs in to an application without a password; every bent
//! assertion (wrong origin, wrong RP ID hash, another challenge, a replayed challenge, a
//! counter that went back, a signature over other data, another user's handle, no user
//! presence) is refused; a removed passkey — by the user, an administrator, or with its user —
//! no longer signs in; the account page needs the session and its CSRF token.

use serde_json::{json, Value};

use crate::support::applications::setup;
use crate::support::authorize::code_params;
use crate::support::browser::Browser;
use crate::support::jwt::claims;
use crate::support::passkey_ceremonies::{
    account_page, assert_refused, audit_mentions, origin_of, passkey_sign_in, post_json, register,
    sign_in_options, signed_in, submit_assertion,
};
use crate::support::soft_authenticator::{b64, Bend, SoftKey};
use crate::support::tokens::redeem;
use crate::support::worker::{Options, TestApp};

#[tokio::test]
async fn a_registered_passkey_signs_in_without_a_password_until_it_is_removed() {
    let (app, rp, user) = setup().await;
    let mut browser = signed_in(&app, &rp, &user).await;
    let mut key = SoftKey::new(1);
    let reg = register(&mut browser, &rp.issuer, &mut key, &Bend::default()).await;
    assert_eq!(reg.status, 201, "register: {}", reg.excerpt());
    assert_eq!(reg.json["name"], "Test key");
    assert_eq!(reg.json["credential_id"], b64(&key.credential_id));
    let (page, _) = account_page(&mut browser, &rp.issuer).await;
    assert!(
        page.text.contains("Test key") && page.text.contains("never"),
        "{}",
        page.excerpt()
    );

    // A fresh browser: no session, no password, a code for the passkey's user.
    let cb = passkey_sign_in(&app, &rp, &mut key, &Bend::default())
        .await
        .callback();
    let tokens = redeem(&app, &rp, cb.param("code"), None).await;
    assert_eq!(tokens.status, 200, "{}", tokens.excerpt());
    let id_token = claims(tokens.json["id_token"].as_str().expect("id_token"));
    assert_eq!(id_token["sub"], user.id.as_str());
    // A synced (backup-eligible), user-verified passkey: RFC 8176 `swk` and `user`, two
    // kinds of factor, and the phishing-resistant class.
    let amr: Vec<&str> = id_token["amr"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    assert!(
        amr.contains(&"swk") && amr.contains(&"user") && !amr.contains(&"pwd"),
        "amr: {amr:?}"
    );
    assert_eq!(id_token["acr"], "urn:doorward:acr:phishing-resistant");
    let (page, csrf) = account_page(&mut browser, &rp.issuer).await;
    assert!(
        !page.text.contains("never"),
        "last used is shown: {}",
        page.excerpt()
    );

    // Renamed, then removed from the account page: it no longer signs in.
    let id = b64(&key.credential_id);
    let base = format!("{}/account/passkeys/{id}", rp.issuer);
    let renamed = browser
        .post_form(
            &format!("{base}/rename"),
            &[("csrf", csrf.as_str()), ("name", "Laptop")],
        )
        .await;
    assert_eq!(renamed.status, 303, "{}", renamed.excerpt());
    let no_csrf = browser
        .post_form(&format!("{base}/delete"), &[("csrf", "forged")])
        .await;
    assert_eq!(
        no_csrf.status,
        400,
        "a removal without the CSRF token: {}",
        no_csrf.excerpt()
    );
    let (page, _) = account_page(&mut browser, &rp.issuer).await;
    assert!(page.text.contains("Laptop"), "{}", page.excerpt());
    let removed = browser
        .post_form(&format!("{base}/delete"), &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(removed.status, 303, "{}", removed.excerpt());
    assert_refused(
        "removed passkey",
        passkey_sign_in(&app, &rp, &mut key, &Bend::default()).await,
    );
}

#[tokio::test]
async fn bent_assertions_are_refused_and_the_passkey_still_works_after_them() {
    let (app, rp, user) = setup().await;
    let other = app.create_user(json!({})).await;
    let mut browser = signed_in(&app, &rp, &user).await;
    let mut key = SoftKey::new(2);
    let reg = register(&mut browser, &rp.issuer, &mut key, &Bend::default()).await;
    assert_eq!(reg.status, 201, "register: {}", reg.excerpt());
    // One good sign-in, so the counter stands at 1.
    passkey_sign_in(&app, &rp, &mut key, &Bend::default())
        .await
        .callback();
    let origin = origin_of(&rp.issuer);
    let cases: Vec<(&str, Bend)> = vec![
        (
            "wrong origin",
            Bend {
                origin: Some("https://evil.example".into()),
                ..Bend::default()
            },
        ),
        (
            "wrong port",
            Bend {
                origin: Some(format!("{origin}1")),
                ..Bend::default()
            },
        ),
        (
            "wrong RP ID hash",
            Bend {
                rp_id: Some("evil.example".into()),
                ..Bend::default()
            },
        ),
        (
            "another challenge",
            Bend {
                challenge: Some(vec![7; 32]),
                ..Bend::default()
            },
        ),
        (
            "counter regression",
            Bend {
                counter: Some(1),
                ..Bend::default()
            },
        ),
        (
            "signature over other data",
            Bend {
                sign_other_data: true,
                ..Bend::default()
            },
        ),
        (
            "another user's handle",
            Bend {
                user_handle: Some(other.id.as_bytes().to_vec()),
                ..Bend::default()
            },
        ),
        (
            "no user presence",
            Bend {
                no_user_presence: true,
                ..Bend::default()
            },
        ),
        (
            "wrong ceremony type",
            Bend {
                ceremony_type: Some("webauthn.create".into()),
                ..Bend::default()
            },
        ),
    ];
    for (case, bend) in cases {
        assert_refused(case, passkey_sign_in(&app, &rp, &mut key, &bend).await);
    }
    // None of the refusals moved the counter or spent the passkey.
    passkey_sign_in(&app, &rp, &mut key, &Bend::default())
        .await
        .callback();
    // Failures are in the audit log with their reason.
    audit_mentions(
        &app,
        "sign_in_failed",
        &["invalid_passkey", "passkey_counter_regressed"],
    )
    .await;
    audit_mentions(&app, "sign_in_succeeded", &["passkey"]).await;
}

#[tokio::test]
async fn a_challenge_answers_one_response_only() {
    let (app, rp, user) = setup().await;
    let mut browser = signed_in(&app, &rp, &user).await;
    let mut key = SoftKey::new(3);
    assert_eq!(
        register(&mut browser, &rp.issuer, &mut key, &Bend::default())
            .await
            .status,
        201
    );

    let mut b = Browser::new(&app);
    let (uid, csrf, opts) = sign_in_options(&mut b, &rp).await;
    let challenge_id = opts["challenge_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let origin = origin_of(&rp.issuer);
    // A first, bad answer spends the challenge ...
    let bad = key.get(
        &opts["publicKey"],
        &origin,
        &Bend {
            sign_other_data: true,
            ..Bend::default()
        },
    );
    assert_refused(
        "bad first answer",
        submit_assertion(&mut b, &rp, &uid, &csrf, &challenge_id, &bad).await,
    );
    // ... so a good answer to it is refused too: the challenge is gone.
    let good = key.get(&opts["publicKey"], &origin, &Bend::default());
    let replay = submit_assertion(&mut b, &rp, &uid, &csrf, &challenge_id, &good)
        .await
        .stopped();
    assert_eq!(replay.status, 400, "{}", replay.excerpt());
    assert!(replay.text.contains("expired"), "{}", replay.excerpt());
    // An assertion over an old challenge, sent with a fresh one, is another challenge.
    let old = opts["publicKey"]["challenge"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let url = format!("{}/interaction/{uid}/passkey/options", rp.issuer);
    let fresh = post_json(&mut b, &url, &csrf, &json!({})).await.json;
    let replayed = key.get(
        &fresh["publicKey"],
        &origin,
        &Bend {
            challenge: Some(crate::support::soft_authenticator::unb64(&old)),
            ..Bend::default()
        },
    );
    let id = fresh["challenge_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_refused(
        "replayed challenge",
        submit_assertion(&mut b, &rp, &uid, &csrf, &id, &replayed).await,
    );
    // A challenge of one sign-in page is no good on another.
    let (uid2, csrf2, _) = sign_in_options(&mut b, &rp).await;
    let other_page = key.get(&fresh["publicKey"], &origin, &Bend::default());
    let r = submit_assertion(&mut b, &rp, &uid2, &csrf2, &id, &other_page)
        .await
        .stopped();
    assert_eq!(r.status, 400, "{}", r.excerpt());
}

#[tokio::test]
async fn a_credential_belongs_to_one_user_and_goes_with_them() {
    let (app, rp, user) = setup().await;
    let other = app.create_user(json!({})).await;
    let mut key = SoftKey::new(4);
    let mut browser = signed_in(&app, &rp, &user).await;
    assert_eq!(
        register(&mut browser, &rp.issuer, &mut key, &Bend::default())
            .await
            .status,
        201
    );
    // The same credential registered by another user is refused.
    let mut theirs = signed_in(&app, &rp, &other).await;
    let again = register(&mut theirs, &rp.issuer, &mut key, &Bend::default()).await;
    assert_eq!(again.status, 409, "{}", again.excerpt());
    // The administrator sees it; deleting the user removes it.
    let list = app
        .admin()
        .get(&format!("/api/v1/users/{}/passkeys", user.id))
        .await;
    assert_eq!(list.status, 200, "{}", list.excerpt());
    assert_eq!(
        list.json["items"][0]["credential_id"],
        b64(&key.credential_id)
    );
    assert!(
        list.json["items"][0].get("public_key").is_none(),
        "no key material in the list"
    );
    let theirs_list = app
        .admin()
        .get(&format!("/api/v1/users/{}/passkeys", other.id))
        .await;
    assert_eq!(theirs_list.json["items"], json!([]));
    app.admin()
        .delete(&format!("/api/v1/users/{}", user.id))
        .await
        .expect_status(204);
    assert_refused(
        "deleted user",
        passkey_sign_in(&app, &rp, &mut key, &Bend::default()).await,
    );
}

#[tokio::test]
async fn an_administrator_removes_a_passkey_and_it_no_longer_signs_in() {
    let (app, rp, user) = setup().await;
    let mut key = SoftKey::new(5);
    let mut browser = signed_in(&app, &rp, &user).await;
    assert_eq!(
        register(&mut browser, &rp.issuer, &mut key, &Bend::default())
            .await
            .status,
        201
    );
    let path = format!(
        "/api/v1/users/{}/passkeys/{}",
        user.id,
        b64(&key.credential_id)
    );
    app.admin().delete(&path).await.expect_status(204);
    app.admin().delete(&path).await.expect_status(404);
    assert_refused(
        "removed by an administrator",
        passkey_sign_in(&app, &rp, &mut key, &Bend::default()).await,
    );
    audit_mentions(&app, "mfa_changed", &["passkey_added", "passkey_removed"]).await;
}

#[tokio::test]
async fn the_account_page_needs_the_session_and_its_csrf_token() {
    let (app, rp, user) = setup().await;
    let mut anonymous = Browser::new(&app);
    let (page, _) = account_page(&mut anonymous, &rp.issuer).await;
    assert_eq!(page.status, 401, "{}", page.excerpt());
    assert!(
        !page
            .header("content-security-policy")
            .contains("script-src"),
        "no script without need"
    );
    let opts = post_json(
        &mut anonymous,
        &format!("{}/account/passkeys/options", rp.issuer),
        "x",
        &json!({}),
    )
    .await;
    assert_eq!(opts.status, 401, "{}", opts.excerpt());

    let mut browser = signed_in(&app, &rp, &user).await;
    let (page, csrf) = account_page(&mut browser, &rp.issuer).await;
    assert_eq!(page.status, 200);
    let csp = page.header("content-security-policy").to_string();
    assert!(
        csp.contains("script-src 'nonce-") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    let url = format!("{}/account/passkeys/options", rp.issuer);
    let forged = post_json(&mut browser, &url, "forged-token", &json!({})).await;
    assert_eq!(forged.status, 403, "{}", forged.excerpt());
    let ok = post_json(&mut browser, &url, &csrf, &json!({})).await;
    assert_eq!(ok.status, 200, "{}", ok.excerpt());
    assert_eq!(ok.json["publicKey"]["attestation"], "none");
    assert_eq!(
        ok.json["publicKey"]["authenticatorSelection"]["userVerification"],
        "preferred"
    );
    assert_eq!(ok.json["publicKey"]["user"]["id"], b64(user.id.as_bytes()));
    // The login page carries the passkey button, conditional UI's autocomplete token and
    // the ceremony script under a nonce.
    let login = Browser::new(&app)
        .authorize(
            &rp.issuer,
            &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        )
        .await
        .login();
    assert!(login
        .reply
        .text
        .contains("autocomplete=\"username webauthn\""));
    assert!(login.reply.text.contains("passkey.js"));
    let csp = login.reply.header("content-security-policy");
    assert!(csp.contains("script-src 'nonce-"), "{csp}");
}

#[tokio::test]
async fn user_verification_required_by_the_pool_refuses_an_unverified_passkey() {
    let (app, rp, user) = setup().await;
    let pool = rp.created["pool_id"]
        .as_str()
        .unwrap_or("default")
        .to_string();
    let mut key = SoftKey::new(6);
    let mut browser = signed_in(&app, &rp, &user).await;
    assert_eq!(
        register(&mut browser, &rp.issuer, &mut key, &Bend::default())
            .await
            .status,
        201
    );
    let unverified = Bend {
        no_user_verification: true,
        ..Bend::default()
    };
    // `preferred` (the default): an unverified user may sign in.
    passkey_sign_in(&app, &rp, &mut key, &unverified)
        .await
        .callback();
    let patch = |v: &str| json!({"passkey_user_verification": v});
    let bad = app
        .admin()
        .patch(&format!("/api/v1/pools/{pool}"), &patch("sometimes"))
        .await;
    assert_eq!(bad.status, 400, "{}", bad.excerpt());
    let r = app
        .admin()
        .patch(&format!("/api/v1/pools/{pool}"), &patch("required"))
        .await;
    assert_eq!(r.status, 200, "{}", r.excerpt());
    let (_, csrf) = account_page(&mut browser, &rp.issuer).await;
    let url = format!("{}/account/passkeys/options", rp.issuer);
    let opts = post_json(&mut browser, &url, &csrf, &json!({})).await;
    let uv = &opts.json["publicKey"]["authenticatorSelection"]["userVerification"];
    assert_eq!(uv, "required", "{}", opts.excerpt());
    assert_refused(
        "unverified under required",
        passkey_sign_in(&app, &rp, &mut key, &unverified).await,
    );
    passkey_sign_in(&app, &rp, &mut key, &Bend::default())
        .await
        .callback();
}

#[tokio::test]
async fn under_a_base_domain_a_passkey_of_one_application_signs_in_to_another_of_the_pool() {
    let app = TestApp::spawn_with(Options {
        base_domain: Some("id.example.test"),
        ..Options::default()
    })
    .await;
    let shop = app.create_application(json!({})).await;
    // First-party, so the passkey's sign-in to it lands at its redirect URI at once.
    let blog = app.create_application(json!({"skip_consent": true})).await;
    let user = app.create_user(json!({})).await;
    assert!(shop.issuer.contains(".id.example.test/"), "{}", shop.issuer);
    let mut key = SoftKey::new(9);
    let mut browser = signed_in(&app, &shop, &user).await;
    let (_, csrf) = account_page(&mut browser, &shop.issuer).await;
    let url = format!("{}/account/passkeys/options", shop.issuer);
    let opts = post_json(&mut browser, &url, &csrf, &json!({})).await;
    // The RP ID is the base domain, so every issuer under it may use the passkey.
    assert_eq!(
        opts.json["publicKey"]["rp"]["id"],
        "id.example.test",
        "{}",
        opts.excerpt()
    );
    assert_eq!(
        register(&mut browser, &shop.issuer, &mut key, &Bend::default())
            .await
            .status,
        201
    );
    let cb = passkey_sign_in(&app, &blog, &mut key, &Bend::default())
        .await
        .callback();
    let tokens = redeem(&app, &blog, cb.param("code"), None).await;
    let id_token = claims(tokens.json["id_token"].as_str().unwrap_or_default());
    assert_eq!(id_token["sub"], user.id.as_str());
    // An assertion for the issuer's own host as RP ID is another RP.
    let bent = Bend {
        rp_id: Some(
            url::Url::parse(&blog.issuer)
                .map(|u| u.host_str().unwrap_or("").to_string())
                .unwrap_or_default(),
        ),
        ..Bend::default()
    };
    assert_refused(
        "the issuer's host as RP ID",
        passkey_sign_in(&app, &blog, &mut key, &bent).await,
    );
}

/// A passkey that did not verify the user is one factor (possession): where MFA is required,
/// a one-time code after it would be possession again, so the request fails with
/// `unmet_authentication_requirements` instead of asking for codes that never add up; the
/// same passkey with the user verified meets it.
#[tokio::test]
async fn where_mfa_is_required_an_unverified_passkey_is_refused_not_sent_round_in_circles() {
    let (app, rp, user) = setup().await;
    let mut key = SoftKey::new(9);
    let mut browser = signed_in(&app, &rp, &user).await;
    assert_eq!(
        register(&mut browser, &rp.issuer, &mut key, &Bend::default())
            .await
            .status,
        201
    );
    app.admin()
        .patch("/api/v1/pools/default", &json!({"mfa": "required"}))
        .await
        .expect_status(200);
    let unverified = Bend {
        no_user_verification: true,
        ..Bend::default()
    };
    let refused = passkey_sign_in(&app, &rp, &mut key, &unverified)
        .await
        .callback();
    assert_eq!(
        refused.get("error"),
        Some("unmet_authentication_requirements"),
        "an unverified passkey where MFA is required"
    );
    let verified = passkey_sign_in(&app, &rp, &mut key, &Bend::default())
        .await
        .callback();
    assert!(
        verified.get("error").is_none() && !verified.param("code").is_empty(),
        "a verified passkey is two factors: {:?}",
        verified.get("error")
    );
    // The pool page counts the users holding a passkey among its factors.
    let counts = app.admin().get("/api/v1/pools/default/factors").await;
    counts.expect_status(200);
    assert_eq!(counts.json["passkeys"], 1, "{}", counts.text);
    assert_eq!(counts.json["totp"], 0, "{}", counts.text);
}

/// A pool's export carries its users' passkeys (public keys, counters, names): imported into
/// another deployment on the same host, the passkey signs in there.
#[tokio::test]
async fn a_passkey_travels_with_an_exported_pool() {
    let (old, rp, user) = setup().await;
    let mut key = SoftKey::new(11);
    let mut browser = signed_in(&old, &rp, &user).await;
    let reg = register(&mut browser, &rp.issuer, &mut key, &Bend::default()).await;
    assert_eq!(reg.status, 201, "{}", reg.excerpt());
    // Consents stay behind (the user is asked again); this test is about the passkey.
    old.admin()
        .patch(
            &format!("/api/v1/applications/{}", rp.client_id),
            &json!({"skip_consent": true}),
        )
        .await
        .expect_status(200);
    let export = old.admin().get("/api/v1/pools/default/export").await;
    export.expect_status(200);
    let entry = export.json["users"]
        .as_array()
        .and_then(|us| us.iter().find(|u| u["user"]["id"] == user.id.as_str()))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        entry["passkeys"][0]["credential_id"], reg.json["credential_id"],
        "{entry}"
    );
    drop(old);

    let new = TestApp::spawn().await;
    let r = new
        .admin()
        .post("/api/v1/pools/default/import", &export.json)
        .await;
    r.expect_status(200);
    assert_eq!(r.json["imported"]["passkeys"], 1, "{}", r.text);
    let moved = crate::support::applications::Application {
        issuer: format!("{}/{}/oidc", new.origin, rp.subdomain),
        ..rp.clone()
    };
    let cb = passkey_sign_in(&new, &moved, &mut key, &Bend::default())
        .await
        .callback();
    assert!(
        cb.get("error").is_none() && !cb.param("code").is_empty(),
        "the imported passkey signs in: {:?}",
        cb.get("error")
    );
}
