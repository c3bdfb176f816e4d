//! The implicit (`id_token`, `id_token token`) and hybrid (`code id_token`, `code token`,
//! `code id_token token`) response types (OIDC Core §3.2, §3.3), the fragment and form_post
//! response modes, the nonce and the `at_hash`/`c_hash` bindings. Every id_token is checked by
//! the independent RP crate `openidconnect` (fosite's habit: an outside client is the oracle).

use std::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use openidconnect::core::{
    CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKey, CoreJwsSigningAlgorithm,
    CoreProviderMetadata,
};
use openidconnect::{
    AccessToken, AccessTokenHash, AuthorizationCode, AuthorizationCodeHash, ClientId, ClientSecret,
    IssuerUrl, JsonWebKey, Nonce,
};
use serde_json::{json, Value};
use sha2::{Digest, Sha256, Sha512};

use crate::support::applications::{Application, TestUser};
use crate::support::authorize::{self, code_params, param, with, without, Params};
use crate::support::browser::{Browser, Callback, Consent, Delivered, Outcome};
use crate::support::html::tags;
use crate::support::jwt;
use crate::support::tokens::{code_form, redeem, token, userinfo, Auth};
use crate::support::worker::TestApp;
use Delivered::{FormPost, Fragment};

/// Every response type an application can tick.
const ALL_TYPES: [&str; 6] = [
    "code",
    "id_token",
    "id_token token",
    "code id_token",
    "code token",
    "code id_token token",
];
/// The five this issue adds: each returns something from the authorization endpoint.
const FRONT_TYPES: [&str; 5] = [
    "id_token",
    "id_token token",
    "code id_token",
    "code token",
    "code id_token token",
];
/// The ones whose authorization response carries an id_token (and so need a nonce).
const ID_TOKEN_TYPES: [&str; 4] = [
    "id_token",
    "id_token token",
    "code id_token",
    "code id_token token",
];
const SCOPE: &str = "openid email profile";
const RS256: CoreJwsSigningAlgorithm = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;

fn has(rt: &str, part: &str) -> bool {
    rt.split(' ').any(|p| p == part)
}

// ---------------------------------------------------------------------------------------------
// Set-up

/// One worker with one application and one user.
struct Rp {
    app: TestApp,
    client: Application,
    user: TestUser,
}

impl Rp {
    /// An application with `settings` laid over a minimal body.
    async fn start(settings: Value) -> Rp {
        let app = TestApp::spawn().await;
        let client = app.create_application(settings).await;
        let user = app.create_user(json!({})).await;
        Rp { app, client, user }
    }

    /// An application ticking every response type and both grants, signing with `alg`.
    async fn with_alg(alg: &str) -> Rp {
        Rp::start(json!({
            "grant_types": ["authorization_code", "implicit", "refresh_token"],
            "response_types": ALL_TYPES,
            "id_token_signed_response_alg": alg,
        }))
        .await
    }

    /// Authorization parameters for `rt` with a fresh `state` and `nonce`.
    fn params(&self, rt: &str) -> Params {
        let p = code_params(&self.client.client_id, &self.client.redirect_uri, SCOPE);
        with(p, "response_type", rt)
    }

