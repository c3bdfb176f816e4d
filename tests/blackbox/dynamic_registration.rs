//! Dynamic client registration (RFC 7591, OIDC Dynamic Client Registration 1.0) at
//! `{issuer}/reg` and client configuration management (RFC 7592): off by default, `open`, or
//! behind initial access tokens the admin mints. A registered client works at once — code,
//! implicit and hybrid flows and refresh — and its metadata is checked rule by rule.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::applications::{setup, Application};
use crate::support::authorize::{code_params, fresh_code, sign_in, with};
use crate::support::json::items;
use crate::support::jwt::claims;
use crate::support::tokens::{assert_oauth_error, redeem, refresh};
use crate::support::worker::{send, Reply, TestApp};

async fn open_registration(app: &TestApp, rp: &Application, mode: &str) {
    app.admin()
        .patch(
            &format!("/api/v1/applications/{}", rp.client_id),
            &json!({"dynamic_registration": mode}),
        )
        .await
        .expect_status(200);
}

async fn call(
    app: &TestApp,
    method: Method,
    url: &str,
    token: Option<&str>,
    body: Option<&Value>,
) -> Reply {
    let mut rb = app.at(method, url);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    if let Some(b) = body {
        rb = rb.json(b);
    }
    send(rb).await
}

fn field<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_default()
}

#[tokio::test]
async fn registration_is_off_by_default_and_advertised_only_when_on() {
    let (app, rp, _) = setup().await;
    let discovery = format!("{}/.well-known/openid-configuration", rp.issuer);
    let doc = app.get_url(&discovery).await;
    assert!(
        doc.json.get("registration_endpoint").is_none(),
        "{}",
        doc.text
    );
    let r = app
        .post_json(
            &format!("{}/reg", rp.issuer),
            None,
            &json!({"redirect_uris": ["https://rp.example/cb"]}),
        )
        .await;
    assert_eq!(
        r.status, 404,
        "no registration endpoint while off: {}",
        r.text
    );

    open_registration(&app, &rp, "open").await;
    let doc = app.get_url(&discovery).await;
    assert_eq!(
        doc.json["registration_endpoint"],
        format!("{}/reg", rp.issuer)
    );
    // With registration on, every registrable type is advertised, the password grant never.
    let rts = crate::support::json::str_set(&doc.json["response_types_supported"]);
    assert!(rts.contains("code id_token token"), "{}", doc.text);
    assert!(
        !crate::support::json::str_list(&doc.json["grant_types_supported"])
            .contains(&"password".to_string())
    );

    // RFC 8414 metadata: beside the OIDC document, and at the path-inserted location.
    let beside = app
        .get_url(&format!(
            "{}/.well-known/oauth-authorization-server",
            rp.issuer
        ))
        .await;
    beside.expect_status(200);
    assert_eq!(beside.json, doc.json);
    let url = reqwest::Url::parse(&rp.issuer).unwrap_or_else(|e| panic!("{e}"));
    let inserted = format!(
        "{}://{}/.well-known/oauth-authorization-server{}",
        url.scheme(),
        url.host_str().unwrap_or_default().to_string()
            + &url.port().map(|p| format!(":{p}")).unwrap_or_default(),
        url.path()
    );
    let r = app.get_url(&inserted).await;
    r.expect_status(200);
    assert_eq!(r.json["issuer"], rp.issuer.as_str());
    assert_eq!(
        r.json["registration_endpoint"],
        format!("{}/reg", rp.issuer)
    );
}

