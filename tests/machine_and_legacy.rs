//! Black-box tests of issue 5 against the real worker under `wrangler dev`: client credentials
//! for applications and programmatic access accounts (AK/SK), password mode with its lockout and
//! no-enumeration rule, token introspection (RFC 7662), token revocation (RFC 7009) and
//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0). Talks HTTP only; knows nothing
//! of the crate's internals. Each test spawns its own worker (STYLE.md habit 11).
//!
//! Not covered, on purpose:
//! - an *expired* access key: AK/SK accounts have no expiry yet, so the refused-key table uses a
//!   *disabled* account instead;
//! - an *expired* token at introspection: the shortest access-token lifetime an application may
//!   set is 60 s, too long for a test; revoked, unknown and foreign tokens are covered instead.

mod common;
mod flows;

use std::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use common::{send, unique, Reply, TestApp};
use flows::{Browser, Consent, Form};
use reqwest::header::{AUTHORIZATION, LOCATION};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const ORDERS_URI: &str = "https://api.example.com/orders";
const INVOICES_URI: &str = "https://api.example.com/invoices";
const PASSWORD: &str = "correct horse battery staple";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// How a client presents its credentials at the token, introspection and revocation endpoints.
#[derive(Clone, Copy)]
enum Auth<'a> {
    /// RFC 6749 §2.3.1 HTTP Basic.
    Basic(&'a str, &'a str),
    /// RFC 6749 §2.3.1 `client_id` + `client_secret` in the body.
    Post(&'a str, &'a str),
    /// No client authentication at all.
    Nothing,
}

fn s<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string `{key}` in {v}"))
}

