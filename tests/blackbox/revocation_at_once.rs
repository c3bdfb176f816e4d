//! What an administrator's change to a user ends at once (RFC 9700 §4.14.2: refresh tokens are
//! revoked when the credentials that earned them change): a new password, a block or a deletion
//! revokes every refresh family of the user (the code flow's and the password grant's, with the
//! access tokens issued from them) and ends every SSO session; a withdrawn consent revokes that
//! client's families only. A blocked user's access tokens are inactive at introspection while
//! the block lasts, even those outside any family.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::applications::{Application, TestUser};
use crate::support::authorize::{code_params, fresh_code, with};
use crate::support::browser::{Browser, Consent};
use crate::support::json::{field, items};
use crate::support::tokens::{
    assert_oauth_error, introspect, password_tokens, redeem, refresh, userinfo,
};
use crate::support::worker::{send, Reply, TestApp};

/// Tokens of one refresh family.
struct Family {
    how: &'static str,
    client: Application,
    access_token: String,
    refresh_token: String,
}

/// Signs `user` in through `browser` with `offline_access` and `prompt=consent`, and redeems
/// the code: a family, and the browser holds the SSO session.
async fn code_family(
    app: &TestApp,
    browser: &mut Browser,
    rp: &Application,
    user: &TestUser,
) -> Family {
    let params = with(
        code_params(&rp.client_id, &rp.redirect_uri, "openid offline_access"),
        "prompt",
        "consent",
    );
    let code = browser
        .sign_in(&rp.issuer, &params, user, Consent::Allow)
        .await
        .callback()
        .param("code")
        .to_string();
    let r = redeem(app, rp, &code, None).await;
    r.expect_status(200);
    Family {
        how: "code flow",
        client: rp.clone(),
        access_token: field(&r.json, "access_token").to_string(),
        refresh_token: field(&r.json, "refresh_token").to_string(),
    }
}

/// A family from the password grant.
async fn password_family(app: &TestApp, client: &Application, user: &TestUser) -> Family {
    let t = password_tokens(
        app,
        client,
        &user.username,
        &user.password,
        "openid offline_access",
    )
    .await;
    Family {
        how: "password grant",
        client: client.clone(),
        access_token: field(&t, "access_token").to_string(),
        refresh_token: field(&t, "refresh_token").to_string(),
    }
}

/// Why a family is not (fully) alive, or None when it is.
async fn family_problems(app: &TestApp, f: &Family) -> Vec<String> {
    let issuer = f.client.issuer.as_str();
    let mut out = Vec::new();
    let me = userinfo(app, issuer, &f.access_token).await;
    if me.status != 200 {
        out.push(format!("{}: /me {}", f.how, me.status));
    }
    for (what, t) in [("access", &f.access_token), ("refresh", &f.refresh_token)] {
        let seen = introspect(app, issuer, f.client.basic(), t, None).await;
        if seen.json["active"] != true {
            out.push(format!(
                "{}: {what} token introspected {}",
                f.how, seen.text
            ));
        }
    }
    out
}

/// Asserts that the family's refresh token is refused, its access token is refused at /me
/// and both are inactive at introspection.
async fn assert_family_revoked(app: &TestApp, case: &str, f: &Family) {
    let issuer = f.client.issuer.as_str();
    let r = refresh(app, &f.client, &f.refresh_token, None).await;
    assert_oauth_error(
        &format!("{case}, {}: the refresh token", f.how),
        &r,
        400,
        "invalid_grant",
    );
    let me = userinfo(app, issuer, &f.access_token).await;
    assert_eq!(
        me.status, 401,
        "{case}, {}: the access token at /me: {}",
        f.how, me.text
    );
    for (what, t) in [("access", &f.access_token), ("refresh", &f.refresh_token)] {
        let seen = introspect(app, issuer, f.client.basic(), t, None).await;
        assert_eq!(
            seen.json,
            json!({"active": false}),
            "{case}, {}: the {what} token at introspection",
            f.how
        );
    }
}

async fn sessions_of(app: &TestApp, user: &TestUser) -> Reply {
    let r = app
        .admin()
        .get(&format!("/api/v1/sessions?user_id={}", user.id))
        .await;
    r.expect_status(200);
    r
}

/// Whether `/auth` with the browser's cookies goes straight back to the client (a live
/// session) rather than asking for the login.
async fn signed_in(browser: &mut Browser, rp: &Application) -> bool {
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    !browser.authorize(&rp.issuer, &params).await.is_login()
}

// ---------------------------------------------------------------------------------------------
// A password reset, a block or a deletion ends everything the user holds

