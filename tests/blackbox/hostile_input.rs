//! Hostile input at the token-side endpoints: an `Authorization` header that is not ASCII is a
//! 4xx in the endpoint's own error shape (never a 500, and the next request is served), and
//! every request is bounded before it is read — a form body past 64 KiB is 413 (a chunked one
//! too, which declares no length), more than 64 parameters or a value past 8 KiB is
//! `invalid_request`, an admin JSON body past 256 KiB is 413, and a refresh token whose family
//! part is not a random id is `invalid_grant`.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::header::{HeaderValue, AUTHORIZATION, CONTENT_TYPE};
use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::applications::{Application, TestUser};
use crate::support::json::field;
use crate::support::tokens::{
    assert_oauth_error, introspect, password_tokens, post_form, refresh, revoke, userinfo, Auth,
};
use crate::support::worker::{send, Reply, TestApp};

/// A confidential application ticking password + refresh_token, and a user.
async fn password_app(app: &TestApp) -> (Application, TestUser) {
    let client = app
        .create_application(json!({"grant_types": ["password", "refresh_token"]}))
        .await;
    let user = app.create_user(json!({})).await;
    (client, user)
}

/// A form parameter, and form parameters as sent.
type Pair<'a> = (&'a str, &'a str);
type Form<'a> = &'a [Pair<'a>];

/// Whether a reply is a client error with a JSON body whose `error` is a string.
fn is_json_4xx(r: &Reply) -> bool {
    r.status.is_client_error() && r.json["error"].as_str().is_some_and(|e| !e.is_empty())
}

// ---------------------------------------------------------------------------------------------
// Authorization headers that are not ASCII (RFC 9110 §5.5: obs-text is bytes, not text)

#[tokio::test]
async fn a_non_ascii_authorization_header_is_a_4xx_in_the_endpoints_error_shape_never_a_500() {
    let app = TestApp::spawn().await;
    let (client, user) = password_app(&app).await;
    let issuer = client.issuer.as_str();
    let t = password_tokens(
        &app,
        &client,
        &user.username,
        &user.password,
        "openid offline_access",
    )
    .await;
    let at = field(&t, "access_token").to_string();

    let e4 = "éééé".as_bytes();
    let headers: Vec<(&str, Vec<u8>)> = vec![
        ("a + é…", [b"a".as_slice(), e4].concat()),
        ("Basic é…", [b"Basic ".as_slice(), e4].concat()),
        ("Bearer é…", [b"Bearer ".as_slice(), e4].concat()),
        ("é… alone", e4.to_vec()),
        ("Basic + latin-1 byte", b"Basic \xe9\xe9\xe9\xe9".to_vec()),
        (
            "bAsIc é (one char after the scheme)",
            "bAsIc é".as_bytes().to_vec(),
        ),
        (
            "Bear + é (cut inside a character)",
            "Beareé".as_bytes().to_vec(),
        ),
    ];
    // (endpoint, method, form body)
    let endpoints: [(&str, Method, Form); 5] = [
        (
            "/token",
            Method::POST,
            &[
                ("grant_type", "password"),
                ("username", "x"),
                ("password", "y"),
            ],
        ),
        ("/token/introspection", Method::POST, &[("token", "x")]),
        ("/token/revocation", Method::POST, &[("token", "x")]),
        ("/me", Method::GET, &[]),
        ("/me", Method::POST, &[]),
    ];
    let mut failures = Vec::new();
    for (case, raw) in &headers {
        let value = HeaderValue::from_bytes(raw)
            .unwrap_or_else(|e| panic!("{case}: not a header value: {e}"));
        for (path, method, form) in &endpoints {
            let rb = app
                .at(method.clone(), &format!("{issuer}{path}"))
                .header(AUTHORIZATION, value.clone());
            let rb = if form.is_empty() { rb } else { rb.form(form) };
            let r = send(rb).await;
            if !is_json_4xx(&r) {
                failures.push(format!(
                    "{case} at {method} {path}: {} {}",
                    r.status,
                    r.excerpt()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "expected a 4xx with a JSON `error` for:\n{}",
        failures.join("\n")
    );

    // Nothing was left broken: each endpoint serves the next ordinary request.
    let again = password_tokens(&app, &client, &user.username, &user.password, "openid").await;
    assert!(again["access_token"].is_string(), "{again}");
    let seen = introspect(&app, issuer, client.basic(), &at, None).await;
    assert_eq!(seen.json["active"], true, "{}", seen.text);
    userinfo(&app, issuer, &at).await.expect_status(200);
    revoke(&app, issuer, client.basic(), &at, None)
        .await
        .expect_status(200);
}

// ---------------------------------------------------------------------------------------------
// Bounded input (RFC 9700 §4.17: what is read before authentication must be bounded)

#[tokio::test]
async fn a_form_body_past_64_kib_is_413_with_a_json_error() {
    let app = TestApp::spawn().await;
    let (client, user) = password_app(&app).await;
    let url = format!("{}/token", client.issuer);
    let padding = "a".repeat(64 * 1024 + 1);
    let body = format!("grant_type=password&username=x&password=y&pad={padding}");
    let r = send(
        app.at(Method::POST, &url)
            .basic_auth(&client.client_id, Some(&client.client_secret))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body),
    )
    .await;
    assert_oauth_error("a 64 KiB + 1 form body", &r, 413, "invalid_request");

    // Just under the limit is read (and then refused for its oversized value, not its size).
    let under = format!("grant_type=password&pad={}", "a".repeat(60 * 1024));
    let r = send(
        app.at(Method::POST, &url)
            .basic_auth(&client.client_id, Some(&client.client_secret))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(under),
    )
    .await;
    assert_oauth_error("a 60 KiB value", &r, 400, "invalid_request");
    password_tokens(&app, &client, &user.username, &user.password, "openid").await;
}

#[tokio::test]
async fn too_many_or_too_long_parameters_are_invalid_request() {
    let app = TestApp::spawn().await;
    let (client, user) = password_app(&app).await;
    let issuer = client.issuer.as_str();
    let names: Vec<String> = (0..70).map(|i| format!("p{i}")).collect();
    let base = [
        ("grant_type", "password"),
        ("username", user.username.as_str()),
        ("password", user.password.as_str()),
        ("scope", "openid"),
    ];
    let with_extra = |n: usize| -> Vec<(&str, &str)> {
        let mut form = base.to_vec();
        form.extend(names.iter().take(n).map(|k| (k.as_str(), "x")));
        form
    };
    let long = "v".repeat(8 * 1024 + 1);
    let long_name = "n".repeat(129);
    let mut with_long_value = base.to_vec();
    with_long_value.push(("state", long.as_str()));
    let mut with_long_name = base.to_vec();
    with_long_name.push((long_name.as_str(), "x"));
    // (case, form, query string)
    let cases: [(&str, Vec<Pair>, String); 5] = [
        ("65 parameters in the body", with_extra(61), String::new()),
        ("70 parameters in the body", with_extra(66), String::new()),
        ("a value over 8 KiB", with_long_value, String::new()),
        ("a name over 128 bytes", with_long_name, String::new()),
        (
            "65 parameters in the query",
            base.to_vec(),
            (0..65)
                .map(|i| format!("q{i}=x"))
                .collect::<Vec<_>>()
                .join("&"),
        ),
    ];
    for (case, form, query) in cases {
        let url = if query.is_empty() {
            format!("{issuer}/token")
        } else {
            format!("{issuer}/token?{query}")
        };
        let r = post_form(&app, &url, client.basic(), &form).await;
        assert_oauth_error(case, &r, 400, "invalid_request");
    }
    // 64 parameters are still served (the 4 above, 58 unknown ones and the credentials).
    let mut at_the_limit = with_extra(58);
    at_the_limit.extend([
        ("client_id", client.client_id.as_str()),
        ("client_secret", client.client_secret.as_str()),
    ]);
    let r = post_form(
        &app,
        &format!("{issuer}/token"),
        Auth::Nothing,
        &at_the_limit,
    )
    .await;
    r.expect_status(200);
}

#[tokio::test]
async fn an_admin_json_body_past_256_kib_is_413() {
    let app = TestApp::spawn().await;
    let body = json!({
        "username": "big",
        "password": "long enough password",
        "name": "x".repeat(256 * 1024),
    });
    let r = app.admin().post("/api/v1/users", &body).await;
    assert_eq!(r.status, 413, "{}", r.excerpt());
    assert!(r.json["error"].is_string(), "a JSON error: {}", r.excerpt());
    let r = app.admin().get("/api/v1/users?q=big").await;
    r.expect_status(200);
    assert_eq!(r.json["total"], 0, "nothing was created: {}", r.text);
}

#[tokio::test]
async fn a_refresh_token_whose_family_part_is_not_a_random_id_is_invalid_grant() {
    let app = TestApp::spawn().await;
    let (client, user) = password_app(&app).await;
    let issuer = client.issuer.as_str();
    let t = password_tokens(
        &app,
        &client,
        &user.username,
        &user.password,
        "openid offline_access",
    )
    .await;
    let real = field(&t, "refresh_token").to_string();
    let (_, secret) = real.split_once('.').unwrap_or(("", ""));
    let cases: Vec<(&str, String)> = vec![
        ("a path", "../x.y".to_string()),
        ("2000 characters", format!("{}.y", "a".repeat(2000))),
        (
            "past a storage key (2 KiB)",
            format!("{}.{secret}", "a".repeat(2100)),
        ),
        ("6000 characters", format!("{}.{secret}", "a".repeat(6000))),
        ("2000 characters without a dot", "a".repeat(2000)),
        ("21 characters", format!("{}.{secret}", "a".repeat(21))),
        ("23 characters", format!("{}.{secret}", "a".repeat(23))),
        (
            "22 characters, not base64url",
            format!("{}.{secret}", "a/".repeat(11)),
        ),
        (
            "percent and slashes",
            format!("%2e%2e%2f{}.{secret}", "a".repeat(13)),
        ),
        ("non-ASCII", format!("{}.{secret}", "é".repeat(11))),
        ("only a dot", ".".to_string()),
        ("empty family", format!(".{secret}")),
    ];
    let mut failures = Vec::new();
    for (case, presented) in &cases {
        let r = refresh(&app, &client, presented, None).await;
        if r.status != 400 || r.json["error"] != "invalid_grant" {
            failures.push(format!("refresh, {case}: {} {}", r.status, r.excerpt()));
        }
        let seen = introspect(&app, issuer, client.basic(), presented, None).await;
        if seen.status != 200 || seen.json["active"] != false {
            failures.push(format!(
                "introspection, {case}: {} {}",
                seen.status, seen.text
            ));
        }
        let gone = revoke(&app, issuer, client.basic(), presented, None).await;
        if gone.status != 200 {
            failures.push(format!("revocation, {case}: {} {}", gone.status, gone.text));
        }
    }
    assert!(
        failures.is_empty(),
        "expected invalid_grant / inactive / 200:\n{}",
        failures.join("\n")
    );
    // The real token was left alone by all of that.
    refresh(&app, &client, &real, None).await.expect_status(200);
}

/// The size limit holds for the bytes read, not only for what `Content-Length` declares: a
/// chunked body declares nothing.
#[tokio::test]
async fn a_chunked_form_body_past_64_kib_without_a_content_length_is_413() {
    let app = TestApp::spawn().await;
    let (client, user) = password_app(&app).await;
    let path = reqwest::Url::parse(&format!("{}/token", client.issuer))
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let basic = STANDARD.encode(format!("{}:{}", client.client_id, client.client_secret));
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nAuthorization: Basic {basic}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n",
        app.port
    )
    .into_bytes();
    let first = b"grant_type=password&username=x&password=y&pad=";
    request.extend(format!("{:x}\r\n", first.len()).into_bytes());
    request.extend(first);
    request.extend(b"\r\n");
    for _ in 0..5 {
        request.extend(format!("{:x}\r\n", 16 * 1024).into_bytes());
        request.extend(vec![b'a'; 16 * 1024]);
        request.extend(b"\r\n");
    }
    request.extend(b"0\r\n\r\n");

    let mut socket = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap_or_else(|e| panic!("connect: {e}"));
    socket
        .write_all(&request)
        .await
        .unwrap_or_else(|e| panic!("write: {e}"));
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), socket.read_to_end(&mut answer))
        .await
        .unwrap_or_else(|_| panic!("no answer within 10 s"))
        .unwrap_or_else(|e| panic!("read: {e}"));
    let answer = String::from_utf8_lossy(&answer);
    let head = answer
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    assert!(
        head.starts_with("http/1.1 413") && head.contains("content-type: application/json"),
        "expected a 413 JSON answer: {}",
        answer.chars().take(500).collect::<String>()
    );
    assert!(answer.contains("invalid_request"), "{answer}");
    password_tokens(&app, &client, &user.username, &user.password, "openid").await;
}
