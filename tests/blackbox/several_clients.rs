//! Several clients of one application: each its own id, secret and redirect URIs behind one
//! issuer and one user pool. Everything a client holds — codes, refresh tokens, access
//! tokens, consent — is bound to it: another client of the same application, or a client of
//! another application, is refused at redemption, refresh, introspection and revocation. The
//! admin API manages the clients, and an application stored before clients existed keeps
//! working after the upgrade.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::applications::{setup, Application, TestUser};
use crate::support::authorize::{code_params, fresh_code};
use crate::support::json::items;
use crate::support::tokens::{
    assert_oauth_error, post_form, redeem, refresh, token, userinfo, Auth,
};
use crate::support::worker::Reply;
use crate::support::worker::{unique, TestApp};

/// Tokens one client got through the code flow with `offline_access`.
struct Held {
    code: String,
    access_token: String,
    refresh_token: String,
}

/// `client` introspects `t` at its issuer with its own credentials.
async fn introspect(app: &TestApp, client: &Application, t: &str) -> Reply {
    crate::support::tokens::introspect(app, &client.issuer, client.basic(), t, None).await
}

async fn tokens_of(app: &TestApp, client: &Application, user: &TestUser) -> Held {
    let scope = "openid offline_access";
    let extra = [("prompt", "consent".to_string())];
    let code = fresh_code(app, client, user, scope, &extra).await;
    let spare = fresh_code(app, client, user, scope, &extra).await;
    let r = redeem(app, client, &spare, None).await;
    r.expect_status(200);
    Held {
        code,
        access_token: r.json["access_token"].as_str().unwrap_or_default().into(),
        refresh_token: r.json["refresh_token"].as_str().unwrap_or_default().into(),
    }
}

/// `thief` presents what `owner` holds, every way it could; all of it is refused and none of
/// it is spent (the owner can still use it afterwards).
async fn assert_nothing_crosses(
    app: &TestApp,
    owner: &Application,
    thief: &Application,
    held: &Held,
    case: &str,
) {
    let redirect = owner.redirect_uri.as_str();
    let code_form = [
        ("grant_type", "authorization_code"),
        ("code", held.code.as_str()),
        ("redirect_uri", redirect),
    ];
    // The code, with the thief's own credentials (its id in Basic, in the body, or both).
    for auth in [thief.basic(), thief.post()] {
        let r = token(app, &thief.issuer, auth, &code_form).await;
        assert_oauth_error(
            &format!("{case}: another client's code"),
            &r,
            400,
            "invalid_grant",
        );
    }
    // Naming the owner's client_id in the body with the thief's secret is not the owner.
    let mut named = code_form.to_vec();
    named.push(("client_id", owner.client_id.as_str()));
    let r = token(
        app,
        &thief.issuer,
        Auth::Basic(&thief.client_id, &thief.client_secret),
        &named,
    )
    .await;
    assert!(
        matches!(r.status.as_u16(), 400 | 401),
        "{case}: a body client_id beside Basic: {} {}",
        r.status,
        r.text
    );
    let r = token(
        app,
        &thief.issuer,
        Auth::Post(&owner.client_id, &thief.client_secret),
        &code_form,
    )
    .await;
    assert_oauth_error(
        &format!("{case}: the owner's id with the thief's secret"),
        &r,
        401,
        "invalid_client",
    );

    // The refresh token.
    let r = refresh(app, thief, &held.refresh_token, None).await;
    assert_oauth_error(
        &format!("{case}: another client's refresh token"),
        &r,
        400,
        "invalid_grant",
    );

    // Introspection: another client's tokens are simply inactive.
    for t in [&held.access_token, &held.refresh_token] {
        let r = introspect(app, thief, t).await;
        r.expect_status(200);
        assert_eq!(
            r.json["active"], false,
            "{case}: introspected by another client: {}",
            r.text
        );
    }
    // Revocation by another client answers 200 and leaves the tokens alone (RFC 7009 §2.2).
    for t in [&held.access_token, &held.refresh_token] {
        let r = post_form(
            app,
            &format!("{}/token/revocation", thief.issuer),
            thief.basic(),
            &[("token", t)],
        )
        .await;
        r.expect_status(200);
    }

    // The owner's tokens are untouched by all of that.
    for t in [&held.access_token, &held.refresh_token] {
        let r = introspect(app, owner, t).await;
        assert_eq!(
            r.json["active"], true,
            "{case}: the owner's token after the attempts: {}",
            r.text
        );
    }
    userinfo(app, &owner.issuer, &held.access_token)
        .await
        .expect_status(200);
    let r = redeem(app, owner, &held.code, None).await;
    assert_eq!(
        r.status, 200,
        "{case}: the owner redeems its own code: {}",
        r.text
    );
    let r = refresh(app, owner, &held.refresh_token, None).await;
    assert_eq!(r.status, 200, "{case}: the owner refreshes: {}", r.text);
}

