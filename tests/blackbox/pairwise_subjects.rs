//! Pairwise subject identifiers (OIDC Core §8.1, Registration §5): a pairwise client is shown
//! a `sub` of its sector — the host of its redirect URIs, or of its `sector_identifier_uri` —
//! the same for every client of that sector and different across sectors, in the id_token,
//! at userinfo, in the access token, at introspection and after a refresh; Doorward still
//! finds the user behind it (userinfo, `id_token_hint`, logout) without the client ever seeing
//! the user's id. A `sector_identifier_uri` is fetched (the test serves it on loopback) and must
//! list every redirect URI; anything else is refused at registration and in the admin API.

use serde_json::{json, Value};

use crate::support::applications::{setup, Application, TestUser};
use crate::support::authorize::{code_params, fresh_code, with};
use crate::support::browser::{Browser, Consent};
use crate::support::json::assert_invalid_field;
use crate::support::jwt;
use crate::support::served::{sector_document, serve};
use crate::support::tokens::{introspect, redeem, refresh, userinfo};
use crate::support::worker::TestApp;

/// A pairwise client of `app` with `redirect_uris` (and `extra` settings).
async fn pairwise(app: &TestApp, rp: &Application, uris: &[&str], extra: Value) -> Application {
    let mut body = json!({"subject_type": "pairwise", "redirect_uris": uris});
    if let (Some(b), Value::Object(e)) = (body.as_object_mut(), extra) {
        b.extend(e);
    }
    app.create_client(rp, body).await
}

/// Signs `user` in to `client` and redeems the code (with offline access).
async fn tokens(app: &TestApp, client: &Application, user: &TestUser) -> Value {
    let code = fresh_code(
        app,
        client,
        user,
        "openid email offline_access",
        &[("prompt", "consent".to_string())],
    )
    .await;
    let t = redeem(app, client, &code, None).await;
    t.expect_status(200);
    t.json
}

fn sub_of(tokens: &Value) -> String {
    jwt::claims(tokens["id_token"].as_str().unwrap_or_default())["sub"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn pairwise_subjects_are_stable_within_a_sector_and_differ_across_sectors() {
    let (app, rp, user) = setup().await;
    let a = pairwise(&app, &rp, &["https://a.rp.example/cb"], json!({})).await;
    let a_too = pairwise(&app, &rp, &["https://a.rp.example/other"], json!({})).await;
    let b = pairwise(&app, &rp, &["https://b.rp.example/cb"], json!({})).await;

    let ta = tokens(&app, &a, &user).await;
    let sub = sub_of(&ta);
    assert!(!sub.is_empty() && sub != user.id, "a pairwise sub: {sub}");
    assert_eq!(sub_of(&tokens(&app, &a, &user).await), sub, "stable");
    assert_eq!(
        sub_of(&tokens(&app, &a_too, &user).await),
        sub,
        "same sector, same sub"
    );
    let sub_b = sub_of(&tokens(&app, &b, &user).await);
    assert_ne!(sub_b, sub, "another sector, another sub");
    assert_ne!(sub_b, user.id);
    let public = tokens(&app, &rp, &user).await;
    assert_eq!(
        sub_of(&public),
        user.id,
        "a public client still sees the id"
    );
    let other_user = app.create_user(json!({})).await;
    assert_ne!(sub_of(&tokens(&app, &a, &other_user).await), sub);

    // The access token shows the same sub, and nowhere the user's id.
    let at = ta["access_token"].as_str().unwrap_or_default();
    let at_claims = jwt::claims(at);
    assert_eq!(at_claims["sub"], sub.as_str());
    assert!(
        !at_claims.to_string().contains(&user.id),
        "the user id is sealed: {at_claims}"
    );

    // Userinfo and introspection find the user and answer with the pairwise sub.
    let info = userinfo(&app, &a.issuer, at).await;
    info.expect_status(200);
    assert_eq!(info.json["sub"], sub.as_str());
    assert_eq!(info.json["email"], user.email.as_str());
    let intro = introspect(&app, &a.issuer, a.basic(), at, None).await;
    assert_eq!(intro.json["active"], true, "{}", intro.text);
    assert_eq!(intro.json["sub"], sub.as_str());
    let rt = ta["refresh_token"].as_str().unwrap_or_default();
    let intro = introspect(&app, &a.issuer, a.basic(), rt, None).await;
    assert_eq!(intro.json["sub"], sub.as_str(), "{}", intro.text);

    // A refresh keeps it.
    let r = refresh(&app, &a, rt, None).await;
    r.expect_status(200);
    assert_eq!(sub_of(&r.json), sub);
    let r_at = r.json["access_token"].as_str().unwrap_or_default();
    assert_eq!(
        userinfo(&app, &a.issuer, r_at).await.json["sub"],
        sub.as_str()
    );

    let doc = app
        .get_url(&format!("{}/.well-known/openid-configuration", rp.issuer))
        .await;
    assert_eq!(
        doc.json["subject_types_supported"],
        json!(["public", "pairwise"])
    );
}

#[tokio::test]
async fn an_id_token_hint_and_logout_recognise_the_pairwise_sub() {
    let (app, rp, user) = setup().await;
    let bye = "https://a.rp.example/bye";
    let a = pairwise(
        &app,
        &rp,
        &["https://a.rp.example/cb"],
        json!({"post_logout_redirect_uris": [bye]}),
    )
    .await;
    let mut browser = Browser::new(&app);
    let params = code_params(&a.client_id, &a.redirect_uri, "openid");
    let code = browser
        .sign_in(&a.issuer, &params, &user, Consent::Allow)
        .await
        .callback()
        .param("code")
        .to_string();
    let t = redeem(&app, &a, &code, None).await;
    let hint = t.json["id_token"].as_str().unwrap_or_default().to_string();

    // prompt=none with the hint: the session's user is the hinted one.
    let again = with(with(params, "prompt", "none"), "id_token_hint", &hint);
    let cb = browser.authorize(&a.issuer, &again).await.callback();
    assert!(cb.get("code").is_some(), "{:?}", cb.params);

    // Logout with the hint signs out without asking.
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("id_token_hint", hint.as_str()),
            ("post_logout_redirect_uri", bye),
        ])
        .finish();
    let r = browser.get(&format!("{}/session/end?{q}", a.issuer)).await;
    assert_eq!(r.status, 303, "{}", r.excerpt());
    assert!(
        r.header("location").starts_with(bye),
        "{}",
        r.header("location")
    );
}

