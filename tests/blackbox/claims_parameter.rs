//! The `claims` request parameter (OIDC Core §5.5): a claim asked for in the id_token comes in
//! the id_token and one asked for at userinfo comes from userinfo, whatever the scope; the
//! request survives the login and consent pages, the code redemption and refreshes; an
//! essential claim the user has no value for is left out without an error; `value`s are
//! requests, not filters (a `sub` value binds the user); malformed JSON is `invalid_request`;
//! `claims_locales` is accepted; discovery says so.

use serde_json::{json, Value};

use crate::support::applications::setup;
use crate::support::authorize::{code_params, fresh_code, param, sign_in, with};
use crate::support::browser::{Browser, Consent};
use crate::support::jwt;
use crate::support::tokens::{redeem, refresh, userinfo};
use crate::support::worker::TestApp;

fn id_claims(tokens: &Value) -> Value {
    jwt::claims(tokens["id_token"].as_str().unwrap_or_default())
}

#[tokio::test]
async fn claims_go_where_they_were_asked_for_through_login_redemption_and_refresh() {
    let (app, rp, user) = setup().await;
    let claims = json!({
        "id_token": {"email": {"essential": true}, "phone_number": null},
        "userinfo": {"name": null, "email_verified": null},
    });
    // scope openid alone: every claim here comes through the parameter.
    let code = fresh_code(
        &app,
        &rp,
        &user,
        "openid offline_access",
        &[
            ("claims", claims.to_string()),
            ("prompt", "consent".to_string()),
        ],
    )
    .await;
    let t = redeem(&app, &rp, &code, None).await;
    t.expect_status(200);
    let id = id_claims(&t.json);
    assert_eq!(id["email"], user.email.as_str(), "{id}");
    assert_eq!(id["phone_number"], user.phone.as_str(), "{id}");
    assert!(
        id.get("name").is_none(),
        "name was asked for at userinfo only: {id}"
    );
    assert!(id.get("email_verified").is_none(), "{id}");

    let at = t.json["access_token"].as_str().unwrap_or_default();
    let info = userinfo(&app, &rp.issuer, at).await;
    info.expect_status(200);
    assert_eq!(info.json["sub"], user.id.as_str());
    assert_eq!(info.json["name"], user.created["name"], "{}", info.text);
    assert_eq!(info.json["email_verified"], true, "{}", info.text);
    assert!(
        info.json.get("email").is_none() && info.json.get("phone_number").is_none(),
        "the id_token's claims are not userinfo's: {}",
        info.text
    );

    // A refresh keeps the request: the new id_token and the new access token's userinfo.
    let rt = t.json["refresh_token"].as_str().unwrap_or_default();
    let r = refresh(&app, &rp, rt, None).await;
    r.expect_status(200);
    assert_eq!(id_claims(&r.json)["email"], user.email.as_str());
    let again = userinfo(
        &app,
        &rp.issuer,
        r.json["access_token"].as_str().unwrap_or(""),
    )
    .await;
    assert_eq!(again.json["name"], user.created["name"], "{}", again.text);
}

#[tokio::test]
async fn the_consent_page_asks_for_the_scopes_that_cover_the_claims_asked_for() {
    let (app, rp, user) = setup().await;
    let params = with(
        code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        "claims",
        &json!({"userinfo": {"given_name": null}, "id_token": {"email": null}}).to_string(),
    );
    let page = Browser::new(&app)
        .sign_in(&rp.issuer, &params, &user, Consent::Stop)
        .await
        .consent();
    let mut listed = page.scopes();
    listed.sort();
    assert_eq!(listed, ["email", "openid", "profile"]);
}

#[tokio::test]
async fn an_essential_claim_the_user_lacks_is_left_out_and_values_do_not_filter() {
    let (app, rp, user) = setup().await;
    let claims = json!({"id_token": {
        // The test user has no given_name.
        "given_name": {"essential": true},
        // Asked for with another value: released with the user's own, never a made-up one.
        "email": {"value": "someone-else@example.com"},
        "nickname": {"values": ["a", "b"]},
        "favourite_colour": {"essential": true},
    }});
    let code = fresh_code(
        &app,
        &rp,
        &user,
        "openid",
        &[("claims", claims.to_string())],
    )
    .await;
    let t = redeem(&app, &rp, &code, None).await;
    t.expect_status(200);
    let id = id_claims(&t.json);
    assert!(id.get("given_name").is_none(), "{id}");
    assert!(id.get("favourite_colour").is_none(), "{id}");
    assert!(id.get("nickname").is_none(), "{id}");
    assert_eq!(id["email"], user.email.as_str(), "{id}");
}

