//! Clients of the token-side endpoints, as a relying party or a machine calls them: the token
//! endpoint with each way of presenting client credentials (RFC 6749 §2.3.1) and the request of
//! each grant, introspection (RFC 7662), revocation (RFC 7009) and userinfo (OIDC Core §5.3);
//! and reading their answers (OAuth errors, scopes, audiences). Depends on `worker` and
//! `applications`.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::Value;

use super::applications::Application;
use super::worker::{send, Reply, TestApp};

/// How a client presents its credentials at the token, introspection and revocation endpoints.
#[derive(Debug, Clone, Copy)]
pub enum Auth<'a> {
    /// RFC 6749 §2.3.1 HTTP Basic (`client_secret_basic`).
    Basic(&'a str, &'a str),
    /// RFC 6749 §2.3.1 `client_id` and `client_secret` in the body (`client_secret_post`).
    Post(&'a str, &'a str),
    /// `client_id` alone in the body: a public client, or a confidential one without its secret
    /// (RFC 6749 §3.2.1).
    Id(&'a str),
    /// No client authentication at all.
    Nothing,
}

impl Application {
    /// This application's own credentials, as HTTP Basic.
    pub fn basic(&self) -> Auth<'_> {
        Auth::Basic(&self.client_id, &self.client_secret)
    }

    /// This application's own credentials, in the body.
    pub fn post(&self) -> Auth<'_> {
        Auth::Post(&self.client_id, &self.client_secret)
    }
}

/// POSTs `form` to the absolute `url` (a query string may ride along) with `auth`.
pub async fn post_form(app: &TestApp, url: &str, auth: Auth<'_>, form: &[(&str, &str)]) -> Reply {
    let mut pairs: Vec<(&str, &str)> = form.to_vec();
    let mut rb = app.at(Method::POST, url);
    match auth {
        Auth::Basic(id, secret) => rb = rb.basic_auth(id, Some(secret)),
        Auth::Post(id, secret) => pairs.extend([("client_id", id), ("client_secret", secret)]),
        Auth::Id(id) => pairs.push(("client_id", id)),
        Auth::Nothing => {}
    }
    send(rb.form(&pairs)).await
}

/// `POST {issuer}/token`.
pub async fn token(app: &TestApp, issuer: &str, auth: Auth<'_>, form: &[(&str, &str)]) -> Reply {
    post_form(app, &format!("{issuer}/token"), auth, form).await
}

/// The form that redeems `code` sent to `redirect_uri` (RFC 6749 §4.1.3).
pub fn code_form<'a>(code: &'a str, redirect_uri: &'a str) -> [(&'static str, &'a str); 3] {
    [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
    ]
}

/// Redeems `code` at `client`'s issuer with its own credentials (Basic) and its first redirect
/// URI, with a PKCE verifier if given.
pub async fn redeem(
    app: &TestApp,
    client: &Application,
    code: &str,
    verifier: Option<&str>,
) -> Reply {
    let mut form = code_form(code, &client.redirect_uri).to_vec();
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    token(app, &client.issuer, client.basic(), &form).await
}

/// `grant_type=refresh_token` (RFC 6749 §6) with `client`'s own credentials (Basic).
pub async fn refresh(
    app: &TestApp,
    client: &Application,
    refresh_token: &str,
    scope: Option<&str>,
) -> Reply {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    token(app, &client.issuer, client.basic(), &form).await
}

/// `grant_type=password` (RFC 6749 §4.3) with `client`'s own credentials (Basic).
pub async fn password_grant(
    app: &TestApp,
    client: &Application,
    login: &str,
    password: &str,
    scope: &str,
) -> Reply {
    let form = [
        ("grant_type", "password"),
        ("username", login),
        ("password", password),
        ("scope", scope),
    ];
    token(app, &client.issuer, client.basic(), &form).await
}

/// A successful password grant's tokens; panics with the body otherwise.
pub async fn password_tokens(
    app: &TestApp,
    client: &Application,
    login: &str,
    password: &str,
    scope: &str,
) -> Value {
    let r = password_grant(app, client, login, password, scope).await;
    r.expect_status(200);
    r.json
}

/// `grant_type=client_credentials` (RFC 6749 §4.4) at `issuer` with `params` (`scope`,
/// `resource`).
pub async fn client_credentials(
    app: &TestApp,
    issuer: &str,
    auth: Auth<'_>,
    params: &[(&str, &str)],
) -> Reply {
    let mut form = vec![("grant_type", "client_credentials")];
    form.extend_from_slice(params);
    token(app, issuer, auth, &form).await
}

/// `POST {issuer}/token/introspection` (RFC 7662 §2.1).
pub async fn introspect(
    app: &TestApp,
    issuer: &str,
    auth: Auth<'_>,
    token: &str,
    hint: Option<&str>,
) -> Reply {
    let url = format!("{issuer}/token/introspection");
    post_form(app, &url, auth, &token_form(token, hint)).await
}

/// `POST {issuer}/token/revocation` (RFC 7009 §2.1).
pub async fn revoke(
    app: &TestApp,
    issuer: &str,
    auth: Auth<'_>,
    token: &str,
    hint: Option<&str>,
) -> Reply {
    let url = format!("{issuer}/token/revocation");
    post_form(app, &url, auth, &token_form(token, hint)).await
}

fn token_form<'a>(token: &'a str, hint: Option<&'a str>) -> Vec<(&'static str, &'a str)> {
    let mut form = vec![("token", token)];
    if let Some(h) = hint {
        form.push(("token_type_hint", h));
    }
    form
}

/// `GET {issuer}/me` with the access token as a Bearer header (RFC 6750 §2.1).
pub async fn userinfo(app: &TestApp, issuer: &str, access_token: &str) -> Reply {
    send(
        app.at(Method::GET, &format!("{issuer}/me"))
            .bearer_auth(access_token),
    )
    .await
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

/// A space-separated scope as a set (order is not meaningful, RFC 6749 §3.3).
pub fn scope_set(scope: &str) -> BTreeSet<String> {
    scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// `aud` is a string or a list of strings (RFC 7519 §4.1.3).
#[track_caller]
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
