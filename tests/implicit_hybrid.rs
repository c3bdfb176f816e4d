//! Black-box tests of issue 4 against the real worker under `wrangler dev`: the implicit
//! (`id_token`, `id_token token`) and hybrid (`code id_token`, `code token`,
//! `code id_token token`) response types (OIDC Core §3.2, §3.3), the fragment and form_post
//! response modes, the nonce and the `at_hash`/`c_hash` bindings. Every id_token is checked by
//! the independent RP crate `openidconnect` (fosite's habit: an outside client is the oracle).
//! Talks HTTP only, through `common` and the `flows` browser; knows nothing of the crate.

mod common;
mod flows;

use std::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{
    CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKey, CoreJwsSigningAlgorithm, CoreProviderMetadata,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AuthorizationCode, AuthorizationCodeHash, ClientId, ClientSecret, IssuerUrl,
    JsonWebKey, Nonce,
};
use reqwest::header::AUTHORIZATION;
use reqwest::Method;
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha512};

use common::{send, Reply, TestApp};
use flows::{Browser, Callback, Consent, Delivered, Outcome, TestUser};

/// Every response type an application can tick.
const ALL_TYPES: [&str; 6] = ["code", "id_token", "id_token token", "code id_token", "code token", "code id_token token"];
/// The five response types this issue adds: each returns a token from the authorization endpoint.
const FRONT_CHANNEL_TYPES: [&str; 5] = ["id_token", "id_token token", "code id_token", "code token", "code id_token token"];
/// The ones whose authorization response carries an id_token (and so need a nonce).
const ID_TOKEN_TYPES: [&str; 4] = ["id_token", "id_token token", "code id_token", "code id_token token"];
const SCOPE: &str = "openid email profile";

fn has(rt: &str, part: &str) -> bool {
    rt.split(' ').any(|p| p == part)
}

// ---------------------------------------------------------------------------------------------
// Set-up

/// One worker with one application (every response type and both grants unless `settings`
/// says otherwise) and one user.
struct Rp {
    app: TestApp,
    created: Value,
    issuer: String,
    client_id: String,
    client_secret: String,
    redirect_uri: String,
    user: TestUser,
}

impl Rp {
    async fn start(settings: Value) -> Rp {
        let app = TestApp::spawn().await;
        let created = create_app(&app, settings).await;
        let user = flows::create_user(&app).await;
        let s = |k: &str| created[k].as_str().unwrap_or_else(|| panic!("application without {k}: {created}")).to_string();
        let redirect_uri = created["redirect_uris"][0].as_str().unwrap_or_else(|| panic!("no redirect_uri: {created}")).to_string();
        Rp {
            issuer: s("issuer"),
            client_id: s("client_id"),
            client_secret: s("client_secret"),
            redirect_uri,
            created,
            user,
            app,
        }
    }

    /// An implicit/hybrid-capable application ticking every response type, signing with `alg`.
    async fn with_alg(alg: &str) -> Rp {
        Rp::start(json!({
            "grant_types": ["authorization_code", "implicit", "refresh_token"],
            "response_types": ALL_TYPES,
            "id_token_signed_response_alg": alg,
        }))
        .await
    }

    /// Authorization parameters for `rt` with a fresh `state` and `nonce`.
    fn params(&self, rt: &str) -> Vec<(&'static str, String)> {
        let mut p = flows::code_params(&self.client_id, &self.redirect_uri, SCOPE);
        p = flows::with(p, "response_type", rt);
        p
    }