/// The "done when": with nothing but `dynamic_registration: open`, a client that
/// registers itself runs the code, implicit and hybrid flows and refreshes.
#[tokio::test]
async fn a_self_registered_client_runs_every_flow_at_once() {
    let (app, rp, user) = setup().await;
    open_registration(&app, &rp, "open").await;
    let client = app
        .register_client(
            &rp,
            json!({
                "client_name": "Conformance RP",
                "redirect_uris": ["https://rp.example/cb"],
                "grant_types": ["authorization_code", "implicit", "refresh_token"],
                "response_types": ["code", "id_token", "id_token token", "code id_token", "code token", "code id_token token"],
                "id_token_signed_response_alg": "ES256",
                "contacts": ["ops@rp.example"],
            }),
        )
        .await;
    let reg = &client.created;
    assert!(
        !field(reg, "client_secret").is_empty(),
        "a confidential client gets a secret: {reg}"
    );
    assert_eq!(reg["client_secret_expires_at"], 0);
    assert!(!field(reg, "registration_access_token").is_empty());
    assert_eq!(
        field(reg, "registration_client_uri"),
        format!("{}/reg/{}", rp.issuer, client.client_id)
    );
    assert_eq!(reg["id_token_signed_response_alg"], "ES256");

    // Code flow with refresh, at once (no waiting for KV).
    let code = fresh_code(
        &app,
        &client,
        &user,
        "openid offline_access",
        &[("prompt", "consent".into())],
    )
    .await;
    let tokens = redeem(&app, &client, &code, None).await;
    tokens.expect_status(200);
    let id_token = field(&tokens.json, "id_token");
    assert_eq!(crate::support::jwt::header(id_token)["alg"], "ES256");
    assert_eq!(claims(id_token)["aud"], client.client_id.as_str());
    let rt = field(&tokens.json, "refresh_token").to_string();
    let refreshed = refresh(&app, &client, &rt, None).await;
    refreshed.expect_status(200);

    // Implicit and hybrid.
    for rt in [
        "id_token",
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
    ] {
        let params = with(
            with(
                code_params(&client.client_id, &client.redirect_uri, "openid"),
                "response_type",
                rt,
            ),
            "nonce",
            "n-0S6_WzA2Mj",
        );
        let cb = sign_in(&app, &client, &user, &params).await;
        for part in rt.split(' ') {
            let key = if part == "token" {
                "access_token"
            } else {
                part
            };
            assert!(!cb.param(key).is_empty(), "{rt}: {key} in the response");
        }
        if rt.contains("id_token") {
            assert_eq!(
                claims(cb.param("id_token"))["aud"],
                client.client_id.as_str(),
                "{rt}"
            );
        }
    }
}

/// KV can take a minute to show a new client at another edge (and caches "not found"): with
/// the client's KV mirror gone, the registry object answers and the client still works.
#[tokio::test]
async fn a_registered_client_works_before_kv_has_it() {
    let (app, rp, user) = setup().await;
    open_registration(&app, &rp, "open").await;
    let client = app
        .register_client(&rp, json!({"redirect_uris": ["https://rp.example/cb"]}))
        .await;
    let r = app
        .admin()
        .request(
            Method::DELETE,
            &format!("/api/v1/debug/client-mirror/{}", client.client_id),
        )
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    assert_eq!(r, 204);
    let code = fresh_code(&app, &client, &user, "openid", &[]).await;
    let tokens = redeem(&app, &client, &code, None).await;
    assert_eq!(
        tokens.status, 200,
        "read from the registry object: {}",
        tokens.text
    );
}

#[tokio::test]
async fn registration_round_trips_read_update_and_delete_with_the_registration_token() {
    let (app, rp, user) = setup().await;
    open_registration(&app, &rp, "open").await;
    let client = app
        .register_client(
            &rp,
            json!({"redirect_uris": ["https://rp.example/cb"], "client_name": "One"}),
        )
        .await;
    let uri = field(&client.created, "registration_client_uri").to_string();
    let token = field(&client.created, "registration_access_token").to_string();

    // Read.
    let read = call(&app, Method::GET, &uri, Some(&token), None).await;
    read.expect_status(200);
    assert_eq!(read.json["client_name"], "One");
    assert_eq!(read.json["client_id"], client.client_id.as_str());
    assert_eq!(read.header("cache-control"), "no-store");
    // Without the token, with another token, or for another client: 401.
    let other = app
        .register_client(&rp, json!({"redirect_uris": ["https://other.example/cb"]}))
        .await;
    let other_token = field(&other.created, "registration_access_token").to_string();
    for (case, t) in [
        ("no token", None),
        ("a wrong token", Some("nope")),
        ("another client's token", Some(other_token.as_str())),
    ] {
        let r = call(&app, Method::GET, &uri, t, None).await;
        assert_eq!(r.status, 401, "{case}: {}", r.text);
        assert!(r.header("www-authenticate").starts_with("Bearer"), "{case}");
    }

    // Update (a full replacement): new name and redirect URI; the secret stays.
    let mut body = read.json.clone();
    body["client_name"] = json!("One, renamed");
    body["redirect_uris"] = json!(["https://rp.example/new-cb"]);
    let updated = call(&app, Method::PUT, &uri, Some(&token), Some(&body)).await;
    updated.expect_status(200);
    assert_eq!(updated.json["client_name"], "One, renamed");
    assert_eq!(updated.json["client_secret"], client.client_secret.as_str());
    // The old redirect URI is no longer registered; the new one works.
    let old = app
        .get_url(&crate::support::browser::authorize_url(
            &rp.issuer,
            &code_params(&client.client_id, "https://rp.example/cb", "openid"),
        ))
        .await;
    assert_eq!(
        old.status,
        400,
        "the replaced redirect URI: {}",
        old.excerpt()
    );
    let moved = Application {
        redirect_uri: "https://rp.example/new-cb".into(),
        ..client.clone()
    };
    let code = fresh_code(&app, &moved, &user, "openid", &[]).await;
    redeem(&app, &moved, &code, None).await.expect_status(200);
    // An update may not change the id or choose the secret.
    for (case, key, value) in [
        ("another client_id", "client_id", json!("x")),
        ("a chosen secret", "client_secret", json!("mine")),
    ] {
        let mut b = body.clone();
        b[key] = value;
        let r = call(&app, Method::PUT, &uri, Some(&token), Some(&b)).await;
        assert_oauth_error(case, &r, 400, "invalid_client_metadata");
    }

    // The admin sees it, marked as registered.
    let list = app
        .admin()
        .get(&format!("/api/v1/applications/{}/clients", rp.client_id))
        .await;
    let found = items(&list)
        .iter()
        .find(|c| c["client_id"] == client.client_id.as_str())
        .cloned()
        .unwrap_or_default();
    assert_eq!(found["origin"], "dynamic", "{}", list.text);

    // Delete: gone, and its token with it.
    let r = call(&app, Method::DELETE, &uri, Some(&token), None).await;
    assert_eq!(r.status, 204, "{}", r.text);
    let r = call(&app, Method::GET, &uri, Some(&token), None).await;
    assert_eq!(r.status, 401);
    let r = redeem(&app, &moved, "whatever", None).await;
    assert_oauth_error("a deleted registration", &r, 401, "invalid_client");
}