/// POST a form to `{issuer}{path}` with the given client authentication.
async fn post_form(
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

async fn token(app: &TestApp, issuer: &str, auth: Auth<'_>, form: &[(&str, &str)]) -> Reply {
    post_form(app, issuer, "/token", auth, form).await
}

async fn introspect(
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

async fn revoke(
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

async fn userinfo(app: &TestApp, issuer: &str, access_token: &str) -> Reply {
    send(
        app.at(Method::GET, &format!("{issuer}/me"))
            .header(AUTHORIZATION, format!("Bearer {access_token}")),
    )
    .await
}

/// The payload of a JWS compact serialization (no signature check: the JWKS tests of issue 2
/// cover signatures; these tests are about which claims are granted).
fn jwt_claims(jwt: &str) -> Value {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "not a JWS compact serialization: {jwt}");
    let raw = URL_SAFE_NO_PAD
        .decode(parts[1])
        .unwrap_or_else(|e| panic!("payload of {jwt}: {e}"));
    serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("payload of {jwt} is not JSON: {e}"))
}

fn jwt_header(jwt: &str) -> Value {
    let head = jwt.split('.').next().unwrap_or_default();
    let raw = URL_SAFE_NO_PAD
        .decode(head)
        .unwrap_or_else(|e| panic!("header of {jwt}: {e}"));
    serde_json::from_slice(&raw).unwrap_or_else(|e| panic!("header of {jwt} is not JSON: {e}"))
}

/// A space-separated scope as a set (order is not meaningful, RFC 6749 §3.3).
fn scope_set(scope: &str) -> BTreeSet<String> {
    scope
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// `aud` is a string or a list of strings (RFC 7519 §4.1.3).
fn audiences(aud: &Value) -> Vec<String> {
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
fn assert_oauth_error(case: &str, r: &Reply, status: u16, error: &str) {
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

/// Creates the `orders` and `invoices` resources in `pool` (None = the default pool).
async fn create_resources(app: &TestApp, pool: Option<&str>) {
    let q = pool.map(|p| format!("?pool_id={p}")).unwrap_or_default();
    for (code, uri) in [("orders", ORDERS_URI), ("invoices", INVOICES_URI)] {
        let body = json!({"code": code, "uri": uri, "actions": ["read", "write", "delete"]});
        let r = app
            .admin()
            .post(&format!("/api/v1/resources{q}"), &body)
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "creating resource {body}: {}",
            r.excerpt()
        );
    }
}

/// Creates an access account holding `permissions`; returns (access_key, secret_key).
async fn create_access_account(
    app: &TestApp,
    pool: Option<&str>,
    permissions: &[&str],
) -> (String, String) {
    let q = pool.map(|p| format!("?pool_id={p}")).unwrap_or_default();
    let body = json!({"description": "batch job", "permissions": permissions});
    let r = app
        .admin()
        .post(&format!("/api/v1/access-accounts{q}"), &body)
        .await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "creating access account {body}: {}",
        r.excerpt()
    );
    let ak = s(&r.json, "access_key").to_string();
    let sk = s(&r.json, "secret_key").to_string();
    let pool_name = pool.unwrap_or("default");
    assert!(
        ak.starts_with(&format!("ak_{pool_name}_")),
        "access key `{ak}` does not name its pool {pool_name}"
    );
    (ak, sk)
}

/// An application ticking `grant_types` (plus `extra` fields); returns the created JSON.
async fn create_app(app: &TestApp, prefix: &str, grant_types: &[&str], extra: Value) -> Value {
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
async fn create_user(app: &TestApp, extra: Value) -> Value {
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
async fn password_tokens(app: &TestApp, client: &Value, username: &str, scope: &str) -> Value {
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

// ---------------------------------------------------------------------------------------------
// Client credentials: AK/SK accounts
// ---------------------------------------------------------------------------------------------

/// The fixture of the machine tests: the two resources, and an application of the default pool
/// that ticks client_credentials (and holds nothing itself).
async fn machine_app(app: &TestApp) -> Value {
    create_resources(app, None).await;
    create_app(app, "m2m", &["client_credentials"], json!({})).await
}

#[tokio::test]
async fn an_access_account_gets_exactly_the_subset_of_requested_permissions_it_holds() {
    let app = TestApp::spawn().await;
    let client = machine_app(&app).await;
    let issuer = s(&client, "issuer");
    let (ak, sk) = create_access_account(&app, None, &["orders:read", "orders:write"]).await;

    // Both ways of presenting the key (RFC 6749 §2.3.1) give the same grant.
    for (how, auth) in [
        ("basic", Auth::Basic(&ak, &sk)),
        ("post", Auth::Post(&ak, &sk)),
    ] {
        let r = token(
            &app,
            issuer,
            auth,
            &[
                ("grant_type", "client_credentials"),
                ("scope", "orders:read orders:delete orders:write"),
            ],
        )
        .await;
        r.expect_status(200);
        assert_eq!(
            scope_set(s(&r.json, "scope")),
            set(&["orders:read", "orders:write"]),
            "{how}: response scope"
        );
        assert!(
            s(&r.json, "token_type").eq_ignore_ascii_case("bearer"),
            "{how}: token_type in {}",
            r.text
        );
        assert!(
            r.json["expires_in"].as_u64().is_some_and(|e| e > 0),
            "{how}: expires_in in {}",
            r.text
        );
        assert!(
            r.json.get("refresh_token").is_none(),
            "{how}: client_credentials must not issue a refresh token: {}",
            r.text
        );
        assert!(
            r.json.get("id_token").is_none(),
            "{how}: client_credentials must not issue an id_token: {}",
            r.text
        );
        assert!(
            r.header("cache-control").contains("no-store"),
            "{how}: token response must be no-store"
        );

        let at = s(&r.json, "access_token");
        // RFC 9068 §2.1: a JWT access token says so in `typ`.
        assert_eq!(
            jwt_header(at)["typ"]
                .as_str()
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("at+jwt"),
            "{how}: header"
        );
        let c = jwt_claims(at);
        assert_eq!(
            audiences(&c["aud"]),
            vec![ORDERS_URI.to_string()],
            "{how}: aud is the resource; claims {c}"
        );
        assert_eq!(
            c["sub"],
            ak.as_str(),
            "{how}: sub is the access key; claims {c}"
        );
        assert_eq!(
            scope_set(s(&c, "scope")),
            set(&["orders:read", "orders:write"]),
            "{how}: token scope; claims {c}"
        );
        assert_eq!(c["iss"], issuer, "{how}: iss; claims {c}");
        assert!(
            c["exp"].as_u64() > c["iat"].as_u64(),
            "{how}: exp after iat; claims {c}"
        );
    }
}

#[tokio::test]
async fn a_held_wildcard_covers_every_action_of_its_resource_only() {
    let app = TestApp::spawn().await;
    let client = machine_app(&app).await;
    let issuer = s(&client, "issuer");
    let (ak, sk) = create_access_account(&app, None, &["orders:*"]).await;

    let r = token(
        &app,
        issuer,
        Auth::Basic(&ak, &sk),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "orders:delete orders:read"),
        ],
    )
    .await;
    r.expect_status(200);
    assert_eq!(
        scope_set(s(&r.json, "scope")),
        set(&["orders:delete", "orders:read"])
    );
    let c = jwt_claims(s(&r.json, "access_token"));
    assert_eq!(
        scope_set(s(&c, "scope")),
        set(&["orders:delete", "orders:read"]),
        "claims {c}"
    );

    // The wildcard is on orders, not on invoices.
    let r = token(
        &app,
        issuer,
        Auth::Basic(&ak, &sk),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "invoices:read"),
        ],
    )
    .await;
    assert_oauth_error(
        "orders:* asking for invoices:read",
        &r,
        400,
        "invalid_scope",
    );
}

#[tokio::test]
async fn the_resource_parameter_alone_grants_everything_held_on_that_resource() {
    let app = TestApp::spawn().await;
    let client = machine_app(&app).await;
    let issuer = s(&client, "issuer");
    let (ak, sk) = create_access_account(
        &app,
        None,
        &["orders:read", "orders:write", "invoices:read"],
    )
    .await;

    // RFC 8707 names the resource by URI; the code is accepted too.
    for resource in [ORDERS_URI, "orders"] {
        let r = token(
            &app,
            issuer,
            Auth::Basic(&ak, &sk),
            &[("grant_type", "client_credentials"), ("resource", resource)],
        )
        .await;
        r.expect_status(200);
        assert_eq!(
            scope_set(s(&r.json, "scope")),
            set(&["orders:read", "orders:write"]),
            "resource={resource}"
        );
        let c = jwt_claims(s(&r.json, "access_token"));
        assert_eq!(
            audiences(&c["aud"]),
            vec![ORDERS_URI.to_string()],
            "resource={resource}: claims {c}"
        );
        assert_eq!(
            scope_set(s(&c, "scope")),
            set(&["orders:read", "orders:write"]),
            "resource={resource}: claims {c}"
        );
    }

    // resource + scope: the scope narrows within the resource.
    let r = token(
        &app,
        issuer,
        Auth::Basic(&ak, &sk),
        &[
            ("grant_type", "client_credentials"),
            ("resource", INVOICES_URI),
            ("scope", "invoices:read invoices:write"),
        ],
    )
    .await;
    r.expect_status(200);
    assert_eq!(scope_set(s(&r.json, "scope")), set(&["invoices:read"]));
    assert_eq!(
        audiences(&jwt_claims(s(&r.json, "access_token"))["aud"]),
        vec![INVOICES_URI.to_string()]
    );
}

#[tokio::test]
async fn requesting_nothing_the_caller_holds_is_invalid_scope() {
    let app = TestApp::spawn().await;
    let client = machine_app(&app).await;
    let issuer = s(&client, "issuer");
    let (ak, sk) = create_access_account(&app, None, &["orders:read", "invoices:read"]).await;

    let cases: &[(&str, &[(&str, &str)])] = &[
        ("an action not held", &[("scope", "orders:delete")]),
        (
            "several actions, none held",
            &[("scope", "orders:write orders:delete")],
        ),
        (
            "a resource that does not exist",
            &[("scope", "nosuch:read")],
        ),
        (
            "a resource held, actions not held",
            &[("resource", INVOICES_URI), ("scope", "invoices:write")],
        ),
        // One token has one audience (contract): two resources in one request are refused.
        (
            "permissions on two resources at once",
            &[("scope", "orders:read invoices:read")],
        ),
    ];
    for (case, extra) in cases {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend_from_slice(extra);
        let r = token(&app, issuer, Auth::Basic(&ak, &sk), &form).await;
        assert_oauth_error(case, &r, 400, "invalid_scope");
        assert!(
            r.json.get("access_token").is_none(),
            "{case}: no token on an error: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn forged_unknown_disabled_wrong_secret_and_other_pool_access_keys_are_refused() {
    let app = TestApp::spawn().await;
    let client = machine_app(&app).await;
    let issuer = s(&client, "issuer");
    let (good_ak, good_sk) = create_access_account(&app, None, &["orders:read"]).await;
    let (disabled_ak, disabled_sk) = create_access_account(&app, None, &["orders:read"]).await;
    // "Expired" keys do not exist yet (AK/SK accounts have no expiry): disabled is the nearest.
    let r = app
        .admin()
        .patch(
            &format!("/api/v1/access-accounts/{disabled_ak}"),
            &json!({"disabled": true}),
        )
        .await;
    r.expect_status(200);

    // Another pool with its own application, resource and key: the key works there (control),
    // and must not work at the default pool's issuer.
    let r = app
        .admin()
        .post(
            "/api/v1/pools",
            &json!({"id": "other", "name": "Other pool"}),
        )
        .await;
    r.expect_status(201);
    create_resources(&app, Some("other")).await;
    let other_client = create_app(
        &app,
        "m2m-other",
        &["client_credentials"],
        json!({"pool_id": "other"}),
    )
    .await;
    let (other_ak, other_sk) = create_access_account(&app, Some("other"), &["orders:read"]).await;
    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "orders:read"),
    ];
    let control = token(
        &app,
        s(&other_client, "issuer"),
        Auth::Basic(&other_ak, &other_sk),
        &form,
    )
    .await;
    control.expect_status(200);
    let control = token(&app, issuer, Auth::Basic(&good_ak, &good_sk), &form).await;
    control.expect_status(200);

    // A forged key: the shape of a real one, for this pool, never issued.
    let forged_ak = format!(
        "ak_default_{}",
        common::random_b64(16).replace(['-', '_'], "x")
    );
    let unknown_pool_ak = good_ak.replacen("ak_default_", "ak_nosuchpool_", 1);
    let cases: &[(&str, &str, &str)] = &[
        ("forged access key", &forged_ak, &good_sk),
        (
            "access key naming an unknown pool",
            &unknown_pool_ak,
            &good_sk,
        ),
        ("not an access key at all", "ak_", &good_sk),
        ("disabled access key", &disabled_ak, &disabled_sk),
        ("wrong secret key", &good_ak, &other_sk),
        ("empty secret key", &good_ak, ""),
        ("another key's secret", &good_ak, &disabled_sk),
        ("access key of another pool", &other_ak, &other_sk),
    ];
    for (case, ak, sk) in cases {
        for (how, auth) in [("basic", Auth::Basic(ak, sk)), ("post", Auth::Post(ak, sk))] {
            let r = token(&app, issuer, auth, &form).await;
            assert_oauth_error(&format!("{case} ({how})"), &r, 401, "invalid_client");
            assert!(
                r.json.get("access_token").is_none(),
                "{case} ({how}): {}",
                r.text
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Client credentials: the application itself
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_application_gets_a_token_for_its_own_permissions_only() {
    let app = TestApp::spawn().await;
    create_resources(&app, None).await;
    let client = create_app(
        &app,
        "svc",
        &["client_credentials"],
        json!({"permissions": ["orders:read"]}),
    )
    .await;
    let (issuer, id, secret) = (
        s(&client, "issuer"),
        s(&client, "client_id"),
        s(&client, "client_secret"),
    );

    let r = token(
        &app,
        issuer,
        Auth::Basic(id, secret),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "orders:read orders:write"),
        ],
    )
    .await;
    r.expect_status(200);
    assert_eq!(scope_set(s(&r.json, "scope")), set(&["orders:read"]));
    assert!(
        r.json.get("refresh_token").is_none() && r.json.get("id_token").is_none(),
        "{}",
        r.text
    );
    let c = jwt_claims(s(&r.json, "access_token"));
    assert_eq!(c["sub"], id, "sub is the client id; claims {c}");
    assert_eq!(
        audiences(&c["aud"]),
        vec![ORDERS_URI.to_string()],
        "claims {c}"
    );
    assert_eq!(
        scope_set(s(&c, "scope")),
        set(&["orders:read"]),
        "claims {c}"
    );

    let r = token(
        &app,
        issuer,
        Auth::Basic(id, secret),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "orders:write"),
        ],
    )
    .await;
    assert_oauth_error(
        "application asking for a permission it does not hold",
        &r,
        400,
        "invalid_scope",
    );

    let r = token(
        &app,
        issuer,
        Auth::Basic(id, "not-the-secret"),
        &[
            ("grant_type", "client_credentials"),
            ("scope", "orders:read"),
        ],
    )
    .await;
    assert_oauth_error("application with a wrong secret", &r, 401, "invalid_client");
}

#[tokio::test]
async fn client_credentials_at_an_application_that_did_not_tick_it_is_unauthorized_client() {
    let app = TestApp::spawn().await;
    create_resources(&app, None).await;
    // Default grants (authorization_code, refresh_token), yet holding a permission.
    let client = create_app(
        &app,
        "web",
        &["authorization_code", "refresh_token"],
        json!({"permissions": ["orders:read"]}),
    )
    .await;
    let (issuer, id, secret) = (
        s(&client, "issuer"),
        s(&client, "client_id"),
        s(&client, "client_secret"),
    );
    let (ak, sk) = create_access_account(&app, None, &["orders:read"]).await;

    let form = [
        ("grant_type", "client_credentials"),
        ("scope", "orders:read"),
    ];
    for (case, auth) in [
        ("the application's own secret", Auth::Basic(id, secret)),
        ("an access account", Auth::Basic(&ak, &sk)),
    ] {
        let r = token(&app, issuer, auth, &form).await;
        assert_oauth_error(case, &r, 400, "unauthorized_client");
        assert!(r.json.get("access_token").is_none(), "{case}: {}", r.text);
    }
}

// ---------------------------------------------------------------------------------------------
// Password mode
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn password_mode_issues_an_id_token_for_openid_and_a_working_refresh_token_for_offline_access(
) {
    let app = TestApp::spawn().await;
    let client = create_app(&app, "legacy", &["password", "refresh_token"], json!({})).await;
    let (issuer, id, secret) = (
        s(&client, "issuer"),
        s(&client, "client_id"),
        s(&client, "client_secret"),
    );
    let email = format!("{}@example.com", unique("mail"));
    let user = create_user(
        &app,
        json!({"email": email, "phone_number": "+15555550123"}),
    )
    .await;
    let (user_id, username) = (s(&user, "id"), s(&user, "username"));

    let t = password_tokens(&app, &client, username, "openid offline_access").await;
    let id_token = s(&t, "id_token");
    let c = jwt_claims(id_token);
    assert_eq!(c["sub"], user_id, "id_token sub; claims {c}");
    assert_eq!(
        audiences(&c["aud"]),
        vec![id.to_string()],
        "id_token aud; claims {c}"
    );
    assert_eq!(c["iss"], issuer, "id_token iss; claims {c}");
    let refresh = s(&t, "refresh_token");
    assert_eq!(
        userinfo(&app, issuer, s(&t, "access_token"))
            .await
            .expect_status(200)
            .json["sub"],
        user_id
    );

    let r = token(
        &app,
        issuer,
        Auth::Basic(id, secret),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await;
    r.expect_status(200);
    let fresh_at = s(&r.json, "access_token");
    assert_eq!(
        userinfo(&app, issuer, fresh_at)
            .await
            .expect_status(200)
            .json["sub"],
        user_id,
        "refreshed access token"
    );

    // No offline_access, no refresh token; no openid, no id_token.
    let t = password_tokens(&app, &client, username, "openid").await;
    assert!(t.get("id_token").is_some(), "openid alone: {t}");
    assert!(
        t.get("refresh_token").is_none(),
        "refresh token without offline_access: {t}"
    );
    let t = password_tokens(&app, &client, username, "offline_access").await;
    assert!(t.get("id_token").is_none(), "id_token without openid: {t}");
    assert!(
        t.get("refresh_token").is_some(),
        "offline_access alone: {t}"
    );

    // Email and phone number name the user too.
    for login in [email.as_str(), "+15555550123"] {
        let t = password_tokens(&app, &client, login, "openid").await;
        assert_eq!(
            jwt_claims(s(&t, "id_token"))["sub"],
            user_id,
            "signed in as {login}"
        );
    }
}

#[tokio::test]
async fn password_mode_at_an_application_that_has_not_ticked_it_is_unauthorized_client() {
    let app = TestApp::spawn().await;
    let client = create_app(
        &app,
        "web",
        &["authorization_code", "refresh_token", "client_credentials"],
        json!({}),
    )
    .await;
    let (issuer, id, secret) = (
        s(&client, "issuer"),
        s(&client, "client_id"),
        s(&client, "client_secret"),
    );
    let user = create_user(&app, json!({})).await;

    let r = token(
        &app,
        issuer,
        Auth::Basic(id, secret),
        &[
            ("grant_type", "password"),
            ("username", s(&user, "username")),
            ("password", PASSWORD),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_oauth_error("password grant not ticked", &r, 400, "unauthorized_client");
    assert!(r.json.get("access_token").is_none(), "{}", r.text);
}

#[tokio::test]
async fn an_unknown_user_and_a_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let client = create_app(&app, "legacy", &["password"], json!({})).await;
    let (issuer, id, secret) = (
        s(&client, "issuer"),
        s(&client, "client_id"),
        s(&client, "client_secret"),
    );
    let user = create_user(&app, json!({})).await;

    let attempt = |username: String, password: &'static str| {
        let app = &app;
        async move {
            token(
                app,
                issuer,
                Auth::Basic(id, secret),
                &[
                    ("grant_type", "password"),
                    ("username", &username),
                    ("password", password),
                    ("scope", "openid"),
                ],
            )
            .await
        }
    };
    let wrong = attempt(s(&user, "username").to_string(), "not the password").await;
    let unknown = attempt(unique("nobody"), "not the password").await;
    assert_oauth_error("wrong password", &wrong, 400, "invalid_grant");
    assert_oauth_error("unknown user", &unknown, 400, "invalid_grant");
    assert_eq!(
        wrong.json["error_description"], "invalid username or password",
        "{}",
        wrong.text
    );
    assert_eq!(
        wrong.text, unknown.text,
        "the bodies must not tell an unknown user from a wrong password"
    );
    assert_eq!(
        wrong.header("www-authenticate"),
        unknown.header("www-authenticate")
    );
}

#[tokio::test]
async fn a_blocked_user_is_refused_in_password_mode() {
    let app = TestApp::spawn().await;
    let client = create_app(&app, "legacy", &["password"], json!({})).await;
    let user = create_user(&app, json!({})).await;
    let (issuer, id, secret) = (
        s(&client, "issuer"),
        s(&client, "client_id"),
        s(&client, "client_secret"),
    );
    password_tokens(&app, &client, s(&user, "username"), "openid").await; // control

    let r = app
        .admin()
        .patch(
            &format!("/api/v1/users/{}", s(&user, "id")),
            &json!({"blocked": true}),
        )
        .await;
    r.expect_status(200);
    let r = token(
        &app,
        issuer,
        Auth::Basic(id, secret),
        &[
            ("grant_type", "password"),
            ("username", s(&user, "username")),
            ("password", PASSWORD),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_oauth_error(
        "blocked user with the right password",
        &r,
        400,
        "invalid_grant",
    );
    assert!(r.json.get("access_token").is_none(), "{}", r.text);
}

#[tokio::test]
async fn twenty_parallel_wrong_passwords_still_lock_the_account() {
    let app = TestApp::spawn().await;
    let client = create_app(&app, "legacy", &["password"], json!({})).await;
    let user = create_user(&app, json!({})).await;
    let (issuer, id, secret) = (
        s(&client, "issuer"),
        s(&client, "client_id"),
        s(&client, "client_secret"),
    );
    let username = s(&user, "username");

    let guesses = (0..20).map(|i| {
        let guess = format!("wrong guess {i}");
        let app = &app;
        async move {
            token(
                app,
                issuer,
                Auth::Basic(id, secret),
                &[
                    ("grant_type", "password"),
                    ("username", username),
                    ("password", &guess),
                    ("scope", "openid"),
                ],
            )
            .await
        }
    });
    let replies = futures::future::join_all(guesses).await;
    for (i, r) in replies.iter().enumerate() {
        assert_oauth_error(
            &format!("parallel wrong password #{i}"),
            r,
            400,
            "invalid_grant",
        );
    }

    let r = token(
        &app,
        issuer,
        Auth::Basic(id, secret),
        &[
            ("grant_type", "password"),
            ("username", username),
            ("password", PASSWORD),
            ("scope", "openid"),
        ],
    )
    .await;
    assert_oauth_error(
        "the right password on a locked account",
        &r,
        400,
        "invalid_grant",
    );
    assert_eq!(
        r.json["error_description"], "too many failed attempts; try again later",
        "the account should be locked after 20 parallel failures; body: {}",
        r.text
    );
}

// ---------------------------------------------------------------------------------------------
// Introspection (RFC 7662)
// ---------------------------------------------------------------------------------------------

/// Two confidential applications of the default pool ticking password + refresh_token, and a
/// user: the setting of the cross-client introspection and revocation tests.
async fn two_clients_and_a_user(app: &TestApp) -> (Value, Value, Value) {
    let a = create_app(app, "rp-a", &["password", "refresh_token"], json!({})).await;
    let b = create_app(app, "rp-b", &["password", "refresh_token"], json!({})).await;
    let user = create_user(app, json!({})).await;
    (a, b, user)
}

fn basic(client: &Value) -> Auth<'_> {
    Auth::Basic(s(client, "client_id"), s(client, "client_secret"))
}

#[tokio::test]
async fn introspection_shows_the_callers_own_tokens_with_their_fields() {
    let app = TestApp::spawn().await;
    let (a, _, user) = two_clients_and_a_user(&app).await;
    let issuer = s(&a, "issuer");
    let t = password_tokens(&app, &a, s(&user, "username"), "openid offline_access").await;
    let at = s(&t, "access_token");

    // Basic and post authentication both work.
    let post = Auth::Post(s(&a, "client_id"), s(&a, "client_secret"));
    for (how, auth) in [("basic", basic(&a)), ("post", post)] {
        let r = introspect(&app, issuer, auth, at, None).await;
        r.expect_status(200);
        let j = &r.json;
        assert_eq!(
            j["active"], true,
            "{how}: own access token; body {}",
            r.text
        );
        assert_eq!(j["client_id"], s(&a, "client_id"), "{how}: {}", r.text);
        assert_eq!(j["sub"], s(&user, "id"), "{how}: {}", r.text);
        assert_eq!(j["iss"], issuer, "{how}: {}", r.text);
        assert_eq!(j["token_type"], "access_token", "{how}: {}", r.text);
        assert!(
            scope_set(s(j, "scope")).contains("openid"),
            "{how}: scope {}",
            r.text
        );
        let claims = jwt_claims(at);
        assert_eq!(
            j["exp"], claims["exp"],
            "{how}: exp matches the token; {}",
            r.text
        );
        assert_eq!(
            j["iat"], claims["iat"],
            "{how}: iat matches the token; {}",
            r.text
        );
        assert!(
            j.get("aud").is_some_and(|v| !v.is_null()),
            "{how}: aud missing: {}",
            r.text
        );
        assert!(
            r.header("cache-control").contains("no-store"),
            "{how}: introspection must be no-store"
        );
    }

    // The refresh token, with the right hint, the wrong hint (RFC 7662 §2.1: the server must
    // search further) and none.
    let rt = s(&t, "refresh_token");
    for hint in [Some("refresh_token"), Some("access_token"), None] {
        let r = introspect(&app, issuer, basic(&a), rt, hint).await;
        r.expect_status(200);
        assert_eq!(
            r.json["active"], true,
            "own refresh token, hint {hint:?}: {}",
            r.text
        );
        assert_eq!(
            r.json["token_type"], "refresh_token",
            "hint {hint:?}: {}",
            r.text
        );
        assert_eq!(
            r.json["client_id"],
            s(&a, "client_id"),
            "hint {hint:?}: {}",
            r.text
        );
        assert_eq!(r.json["sub"], s(&user, "id"), "hint {hint:?}: {}", r.text);
        assert!(
            r.json["exp"].as_u64().is_some(),
            "hint {hint:?}: exp missing: {}",
            r.text
        );
    }
}

#[tokio::test]
async fn introspection_of_foreign_unknown_or_malformed_tokens_is_inactive() {
    let app = TestApp::spawn().await;
    let (a, b, user) = two_clients_and_a_user(&app).await;
    let t = password_tokens(&app, &a, s(&user, "username"), "openid offline_access").await;
    let at = s(&t, "access_token");
    let rt = s(&t, "refresh_token");
    // A well-formed JWT from this issuer, with its signature cut off and replaced.
    let mut parts: Vec<&str> = at.split('.').collect();
    let bogus_sig = URL_SAFE_NO_PAD.encode([0u8; 64]);
    parts[2] = &bogus_sig;
    let tampered = parts.join(".");

    let cases: &[(&str, &str)] = &[
        ("another client's access token", at),
        ("another client's refresh token", rt),
        ("an unknown opaque token", "this-token-was-never-issued"),
        ("a malformed JWT", "a.b.c"),
        ("an access token with a forged signature", &tampered),
    ];
    for (case, tok) in cases {
        let r = introspect(&app, s(&b, "issuer"), basic(&b), tok, None).await;
        r.expect_status(200);
        assert_eq!(
            r.json,
            json!({"active": false}),
            "{case}: only `active: false` may be disclosed"
        );
    }
    // The forged signature is inactive even for the client it names.
    let r = introspect(&app, s(&a, "issuer"), basic(&a), &tampered, None).await;
    assert_eq!(
        r.json,
        json!({"active": false}),
        "forged signature at its own client: {}",
        r.text
    );
}

#[tokio::test]
async fn introspection_without_client_authentication_is_refused() {
    let app = TestApp::spawn().await;
    let (a, _, user) = two_clients_and_a_user(&app).await;
    let issuer = s(&a, "issuer");
    let t = password_tokens(&app, &a, s(&user, "username"), "openid").await;
    let at = s(&t, "access_token");

    let id = s(&a, "client_id");
    let cases = [
        ("no authentication", Auth::Nothing),
        ("wrong secret (basic)", Auth::Basic(id, "wrong")),
        ("wrong secret (post)", Auth::Post(id, "wrong")),
        ("unknown client", Auth::Basic("no-such-client", "x")),
    ];
    for (case, auth) in cases {
        let r = introspect(&app, issuer, auth, at, None).await;
        assert_oauth_error(case, &r, 401, "invalid_client");
        assert!(
            r.json.get("active").is_none() && r.json.get("sub").is_none(),
            "{case}: must disclose nothing: {}",
            r.text
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Revocation (RFC 7009)
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn revoking_a_refresh_token_revokes_its_family_and_the_access_tokens_issued_from_it() {
    let app = TestApp::spawn().await;
    let (a, _, user) = two_clients_and_a_user(&app).await;
    let issuer = s(&a, "issuer");
    let t = password_tokens(&app, &a, s(&user, "username"), "openid offline_access").await;
    let first_at = s(&t, "access_token");
    let rt = s(&t, "refresh_token");
    // A second generation of the family: the rotated refresh token (if rotation is on) and a
    // second access token.
    let r = token(
        &app,
        issuer,
        basic(&a),
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await;
    r.expect_status(200);
    let second_at = s(&r.json, "access_token").to_string();
    let second_rt = r.json["refresh_token"].as_str().unwrap_or(rt).to_string();
    // An unrelated grant of the same user and client survives.
    let other = password_tokens(&app, &a, s(&user, "username"), "openid offline_access").await;

    // Revoke the newest refresh token of the family.
    let r = revoke(&app, issuer, basic(&a), &second_rt, Some("refresh_token")).await;
    r.expect_status(200);
    assert!(
        r.text.trim().is_empty() || r.text.trim() == "{}",
        "RFC 7009 §2.2: empty body; got {}",
        r.text
    );

    for (case, tok) in [
        ("first refresh token", rt),
        ("newest refresh token", second_rt.as_str()),
    ] {
        let r = token(
            &app,
            issuer,
            basic(&a),
            &[("grant_type", "refresh_token"), ("refresh_token", tok)],
        )
        .await;
        assert_oauth_error(
            &format!("refresh with the {case} after revocation"),
            &r,
            400,
            "invalid_grant",
        );
        let r = introspect(&app, issuer, basic(&a), tok, None).await;
        assert_eq!(r.json, json!({"active": false}), "{case} after revocation");
    }
    for (case, tok) in [
        ("first access token", first_at),
        ("second access token", second_at.as_str()),
    ] {
        let r = userinfo(&app, issuer, tok).await;
        assert_eq!(
            r.status,
            StatusCode::UNAUTHORIZED,
            "/me with the {case} of a revoked family; body {}",
            r.excerpt()
        );
        let r = introspect(&app, issuer, basic(&a), tok, None).await;
        assert_eq!(
            r.json,
            json!({"active": false}),
            "introspecting the {case} of a revoked family"
        );
    }

    // The other family is untouched.
    userinfo(&app, issuer, s(&other, "access_token"))
        .await
        .expect_status(200);
    let r = token(
        &app,
        issuer,
        basic(&a),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", s(&other, "refresh_token")),
        ],
    )
    .await;
    r.expect_status(200);
}

#[tokio::test]
async fn revoking_an_access_token_makes_userinfo_and_introspection_reject_it() {
    let app = TestApp::spawn().await;
    let (a, _, user) = two_clients_and_a_user(&app).await;
    let issuer = s(&a, "issuer");
    let t = password_tokens(&app, &a, s(&user, "username"), "openid offline_access").await;
    let at = s(&t, "access_token");
    let other = password_tokens(&app, &a, s(&user, "username"), "openid").await;
    userinfo(&app, issuer, at).await.expect_status(200); // control

    let r = revoke(&app, issuer, basic(&a), at, Some("access_token")).await;
    r.expect_status(200);

    let r = userinfo(&app, issuer, at).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "/me with a revoked access token; body {}",
        r.excerpt()
    );
    assert!(
        r.header("www-authenticate").contains("invalid_token"),
        "challenge: {}",
        r.header("www-authenticate")
    );
    let r = introspect(&app, issuer, basic(&a), at, None).await;
    assert_eq!(
        r.json,
        json!({"active": false}),
        "introspecting a revoked access token"
    );

    // Only that token: another access token of the user still works.
    userinfo(&app, issuer, s(&other, "access_token"))
        .await
        .expect_status(200);
}

#[tokio::test]
async fn revoking_an_unknown_token_answers_200() {
    let app = TestApp::spawn().await;
    let (a, _, _) = two_clients_and_a_user(&app).await;
    let issuer = s(&a, "issuer");
    for (case, tok, hint) in [
        ("unknown opaque token", "never-issued", None),
        (
            "unknown refresh token",
            "never-issued-either",
            Some("refresh_token"),
        ),
        ("malformed JWT", "a.b.c", Some("access_token")),
        ("unsupported hint", "never-issued", Some("something_else")),
    ] {
        let r = revoke(&app, issuer, basic(&a), tok, hint).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{case}: RFC 7009 §2.2 answers 200; body {}",
            r.excerpt()
        );
    }
    let r = revoke(
        &app,
        issuer,
        Auth::Basic(s(&a, "client_id"), "wrong"),
        "never-issued",
        None,
    )
    .await;
    assert_oauth_error(
        "revocation with a wrong client secret",
        &r,
        401,
        "invalid_client",
    );
}

#[tokio::test]
async fn another_clients_token_is_not_revoked() {
    let app = TestApp::spawn().await;
    let (a, b, user) = two_clients_and_a_user(&app).await;
    let t = password_tokens(&app, &a, s(&user, "username"), "openid offline_access").await;
    let (at, rt) = (s(&t, "access_token"), s(&t, "refresh_token"));

    for (case, tok) in [("access token", at), ("refresh token", rt)] {
        let r = revoke(&app, s(&b, "issuer"), basic(&b), tok, None).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "B revoking A's {case}: 200 per RFC 7009; body {}",
            r.excerpt()
        );
    }

    let issuer = s(&a, "issuer");
    userinfo(&app, issuer, at).await.expect_status(200);
    let r = introspect(&app, issuer, basic(&a), at, None).await;
    assert_eq!(
        r.json["active"], true,
        "A's access token after B tried to revoke it: {}",
        r.text
    );
    let r = introspect(&app, issuer, basic(&a), rt, None).await;
    assert_eq!(
        r.json["active"], true,
        "A's refresh token after B tried to revoke it: {}",
        r.text
    );
    let r = token(
        &app,
        issuer,
        basic(&a),
        &[("grant_type", "refresh_token"), ("refresh_token", rt)],
    )
    .await;
    r.expect_status(200);
}

// ---------------------------------------------------------------------------------------------
// RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0)
// ---------------------------------------------------------------------------------------------

const SESSION_COOKIE: &str = "dw_session_default";

/// The first string of the list `key` of `v`.
fn first<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key][0]
        .as_str()
        .unwrap_or_else(|| panic!("no `{key}[0]` in {v}"))
}

fn query_param(url: &str, key: &str) -> Option<String> {
    reqwest::Url::parse(url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

/// The hidden `csrf` field of the first form of a page.
fn csrf_of(r: &Reply) -> Option<String> {
    Form::parse(&r.text).and_then(|f| f.field("csrf").map(str::to_string))
}

fn owned(form: &[(&str, &str)]) -> Vec<(String, String)> {
    form.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A code-flow application with skip_consent and a registered post-logout URI.
async fn logout_app(app: &TestApp) -> Value {
    let mut body = app.application_body("rp");
    let sub = s(&body, "subdomain").to_string();
    body["post_logout_redirect_uris"] = json!([format!("https://{sub}.rp.example/signed-out")]);
    body["skip_consent"] = json!(true);
    app.create_application(body).await
}

fn authorize_params(client: &Value, prompt: Option<&str>) -> Vec<(&'static str, String)> {
    let mut p = vec![
        ("response_type", "code".to_string()),
        ("client_id", s(client, "client_id").to_string()),
        ("redirect_uri", first(&client, "redirect_uris").to_string()),
        ("scope", "openid".to_string()),
        ("state", "st-1".to_string()),
        ("nonce", "n-1".to_string()),
    ];
    if let Some(prompt) = prompt {
        p.push(("prompt", prompt.to_string()));
    }
    p
}

/// Signs `user` in through the hosted login page and exchanges the code; returns the id_token.
/// The browser then holds the SSO session cookie.
async fn sign_in(app: &TestApp, browser: &mut Browser, client: &Value, user: &Value) -> String {
    let issuer = s(client, "issuer");
    let params = authorize_params(client, None);
    let done = browser
        .sign_in(
            issuer,
            &params,
            s(user, "username"),
            PASSWORD,
            Consent::Allow,
        )
        .await
        .callback();
    let code = done.param("code").to_string();
    assert!(
        browser.cookie(SESSION_COOKIE).is_some(),
        "no {SESSION_COOKIE} cookie after signing in: {:?}",
        browser.jar
    );
    let t = token(
        app,
        issuer,
        basic(client),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", first(&client, "redirect_uris")),
        ],
    )
    .await;
    t.expect_status(200);
    s(&t.json, "id_token").to_string()
}

/// `prompt=none` answers with a code while the session lives, `login_required` once it ended.
async fn session_is_alive(browser: &mut Browser, client: &Value) -> bool {
    let issuer = s(client, "issuer");
    let cb = browser
        .authorize(issuer, &authorize_params(client, Some("none")))
        .await
        .callback();
    if cb.get("code").is_some() {
        return true;
    }
    assert_eq!(
        cb.get("error"),
        Some("login_required"),
        "prompt=none: {:?}",
        cb.params
    );
    false
}

fn session_end(client: &Value, params: &[(&str, &str)]) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        q.append_pair(k, v);
    }
    format!("{}/session/end?{}", s(client, "issuer"), q.finish())
}

#[tokio::test]
async fn logout_with_an_unregistered_post_logout_redirect_uri_shows_an_error_page_and_does_not_redirect(
) {
    let app = TestApp::spawn().await;
    let client = logout_app(&app).await;
    let user = create_user(&app, json!({})).await;
    let mut browser = Browser::new(&app);
    let id_token = sign_in(&app, &mut browser, &client, &user).await;
    let registered = first(&client, "post_logout_redirect_uris").to_string();

    let cases = [
        (
            "an attacker's URI",
            "https://evil.example/steal".to_string(),
        ),
        (
            "a registered URI with a different path",
            format!("{registered}/more"),
        ),
        (
            "a registered URI with an extra query",
            format!("{registered}?next=https://evil.example"),
        ),
        (
            "the login redirect_uri (not a post-logout URI)",
            first(&client, "redirect_uris").to_string(),
        ),
    ];
    for (case, uri) in &cases {
        for with_hint in [true, false] {
            let mut params = vec![
                ("post_logout_redirect_uri", uri.as_str()),
                ("state", "st-2"),
            ];
            if with_hint {
                params.push(("id_token_hint", &id_token));
            }
            let r = browser.get(&session_end(&client, &params)).await;
            let case = format!("{case}, hint: {with_hint}");
            assert_eq!(
                r.status,
                StatusCode::BAD_REQUEST,
                "{case}: status; body {}",
                r.excerpt()
            );
            assert!(
                r.headers.get(LOCATION).is_none(),
                "{case}: must not redirect, Location: {}",
                r.header("location")
            );
            assert!(
                r.header("content-type").contains("text/html"),
                "{case}: an HTML error page, got {}",
                r.header("content-type")
            );
            let lower = r.text.to_ascii_lowercase();
            assert!(
                !lower.contains("http-equiv=\"refresh\""),
                "{case}: no meta refresh on the error page"
            );
            assert!(
                !lower.contains("href=\"https://evil.example"),
                "{case}: the page must not link to the unregistered URI"
            );
        }
    }
    assert!(
        browser.cookie(SESSION_COOKIE).is_some(),
        "a refused logout must not clear the session cookie"
    );
    assert!(
        session_is_alive(&mut browser, &client).await,
        "a refused logout must not end the session"
    );
}

#[tokio::test]
async fn logout_with_a_valid_hint_ends_the_session_and_redirects_with_state() {
    let app = TestApp::spawn().await;
    let client = logout_app(&app).await;
    let user = create_user(&app, json!({})).await;
    let mut browser = Browser::new(&app);
    let id_token = sign_in(&app, &mut browser, &client, &user).await;
    assert!(
        session_is_alive(&mut browser, &client).await,
        "control: the session lives before logout"
    );
    let registered = first(&client, "post_logout_redirect_uris").to_string();

    let r = browser
        .get(&session_end(
            &client,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", &registered),
                ("state", "st-3"),
            ],
        ))
        .await;
    assert_eq!(
        r.status.as_u16(),
        303,
        "logout with a valid hint: body {}",
        r.excerpt()
    );
    let location = r.header("location");
    assert!(
        location.starts_with(&registered),
        "redirected to {location}, expected {registered}"
    );
    assert_eq!(
        query_param(location, "state").as_deref(),
        Some("st-3"),
        "state in {location}"
    );
    assert!(
        browser.cookie(SESSION_COOKIE).is_none(),
        "{SESSION_COOKIE} not cleared: {:?}",
        r.headers
    );
    assert!(
        !session_is_alive(&mut browser, &client).await,
        "prompt=none after logout must be login_required"
    );
}

