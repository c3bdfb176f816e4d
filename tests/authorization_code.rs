//! Issue 3 — authorization code mode end to end, black-box against the real worker under
//! `wrangler dev`: the happy paths are driven and verified by an independent relying-party
//! library (`openidconnect`), the protections by table-driven negative cases. Each test spawns
//! its own worker (STYLE.md habit 11). Depends on `common` (harness) and `flows` (browser).

mod common;
mod flows;

use std::time::Duration;

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use futures::future::join_all;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreJsonWebKey, CoreJwsSigningAlgorithm,
    CoreProviderMetadata,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use reqwest::header::{AUTHORIZATION, LOCATION, WWW_AUTHENTICATE};
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use common::{send, Reply, TestApp};
use flows::{code_params, create_user, with, without, Browser, Consent, Outcome, Pkce, TestUser};

// ---------------------------------------------------------------------------------------------
// Set-up

/// An application as its developer sees it after creating it.
#[derive(Debug, Clone)]
struct Rp {
    issuer: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
}

/// Creates an application (a fresh subdomain, one redirect URI) with `extra` settings.
async fn new_rp(app: &TestApp, extra: Value) -> Rp {
    let mut body = app.application_body("ac");
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let v = app.create_application(body).await;
    let s = |k: &str| {
        v[k].as_str()
            .unwrap_or_else(|| panic!("application without `{k}`: {v}"))
            .to_string()
    };
    Rp {
        issuer: s("issuer"),
        client_id: s("client_id"),
        client_secret: s("client_secret"),
        redirect_uri: v["redirect_uris"][0]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    }
}

async fn setup() -> (TestApp, Rp, TestUser) {
    let app = TestApp::spawn().await;
    let rp = new_rp(&app, json!({})).await;
    let user = create_user(&app).await;
    (app, rp, user)
}

fn basic(id: &str, secret: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
}

/// `POST {issuer}/token` with `client_secret_basic` and a form body.
async fn token(app: &TestApp, rp: &Rp, form: &[(&str, &str)]) -> Reply {
    send(
        app.at(Method::POST, &format!("{}/token", rp.issuer))
            .header(AUTHORIZATION, basic(&rp.client_id, &rp.client_secret))
            .form(form),
    )
    .await
}

/// Redeems a code (optionally with a PKCE verifier).
async fn redeem(app: &TestApp, rp: &Rp, code: &str, verifier: Option<&str>) -> Reply {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", rp.redirect_uri.as_str()),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    token(app, rp, &form).await
}

