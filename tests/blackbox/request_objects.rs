//! Request objects at `/auth` (RFC 9101, OIDC Core §6): by value and by reference, signed with
//! the client's key or its secret, unsigned only where the client registered `none`; the
//! object's parameters win over the outer ones; a tampered, foreign or unregistered object is
//! refused with `invalid_request_object` / `invalid_request_uri` at the redirect URI.

use serde_json::{json, Value};

use crate::support::applications::{setup, Application, TestUser};
use crate::support::assertions::{unsigned, JwksServer, TestKey};
use crate::support::authorize::{code_params, sign_in, with, without};
use crate::support::browser::authorize_url;
use crate::support::jwt::claims;
use crate::support::tokens::redeem;
use crate::support::worker::TestApp;

struct Rp {
    app: TestApp,
    rp: Application,
    user: TestUser,
    key: TestKey,
}

async fn rp_with(metadata: Value) -> (Rp, Application) {
    let (app, rp, user) = setup().await;
    app.admin()
        .patch(
            &format!("/api/v1/applications/{}", rp.client_id),
            &json!({"dynamic_registration": "open"}),
        )
        .await
        .expect_status(200);
    let key = TestKey::es256(11);
    let mut body = json!({"redirect_uris": ["https://rp.example/cb"], "jwks": {"keys": [key.public_jwk("rk")]}});
    if let (Some(b), Value::Object(m)) = (body.as_object_mut(), metadata) {
        b.extend(m);
    }
    let client = app.register_client(&rp, body).await;
    (Rp { app, rp, user, key }, client)
}

fn object(client: &Application, extra: Value) -> Value {
    let mut c = json!({
        "iss": client.client_id, "aud": client.issuer, "client_id": client.client_id,
        "response_type": "code", "redirect_uri": client.redirect_uri, "scope": "openid",
        "state": "from-the-object", "nonce": "object-nonce",
    });
    if let (Some(o), Value::Object(m)) = (c.as_object_mut(), extra) {
        o.extend(m);
    }
    c
}

/// The outer request: only what OIDC Core §6.1 asks to be repeated outside.
fn outer(client: &Application) -> Vec<(&'static str, String)> {
    with(
        code_params(&client.client_id, &client.redirect_uri, "openid"),
        "state",
        "from-outside",
    )
}

#[tokio::test]
async fn a_signed_request_object_by_value_is_used_and_its_parameters_win() {
    let (t, client) = rp_with(json!({})).await;
    let jwt = t.key.sign(Some("rk"), &object(&client, json!({})));
    let cb = sign_in(
        &t.app,
        &client,
        &t.user,
        &with(outer(&client), "request", &jwt),
    )
    .await;
    assert_eq!(
        cb.param("state"),
        "from-the-object",
        "the object's state wins"
    );
    let tokens = redeem(&t.app, &client, cb.param("code"), None).await;
    tokens.expect_status(200);
    let id = claims(tokens.json["id_token"].as_str().unwrap_or_default());
    assert_eq!(
        id["nonce"], "object-nonce",
        "the nonce came from the object alone"
    );
    let _ = &t.rp;
}

#[tokio::test]
async fn a_request_object_by_reference_is_fetched_and_must_be_registered_when_any_are() {
    let (t, client) = rp_with(json!({})).await;
    let jwt = t.key.sign(Some("rk"), &object(&client, json!({})));
    let server = JwksServer::start_text(&jwt, "application/oauth-authz-req+jwt").await;
    let cb = sign_in(
        &t.app,
        &client,
        &t.user,
        &with(outer(&client), "request_uri", &server.url),
    )
    .await;
    assert_eq!(cb.param("state"), "from-the-object");

    // A client that registered request_uris may use only those.
    let (t, listed) = rp_with(json!({"request_uris": ["http://127.0.0.1:9/listed"]})).await;
    let jwt = t.key.sign(Some("rk"), &object(&listed, json!({})));
    let server = JwksServer::start_text(&jwt, "application/jwt").await;
    let r = t
        .app
        .get_url(&authorize_url(
            &listed.issuer,
            &with(outer(&listed), "request_uri", &server.url),
        ))
        .await;
    assert_eq!(r.status, 303, "{}", r.excerpt());
    assert!(
        r.header("location").contains("error=invalid_request_uri"),
        "{}",
        r.header("location")
    );
}

#[tokio::test]
async fn unsigned_objects_only_where_registered_and_bad_objects_are_refused_at_the_redirect() {
    let (t, client) = rp_with(json!({})).await;
    let other = TestKey::es256(12);
    let good = t.key.sign(Some("rk"), &object(&client, json!({})));
    let mut tampered = good.clone();
    tampered.insert(tampered.len() - 4, 'x');
    let cases: Vec<(&str, String)> = vec![
        (
            "unsigned, not registered",
            unsigned(&object(&client, json!({}))),
        ),
        ("tampered", tampered),
        (
            "signed by another key",
            other.sign(Some("rk"), &object(&client, json!({}))),
        ),
        (
            "another client's id inside",
            t.key.sign(
                Some("rk"),
                &object(&client, json!({"client_id": t.rp.client_id})),
            ),
        ),
        (
            "another audience",
            t.key.sign(
                Some("rk"),
                &object(&client, json!({"aud": "https://elsewhere.example"})),
            ),
        ),
        (
            "expired",
            t.key
                .sign(Some("rk"), &object(&client, json!({"exp": 1_000_000_000}))),
        ),
        ("not a JWT", "hello".to_string()),
    ];
    for (case, jwt) in cases {
        let r = t
            .app
            .get_url(&authorize_url(
                &client.issuer,
                &with(outer(&client), "request", &jwt),
            ))
            .await;
        assert_eq!(r.status, 303, "{case}: {}", r.excerpt());
        let location = r.header("location");
        assert!(
            location.starts_with(&client.redirect_uri),
            "{case}: {location}"
        );
        assert!(
            location.contains("error=invalid_request_object"),
            "{case}: {location}"
        );
        assert!(
            location.contains("state=from-outside"),
            "{case}: the outer state: {location}"
        );
    }
    // Both at once is a malformed request.
    let r = t
        .app
        .get_url(&authorize_url(
            &client.issuer,
            &with(
                with(outer(&client), "request", &good),
                "request_uri",
                "https://rp.example/r",
            ),
        ))
        .await;
    assert!(
        r.header("location").contains("error=invalid_request"),
        "{}",
        r.header("location")
    );

    // A client that registered `none` may send unsigned objects.
    let (t, plain) = rp_with(json!({"request_object_signing_alg": "none"})).await;
    let cb = sign_in(
        &t.app,
        &plain,
        &t.user,
        &with(
            without(outer(&plain), "state"),
            "request",
            &unsigned(&object(&plain, json!({}))),
        ),
    )
    .await;
    assert_eq!(cb.param("state"), "from-the-object");

    // Discovery says so.
    let doc = t
        .app
        .get_url(&format!(
            "{}/.well-known/openid-configuration",
            plain.issuer
        ))
        .await;
    assert_eq!(doc.json["request_parameter_supported"], true);
    assert_eq!(doc.json["request_uri_parameter_supported"], true);
}
