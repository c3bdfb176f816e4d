//! Token introspection (RFC 7662) and token revocation (RFC 7009): a client sees its own tokens
//! with their fields and nothing of foreign, unknown or forged ones, only after authenticating;
//! revoking a refresh token revokes its family and the access tokens issued from it, revoking an
//! access token makes userinfo and introspection refuse it, unknown tokens answer 200, and
//! another client's tokens are left alone.
//!
//! Not covered, on purpose: an *expired* token at introspection. The shortest access-token
//! lifetime an application may set is 60 s, too long for a test; revoked, unknown and foreign
//! tokens are covered instead.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::applications::{Application, TestUser};
use crate::support::json::field;
use crate::support::jwt;
use crate::support::tokens::{
    assert_oauth_error, introspect, password_tokens, refresh, revoke, scope_set, userinfo, Auth,
};
use crate::support::worker::TestApp;

// ---------------------------------------------------------------------------------------------
// Introspection (RFC 7662)
// ---------------------------------------------------------------------------------------------

/// Two confidential applications of the default pool ticking password + refresh_token, and a
/// user: the setting of the cross-client introspection and revocation tests.
async fn two_clients_and_a_user(app: &TestApp) -> (Application, Application, TestUser) {
    let grants = json!({"grant_types": ["password", "refresh_token"]});
    let a = app.create_application(grants.clone()).await;
    let b = app.create_application(grants).await;
    let user = app.create_user(json!({})).await;
    (a, b, user)
}

/// `user`'s tokens from `client` by the password grant.
async fn tokens_of(app: &TestApp, client: &Application, user: &TestUser, scope: &str) -> Value {
    password_tokens(app, client, &user.username, &user.password, scope).await
}

