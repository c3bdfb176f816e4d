//! The admin API's front door and its applications: health, authentication by the admin token,
//! the OpenAPI document; an application is created with credentials, its issuer and the
//! documented defaults, refused by field when the input is invalid (a public application may not
//! tick client_credentials, at creation or by a PATCH), refused when its subdomain is taken; it
//! is read and listed without its secret, patched (and discovery sees the change on the next
//! request), deleted, its secret rotated; unknown ids are 404.

use std::collections::BTreeSet;

use reqwest::header::AUTHORIZATION;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

use crate::support::applications::application_body;
use crate::support::json::{assert_invalid_field, items, set, str_list, str_set};
use crate::support::worker::{send, unique, TestApp};

// ---------------------------------------------------------------------------------------------
// Health and admin authentication

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_200() {
    let app = TestApp::spawn().await;
    send(app.console(Method::GET, "/healthz"))
        .await
        .expect_status(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_refuses_missing_or_wrong_credentials() {
    let app = TestApp::spawn().await;
    let cases: [(&str, Option<String>); 6] = [
        ("missing header", None),
        ("wrong token", Some("Bearer not-the-admin-token".into())),
        (
            "token with a suffix",
            Some(format!("Bearer {}x", app.admin_token)),
        ),
        ("Basic scheme", Some(format!("Basic {}", app.admin_token))),
        ("empty bearer", Some("Bearer ".into())),
        ("bare token, no scheme", Some(app.admin_token.clone())),
    ];
    for (case, auth) in cases {
        for (method, path) in [
            (Method::GET, "/api/v1/applications"),
            (Method::POST, "/api/v1/users"),
        ] {
            let mut rb = app
                .console(method.clone(), path)
                .json(&json!({"username": "x", "password": "longenough"}));
            if let Some(a) = &auth {
                rb = rb.header(AUTHORIZATION, a);
            }
            let r = send(rb).await;
            assert_eq!(
                r.status,
                StatusCode::UNAUTHORIZED,
                "{case}: {method} {path}; body: {}",
                r.excerpt()
            );
        }
    }
    // And the right token gets in.
    app.admin()
        .get("/api/v1/applications")
        .await
        .expect_status(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_serves_its_openapi_document() {
    let app = TestApp::spawn().await;
    let r = app.admin().get("/api/v1/openapi.json").await;
    r.expect_status(200);
    assert!(
        r.json["openapi"].as_str().is_some(),
        "no `openapi` field: {}",
        r.excerpt()
    );
    assert!(
        r.json["paths"].get("/api/v1/applications").is_some(),
        "paths lack /api/v1/applications: {}",
        r.excerpt()
    );
}

// ---------------------------------------------------------------------------------------------
// Applications

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_application_gets_credentials_issuer_and_documented_defaults() {
    let app = TestApp::spawn().await;
    let body = application_body();
    let sub = body["subdomain"].as_str().unwrap_or_default().to_string();
    let created = app.create_application(body.clone()).await;

    for k in ["client_id", "client_secret"] {
        assert!(
            created[k].as_str().is_some_and(|s| s.len() >= 16),
            "{k} missing or short: {}",
            created.created
        );
    }
    assert_ne!(created["client_id"], created["client_secret"]);
    assert_eq!(created["issuer"], app.expected_issuer(&sub));
    assert_eq!(created["name"], body["name"]);
    assert_eq!(created["subdomain"], sub);
    assert_eq!(created["redirect_uris"], body["redirect_uris"]);
    assert_eq!(
        created["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(created["response_types"], json!(["code"]));
    assert_eq!(created["id_token_signed_response_alg"], "RS256");
    assert!(
        created["token_endpoint_auth_method"].as_str().is_some(),
        "no token_endpoint_auth_method: {}",
        created.created
    );

    // Explicit choices are kept.
    let created = app
        .create_application(json!({
            "grant_types": ["authorization_code", "implicit"],
            "response_types": ["code", "id_token"],
            "id_token_signed_response_alg": "ES256",
        }))
        .await;
    assert_eq!(
        created["grant_types"],
        json!(["authorization_code", "implicit"])
    );
    assert_eq!(created["response_types"], json!(["code", "id_token"]));
    assert_eq!(created["id_token_signed_response_alg"], "ES256");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_application_input_is_400_naming_the_field() {
    let app = TestApp::spawn().await;
    let valid = application_body();
    let with = |k: &str, v: Value| {
        let mut b = valid.clone();
        b[k] = v;
        b
    };
    let mut missing_name = valid.clone();
    missing_name.as_object_mut().map(|o| o.remove("name"));
    let cases: Vec<(&str, Value, &str)> = vec![
        ("missing name", missing_name, "name"),
        ("empty name", with("name", json!("")), "name"),
        (
            "upper case and underscore subdomain",
            with("subdomain", json!("Bad_Sub")),
            "subdomain",
        ),
        (
            "reserved subdomain",
            with("subdomain", json!("api")),
            "subdomain",
        ),
        (
            "relative redirect URI",
            with("redirect_uris", json!(["/callback"])),
            "redirect_uris",
        ),
        (
            "redirect URI with fragment",
            with("redirect_uris", json!(["https://rp.example/cb#frag"])),
            "redirect_uris",
        ),
        (
            "redirect_uris not a list",
            with("redirect_uris", json!("https://rp.example/cb")),
            "redirect_uris",
        ),
        (
            "unknown grant type",
            with("grant_types", json!(["magic"])),
            "grant_types",
        ),
        (
            "unknown response type",
            with("response_types", json!(["token code magic"])),
            "response_types",
        ),
        (
            "unknown signing alg",
            with("id_token_signed_response_alg", json!("none")),
            "id_token_signed_response_alg",
        ),
        ("unknown field", with("colour", json!("red")), "colour"),
    ];
    for (case, body, field) in cases {
        let r = app.admin().post("/api/v1/applications", &body).await;
        assert_invalid_field(case, &r, Some(field));
    }
    for (case, ct, raw) in [
        (
            "non-JSON body",
            "application/json",
            "name=shop&subdomain=shop",
        ),
        ("truncated JSON", "application/json", "{\"name\": \"x\""),
        ("JSON array", "application/json", "[]"),
        ("empty body", "application/json", ""),
    ] {
        let r = app.admin().post_raw("/api/v1/applications", ct, raw).await;
        assert_invalid_field(case, &r, None);
    }
    // None of the refused bodies created anything.
    let list = app.admin().get("/api/v1/applications").await;
    list.expect_status(200);
    assert!(
        items(&list).is_empty(),
        "refused input created applications: {}",
        list.text
    );
}

/// RFC 6749 §4.4: the client credentials grant is for confidential clients; a public client
/// (`token_endpoint_auth_method: none`) has no secret to authenticate with.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn creating_a_public_application_that_ticks_client_credentials_is_400_naming_grant_types() {
    let app = TestApp::spawn().await;
    let mut body = application_body();
    body["token_endpoint_auth_method"] = json!("none");
    body["grant_types"] = json!(["authorization_code", "client_credentials"]);
    let r = app.admin().post("/api/v1/applications", &body).await;
    assert_invalid_field(
        "public application with client_credentials",
        &r,
        Some("grant_types"),
    );
    let list = app.admin().get("/api/v1/applications").await;
    list.expect_status(200);
    assert!(
        items(&list).is_empty(),
        "the refused application was created: {}",
        list.text
    );
}

/// The same rule holds whichever half of it a PATCH changes, and a refused PATCH changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patching_an_application_into_a_public_one_with_client_credentials_is_400_naming_grant_types(
) {
    let app = TestApp::spawn().await;
    let public = app
        .create_application(json!({"token_endpoint_auth_method": "none"}))
        .await;
    let machine = app
        .create_application(json!({"grant_types": ["client_credentials"]}))
        .await;
    // (case, application, PATCH body, the field it must leave as it was)
    let cases = [
        (
            "a public application adding client_credentials",
            &public,
            json!({"grant_types": ["authorization_code", "refresh_token", "client_credentials"]}),
            "grant_types",
        ),
        (
            "a client_credentials application becoming public",
            &machine,
            json!({"token_endpoint_auth_method": "none"}),
            "token_endpoint_auth_method",
        ),
    ];
    for (case, client, patch, kept) in cases {
        let path = format!("/api/v1/applications/{}", client.client_id);
        let r = app.admin().patch(&path, &patch).await;
        assert_invalid_field(case, &r, Some("grant_types"));
        let got = app.admin().get(&path).await;
        got.expect_status(200);
        assert_eq!(
            got.json[kept], client[kept],
            "{case}: {kept} after the refusal"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taken_subdomain_is_409() {
    let app = TestApp::spawn().await;
    let first = app.create_application(json!({})).await;
    let mut again = application_body();
    again["subdomain"] = json!(first.subdomain);
    let r = app.admin().post("/api/v1/applications", &again).await;
    r.expect_status(409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_an_application_never_shows_its_secret() {
    let app = TestApp::spawn().await;
    let created = app.create_application(json!({})).await;
    let (id, secret) = (created.client_id.as_str(), created.client_secret.as_str());

    let r = app.admin().get(&format!("/api/v1/applications/{id}")).await;
    r.expect_status(200);
    assert_eq!(r.json["client_id"], id);
    assert_eq!(r.json["issuer"], created["issuer"]);
    assert!(
        !r.text.contains(secret),
        "GET application shows the secret: {}",
        r.excerpt()
    );

    let list = app.admin().get("/api/v1/applications").await;
    list.expect_status(200);
    assert!(
        items(&list).iter().any(|a| a["client_id"] == id),
        "created app not listed: {}",
        list.text
    );
    assert!(
        !list.text.contains(secret),
        "the list shows the secret: {}",
        list.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_are_listed() {
    let app = TestApp::spawn().await;
    let a = app.create_application(json!({})).await;
    let b = app.create_application(json!({})).await;
    let r = app.admin().get("/api/v1/applications").await;
    r.expect_status(200);
    let ids: BTreeSet<&str> = items(&r)
        .iter()
        .filter_map(|x| x["client_id"].as_str())
        .collect();
    for x in [&a, &b] {
        assert!(
            ids.contains(x.client_id.as_str()),
            "{} not in {}",
            x.client_id,
            r.excerpt()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patched_application_is_seen_by_discovery_on_the_next_request() {
    let app = TestApp::spawn().await;
    let created = app.create_application(json!({})).await;
    let (id, issuer) = (created.client_id.as_str(), created.issuer.as_str());
    let discovery = format!("{issuer}/.well-known/openid-configuration");

    let before = app.get_url(&discovery).await;
    before.expect_status(200);
    assert_eq!(before.json["response_types_supported"], json!(["code"]));

    let mut uris = str_list(&created["redirect_uris"]);
    uris.push("https://rp.example/second-callback".into());
    let r = app
        .admin()
        .patch(
            &format!("/api/v1/applications/{id}"),
            &json!({
                "redirect_uris": uris,
                "grant_types": ["authorization_code", "refresh_token", "implicit"],
                "response_types": ["code", "id_token"],
                "id_token_signed_response_alg": "HS256",
            }),
        )
        .await;
    r.expect_status(200);
    assert_eq!(str_list(&r.json["redirect_uris"]), uris);
    assert_eq!(r.json["id_token_signed_response_alg"], "HS256");

    let got = app.admin().get(&format!("/api/v1/applications/{id}")).await;
    got.expect_status(200);
    assert_eq!(
        str_list(&got.json["redirect_uris"]),
        uris,
        "GET after PATCH"
    );
    assert_eq!(
        got.json["id_token_signed_response_alg"], "HS256",
        "GET after PATCH"
    );

    let after = app.get_url(&discovery).await;
    after.expect_status(200);
    assert_eq!(
        str_set(&after.json["response_types_supported"]),
        set(&["code", "id_token"]),
        "{}",
        after.excerpt()
    );
    assert!(
        str_list(&after.json["id_token_signing_alg_values_supported"])
            .contains(&"HS256".to_string()),
        "HS256 not advertised after PATCH: {}",
        after.text
    );

    // A bad PATCH is refused by field and changes nothing.
    let bad = app
        .admin()
        .patch(
            &format!("/api/v1/applications/{id}"),
            &json!({"subdomain": "Bad_Sub"}),
        )
        .await;
    assert_invalid_field("PATCH bad subdomain", &bad, Some("subdomain"));
    app.get_url(&discovery).await.expect_status(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_application_disappears_from_its_issuer() {
    let app = TestApp::spawn().await;
    let created = app.create_application(json!({})).await;
    let (id, issuer) = (created.client_id.as_str(), created.issuer.as_str());
    app.get_url(&format!("{issuer}/.well-known/openid-configuration"))
        .await
        .expect_status(200);

    app.admin()
        .delete(&format!("/api/v1/applications/{id}"))
        .await
        .expect_status(204);

    app.get_url(&format!("{issuer}/.well-known/openid-configuration"))
        .await
        .expect_status(404);
    app.get_url(&format!("{issuer}/.well-known/jwks.json"))
        .await
        .expect_status(404);
    app.admin()
        .get(&format!("/api/v1/applications/{id}"))
        .await
        .expect_status(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_the_secret_returns_a_new_one() {
    let app = TestApp::spawn().await;
    let created = app.create_application(json!({})).await;
    let id = created.client_id.as_str();
    let r = app
        .admin()
        .post(&format!("/api/v1/applications/{id}/secret"), &json!({}))
        .await;
    r.expect_status(200);
    let new = r.json["client_secret"]
        .as_str()
        .unwrap_or_else(|| panic!("no client_secret: {}", r.excerpt()));
    assert!(new.len() >= 16, "short secret {new}");
    assert_ne!(new, created.client_secret);
    let again = app
        .admin()
        .post(&format!("/api/v1/applications/{id}/secret"), &json!({}))
        .await;
    again.expect_status(200);
    assert_ne!(again.json["client_secret"].as_str(), Some(new));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_application_id_is_404() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/applications/{}", unique("nosuchclient"));
    let cases = [
        ("GET", app.admin().get(&path).await),
        (
            "PATCH",
            app.admin().patch(&path, &json!({"name": "x"})).await,
        ),
        ("DELETE", app.admin().delete(&path).await),
        (
            "POST secret",
            app.admin()
                .post(&format!("{path}/secret"), &json!({}))
                .await,
        ),
    ];
    for (case, r) in cases {
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{case}: body {}",
            r.excerpt()
        );
    }
}
