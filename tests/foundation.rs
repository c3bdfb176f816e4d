//! Black-box tests of the foundation (issue 2) against the real worker under `wrangler dev`:
//! health, admin API authentication and validation, applications, users, resources, access
//! accounts, signing keys, discovery and JWKS in both issuer styles, tenant isolation, and the
//! atomic single-use take of a code. Talks HTTP only; knows nothing of the crate's internals.

mod common;

use std::collections::BTreeSet;

use common::{send, unique, Options, Reply, TestApp};
use reqwest::header::AUTHORIZATION;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const BASE: &str = "id.example.test";

fn subdomain_style() -> Options {
    Options {
        base_domain: Some(BASE),
    }
}

fn str_list(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {v}"))
        .iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("expected strings in {v}"))
                .to_string()
        })
        .collect()
}

fn items(r: &Reply) -> &Vec<Value> {
    r.json["items"]
        .as_array()
        .unwrap_or_else(|| panic!("expected {{\"items\": [...]}}, got {}", r.excerpt()))
}

/// Asserts a 400 `{"error": "invalid_request", "fields": {field: message}}`.
#[track_caller]
fn assert_invalid_field(case: &str, r: &Reply, field: Option<&str>) {
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "{case}: status; body: {}",
        r.excerpt()
    );
    assert_eq!(
        r.json["error"],
        "invalid_request",
        "{case}: error code; body: {}",
        r.excerpt()
    );
    if let Some(field) = field {
        let msg = &r.json["fields"][field];
        assert!(
            msg.as_str().is_some_and(|m| !m.is_empty()),
            "{case}: expected fields.{field} to explain the problem; body: {}",
            r.text
        );
    }
}