#[tokio::test]
async fn metadata_rules_are_enforced_field_by_field() {
    let (app, rp, _) = setup().await;
    open_registration(&app, &rp, "open").await;
    let cb = json!(["https://rp.example/cb"]);
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "web client with http",
            json!({"redirect_uris": ["http://rp.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            "web client with a private scheme",
            json!({"redirect_uris": ["com.example.app:/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            "native client with an http host",
            json!({"application_type": "native", "redirect_uris": ["http://rp.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            "javascript: scheme",
            json!({"redirect_uris": ["javascript:alert(1)"]}),
            "invalid_redirect_uri",
        ),
        (
            "data: scheme",
            json!({"redirect_uris": ["data:text/html,hi"]}),
            "invalid_redirect_uri",
        ),
        (
            "fragment",
            json!({"redirect_uris": ["https://rp.example/cb#x"]}),
            "invalid_redirect_uri",
        ),
        (
            "wildcard",
            json!({"redirect_uris": ["https://*.rp.example/cb"]}),
            "invalid_redirect_uri",
        ),
        (
            "no redirect URI for code",
            json!({}),
            "invalid_redirect_uri",
        ),
        (
            "code without its grant",
            json!({"redirect_uris": cb, "response_types": ["code"], "grant_types": ["implicit"]}),
            "invalid_client_metadata",
        ),
        (
            "implicit grant without its response type",
            json!({"redirect_uris": cb, "response_types": ["code"], "grant_types": ["authorization_code", "implicit"]}),
            "invalid_client_metadata",
        ),
        (
            "the password grant",
            json!({"grant_types": ["password"]}),
            "invalid_client_metadata",
        ),
        (
            "a public machine client",
            json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"}),
            "invalid_client_metadata",
        ),
        (
            "http policy page",
            json!({"redirect_uris": cb, "policy_uri": "http://rp.example/privacy"}),
            "invalid_client_metadata",
        ),
        (
            "jwks_uri at a private address",
            json!({"redirect_uris": cb, "jwks_uri": "https://10.0.0.1/jwks"}),
            "invalid_client_metadata",
        ),
        (
            "private_key_jwt without keys",
            json!({"redirect_uris": cb, "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
        ),
        (
            "pairwise subjects across hosts without a sector document",
            json!({"redirect_uris": ["https://a.rp.example/cb", "https://b.rp.example/cb"], "subject_type": "pairwise"}),
            "invalid_client_metadata",
        ),
        (
            "an unsupported request object algorithm",
            json!({"redirect_uris": cb, "request_object_signing_alg": "HS512"}),
            "invalid_client_metadata",
        ),
        (
            "encrypted userinfo, not supported",
            json!({"redirect_uris": cb, "userinfo_encrypted_response_alg": "RSA-OAEP"}),
            "invalid_client_metadata",
        ),
        (
            "unsigned userinfo by name",
            json!({"redirect_uris": cb, "userinfo_signed_response_alg": "none"}),
            "invalid_client_metadata",
        ),
        ("not an object", json!(["x"]), "invalid_client_metadata"),
    ];
    for (case, body, error) in cases {
        let r = app
            .post_json(&format!("{}/reg", rp.issuer), None, &body)
            .await;
        assert_oauth_error(case, &r, 400, error);
        assert!(
            !field(&r.json, "error_description").is_empty(),
            "{case}: the field is named"
        );
    }
    // Accepted: a native client on loopback (any port at /auth) and a private-use scheme.
    let native = app
        .register_client(
            &rp,
            json!({"application_type": "native", "token_endpoint_auth_method": "none",
            "redirect_uris": ["http://127.0.0.1/callback", "com.example.app:/oauth2redirect"]}),
        )
        .await;
    assert!(
        native.created.get("client_secret").is_none(),
        "a public client has no secret"
    );
    let params = with(
        code_params(
            &native.client_id,
            "http://127.0.0.1:51234/callback",
            "openid",
        ),
        "code_challenge",
        "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
    );
    let r = app
        .get_url(&crate::support::browser::authorize_url(&rp.issuer, &params))
        .await;
    assert_eq!(
        r.status,
        303,
        "a loopback redirect on another port: {}",
        r.excerpt()
    );
}

#[tokio::test]
async fn initial_access_tokens_gate_registration_and_count_their_uses() {
    let (app, rp, _) = setup().await;
    open_registration(&app, &rp, "initial_access_token").await;
    let reg = format!("{}/reg", rp.issuer);
    let body = json!({"redirect_uris": ["https://rp.example/cb"]});

    let r = app.post_json(&reg, None, &body).await;
    assert_eq!(r.status, 401, "no token: {}", r.text);
    let r = app.post_json(&reg, Some("made-up"), &body).await;
    assert_oauth_error("an unknown token", &r, 401, "invalid_token");

    let tokens = format!(
        "/api/v1/applications/{}/initial-access-tokens",
        rp.client_id
    );
    let minted = app
        .admin()
        .post(&tokens, &json!({"uses": 2, "expires_in": 3600}))
        .await;
    minted.expect_status(201);
    let iat = field(&minted.json, "initial_access_token").to_string();
    assert_eq!(minted.json["uses_left"], 2);
    let listed = app.admin().get(&tokens).await;
    assert!(
        !listed.text.contains(&iat),
        "the token is shown once only: {}",
        listed.text
    );
    assert_eq!(items(&listed)[0]["uses_left"], 2);

    for n in 1..=2 {
        let r = app.post_json(&reg, Some(&iat), &body).await;
        assert_eq!(r.status, 201, "use {n}: {}", r.text);
    }
    let r = app.post_json(&reg, Some(&iat), &body).await;
    assert_oauth_error("a used-up token", &r, 401, "invalid_token");

    // A revoked token is refused at once.
    let minted = app.admin().post(&tokens, &json!({})).await;
    let iat = field(&minted.json, "initial_access_token").to_string();
    let id = field(&minted.json, "id").to_string();
    app.admin()
        .request(Method::DELETE, &format!("{tokens}/{id}"))
        .send()
        .await
        .map(|r| r.status().as_u16())
        .map(|s| assert_eq!(s, 204))
        .unwrap_or_else(|e| panic!("{e}"));
    let r = app.post_json(&reg, Some(&iat), &body).await;
    assert_oauth_error("a revoked token", &r, 401, "invalid_token");
    // Bad mint requests name the field.
    for (case, b, f) in [
        ("too long", json!({"expires_in": 999_999_999}), "expires_in"),
        ("no uses", json!({"uses": 0}), "uses"),
        ("unknown", json!({"scope": "x"}), "scope"),
    ] {
        let r = app.admin().post(&tokens, &b).await;
        crate::support::json::assert_invalid_field(case, &r, Some(f));
    }
}

#[tokio::test]
async fn registrations_are_rate_limited_per_source() {
    let (app, rp, _) = setup().await;
    open_registration(&app, &rp, "open").await;
    let body = json!({"redirect_uris": ["https://rp.example/cb"]});
    let reg = format!("{}/reg", rp.issuer);
    for n in 0..20 {
        let r = app.post_json(&reg, None, &body).await;
        assert_eq!(r.status, 201, "registration {n}: {}", r.text);
    }
    let r = app.post_json(&reg, None, &body).await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert!(
        r.header("retry-after").parse::<u64>().is_ok_and(|s| s > 0),
        "Retry-After"
    );
}
