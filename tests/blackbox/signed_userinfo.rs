//! Signed userinfo answers (OIDC Core §5.3.2, Registration §2 `userinfo_signed_response_alg`):
//! a client registered for them gets `application/jwt` signed with the pool's key of its
//! algorithm (or HS256 with its secret), carrying `iss` and `aud` beside the claims; the
//! independent `openidconnect` crate discovers the issuer and verifies the answer. A client
//! without the setting still gets JSON.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use openidconnect::core::{
    CoreClient, CoreJsonWebKey, CoreJwsSigningAlgorithm, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessToken, ClientId, ClientSecret, IssuerUrl, JsonWebKey, SubjectIdentifier,
};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::support::applications::{Application, TestUser};
use crate::support::authorize::fresh_code;
use crate::support::jwt;
use crate::support::tokens::{redeem, userinfo};
use crate::support::worker::{Reply, TestApp};

fn http_client() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("RP HTTP client: {e}"))
}

/// An access token for `user` at `client` (scope `openid email`).
async fn access_token(app: &TestApp, client: &Application, user: &TestUser) -> String {
    let code = fresh_code(app, client, user, "openid email", &[]).await;
    let t = redeem(app, client, &code, None).await;
    t.expect_status(200);
    t.json["access_token"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// The three parts of a compact JWS, the first two decoded.
fn split(jws: &str) -> (Value, String, Vec<u8>) {
    let parts: Vec<&str> = jws.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS: {jws}");
    let sig = URL_SAFE_NO_PAD
        .decode(parts[2])
        .unwrap_or_else(|e| panic!("signature: {e}"));
    (jwt::header(jws), format!("{}.{}", parts[0], parts[1]), sig)
}

fn assert_jwt_answer(r: &Reply, client: &Application, user: &TestUser) -> Value {
    r.expect_status(200);
    assert!(
        r.header("content-type").starts_with("application/jwt"),
        "content type {}",
        r.header("content-type")
    );
    assert_eq!(r.header("cache-control"), "no-store");
    let c = jwt::claims(&r.text);
    assert_eq!(c["iss"], client.issuer.as_str());
    assert_eq!(c["aud"], client.client_id.as_str());
    assert_eq!(c["sub"], user.id.as_str());
    assert_eq!(c["email"], user.email.as_str());
    c
}

#[tokio::test]
async fn an_rs256_signed_answer_verifies_with_an_independent_library() {
    let app = TestApp::spawn().await;
    let rp = app
        .create_application(json!({"userinfo_signed_response_alg": "RS256"}))
        .await;
    let user = app.create_user(json!({})).await;
    let http = http_client();
    let issuer = IssuerUrl::new(rp.issuer.clone()).unwrap_or_else(|e| panic!("issuer: {e}"));
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .unwrap_or_else(|e| panic!("discovery: {e:?}"));
    assert!(
        metadata
            .userinfo_signing_alg_values_supported()
            .is_some_and(|a| a.contains(&CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256)),
        "discovery lists RS256 for userinfo"
    );
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(rp.client_id.clone()),
        Some(ClientSecret::new(rp.client_secret.clone())),
    );
    let at = access_token(&app, &rp, &user).await;
    let info: CoreUserInfoClaims = client
        .user_info(
            AccessToken::new(at.clone()),
            Some(SubjectIdentifier::new(user.id.clone())),
        )
        .unwrap_or_else(|e| panic!("no userinfo endpoint: {e}"))
        .require_signed_response(true)
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("the signed answer did not verify: {e:?}"));
    assert_eq!(info.email().map(|e| e.as_str()), Some(user.email.as_str()));
    assert_jwt_answer(&userinfo(&app, &rp.issuer, &at).await, &rp, &user);
}

#[tokio::test]
async fn es256_and_hs256_answers_are_signed_with_the_pool_key_and_the_client_secret() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({})).await;
    let user = app.create_user(json!({})).await;

    // ES256: the pool's key, published in the JWKS under the header's kid.
    let es = app
        .create_client(&rp, json!({"userinfo_signed_response_alg": "ES256"}))
        .await;
    let r = userinfo(&app, &es.issuer, &access_token(&app, &es, &user).await).await;
    assert_jwt_answer(&r, &es, &user);
    let (header, input, sig) = split(&r.text);
    assert_eq!(header["alg"], "ES256");
    let jwks: Value = app
        .get_url(&format!("{}/.well-known/jwks.json", rp.issuer))
        .await
        .json;
    let key = jwks["keys"]
        .as_array()
        .and_then(|ks| ks.iter().find(|k| k["kid"] == header["kid"]))
        .unwrap_or_else(|| panic!("kid {} in {jwks}", header["kid"]));
    let key: CoreJsonWebKey =
        serde_json::from_value(key.clone()).unwrap_or_else(|e| panic!("JWK: {e}"));
    key.verify_signature(
        &CoreJwsSigningAlgorithm::EcdsaP256Sha256,
        input.as_bytes(),
        &sig,
    )
    .unwrap_or_else(|e| panic!("ES256 userinfo signature: {e:?}"));

    // HS256: keyed with the client secret (OIDC Core §10.1).
    let hs = app
        .create_client(&rp, json!({"userinfo_signed_response_alg": "HS256"}))
        .await;
    let r = userinfo(&app, &hs.issuer, &access_token(&app, &hs, &user).await).await;
    assert_jwt_answer(&r, &hs, &user);
    let (header, input, sig) = split(&r.text);
    assert_eq!(header["alg"], "HS256");
    let mut mac = Hmac::<Sha256>::new_from_slice(hs.client_secret.as_bytes())
        .unwrap_or_else(|e| panic!("HMAC key: {e}"));
    mac.update(input.as_bytes());
    assert!(mac.verify_slice(&sig).is_ok(), "HS256 userinfo signature");

    // Without the setting: JSON, as before.
    let plain = userinfo(&app, &rp.issuer, &access_token(&app, &rp, &user).await).await;
    plain.expect_status(200);
    assert!(plain.header("content-type").starts_with("application/json"));
    assert_eq!(plain.json["sub"], user.id.as_str());

    // A public client cannot ask for HS256, and the setting can be cleared.
    let refused = app
        .admin()
        .post(
            &format!("/api/v1/applications/{}/clients", rp.client_id),
            &json!({"redirect_uris": ["https://p.rp.example/cb"], "token_endpoint_auth_method": "none",
                    "userinfo_signed_response_alg": "HS256"}),
        )
        .await;
    crate::support::json::assert_invalid_field(
        "public HS256",
        &refused,
        Some("userinfo_signed_response_alg"),
    );
    app.admin()
        .patch(
            &format!(
                "/api/v1/applications/{}/clients/{}",
                rp.client_id, es.client_id
            ),
            &json!({"userinfo_signed_response_alg": null}),
        )
        .await
        .expect_status(200);
    let cleared = userinfo(&app, &es.issuer, &access_token(&app, &es, &user).await).await;
    assert!(cleared
        .header("content-type")
        .starts_with("application/json"));
}