#[tokio::test]
async fn a_new_password_a_block_or_a_deletion_revokes_the_users_families_and_sessions_at_once() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({})).await;
    let machine = app
        .create_application(json!({"grant_types": ["password", "refresh_token"]}))
        .await;
    // (case, method, body of the admin call on /api/v1/users/{id})
    let cases: [(&str, Method, Option<Value>); 3] = [
        (
            "a new password",
            Method::PATCH,
            Some(json!({"password": "a brand new password"})),
        ),
        ("a block", Method::PATCH, Some(json!({"blocked": true}))),
        ("a deletion", Method::DELETE, None),
    ];
    for (case, method, body) in cases {
        let user = app.create_user(json!({})).await;
        let mut browser = Browser::new(&app);
        let families = [
            code_family(&app, &mut browser, &rp, &user).await,
            password_family(&app, &machine, &user).await,
        ];
        for f in &families {
            let problems = family_problems(&app, f).await;
            assert!(problems.is_empty(), "{case}: control: {problems:?}");
        }
        assert!(
            !items(&sessions_of(&app, &user).await).is_empty(),
            "{case}: control: the user has a session"
        );
        assert!(signed_in(&mut browser, &rp).await, "{case}: control");

        let mut rb = app
            .admin()
            .request(method, &format!("/api/v1/users/{}", user.id));
        if let Some(b) = &body {
            rb = rb.json(b);
        }
        let r = send(rb).await;
        assert!(r.status.is_success(), "{case}: {} {}", r.status, r.text);

        for f in &families {
            assert_family_revoked(&app, case, f).await;
        }
        let left = sessions_of(&app, &user).await;
        assert!(
            items(&left).is_empty(),
            "{case}: the user's sessions are gone: {}",
            left.text
        );
        assert!(
            !signed_in(&mut browser, &rp).await,
            "{case}: /auth with the old session cookie asks for the login again"
        );
    }
}

#[tokio::test]
async fn a_withdrawn_consent_revokes_that_clients_families_only() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({})).await;
    let other = app.create_application(json!({})).await;
    let user = app.create_user(json!({})).await;
    let mut browser = Browser::new(&app);
    let withdrawn = code_family(&app, &mut browser, &rp, &user).await;
    let kept = code_family(&app, &mut browser, &other, &user).await;

    app.admin()
        .delete(&format!(
            "/api/v1/users/{}/consents/{}",
            user.id, rp.client_id
        ))
        .await
        .expect_status(204);

    assert_family_revoked(&app, "a withdrawn consent", &withdrawn).await;
    let problems = family_problems(&app, &kept).await;
    assert!(problems.is_empty(), "another client's family: {problems:?}");
    refresh(&app, &other, &kept.refresh_token, None)
        .await
        .expect_status(200);
    // The SSO session is the user's, not the client's: it stays.
    assert!(
        !items(&sessions_of(&app, &user).await).is_empty(),
        "the session stays"
    );
}

// ---------------------------------------------------------------------------------------------
// Introspection while a user is blocked (RFC 7662 §2.2)

#[tokio::test]
async fn an_access_token_of_a_blocked_user_is_inactive_until_the_block_is_lifted() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({})).await;
    let user = app.create_user(json!({})).await;
    // No offline_access: the access token belongs to no refresh family.
    let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
    let t = redeem(&app, &rp, &code, None).await;
    t.expect_status(200);
    assert!(t.json.get("refresh_token").is_none(), "{}", t.text);
    let at = field(&t.json, "access_token");
    let user_path = format!("/api/v1/users/{}", user.id);
    let active = |r: &Reply| r.json["active"].clone();

    let before = introspect(&app, &rp.issuer, rp.basic(), at, None).await;
    assert_eq!(active(&before), true, "control: {}", before.text);

    app.admin()
        .patch(&user_path, &json!({"blocked": true}))
        .await
        .expect_status(200);
    let blocked = introspect(&app, &rp.issuer, rp.basic(), at, None).await;
    assert_eq!(blocked.json, json!({"active": false}), "{}", blocked.text);
    let me = userinfo(&app, &rp.issuer, at).await;
    assert_eq!(me.status, 401, "/me while blocked: {}", me.text);

    app.admin()
        .patch(&user_path, &json!({"blocked": false}))
        .await
        .expect_status(200);
    let after = introspect(&app, &rp.issuer, rp.basic(), at, None).await;
    assert_eq!(active(&after), true, "unblocked again: {}", after.text);
    assert_eq!(after.json["sub"], user.id.as_str());
}
