//! The legacy token request with its parameters in the query string (the hosted service's
//! guide documents it): served by default so existing integrations keep working, refused with
//! `invalid_request` once an application turns `token_params_in_query` off — a URL ends up in
//! proxy logs and histories, client secret included — while the body form keeps working.

use reqwest::Method;
use serde_json::json;

use crate::support::applications::{Application, TestUser};
use crate::support::authorize::fresh_code;
use crate::support::tokens::{assert_oauth_error, code_form, post_form, redeem};
use crate::support::worker::{send, Reply, TestApp};

/// The guide's request: every parameter, secret included, in the query of an empty POST.
async fn all_in_the_query(app: &TestApp, rp: &Application, code: &str) -> Reply {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("grant_type", "authorization_code"),
            ("redirect_uri", rp.redirect_uri.as_str()),
            ("code", code),
            ("client_id", rp.client_id.as_str()),
            ("client_secret", rp.client_secret.as_str()),
        ])
        .finish();
    send(app.at(Method::POST, &format!("{}/token?{q}", rp.issuer))).await
}

/// The body form with one parameter repeated in the query.
async fn partly_in_the_query(app: &TestApp, rp: &Application, code: &str) -> Reply {
    let url = format!("{}/token?grant_type=authorization_code", rp.issuer);
    post_form(app, &url, rp.basic(), &code_form(code, &rp.redirect_uri)).await
}

async fn code(app: &TestApp, rp: &Application, user: &TestUser) -> String {
    fresh_code(app, rp, user, "openid", &[]).await
}

#[tokio::test]
async fn an_application_that_turns_the_query_form_off_refuses_it_and_keeps_the_body_form() {
    let app = TestApp::spawn().await;
    let rp = app
        .create_application(json!({"token_params_in_query": false}))
        .await;
    assert_eq!(rp["token_params_in_query"], false, "{}", rp.created);
    let user = app.create_user(json!({})).await;

    let c = code(&app, &rp, &user).await;
    let r = all_in_the_query(&app, &rp, &c).await;
    assert_oauth_error("every parameter in the query", &r, 400, "invalid_request");
    let r = partly_in_the_query(&app, &rp, &c).await;
    assert_oauth_error("one parameter in the query", &r, 400, "invalid_request");
    // The refusals did not consume the code: the body form redeems it.
    redeem(&app, &rp, &c, None).await.expect_status(200);
}

#[tokio::test]
async fn by_default_the_query_form_is_served_and_turning_it_off_takes_effect() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({})).await;
    assert_eq!(
        rp["token_params_in_query"], true,
        "on by default: {}",
        rp.created
    );
    let user = app.create_user(json!({})).await;
    let c = code(&app, &rp, &user).await;
    all_in_the_query(&app, &rp, &c).await.expect_status(200);
    let c = code(&app, &rp, &user).await;
    partly_in_the_query(&app, &rp, &c).await.expect_status(200);

    let path = format!("/api/v1/applications/{}", rp.client_id);
    let r = app
        .admin()
        .patch(&path, &json!({"token_params_in_query": false}))
        .await;
    r.expect_status(200);
    assert_eq!(r.json["token_params_in_query"], false, "{}", r.text);
    let got = app.admin().get(&path).await;
    assert_eq!(got.json["token_params_in_query"], false, "{}", got.text);
    let c = code(&app, &rp, &user).await;
    let r = all_in_the_query(&app, &rp, &c).await;
    assert_oauth_error("after the PATCH", &r, 400, "invalid_request");
    redeem(&app, &rp, &c, None).await.expect_status(200);
}
