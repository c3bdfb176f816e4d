//! The authorization code flow on its happy paths. An independent relying-party library
//! (`openidconnect`) discovers the issuer, signs in with PKCE and verifies the id_token in every
//! signing algorithm; the hosted service's guide works verbatim; the id_token carries the nonce
//! and the claims of the granted scopes; a code delivered by form_post or asked for by POST is
//! redeemed; userinfo takes the token in a header or a form.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJsonWebKey, CoreJwsSigningAlgorithm,
    CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::applications::{setup, Application};
use crate::support::authorize::{code_params, fresh_code, param, sign_in, with};
use crate::support::browser::{Browser, Consent, Delivered};
use crate::support::jwt;
use crate::support::tokens::{redeem, refresh, userinfo};
use crate::support::worker::{send, Reply, TestApp};

// ---------------------------------------------------------------------------------------------
// Happy paths, verified by the openidconnect crate

fn rp_http_client() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("RP HTTP client: {e}"))
}

/// An application signing id_tokens with `alg`; the `openidconnect` crate discovers it, builds
/// the authorization URL (PKCE S256, nonce, state), exchanges the code, verifies the id_token
/// (signature with the published key or the client secret, nonce, iss, aud, exp, at_hash) and
/// calls userinfo.
async fn independent_rp_signs_in(alg: &str, expected: CoreJwsSigningAlgorithm) {
    let app = TestApp::spawn().await;
    let rp = app
        .create_application(json!({"id_token_signed_response_alg": alg}))
        .await;
    let user = app.create_user(json!({})).await;
    let http = rp_http_client();

    let issuer = IssuerUrl::new(rp.issuer.clone()).unwrap_or_else(|e| panic!("issuer URL: {e}"));
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .unwrap_or_else(|e| panic!("discovery of {} failed: {e:?}", rp.issuer));
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(rp.client_id.clone()),
        Some(ClientSecret::new(rp.client_secret.clone())),
    )
    .set_redirect_uri(
        RedirectUrl::new(rp.redirect_uri.clone()).unwrap_or_else(|e| panic!("redirect URL: {e}")),
    );

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, csrf, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();

    let mut browser = Browser::new(&app);
    let first = browser.open(&rp.issuer, auth_url.as_str()).await;
    let cb = browser
        .complete(&rp.issuer, first, &user, Consent::Allow)
        .await
        .callback();
    assert_eq!(
        cb.target(),
        rp.redirect_uri,
        "the response goes to the registered redirect URI"
    );
    assert_eq!(
        cb.get("state"),
        Some(csrf.secret().as_str()),
        "state is echoed"
    );
    assert_eq!(cb.get("iss"), Some(rp.issuer.as_str()), "RFC 9207 iss");

    let tokens = client
        .exchange_code(AuthorizationCode::new(cb.param("code").to_string()))
        .unwrap_or_else(|e| panic!("no token endpoint: {e}"))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("code exchange failed: {e:?}"));
    let id_token = tokens
        .id_token()
        .unwrap_or_else(|| panic!("no id_token in the token response"));
    let id_verifier = client
        .id_token_verifier()
        .set_allowed_algs(vec![expected.clone()]);
    let id_claims = id_token
        .claims(&id_verifier, &nonce)
        .unwrap_or_else(|e| panic!("{alg} id_token did not verify: {e:?}"));
    assert_eq!(
        id_token.signing_alg().ok(),
        Some(&expected),
        "the id_token is signed with the configured alg"
    );
    assert_eq!(
        id_claims.subject().as_str(),
        user.id,
        "sub is the user's id"
    );
    assert!(id_claims.auth_time().is_some(), "auth_time is present");

    // at_hash (OIDC Core §3.1.3.6): the library computes it from the token and the key.
    let expected_hash = match expected {
        // The library has no public constructor for a symmetric key: the left half of SHA-256.
        CoreJwsSigningAlgorithm::HmacSha256 => Ok(AccessTokenHash::new(
            URL_SAFE_NO_PAD
                .encode(&Sha256::digest(tokens.access_token().secret().as_bytes())[..16]),
        )),
        _ => AccessTokenHash::from_token::<CoreJsonWebKey>(
            tokens.access_token(),
            &expected,
            id_token
                .signing_key(&id_verifier)
                .unwrap_or_else(|e| panic!("signing key: {e:?}")),
        ),
    }
    .unwrap_or_else(|e| panic!("at_hash: {e:?}"));
    assert_eq!(
        id_claims.access_token_hash(),
        Some(&expected_hash),
        "at_hash matches the access token"
    );

    let info: openidconnect::core::CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(id_claims.subject().clone()),
        )
        .unwrap_or_else(|e| panic!("no userinfo endpoint: {e}"))
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("userinfo failed: {e:?}"));
    assert_eq!(
        info.subject(),
        id_claims.subject(),
        "userinfo sub equals the id_token's"
    );
    assert_eq!(
        info.email().map(|e| e.as_str()),
        Some(user.email.as_str()),
        "email scope releases email"
    );

    let at = jwt::claims(tokens.access_token().secret());
    for k in ["jti", "sub", "iat", "exp", "scope", "iss", "aud"] {
        assert!(!at[k].is_null(), "access token claim `{k}` missing: {at}");
    }
    assert_eq!(
        (at["iss"].as_str(), at["aud"].as_str()),
        (Some(rp.issuer.as_str()), Some(rp.client_id.as_str()))
    );
}

