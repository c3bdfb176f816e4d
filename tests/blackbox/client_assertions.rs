//! Client authentication with signed JWTs (RFC 7523 §2.2, OIDC Core §9): `private_key_jwt`
//! with the client's keys, inline or at its `jwks_uri` (rotated keys are fetched again), and
//! `client_secret_jwt` with its secret. Replayed, expired, long-lived, misaddressed and
//! wrongly signed assertions are refused, and the registered method is enforced both ways.
//!
//! An authenticated client with a made-up code gets `invalid_grant` (400); a client that did
//! not authenticate gets `invalid_client` (401): that is how these tests tell them apart.

use serde_json::{json, Value};

use crate::support::applications::{setup, Application};
use crate::support::assertions::{assertion_claims, JwksServer, TestKey};
use crate::support::authorize::fresh_code;
use crate::support::tokens::{assert_oauth_error, post_form, token, Auth};
use crate::support::worker::{Reply, TestApp};

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

async fn open_registration(app: &TestApp, rp: &Application) {
    app.admin()
        .patch(
            &format!("/api/v1/applications/{}", rp.client_id),
            &json!({"dynamic_registration": "open"}),
        )
        .await
        .expect_status(200);
}

/// `POST {issuer}/token` redeeming `code` with `assertion` (and nothing else) as credentials.
async fn with_assertion(
    app: &TestApp,
    rp: &Application,
    code: &str,
    redirect: &str,
    assertion: &str,
) -> Reply {
    token(
        app,
        &rp.issuer,
        Auth::Nothing,
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", assertion),
        ],
    )
    .await
}

fn authenticated(case: &str, r: &Reply) {
    assert_oauth_error(case, r, 400, "invalid_grant");
}

fn refused(case: &str, r: &Reply) {
    assert_oauth_error(case, r, 401, "invalid_client");
}

#[tokio::test]
async fn private_key_jwt_with_inline_keys_authenticates_once_per_assertion() {
    let (app, rp, user) = setup().await;
    open_registration(&app, &rp).await;
    let key = TestKey::es256(7);
    let client = app
        .register_client(
            &rp,
            json!({"redirect_uris": ["https://rp.example/cb"], "token_endpoint_auth_method": "private_key_jwt",
                   "jwks": {"keys": [key.public_jwk("k1")]}}),
        )
        .await;
    assert!(
        client.created.get("client_secret").is_none(),
        "no secret for a keys-only client"
    );
    let token_endpoint = format!("{}/token", rp.issuer);
    let cb = client.redirect_uri.clone();

    // The happy path: a real code, redeemed with an assertion.
    let code = fresh_code(&app, &client, &user, "openid", &[]).await;
    let a = key.sign(
        Some("k1"),
        &assertion_claims(&client.client_id, &token_endpoint, 60),
    );
    let r = with_assertion(&app, &rp, &code, &cb, &a).await;
    assert_eq!(r.status, 200, "{}", r.text);

    // The same assertion again: its jti is spent.
    let r = with_assertion(&app, &rp, "made-up", &cb, &a).await;
    refused("a replayed assertion", &r);

    // The issuer is an accepted audience too.
    let a = key.sign(
        Some("k1"),
        &assertion_claims(&client.client_id, &rp.issuer, 60),
    );
    authenticated(
        "aud = the issuer",
        &with_assertion(&app, &rp, "made-up", &cb, &a).await,
    );

    let other = TestKey::es256(9);
    let id = client.client_id.as_str();
    let cases: Vec<(&str, String)> = vec![
        (
            "expired",
            key.sign(Some("k1"), &assertion_claims(id, &token_endpoint, -3600)),
        ),
        (
            "living too long",
            key.sign(Some("k1"), &assertion_claims(id, &token_endpoint, 86_400)),
        ),
        (
            "another audience",
            key.sign(
                Some("k1"),
                &assertion_claims(id, "https://elsewhere.example/token", 60),
            ),
        ),
        (
            "another key under the registered kid",
            other.sign(Some("k1"), &assertion_claims(id, &token_endpoint, 60)),
        ),
        (
            "an unregistered kid",
            other.sign(Some("k9"), &assertion_claims(id, &token_endpoint, 60)),
        ),
        (
            "signed with HS256 by a keys-only client",
            TestKey::hs256("guess").sign(None, &assertion_claims(id, &token_endpoint, 60)),
        ),
        ("not a JWT", "not-a-jwt".to_string()),
        ("another client's iss", {
            let mut c = assertion_claims(id, &token_endpoint, 60);
            c["iss"] = json!(rp.client_id);
            key.sign(Some("k1"), &c)
        }),
        ("no jti", {
            let mut c = assertion_claims(id, &token_endpoint, 60);
            c.as_object_mut().map(|o| o.remove("jti"));
            key.sign(Some("k1"), &c)
        }),
    ];
    for (case, a) in cases {
        let r = token(
            &app,
            &rp.issuer,
            Auth::Id(id),
            &[
                ("grant_type", "authorization_code"),
                ("code", "x"),
                ("redirect_uri", &cb),
                ("client_assertion_type", JWT_BEARER),
                ("client_assertion", &a),
            ],
        )
        .await;
        refused(case, &r);
    }
    // A wrong assertion type, or an assertion beside a secret, is a malformed request.
    let a = key.sign(Some("k1"), &assertion_claims(id, &token_endpoint, 60));
    let r = token(
        &app,
        &rp.issuer,
        Auth::Nothing,
        &[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_assertion_type", "urn:x"),
            ("client_assertion", &a),
        ],
    )
    .await;
    assert_oauth_error("a wrong client_assertion_type", &r, 400, "invalid_request");
    let r = token(
        &app,
        &rp.issuer,
        Auth::Post(id, "s"),
        &[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &a),
        ],
    )
    .await;
    assert_oauth_error("an assertion and a secret", &r, 400, "invalid_request");
}