#[tokio::test]
async fn logout_with_a_valid_hint_and_no_redirect_shows_the_signed_out_page_and_kills_the_old_cookie(
) {
    let app = TestApp::spawn().await;
    let client = logout_app(&app).await;
    let user = create_user(&app, json!({})).await;
    let mut browser = Browser::new(&app);
    let id_token = sign_in(&app, &mut browser, &client, &user).await;

    // The session cookie kept aside: replaying it after logout must not revive the session.
    let stolen = browser
        .cookie_full(SESSION_COOKIE)
        .cloned()
        .unwrap_or_else(|| panic!("no session cookie"));
    let url = format!("{}/session/end", s(&client, "issuer"));
    let r = browser
        .post_form(&url, &owned(&[("id_token_hint", &id_token)]))
        .await;
    r.expect_status(200);
    assert!(
        r.headers.get(LOCATION).is_none(),
        "no post_logout_redirect_uri, no redirect"
    );
    assert!(
        r.header("content-type").contains("text/html"),
        "{}",
        r.header("content-type")
    );
    assert!(
        csrf_of(&r).is_none(),
        "a valid hint needs no confirmation: {}",
        r.excerpt()
    );
    assert!(
        browser.cookie(SESSION_COOKIE).is_none(),
        "{SESSION_COOKIE} not cleared: {:?}",
        r.headers
    );
    browser.set_cookie(SESSION_COOKIE, &stolen.value, &stolen.path);
    assert!(
        !session_is_alive(&mut browser, &client).await,
        "the old session cookie must be dead server-side"
    );
}