#[tokio::test]
async fn a_sector_identifier_uri_makes_one_sector_of_several_hosts() {
    let (app, rp, user) = setup().await;
    let uris = ["https://x.rp.example/cb", "https://y.rp.example/cb"];
    let sector = sector_document(&uris).await;
    let c = pairwise(
        &app,
        &rp,
        &uris,
        json!({"sector_identifier_uri": sector.url}),
    )
    .await;
    assert!(sector.hits() >= 1, "the document was fetched");
    let other_hosts = sector_document(&["https://z.rp.example/cb"]).await;
    // Another document on the same host (127.0.0.1): the same sector, so the same sub.
    let d = pairwise(
        &app,
        &rp,
        &["https://z.rp.example/cb"],
        json!({"sector_identifier_uri": other_hosts.url}),
    )
    .await;
    let sub = sub_of(&tokens(&app, &c, &user).await);
    assert_ne!(sub, user.id);
    assert_eq!(sub_of(&tokens(&app, &d, &user).await), sub);
    let by_host = pairwise(&app, &rp, &["https://x.rp.example/cb"], json!({})).await;
    assert_ne!(
        sub_of(&tokens(&app, &by_host, &user).await),
        sub,
        "the redirect host is another sector than the document's"
    );
}

#[tokio::test]
async fn a_sector_identifier_uri_that_does_not_vouch_for_the_redirect_uris_is_refused() {
    let (app, rp, _) = setup().await;
    let uris = ["https://x.rp.example/cb", "https://y.rp.example/cb"];
    let missing_one = sector_document(&uris[..1]).await;
    let not_found = serve("/sector.json", 404, "application/json", "[]".into()).await;
    let not_json = serve("/sector.json", 200, "text/html", "<html></html>".into()).await;
    let good = sector_document(&uris).await;
    let clients = format!("/api/v1/applications/{}/clients", rp.client_id);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "a redirect URI missing",
            json!(missing_one.url),
            "sector_identifier_uri",
        ),
        (
            "the document is missing",
            json!(not_found.url),
            "sector_identifier_uri",
        ),
        (
            "not a JSON list",
            json!(not_json.url),
            "sector_identifier_uri",
        ),
        (
            "not https",
            json!("http://rp.example/sector.json"),
            "sector_identifier_uri",
        ),
        (
            "nothing answers",
            json!("https://127.0.0.1:9/sector.json"),
            "sector_identifier_uri",
        ),
        ("not a URL", json!("sector.json"), "sector_identifier_uri"),
        ("several hosts without one", Value::Null, "subject_type"),
    ];
    for (case, sector, field) in cases {
        let mut body = json!({"subject_type": "pairwise", "redirect_uris": uris});
        if !sector.is_null() {
            body["sector_identifier_uri"] = sector;
        }
        let r = app.admin().post(&clients, &body).await;
        assert_invalid_field(case, &r, Some(field));
    }

    // A change to the redirect URIs is checked against the document again.
    let c = pairwise(&app, &rp, &uris, json!({"sector_identifier_uri": good.url})).await;
    let r = app
        .admin()
        .patch(
            &format!("{clients}/{}", c.client_id),
            &json!({"redirect_uris": ["https://x.rp.example/cb", "https://w.rp.example/cb"]}),
        )
        .await;
    assert_invalid_field("a new redirect URI", &r, Some("sector_identifier_uri"));

    // The primary client, through the application itself, follows the same rule.
    let r = app
        .admin()
        .patch(
            &format!("/api/v1/applications/{}", rp.client_id),
            &json!({"subject_type": "pairwise", "redirect_uris": uris, "sector_identifier_uri": missing_one.url}),
        )
        .await;
    assert_invalid_field("the primary client", &r, Some("sector_identifier_uri"));

    // Dynamic registration: invalid_client_metadata naming the field.
    app.admin()
        .patch(
            &format!("/api/v1/applications/{}", rp.client_id),
            &json!({"dynamic_registration": "open"}),
        )
        .await
        .expect_status(200);
    let r = app
        .post_json(
            &format!("{}/reg", rp.issuer),
            None,
            &json!({"redirect_uris": uris, "subject_type": "pairwise", "sector_identifier_uri": missing_one.url}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_client_metadata");
    assert!(
        r.json["error_description"]
            .as_str()
            .is_some_and(|d| d.starts_with("sector_identifier_uri:")),
        "{}",
        r.text
    );
    let registered = app
        .register_client(
            &rp,
            json!({"redirect_uris": uris, "subject_type": "pairwise", "sector_identifier_uri": good.url}),
        )
        .await;
    assert_eq!(registered["subject_type"], "pairwise");
    assert_eq!(registered["sector_identifier_uri"], good.url.as_str());
}