    /// A real sign-in in a fresh browser (login and consent pages) to the redirect URI.
    async fn sign_in(&self, params: &[(&'static str, String)]) -> Callback {
        authorize::sign_in(&self.app, &self.client, &self.user, params).await
    }

    /// Sends `params` to `/auth` with no session: for requests refused before any page.
    async fn authorize(&self, params: &[(&'static str, String)]) -> Outcome {
        Browser::new(&self.app)
            .authorize(&self.client.issuer, params)
            .await
    }

    /// Asserts an error answer at the redirect URI in `mode`, with `state` and `iss`, and
    /// no token.
    #[track_caller]
    fn expect_error(
        &self,
        case: &str,
        at: Outcome,
        want: (Delivered, &str),
        p: &Params,
    ) -> Callback {
        let (mode, error) = want;
        let cb = match at {
            Outcome::Callback(cb) => cb,
            other => panic!("{case}: expected an error at the redirect URI, got {other:?}"),
        };
        let what = format!("{case}: {:?} at {}", cb.params, cb.url);
        assert_eq!(cb.delivered, mode, "response mode; {what}");
        if mode != Delivered::Query {
            assert_eq!(cb.url.query(), None, "the query must stay empty; {what}");
        }
        assert_eq!(cb.target(), self.client.redirect_uri, "target; {what}");
        assert_eq!(cb.get("error"), Some(error), "{what}");
        let described = cb.get("error_description").is_some_and(|d| !d.is_empty());
        assert!(described, "{what}");
        assert_eq!(cb.get("state"), param(p, "state"), "state; {what}");
        assert_eq!(cb.get("iss"), Some(&*self.client.issuer), "iss; {what}");
        for token in ["code", "access_token", "id_token"] {
            assert_eq!(cb.get(token), None, "{token} in an error; {what}");
        }
        cb
    }
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
    /// The hash must be absent: there is nothing beside the id_token to bind.
    Absent,
}

impl<'a> Bound<'a> {
    fn to(v: Option<&'a str>) -> Bound<'a> {
        v.map_or(Bound::Absent, Bound::To)
    }
}

/// Validates `id_token` as a relying party would, with `openidconnect` configured from the
/// issuer's discovery document and JWKS: signature with exactly `alg` (HS256: the client
/// secret), `iss`, `aud`, `exp`, `nonce`; then `at_hash` and `c_hash`. Returns the claims.
async fn verify(
    rp: &Rp,
    alg: CoreJwsSigningAlgorithm,
    id_token: &str,
    nonce: &str,
    at: Bound<'_>,
    c: Bound<'_>,
) -> Value {
    let secret = &rp.client.client_secret;
    let r = verify_with_secret(rp, secret, alg, id_token, nonce, at, c).await;
    r.unwrap_or_else(|e| panic!("{e}"))
}

async fn verify_with_secret(
    rp: &Rp,
    secret: &str,
    alg: CoreJwsSigningAlgorithm,
    id_token: &str,
    nonce: &str,
    at: Bound<'_>,
    c: Bound<'_>,
) -> Result<Value, String> {
    let issuer =
        IssuerUrl::new(rp.client.issuer.clone()).map_err(|e| format!("issuer URL: {e}"))?;
    let metadata = CoreProviderMetadata::discover_async(issuer, &rp.app.client)
        .await
        .map_err(|e| format!("openidconnect discovery of {}: {e:?}", rp.client.issuer))?;
    let client_id = ClientId::new(rp.client.client_id.clone());
    let secret_ = Some(ClientSecret::new(secret.to_string()));
    let client = CoreClient::from_provider_metadata(metadata, client_id, secret_);
    let verifier: CoreIdTokenVerifier<'_> =
        client.id_token_verifier().set_allowed_algs([alg.clone()]);
    let token: CoreIdToken = id_token
        .parse()
        .map_err(|e| format!("not an id_token ({e:?})"))?;
    let claims = token
        .claims(&verifier, &Nonce::new(nonce.to_string()))
        .map_err(|e| {
            let (h, c) = (jwt::header(id_token), jwt::claims(id_token));
            format!("openidconnect rejected the id_token: {e:?}; header {h}, claims {c}")
        })?;
    let symmetric;
    let key: &CoreJsonWebKey = if alg == CoreJwsSigningAlgorithm::HmacSha256 {
        symmetric = CoreJsonWebKey::new_symmetric(secret.as_bytes().to_vec());
        &symmetric
    } else {
        token
            .signing_key(&verifier)
            .map_err(|e| format!("no JWKS key for the id_token: {e:?}"))?
    };
    let at_hash = claims.access_token_hash().map(|h| h.to_string());
    let c_hash = claims.code_hash().map(|h| h.to_string());
    check_binding("at_hash", at_hash, at, |t| {
        AccessTokenHash::from_token(&AccessToken::new(t.into()), &alg, key).map(|h| h.to_string())
    })?;
    check_binding("c_hash", c_hash, c, |t| {
        let code = AuthorizationCode::new(t.into());
        AuthorizationCodeHash::from_code(&code, &alg, key).map(|h| h.to_string())
    })?;
    Ok(jwt::claims(id_token))
}

fn check_binding<E: std::fmt::Debug>(
    name: &str,
    got: Option<String>,
    rule: Bound<'_>,
    compute: impl Fn(&str) -> Result<String, E>,
) -> Result<(), String> {
    match (rule, got) {
        (Bound::To(v) | Bound::IfPresent(v), Some(got)) => {
            let want = compute(v).map_err(|e| format!("computing the expected {name}: {e:?}"))?;
            if got == want {
                Ok(())
            } else {
                Err(format!("{name} is {got}, the RP computes {want}"))
            }
        }
        (Bound::To(_), None) => Err(format!("the id_token has no {name}")),
        (Bound::IfPresent(_) | Bound::Absent, None) => Ok(()),
        (Bound::Absent, Some(g)) => Err(format!("{name} {g} binds nothing that was issued")),
    }
}

// ---------------------------------------------------------------------------------------------
// The five response types, each through a real sign-in

/// Signs in with `rt`, checks what the fragment carries, then (hybrid) redeems the code.
async fn assert_response_type_round_trip(rt: &str) {
    let rp = Rp::with_alg("RS256").await;
    let params = rp.params(rt);
    let nonce = param(&params, "nonce").unwrap_or_default();
    let cb = rp.sign_in(&params).await;
    let what = format!("{rt}: {:?} at {}", cb.params, cb.url);

    assert_eq!(cb.delivered, Fragment, "default response mode; {what}");
    assert_eq!(cb.url.query(), None, "query must be empty; {what}");
    assert_eq!(cb.target(), rp.client.redirect_uri, "{what}");
    assert_eq!(cb.get("error"), None, "{what}");
    let state = param(&params, "state").unwrap_or_default();
    assert_eq!(cb.get("state"), Some(state), "state; {what}");
    assert_eq!(
        cb.get("iss"),
        Some(&*rp.client.issuer),
        "iss (RFC 9207); {what}"
    );
    assert_eq!(cb.get("refresh_token"), None, "{what}");
    let present = ["code", "access_token", "id_token"].map(|k| cb.get(k).is_some());
    let expected = ["code", "token", "id_token"].map(|p| has(rt, p));
    assert_eq!(present, expected, "code, access_token, id_token; {what}");

    let (code, access_token) = (cb.get("code"), cb.get("access_token"));
    if let Some(at) = access_token {
        let token_type = cb.get("token_type").map(str::to_ascii_lowercase);
        assert_eq!(token_type.as_deref(), Some("bearer"), "{what}");
        assert_eq!(cb.get("expires_in"), Some("3600"), "{what}");
        let granted: BTreeSet<&str> = cb.param("scope").split(' ').collect();
        assert!(
            granted.is_superset(&BTreeSet::from(["openid", "email"])),
            "{what}"
        );
        let me = userinfo(&rp.app, &rp.client.issuer, at).await;
        me.expect_status(200);
        assert_eq!(me.json["sub"], rp.user.id.as_str(), "{rt}: userinfo sub");
        assert_eq!(me.json["email"], *rp.user.email, "{rt}: userinfo email");
    }

    let mut front = None;
    if let Some(id_token) = cb.get("id_token") {
        let (at, c) = (Bound::to(access_token), Bound::to(code));
        let claims = verify(&rp, RS256, id_token, nonce, at, c).await;
        assert_eq!(claims["sub"], rp.user.id.as_str(), "{rt}: sub");
        if access_token.is_some() {
            // OIDC Core §5.4: with an access token beside it, profile claims come from userinfo.
            for claim in ["email", "name", "preferred_username"] {
                assert_eq!(claims.get(claim), None, "{rt}: minimal id_token");
            }
        } else {
            assert_eq!(claims["email"], *rp.user.email, "{rt}: id_token claims");
        }
        front = Some(claims);
    }

    if let Some(code) = code {
        let r = redeem(&rp.app, &rp.client, code, None).await;
        r.expect_status(200);
        let get = |k: &str| {
            r.json[k]
                .as_str()
                .unwrap_or_else(|| panic!("{rt}: {}", r.text))
        };
        let at = Bound::IfPresent(get("access_token"));
        let back = verify(
            &rp,
            RS256,
            get("id_token"),
            nonce,
            at,
            Bound::IfPresent(code),
        )
        .await;
        assert_eq!(r.json.get("refresh_token"), None, "{rt}: {}", r.text);
        let (sub, iss, aud) = (&*rp.user.id, &*rp.client.issuer, &*rp.client.client_id);
        assert_eq!(
            [&back["sub"], &back["iss"], &back["aud"]],
            [sub, iss, aud],
            "{rt}"
        );
        if let Some(front) = &front {
            for claim in ["sub", "iss", "aud"] {
                assert_eq!(
                    back[claim], front[claim],
                    "{rt}: {claim}: fragment vs /token"
                );
            }
        }
        let again = redeem(&rp.app, &rp.client, code, None).await;
        again.expect_status(400);
        assert_eq!(again.json["error"], "invalid_grant", "{rt}: {}", again.text);
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

    let wrong = Auth::Basic(&rp.client.client_id, "not-the-secret");
    let form = code_form(code, &rp.client.redirect_uri);
    let wrong_secret = token(&rp.app, &rp.client.issuer, wrong, &form).await;
    wrong_secret.expect_status(401);
    assert_eq!(
        wrong_secret.json["error"], "invalid_client",
        "{}",
        wrong_secret.text
    );

    let other_uri = format!("{}/other", rp.client.redirect_uri);
    let form = code_form(code, &other_uri);
    let wrong_uri = token(&rp.app, &rp.client.issuer, rp.client.basic(), &form).await;
    wrong_uri.expect_status(400);
    assert_eq!(
        wrong_uri.json["error"], "invalid_grant",
        "{}",
        wrong_uri.text
    );
}

// ---------------------------------------------------------------------------------------------
// Signing algorithms

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hs256_application_signs_id_tokens_with_its_client_secret_in_every_mode() {
    let rp = Rp::with_alg("HS256").await;
    let hs256 = CoreJwsSigningAlgorithm::HmacSha256;
    for rt in ALL_TYPES {
        let params = rp.params(rt);
        let nonce = param(&params, "nonce").unwrap_or_default();
        let cb = rp.sign_in(&params).await;
        assert_eq!(cb.get("error"), None, "{rt}: {:?}", cb.params);
        let mut id_tokens = Vec::new();
        if let Some(id_token) = cb.get("id_token") {
            let (at, c) = (Bound::to(cb.get("access_token")), Bound::to(cb.get("code")));
            verify(&rp, hs256.clone(), id_token, nonce, at, c).await;
            id_tokens.push(id_token.to_string());
        }
        if let Some(code) = cb.get("code") {
            let r = redeem(&rp.app, &rp.client, code, None).await;
            r.expect_status(200);
            let get = |k: &str| {
                r.json[k]
                    .as_str()
                    .unwrap_or_else(|| panic!("{rt}: {}", r.text))
            };
            let (at, c) = (
                Bound::IfPresent(get("access_token")),
                Bound::IfPresent(code),
            );
            verify(&rp, hs256.clone(), get("id_token"), nonce, at, c).await;
            id_tokens.push(get("id_token").to_string());
        }
        assert!(!id_tokens.is_empty(), "{rt}: no id_token at all");
        for t in &id_tokens {
            assert_eq!(
                jwt::header(t)["alg"],
                "HS256",
                "{rt}: header {}",
                jwt::header(t)
            );
            // The oracle really checks the MAC: another secret must fail on the signature.
            let (any, other) = (Bound::IfPresent(""), "some-other-secret");
            let forged = verify_with_secret(&rp, other, hs256.clone(), t, nonce, any, any).await;
            let err = forged
                .err()
                .unwrap_or_else(|| panic!("{rt}: verified with another secret"));
            assert!(err.starts_with("openidconnect rejected"), "{rt}: {err}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eddsa_id_tokens_hash_the_code_and_access_token_with_sha512() {
    let rp = Rp::with_alg("EdDSA").await;
    let params = rp.params("code id_token token");
    let cb = rp.sign_in(&params).await;
    let (code, at, id_token) = (
        cb.param("code"),
        cb.param("access_token"),
        cb.param("id_token"),
    );
    let eddsa = CoreJwsSigningAlgorithm::EdDsa;
    let nonce = param(&params, "nonce").unwrap_or_default();
    let claims = verify(&rp, eddsa, id_token, nonce, Bound::To(at), Bound::To(code)).await;
    assert_eq!(jwt::header(id_token)["alg"], "EdDSA");
    // Ed25519 hashes with SHA-512: the left 32 bytes, base64url (OIDC Core §3.3.2.11).
    let sha512 = |v: &str| b64_left_half(&Sha512::digest(v.as_bytes()));
    assert_eq!(claims["c_hash"], sha512(code), "c_hash with SHA-512");
    assert_eq!(claims["at_hash"], sha512(at), "at_hash with SHA-512");
    let sha256 = b64_left_half(&Sha256::digest(code.as_bytes()));
    assert_ne!(claims["c_hash"], sha256, "c_hash with SHA-256");
}

// ---------------------------------------------------------------------------------------------
// Refusals: tables of requests, each answered at the redirect URI in the request's mode

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_nonce_is_invalid_request_whenever_the_auth_endpoint_returns_an_id_token() {
    let rp = Rp::with_alg("RS256").await;
    for rt in ID_TOKEN_TYPES {
        let params = without(rp.params(rt), "nonce");
        let at = rp.authorize(&params).await;
        rp.expect_error(
            &format!("{rt} without nonce"),
            at,
            (Fragment, "invalid_request"),
            &params,
        );
    }
    // No id_token from /auth, no nonce needed: the login page opens.
    for rt in ["code", "code token"] {
        let at = rp.authorize(&without(rp.params(rt), "nonce")).await;
        assert!(
            at.is_login(),
            "{rt} without nonce should reach the login page: {at:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn response_type_the_application_has_not_ticked_is_unsupported_response_type() {
    let rp = Rp::start(json!({
        "grant_types": ["authorization_code", "implicit"],
        "response_types": ["code", "id_token"],
    }))
    .await;
    for rt in [
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
    ] {
        let params = rp.params(rt);
        let at = rp.authorize(&params).await;
        let want = (Fragment, "unsupported_response_type");
        rp.expect_error(&format!("unticked {rt}"), at, want, &params);
    }
    // Not a response type at all: refused the same way (its default mode is unknowable).
    for rt in ["token", "id_token id_token", "code magic"] {
        let params = rp.params(rt);
        let cb = rp.authorize(&params).await.callback();
        assert_eq!(
            cb.get("error"),
            Some("unsupported_response_type"),
            "{rt}: {:?}",
            cb.params
        );
        assert_eq!(cb.get("state"), param(&params, "state"), "{rt}: state");
    }
    // The ticked implicit type is still usable.
    assert!(
        rp.authorize(&rp.params("id_token")).await.is_login(),
        "ticked `id_token` refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ticked_type_without_its_grant_is_unauthorized_client() {
    // Hybrid needs authorization_code AND implicit; implicit needs implicit.
    let cases: [(&str, &[&str]); 2] = [
        ("authorization_code", &FRONT_TYPES),
        (
            "implicit",
            &["code id_token", "code token", "code id_token token"],
        ),
    ];
    for (grant, refused) in cases {
        let rp = Rp::start(json!({"grant_types": [grant], "response_types": ALL_TYPES})).await;
        for rt in refused {
            let params = rp.params(rt);
            let at = rp.authorize(&params).await;
            let want = (Fragment, "unauthorized_client");
            rp.expect_error(&format!("only {grant}: {rt}"), at, want, &params);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_response_mode_is_refused_for_token_bearing_types_in_the_fragment() {
    let rp = Rp::with_alg("RS256").await;
    for rt in FRONT_TYPES {
        let params = with(rp.params(rt), "response_mode", "query");
        let at = rp.authorize(&params).await;
        // Multiple Response Types §5: tokens never travel in the query, so neither does this.
        let case = format!("{rt} with response_mode=query");
        rp.expect_error(&case, at, (Fragment, "invalid_request"), &params);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_of_fragment_requests_are_returned_in_the_fragment() {
    let rp = Rp::with_alg("RS256").await;
    let cases = [
        ("id_token", "scope", "profile", "invalid_scope"),
        ("id_token token", "prompt", "sometimes", "invalid_request"),
        ("code id_token", "prompt", "none", "login_required"),
        ("code token", "max_age", "soon", "invalid_request"),
        (
            "code id_token token",
            "request",
            "e30.e30.",
            "invalid_request_object",
        ),
        (
            "id_token",
            "request_uri",
            "https://rp.example/r",
            "invalid_request_uri",
        ),
        ("code id_token token", "nonce", "", "invalid_request"),
    ];
    for (rt, key, val, error) in cases {
        let params = with(rp.params(rt), key, val);
        let at = rp.authorize(&params).await;
        rp.expect_error(
            &format!("{rt} with {key}={val}"),
            at,
            (Fragment, error),
            &params,
        );
    }
    // A denied consent also comes back in the fragment.
    let params = rp.params("id_token token");
    let at = Browser::new(&rp.app)
        .sign_in(&rp.client.issuer, &params, &rp.user, Consent::Deny)
        .await;
    rp.expect_error("consent denied", at, (Fragment, "access_denied"), &params);
}

// ---------------------------------------------------------------------------------------------
// form_post

/// The form_post page's headers and shape: `no-store`, a CSP whose only script is the page's
/// nonce'd one and whose `form-action` is the client's origin, one form posting to the
/// redirect URI with hidden fields.
#[track_caller]
fn assert_form_post_page(case: &str, rp: &Rp, cb: &Callback) {
    let r = &cb.reply;
    let header = |name: &str| r.header(name).to_string();
    assert_eq!(cb.delivered, FormPost, "{case}: delivered to {}", cb.url);
    assert_eq!(r.status.as_u16(), 200, "{case}: status");
    assert!(
        header("location").is_empty(),
        "{case}: form_post must not redirect"
    );
    assert!(
        header("content-type").starts_with("text/html"),
        "{case}: {r:?}"
    );
    assert!(
        header("cache-control").contains("no-store"),
        "{case}: {r:?}"
    );
    assert_eq!(cb.target(), rp.client.redirect_uri, "{case}: form action");
    assert_eq!(
        cb.get("iss"),
        Some(&*rp.client.issuer),
        "{case}: iss field; {:?}",
        cb.params
    );
    let form = tags(&r.text, "form");
    assert_eq!(form.len(), 1, "{case}: one form expected: {}", r.excerpt());
    let method = form[0].get("method").map(|m| m.to_ascii_lowercase());
    assert_eq!(method.as_deref(), Some("post"), "{case}: form method");

    let csp = header("content-security-policy");
    let directive = |name: &str| -> Vec<String> {
        let found = csp.split(';').map(str::trim).find_map(|d| {
            d.strip_prefix(name)
                .filter(|rest| rest.is_empty() || rest.starts_with(' '))
        });
        found
            .map(|rest| rest.split_whitespace().map(String::from).collect())
            .unwrap_or_default()
    };
    let script_src = directive("script-src");
    let nonces: Vec<&str> = script_src
        .iter()
        .filter_map(|s| s.strip_prefix("'nonce-")?.strip_suffix('\''))
        .collect();
    assert_eq!(
        nonces.len(),
        1,
        "{case}: CSP script-src must carry one nonce: {csp}"
    );
    let too_open = ["'unsafe-inline'", "'unsafe-eval'", "*"];
    assert!(
        !script_src.iter().any(|s| too_open.contains(&s.as_str())),
        "{case}: {csp}"
    );
    let origin =
        reqwest::Url::parse(&rp.client.redirect_uri).map(|u| u.origin().ascii_serialization());
    let origin = origin.unwrap_or_default();
    assert!(
        directive("form-action").contains(&origin),
        "{case}: form-action {origin}: {csp}"
    );
    let scripts = tags(&r.text, "script");
    assert!(
        !scripts.is_empty(),
        "{case}: no auto-submitting script: {}",
        r.excerpt()
    );
    for s in &scripts {
        let nonce = s.get("nonce").map(String::as_str);
        assert_eq!(
            nonce,
            Some(nonces[0]),
            "{case}: a script without the CSP nonce: {s:?}"
        );
        assert!(s.get("src").is_none(), "{case}: external script {s:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_post_delivers_tokens_in_an_auto_submitting_page_with_a_csp_nonce() {
    let rp = Rp::with_alg("RS256").await;
    let params = with(
        rp.params("code id_token token"),
        "response_mode",
        "form_post",
    );
    // A state that must be escaped in an attribute value and come back unchanged.
    let params = with(params, "state", "s\"><script>alert(1)</script>&'x");
    let cb = rp.sign_in(&params).await;
    assert_form_post_page("success", &rp, &cb);
    let text = &cb.reply.text;
    assert!(
        !text.contains("<script>alert(1)"),
        "the state is not escaped: {text}"
    );
    assert_eq!(cb.get("state"), param(&params, "state"), "state field");
    for field in [
        "code",
        "access_token",
        "token_type",
        "expires_in",
        "scope",
        "id_token",
    ] {
        assert!(
            cb.get(field).is_some_and(|v| !v.is_empty()),
            "no `{field}`: {:?}",
            cb.params
        );
    }
    assert_eq!(
        cb.get("refresh_token"),
        None,
        "refresh token in a form_post"
    );
    let (code, at, id_token) = (
        cb.param("code"),
        cb.param("access_token"),
        cb.param("id_token"),
    );
    let nonce = param(&params, "nonce").unwrap_or_default();
    verify(&rp, RS256, id_token, nonce, Bound::To(at), Bound::To(code)).await;
    redeem(&rp.app, &rp.client, code, None)
        .await
        .expect_status(200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_post_errors_come_back_in_the_same_kind_of_page() {
    let rp = Rp::start(json!({
        "grant_types": ["authorization_code", "implicit"],
        "response_types": ["code", "id_token", "id_token token"],
    }))
    .await;
    let cases: [(&str, Params, &str); 3] = [
        (
            "missing nonce",
            without(rp.params("id_token"), "nonce"),
            "invalid_request",
        ),
        (
            "unticked type",
            rp.params("code id_token"),
            "unsupported_response_type",
        ),
        (
            "no session",
            with(rp.params("id_token token"), "prompt", "none"),
            "login_required",
        ),
    ];
    for (case, params, error) in cases {
        let params = with(params, "response_mode", "form_post");
        let at = rp.authorize(&params).await;
        let cb = rp.expect_error(case, at, (FormPost, error), &params);
        assert_form_post_page(case, &rp, &cb);
    }
}

// ---------------------------------------------------------------------------------------------
// Refresh tokens and lifetimes

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn implicit_never_issues_a_refresh_token_even_with_offline_access_and_consent() {
    let rp = Rp::with_alg("RS256").await;
    for rt in ["id_token token", "id_token"] {
        let params = with(rp.params(rt), "scope", "openid email offline_access");
        let cb = rp.sign_in(&with(params, "prompt", "consent")).await;
        assert_eq!(cb.get("error"), None, "{rt}: {:?}", cb.params);
        assert_eq!(
            cb.get("refresh_token"),
            None,
            "{rt}: refresh token: {:?}",
            cb.params
        );
        if let Some(scope) = cb.get("scope") {
            let offline = scope.split(' ').any(|s| s == "offline_access");
            assert!(
                !offline,
                "{rt}: offline_access granted without a refresh token: {scope}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fragment_tokens_expire_as_configured_for_the_application() {
    let rp = Rp::with_alg("RS256").await;
    let path = format!("/api/v1/applications/{}", rp.client.client_id);
    let lifetimes = json!({"access_token": 900, "id_token": 1800, "refresh_token": 86400, "authorization_code": 600});
    let r = rp
        .app
        .admin()
        .patch(&path, &json!({"token_lifetimes": lifetimes}))
        .await;
    r.expect_status(200);
    assert_eq!(
        r.json["token_lifetimes"], lifetimes,
        "PATCH answer: {}",
        r.text
    );
    for rt in ["id_token token", "code token", "code id_token token"] {
        let cb = rp.sign_in(&rp.params(rt)).await;
        assert_eq!(
            cb.get("expires_in"),
            Some("900"),
            "{rt}: expires_in; {:?}",
            cb.params
        );
        assert_eq!(
            jwt::lifetime(cb.param("access_token")),
            Some(900),
            "{rt}: access token exp-iat"
        );
        if let Some(id_token) = cb.get("id_token") {
            assert_eq!(
                jwt::lifetime(id_token),
                Some(1800),
                "{rt}: id_token exp-iat"
            );
        }
    }
}
