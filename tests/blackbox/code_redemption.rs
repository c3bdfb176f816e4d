//! Redeeming authorization codes at the token endpoint (RFC 6749 §4.1.3): a code is single use (a
//! replay revokes what it gave, 20 parallel redemptions give one success, and its Durable Object
//! lets exactly one of 25 concurrent takes win), bound to its client and redirect URI, and to
//! its PKCE challenge (RFC 7636); a public client must use PKCE; wrong client credentials are
//! `invalid_client` (RFC 6749 §2.3, §5.2); query and body parameters must not conflict.

use futures::future::join_all;
use reqwest::header::WWW_AUTHENTICATE;
use serde_json::json;

use crate::support::applications::setup;
use crate::support::authorize::{code_params, fresh_code, param, Pkce};
use crate::support::browser::Browser;
use crate::support::tokens::{
    assert_oauth_error, code_form, post_form, redeem, refresh, token, userinfo, Auth,
};
use crate::support::worker::{unique, TestApp};

// ---------------------------------------------------------------------------------------------
// Codes: single use, bound to the client, concurrent redemption

#[tokio::test]
async fn reused_code_is_rejected_and_its_tokens_revoked() {
    let (app, rp, user) = setup().await;
    let code = fresh_code(
        &app,
        &rp,
        &user,
        "openid offline_access",
        &[("prompt", "consent".into())],
    )
    .await;
    let first = redeem(&app, &rp, &code, None).await;
    first.expect_status(200);
    let at = first.json["access_token"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let rt = first.json["refresh_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no refresh token: {}", first.text))
        .to_string();
    userinfo(&app, &rp.issuer, &at).await.expect_status(200);

    let second = redeem(&app, &rp, &code, None).await;
    assert_oauth_error("the replayed code", &second, 400, "invalid_grant");

    let me = userinfo(&app, &rp.issuer, &at).await;
    assert_eq!(
        me.status, 401,
        "the first access token is revoked after the replay: {}",
        me.text
    );
    assert!(
        me.header("www-authenticate").contains("invalid_token"),
        "WWW-Authenticate: {}",
        me.header("www-authenticate")
    );
    let r = refresh(&app, &rp, &rt, None).await;
    assert_oauth_error(
        "the replayed code's refresh token",
        &r,
        400,
        "invalid_grant",
    );
}

#[tokio::test]
async fn twenty_parallel_redemptions_of_one_code_give_exactly_one_success() {
    let (app, rp, user) = setup().await;
    let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
    let replies = join_all((0..20).map(|_| redeem(&app, &rp, &code, None))).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(ok, 1, "exactly one success among {statuses:?}");
    for r in replies.iter().filter(|r| r.status != 200) {
        assert_oauth_error("a losing redemption", r, 400, "invalid_grant");
    }
}

#[tokio::test]
async fn a_code_presented_by_another_client_is_rejected() {
    let (app, rp, user) = setup().await;
    let other = app.create_application(json!({})).await;
    // (case, token endpoint's issuer, authenticating client, expected error)
    let cases = [
        (
            "other app at its own token endpoint",
            &other,
            &other,
            "invalid_grant",
        ),
        (
            "other app's credentials at this app's endpoint",
            &rp,
            &other,
            "invalid_client",
        ),
    ];
    for (case, at, who, want) in cases {
        let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
        let form = code_form(&code, &rp.redirect_uri);
        let r = token(&app, &at.issuer, who.basic(), &form).await;
        assert_eq!(r.json["error"].as_str(), Some(want), "{case}: {}", r.text);
        assert_ne!(r.status, 200, "{case}");
        // The rightful client can still redeem it (the failed attempt did not consume it), or at
        // least the stolen attempt gave nothing; either way the thief got no tokens.
    }
}

