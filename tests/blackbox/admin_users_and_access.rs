//! Users, resources and programmatic access accounts through the admin API: a user is never
//! returned with its password or hash, usernames are unique, input is refused by field, users
//! can be read, changed, searched and deleted; resources are created and listed; an access
//! account's secret is shown only at creation.

use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::support::json::{assert_invalid_field, items};
use crate::support::worker::{unique, TestApp};

// ---------------------------------------------------------------------------------------------
// Users

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_user_is_returned_without_password_or_hash() {
    let app = TestApp::spawn().await;
    let username = unique("alice");
    let password = "correct horse battery staple";
    let u = app
        .create_user(json!({"username": username, "password": password, "email": "alice@example.com", "name": "Alice"}))
        .await
        .created;
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
        .await
        .created;
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
// Resources and programmatic access accounts

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
