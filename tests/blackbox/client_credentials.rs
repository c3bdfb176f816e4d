//! The client credentials grant (RFC 6749 §4.4): programmatic access accounts (AK/SK) get exactly
//! the subset of the requested permissions they hold (by scope, wildcard or RFC 8707
//! `resource`), one audience per token; forged, unknown, disabled, wrong-secret and other-pool
//! keys are refused; an application gets a token for its own permissions only, and only if it
//! ticked the grant and is a confidential client.
//!
//! Not covered, on purpose: an *expired* access key. AK/SK accounts have no expiry yet, so the
//! refused-key table uses a *disabled* account instead.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::applications::Application;
use crate::support::json::{field, set, str_list};
use crate::support::jwt;
use crate::support::tokens::{assert_oauth_error, audiences, client_credentials, scope_set, Auth};
use crate::support::worker::{random_b64, TestApp};

const ORDERS_URI: &str = "https://api.example.com/orders";
const INVOICES_URI: &str = "https://api.example.com/invoices";

// ---------------------------------------------------------------------------------------------
// Set-up
// ---------------------------------------------------------------------------------------------

/// Creates the `orders` and `invoices` resources in `pool` (None = the default pool).
pub(crate) async fn create_resources(app: &TestApp, pool: Option<&str>) {
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
pub(crate) async fn create_access_account(
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
    let ak = field(&r.json, "access_key").to_string();
    let sk = field(&r.json, "secret_key").to_string();
    let pool_name = pool.unwrap_or("default");
    assert!(
        ak.starts_with(&format!("ak_{pool_name}_")),
        "access key `{ak}` does not name its pool {pool_name}"
    );
    (ak, sk)
}

// ---------------------------------------------------------------------------------------------
// Client credentials: AK/SK accounts
// ---------------------------------------------------------------------------------------------

/// The fixture of the machine tests: the two resources, and an application of the default pool
/// that ticks client_credentials (and holds nothing itself).
async fn machine_app(app: &TestApp) -> Application {
    create_resources(app, None).await;
    app.create_application(json!({"grant_types": ["client_credentials"]}))
        .await
}

#[tokio::test]
async fn an_access_account_gets_exactly_the_subset_of_requested_permissions_it_holds() {
    let app = TestApp::spawn().await;
    let client = machine_app(&app).await;
    let issuer = client.issuer.as_str();
    let (ak, sk) = create_access_account(&app, None, &["orders:read", "orders:write"]).await;

    // Both ways of presenting the key (RFC 6749 §2.3.1) give the same grant.
    for (how, auth) in [
        ("basic", Auth::Basic(&ak, &sk)),
        ("post", Auth::Post(&ak, &sk)),
    ] {
        let r = client_credentials(
            &app,
            issuer,
            auth,
            &[("scope", "orders:read orders:delete orders:write")],
        )
        .await;
        r.expect_status(200);
        assert_eq!(
            scope_set(field(&r.json, "scope")),
            set(&["orders:read", "orders:write"]),
            "{how}: response scope"
        );
        assert!(
            field(&r.json, "token_type").eq_ignore_ascii_case("bearer"),
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

        let at = field(&r.json, "access_token");
        // RFC 9068 §2.1: a JWT access token says so in `typ`.
        assert_eq!(
            jwt::header(at)["typ"]
                .as_str()
                .map(str::to_ascii_lowercase)
                .as_deref(),
            Some("at+jwt"),
            "{how}: header"
        );
        let c = jwt::claims(at);
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
            scope_set(field(&c, "scope")),
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
    let issuer = client.issuer.as_str();
    let (ak, sk) = create_access_account(&app, None, &["orders:*"]).await;

    let r = client_credentials(
        &app,
        issuer,
        Auth::Basic(&ak, &sk),
        &[("scope", "orders:delete orders:read")],
    )
    .await;
    r.expect_status(200);
    assert_eq!(
        scope_set(field(&r.json, "scope")),
        set(&["orders:delete", "orders:read"])
    );
    let c = jwt::claims(field(&r.json, "access_token"));
    assert_eq!(
        scope_set(field(&c, "scope")),
        set(&["orders:delete", "orders:read"]),
        "claims {c}"
    );

    // The wildcard is on orders, not on invoices.
    let r = client_credentials(
        &app,
        issuer,
        Auth::Basic(&ak, &sk),
        &[("scope", "invoices:read")],
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
    let issuer = client.issuer.as_str();
    let (ak, sk) = create_access_account(
        &app,
        None,
        &["orders:read", "orders:write", "invoices:read"],
    )
    .await;

    // RFC 8707 names the resource by URI; the code is accepted too.
    for resource in [ORDERS_URI, "orders"] {
        let r = client_credentials(
            &app,
            issuer,
            Auth::Basic(&ak, &sk),
            &[("resource", resource)],
        )
        .await;
        r.expect_status(200);
        assert_eq!(
            scope_set(field(&r.json, "scope")),
            set(&["orders:read", "orders:write"]),
            "resource={resource}"
        );
        let c = jwt::claims(field(&r.json, "access_token"));
        assert_eq!(
            audiences(&c["aud"]),
            vec![ORDERS_URI.to_string()],
            "resource={resource}: claims {c}"
        );
        assert_eq!(
            scope_set(field(&c, "scope")),
            set(&["orders:read", "orders:write"]),
            "resource={resource}: claims {c}"
        );
    }

    // resource + scope: the scope narrows within the resource.
    let r = client_credentials(
        &app,
        issuer,
        Auth::Basic(&ak, &sk),
        &[
            ("resource", INVOICES_URI),
            ("scope", "invoices:read invoices:write"),
        ],
    )
    .await;
    r.expect_status(200);
    assert_eq!(scope_set(field(&r.json, "scope")), set(&["invoices:read"]));
    assert_eq!(
        audiences(&jwt::claims(field(&r.json, "access_token"))["aud"]),
        vec![INVOICES_URI.to_string()]
    );
}

#[tokio::test]
async fn requesting_nothing_the_caller_holds_is_invalid_scope() {
    let app = TestApp::spawn().await;
    let client = machine_app(&app).await;
    let issuer = client.issuer.as_str();
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
        let r = client_credentials(&app, issuer, Auth::Basic(&ak, &sk), extra).await;
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
    let issuer = client.issuer.as_str();
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
    let other_client = app
        .create_application(json!({"grant_types": ["client_credentials"], "pool_id": "other"}))
        .await;
    let (other_ak, other_sk) = create_access_account(&app, Some("other"), &["orders:read"]).await;
    let form = [("scope", "orders:read")];
    let control = client_credentials(
        &app,
        &other_client.issuer,
        Auth::Basic(&other_ak, &other_sk),
        &form,
    )
    .await;
    control.expect_status(200);
    let control = client_credentials(&app, issuer, Auth::Basic(&good_ak, &good_sk), &form).await;
    control.expect_status(200);

    // A forged key: the shape of a real one, for this pool, never issued.
    let forged_ak = format!("ak_default_{}", random_b64(16).replace(['-', '_'], "x"));
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
            let r = client_credentials(&app, issuer, auth, &form).await;
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
    let client = app
        .create_application(json!({
            "grant_types": ["client_credentials"],
            "permissions": ["orders:read"],
        }))
        .await;
    let (issuer, id, secret) = (
        client.issuer.as_str(),
        client.client_id.as_str(),
        client.client_secret.as_str(),
    );

    let r = client_credentials(
        &app,
        issuer,
        Auth::Basic(id, secret),
        &[("scope", "orders:read orders:write")],
    )
    .await;
    r.expect_status(200);
    assert_eq!(scope_set(field(&r.json, "scope")), set(&["orders:read"]));
    assert!(
        r.json.get("refresh_token").is_none() && r.json.get("id_token").is_none(),
        "{}",
        r.text
    );
    let c = jwt::claims(field(&r.json, "access_token"));
    assert_eq!(c["sub"], id, "sub is the client id; claims {c}");
    assert_eq!(
        audiences(&c["aud"]),
        vec![ORDERS_URI.to_string()],
        "claims {c}"
    );
    assert_eq!(
        scope_set(field(&c, "scope")),
        set(&["orders:read"]),
        "claims {c}"
    );

    let r = client_credentials(
        &app,
        issuer,
        Auth::Basic(id, secret),
        &[("scope", "orders:write")],
    )
    .await;
    assert_oauth_error(
        "application asking for a permission it does not hold",
        &r,
        400,
        "invalid_scope",
    );

    let r = client_credentials(
        &app,
        issuer,
        Auth::Basic(id, "not-the-secret"),
        &[("scope", "orders:read")],
    )
    .await;
    assert_oauth_error("application with a wrong secret", &r, 401, "invalid_client");
}

#[tokio::test]
async fn client_credentials_at_an_application_that_did_not_tick_it_is_unauthorized_client() {
    let app = TestApp::spawn().await;
    create_resources(&app, None).await;
    // Default grants (authorization_code, refresh_token), yet holding a permission.
    let client = app
        .create_application(json!({
            "grant_types": ["authorization_code", "refresh_token"],
            "permissions": ["orders:read"],
        }))
        .await;
    let (ak, sk) = create_access_account(&app, None, &["orders:read"]).await;

    let form = [("scope", "orders:read")];
    for (case, auth) in [
        ("the application's own secret", client.basic()),
        ("an access account", Auth::Basic(&ak, &sk)),
    ] {
        let r = client_credentials(&app, &client.issuer, auth, &form).await;
        assert_oauth_error(case, &r, 400, "unauthorized_client");
        assert!(r.json.get("access_token").is_none(), "{case}: {}", r.text);
    }
}

/// RFC 6749 §4.4: only a confidential client may use the grant. A public application whose
/// stored record ticks client_credentials (records written before the admin API refused that
/// combination can) authenticates with its client id alone and must get no token, even for a
/// permission it holds. The record is written as it is through the admin-only debug probe.
#[tokio::test]
async fn a_public_application_stored_with_client_credentials_is_unauthorized_client() {
    let app = TestApp::spawn().await;
    create_resources(&app, None).await;
    let client = app
        .create_application(json!({"token_endpoint_auth_method": "none"}))
        .await;
    let path = format!("/api/v1/applications/{}", client.client_id);
    let view = app.admin().get(&path).await;
    view.expect_status(200);

    // The stored record: the admin view without its view-only `issuer`, with the sealed secret
    // the view leaves out, ticking the grant and holding a permission.
    let mut record = view.json.clone();
    if let Some(o) = record.as_object_mut() {
        o.remove("issuer");
    }
    let mut grants = str_list(&view.json["grant_types"]);
    grants.push("client_credentials".into());
    record["grant_types"] = json!(grants);
    record["token_endpoint_auth_method"] = json!("none");
    record["client_secret_encrypted"] = json!("");
    record["permissions"] = json!(["orders:read"]);
    let r = app
        .admin()
        .put("/api/v1/debug/raw-application", &record)
        .await;
    assert!(
        r.status.is_success(),
        "PUT /api/v1/debug/raw-application: {} {}",
        r.status,
        r.excerpt()
    );
    let stored = app.admin().get(&path).await;
    stored.expect_status(200);
    assert!(
        str_list(&stored.json["grant_types"]).contains(&"client_credentials".to_string()),
        "the record was stored as written: {}",
        stored.text
    );

    let cases: [(&str, &[(&str, &str)]); 2] = [
        ("no scope", &[]),
        ("a permission it holds", &[("scope", "orders:read")]),
    ];
    for (case, params) in cases {
        let auth = Auth::Id(&client.client_id);
        let r = client_credentials(&app, &client.issuer, auth, params).await;
        assert_oauth_error(case, &r, 400, "unauthorized_client");
        assert!(r.json.get("access_token").is_none(), "{case}: {}", r.text);
    }
}