async fn refresh(app: &TestApp, rp: &Rp, refresh_token: &str, scope: Option<&str>) -> Reply {
    let mut form = vec![
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    if let Some(s) = scope {
        form.push(("scope", s));
    }
    token(app, rp, &form).await
}

async fn userinfo(app: &TestApp, rp: &Rp, access_token: &str) -> Reply {
    send(
        app.at(Method::GET, &format!("{}/me", rp.issuer))
            .bearer_auth(access_token),
    )
    .await
}

/// Signs `user` in through the browser with `params` (allowing consent) and returns the code.
async fn code_for(
    browser: &mut Browser,
    rp: &Rp,
    user: &TestUser,
    params: &[(&str, String)],
) -> String {
    let cb = browser
        .sign_in(
            &rp.issuer,
            params,
            &user.username,
            &user.password,
            Consent::Allow,
        )
        .await
        .callback();
    cb.param("code").to_string()
}

/// A code for the standard request plus `extra` parameters.
async fn fresh_code(
    app: &TestApp,
    rp: &Rp,
    user: &TestUser,
    scope: &str,
    extra: &[(&'static str, String)],
) -> String {
    let mut params = code_params(&rp.client_id, &rp.redirect_uri, scope);
    for (k, v) in extra {
        params = with(params, k, v);
    }
    code_for(&mut Browser::new(app), rp, user, &params).await
}

#[track_caller]
fn expect_oauth_error(r: &Reply, status: u16, error: &str) {
    assert_eq!(
        (r.status.as_u16(), r.json["error"].as_str().unwrap_or("")),
        (status, error),
        "expected {status} {error}; body: {}",
        r.excerpt()
    );
}

/// The claims of a JWT, unverified (for tests that only read them).
fn claims(jwt: &str) -> Value {
    let payload = jwt
        .split('.')
        .nth(1)
        .unwrap_or_else(|| panic!("not a JWT: {jwt}"));
    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap_or_else(|e| panic!("JWT payload: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("JWT payload JSON: {e}"))
}

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
    let rp = new_rp(&app, json!({"id_token_signed_response_alg": alg})).await;
    let user = create_user(&app).await;
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
        .complete(
            &rp.issuer,
            first,
            &user.username,
            &user.password,
            Consent::Allow,
        )
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

    let at = claims(tokens.access_token().secret());
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
fn guide_authorize_url(rp: &Rp, prompt_consent: bool) -> String {
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
async fn guide_token_request(app: &TestApp, rp: &Rp, code: &str) -> Reply {
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
        .complete(
            &rp.issuer,
            first,
            &user.username,
            &user.password,
            Consent::Allow,
        )
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
        .complete(
            &rp.issuer,
            first,
            &user.username,
            &user.password,
            Consent::Stop,
        )
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
// Redirect URI: exact match, else an error page and never a redirect

#[tokio::test]
async fn unregistered_or_mutated_redirect_uris_get_an_error_page_and_never_a_redirect() {
    let app = TestApp::spawn().await;
    let rp = new_rp(
        &app,
        json!({"redirect_uris": ["https://rp.example/cb/done"]}),
    )
    .await;
    let cases = [
        ("unregistered", "https://evil.example/cb/done"),
        ("trailing slash", "https://rp.example/cb/done/"),
        ("host case", "https://RP.example/cb/done"),
        ("path case", "https://rp.example/CB/done"),
        ("extra path segment", "https://rp.example/cb/done/more"),
        ("shorter path", "https://rp.example/cb"),
        ("added query", "https://rp.example/cb/done?x=1"),
        ("explicit port", "https://rp.example:8443/cb/done"),
        ("explicit default port", "https://rp.example:443/cb/done"),
        ("scheme http", "http://rp.example/cb/done"),
        ("userinfo part", "https://user@rp.example/cb/done"),
        ("fragment", "https://rp.example/cb/done#x"),
        ("missing", ""),
    ];
    let mut failures = Vec::new();
    for (case, uri) in cases {
        let params = code_params(&rp.client_id, uri, "openid");
        let params = if uri.is_empty() {
            without(params, "redirect_uri")
        } else {
            params
        };
        let url = flows::authorize_url(&rp.issuer, &params);
        let r = send(app.at(Method::GET, &url)).await;
        let ok = r.status == 400
            && r.headers.get(LOCATION).is_none()
            && r.header("content-type").starts_with("text/html");
        if !ok {
            failures.push(format!(
                "{case} ({uri}): {} location={:?} type={}",
                r.status,
                r.header("location"),
                r.header("content-type")
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "expected a 400 HTML page with no Location for:\n{}",
        failures.join("\n")
    );

    // The registered URI itself is accepted (the table is not failing for another reason).
    let ok = Browser::new(&app)
        .authorize(
            &rp.issuer,
            &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        )
        .await;
    assert!(
        ok.is_login(),
        "the exact registered URI leads to the login page"
    );
}

// ---------------------------------------------------------------------------------------------
// Codes: single use, bound to the client, concurrent redemption

#[tokio::test]
async fn reused_code_is_rejected_and_its_tokens_revoked() {
    let (app, rp, user) = setup().await;
    let code = fresh_code(
        &app,
        &rp,
        &user,
        "openid offline_access",
        &[("prompt", "consent".into())],
    )
    .await;
    let first = redeem(&app, &rp, &code, None).await;
    first.expect_status(200);
    let at = first.json["access_token"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let rt = first.json["refresh_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no refresh token: {}", first.text))
        .to_string();
    userinfo(&app, &rp, &at).await.expect_status(200);

    let second = redeem(&app, &rp, &code, None).await;
    expect_oauth_error(&second, 400, "invalid_grant");

    let me = userinfo(&app, &rp, &at).await;
    assert_eq!(
        me.status, 401,
        "the first access token is revoked after the replay: {}",
        me.text
    );
    assert!(
        me.header("www-authenticate").contains("invalid_token"),
        "WWW-Authenticate: {}",
        me.header("www-authenticate")
    );
    expect_oauth_error(&refresh(&app, &rp, &rt, None).await, 400, "invalid_grant");
}

#[tokio::test]
async fn twenty_parallel_redemptions_of_one_code_give_exactly_one_success() {
    let (app, rp, user) = setup().await;
    let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
    let replies = join_all((0..20).map(|_| redeem(&app, &rp, &code, None))).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    assert_eq!(ok, 1, "exactly one success among {statuses:?}");
    for r in replies.iter().filter(|r| r.status != 200) {
        expect_oauth_error(r, 400, "invalid_grant");
    }
}

#[tokio::test]
async fn a_code_presented_by_another_client_is_rejected() {
    let (app, rp, user) = setup().await;
    let other = new_rp(&app, json!({})).await;
    // (case, token endpoint's issuer, authenticating client, expected error)
    let cases = [
        (
            "other app at its own token endpoint",
            &other,
            &other,
            "invalid_grant",
        ),
        (
            "other app's credentials at this app's endpoint",
            &rp,
            &other,
            "invalid_client",
        ),
    ];
    for (case, at, who, want) in cases {
        let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", rp.redirect_uri.as_str()),
        ];
        let r = send(
            app.at(Method::POST, &format!("{}/token", at.issuer))
                .header(AUTHORIZATION, basic(&who.client_id, &who.client_secret))
                .form(&form),
        )
        .await;
        assert_eq!(r.json["error"].as_str(), Some(want), "{case}: {}", r.text);
        assert_ne!(r.status, 200, "{case}");
        // The rightful client can still redeem it (the failed attempt did not consume it), or at
        // least the stolen attempt gave nothing; either way the thief got no tokens.
    }
}

#[tokio::test]
async fn a_code_redeemed_with_another_redirect_uri_is_rejected() {
    let app = TestApp::spawn().await;
    let rp = new_rp(
        &app,
        json!({"redirect_uris": ["https://rp.example/a", "https://rp.example/b"]}),
    )
    .await;
    let user = create_user(&app).await;
    let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://rp.example/b"),
    ];
    expect_oauth_error(&token(&app, &rp, &form).await, 400, "invalid_grant");
}

// ---------------------------------------------------------------------------------------------
// PKCE (RFC 7636)

#[tokio::test]
async fn wrong_missing_or_downgraded_pkce_verifiers_are_invalid_grant() {
    let (app, rp, user) = setup().await;
    // (case, challenge sent at /auth, verifier sent at /token)
    let s256 = Pkce::s256();
    let plain = Pkce::plain();
    let cases: Vec<(&str, Option<&Pkce>, Option<String>)> = vec![
        (
            "wrong S256 verifier",
            Some(&s256),
            Some(Pkce::s256().verifier),
        ),
        ("missing verifier for an S256 challenge", Some(&s256), None),
        (
            "the S256 challenge itself sent as a plain verifier",
            Some(&s256),
            Some(s256.challenge.clone()),
        ),
        (
            "wrong plain verifier",
            Some(&plain),
            Some(Pkce::plain().verifier),
        ),
        ("missing verifier for a plain challenge", Some(&plain), None),
        (
            "a verifier for a code requested without a challenge",
            None,
            Some(Pkce::s256().verifier),
        ),
    ];
    let mut failures = Vec::new();
    for (case, pkce, verifier) in cases {
        let extra: Vec<(&'static str, String)> =
            pkce.map(|p| p.params().to_vec()).unwrap_or_default();
        let code = fresh_code(&app, &rp, &user, "openid", &extra).await;
        let r = redeem(&app, &rp, &code, verifier.as_deref()).await;
        if (r.status.as_u16(), r.json["error"].as_str()) != (400, Some("invalid_grant")) {
            failures.push(format!("{case}: {} {}", r.status, r.text));
        }
    }
    assert!(
        failures.is_empty(),
        "expected 400 invalid_grant for:\n{}",
        failures.join("\n")
    );

    // Controls: the right verifiers are accepted.
    for p in [Pkce::s256(), Pkce::plain()] {
        let code = fresh_code(&app, &rp, &user, "openid", &p.params()).await;
        redeem(&app, &rp, &code, Some(&p.verifier))
            .await
            .expect_status(200);
    }
}

#[tokio::test]
async fn public_client_must_use_pkce_and_then_redeems_without_a_secret() {
    let app = TestApp::spawn().await;
    let rp = new_rp(&app, json!({"token_endpoint_auth_method": "none"})).await;
    let user = create_user(&app).await;

    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let cb = Browser::new(&app)
        .authorize(&rp.issuer, &params)
        .await
        .callback();
    assert_eq!(
        cb.get("error"),
        Some("invalid_request"),
        "no PKCE: {:?}",
        cb.params
    );
    assert_eq!(
        cb.get("state"),
        params
            .iter()
            .find(|(k, _)| *k == "state")
            .map(|(_, v)| v.as_str())
    );
    assert_eq!(cb.get("iss"), Some(rp.issuer.as_str()));

    let pkce = Pkce::s256();
    let code = fresh_code(&app, &rp, &user, "openid", &pkce.params()).await;
    let public = |code: &str, verifier: Option<&str>| {
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", rp.redirect_uri.clone()),
            ("client_id", rp.client_id.clone()),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v.to_string()));
        }
        send(
            app.at(Method::POST, &format!("{}/token", rp.issuer))
                .form(&form),
        )
    };
    expect_oauth_error(&public(&code, None).await, 400, "invalid_grant");
    let code = fresh_code(&app, &rp, &user, "openid", &pkce.params()).await;
    public(&code, Some(&pkce.verifier)).await.expect_status(200);
}

// ---------------------------------------------------------------------------------------------
// Client authentication (RFC 6749 §2.3, §5.2)

#[tokio::test]
async fn wrong_client_credentials_are_invalid_client_401_with_www_authenticate_for_basic() {
    let (app, rp, user) = setup().await;
    let wrong = format!("{}x", rp.client_secret);
    // (case, Authorization header, extra form fields, WWW-Authenticate expected)
    let cases: Vec<(&str, Option<String>, Vec<(&str, String)>, bool)> = vec![
        (
            "basic, wrong secret",
            Some(basic(&rp.client_id, &wrong)),
            vec![],
            true,
        ),
        (
            "basic, unknown client",
            Some(basic("nobody", &rp.client_secret)),
            vec![],
            true,
        ),
        (
            "post, wrong secret",
            None,
            vec![
                ("client_id", rp.client_id.clone()),
                ("client_secret", wrong.clone()),
            ],
            false,
        ),
        (
            "post, no secret for a confidential client",
            None,
            vec![("client_id", rp.client_id.clone())],
            false,
        ),
        ("no credentials at all", None, vec![], false),
    ];
    let mut failures = Vec::new();
    for (case, auth, extra, www) in cases {
        let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
        let mut form = vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code),
            ("redirect_uri", rp.redirect_uri.clone()),
        ];
        form.extend(extra);
        let mut rb = app
            .at(Method::POST, &format!("{}/token", rp.issuer))
            .form(&form);
        if let Some(a) = auth {
            rb = rb.header(AUTHORIZATION, a);
        }
        let r = send(rb).await;
        let challenge = r
            .headers
            .get(WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let ok = r.status == 401
            && r.json["error"] == "invalid_client"
            && (!www || challenge.to_ascii_lowercase().starts_with("basic"));
        if !ok {
            failures.push(format!(
                "{case}: {} www-authenticate={challenge:?} {}",
                r.status, r.text
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "expected 401 invalid_client for:\n{}",
        failures.join("\n")
    );

    // Control: client_secret_post with the right secret works.
    let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", rp.redirect_uri.as_str()),
        ("client_id", rp.client_id.as_str()),
        ("client_secret", rp.client_secret.as_str()),
    ];
    send(
        app.at(Method::POST, &format!("{}/token", rp.issuer))
            .form(&form),
    )
    .await
    .expect_status(200);
}

// ---------------------------------------------------------------------------------------------
// The hosted login page

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_401_message() {
    let (app, rp, user) = setup().await;
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let mut pages = Vec::new();
    for (login, password) in [
        (user.username.as_str(), "wrong-password"),
        ("no-such-user", "wrong-password"),
    ] {
        let mut browser = Browser::new(&app);
        let page = browser.authorize(&rp.issuer, &params).await.login();
        let reply = browser
            .submit_login(&rp.issuer, &page, login, password)
            .await
            .stopped();
        assert_eq!(reply.status, 401, "{login}: {}", reply.excerpt());
        assert!(
            reply.text.contains("Incorrect username or password."),
            "{login}: {}",
            reply.excerpt()
        );
        assert!(
            browser.cookies_starting("dw_session_").is_empty(),
            "no session after a failure"
        );
        // Per-request values (CSRF token, interaction id, the login as typed) aside, the
        // pages must be identical: nothing tells a known account from an unknown one.
        let uid = page.url.rsplit('/').next().unwrap_or_default().to_string();
        let login_html = login.replace('&', "&amp;");
        pages.push(
            reply
                .text
                .replace(page.csrf(), "{csrf}")
                .replace(&uid, "{uid}")
                .replace(&login_html, "{login}"),
        );
    }
    assert_eq!(
        pages[0], pages[1],
        "the two pages differ only in per-request values"
    );
}

#[tokio::test]
async fn the_account_locks_after_five_wrong_passwords_even_for_the_right_one() {
    let (app, rp, user) = setup().await;
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let mut browser = Browser::new(&app);
    let page = browser.authorize(&rp.issuer, &params).await.login();
    for i in 1..=5 {
        let r = browser
            .submit_login(&rp.issuer, &page, &user.username, "wrong-password")
            .await
            .stopped();
        assert_eq!(r.status, 401, "failure {i}: {}", r.excerpt());
    }
    let r = browser
        .submit_login(&rp.issuer, &page, &user.username, &user.password)
        .await
        .stopped();
    assert_eq!(r.status, 429, "locked: {}", r.excerpt());
    assert!(
        r.text.contains("Too many failed attempts"),
        "{}",
        r.excerpt()
    );
    assert!(
        browser.cookies_starting("dw_session_").is_empty(),
        "no session while locked"
    );
}

/// The lock is per account: the username, the email and the phone number all name the same
/// account, so neither spreading guesses over them nor switching to another one after the lock
/// gets more than five guesses.
#[tokio::test]
async fn the_lock_holds_whichever_login_names_the_account() {
    let (app, rp, user) = setup().await;
    let (name, email, phone) = (
        user.username.as_str(),
        user.email.as_str(),
        user.phone.as_str(),
    );
    // (case, the five wrong guesses, the login then tried with the right password)
    let cases: [(&str, [&str; 5], &str); 3] = [
        ("locked by username, then email", [name; 5], email),
        ("locked by username, then phone", [name; 5], phone),
        (
            "guesses spread over all three",
            [name, email, phone, name, email],
            phone,
        ),
    ];
    let mut failures = Vec::new();
    for (case, guesses, then) in cases {
        // A fresh account per case, so one case's lock does not decide the next.
        let user = create_user(&app).await;
        let swap = |l: &str| {
            if l == name {
                user.username.clone()
            } else if l == email {
                user.email.clone()
            } else {
                user.phone.clone()
            }
        };
        let mut browser = Browser::new(&app);
        let page = browser
            .authorize(
                &rp.issuer,
                &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
            )
            .await
            .login();
        for g in guesses {
            browser
                .submit_login(&rp.issuer, &page, &swap(g), "wrong-password")
                .await;
        }
        let out = browser
            .submit_login(&rp.issuer, &page, &swap(then), &user.password)
            .await;
        let signed_in = !browser.cookies_starting("dw_session_").is_empty();
        match out {
            Outcome::Login(p) if p.reply.status == 429 && !signed_in => {}
            other => failures.push(format!(
                "{case}: signed in = {signed_in}, {}",
                describe(&other)
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "expected 429 and no session for:\n{}",
        failures.join("\n")
    );
}

/// The counters live in a Durable Object: 20 parallel wrong guesses are counted as they start,
/// so at most five are even checked and the account ends up locked.
#[tokio::test]
async fn parallel_wrong_passwords_cannot_outrun_the_lock() {
    let (app, rp, user) = setup().await;
    let mut browser = Browser::new(&app);
    let page = browser
        .authorize(
            &rp.issuer,
            &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        )
        .await
        .login();
    let action = flows::resolve(&page.url, &page.form.action);
    let mut form = page.form.hidden.clone();
    form.push(("login".into(), user.username.clone()));
    form.push(("password".into(), "wrong-password".into()));
    let replies =
        join_all((0..20).map(|_| send(browser.request(Method::POST, &action).form(&form)))).await;
    let statuses: Vec<u16> = replies.iter().map(|r| r.status.as_u16()).collect();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(checked <= 5, "at most five guesses checked: {statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    let r = browser
        .submit_login(&rp.issuer, &page, &user.username, &user.password)
        .await
        .stopped();
    assert_eq!(r.status, 429, "locked after the burst: {}", r.excerpt());
}

fn describe(o: &Outcome) -> String {
    match o {
        Outcome::Callback(c) => format!("callback {}", c.url),
        Outcome::Login(p) => format!("login page {}", p.reply.status),
        Outcome::Consent(_) => "consent page (signed in)".into(),
        Outcome::Stopped { reply, .. } => format!("page {}", reply.status),
    }
}

#[tokio::test]
async fn a_blocked_user_cannot_sign_in() {
    let (app, rp, user) = setup().await;
    app.admin()
        .patch(
            &format!("/api/v1/users/{}", user.id),
            &json!({"blocked": true}),
        )
        .await
        .expect_status(200);
    let mut browser = Browser::new(&app);
    let page = browser
        .authorize(
            &rp.issuer,
            &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        )
        .await
        .login();
    let r = browser
        .submit_login(&rp.issuer, &page, &user.username, &user.password)
        .await
        .stopped();
    assert_eq!(r.status, 403, "{}", r.excerpt());
    assert!(
        browser.cookies_starting("dw_session_").is_empty(),
        "no session for a blocked user"
    );
}

#[tokio::test]
async fn users_sign_in_with_username_email_or_phone_and_get_a_session_cookie() {
    let app = TestApp::spawn().await;
    let rp = new_rp(&app, json!({})).await;
    let user = app
        .create_user(json!({"username": common::unique("u"), "password": "correct horse", "email": "p@example.com", "phone_number": "+15551234567"}))
        .await;
    let username = user["username"].as_str().unwrap_or("").to_string();
    for login in [username.as_str(), "p@example.com", "+15551234567"] {
        let mut browser = Browser::new(&app);
        let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
        let page = browser.authorize(&rp.issuer, &params).await.login();
        let after = browser
            .submit_login(&rp.issuer, &page, login, "correct horse")
            .await;
        assert!(
            matches!(after, Outcome::Consent(_) | Outcome::Callback(_)),
            "{login}: signed in"
        );
        let session = browser
            .cookie_full("dw_session_default")
            .unwrap_or_else(|| panic!("{login}: no session cookie"));
        let raw = session.raw.to_ascii_lowercase();
        assert!(
            raw.contains("httponly") && raw.contains("samesite=lax"),
            "session cookie attributes: {}",
            session.raw
        );
    }
}

#[tokio::test]
async fn the_login_page_forbids_framing_and_sets_a_referrer_policy() {
    let (app, rp, _) = setup().await;
    let page = Browser::new(&app)
        .authorize(
            &rp.issuer,
            &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        )
        .await
        .login();
    let r = &page.reply;
    assert!(
        r.header("content-security-policy")
            .contains("frame-ancestors 'none'"),
        "CSP: {}",
        r.header("content-security-policy")
    );
    assert_eq!(r.header("x-frame-options"), "DENY");
    assert!(
        !r.header("referrer-policy").is_empty(),
        "Referrer-Policy is set"
    );
    assert!(!page.csrf().is_empty(), "the form carries a CSRF token");
}

#[tokio::test]
async fn a_login_form_without_the_right_csrf_token_is_rejected() {
    let (app, rp, user) = setup().await;
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    // (case, form csrf field, interaction cookie)
    type Tamper = fn(&str) -> (Option<String>, Option<String>);
    let cases: [(&str, Tamper); 4] = [
        ("no csrf field", |c| (None, Some(c.to_string()))),
        ("wrong csrf field", |c| {
            (Some(format!("{c}x")), Some(c.to_string()))
        }),
        ("no csrf cookie", |c| (Some(c.to_string()), None)),
        ("csrf cookie of another value", |c| {
            (Some(c.to_string()), Some("forged".to_string()))
        }),
    ];
    let mut failures = Vec::new();
    for (case, tamper) in cases {
        let mut browser = Browser::new(&app);
        let page = browser.authorize(&rp.issuer, &params).await.login();
        let (field, cookie) = tamper(page.csrf());
        let path = browser
            .cookie_full("dw_interaction")
            .map(|c| c.path.clone())
            .unwrap_or_else(|| "/".into());
        browser.remove_cookie("dw_interaction");
        if let Some(c) = cookie {
            browser.set_cookie("dw_interaction", &c, &path);
        }
        let mut form = vec![
            ("login".to_string(), user.username.clone()),
            ("password".to_string(), user.password.clone()),
        ];
        if let Some(f) = field {
            form.push(("csrf".into(), f));
        }
        let out = browser.submit(&rp.issuer, &page, form).await;
        let signed_in = !browser.cookies_starting("dw_session_").is_empty();
        match out {
            Outcome::Stopped { reply, .. } if reply.status == 400 && !signed_in => {}
            other => failures.push(format!("{case}: {other:?} (session: {signed_in})")),
        }
    }
    assert!(
        failures.is_empty(),
        "expected a 400 page and no session for:\n{}",
        failures.join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Consent

#[tokio::test]
async fn denying_consent_returns_access_denied_with_state_and_iss() {
    let (app, rp, user) = setup().await;
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid email");
    let cb = Browser::new(&app)
        .sign_in(
            &rp.issuer,
            &params,
            &user.username,
            &user.password,
            Consent::Deny,
        )
        .await
        .callback();
    assert_eq!(cb.get("error"), Some("access_denied"), "{:?}", cb.params);
    assert_eq!(
        cb.get("state"),
        params
            .iter()
            .find(|(k, _)| *k == "state")
            .map(|(_, v)| v.as_str())
    );
    assert_eq!(cb.get("iss"), Some(rp.issuer.as_str()));
    assert!(cb.get("code").is_none());
}

#[tokio::test]
async fn consent_is_remembered_and_prompt_consent_asks_again() {
    let (app, rp, user) = setup().await;
    let mut browser = Browser::new(&app);
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid email");
    let first = browser
        .sign_in(
            &rp.issuer,
            &params,
            &user.username,
            &user.password,
            Consent::Stop,
        )
        .await
        .consent();
    assert_eq!(
        first.scopes(),
        ["openid", "email"],
        "consent lists the scopes"
    );
    browser
        .submit_consent(&rp.issuer, &first, true)
        .await
        .callback();

    // Same browser (SSO session), same scopes: straight back with a code.
    let again = browser
        .authorize(
            &rp.issuer,
            &code_params(&rp.client_id, &rp.redirect_uri, "openid email"),
        )
        .await
        .callback();
    assert!(
        again.get("code").is_some(),
        "SSO and remembered consent: {:?}",
        again.params
    );

    // A new browser signs in again but is not asked again.
    let other = Browser::new(&app)
        .sign_in(
            &rp.issuer,
            &params,
            &user.username,
            &user.password,
            Consent::Stop,
        )
        .await;
    assert!(
        matches!(other, Outcome::Callback(_)),
        "consent remembered across sessions"
    );

    let forced = browser
        .authorize(&rp.issuer, &with(params.clone(), "prompt", "consent"))
        .await;
    assert!(
        matches!(forced, Outcome::Consent(_)),
        "prompt=consent shows the page again"
    );
    let wider = browser
        .authorize(&rp.issuer, &with(params, "scope", "openid email phone"))
        .await;
    assert!(
        matches!(wider, Outcome::Consent(_)),
        "a wider scope asks again"
    );
}

// ---------------------------------------------------------------------------------------------
// prompt and max_age (OIDC Core §3.1.2.1, §3.1.2.6)

#[tokio::test]
async fn prompt_none_without_a_session_answers_login_required_with_state_and_iss() {
    let (app, rp, _) = setup().await;
    let params = with(
        code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        "prompt",
        "none",
    );
    let cb = Browser::new(&app)
        .authorize(&rp.issuer, &params)
        .await
        .callback();
    assert_eq!(cb.get("error"), Some("login_required"), "{:?}", cb.params);
    assert_eq!(
        cb.get("state"),
        params
            .iter()
            .find(|(k, _)| *k == "state")
            .map(|(_, v)| v.as_str())
    );
    assert_eq!(cb.get("iss"), Some(rp.issuer.as_str()));
    assert_eq!(cb.target(), rp.redirect_uri);
}

#[tokio::test]
async fn prompt_none_with_a_session_but_no_consent_answers_consent_required() {
    let (app, rp, user) = setup().await;
    let mut browser = Browser::new(&app);
    // Sign in but stop at the consent page: a session, no consent.
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid email");
    browser
        .sign_in(
            &rp.issuer,
            &params,
            &user.username,
            &user.password,
            Consent::Stop,
        )
        .await
        .consent();
    let cb = browser
        .authorize(&rp.issuer, &with(params.clone(), "prompt", "none"))
        .await
        .callback();
    assert_eq!(cb.get("error"), Some("consent_required"), "{:?}", cb.params);
    assert_eq!(cb.get("iss"), Some(rp.issuer.as_str()));

    // Control: once consented, prompt=none answers with a code.
    let consent = browser.authorize(&rp.issuer, &params).await.consent();
    browser
        .submit_consent(&rp.issuer, &consent, true)
        .await
        .callback();
    let cb = browser
        .authorize(&rp.issuer, &with(params, "prompt", "none"))
        .await
        .callback();
    assert!(
        cb.get("code").is_some(),
        "prompt=none with session and consent: {:?}",
        cb.params
    );
}

#[tokio::test]
async fn max_age_zero_or_prompt_login_shows_the_login_page_despite_a_session() {
    let (app, rp, user) = setup().await;
    let mut browser = Browser::new(&app);
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let first = browser
        .sign_in(
            &rp.issuer,
            &params,
            &user.username,
            &user.password,
            Consent::Allow,
        )
        .await
        .callback();
    let first_auth_time = claims(
        redeem(&app, &rp, first.param("code"), None).await.json["id_token"]
            .as_str()
            .unwrap_or(""),
    )["auth_time"]
        .clone();

    for (case, key, value) in [
        ("max_age=0", "max_age", "0"),
        ("prompt=login", "prompt", "login"),
    ] {
        let out = browser
            .authorize(&rp.issuer, &with(params.clone(), key, value))
            .await;
        assert!(
            out.is_login(),
            "{case}: the login page is shown again, got {out:?}"
        );
    }

    // Signing in again gives a new auth_time (and max_age makes it required in the id_token).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let out = browser
        .sign_in(
            &rp.issuer,
            &with(params, "max_age", "0"),
            &user.username,
            &user.password,
            Consent::Allow,
        )
        .await
        .callback();
    let t = redeem(&app, &rp, out.param("code"), None).await;
    let c = claims(t.json["id_token"].as_str().unwrap_or(""));
    assert!(
        c["auth_time"].as_u64() > first_auth_time.as_u64(),
        "re-authentication moves auth_time: {c} vs {first_auth_time}"
    );
}

// ---------------------------------------------------------------------------------------------
// Refresh tokens (RFC 6749 §6, OAuth 2.0 Security BCP §4.14)

async fn offline_tokens(app: &TestApp, rp: &Rp, user: &TestUser, scope: &str) -> Value {
    let code = fresh_code(app, rp, user, scope, &[("prompt", "consent".into())]).await;
    let r = redeem(app, rp, &code, None).await;
    r.expect_status(200);
    assert!(
        r.json["refresh_token"].is_string(),
        "a refresh token was earned: {}",
        r.text
    );
    r.json
}

#[tokio::test]
async fn refresh_rotates_the_token_and_returns_a_new_id_token() {
    let (app, rp, user) = setup().await;
    let t0 = offline_tokens(&app, &rp, &user, "openid email offline_access").await;
    let rt0 = t0["refresh_token"].as_str().unwrap_or("");
    let r = refresh(&app, &rp, rt0, None).await;
    r.expect_status(200);
    assert_eq!(r.header("cache-control"), "no-store");
    let rt1 = r.json["refresh_token"].as_str().unwrap_or("");
    assert!(
        !rt1.is_empty() && rt1 != rt0,
        "a new refresh token: {}",
        r.text
    );
    let id1 = r.json["id_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no id_token on refresh: {}", r.text));
    assert_ne!(Some(id1), t0["id_token"].as_str(), "a new id_token");
    let (c0, c1) = (claims(t0["id_token"].as_str().unwrap_or("")), claims(id1));
    assert_eq!(
        (&c1["sub"], &c1["aud"], &c1["iss"]),
        (&c0["sub"], &c0["aud"], &c0["iss"])
    );
    userinfo(&app, &rp, r.json["access_token"].as_str().unwrap_or(""))
        .await
        .expect_status(200);
    refresh(&app, &rp, rt1, None).await.expect_status(200);
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_after_the_grace_window_revokes_the_family() {
    let (app, rp, user) = setup().await;
    let t0 = offline_tokens(&app, &rp, &user, "openid offline_access").await;
    let rt0 = t0["refresh_token"].as_str().unwrap_or("").to_string();
    let r1 = refresh(&app, &rp, &rt0, None).await;
    r1.expect_status(200);
    let rt1 = r1.json["refresh_token"].as_str().unwrap_or("").to_string();
    let at1 = r1.json["access_token"].as_str().unwrap_or("").to_string();

    tokio::time::sleep(Duration::from_secs(11)).await;
    expect_oauth_error(&refresh(&app, &rp, &rt0, None).await, 400, "invalid_grant");
    expect_oauth_error(&refresh(&app, &rp, &rt1, None).await, 400, "invalid_grant");
    let me = userinfo(&app, &rp, &at1).await;
    assert_eq!(
        me.status, 401,
        "the family's access token is revoked: {}",
        me.text
    );
}

#[tokio::test]
async fn a_refresh_token_sent_by_another_client_is_invalid_grant() {
    let (app, rp, user) = setup().await;
    let other = new_rp(&app, json!({})).await;
    let t = offline_tokens(&app, &rp, &user, "openid offline_access").await;
    let rt = t["refresh_token"].as_str().unwrap_or("");
    expect_oauth_error(&refresh(&app, &other, rt, None).await, 400, "invalid_grant");
    // The theft attempt did not consume it for its rightful client.
    refresh(&app, &rp, rt, None).await.expect_status(200);
}

#[tokio::test]
async fn refresh_may_narrow_the_scope_but_not_widen_it() {
    let (app, rp, user) = setup().await;
    let t = offline_tokens(&app, &rp, &user, "openid email offline_access").await;
    let rt = t["refresh_token"].as_str().unwrap_or("");
    expect_oauth_error(
        &refresh(&app, &rp, rt, Some("openid email phone offline_access")).await,
        400,
        "invalid_scope",
    );
    let narrow = refresh(&app, &rp, rt, Some("openid offline_access")).await;
    narrow.expect_status(200);
    assert_eq!(narrow.json["scope"], "openid offline_access");
}

// ---------------------------------------------------------------------------------------------
// The token endpoint's request and response shape

#[tokio::test]
async fn token_parameters_in_query_and_body_that_conflict_are_invalid_request() {
    let (app, rp, user) = setup().await;
    let code = fresh_code(&app, &rp, &user, "openid", &[]).await;
    let url = format!(
        "{}/token?grant_type=authorization_code&code={code}x",
        rp.issuer
    );
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", rp.redirect_uri.as_str()),
    ];
    let r = send(
        app.at(Method::POST, &url)
            .header(AUTHORIZATION, basic(&rp.client_id, &rp.client_secret))
            .form(&form),
    )
    .await;
    expect_oauth_error(&r, 400, "invalid_request");

    // The same value in both places is fine.
    let url = format!(
        "{}/token?grant_type=authorization_code&code={code}",
        rp.issuer
    );
    let r = send(
        app.at(Method::POST, &url)
            .header(AUTHORIZATION, basic(&rp.client_id, &rp.client_secret))
            .form(&form),
    )
    .await;
    r.expect_status(200);
    assert_eq!(
        (r.header("cache-control"), r.header("pragma")),
        ("no-store", "no-cache"),
        "RFC 6749 §5.1"
    );
}

#[tokio::test]
async fn the_id_token_carries_the_nonce_and_the_claims_of_the_granted_scopes() {
    let (app, rp, user) = setup().await;
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid profile email");
    let nonce = params
        .iter()
        .find(|(k, _)| *k == "nonce")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let code = code_for(&mut Browser::new(&app), &rp, &user, &params).await;
    let t = redeem(&app, &rp, &code, None).await;
    t.expect_status(200);
    let c = claims(t.json["id_token"].as_str().unwrap_or(""));
    assert_eq!(c["nonce"], nonce.as_str());
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

/// OAuth 2.0 Security BCP §4.14.2: the grace window is for one lost response, so an old token
/// is honoured once, within 10 s of its rotation; it must not become a sliding window that a
/// thief can keep alive by replaying the old token every few seconds.
#[tokio::test]
async fn a_rotated_refresh_token_is_honoured_only_once_inside_the_grace_window() {
    let (app, rp, user) = setup().await;
    // (case, pause before each replay of the old token)
    let cases = [
        ("immediate replays", Duration::from_millis(0)),
        (
            "replays 6 s apart (12 s after the rotation)",
            Duration::from_secs(6),
        ),
    ];
    let mut failures = Vec::new();
    for (case, pause) in cases {
        let t0 = offline_tokens(&app, &rp, &user, "openid offline_access").await;
        let rt0 = t0["refresh_token"].as_str().unwrap_or("").to_string();
        refresh(&app, &rp, &rt0, None).await.expect_status(200);
        tokio::time::sleep(pause).await;
        let retry = refresh(&app, &rp, &rt0, None).await;
        if retry.status != 200 {
            failures.push(format!(
                "{case}: the first retry in the window was refused: {}",
                retry.text
            ));
            continue;
        }
        tokio::time::sleep(pause).await;
        let again = refresh(&app, &rp, &rt0, None).await;
        if again.status == 200 {
            failures.push(format!("{case}: the old token was honoured a second time"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Authorization endpoint variants and errors sent back to the client

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
        .sign_in(
            &rp.issuer,
            &params,
            &user.username,
            &user.password,
            Consent::Allow,
        )
        .await
        .callback();
    assert_eq!(cb.delivered, flows::Delivered::FormPost);
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
    assert_eq!(cb.delivered, flows::Delivered::Query);
    redeem(&app, &rp, cb.param("code"), None)
        .await
        .expect_status(200);
}

#[tokio::test]
async fn invalid_requests_after_the_redirect_uri_check_go_back_to_the_client_with_state_and_iss() {
    let (app, rp, _) = setup().await;
    let base = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    // (case, changed parameter, value, acceptable error codes)
    let cases: [(&str, &'static str, &str, &[&str]); 6] = [
        (
            "response type not ticked",
            "response_type",
            "id_token",
            &["unauthorized_client", "unsupported_response_type"],
        ),
        (
            "unknown response type",
            "response_type",
            "bogus",
            &["unsupported_response_type"],
        ),
        (
            "scope without openid",
            "scope",
            "profile email",
            &["invalid_scope", "invalid_request"],
        ),
        (
            "unknown PKCE method",
            "code_challenge_method",
            "S512",
            &["invalid_request"],
        ),
        (
            "prompt=none combined",
            "prompt",
            "none login",
            &["invalid_request"],
        ),
        (
            "unknown prompt",
            "prompt",
            "sometimes",
            &["invalid_request"],
        ),
    ];
    let mut failures = Vec::new();
    for (case, key, value, want) in cases {
        let mut params = with(base.clone(), key, value);
        if key == "code_challenge_method" {
            params = with(params, "code_challenge", &Pkce::s256().challenge);
        }
        let state = params
            .iter()
            .find(|(k, _)| *k == "state")
            .map(|(_, v)| v.clone());
        match Browser::new(&app).authorize(&rp.issuer, &params).await {
            Outcome::Callback(cb) => {
                let ok = cb.get("error").is_some_and(|e| want.contains(&e))
                    && cb.get("state") == state.as_deref()
                    && cb.get("iss") == Some(rp.issuer.as_str())
                    && cb.get("code").is_none();
                if !ok {
                    failures.push(format!("{case}: {:?}", cb.params));
                }
            }
            other => failures.push(format!("{case}: {}", describe(&other))),
        }
    }
    assert!(
        failures.is_empty(),
        "expected an error redirect for:\n{}",
        failures.join("\n")
    );
}

#[tokio::test]
async fn a_client_of_another_issuer_gets_an_error_page_and_no_redirect() {
    let (app, rp, _) = setup().await;
    let other = new_rp(&app, json!({})).await;
    let cases = [
        (
            "another issuer's client",
            other.client_id.as_str(),
            other.redirect_uri.as_str(),
        ),
        ("unknown client", "no-such-client", rp.redirect_uri.as_str()),
    ];
    for (case, client_id, redirect_uri) in cases {
        let url = flows::authorize_url(&rp.issuer, &code_params(client_id, redirect_uri, "openid"));
        let r = send(app.at(Method::GET, &url)).await;
        assert_eq!(r.status, 400, "{case}: {}", r.excerpt());
        assert!(r.headers.get(LOCATION).is_none(), "{case}: no redirect");
    }
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
    let got = userinfo(&app, &rp, &at).await;
    got.expect_status(200);
    assert_eq!(
        got.json["sub"],
        claims(t.json["id_token"].as_str().unwrap_or(""))["sub"]
    );

    let mut tampered = at.clone();
    let last = tampered
        .pop()
        .map(|c| if c == 'A' { 'B' } else { 'A' })
        .unwrap_or('A');
    tampered.push(last);
    let other = new_rp(&app, json!({})).await;
    for (case, token) in [
        ("garbage", "not-a-token".to_string()),
        ("bad signature", tampered),
    ] {
        let r = userinfo(&app, &rp, &token).await;
        assert_eq!(r.status, 401, "{case}: {}", r.text);
        let www = r.header("www-authenticate");
        assert!(
            www.starts_with("Bearer") && www.contains("error=\"invalid_token\""),
            "{case}: {www}"
        );
    }
    // The token is this issuer's: another application's userinfo does not take it.
    let r = userinfo(&app, &other, &at).await;
    assert_eq!(r.status, 401, "another issuer's /me: {}", r.text);
}