#[tokio::test]
async fn a_sub_value_only_answers_for_that_user() {
    let (app, rp, user) = setup().await;
    let other = app.create_user(json!({})).await;
    let mut browser = Browser::new(&app);
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    browser
        .sign_in(&rp.issuer, &params, &user, Consent::Allow)
        .await
        .callback();
    let naming = |sub: &str| {
        with(
            params.clone(),
            "claims",
            &json!({"id_token": {"sub": {"value": sub}}}).to_string(),
        )
    };

    // The signed-in user is named: straight back with a code.
    let same = browser
        .authorize(&rp.issuer, &naming(&user.id))
        .await
        .callback();
    assert!(same.get("code").is_some(), "{:?}", same.params);

    // Someone else is named: the session does not count, so a login (or login_required).
    let out = browser.authorize(&rp.issuer, &naming(&other.id)).await;
    assert!(out.is_login(), "{}", out.describe());
    let none = browser
        .authorize(&rp.issuer, &with(naming(&other.id), "prompt", "none"))
        .await
        .callback();
    assert_eq!(
        none.get("error"),
        Some("login_required"),
        "{:?}",
        none.params
    );
}

#[tokio::test]
async fn malformed_claims_are_invalid_request_at_the_redirect_uri() {
    let (app, rp, _) = setup().await;
    for bad in [
        "{not json",
        "[\"email\"]",
        r#"{"id_token": ["email"]}"#,
        r#"{"userinfo": {"email": {"essential": "yes"}}}"#,
    ] {
        let params = with(
            code_params(&rp.client_id, &rp.redirect_uri, "openid"),
            "claims",
            bad,
        );
        let cb = Browser::new(&app)
            .authorize(&rp.issuer, &params)
            .await
            .callback();
        assert_eq!(
            cb.get("error"),
            Some("invalid_request"),
            "{bad}: {:?}",
            cb.params
        );
        assert_eq!(cb.get("state"), param(&params, "state"), "{bad}");
        assert_eq!(cb.get("iss"), Some(rp.issuer.as_str()));
    }
}

#[tokio::test]
async fn claims_asked_for_in_a_front_channel_id_token_come_in_it() {
    let app = TestApp::spawn().await;
    let rp = app
        .create_application(json!({
            "grant_types": ["authorization_code", "implicit"],
            "response_types": ["code", "id_token token"],
        }))
        .await;
    let user = app.create_user(json!({})).await;
    let params = with(
        with(
            code_params(&rp.client_id, &rp.redirect_uri, "openid"),
            "response_type",
            "id_token token",
        ),
        "claims",
        &json!({"id_token": {"email": null}, "userinfo": {"phone_number": null}}).to_string(),
    );
    let cb = sign_in(&app, &rp, &user, &params).await;
    let id = jwt::claims(cb.param("id_token"));
    // OIDC Core §5.4 keeps the scopes' claims out of this id_token; one asked for by name is in.
    assert_eq!(id["email"], user.email.as_str(), "{id}");
    let info = userinfo(&app, &rp.issuer, cb.param("access_token")).await;
    assert_eq!(
        info.json["phone_number"],
        user.phone.as_str(),
        "{}",
        info.text
    );
}

#[tokio::test]
async fn claims_locales_is_accepted_and_discovery_advertises_the_claims_parameter() {
    let (app, rp, user) = setup().await;
    let code = fresh_code(
        &app,
        &rp,
        &user,
        "openid profile",
        &[("claims_locales", "fr-CA ja".to_string())],
    )
    .await;
    let t = redeem(&app, &rp, &code, None).await;
    assert_eq!(id_claims(&t.json)["name"], user.created["name"]);

    let doc = app
        .get_url(&format!("{}/.well-known/openid-configuration", rp.issuer))
        .await;
    assert_eq!(doc.json["claims_parameter_supported"], true);
    assert!(
        doc.json["claims_locales_supported"].is_array(),
        "{}",
        doc.text
    );
    let claims = doc.json["claims_supported"].to_string();
    for c in ["\"acr\"", "\"amr\"", "\"auth_time\""] {
        assert!(claims.contains(c), "{c} in {claims}");
    }
}

/// A request without `claims` is answered as before (no private claims in the token).
#[tokio::test]
async fn an_access_token_without_claims_asked_for_carries_no_private_claims() {
    let (app, rp, user) = setup().await;
    let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
    let t = redeem(&app, &rp, &code, None).await;
    let at = jwt::claims(t.json["access_token"].as_str().unwrap_or_default());
    let keys: Vec<&String> = at
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert!(
        keys.iter().all(|k| !k.starts_with("dw_")),
        "public subject, nothing asked: {at}"
    );
}