#[tokio::test]
async fn the_registered_method_is_enforced_both_ways() {
    let (app, rp, _) = setup().await;
    open_registration(&app, &rp).await;
    let key = TestKey::es256(5);
    let keyed = app
        .register_client(
            &rp,
            json!({"redirect_uris": ["https://rp.example/cb"], "token_endpoint_auth_method": "client_secret_jwt"}),
        )
        .await;
    let secret = keyed.client_secret.clone();
    assert!(!secret.is_empty(), "client_secret_jwt is issued a secret");
    // client_secret_jwt: the secret itself is not accepted, an HS256 assertion with it is.
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "x"),
        ("redirect_uri", "https://rp.example/cb"),
    ];
    refused(
        "the secret by Basic",
        &token(&app, &rp.issuer, keyed.basic(), &form).await,
    );
    refused(
        "the secret in the body",
        &token(&app, &rp.issuer, keyed.post(), &form).await,
    );
    let endpoint = format!("{}/token", rp.issuer);
    let a = TestKey::hs256(&secret).sign(None, &assertion_claims(&keyed.client_id, &endpoint, 60));
    authenticated(
        "an HS256 assertion",
        &with_assertion(&app, &rp, "x", "https://rp.example/cb", &a).await,
    );
    let a = TestKey::hs256("not the secret")
        .sign(None, &assertion_claims(&keyed.client_id, &endpoint, 60));
    refused(
        "signed with another secret",
        &with_assertion(&app, &rp, "x", "https://rp.example/cb", &a).await,
    );
    let a = key.sign(
        Some("k"),
        &assertion_claims(&keyed.client_id, &endpoint, 60),
    );
    refused(
        "an ES256 assertion for client_secret_jwt",
        &with_assertion(&app, &rp, "x", "https://rp.example/cb", &a).await,
    );

    // A client_secret_basic client may not present an assertion, even one signed with its secret.
    let a = TestKey::hs256(&rp.client_secret)
        .sign(None, &assertion_claims(&rp.client_id, &endpoint, 60));
    refused(
        "an assertion from a secret client",
        &with_assertion(&app, &rp, "x", &rp.redirect_uri, &a).await,
    );
}

#[tokio::test]
async fn keys_at_a_jwks_uri_are_fetched_and_fetched_again_when_the_client_rotates() {
    let (app, rp, _) = setup().await;
    open_registration(&app, &rp).await;
    let first = TestKey::rs256(0);
    let second = TestKey::rs256(1);
    let server = JwksServer::start(&json!({"keys": [first.public_jwk("2025")]})).await;
    let client = app
        .register_client(
            &rp,
            json!({"redirect_uris": ["https://rp.example/cb"], "token_endpoint_auth_method": "private_key_jwt",
                   "jwks_uri": server.url, "token_endpoint_auth_signing_alg": "RS256"}),
        )
        .await;
    let endpoint = format!("{}/token", rp.issuer);
    let cb = "https://rp.example/cb";
    let a = first.sign(
        Some("2025"),
        &assertion_claims(&client.client_id, &endpoint, 60),
    );
    authenticated(
        "RS256 with the fetched key",
        &with_assertion(&app, &rp, "x", cb, &a).await,
    );

    // The client rotates: the new key is published, the old one withdrawn.
    server.set(&json!({"keys": [second.public_jwk("2026")]}));
    let a = second.sign(
        Some("2026"),
        &assertion_claims(&client.client_id, &endpoint, 60),
    );
    authenticated(
        "the rotated key, fetched again",
        &with_assertion(&app, &rp, "x", cb, &a).await,
    );
    let a = first.sign(
        Some("2025"),
        &assertion_claims(&client.client_id, &endpoint, 60),
    );
    refused(
        "the withdrawn key",
        &with_assertion(&app, &rp, "x", cb, &a).await,
    );

    // Introspection takes the same method, with its own endpoint as an audience.
    let introspection = format!("{}/token/introspection", rp.issuer);
    let a = second.sign(
        Some("2026"),
        &assertion_claims(&client.client_id, &introspection, 60),
    );
    let r = post_form(
        &app,
        &introspection,
        Auth::Nothing,
        &[
            ("token", "x"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", &a),
        ],
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["active"], false);

    // Discovery says what is accepted.
    let doc = app
        .get_url(&format!("{}/.well-known/openid-configuration", rp.issuer))
        .await;
    let methods =
        crate::support::json::str_list(&doc.json["token_endpoint_auth_methods_supported"]);
    for m in ["private_key_jwt", "client_secret_jwt"] {
        assert!(
            methods.contains(&m.to_string()),
            "{m} advertised: {methods:?}"
        );
    }
    let _: Value = doc.json;
}