#[tokio::test]
async fn a_code_redeemed_with_another_redirect_uri_is_rejected() {
    let app = TestApp::spawn().await;
    let rp = app
        .create_application(
            json!({"redirect_uris": ["https://rp.example/a", "https://rp.example/b"]}),
        )
        .await;
    let user = app.create_user(json!({})).await;
    let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
    let form = code_form(&code, "https://rp.example/b");
    let r = token(&app, &rp.issuer, rp.basic(), &form).await;
    assert_oauth_error("another registered redirect URI", &r, 400, "invalid_grant");
}

// ---------------------------------------------------------------------------------------------
// Single-use codes in a Durable Object

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exactly_one_of_25_concurrent_takes_of_a_code_wins() {
    let app = TestApp::spawn().await;
    let minted = app.admin().post("/api/v1/debug/codes", &json!({})).await;
    assert!(
        minted.status.is_success(),
        "POST /api/v1/debug/codes: {} {}",
        minted.status,
        minted.text
    );
    let code = minted.json["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no code: {}", minted.text))
        .to_string();

    let body = json!({"code": code});
    let admin = app.admin();
    let takes = (0..25).map(|_| admin.post("/api/v1/debug/codes/take", &body));
    let replies = futures::future::join_all(takes).await;

    let mut won = 0;
    for r in &replies {
        match r.status.as_u16() {
            200 => {
                assert_eq!(r.json["taken"], true, "winner body: {}", r.excerpt());
                won += 1;
            }
            409 => assert_eq!(r.json["taken"], false, "loser body: {}", r.excerpt()),
            other => panic!("a take answered {other}: {}", r.excerpt()),
        }
    }
    assert_eq!(won, 1, "{won} of 25 concurrent takes succeeded");

    // Gone for good afterwards; and an unknown code is never taken.
    let again = app.admin().post("/api/v1/debug/codes/take", &body).await;
    again.expect_status(409);
    let unknown = app
        .admin()
        .post(
            "/api/v1/debug/codes/take",
            &json!({"code": unique("nosuchcode")}),
        )
        .await;
    unknown.expect_status(409);
}

/// A pending sign-in is spent with the code it ends — stored beside it, in one commit
/// (`store::shards`, placed codes): the code has the placed shape and redeems once, and the
/// login or consent form posted again finds its sign-in gone. With and without a consent page.
#[tokio::test]
async fn the_sign_in_a_code_ends_is_spent_with_it() {
    let app = TestApp::spawn().await;
    let direct = app.create_application(json!({"skip_consent": true})).await;
    let asking = app.create_application(json!({})).await;
    let user = app.create_user(json!({})).await;
    for (rp, consent) in [(&direct, false), (&asking, true)] {
        let mut browser = Browser::new(&app);
        let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
        let login = browser.authorize(&rp.issuer, &params).await.login();
        let after = browser
            .submit_login(&rp.issuer, &login, &user.username, &user.password)
            .await;
        let (last_page, code) = if consent {
            let page = after.consent();
            let done = browser.submit_consent(&rp.issuer, &page, true).await;
            let code = done.callback().param("code").to_string();
            (page, code)
        } else {
            (login, after.callback().param("code").to_string())
        };
        assert_eq!(code.len(), 45, "a placed code: {code}");
        let again = if consent {
            browser.submit_consent(&rp.issuer, &last_page, true).await
        } else {
            browser
                .submit_login(&rp.issuer, &last_page, &user.username, &user.password)
                .await
        };
        let again = again.stopped();
        again.expect_status(400);
        assert!(again.text.contains("expired"), "{}", again.excerpt());
        redeem(&app, rp, &code, None).await.expect_status(200);
        assert_oauth_error(
            "the code redeemed again",
            &redeem(&app, rp, &code, None).await,
            400,
            "invalid_grant",
        );
    }
}