#[tokio::test]
async fn introspection_shows_the_callers_own_tokens_with_their_fields() {
    let app = TestApp::spawn().await;
    let (a, _, user) = two_clients_and_a_user(&app).await;
    let issuer = a.issuer.as_str();
    let t = tokens_of(&app, &a, &user, "openid offline_access").await;
    let at = field(&t, "access_token");

    // Basic and post authentication both work.
    for (how, auth) in [("basic", a.basic()), ("post", a.post())] {
        let r = introspect(&app, issuer, auth, at, None).await;
        r.expect_status(200);
        let j = &r.json;
        assert_eq!(
            j["active"], true,
            "{how}: own access token; body {}",
            r.text
        );
        assert_eq!(j["client_id"], a.client_id.as_str(), "{how}: {}", r.text);
        assert_eq!(j["sub"], user.id.as_str(), "{how}: {}", r.text);
        assert_eq!(j["iss"], issuer, "{how}: {}", r.text);
        assert_eq!(j["token_type"], "access_token", "{how}: {}", r.text);
        assert!(
            scope_set(field(j, "scope")).contains("openid"),
            "{how}: scope {}",
            r.text
        );
        let claims = jwt::claims(at);
        assert_eq!(
            j["exp"], claims["exp"],
            "{how}: exp matches the token; {}",
            r.text
        );
        assert_eq!(
            j["iat"], claims["iat"],
            "{how}: iat matches the token; {}",
            r.text
        );
        assert!(
            j.get("aud").is_some_and(|v| !v.is_null()),
            "{how}: aud missing: {}",
            r.text
        );
        assert!(
            r.header("cache-control").contains("no-store"),
            "{how}: introspection must be no-store"
        );
    }

    // The refresh token, with the right hint, the wrong hint (RFC 7662 §2.1: the server must
    // search further) and none.
    let rt = field(&t, "refresh_token");
    for hint in [Some("refresh_token"), Some("access_token"), None] {
        let r = introspect(&app, issuer, a.basic(), rt, hint).await;
        r.expect_status(200);
        assert_eq!(
            r.json["active"], true,
            "own refresh token, hint {hint:?}: {}",
            r.text
        );
        assert_eq!(
            r.json["token_type"], "refresh_token",
            "hint {hint:?}: {}",
            r.text
        );
        assert_eq!(
            r.json["client_id"],
            a.client_id.as_str(),
            "hint {hint:?}: {}",
            r.text
        );
        assert_eq!(r.json["sub"], user.id.as_str(), "hint {hint:?}: {}", r.text);
        assert!(
            r.json["exp"].as_u64().is_some(),
            "hint {hint:?}: exp missing: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn introspection_of_foreign_unknown_or_malformed_tokens_is_inactive() {
    let app = TestApp::spawn().await;
    let (a, b, user) = two_clients_and_a_user(&app).await;
    let t = tokens_of(&app, &a, &user, "openid offline_access").await;
    let at = field(&t, "access_token");
    let rt = field(&t, "refresh_token");
    // A well-formed JWT from this issuer, with its signature cut off and replaced.
    let mut parts: Vec<&str> = at.split('.').collect();
    let bogus_sig = URL_SAFE_NO_PAD.encode([0u8; 64]);
    parts[2] = &bogus_sig;
    let tampered = parts.join(".");

    let cases: &[(&str, &str)] = &[
        ("another client's access token", at),
        ("another client's refresh token", rt),
        ("an unknown opaque token", "this-token-was-never-issued"),
        ("a malformed JWT", "a.b.c"),
        ("an access token with a forged signature", &tampered),
    ];
    for (case, tok) in cases {
        let r = introspect(&app, &b.issuer, b.basic(), tok, None).await;
        r.expect_status(200);
        assert_eq!(
            r.json,
            json!({"active": false}),
            "{case}: only `active: false` may be disclosed"
        );
    }
    // The forged signature is inactive even for the client it names.
    let r = introspect(&app, &a.issuer, a.basic(), &tampered, None).await;
    assert_eq!(
        r.json,
        json!({"active": false}),
        "forged signature at its own client: {}",
        r.text
    );
}

#[tokio::test]
async fn introspection_without_client_authentication_is_refused() {
    let app = TestApp::spawn().await;
    let (a, _, user) = two_clients_and_a_user(&app).await;
    let issuer = a.issuer.as_str();
    let t = tokens_of(&app, &a, &user, "openid").await;
    let at = field(&t, "access_token");

    let id = a.client_id.as_str();
    let cases = [
        ("no authentication", Auth::Nothing),
        ("wrong secret (basic)", Auth::Basic(id, "wrong")),
        ("wrong secret (post)", Auth::Post(id, "wrong")),
        ("unknown client", Auth::Basic("no-such-client", "x")),
    ];
    for (case, auth) in cases {
        let r = introspect(&app, issuer, auth, at, None).await;
        assert_oauth_error(case, &r, 401, "invalid_client");
        assert!(
            r.json.get("active").is_none() && r.json.get("sub").is_none(),
            "{case}: must disclose nothing: {}",
            r.text
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Revocation (RFC 7009)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family_and_the_access_tokens_issued_from_it() {
    let app = TestApp::spawn().await;
    let (a, _, user) = two_clients_and_a_user(&app).await;
    let issuer = a.issuer.as_str();
    let t = tokens_of(&app, &a, &user, "openid offline_access").await;
    let first_at = field(&t, "access_token");
    let rt = field(&t, "refresh_token");
    // A second generation of the family: the rotated refresh token (if rotation is on) and a
    // second access token.
    let r = refresh(&app, &a, rt, None).await;
    r.expect_status(200);
    let second_at = field(&r.json, "access_token").to_string();
    let second_rt = r.json["refresh_token"].as_str().unwrap_or(rt).to_string();
    // An unrelated grant of the same user and client survives.
    let other = tokens_of(&app, &a, &user, "openid offline_access").await;

    // Revoke the newest refresh token of the family.
    let r = revoke(&app, issuer, a.basic(), &second_rt, Some("refresh_token")).await;
    r.expect_status(200);
    assert!(
        r.text.trim().is_empty() || r.text.trim() == "{}",
        "RFC 7009 §2.2: empty body; got {}",
        r.text
    );

    for (case, tok) in [
        ("first refresh token", rt),
        ("newest refresh token", second_rt.as_str()),
    ] {
        let r = refresh(&app, &a, tok, None).await;
        assert_oauth_error(
            &format!("refresh with the {case} after revocation"),
            &r,
            400,
            "invalid_grant",
        );
        let r = introspect(&app, issuer, a.basic(), tok, None).await;
        assert_eq!(r.json, json!({"active": false}), "{case} after revocation");
    }
    for (case, tok) in [
        ("first access token", first_at),
        ("second access token", second_at.as_str()),
    ] {
        let r = userinfo(&app, issuer, tok).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "/me with the {case} of a revoked family; body {}",
            r.excerpt()
        );
        let r = introspect(&app, issuer, a.basic(), tok, None).await;
        assert_eq!(
            r.json,
            json!({"active": false}),
            "introspecting the {case} of a revoked family"
        );
    }

    // The other family is untouched.
    userinfo(&app, issuer, field(&other, "access_token"))
        .await
        .expect_status(200);
    let r = refresh(&app, &a, field(&other, "refresh_token"), None).await;
    r.expect_status(200);
}

#[tokio::test]
async fn revoking_an_access_token_makes_userinfo_and_introspection_reject_it() {
    let app = TestApp::spawn().await;
    let (a, _, user) = two_clients_and_a_user(&app).await;
    let issuer = a.issuer.as_str();
    let t = tokens_of(&app, &a, &user, "openid offline_access").await;
    let at = field(&t, "access_token");
    let other = tokens_of(&app, &a, &user, "openid").await;
    userinfo(&app, issuer, at).await.expect_status(200); // control

    let r = revoke(&app, issuer, a.basic(), at, Some("access_token")).await;
    r.expect_status(200);

    let r = userinfo(&app, issuer, at).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "/me with a revoked access token; body {}",
        r.excerpt()
    );
    assert!(
        r.header("www-authenticate").contains("invalid_token"),
        "challenge: {}",
        r.header("www-authenticate")
    );
    let r = introspect(&app, issuer, a.basic(), at, None).await;
    assert_eq!(
        r.json,
        json!({"active": false}),
        "introspecting a revoked access token"
    );

    // Only that token: another access token of the user still works.
    userinfo(&app, issuer, field(&other, "access_token"))
        .await
        .expect_status(200);
}

#[tokio::test]
async fn revoking_an_unknown_token_answers_200() {
    let app = TestApp::spawn().await;
    let (a, _, _) = two_clients_and_a_user(&app).await;
    let issuer = a.issuer.as_str();
    for (case, tok, hint) in [
        ("unknown opaque token", "never-issued", None),
        (
            "unknown refresh token",
            "never-issued-either",
            Some("refresh_token"),
        ),
        ("malformed JWT", "a.b.c", Some("access_token")),
        ("unsupported hint", "never-issued", Some("something_else")),
    ] {
        let r = revoke(&app, issuer, a.basic(), tok, hint).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{case}: RFC 7009 §2.2 answers 200; body {}",
            r.excerpt()
        );
    }
    let r = revoke(
        &app,
        issuer,
        Auth::Basic(a.client_id.as_str(), "wrong"),
        "never-issued",
        None,
    )
    .await;
    assert_oauth_error(
        "revocation with a wrong client secret",
        &r,
        401,
        "invalid_client",
    );
}

#[tokio::test]
async fn another_clients_token_is_not_revoked() {
    let app = TestApp::spawn().await;
    let (a, b, user) = two_clients_and_a_user(&app).await;
    let t = tokens_of(&app, &a, &user, "openid offline_access").await;
    let (at, rt) = (field(&t, "access_token"), field(&t, "refresh_token"));

    for (case, tok) in [("access token", at), ("refresh token", rt)] {
        let r = revoke(&app, &b.issuer, b.basic(), tok, None).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "B revoking A's {case}: 200 per RFC 7009; body {}",
            r.excerpt()
        );
    }

    let issuer = a.issuer.as_str();
    userinfo(&app, issuer, at).await.expect_status(200);
    let r = introspect(&app, issuer, a.basic(), at, None).await;
    assert_eq!(
        r.json["active"], true,
        "A's access token after B tried to revoke it: {}",
        r.text
    );
    let r = introspect(&app, issuer, a.basic(), rt, None).await;
    assert_eq!(
        r.json["active"], true,
        "A's refresh token after B tried to revoke it: {}",
        r.text
    );
    let r = refresh(&app, &a, rt, None).await;
    r.expect_status(200);
}