#[tokio::test]
async fn a_second_client_of_the_same_application_is_refused_everything_of_the_first_and_back() {
    let (app, first, user) = setup().await;
    let second = app
        .create_client(&first, json!({"client_name": "Mobile"}))
        .await;
    assert_ne!(second.client_id, first.client_id);
    assert_eq!(second.issuer, first.issuer, "one issuer for both clients");

    let held = tokens_of(&app, &first, &user).await;
    assert_nothing_crosses(&app, &first, &second, &held, "first → second").await;
    let held = tokens_of(&app, &second, &user).await;
    assert_nothing_crosses(&app, &second, &first, &held, "second → first").await;

    // The second client's tokens say whose they are.
    let r = introspect(&app, &second, &held.access_token).await;
    assert_eq!(r.json["client_id"], second.client_id.as_str());
}

#[tokio::test]
async fn a_client_of_one_application_is_unknown_to_another() {
    let (app, a, user) = setup().await;
    let b = app.create_application(json!({})).await;
    let a2 = app.create_client(&a, json!({})).await;
    let held = tokens_of(&app, &b, &user).await;

    for (case, thief) in [("A's primary client", &a), ("A's second client", &a2)] {
        // At B's issuer, A's clients do not exist.
        let at_b = Application {
            issuer: b.issuer.clone(),
            ..thief.clone()
        };
        let r = token(
            &app,
            &b.issuer,
            thief.basic(),
            &[
                ("grant_type", "authorization_code"),
                ("code", &held.code),
                ("redirect_uri", &b.redirect_uri),
            ],
        )
        .await;
        assert_oauth_error(
            &format!("{case} at B's token endpoint"),
            &r,
            401,
            "invalid_client",
        );
        let r = refresh(&app, &at_b, &held.refresh_token, None).await;
        assert_oauth_error(
            &format!("{case} refreshing at B"),
            &r,
            401,
            "invalid_client",
        );
        let r = introspect(&app, &at_b, &held.access_token).await;
        assert_oauth_error(
            &format!("{case} introspecting at B"),
            &r,
            401,
            "invalid_client",
        );
        // At A's own issuer, B's tokens are foreign.
        let r = introspect(&app, thief, &held.access_token).await;
        assert_eq!(
            r.json["active"], false,
            "{case}: B's token at A: {}",
            r.text
        );
        let r = refresh(&app, thief, &held.refresh_token, None).await;
        assert_oauth_error(
            &format!("{case}: B's refresh token at A"),
            &r,
            400,
            "invalid_grant",
        );
        // And /auth at B does not know A's client.
        let params = code_params(&thief.client_id, &thief.redirect_uri, "openid");
        let r = app
            .get_url(&crate::support::browser::authorize_url(&b.issuer, &params))
            .await;
        assert_eq!(r.status, 400, "{case}: /auth at B: {}", r.excerpt());
        assert!(r.text.contains("unknown"), "{case}: {}", r.excerpt());
    }
    // B's tokens still work for B.
    let r = redeem(&app, &b, &held.code, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn the_admin_api_lists_changes_disables_rotates_and_deletes_clients() {
    let (app, primary, user) = setup().await;
    let base = format!("/api/v1/applications/{}/clients", primary.client_id);
    let web = app
        .create_client(&primary, json!({"client_name": "Web"}))
        .await;
    let spa = app
        .create_client(&primary, json!({"token_endpoint_auth_method": "none"}))
        .await;

    let list = app.admin().get(&base).await;
    list.expect_status(200);
    let ids: Vec<&str> = items(&list)
        .iter()
        .map(|c| c["client_id"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        ids,
        [
            primary.client_id.as_str(),
            web.client_id.as_str(),
            spa.client_id.as_str()
        ]
    );
    assert_eq!(items(&list)[0]["origin"], "primary");
    assert_eq!(items(&list)[1]["origin"], "admin");
    for c in items(&list) {
        assert!(
            c.get("client_secret").is_none() && c.get("client_secret_encrypted").is_none(),
            "secrets are never listed: {c}"
        );
    }

    // PATCH: a field of the client only; the application and its other clients are unchanged.
    let new_cb = format!("https://{}.rp.example/new", unique("cb"));
    let r = app
        .admin()
        .patch(
            &format!("{base}/{}", web.client_id),
            &json!({"redirect_uris": [new_cb]}),
        )
        .await;
    r.expect_status(200);
    assert_eq!(r.json["redirect_uris"], json!([new_cb]));
    let app_view = app
        .admin()
        .get(&format!("/api/v1/applications/{}", primary.client_id))
        .await;
    assert_eq!(
        app_view.json["redirect_uris"],
        json!([primary.redirect_uri])
    );
    let r = app
        .admin()
        .patch(
            &format!("{base}/{}", web.client_id),
            &json!({"redirect_uris": ["https://x/#frag"], "colour": 1}),
        )
        .await;
    crate::support::json::assert_invalid_field("bad client patch", &r, Some("redirect_uris"));
    assert!(r.json["fields"]["colour"].is_string(), "{}", r.text);

    // Rotating the secret: the old one stops working at once.
    let r = app
        .admin()
        .post(&format!("{base}/{}/secret", web.client_id), &json!({}))
        .await;
    r.expect_status(200);
    let rotated = r.json["client_secret"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let cc = [
        ("grant_type", "authorization_code"),
        ("code", "x"),
        ("redirect_uri", "https://x/"),
    ];
    let old = token(&app, &web.issuer, web.basic(), &cc).await;
    assert_oauth_error("the rotated-out secret", &old, 401, "invalid_client");
    let new = token(
        &app,
        &web.issuer,
        Auth::Basic(&web.client_id, &rotated),
        &cc,
    )
    .await;
    assert_oauth_error(
        "the new secret (with a bad code)",
        &new,
        400,
        "invalid_grant",
    );

    // Disabled: refused at /auth and at the token endpoint, as if unknown; enabled again works.
    let r = app
        .admin()
        .patch(
            &format!("{base}/{}", spa.client_id),
            &json!({"disabled": true}),
        )
        .await;
    r.expect_status(200);
    assert_eq!(r.json["disabled"], true);
    let params = code_params(&spa.client_id, &spa.redirect_uri, "openid");
    let page = app
        .get_url(&crate::support::browser::authorize_url(
            &spa.issuer,
            &params,
        ))
        .await;
    assert_eq!(
        page.status,
        400,
        "a disabled client at /auth: {}",
        page.excerpt()
    );
    app.admin()
        .patch(
            &format!("{base}/{}", spa.client_id),
            &json!({"disabled": false}),
        )
        .await
        .expect_status(200);
    let page = app
        .get_url(&crate::support::browser::authorize_url(
            &spa.issuer,
            &crate::support::authorize::with(
                params.clone(),
                "code_challenge",
                "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            ),
        ))
        .await;
    assert_eq!(page.status, 303, "enabled again: {}", page.excerpt());

    // The primary client is the application's: not disabled, not deleted here.
    let r = app
        .admin()
        .patch(
            &format!("{base}/{}", primary.client_id),
            &json!({"disabled": true}),
        )
        .await;
    crate::support::json::assert_invalid_field(
        "disabling the primary client",
        &r,
        Some("disabled"),
    );
    let r = send_delete(&app, &format!("{base}/{}", primary.client_id)).await;
    assert_eq!(r, StatusCode::BAD_REQUEST);

    // Deleted: gone from the list and unknown at the token endpoint.
    assert_eq!(
        send_delete(&app, &format!("{base}/{}", web.client_id)).await,
        StatusCode::NO_CONTENT
    );
    let list = app.admin().get(&base).await;
    assert_eq!(items(&list).len(), 2);
    let r = token(
        &app,
        &web.issuer,
        Auth::Basic(&web.client_id, &rotated),
        &cc,
    )
    .await;
    assert_oauth_error("a deleted client", &r, 401, "invalid_client");
    assert_eq!(
        app.admin()
            .get(&format!("{base}/{}", web.client_id))
            .await
            .status,
        404
    );

    // Deleting the application takes its clients with it.
    let _ = user;
    assert_eq!(
        send_delete(&app, &format!("/api/v1/applications/{}", primary.client_id)).await,
        StatusCode::NO_CONTENT
    );
    let r = token(&app, &spa.issuer, Auth::Id(&spa.client_id), &cc).await;
    assert_eq!(
        r.status, 404,
        "the issuer is gone with its application: {}",
        r.text
    );
}

async fn send_delete(app: &TestApp, path: &str) -> StatusCode {
    app.admin()
        .request(reqwest::Method::DELETE, path)
        .send()
        .await
        .map(|r| r.status())
        .unwrap_or(StatusCode::IM_A_TEAPOT)
}

#[tokio::test]
async fn each_client_has_its_own_consent_and_its_own_name_on_the_consent_page() {
    let (app, primary, user) = setup().await;
    let other = app
        .create_client(
            &primary,
            json!({"client_name": "Shop Mobile", "policy_uri": "https://shop.example/privacy"}),
        )
        .await;
    // Consent to the primary client does not carry over to the other client.
    let _ = fresh_code(&app, &primary, &user, "openid profile", &[]).await;
    let mut browser = crate::support::browser::Browser::new(&app);
    let params = code_params(&other.client_id, &other.redirect_uri, "openid profile");
    let page = browser
        .sign_in(
            &other.issuer,
            &params,
            &user,
            crate::support::browser::Consent::Stop,
        )
        .await;
    let consent = page.consent();
    let html = &consent.reply.text;
    assert!(
        html.contains("Shop Mobile"),
        "the client's own name: {}",
        &html[..html.len().min(800)]
    );
    assert!(
        html.contains("https://shop.example/privacy"),
        "its policy link"
    );
}

/// An application record exactly as the release before clients wrote it: it loads, signs in
/// and takes new clients after the upgrade.
#[tokio::test]
async fn an_application_stored_before_clients_existed_keeps_working_and_takes_new_clients() {
    let (app, created, user) = setup().await;
    let stored = app
        .admin()
        .get(&format!(
            "/api/v1/debug/raw-application/{}",
            created.client_id
        ))
        .await;
    stored.expect_status(200);
    let mut old = stored.json.clone();
    // The fields this release added, removed: the record as today's main wrote it.
    for field in ["application_type", "dynamic_registration"] {
        old.as_object_mut().map(|o| o.remove(field));
    }
    let r = app.admin().put("/api/v1/debug/raw-application", &old).await;
    r.expect_status(200);

    let code = fresh_code(&app, &created, &user, "openid", &[]).await;
    let r = redeem(&app, &created, &code, None).await;
    assert_eq!(
        r.status, 200,
        "the upgraded application's code flow: {}",
        r.text
    );
    let view = app
        .admin()
        .get(&format!("/api/v1/applications/{}", created.client_id))
        .await;
    assert_eq!(view.json["dynamic_registration"], "off");
    let second = app.create_client(&created, json!({})).await;
    let code = fresh_code(&app, &second, &user, "openid", &[]).await;
    redeem(&app, &second, &code, None).await.expect_status(200);
}