    /// A real sign-in in a fresh browser (login page, consent page) to the client's redirect URI.
    async fn sign_in(&self, params: &[(&'static str, String)]) -> Callback {
        let mut browser = Browser::new(&self.app);
        browser.sign_in(&self.issuer, params, &self.user.username, &self.user.password, Consent::Allow).await.callback()
    }

    /// Sends `params` to `/auth` with no session: for requests refused before any page.
    async fn authorize(&self, params: &[(&'static str, String)]) -> Outcome {
        Browser::new(&self.app).authorize(&self.issuer, params).await
    }

    /// `grant_type=authorization_code` with `client_secret_basic`.
    async fn redeem(&self, code: &str, redirect_uri: &str, secret: &str) -> Reply {
        let rb = self
            .app
            .at(Method::POST, &format!("{}/token", self.issuer))
            .basic_auth(&self.client_id, Some(secret))
            .form(&[("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirect_uri)]);
        send(rb).await
    }

    async fn userinfo(&self, access_token: &str) -> Reply {
        let rb = self.app.at(Method::GET, &format!("{}/me", self.issuer)).header(AUTHORIZATION, format!("Bearer {access_token}"));
        send(rb).await
    }
}

async fn create_app(app: &TestApp, settings: Value) -> Value {
    let mut body = app.application_body("ih");
    if let (Some(b), Some(s)) = (body.as_object_mut(), settings.as_object()) {
        for (k, v) in s {
            b.insert(k.clone(), v.clone());
        }
    }
    app.create_application(body).await
}

fn str_set(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {v}"))
        .iter()
        .map(|s| s.as_str().unwrap_or_else(|| panic!("expected strings in {v}")).to_string())
        .collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The payload of a compact JWS, without verifying it (claims the oracle does not expose).
fn jwt_part(token: &str, index: usize) -> Value {
    let part = token.split('.').nth(index).unwrap_or_else(|| panic!("not a compact JWS: {token}"));
    let bytes = URL_SAFE_NO_PAD.decode(part).unwrap_or_else(|e| panic!("JWS part {index} is not base64url: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("JWS part {index} is not JSON: {e}"))
}

fn b64_left_half(digest: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(&digest[..digest.len() / 2])
}

// ---------------------------------------------------------------------------------------------
// The oracle: openidconnect

/// How an id_token must bind a value through `at_hash` / `c_hash`.
#[derive(Clone, Copy)]
enum Bound<'a> {
    /// The hash must be there and match.
    To(&'a str),
    /// The hash may be absent; when present it must match.
    IfPresent(&'a str),
    /// The hash must be absent.
    Absent,
}

/// Validates `id_token` the way a relying party would, with `openidconnect` built from the
/// issuer's discovery document and JWKS: signature with exactly `alg` (HS256: the client
/// secret), `iss`, `aud`, `exp`, `nonce`; then `at_hash` and `c_hash`. Returns the verified
/// token's claims as JSON.
async fn verify_id_token(rp: &Rp, alg: CoreJwsSigningAlgorithm, id_token: &str, nonce: &str, at: Bound<'_>, c: Bound<'_>) -> Value {
    verify_id_token_with_secret(rp, &rp.client_secret, alg, id_token, nonce, at, c).await.unwrap_or_else(|e| panic!("{e}"))
}

async fn verify_id_token_with_secret(
    rp: &Rp,
    secret: &str,
    alg: CoreJwsSigningAlgorithm,
    id_token: &str,
    nonce: &str,
    at: Bound<'_>,
    c: Bound<'_>,
) -> Result<Value, String> {
    let issuer = IssuerUrl::new(rp.issuer.clone()).map_err(|e| format!("issuer URL: {e}"))?;
    let metadata = CoreProviderMetadata::discover_async(issuer, &rp.app.client)
        .await
        .map_err(|e| format!("openidconnect discovery of {}: {e:?}", rp.issuer))?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(rp.client_id.clone()),
        Some(ClientSecret::new(secret.to_string())),
    );
    let verifier: CoreIdTokenVerifier<'_> = client.id_token_verifier().set_allowed_algs([alg.clone()]);
    let token: CoreIdToken = id_token.parse().map_err(|e| format!("not an id_token ({e:?}): {id_token}"))?;
    let claims = token
        .claims(&verifier, &Nonce::new(nonce.to_string()))
        .map_err(|e| format!("openidconnect rejected the id_token: {e:?}; header {}, claims {}", jwt_part(id_token, 0), jwt_part(id_token, 1)))?;
    let symmetric;
    let key: &CoreJsonWebKey = if alg == CoreJwsSigningAlgorithm::HmacSha256 {
        symmetric = CoreJsonWebKey::new_symmetric(secret.as_bytes().to_vec());
        &symmetric
    } else {
        token.signing_key(&verifier).map_err(|e| format!("no JWKS key for the id_token: {e:?}"))?
    };
    let at_hash = claims.access_token_hash().map(|h| h.to_string());
    let c_hash = claims.code_hash().map(|h| h.to_string());
    let want_at = |t: &str| AccessTokenHash::from_token(&AccessToken::new(t.into()), &alg, key).map(|h| h.to_string());
    let want_c = |t: &str| AuthorizationCodeHash::from_code(&AuthorizationCode::new(t.into()), &alg, key).map(|h| h.to_string());
    check_binding("at_hash", at_hash, at, want_at)?;
    check_binding("c_hash", c_hash, c, want_c)?;
    Ok(jwt_part(id_token, 1))
}

fn check_binding<E: std::fmt::Debug>(
    name: &str,
    got: Option<String>,
    rule: Bound<'_>,
    compute: impl Fn(&str) -> Result<String, E>,
) -> Result<(), String> {
    let expect = |v: &str| compute(v).map_err(|e| format!("computing the expected {name}: {e:?}"));
    match (rule, got) {
        (Bound::To(v), Some(g)) | (Bound::IfPresent(v), Some(g)) => {
            let want = expect(v)?;
            if g == want {
                Ok(())
            } else {
                Err(format!("{name} is {g}, the RP computes {want}"))
            }
        }
        (Bound::To(_), None) => Err(format!("the id_token has no {name}")),
        (Bound::IfPresent(_), None) | (Bound::Absent, None) => Ok(()),
        (Bound::Absent, Some(g)) => Err(format!("the id_token has a {name} ({g}) but nothing to bind it to")),
    }
}

// ---------------------------------------------------------------------------------------------
// The five response types, each through a real sign-in

/// Signs in with `rt` and checks what the fragment carries, then (hybrid) redeems the code.
async fn assert_response_type_round_trip(rt: &str) {
    let rp = Rp::with_alg("RS256").await;
    let alg = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;
    let params = rp.params(rt);
    let nonce = params.iter().find(|(k, _)| *k == "nonce").map(|(_, v)| v.clone()).unwrap_or_default();
    let state = params.iter().find(|(k, _)| *k == "state").map(|(_, v)| v.clone()).unwrap_or_default();
    let cb = rp.sign_in(&params).await;

    assert_eq!(cb.delivered, Delivered::Fragment, "{rt}: default response mode; went to {}", cb.url);
    assert_eq!(cb.url.query(), None, "{rt}: nothing may travel in the query: {}", cb.url);
    assert_eq!(cb.target(), rp.redirect_uri, "{rt}: redirect target");
    assert_eq!(cb.get("error"), None, "{rt}: {:?}", cb.params);
    assert_eq!(cb.get("state"), Some(state.as_str()), "{rt}: state");
    assert_eq!(cb.get("iss"), Some(rp.issuer.as_str()), "{rt}: iss (RFC 9207)");
    assert_eq!(cb.get("refresh_token"), None, "{rt}: a refresh token in the fragment");
    assert_eq!(cb.get("code").is_some(), has(rt, "code"), "{rt}: code presence; {:?}", cb.params);
    assert_eq!(cb.get("access_token").is_some(), has(rt, "token"), "{rt}: access_token presence; {:?}", cb.params);
    assert_eq!(cb.get("id_token").is_some(), has(rt, "id_token"), "{rt}: id_token presence; {:?}", cb.params);

    let code = cb.get("code");
    let access_token = cb.get("access_token");
    if let Some(at) = access_token {
        assert_eq!(cb.get("token_type").map(str::to_ascii_lowercase).as_deref(), Some("bearer"), "{rt}: token_type");
        assert_eq!(cb.get("expires_in"), Some("3600"), "{rt}: default expires_in");
        let granted: BTreeSet<&str> = cb.param("scope").split(' ').collect();
        assert!(granted.contains("openid") && granted.contains("email"), "{rt}: scope {granted:?}");
        let me = rp.userinfo(at).await;
        me.expect_status(200);
        assert_eq!(me.json["sub"], rp.user.id.as_str(), "{rt}: userinfo sub");
        assert_eq!(me.json["email"], rp.user.email.as_str(), "{rt}: userinfo email (the claims an access token defers)");
    }

    let front_sub = if let Some(id_token) = cb.get("id_token") {
        let at = access_token.map_or(Bound::Absent, Bound::To);
        let c = code.map_or(Bound::Absent, Bound::To);
        let claims = verify_id_token(&rp, alg.clone(), id_token, &nonce, at, c).await;
        assert_eq!(claims["sub"], rp.user.id.as_str(), "{rt}: sub");
        if access_token.is_some() {
            // OIDC Core §5.4: with an access token beside it, the profile claims come from userinfo.
            for claim in ["email", "name", "preferred_username"] {
                assert!(claims.get(claim).is_none(), "{rt}: minimal id_token carries `{claim}`: {claims}");
            }
        } else {
            assert_eq!(claims["email"], rp.user.email.as_str(), "{rt}: id_token without an access token keeps its claims");
        }
        Some(claims)
    } else {
        None
    };

    if let Some(code) = code {
        let r = rp.redeem(code, &rp.redirect_uri, &rp.client_secret).await;
        r.expect_status(200);
        let back_at = r.json["access_token"].as_str().unwrap_or_else(|| panic!("{rt}: no access_token: {}", r.text));
        let back_id = r.json["id_token"].as_str().unwrap_or_else(|| panic!("{rt}: no id_token from /token: {}", r.text));
        assert!(r.json.get("refresh_token").is_none(), "{rt}: refresh token without offline_access: {}", r.text);
        let back = verify_id_token(&rp, alg, back_id, &nonce, Bound::IfPresent(back_at), Bound::IfPresent(code)).await;
        assert_eq!(back["sub"], rp.user.id.as_str(), "{rt}: token endpoint sub");
        if let Some(front) = &front_sub {
            for claim in ["sub", "iss", "aud"] {
                assert_eq!(back[claim], front[claim], "{rt}: `{claim}` differs between the fragment and /token id_tokens");
            }
        } else {
            assert_eq!(back["iss"], rp.issuer.as_str(), "{rt}: iss");
            assert_eq!(back["aud"], rp.client_id.as_str(), "{rt}: aud");
        }
        let again = rp.redeem(code, &rp.redirect_uri, &rp.client_secret).await;
        again.expect_status(400);
        assert_eq!(again.json["error"], "invalid_grant", "{rt}: a hybrid code is single-use: {}", again.text);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_token_response_delivers_a_verifiable_id_token_with_the_nonce() {
    assert_response_type_round_trip("id_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_token_token_response_binds_the_access_token_with_at_hash() {
    assert_response_type_round_trip("id_token token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_id_token_response_binds_the_code_with_c_hash_and_the_code_redeems() {
    assert_response_type_round_trip("code id_token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_token_response_gives_the_id_token_only_at_the_token_endpoint() {
    assert_response_type_round_trip("code token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_id_token_token_response_binds_both_and_the_code_redeems() {
    assert_response_type_round_trip("code id_token token").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hybrid_code_is_redeemed_only_with_the_client_secret_and_redirect_uri() {
    let rp = Rp::with_alg("RS256").await;
    let cb = rp.sign_in(&rp.params("code id_token")).await;
    let code = cb.param("code");

    let wrong_secret = rp.redeem(code, &rp.redirect_uri, "not-the-secret").await;
    wrong_secret.expect_status(401);
    assert_eq!(wrong_secret.json["error"], "invalid_client", "{}", wrong_secret.text);

    let other_uri = format!("{}/other", rp.redirect_uri);
    let wrong_uri = rp.redeem(code, &other_uri, &rp.client_secret).await;
    wrong_uri.expect_status(400);
    assert_eq!(wrong_uri.json["error"], "invalid_grant", "{}", wrong_uri.text);
}

// ---------------------------------------------------------------------------------------------
// Signing algorithms

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hs256_application_signs_id_tokens_with_its_client_secret_in_every_mode() {
    let rp = Rp::with_alg("HS256").await;
    let alg = CoreJwsSigningAlgorithm::HmacSha256;
    for rt in ALL_TYPES {
        let params = rp.params(rt);
        let nonce = params.iter().find(|(k, _)| *k == "nonce").map(|(_, v)| v.clone()).unwrap_or_default();
        let cb = rp.sign_in(&params).await;
        assert_eq!(cb.get("error"), None, "{rt}: {:?}", cb.params);
        let mut id_tokens = Vec::new();
        if let Some(id_token) = cb.get("id_token") {
            let at = cb.get("access_token").map_or(Bound::Absent, Bound::To);
            let c = cb.get("code").map_or(Bound::Absent, Bound::To);
            verify_id_token(&rp, alg.clone(), id_token, &nonce, at, c).await;
            id_tokens.push(id_token.to_string());
        }
        if let Some(code) = cb.get("code") {
            let r = rp.redeem(code, &rp.redirect_uri, &rp.client_secret).await;
            r.expect_status(200);
            let id_token = r.json["id_token"].as_str().unwrap_or_else(|| panic!("{rt}: no id_token: {}", r.text));
            let at = r.json["access_token"].as_str().unwrap_or_default();
            verify_id_token(&rp, alg.clone(), id_token, &nonce, Bound::IfPresent(at), Bound::IfPresent(code)).await;
            id_tokens.push(id_token.to_string());
        }
        assert!(!id_tokens.is_empty(), "{rt}: no id_token at all");
        for t in &id_tokens {
            assert_eq!(jwt_part(t, 0)["alg"], "HS256", "{rt}: header {}", jwt_part(t, 0));
            // The oracle really checks the MAC: another secret must fail.
            let forged = verify_id_token_with_secret(&rp, "some-other-secret", alg.clone(), t, &nonce, Bound::IfPresent(""), Bound::IfPresent("")).await;
            assert!(forged.is_err(), "{rt}: an HS256 id_token verified with the wrong secret");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eddsa_id_tokens_hash_the_code_and_access_token_with_sha512() {
    let rp = Rp::with_alg("EdDSA").await;
    let params = rp.params("code id_token token");
    let nonce = params.iter().find(|(k, _)| *k == "nonce").map(|(_, v)| v.clone()).unwrap_or_default();
    let cb = rp.sign_in(&params).await;
    let (code, at, id_token) = (cb.param("code"), cb.param("access_token"), cb.param("id_token"));
    let claims = verify_id_token(&rp, CoreJwsSigningAlgorithm::EdDsa, id_token, &nonce, Bound::To(at), Bound::To(code)).await;
    assert_eq!(jwt_part(id_token, 0)["alg"], "EdDSA");
    // OIDC Core §3.3.2.11 / the EdDSA registration: Ed25519 hashes with SHA-512, left 32 bytes.
    assert_eq!(claims["c_hash"], b64_left_half(&Sha512::digest(code.as_bytes())), "c_hash with SHA-512");
    assert_eq!(claims["at_hash"], b64_left_half(&Sha512::digest(at.as_bytes())), "at_hash with SHA-512");
    assert_ne!(claims["c_hash"], b64_left_half(&Sha256::digest(code.as_bytes())), "c_hash with SHA-256");
}

// ---------------------------------------------------------------------------------------------
// Refusals: each a table of requests, answered at the redirect URI in the request's mode

/// Asserts an error response at the redirect URI, in the fragment (or `mode`), with state and iss.
#[track_caller]
fn assert_error_in(case: &str, rp: &Rp, outcome: Outcome, mode: Delivered, error: &str, state: &str) -> Callback {
    let cb = match outcome {
        Outcome::Callback(cb) => cb,
        other => panic!("{case}: expected an error at the redirect URI, got {other:?}"),
    };
    assert_eq!(cb.delivered, mode, "{case}: response mode; went to {} {:?}", cb.url, cb.params);
    if mode != Delivered::Query {
        assert_eq!(cb.url.query(), None, "{case}: the query must stay empty: {}", cb.url);
    }
    assert_eq!(cb.target(), rp.redirect_uri, "{case}: target");
    assert_eq!(cb.get("error"), Some(error), "{case}: error; params {:?}", cb.params);
    assert!(cb.get("error_description").is_some_and(|d| !d.is_empty()), "{case}: error_description; {:?}", cb.params);
    assert_eq!(cb.get("state"), Some(state), "{case}: state");
    assert_eq!(cb.get("iss"), Some(rp.issuer.as_str()), "{case}: iss");
    for token in ["code", "access_token", "id_token"] {
        assert_eq!(cb.get(token), None, "{case}: an error response carries `{token}`");
    }
    cb
}

fn state_of(params: &[(&'static str, String)]) -> String {
    params.iter().find(|(k, _)| *k == "state").map(|(_, v)| v.clone()).unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_nonce_is_invalid_request_whenever_the_authorization_endpoint_returns_an_id_token() {
    let rp = Rp::with_alg("RS256").await;
    for rt in ID_TOKEN_TYPES {
        let params = flows::without(rp.params(rt), "nonce");
        let outcome = rp.authorize(&params).await;
        assert_error_in(&format!("{rt} without nonce"), &rp, outcome, Delivered::Fragment, "invalid_request", &state_of(&params));
    }
    // No id_token from /auth, no nonce needed: the login page opens.
    for rt in ["code", "code token"] {
        let outcome = rp.authorize(&flows::without(rp.params(rt), "nonce")).await;
        assert!(outcome.is_login(), "{rt} without nonce should reach the login page, got {outcome:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_type_the_application_has_not_ticked_is_unsupported_response_type() {
    let rp = Rp::start(json!({
        "grant_types": ["authorization_code", "implicit"],
        "response_types": ["code", "id_token"],
    }))
    .await;
    for rt in ["id_token token", "code id_token", "code token", "code id_token token"] {
        let params = rp.params(rt);
        let outcome = rp.authorize(&params).await;
        assert_error_in(&format!("unticked {rt}"), &rp, outcome, Delivered::Fragment, "unsupported_response_type", &state_of(&params));
    }
    // Not a response type at all: refused the same way (its default mode is unknowable).
    for rt in ["token", "id_token id_token", "code magic"] {
        let params = rp.params(rt);
        let cb = rp.authorize(&params).await.callback();
        assert_eq!(cb.get("error"), Some("unsupported_response_type"), "{rt}: {:?}", cb.params);
        assert_eq!(cb.get("state"), Some(state_of(&params).as_str()), "{rt}: state");
    }
    // Still usable: the ticked implicit type reaches the login page.
    assert!(rp.authorize(&rp.params("id_token")).await.is_login(), "the ticked `id_token` is refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticked_type_without_its_grant_is_unauthorized_client() {
    // Hybrid needs authorization_code AND implicit; implicit needs implicit.
    let cases: [(&str, Value, &[&str]); 2] = [
        ("code grant only", json!(["authorization_code"]), &["id_token", "id_token token", "code id_token", "code token", "code id_token token"]),
        ("implicit grant only", json!(["implicit"]), &["code id_token", "code token", "code id_token token"]),
    ];
    for (case, grants, refused) in cases {
        let rp = Rp::start(json!({"grant_types": grants, "response_types": ALL_TYPES})).await;
        for rt in refused {
            let params = rp.params(rt);
            let outcome = rp.authorize(&params).await;
            assert_error_in(&format!("{case}: {rt}"), &rp, outcome, Delivered::Fragment, "unauthorized_client", &state_of(&params));
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_response_mode_is_refused_for_token_bearing_types_in_the_fragment() {
    let rp = Rp::with_alg("RS256").await;
    for rt in FRONT_CHANNEL_TYPES {
        let params = flows::with(rp.params(rt), "response_mode", "query");
        let outcome = rp.authorize(&params).await;
        // OAuth 2.0 Multiple Response Types §5: tokens never in the query, so neither the error.
        assert_error_in(&format!("{rt} with response_mode=query"), &rp, outcome, Delivered::Fragment, "invalid_request", &state_of(&params));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_of_fragment_requests_are_returned_in_the_fragment() {
    let rp = Rp::with_alg("RS256").await;
    let cases: [(&str, &str, &str, &str, &str); 7] = [
        ("scope without openid", "id_token", "scope", "profile", "invalid_scope"),
        ("unknown prompt", "id_token token", "prompt", "sometimes", "invalid_request"),
        ("prompt=none without a session", "code id_token", "prompt", "none", "login_required"),
        ("bad max_age", "code token", "max_age", "soon", "invalid_request"),
        ("request object", "code id_token token", "request", "e30.e30.", "request_not_supported"),
        ("request_uri", "id_token", "request_uri", "https://rp.example/r", "request_uri_not_supported"),
        ("missing nonce", "code id_token token", "nonce", "", "invalid_request"),
    ];
    for (case, rt, key, value, error) in cases {
        let params = flows::with(rp.params(rt), key, value);
        let outcome = rp.authorize(&params).await;
        assert_error_in(&format!("{rt}: {case}"), &rp, outcome, Delivered::Fragment, error, &state_of(&params));
    }
    // A denied consent also comes back in the fragment.
    let params = rp.params("id_token token");
    let mut browser = Browser::new(&rp.app);
    let outcome = browser.sign_in(&rp.issuer, &params, &rp.user.username, &rp.user.password, Consent::Deny).await;
    assert_error_in("consent denied", &rp, outcome, Delivered::Fragment, "access_denied", &state_of(&params));
}

// ---------------------------------------------------------------------------------------------
// form_post

/// The form_post page's headers and shape: `no-store`, a CSP whose only script is the page's
/// nonce'd one and whose `form-action` is the client's origin, one form posting to the
/// redirect URI with hidden fields.
#[track_caller]
fn assert_form_post_page(case: &str, rp: &Rp, cb: &Callback) {
    let r = &cb.reply;
    assert_eq!(cb.delivered, Delivered::FormPost, "{case}: delivered as {:?} to {}", cb.delivered, cb.url);
    assert_eq!(r.status.as_u16(), 200, "{case}: status");
    assert!(r.header("location").is_empty(), "{case}: a form_post answer must not redirect");
    assert!(r.header("content-type").starts_with("text/html"), "{case}: content type {}", r.header("content-type"));
    assert!(r.header("cache-control").contains("no-store"), "{case}: Cache-Control {:?}", r.header("cache-control"));
    assert_eq!(cb.target(), rp.redirect_uri, "{case}: form action");
    let form = flows::tags(&r.text, "form");
    assert_eq!(form.len(), 1, "{case}: one form expected: {}", r.excerpt());
    assert_eq!(form[0].get("method").map(|m| m.to_ascii_lowercase()).as_deref(), Some("post"), "{case}: form method");

    let csp = r.header("content-security-policy");
    let directive = |name: &str| -> Vec<String> {
        csp.split(';')
            .map(str::trim)
            .find_map(|d| d.strip_prefix(name).filter(|rest| rest.is_empty() || rest.starts_with(' ')))
            .map(|rest| rest.split_whitespace().map(String::from).collect())
            .unwrap_or_default()
    };
    let script_src = directive("script-src");
    let nonces: Vec<&str> = script_src.iter().filter_map(|s| s.strip_prefix("'nonce-")?.strip_suffix('\'')).collect();
    assert_eq!(nonces.len(), 1, "{case}: CSP script-src must carry one nonce: {csp}");
    assert!(
        !script_src.iter().any(|s| s == "'unsafe-inline'" || s == "*" || s == "'unsafe-eval'"),
        "{case}: CSP script-src too open: {csp}"
    );
    let origin = reqwest::Url::parse(&rp.redirect_uri).map(|u| u.origin().ascii_serialization()).unwrap_or_default();
    assert!(directive("form-action").contains(&origin), "{case}: CSP form-action must allow {origin}: {csp}");
    let scripts = flows::tags(&r.text, "script");
    assert!(!scripts.is_empty(), "{case}: no auto-submitting script: {}", r.excerpt());
    for s in &scripts {
        assert_eq!(s.get("nonce").map(String::as_str), Some(nonces[0]), "{case}: a script without the CSP nonce: {s:?}");
        assert!(s.get("src").is_none(), "{case}: external script {s:?}");
    }
    assert!(cb.get("iss").is_some_and(|i| i == rp.issuer), "{case}: iss field; {:?}", cb.params);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_post_delivers_tokens_in_an_auto_submitting_page_with_a_csp_nonce() {
    let rp = Rp::with_alg("RS256").await;
    let params = flows::with(rp.params("code id_token token"), "response_mode", "form_post");
    let nonce = params.iter().find(|(k, _)| *k == "nonce").map(|(_, v)| v.clone()).unwrap_or_default();
    let cb = rp.sign_in(&params).await;
    assert_form_post_page("success", &rp, &cb);
    assert_eq!(cb.get("state"), Some(state_of(&params).as_str()), "state field");
    for field in ["code", "access_token", "token_type", "expires_in", "scope", "id_token"] {
        assert!(cb.get(field).is_some_and(|v| !v.is_empty()), "hidden field `{field}` missing: {:?}", cb.params);
    }
    assert_eq!(cb.get("refresh_token"), None, "refresh token in a form_post");
    let (code, at) = (cb.param("code"), cb.param("access_token"));
    verify_id_token(&rp, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, cb.param("id_token"), &nonce, Bound::To(at), Bound::To(code)).await;
    rp.redeem(code, &rp.redirect_uri, &rp.client_secret).await.expect_status(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_post_errors_come_back_in_the_same_kind_of_page() {
    let rp = Rp::start(json!({
        "grant_types": ["authorization_code", "implicit"],
        "response_types": ["code", "id_token", "id_token token"],
    }))
    .await;
    let cases: [(&str, Vec<(&'static str, String)>, &str); 3] = [
        ("missing nonce", flows::without(rp.params("id_token"), "nonce"), "invalid_request"),
        ("unticked type", rp.params("code id_token"), "unsupported_response_type"),
        ("prompt=none without a session", flows::with(rp.params("id_token token"), "prompt", "none"), "login_required"),
    ];
    for (case, params, error) in cases {
        let params = flows::with(params, "response_mode", "form_post");
        let outcome = rp.authorize(&params).await;
        let cb = assert_error_in(case, &rp, outcome, Delivered::FormPost, error, &state_of(&params));
        assert_form_post_page(case, &rp, &cb);
    }
}

// ---------------------------------------------------------------------------------------------
// Refresh tokens and lifetimes

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implicit_never_issues_a_refresh_token_even_with_offline_access_and_consent() {
    let rp = Rp::with_alg("RS256").await;
    for rt in ["id_token token", "id_token"] {
        let params = flows::with(flows::with(rp.params(rt), "scope", "openid email offline_access"), "prompt", "consent");
        let cb = rp.sign_in(&params).await;
        assert_eq!(cb.get("error"), None, "{rt}: {:?}", cb.params);
        assert_eq!(cb.get("refresh_token"), None, "{rt}: refresh token from the implicit mode: {:?}", cb.params);
        if let Some(scope) = cb.get("scope") {
            assert!(!scope.split(' ').any(|s| s == "offline_access"), "{rt}: offline_access granted without a refresh token: {scope}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_tokens_expire_as_configured_for_the_application() {
    let rp = Rp::with_alg("RS256").await;
    let id = rp.created["client_id"].as_str().unwrap_or_default();
    let lifetimes = json!({"access_token": 900, "id_token": 1800, "refresh_token": 86400, "authorization_code": 600});
    let r = rp.app.admin().patch(&format!("/api/v1/applications/{id}"), &json!({"token_lifetimes": lifetimes})).await;
    r.expect_status(200);
    for rt in ["id_token token", "code token", "code id_token token"] {
        let cb = rp.sign_in(&rp.params(rt)).await;
        assert_eq!(cb.get("expires_in"), Some("900"), "{rt}: expires_in; {:?}", cb.params);
        let at = jwt_part(cb.param("access_token"), 1);
        assert_eq!(at["exp"].as_u64().zip(at["iat"].as_u64()).map(|(e, i)| e - i), Some(900), "{rt}: access token exp-iat: {at}");
        if let Some(id_token) = cb.get("id_token") {
            let c = jwt_part(id_token, 1);
            assert_eq!(c["exp"].as_u64().zip(c["iat"].as_u64()).map(|(e, i)| e - i), Some(1800), "{rt}: id_token exp-iat: {c}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Discovery

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_lists_only_usable_response_types_and_the_modes_they_need() {
    let app = TestApp::spawn().await;
    let cases: [(&str, Value, Vec<&str>, Vec<&str>, Vec<&str>); 4] = [
        ("code only", json!(["authorization_code"]), vec!["code"], vec!["code"], vec!["query", "form_post"]),
        ("everything", json!(["authorization_code", "implicit"]), ALL_TYPES.to_vec(), ALL_TYPES.to_vec(), vec!["query", "fragment", "form_post"]),
        ("all ticked, code grant only", json!(["authorization_code"]), ALL_TYPES.to_vec(), vec!["code"], vec!["query", "form_post"]),
        ("implicit grant only", json!(["implicit"]), ALL_TYPES.to_vec(), vec!["id_token", "id_token token"], vec!["query", "fragment", "form_post"]),
    ];
    for (case, grants, ticked, listed, modes) in cases {
        let created = create_app(&app, json!({"grant_types": grants, "response_types": ticked})).await;
        let issuer = created["issuer"].as_str().unwrap_or_default();
        let d = app.get_url(&format!("{issuer}/.well-known/openid-configuration")).await;
        d.expect_status(200);
        assert_eq!(str_set(&d.json["response_types_supported"]), set(&listed), "{case}: response_types_supported");
        assert_eq!(str_set(&d.json["response_modes_supported"]), set(&modes), "{case}: response_modes_supported");
        // The RP library reads the same document.
        let md = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer.to_string()).unwrap_or_else(|e| panic!("{e}")), &app.client)
            .await
            .unwrap_or_else(|e| panic!("{case}: openidconnect cannot read discovery: {e:?}"));
        assert_eq!(md.response_types_supported().len(), listed.len(), "{case}: openidconnect's view");
    }
}