#[tokio::test]
async fn logout_without_a_hint_asks_for_confirmation_and_only_a_confirmed_post_ends_the_session() {
    let app = TestApp::spawn().await;
    let client = logout_app(&app).await;
    let user = create_user(&app, json!({})).await;
    let mut browser = Browser::new(&app);
    sign_in(&app, &mut browser, &client, &user).await;
    let issuer = s(&client, "issuer");
    let registered = first(&client, "post_logout_redirect_uris").to_string();
    let confirm = format!("{issuer}/session/end/confirm");
    let ask = session_end(
        &client,
        &[("post_logout_redirect_uri", &registered), ("state", "st-4")],
    );

    // Without a hint (and with a garbage one) the user is asked; nothing ends yet.
    for params in [vec![], vec![("id_token_hint", "not-a-jwt")]] {
        let r = browser.get(&session_end(&client, &params)).await;
        r.expect_status(200);
        assert!(
            r.headers.get(LOCATION).is_none(),
            "confirmation page must not redirect"
        );
        assert!(
            csrf_of(&r).is_some(),
            "no csrf on the confirmation page: {}",
            r.excerpt()
        );
        assert!(
            r.text.contains(&confirm),
            "form action should be {confirm}: {}",
            r.excerpt()
        );
        assert!(
            browser.cookie("dw_logout").is_some(),
            "no dw_logout CSRF cookie: {:?}",
            r.headers
        );
        assert!(
            session_is_alive(&mut browser, &client).await,
            "showing the confirmation must not end the session"
        );
    }

    // A forged confirmation (wrong CSRF) ends nothing.
    browser.get(&ask).await.expect_status(200);
    let r = browser
        .post_form(&confirm, &owned(&[("csrf", "forged"), ("logout", "yes")]))
        .await;
    assert!(
        r.status.is_client_error(),
        "confirmation with a forged csrf: {} {}",
        r.status,
        r.excerpt()
    );
    assert!(
        session_is_alive(&mut browser, &client).await,
        "a forged confirmation must not end the session"
    );

    // Nor does a real CSRF token without its dw_logout cookie (a cross-site post).
    let r = browser.get(&ask).await;
    let csrf = csrf_of(&r).unwrap_or_else(|| panic!("no csrf: {}", r.excerpt()));
    let logout_cookie = browser
        .cookie_full("dw_logout")
        .cloned()
        .unwrap_or_else(|| panic!("no dw_logout cookie"));
    browser.remove_cookie("dw_logout");
    let r = browser
        .post_form(&confirm, &owned(&[("csrf", &csrf), ("logout", "yes")]))
        .await;
    assert!(
        r.status.is_client_error(),
        "confirmation without the dw_logout cookie: {} {}",
        r.status,
        r.excerpt()
    );
    assert!(
        session_is_alive(&mut browser, &client).await,
        "a confirmation without its cookie must not end the session"
    );
    browser.set_cookie("dw_logout", &logout_cookie.value, &logout_cookie.path);

    // "Stay signed in" keeps the session.
    let r = browser.get(&ask).await;
    let form = Form::parse(&r.text).unwrap_or_else(|| panic!("no form: {}", r.excerpt()));
    let mut answer = form.hidden.clone();
    answer.push(("logout".into(), "no".into()));
    browser.post_form(&confirm, &answer).await;
    assert!(
        session_is_alive(&mut browser, &client).await,
        "\"Stay signed in\" must keep the session"
    );

    // "Sign out" ends it, and goes to the registered URI with the state.
    let r = browser.get(&ask).await;
    let form = Form::parse(&r.text).unwrap_or_else(|| panic!("no form: {}", r.excerpt()));
    let mut answer = form.hidden.clone();
    answer.push(("logout".into(), "yes".into()));
    let r = browser.post_form(&confirm, &answer).await;
    assert!(
        matches!(r.status.as_u16(), 200 | 303),
        "confirming logout: {} {}",
        r.status,
        r.excerpt()
    );
    if r.status.as_u16() == 303 {
        let location = r.header("location");
        assert!(
            location.starts_with(&registered),
            "redirected to {location}"
        );
        assert_eq!(
            query_param(location, "state").as_deref(),
            Some("st-4"),
            "state in {location}"
        );
    }
    assert!(
        browser.cookie(SESSION_COOKIE).is_none(),
        "{SESSION_COOKIE} not cleared: {:?}",
        r.headers
    );
    assert!(
        !session_is_alive(&mut browser, &client).await,
        "prompt=none after a confirmed logout"
    );
}

