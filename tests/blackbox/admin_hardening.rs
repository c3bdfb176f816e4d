//! The admin API's own defences: registered redirect URIs are refused where exact matching
//! would not mean what it says (RFC 9700 §4.1, §2.1; RFC 8252 §7.3, §8.3) — userinfo,
//! wildcards, control characters, response parameters in the query, plain http to a host that
//! is not loopback — while loopback http and private-use schemes for native apps are accepted;
//! the admin token is throttled per client address like a password, so a lock answers 429
//! whatever the token; an id, resource code or pool id longer than any store key, in the path,
//! the query or the body, is a 4xx, never a 500; and a user search of any length is answered.

use reqwest::Method;
use serde_json::json;

use crate::support::applications::application_body;
use crate::support::json::{assert_invalid_field, items, str_list};
use crate::support::worker::{send, TestApp};

/// Redirect URIs that must be refused, each with why.
fn refused_uris() -> Vec<(&'static str, &'static str)> {
    vec![
        ("userinfo", "https://user@rp.example/cb"),
        ("userinfo with a password", "https://user:pw@rp.example/cb"),
        (
            "an open-redirect disguise",
            "https://rp.example@evil.example/cb",
        ),
        ("a wildcard host", "https://*.rp.example/cb"),
        ("a wildcard path", "https://rp.example/*"),
        ("a newline", "https://rp.example/c\nb"),
        ("a tab", "https://rp.example/c\tb"),
        ("a NUL", "https://rp.example/c\u{0}b"),
        ("a DEL", "https://rp.example/c\u{7f}b"),
        ("code in the query", "https://rp.example/cb?code=x"),
        ("state in the query", "https://rp.example/cb?a=1&state=x"),
        (
            "iss in the query",
            "https://rp.example/cb?iss=https://evil.example",
        ),
        ("error in the query", "https://rp.example/cb?error=x"),
        ("http to a public host", "http://rp.example/cb"),
        (
            "http to a look-alike of localhost",
            "http://localhost.evil.example/cb",
        ),
        ("http to a private address", "http://10.0.0.1/cb"),
    ]
}

#[tokio::test]
async fn redirect_uris_that_weaken_exact_matching_are_refused_and_native_app_ones_accepted() {
    let app = TestApp::spawn().await;
    let existing = app.create_application(json!({})).await;
    let path = format!("/api/v1/applications/{}", existing.client_id);
    for field in ["redirect_uris", "post_logout_redirect_uris"] {
        for (case, uri) in refused_uris() {
            let mut body = application_body();
            body[field] = json!([uri]);
            let r = app.admin().post("/api/v1/applications", &body).await;
            assert_invalid_field(&format!("creating, {field}: {case}"), &r, Some(field));
            let r = app.admin().patch(&path, &json!({ field: [uri] })).await;
            assert_invalid_field(&format!("patching, {field}: {case}"), &r, Some(field));
        }
    }
    let list = app.admin().get("/api/v1/applications").await;
    assert_eq!(
        items(&list).len(),
        1,
        "nothing refused was created: {}",
        list.text
    );
    let got = app.admin().get(&path).await;
    assert_eq!(
        got.json["redirect_uris"], existing["redirect_uris"],
        "nothing refused was patched in"
    );

    // What exact matching needs nothing against: loopback http and private-use schemes for
    // native apps (RFC 8252 §7.1, §7.3), https with a port or a query of the client's own.
    let accepted = [
        "http://localhost:8080/cb",
        "http://localhost/cb",
        "http://127.0.0.1:3000/cb",
        "http://[::1]:8080/cb",
        "com.example.app:/cb",
        "https://rp.example/cb?tenant=a",
        "https://rp.example:8443/cb",
    ];
    let mut body = application_body();
    body["redirect_uris"] = json!(accepted);
    body["post_logout_redirect_uris"] =
        json!(["http://127.0.0.1:3000/bye", "com.example.app:/bye"]);
    let created = app.create_application(body).await;
    assert_eq!(
        str_list(&created["redirect_uris"]),
        accepted.map(String::from)
    );
    for uri in accepted {
        let r = app
            .admin()
            .patch(
                &format!("/api/v1/applications/{}", created.client_id),
                &json!({"redirect_uris": [uri]}),
            )
            .await;
        assert_eq!(r.status, 200, "{uri}: {}", r.text);
    }
}