/// Codes that were never issued, in every shape a code can take (placed beside a sign-in,
/// minted before, foreign), are `invalid_grant` — none names an object it should not.
#[tokio::test]
async fn forged_codes_of_every_shape_are_invalid_grant() {
    let (app, rp, user) = setup().await;
    let real = fresh_code(&app, &rp, &user, "openid", &[]).await;
    assert_eq!(real.len(), 45, "{real}");
    // The real code with its last character changed: the same object, another hash.
    let mut altered = real.clone();
    let last = altered.pop().unwrap_or('A');
    altered.push(if last == 'A' { 'B' } else { 'A' });
    let b64 = "A".repeat(44);
    let cases: Vec<(&str, String)> = vec![
        ("the real code altered", altered),
        ("placed shape, never issued", format!("Z{b64}")),
        ("placed length, '%' first", format!("%{b64}")),
        ("placed length, '.' first", format!(".{b64}")),
        ("placed length, '~' first", format!("~{b64}")),
        (
            "placed length, multi-byte first",
            format!("é{}", "A".repeat(43)),
        ),
        ("the shape minted before", b64.clone()),
        ("a 43-character code", "A".repeat(43)),
        ("one character", "Z".into()),
        ("4 KB", "Z".repeat(4096)),
    ];
    for (what, code) in &cases {
        assert_oauth_error(
            what,
            &redeem(&app, &rp, code, None).await,
            400,
            "invalid_grant",
        );
    }
    // The real one still works: no forged attempt touched it.
    redeem(&app, &rp, &real, None).await.expect_status(200);
}

// ---------------------------------------------------------------------------------------------
// PKCE (RFC 7636)