// ---------------------------------------------------------------------------------------------
// Discovery
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn discovery_advertises_the_machine_and_legacy_endpoints_and_the_ticked_grants() {
    let app = TestApp::spawn().await;
    let cases: &[(&str, &[&str])] = &[
        ("machine", &["client_credentials"]),
        ("legacy", &["password", "refresh_token"]),
    ];
    for (prefix, grants) in cases {
        let client = create_app(&app, prefix, grants, json!({})).await;
        let issuer = s(&client, "issuer");
        let d = app
            .get_url(&format!("{issuer}/.well-known/openid-configuration"))
            .await;
        d.expect_status(200);
        for (key, path) in [
            ("introspection_endpoint", "/token/introspection"),
            ("revocation_endpoint", "/token/revocation"),
            ("end_session_endpoint", "/session/end"),
        ] {
            assert_eq!(d.json[key], format!("{issuer}{path}"), "{prefix}: {key}");
        }
        let advertised: BTreeSet<String> = d.json["grant_types_supported"]
            .as_array()
            .unwrap_or_else(|| panic!("{prefix}: no grant_types_supported: {}", d.text))
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect();
        assert_eq!(
            advertised,
            set(grants),
            "{prefix}: grant_types_supported vs the ticked grants"
        );
        for key in [
            "introspection_endpoint_auth_methods_supported",
            "revocation_endpoint_auth_methods_supported",
        ] {
            assert!(
                d.json[key].as_array().is_some_and(|l| !l.is_empty()),
                "{prefix}: {key} missing: {}",
                d.text
            );
        }
    }
}