#[tokio::test]
async fn twenty_one_wrong_admin_tokens_lock_the_address_out_even_for_the_right_token() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({})).await;
    let mut statuses = Vec::new();
    for i in 0..21 {
        let r = send(
            app.console(Method::GET, "/api/v1/applications")
                .bearer_auth(format!("wrong-token-{i}")),
        )
        .await;
        statuses.push(r.status.as_u16());
    }
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "wrong tokens: {statuses:?}"
    );
    assert_eq!(statuses[0], 401, "{statuses:?}");
    assert_eq!(
        statuses.last(),
        Some(&429),
        "locked by the end: {statuses:?}"
    );

    // (case, request) with the right admin token: all refused while the lock lasts.
    let setup = json!({"admin_token": app.admin_token, "username": "root", "password": "long enough password"});
    let refused: Vec<(&str, reqwest::RequestBuilder)> = vec![
        (
            "a list",
            app.admin().request(Method::GET, "/api/v1/applications"),
        ),
        (
            "a create",
            app.admin()
                .request(Method::POST, "/api/v1/applications")
                .json(&application_body()),
        ),
        (
            "the console's first-run setup",
            app.console(Method::POST, "/api/v1/console/setup")
                .json(&setup),
        ),
    ];
    for (case, rb) in refused {
        let r = send(rb).await;
        assert_eq!(r.status, 429, "{case}: {}", r.excerpt());
        assert_eq!(r.json["error"], "too_many_attempts", "{case}: {}", r.text);
    }
    // The issuers are not behind the admin lock.
    app.get_url(&format!("{}/.well-known/openid-configuration", rp.issuer))
        .await
        .expect_status(200);
}

// ---------------------------------------------------------------------------------------------
// Ids past what the stores take (a KV key is at most 512 bytes)

#[tokio::test]
async fn ids_codes_and_pool_ids_longer_than_a_store_key_are_a_4xx_never_500() {
    let app = TestApp::spawn().await;
    let long = "a".repeat(600);
    let resource =
        json!({"code": "r", "name": "R", "uri": "https://api.example/", "actions": ["read"]});
    // (method, path, body)
    let cases: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, format!("/api/v1/applications/{long}"), None),
        (
            Method::PATCH,
            format!("/api/v1/applications/{long}"),
            Some(json!({"name": "x"})),
        ),
        (Method::DELETE, format!("/api/v1/applications/{long}"), None),
        (
            Method::GET,
            format!("/api/v1/applications/{long}/secret"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/applications/{long}/secret"),
            None,
        ),
        (Method::GET, format!("/api/v1/resources/{long}"), None),
        (Method::DELETE, format!("/api/v1/resources/{long}"), None),
        (
            Method::GET,
            format!("/api/v1/resources?pool_id={long}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/resources?pool_id={long}"),
            Some(resource.clone()),
        ),
        (
            Method::POST,
            "/api/v1/resources".to_string(),
            Some({
                let mut r = resource;
                r["code"] = json!(long);
                r
            }),
        ),
        (Method::GET, format!("/api/v1/pools/{long}"), None),
        (
            Method::PATCH,
            format!("/api/v1/pools/{long}"),
            Some(json!({"name": "x"})),
        ),
        (Method::GET, format!("/api/v1/users/{long}"), None),
        (Method::GET, format!("/api/v1/access-accounts/{long}"), None),
        (Method::GET, format!("/api/v1/users?pool_id={long}"), None),
        (Method::GET, format!("/api/v1/keys?pool_id={long}"), None),
        (
            Method::GET,
            format!("/api/v1/sessions?pool_id={long}"),
            None,
        ),
        (
            Method::POST,
            "/api/v1/applications".to_string(),
            Some({
                let mut b = application_body();
                b["pool_id"] = json!(long);
                b
            }),
        ),
    ];
    let mut failures = Vec::new();
    for (method, path, body) in cases {
        let mut rb = app.admin().request(method.clone(), &path);
        if let Some(b) = &body {
            rb = rb.json(b);
        }
        let r = send(rb).await;
        let json_error = r.json["error"].as_str().is_some_and(|e| !e.is_empty());
        if r.status.is_server_error() || (r.status.is_client_error() && !json_error) {
            failures.push(format!(
                "{method} {}…: {} {}",
                path.get(..40).unwrap_or(&path),
                r.status,
                r.excerpt()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "expected an answer below 500 (a JSON error for a 4xx):\n{}",
        failures.join("\n")
    );
}

/// A search is a pattern match in the pool's database, whose patterns are bounded (SQLite's
/// LIKE pattern limit): a long search — a whole long email address — must still be answered.
#[tokio::test]
async fn a_user_search_of_any_length_is_answered_never_500() {
    let app = TestApp::spawn().await;
    let email = format!("{}@example.com", "long.address".repeat(5));
    let user = app.create_user(json!({"email": email})).await;
    let mut failures = Vec::new();
    for q in [
        email.clone(),
        email.chars().take(48).collect::<String>(),
        "x".repeat(49),
        "x".repeat(5000),
    ] {
        let r = app
            .admin()
            .get(&format!("/api/v1/users?q={}", urlencode(&q)))
            .await;
        let found = items_of(&r).iter().any(|u| u["id"] == user.id.as_str());
        let shown = email.contains(&q);
        let ok = match r.status.as_u16() {
            200 => found == shown,
            400..=499 => r.json["error"].is_string(),
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "q of {} chars: {} (found: {found}) {}",
                q.len(),
                r.status,
                r.excerpt()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "expected an answer (the user found where the search matches):\n{}",
        failures.join("\n")
    );
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn items_of(r: &crate::support::worker::Reply) -> Vec<serde_json::Value> {
    r.json["items"].as_array().cloned().unwrap_or_default()
}