#[tokio::test]
async fn wrong_missing_or_downgraded_pkce_verifiers_are_invalid_grant() {
    let (app, rp, user) = setup().await;
    // (case, challenge sent at /auth, verifier sent at /token)
    let s256 = Pkce::s256();
    let plain = Pkce::plain();
    let cases: Vec<(&str, Option<&Pkce>, Option<String>)> = vec![
        (
            "wrong S256 verifier",
            Some(&s256),
            Some(Pkce::s256().verifier),
        ),
        ("missing verifier for an S256 challenge", Some(&s256), None),
        (
            "the S256 challenge itself sent as a plain verifier",
            Some(&s256),
            Some(s256.challenge.clone()),
        ),
        (
            "wrong plain verifier",
            Some(&plain),
            Some(Pkce::plain().verifier),
        ),
        ("missing verifier for a plain challenge", Some(&plain), None),
        (
            "a verifier for a code requested without a challenge",
            None,
            Some(Pkce::s256().verifier),
        ),
    ];
    let mut failures = Vec::new();
    for (case, pkce, verifier) in cases {
        let extra: Vec<(&'static str, String)> =
            pkce.map(|p| p.params().to_vec()).unwrap_or_default();
        let code = fresh_code(&app, &rp, &user, "openid", &extra).await;
        let r = redeem(&app, &rp, &code, verifier.as_deref()).await;
        if (r.status.as_u16(), r.json["error"].as_str()) != (400, Some("invalid_grant")) {
            failures.push(format!("{case}: {} {}", r.status, r.text));
        }
    }
    assert!(
        failures.is_empty(),
        "expected 400 invalid_grant for:\n{}",
        failures.join("\n")
    );

    // Controls: the right verifiers are accepted.
    for p in [Pkce::s256(), Pkce::plain()] {
        let code = fresh_code(&app, &rp, &user, "openid", &p.params()).await;
        redeem(&app, &rp, &code, Some(&p.verifier))
            .await
            .expect_status(200);
    }
}

#[tokio::test]
async fn public_client_must_use_pkce_and_then_redeems_without_a_secret() {
    let app = TestApp::spawn().await;
    let rp = app
        .create_application(json!({"token_endpoint_auth_method": "none"}))
        .await;
    let user = app.create_user(json!({})).await;

    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let cb = Browser::new(&app)
        .authorize(&rp.issuer, &params)
        .await
        .callback();
    assert_eq!(
        cb.get("error"),
        Some("invalid_request"),
        "no PKCE: {:?}",
        cb.params
    );
    assert_eq!(cb.get("state"), param(&params, "state"));
    assert_eq!(cb.get("iss"), Some(rp.issuer.as_str()));

    let pkce = Pkce::s256();
    let code = fresh_code(&app, &rp, &user, "openid", &pkce.params()).await;
    let form = code_form(&code, &rp.redirect_uri);
    let r = token(&app, &rp.issuer, Auth::Id(&rp.client_id), &form).await;
    assert_oauth_error(
        "a public client without its verifier",
        &r,
        400,
        "invalid_grant",
    );
    let code = fresh_code(&app, &rp, &user, "openid", &pkce.params()).await;
    let mut form = code_form(&code, &rp.redirect_uri).to_vec();
    form.push(("code_verifier", &pkce.verifier));
    token(&app, &rp.issuer, Auth::Id(&rp.client_id), &form)
        .await
        .expect_status(200);
}

// ---------------------------------------------------------------------------------------------
// Client authentication (RFC 6749 §2.3, §5.2)

/// RFC 6749 §5.2's challenge after a failed Basic attempt, with the error as auth-params.
const BASIC_CHALLENGE: &str =
    "Basic realm=\"doorward\", error=\"invalid_client\", error_description=\"";

#[tokio::test]
async fn wrong_client_credentials_are_invalid_client_401_with_www_authenticate_for_basic() {
    let (app, rp, user) = setup().await;
    let wrong = format!("{}x", rp.client_secret);
    // (case, client authentication, WWW-Authenticate expected)
    let cases = [
        (
            "basic, wrong secret",
            Auth::Basic(&rp.client_id, &wrong),
            true,
        ),
        (
            "basic, unknown client",
            Auth::Basic("nobody", &rp.client_secret),
            true,
        ),
        (
            "post, wrong secret",
            Auth::Post(&rp.client_id, &wrong),
            false,
        ),
        (
            "post, no secret for a confidential client",
            Auth::Id(&rp.client_id),
            false,
        ),
        ("no credentials at all", Auth::Nothing, false),
    ];
    let mut failures = Vec::new();
    for (case, auth, www) in cases {
        let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
        let r = token(&app, &rp.issuer, auth, &code_form(&code, &rp.redirect_uri)).await;
        let challenge = r
            .headers
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let ok = r.status == 401
            && r.json["error"] == "invalid_client"
            && (!www || challenge.starts_with(BASIC_CHALLENGE))
            && (www || challenge.is_empty());
        if !ok {
            failures.push(format!(
                "{case}: {} www-authenticate={challenge:?} {}",
                r.status, r.text
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "expected 401 invalid_client for:\n{}",
        failures.join("\n")
    );

    // Control: client_secret_post with the right secret works.
    let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
    token(
        &app,
        &rp.issuer,
        rp.post(),
        &code_form(&code, &rp.redirect_uri),
    )
    .await
    .expect_status(200);
}

// ---------------------------------------------------------------------------------------------
// The token endpoint's request and response shape

#[tokio::test]
async fn token_parameters_in_query_and_body_that_conflict_are_invalid_request() {
    let (app, rp, user) = setup().await;
    let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
    let url = format!(
        "{}/token?grant_type=authorization_code&code={code}x",
        rp.issuer
    );
    let form = code_form(&code, &rp.redirect_uri);
    let r = post_form(&app, &url, rp.basic(), &form).await;
    assert_oauth_error("a conflicting code", &r, 400, "invalid_request");

    // The same value in both places is fine.
    let url = format!(
        "{}/token?grant_type=authorization_code&code={code}",
        rp.issuer
    );
    let r = post_form(&app, &url, rp.basic(), &form).await;
    r.expect_status(200);
    assert_eq!(
        (r.header("cache-control"), r.header("pragma")),
        ("no-store", "no-cache"),
        "RFC 6749 §5.1"
    );
}