#[tokio::test]
async fn independent_rp_signs_in_with_pkce_and_verifies_an_rs256_id_token() {
    independent_rp_signs_in("RS256", CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256).await;
}

#[tokio::test]
async fn independent_rp_signs_in_with_pkce_and_verifies_an_es256_id_token() {
    independent_rp_signs_in("ES256", CoreJwsSigningAlgorithm::EcdsaP256Sha256).await;
}

#[tokio::test]
async fn independent_rp_signs_in_with_pkce_and_verifies_a_ps256_id_token() {
    independent_rp_signs_in("PS256", CoreJwsSigningAlgorithm::RsaSsaPssSha256).await;
}

#[tokio::test]
async fn independent_rp_signs_in_with_pkce_and_verifies_an_eddsa_id_token() {
    independent_rp_signs_in("EdDSA", CoreJwsSigningAlgorithm::EdDsa).await;
}

#[tokio::test]
async fn independent_rp_signs_in_with_pkce_and_verifies_an_hs256_id_token_with_the_client_secret() {
    independent_rp_signs_in("HS256", CoreJwsSigningAlgorithm::HmacSha256).await;
}

// ---------------------------------------------------------------------------------------------
// The hosted service's guide, verbatim

const GUIDE_SCOPE: &str = "openid%20profile%20email%20phone%20address%20offline_access";

/// `GET {issuer}/auth?...` exactly as the guide writes it (only the host changed).
fn guide_authorize_url(rp: &Application, prompt_consent: bool) -> String {
    let mut url = format!(
        "{}/auth?client_id={}&response_type=code&scope={GUIDE_SCOPE}&redirect_uri={}&state=4756806",
        rp.issuer, rp.client_id, rp.redirect_uri
    );
    if prompt_consent {
        url.push_str("&prompt=consent");
    }
    url
}

/// `POST {issuer}/token?...` with every parameter in the query string and an empty body.
async fn guide_token_request(app: &TestApp, rp: &Application, code: &str) -> Reply {
    let url = format!(
        "{}/token?grant_type=authorization_code&redirect_uri={}&code={code}&client_id={}&client_secret={}",
        rp.issuer, rp.redirect_uri, rp.client_id, rp.client_secret
    );
    send(app.at(Method::POST, &url)).await
}