/// The checks every issuer must pass: discovery names the issuer exactly, hangs every endpoint
/// off it, advertises the ticked response types, and the JWKS holds public signing keys only.
async fn assert_discovery_and_jwks_are_truthful(app: &TestApp, created: &Value) {
    let issuer = created["issuer"]
        .as_str()
        .unwrap_or_else(|| panic!("no issuer in {created}"));
    let d = app
        .get_url(&format!("{issuer}/.well-known/openid-configuration"))
        .await;
    d.expect_status(200);
    assert!(
        !d.header("cache-control").is_empty(),
        "discovery has no Cache-Control"
    );
    assert!(
        d.header("content-type").contains("json"),
        "discovery content type: {}",
        d.header("content-type")
    );
    assert_eq!(d.json["issuer"], issuer, "discovery issuer");
    assert_eq!(
        d.json["jwks_uri"],
        format!("{issuer}/.well-known/jwks.json")
    );
    let obj = d
        .json
        .as_object()
        .unwrap_or_else(|| panic!("discovery is not an object: {}", d.text));
    for (k, v) in obj {
        if k.ends_with("_endpoint") || k == "jwks_uri" {
            let url = v.as_str().unwrap_or_else(|| panic!("{k} is not a string"));
            assert!(
                url.starts_with(&format!("{issuer}/")),
                "{k} = {url} is not under {issuer}"
            );
        }
    }
    for k in ["authorization_endpoint", "token_endpoint"] {
        assert!(obj.contains_key(k), "discovery lacks {k}: {}", d.text);
    }
    let advertised: BTreeSet<String> = str_list(&d.json["response_types_supported"])
        .into_iter()
        .collect();
    let ticked: BTreeSet<String> = str_list(&created["response_types"]).into_iter().collect();
    assert_eq!(
        advertised, ticked,
        "response_types_supported vs the application's response types"
    );

    let j = app
        .get_url(&format!("{issuer}/.well-known/jwks.json"))
        .await;
    j.expect_status(200);
    assert!(
        !j.header("cache-control").is_empty(),
        "JWKS has no Cache-Control"
    );
    let keys = j.json["keys"]
        .as_array()
        .unwrap_or_else(|| panic!("JWKS without keys: {}", j.text));
    assert!(!keys.is_empty(), "JWKS is empty");
    for key in keys {
        assert!(
            key["kid"].as_str().is_some_and(|k| !k.is_empty()),
            "key without kid: {key}"
        );
        assert_eq!(key["use"], "sig", "key use: {key}");
        assert!(key["alg"].as_str().is_some(), "key without alg: {key}");
        assert!(key["kty"].as_str().is_some(), "key without kty: {key}");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(
                key.get(private).is_none(),
                "JWKS leaks private member `{private}`: {key}"
            );
        }
    }
}

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
    let body = app.application_body("shop");
    let sub = body["subdomain"].as_str().unwrap_or_default().to_string();
    let created = app.create_application(body.clone()).await;

    for k in ["client_id", "client_secret"] {
        assert!(
            created[k].as_str().is_some_and(|s| s.len() >= 16),
            "{k} missing or short: {created}"
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
        "no token_endpoint_auth_method: {created}"
    );

    // Explicit choices are kept.
    let mut chosen = app.application_body("explicit");
    chosen["grant_types"] = json!(["authorization_code", "implicit"]);
    chosen["response_types"] = json!(["code", "id_token"]);
    chosen["id_token_signed_response_alg"] = json!("ES256");
    let created = app.create_application(chosen).await;
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
    let valid = app.application_body("valid");
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taken_subdomain_is_409() {
    let app = TestApp::spawn().await;
    let body = app.application_body("dup");
    app.create_application(body.clone()).await;
    let mut again = app.application_body("other");
    again["subdomain"] = body["subdomain"].clone();
    let r = app.admin().post("/api/v1/applications", &again).await;
    r.expect_status(409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_an_application_never_shows_its_secret() {
    let app = TestApp::spawn().await;
    let created = app.create_application(app.application_body("read")).await;
    let id = created["client_id"].as_str().unwrap_or_default();
    let secret = created["client_secret"].as_str().unwrap_or_default();

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
    let a = app.create_application(app.application_body("lista")).await;
    let b = app.create_application(app.application_body("listb")).await;
    let r = app.admin().get("/api/v1/applications").await;
    r.expect_status(200);
    let ids: BTreeSet<&str> = items(&r)
        .iter()
        .filter_map(|x| x["client_id"].as_str())
        .collect();
    for x in [&a, &b] {
        assert!(
            ids.contains(x["client_id"].as_str().unwrap_or_default()),
            "{} not in {}",
            x["client_id"],
            r.excerpt()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patched_application_is_seen_by_discovery_on_the_next_request() {
    let app = TestApp::spawn().await;
    let created = app.create_application(app.application_body("patch")).await;
    let id = created["client_id"].as_str().unwrap_or_default();
    let issuer = created["issuer"].as_str().unwrap_or_default();
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
    let rts: BTreeSet<String> = str_list(&after.json["response_types_supported"])
        .into_iter()
        .collect();
    assert_eq!(
        rts,
        BTreeSet::from(["code".to_string(), "id_token".to_string()]),
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
    let created = app.create_application(app.application_body("gone")).await;
    let id = created["client_id"].as_str().unwrap_or_default();
    let issuer = created["issuer"].as_str().unwrap_or_default();
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
    let created = app.create_application(app.application_body("rotate")).await;
    let id = created["client_id"].as_str().unwrap_or_default();
    let r = app
        .admin()
        .post(&format!("/api/v1/applications/{id}/secret"), &json!({}))
        .await;
    r.expect_status(200);
    let new = r.json["client_secret"]
        .as_str()
        .unwrap_or_else(|| panic!("no client_secret: {}", r.excerpt()));
    assert!(new.len() >= 16, "short secret {new}");
    assert_ne!(Some(new), created["client_secret"].as_str());
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

// ---------------------------------------------------------------------------------------------
// Users

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_user_is_returned_without_password_or_hash() {
    let app = TestApp::spawn().await;
    let username = unique("alice");
    let password = "correct horse battery staple";
    let u = app
        .create_user(json!({"username": username, "password": password, "email": "alice@example.com", "name": "Alice"}))
        .await;
    assert!(
        u["id"].as_str().is_some_and(|s| !s.is_empty()),
        "no id: {u}"
    );
    assert_eq!(u["username"], username);
    assert_eq!(u["email"], "alice@example.com");
    let text = u.to_string();
    assert!(!text.contains(password), "the password is echoed: {text}");
    for k in ["password", "password_hash", "hash"] {
        assert!(u.get(k).is_none(), "user shows `{k}`: {text}");
    }
    let id = u["id"].as_str().unwrap_or_default();
    let got = app.admin().get(&format!("/api/v1/users/{id}")).await;
    got.expect_status(200);
    assert_eq!(got.json["username"], username);
    assert!(
        !got.text.contains(password) && got.json.get("password_hash").is_none(),
        "{}",
        got.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taken_username_is_409() {
    let app = TestApp::spawn().await;
    let username = unique("bob");
    app.create_user(json!({"username": username, "password": "longenough1"}))
        .await;
    let r = app
        .admin()
        .post(
            "/api/v1/users",
            &json!({"username": username, "password": "otherpass99"}),
        )
        .await;
    r.expect_status(409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_user_input_is_400_naming_the_field() {
    let app = TestApp::spawn().await;
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "short password",
            json!({"username": unique("u"), "password": "short"}),
            "password",
        ),
        (
            "missing password",
            json!({"username": unique("u")}),
            "password",
        ),
        (
            "missing username",
            json!({"password": "longenough1"}),
            "username",
        ),
        (
            "username with a space",
            json!({"username": "a b", "password": "longenough1"}),
            "username",
        ),
        (
            "bad email",
            json!({"username": unique("u"), "password": "longenough1", "email": "nope"}),
            "email",
        ),
    ];
    for (case, body, field) in cases {
        let r = app.admin().post("/api/v1/users", &body).await;
        assert_invalid_field(case, &r, Some(field));
    }
    let r = app
        .admin()
        .post_raw("/api/v1/users", "application/json", "username=x")
        .await;
    assert_invalid_field("non-JSON body", &r, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_can_be_read_changed_searched_and_deleted() {
    let app = TestApp::spawn().await;
    let username = unique("carol");
    let other = unique("dave");
    let u = app
        .create_user(json!({"username": username, "password": "longenough1", "name": "Carol"}))
        .await;
    app.create_user(json!({"username": other, "password": "longenough1"}))
        .await;
    let id = u["id"].as_str().unwrap_or_default();
    let path = format!("/api/v1/users/{id}");

    let r = app
        .admin()
        .patch(
            &path,
            &json!({"name": "Carol King", "email": "carol@example.com"}),
        )
        .await;
    r.expect_status(200);
    let got = app.admin().get(&path).await;
    got.expect_status(200);
    // Fields read back where they were written: `name` goes in top-level (POST and PATCH), so
    // it comes out top-level, as in the users of Auth0, Authing and Keycloak.
    assert_eq!(
        got.json["name"],
        "Carol King",
        "`name` after PATCH; GET body: {}",
        got.excerpt()
    );
    assert_eq!(
        got.json["email"],
        "carol@example.com",
        "GET body: {}",
        got.excerpt()
    );

    let bad = app
        .admin()
        .patch(&path, &json!({"password": "short"}))
        .await;
    assert_invalid_field("PATCH short password", &bad, Some("password"));

    let found = app
        .admin()
        .get(&format!("/api/v1/users?q={username}"))
        .await;
    found.expect_status(200);
    let names: Vec<&str> = items(&found)
        .iter()
        .filter_map(|x| x["username"].as_str())
        .collect();
    assert!(
        names.contains(&username.as_str()),
        "search for {username}: {}",
        found.text
    );
    assert!(
        !names.contains(&other.as_str()),
        "search for {username} also found {other}: {}",
        found.text
    );

    app.admin().delete(&path).await.expect_status(204);
    app.admin().get(&path).await.expect_status(404);
    let found = app
        .admin()
        .get(&format!("/api/v1/users?q={username}"))
        .await;
    found.expect_status(200);
    assert!(
        items(&found).is_empty(),
        "deleted user still found: {}",
        found.text
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_user_id_is_404() {
    let app = TestApp::spawn().await;
    let path = format!("/api/v1/users/{}", unique("nosuchuser"));
    let cases = [
        ("GET", app.admin().get(&path).await),
        (
            "PATCH",
            app.admin().patch(&path, &json!({"name": "x"})).await,
        ),
        ("DELETE", app.admin().delete(&path).await),
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

// ---------------------------------------------------------------------------------------------
// Resources, programmatic access accounts, signing keys

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resources_can_be_created_and_listed() {
    let app = TestApp::spawn().await;
    let code = unique("orders");
    let r = app
        .admin()
        .post(
            "/api/v1/resources",
            &json!({"code": code, "uri": "https://api.example.com/orders", "name": "Orders", "actions": ["read", "write"]}),
        )
        .await;
    r.expect_status(201);
    assert_eq!(r.json["code"], code);
    assert_eq!(r.json["actions"], json!(["read", "write"]));
    let list = app.admin().get("/api/v1/resources").await;
    list.expect_status(200);
    assert!(
        items(&list).iter().any(|x| x["code"] == code),
        "{}",
        list.text
    );

    let bad = app
        .admin()
        .post(
            "/api/v1/resources",
            &json!({"uri": "https://api.example.com/x", "actions": ["read"]}),
        )
        .await;
    assert_invalid_field("resource without code", &bad, Some("code"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_account_secret_is_shown_only_at_creation() {
    let app = TestApp::spawn().await;
    app.admin()
        .post("/api/v1/resources", &json!({"code": "orders", "uri": "https://api.example.com/orders", "actions": ["read"]}))
        .await
        .expect_status(201);
    let r = app
        .admin()
        .post(
            "/api/v1/access-accounts",
            &json!({"description": "batch job", "permissions": ["orders:read"]}),
        )
        .await;
    r.expect_status(201);
    let ak = r.json["access_key"]
        .as_str()
        .unwrap_or_else(|| panic!("no access_key: {}", r.excerpt()));
    let sk = r.json["secret_key"]
        .as_str()
        .unwrap_or_else(|| panic!("no secret_key: {}", r.excerpt()));
    assert!(
        sk.len() >= 16 && ak != sk,
        "weak or reused secret: {}",
        r.excerpt()
    );
    assert_eq!(r.json["permissions"], json!(["orders:read"]));

    let list = app.admin().get("/api/v1/access-accounts").await;
    list.expect_status(200);
    assert!(
        items(&list).iter().any(|x| x["access_key"] == ak),
        "{}",
        list.text
    );
    assert!(
        !list.text.contains(sk),
        "the list shows the secret key: {}",
        list.text
    );

    let bad = app
        .admin()
        .post(
            "/api/v1/access-accounts",
            &json!({"permissions": ["no-colon"]}),
        )
        .await;
    assert_invalid_field("malformed permission", &bad, Some("permissions"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_key_is_published_beside_the_old_one() {
    let app = TestApp::spawn().await;
    let created = app.create_application(app.application_body("keys")).await;
    let jwks_uri = format!(
        "{}/.well-known/jwks.json",
        created["issuer"].as_str().unwrap_or_default()
    );
    let kids = |r: &Reply| -> BTreeSet<String> {
        r.json["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k["kid"].as_str())
            .map(String::from)
            .collect()
    };
    let before = app.get_url(&jwks_uri).await;
    before.expect_status(200);
    let old = kids(&before);
    assert!(!old.is_empty(), "no key before rotation: {}", before.text);

    let listed = app.admin().get("/api/v1/keys").await;
    listed.expect_status(200);
    for k in items(&listed) {
        for f in ["kid", "alg", "created_at", "active"] {
            assert!(k.get(f).is_some(), "key listing lacks {f}: {k}");
        }
        assert!(
            k.get("d").is_none() && k.get("private_key").is_none(),
            "key listing leaks private parts: {k}"
        );
    }
    let listed_kids: BTreeSet<String> = items(&listed)
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .map(String::from)
        .collect();
    assert!(
        old.is_subset(&listed_kids),
        "JWKS kids {old:?} not in the key list {listed_kids:?}"
    );

    let r = app
        .admin()
        .post("/api/v1/keys/rotate", &json!({"alg": "RS256"}))
        .await;
    r.expect_status(201);
    let new_kid = r.json["kid"]
        .as_str()
        .unwrap_or_else(|| panic!("no kid: {}", r.excerpt()))
        .to_string();
    assert!(!old.contains(&new_kid), "rotation reused a kid");
    assert!(
        r.json.get("d").is_none(),
        "rotation response leaks the private key: {}",
        r.excerpt()
    );

    let after = app.get_url(&jwks_uri).await;
    after.expect_status(200);
    let now = kids(&after);
    assert!(
        now.contains(&new_kid),
        "new kid {new_kid} not in JWKS: {}",
        after.excerpt()
    );
    assert!(
        old.is_subset(&now),
        "old kids {old:?} dropped from JWKS: {}",
        after.excerpt()
    );

    let bad = app
        .admin()
        .post("/api/v1/keys/rotate", &json!({"alg": "none"}))
        .await;
    assert_invalid_field("rotate to alg none", &bad, Some("alg"));
}

// ---------------------------------------------------------------------------------------------
// Discovery, JWKS and tenant isolation

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_style_issuer_serves_truthful_discovery_and_public_jwks() {
    let app = TestApp::spawn().await;
    let created = app
        .create_application(app.application_body("pathstyle"))
        .await;
    let sub = created["subdomain"].as_str().unwrap_or_default();
    assert_eq!(created["issuer"], format!("{}/{sub}/oidc", app.origin));
    assert_discovery_and_jwks_are_truthful(&app, &created).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subdomain_style_issuer_serves_truthful_discovery_and_public_jwks() {
    let app = TestApp::spawn_with(subdomain_style()).await;
    let created = app
        .create_application(app.application_body("substyle"))
        .await;
    let sub = created["subdomain"].as_str().unwrap_or_default();
    assert_eq!(created["issuer"], format!("http://{sub}.{BASE}/oidc"));
    assert_discovery_and_jwks_are_truthful(&app, &created).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_subdomain_or_host_is_404_in_both_styles() {
    let (path_app, sub_app) =
        tokio::join!(TestApp::spawn(), TestApp::spawn_with(subdomain_style()));
    // Some application exists, so a 404 is about the name, not an empty store.
    path_app
        .create_application(path_app.application_body("exists"))
        .await;
    let known = sub_app
        .create_application(sub_app.application_body("exists"))
        .await;
    let known_sub = known["subdomain"].as_str().unwrap_or_default().to_string();
    let nosuch = unique("nosuch");

    for suffix in [
        "/.well-known/openid-configuration",
        "/.well-known/jwks.json",
    ] {
        let r = send(path_app.console(Method::GET, &format!("/{nosuch}/oidc{suffix}"))).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "path style /{nosuch}/oidc{suffix}: {}",
            r.excerpt()
        );

        let hosts = [
            format!("{nosuch}.{BASE}"),
            "evil.example.com".to_string(),
            format!("{known_sub}.{BASE}.evil.example.com"),
            format!("a.{known_sub}.{BASE}"),
            format!("{known_sub}{BASE}"),
        ];
        for host in hosts {
            let r = send(sub_app.with_host(Method::GET, &host, &format!("/oidc{suffix}"))).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "subdomain style, Host {host}, /oidc{suffix}: {}",
                r.excerpt()
            );
        }
    }
    // A foreign host gets no admin API either.
    let r = send(
        sub_app
            .with_host(Method::GET, "evil.example.com", "/api/v1/applications")
            .header(AUTHORIZATION, format!("Bearer {}", sub_app.admin_token)),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "admin API on a foreign host: {}",
        r.excerpt()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_is_served_only_on_the_console_host() {
    let app = TestApp::spawn_with(subdomain_style()).await;
    let created = app.create_application(app.application_body("tenant")).await;
    let host = format!(
        "{}.{BASE}",
        created["subdomain"].as_str().unwrap_or_default()
    );
    for path in ["/api/v1/applications", "/oidc/api/v1/applications"] {
        let r = send(
            app.with_host(Method::GET, &host, path)
                .header(AUTHORIZATION, format!("Bearer {}", app.admin_token)),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "admin API on application host {host}{path}: {}",
            r.excerpt()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_application_is_served_only_on_its_own_issuer() {
    let (path_app, sub_app) =
        tokio::join!(TestApp::spawn(), TestApp::spawn_with(subdomain_style()));
    for app in [&path_app, &sub_app] {
        let mut first = app.application_body("first");
        first["response_types"] = json!(["code"]);
        let mut second = app.application_body("second");
        second["grant_types"] = json!(["authorization_code", "implicit"]);
        second["response_types"] = json!(["code", "id_token"]);
        let a = app.create_application(first).await;
        let b = app.create_application(second).await;
        assert_ne!(a["issuer"], b["issuer"]);
        for created in [&a, &b] {
            let issuer = created["issuer"].as_str().unwrap_or_default();
            let d = app
                .get_url(&format!("{issuer}/.well-known/openid-configuration"))
                .await;
            d.expect_status(200);
            assert_eq!(
                d.json["issuer"], issuer,
                "discovery served for the wrong application"
            );
            let advertised: BTreeSet<String> = str_list(&d.json["response_types_supported"])
                .into_iter()
                .collect();
            let ticked: BTreeSet<String> =
                str_list(&created["response_types"]).into_iter().collect();
            assert_eq!(
                advertised, ticked,
                "{issuer} advertises another application's types"
            );
        }
    }
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
