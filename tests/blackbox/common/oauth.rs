//! Clients of the token, introspection, revocation and userinfo endpoints, and the set-up
//! shortcuts of the machine and legacy tests (issue 5): applications ticking given grants, users
//! with a known password, password-grant tokens, JWT payloads, scope sets and OAuth error checks.
//! Shared by `client_credentials`, `password_grant`, `introspection_revocation`, `logout` and
//! `issuers_and_discovery`; depends only on the harness.
#![allow(dead_code)] // Each test binary uses a different subset of the helpers.

use std::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::header::AUTHORIZATION;
use reqwest::Method;
use serde_json::{json, Value};

use super::{send, unique, Reply, TestApp};

pub const PASSWORD: &str = "correct horse battery staple";

/// How a client presents its credentials at the token, introspection and revocation endpoints.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    /// RFC 6749 §2.3.1 HTTP Basic.
    Basic(&'a str, &'a str),
    /// RFC 6749 §2.3.1 `client_id` + `client_secret` in the body.
    Post(&'a str, &'a str),
    /// No client authentication at all.
    Nothing,
}

pub fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string `{key}` in {v}"))
}

/// POST a form to `{issuer}{path}` with the given client authentication.
pub async fn post_form(
    app: &TestApp,
    issuer: &str,
    path: &str,
    auth: Auth<'_>,
    form: &[(&str, &str)],
) -> Reply {
    let mut pairs: Vec<(String, String)> = form
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let mut rb = app.at(Method::POST, &format!("{issuer}{path}"));
    match auth {
        Auth::Basic(id, secret) => rb = rb.basic_auth(id, Some(secret)),
        Auth::Post(id, secret) => {
            pairs.push(("client_id".into(), id.into()));
            pairs.push(("client_secret".into(), secret.into()));
        }
        Auth::Nothing => {}
    }
    send(rb.form(&pairs)).await
}

pub async fn token(app: &TestApp, issuer: &str, auth: Auth<'_>, form: &[(&str, &str)]) -> Reply {
    post_form(app, issuer, "/token", auth, form).await
}

pub async fn introspect(
    app: &TestApp,
    issuer: &str,
    auth: Auth<'_>,
    tok: &str,
    hint: Option<&str>,
) -> Reply {
    let mut form = vec![("token", tok)];
    if let Some(h) = hint {
        form.push(("token_type_hint", h));
    }
    post_form(app, issuer, "/token/introspection", auth, &form).await
}

pub async fn revoke(
    app: &TestApp,
    issuer: &str,
    auth: Auth<'_>,
    tok: &str,
    hint: Option<&str>,
) -> Reply {
    let mut form = vec![("token", tok)];
    if let Some(h) = hint {
        form.push(("token_type_hint", h));
    }
    post_form(app, issuer, "/token/revocation", auth, &form).await
}

pub async fn userinfo(app: &TestApp, issuer: &str, access_token: &str) -> Reply {
    send(
        app.at(Method::GET, &format!("{issuer}/me"))
            .header(AUTHORIZATION, format!("Bearer {access_token}")),
    )
    .await
}

/// The payload of a JWS compact serialization (no signature check: the JWKS tests of issue 2
/// cover signatures; these tests are about which claims are granted).
pub fn jwt_claims(jwt: &str) -> Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWS compact serialization: {jwt}");
    let raw = URL_SAFE_NO_PAD
        .decode(parts[1])
        .unwrap_or_else(|e| panic!("payload of {jwt}: {e}"));
    serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("payload of {jwt} is not JSON: {e}"))
}

/// A space-separated scope as a set (order is not meaningful, RFC 6749 §3.3).
pub fn scope_set(scope: &str) -> BTreeSet<String> {
    scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

pub fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// `aud` is a string or a list of strings (RFC 7519 §4.1.3).
pub fn audiences(aud: &Value) -> Vec<String> {
    match aud {
        Value::String(a) => vec![a.clone()],
        Value::Array(l) => l
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        other => panic!("aud is neither a string nor a list: {other}"),
    }
}

/// Asserts an OAuth error response (RFC 6749 §5.2).
#[track_caller]
pub fn assert_oauth_error(case: &str, r: &Reply, status: u16, error: &str) {
    assert_eq!(
        r.status.as_u16(),
        status,
        "{case}: status; body: {}",
        r.excerpt()
    );
    assert_eq!(
        r.json["error"],
        error,
        "{case}: error code; body: {}",
        r.excerpt()
    );
}

/// An application ticking `grant_types` (plus `extra` fields); returns the created JSON.
pub async fn create_app(app: &TestApp, prefix: &str, grant_types: &[&str], extra: Value) -> Value {
    let mut body = app.application_body(prefix);
    body["grant_types"] = json!(grant_types);
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    app.create_application(body).await
}

/// A user of the default pool with [`PASSWORD`]; returns the created JSON (with `id`).
pub async fn create_user(app: &TestApp, extra: Value) -> Value {
    let username = unique("user");
    let mut body = json!({"username": username, "password": PASSWORD});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    app.create_user(body).await
}

/// A successful password grant; panics with the body otherwise.
pub async fn password_tokens(app: &TestApp, client: &Value, username: &str, scope: &str) -> Value {
    let (issuer, id, secret) = (
        s(client, "issuer"),
        s(client, "client_id"),
        s(client, "client_secret"),
    );
    let r = token(
        app,
        issuer,
        Auth::Basic(id, secret),
        &[
            ("grant_type", "password"),
            ("username", username),
            ("password", PASSWORD),
            ("scope", scope),
        ],
    )
    .await;
    r.expect_status(200);
    r.json
}

/// A client's own credentials, as HTTP Basic.
pub fn basic(client: &Value) -> Auth<'_> {
    Auth::Basic(s(client, "client_id"), s(client, "client_secret"))
}