fn keys_of(v: &Value) -> Vec<String> {
    v.as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn the_guides_two_requests_work_verbatim_and_earn_a_refresh_token_with_prompt_consent() {
    let (app, rp, user) = setup().await;
    let mut browser = Browser::new(&app);
    let first = browser
        .open(&rp.issuer, &guide_authorize_url(&rp, true))
        .await;
    let cb = browser
        .complete(&rp.issuer, first, &user, Consent::Allow)
        .await
        .callback();
    assert_eq!(cb.get("state"), Some("4756806"));

    let r = guide_token_request(&app, &rp, cb.param("code")).await;
    r.expect_status(200);
    assert_eq!(
        keys_of(&r.json),
        [
            "access_token",
            "expires_in",
            "id_token",
            "refresh_token",
            "scope",
            "token_type"
        ],
        "exactly the documented keys: {}",
        r.text
    );
    assert_eq!(r.json["expires_in"], 3600);
    assert_eq!(r.json["token_type"], "Bearer");
    let mut scope: Vec<&str> = r.json["scope"].as_str().unwrap_or("").split(' ').collect();
    scope.sort_unstable();
    assert_eq!(
        scope,
        [
            "address",
            "email",
            "offline_access",
            "openid",
            "phone",
            "profile"
        ]
    );
    assert_eq!(r.header("cache-control"), "no-store", "RFC 6749 §5.1");
    assert_eq!(r.header("pragma"), "no-cache", "RFC 6749 §5.1");

    let fresh = refresh(
        &app,
        &rp,
        r.json["refresh_token"].as_str().unwrap_or(""),
        None,
    )
    .await;
    fresh.expect_status(200);
}

#[tokio::test]
async fn without_prompt_consent_offline_access_is_dropped_and_no_refresh_token_is_issued() {
    let (app, rp, user) = setup().await;
    let mut browser = Browser::new(&app);
    let first = browser
        .open(&rp.issuer, &guide_authorize_url(&rp, false))
        .await;
    let consent = browser
        .complete(&rp.issuer, first, &user, Consent::Stop)
        .await
        .consent();
    assert!(
        !consent.scopes().contains(&"offline_access".to_string()),
        "consent does not ask for what won't be granted"
    );
    let cb = browser
        .submit_consent(&rp.issuer, &consent, true)
        .await
        .callback();

    let r = guide_token_request(&app, &rp, cb.param("code")).await;
    r.expect_status(200);
    assert!(
        r.json.get("refresh_token").is_none(),
        "no refresh token without prompt=consent: {}",
        r.text
    );
    let scope = r.json["scope"].as_str().unwrap_or("");
    assert!(
        !scope.split(' ').any(|s| s == "offline_access"),
        "offline_access dropped: {scope}"
    );
    assert!(
        scope.split(' ').any(|s| s == "openid"),
        "the rest is granted: {scope}"
    );
}

// ---------------------------------------------------------------------------------------------
// The id_token's claims

#[tokio::test]
async fn the_id_token_carries_the_nonce_and_the_claims_of_the_granted_scopes() {
    let (app, rp, user) = setup().await;
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid profile email");
    let nonce = param(&params, "nonce").unwrap_or_default();
    let cb = sign_in(&app, &rp, &user, &params).await;
    let code = cb.param("code");
    let t = redeem(&app, &rp, code, None).await;
    t.expect_status(200);
    let c = jwt::claims(t.json["id_token"].as_str().unwrap_or(""));
    assert_eq!(c["nonce"], nonce);
    assert_eq!(c["email"], user.email.as_str());
    assert!(c["phone_number"].is_null(), "phone not granted: {c}");
    let hash = Sha256::digest(t.json["access_token"].as_str().unwrap_or("").as_bytes());
    assert_eq!(
        c["at_hash"],
        URL_SAFE_NO_PAD.encode(&hash[..16]).as_str(),
        "at_hash"
    );
    for k in ["iss", "sub", "aud", "exp", "iat", "auth_time"] {
        assert!(!c[k].is_null(), "id_token claim `{k}`: {c}");
    }
}

// ---------------------------------------------------------------------------------------------
// Authorization endpoint variants

#[tokio::test]
async fn a_code_delivered_by_form_post_or_a_posted_request_is_redeemed() {
    let (app, rp, user) = setup().await;
    let params = with(
        code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        "response_mode",
        "form_post",
    );
    let mut browser = Browser::new(&app);
    let cb = browser
        .sign_in(&rp.issuer, &params, &user, Consent::Allow)
        .await
        .callback();
    assert_eq!(cb.delivered, Delivered::FormPost);
    assert_eq!(cb.target(), rp.redirect_uri);
    assert_eq!(cb.get("iss"), Some(rp.issuer.as_str()));
    assert!(cb
        .reply
        .header("content-security-policy")
        .contains("frame-ancestors 'none'"));
    redeem(&app, &rp, cb.param("code"), None)
        .await
        .expect_status(200);

    // POST /auth (OIDC Core §3.1.2.1), same browser: SSO and remembered consent.
    let posted = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let cb = browser.authorize_post(&rp.issuer, &posted).await.callback();
    assert_eq!(cb.delivered, Delivered::Query);
    redeem(&app, &rp, cb.param("code"), None)
        .await
        .expect_status(200);
}

// ---------------------------------------------------------------------------------------------
// UserInfo (OIDC Core §5.3, RFC 6750)

#[tokio::test]
async fn userinfo_takes_the_token_in_a_header_or_a_form_and_refuses_bad_tokens() {
    let (app, rp, user) = setup().await;
    let code = fresh_code(&app, &rp, &user, "openid email", &[]).await;
    let t = redeem(&app, &rp, &code, None).await;
    let at = t.json["access_token"].as_str().unwrap_or("").to_string();
    let me = format!("{}/me", rp.issuer);

    let posted = send(
        app.at(Method::POST, &me)
            .form(&[("access_token", at.as_str())]),
    )
    .await;
    posted.expect_status(200);
    assert_eq!(posted.json["sub"], user.id.as_str());
    assert_eq!(posted.json["email"], user.email.as_str());
    let got = userinfo(&app, &rp.issuer, &at).await;
    got.expect_status(200);
    assert_eq!(
        got.json["sub"],
        jwt::claims(t.json["id_token"].as_str().unwrap_or(""))["sub"]
    );

    let mut tampered = at.clone();
    let last = tampered
        .pop()
        .map(|c| if c == 'A' { 'B' } else { 'A' })
        .unwrap_or('A');
    tampered.push(last);
    let other = app.create_application(json!({})).await;
    for (case, token) in [
        ("garbage", "not-a-token".to_string()),
        ("bad signature", tampered),
    ] {
        let r = userinfo(&app, &rp.issuer, &token).await;
        assert_eq!(r.status, 401, "{case}: {}", r.text);
        let www = r.header("www-authenticate");
        assert!(
            www.starts_with("Bearer") && www.contains("error=\"invalid_token\""),
            "{case}: {www}"
        );
    }
    // The token is this issuer's: another application's userinfo does not take it.
    let r = userinfo(&app, &other.issuer, &at).await;
    assert_eq!(r.status, 401, "another issuer's /me: {}", r.text);
}
