//! One-time codes as a second factor (RFC 6238) and the authentication classes they earn
//! (OIDC Core §2, §3.1.2.1; RFC 8176): enrolment during sign-in when the pool requires MFA,
//! with codes computed here from the key the page shows; a code of a step already used
//! refused; recovery codes spent once; repeated wrong codes lock the second step;
//! `acr_values` steps a password session up with the second factor only, `prompt=none` then
//! answers `interaction_required`; classes no factor of the user reaches fail with
//! `unmet_authentication_requirements`; `acr`/`amr`/`auth_time` checked in the id_token by
//! the independent `openidconnect` library.

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, PkceCodeChallenge, RedirectUrl, TokenResponse,
};
use serde_json::{json, Value};

use crate::support::applications::{Application, TestUser};
use crate::support::authorize::{code_params, with};
use crate::support::browser::{Browser, Consent, Outcome};
use crate::support::jwt;
use crate::support::tokens::redeem;
use crate::support::totp::{code_at, now, StepPage};
use crate::support::worker::TestApp;

const PWD: &str = "urn:doorward:acr:pwd";
const MFA: &str = "urn:doorward:acr:mfa";
const PHR: &str = "urn:doorward:acr:phishing-resistant";

async fn set_pool_mfa(app: &TestApp, policy: &str) {
    app.admin()
        .patch("/api/v1/pools/default", &json!({"mfa": policy}))
        .await
        .expect_status(200);
}

/// The login page of a fresh request, submitted with the user's password.
async fn after_password(
    browser: &mut Browser,
    rp: &Application,
    params: &[(&str, String)],
    user: &TestUser,
) -> Outcome {
    let login = browser.authorize(&rp.issuer, params).await.login();
    browser
        .submit_login(&rp.issuer, &login, &user.username, &user.password)
        .await
}

/// Posts `code` to a second-factor page's form.
async fn submit_code(
    browser: &mut Browser,
    rp: &Application,
    page: &StepPage,
    code: &str,
) -> Outcome {
    let mut form = page.form.hidden.clone();
    form.push(("code".into(), code.into()));
    let action = page.action();
    let reply = browser.post_form(&action, &form).await;
    browser.follow(&rp.issuer, action, reply).await
}

/// Walks an enrolment page: reads the key, confirms it with a code, keeps the recovery
/// codes, continues to the consent page and allows. Returns (key, recovery codes, outcome).
async fn enrol(
    browser: &mut Browser,
    rp: &Application,
    at: Outcome,
    user: &TestUser,
) -> (String, Vec<String>, Outcome) {
    let page = StepPage::from(at);
    assert!(
        page.reply.text.contains("<svg") && page.reply.text.contains("otpauth://totp/"),
        "the enrolment page shows the QR code and the URI: {}",
        page.reply.excerpt()
    );
    let secret = page.secret();
    let shown = StepPage::from(submit_code(browser, rp, &page, &code_at(&secret, now())).await);
    let codes = shown.recovery_codes();
    assert_eq!(
        codes.len(),
        10,
        "ten recovery codes: {}",
        shown.reply.excerpt()
    );
    let form = shown.form.hidden.clone();
    let action = shown.action();
    let reply = browser.post_form(&action, &form).await;
    let next = browser.follow(&rp.issuer, action, reply).await;
    let done = browser
        .complete(&rp.issuer, next, user, Consent::Allow)
        .await;
    (secret, codes, done)
}

fn id_claims(app_tokens: &Value) -> Value {
    jwt::claims(app_tokens["id_token"].as_str().unwrap_or_default())
}

async fn tokens_of(app: &TestApp, rp: &Application, outcome: Outcome) -> Value {
    let cb = outcome.callback();
    redeem(app, rp, cb.param("code"), None).await.json
}

#[tokio::test]
async fn a_required_pool_enrols_at_sign_in_and_then_asks_for_the_code_which_counts_once() {
    let app = TestApp::spawn().await;
    set_pool_mfa(&app, "required").await;
    let rp = app.create_application(json!({})).await;
    let user = app.create_user(json!({})).await;
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");

    let mut first = Browser::new(&app);
    let at = after_password(&mut first, &rp, &params, &user).await;
    let (secret, codes, done) = enrol(&mut first, &rp, at, &user).await;
    let id = id_claims(&tokens_of(&app, &rp, done).await);
    assert_eq!(id["acr"], MFA, "{id}");
    assert_eq!(id["amr"], json!(["pwd", "otp", "mfa"]), "{id}");

    // The enrolment's code was of this step: the next sign-in cannot use it again.
    let mut second = Browser::new(&app);
    let page = StepPage::from(after_password(&mut second, &rp, &params, &user).await);
    assert!(page.action().ends_with("/mfa"), "{}", page.action());
    let replayed =
        StepPage::from(submit_code(&mut second, &rp, &page, &code_at(&secret, now())).await);
    assert_eq!(
        replayed.reply.status.as_u16(),
        401,
        "{}",
        replayed.reply.excerpt()
    );
    assert!(
        replayed.reply.text.contains("already used"),
        "{}",
        replayed.reply.excerpt()
    );

    // The next step's code (within the ±1 step tolerance) signs in, once.
    let next = code_at(&secret, now() + 30);
    let done = submit_code(&mut second, &rp, &replayed, &next).await;
    let done = second
        .complete(&rp.issuer, done, &user, Consent::Allow)
        .await;
    assert_eq!(id_claims(&tokens_of(&app, &rp, done).await)["acr"], MFA);
    let mut third = Browser::new(&app);
    let page = StepPage::from(after_password(&mut third, &rp, &params, &user).await);
    let again = StepPage::from(submit_code(&mut third, &rp, &page, &next).await);
    assert_eq!(again.reply.status.as_u16(), 401, "the same code twice");

    // A recovery code signs in once, in any case and with or without dashes.
    let recovery = codes[3].to_uppercase().replace('-', "");
    let done = submit_code(&mut third, &rp, &again, &recovery).await;
    let done = third
        .complete(&rp.issuer, done, &user, Consent::Allow)
        .await;
    let id = id_claims(&tokens_of(&app, &rp, done).await);
    assert_eq!(id["amr"], json!(["pwd", "otp", "mfa"]), "{id}");
    let mut fourth = Browser::new(&app);
    let page = StepPage::from(after_password(&mut fourth, &rp, &params, &user).await);
    let spent = StepPage::from(submit_code(&mut fourth, &rp, &page, &codes[3]).await);
    assert_eq!(
        spent.reply.status.as_u16(),
        401,
        "a recovery code is spent once"
    );
}

#[tokio::test]
async fn wrong_codes_lock_the_second_step_and_the_consent_page_cannot_be_reached_around_it() {
    let app = TestApp::spawn().await;
    set_pool_mfa(&app, "required").await;
    let rp = app.create_application(json!({})).await;
    let user = app.create_user(json!({})).await;
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let mut b = Browser::new(&app);
    let at = after_password(&mut b, &rp, &params, &user).await;
    let (secret, _, _) = enrol(&mut b, &rp, at, &user).await;

    let mut browser = Browser::new(&app);
    let mut page = StepPage::from(after_password(&mut browser, &rp, &params, &user).await);

    // Table of refused inputs: none passes, each answers on the page.
    for bad in ["", "12345", "abcdefgh", "0000000", "zzzz-zzzz-zzzz-zzzz"] {
        let refused = StepPage::from(submit_code(&mut browser, &rp, &page, bad).await);
        assert_eq!(
            refused.reply.status.as_u16(),
            401,
            "{bad:?}: {}",
            refused.reply.excerpt()
        );
        page = refused;
    }
    // The password alone cannot skip to consent with the page's own CSRF token.
    let consent = page.action().replace("/mfa", "/consent");
    let mut form = page.form.hidden.clone();
    form.push(("decision".into(), "allow".into()));
    let reply = browser.post_form(&consent, &form).await;
    assert_eq!(
        reply.status.as_u16(),
        400,
        "consent before the second factor: {}",
        reply.excerpt()
    );

    // Five failures lock the second step: even the right code is refused now, in any browser.
    let mut fresh = Browser::new(&app);
    let page = StepPage::from(after_password(&mut fresh, &rp, &params, &user).await);
    let r =
        StepPage::from(submit_code(&mut fresh, &rp, &page, &code_at(&secret, now() + 30)).await);
    assert_eq!(r.reply.status.as_u16(), 429, "{}", r.reply.excerpt());
}

#[tokio::test]
async fn acr_values_steps_a_password_session_up_without_the_password_and_prompt_none_cannot() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({})).await;
    let user = app.create_user(json!({})).await;
    let base = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let mut browser = Browser::new(&app);

    // A password session (the pool's default policy, no second factor yet).
    let done = browser
        .sign_in(&rp.issuer, &base, &user, Consent::Allow)
        .await;
    let id = id_claims(&tokens_of(&app, &rp, done).await);
    assert_eq!(
        (id["acr"].as_str(), id["amr"].clone()),
        (Some(PWD), json!(["pwd"]))
    );
    let password_time = id["auth_time"].as_u64().unwrap_or(0);

    // prompt=none cannot step up.
    let mfa = with(base.clone(), "acr_values", &format!("{MFA} {PWD}"));
    let strict = with(base.clone(), "acr_values", MFA);
    let cb = browser
        .authorize(&rp.issuer, &with(strict.clone(), "prompt", "none"))
        .await
        .callback();
    assert_eq!(
        cb.get("error"),
        Some("interaction_required"),
        "{:?}",
        cb.params
    );

    // A preference list that also accepts the password class is met by the session.
    let done = browser
        .sign_in(&rp.issuer, &mfa, &user, Consent::Allow)
        .await;
    assert_eq!(id_claims(&tokens_of(&app, &rp, done).await)["acr"], PWD);

    // Asking for MFA only: no login page, the enrolment of a second factor at once.
    let at = browser.authorize(&rp.issuer, &strict).await;
    assert!(!at.is_login(), "the password is not asked again");
    let (secret, _, done) = enrol(&mut browser, &rp, at, &user).await;
    let id = id_claims(&tokens_of(&app, &rp, done).await);
    assert_eq!(id["acr"], MFA, "{id}");
    assert_eq!(id["amr"], json!(["pwd", "otp", "mfa"]), "{id}");
    let step_up_time = id["auth_time"].as_u64().unwrap_or(0);
    assert!(
        step_up_time >= password_time,
        "auth_time is the step-up's: {id}"
    );

    // Now prompt=none is met, with the step-up's auth_time; a password request still gets
    // the latest authentication that meets it.
    let cb = browser
        .authorize(&rp.issuer, &with(strict.clone(), "prompt", "none"))
        .await
        .callback();
    let id = id_claims(&redeem(&app, &rp, cb.param("code"), None).await.json);
    assert_eq!(
        (id["acr"].as_str(), id["auth_time"].as_u64()),
        (Some(MFA), Some(step_up_time))
    );

    // A second browser: a password-class sign-in of the now enrolled user, then a step-up
    // by the code only.
    let mut other = Browser::new(&app);
    let pwd_only = with(base.clone(), "acr_values", PWD);
    let done = other
        .sign_in(&rp.issuer, &pwd_only, &user, Consent::Allow)
        .await;
    assert_eq!(id_claims(&tokens_of(&app, &rp, done).await)["acr"], PWD);
    let at = other.authorize(&rp.issuer, &strict).await;
    assert!(!at.is_login(), "the password is not asked again");
    let page = StepPage::from(at);
    let done = submit_code(&mut other, &rp, &page, &code_at(&secret, now() + 30)).await;
    let done = other
        .complete(&rp.issuer, done, &user, Consent::Allow)
        .await;
    assert_eq!(id_claims(&tokens_of(&app, &rp, done).await)["acr"], MFA);
}

#[tokio::test]
async fn classes_no_factor_of_the_user_reaches_are_unmet_not_downgraded() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({})).await;
    let user = app.create_user(json!({})).await;
    let base = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let phr_app = app
        .create_application(json!({"require_phishing_resistant": true}))
        .await;
    assert_eq!(phr_app["require_phishing_resistant"], true);
    type Case<'a> = (&'a str, &'a Application, Vec<(&'a str, String)>);
    let cases: Vec<Case> = vec![
        (
            "acr_values asks for a passkey",
            &rp,
            with(base.clone(), "acr_values", PHR),
        ),
        (
            "the application requires a passkey",
            &phr_app,
            code_params(&phr_app.client_id, &phr_app.redirect_uri, "openid"),
        ),
    ];
    for (case, client, params) in cases {
        let mut browser = Browser::new(&app);
        let cb = after_password(&mut browser, client, &params, &user)
            .await
            .callback();
        assert_eq!(
            cb.get("error"),
            Some("unmet_authentication_requirements"),
            "{case}: {:?}",
            cb.params
        );
        assert!(
            cb.get("error_description")
                .is_some_and(|d| d.contains("passkey")),
            "{case}"
        );
        assert!(cb.get("code").is_none(), "{case}");
    }
    // With MFA off in the pool, MFA cannot be reached either.
    set_pool_mfa(&app, "off").await;
    let mut browser = Browser::new(&app);
    let cb = after_password(&mut browser, &rp, &with(base, "acr_values", MFA), &user)
        .await
        .callback();
    assert_eq!(
        cb.get("error"),
        Some("unmet_authentication_requirements"),
        "{:?}",
        cb.params
    );
    let bad = app
        .admin()
        .patch("/api/v1/pools/default", &json!({"mfa": "sometimes"}))
        .await;
    assert_eq!(bad.status.as_u16(), 400, "{}", bad.text);
}

#[tokio::test]
async fn an_independent_rp_reads_acr_amr_and_auth_time_of_an_mfa_sign_in() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({"require_mfa": true})).await;
    let user = app.create_user(json!({})).await;
    let http = openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("RP HTTP client: {e}"));
    let issuer = IssuerUrl::new(rp.issuer.clone()).unwrap_or_else(|e| panic!("{e}"));
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .unwrap_or_else(|e| panic!("discovery: {e:?}"));
    let supported: Vec<String> = metadata
        .acr_values_supported()
        .map(|v| v.iter().map(|a| a.to_string()).collect())
        .unwrap_or_default();
    assert_eq!(supported, [PWD, MFA, PHR]);
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(rp.client_id.clone()),
        Some(ClientSecret::new(rp.client_secret.clone())),
    )
    .set_redirect_uri(RedirectUrl::new(rp.redirect_uri.clone()).unwrap_or_else(|e| panic!("{e}")));
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_auth_context_value(AuthenticationContextClass::new(MFA.into()))
        .set_pkce_challenge(challenge)
        .url();
    let before = now();
    let mut browser = Browser::new(&app);
    let login = browser.open(&rp.issuer, url.as_str()).await.login();
    let at = browser
        .submit_login(&rp.issuer, &login, &user.username, &user.password)
        .await;
    let (_, _, done) = enrol(&mut browser, &rp, at, &user).await;
    let cb = done.callback();
    let tokens = client
        .exchange_code(AuthorizationCode::new(cb.param("code").to_string()))
        .unwrap_or_else(|e| panic!("{e}"))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("code exchange: {e:?}"));
    let verifier = client.id_token_verifier();
    let claims = tokens
        .id_token()
        .unwrap_or_else(|| panic!("no id_token"))
        .claims(&verifier, &nonce)
        .unwrap_or_else(|e| panic!("id_token: {e:?}"));
    assert_eq!(claims.auth_context_ref().map(|a| a.as_str()), Some(MFA));
    let amr: Vec<String> = claims
        .auth_method_refs()
        .map(|m| m.iter().map(|r| r.to_string()).collect())
        .unwrap_or_default();
    assert_eq!(amr, ["pwd", "otp", "mfa"]);
    let auth_time = claims
        .auth_time()
        .map(|t| t.timestamp() as u64)
        .unwrap_or(0);
    assert!(
        auth_time + 5 >= before && auth_time <= now() + 5,
        "{auth_time}"
    );
}

#[tokio::test]
async fn a_session_written_before_methods_were_recorded_reads_as_a_password_sign_in() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({})).await;
    let user = app.create_user(json!({})).await;
    // The record as the release before second factors wrote it: no `authentications`.
    let signed_in_at = now() - 600;
    let cookie = "an-old-session-cookie-value-of-sufficient-length";
    app.admin()
        .put(
            "/api/v1/debug/raw-session",
            &json!({"cookie": cookie, "record": {
                "session_id": "AAAAAAAAAAAAAAAAAAAAAA", "pool_id": "default", "user_id": user.id,
                "auth_time": signed_in_at, "expires_at": now() + 3600}}),
        )
        .await
        .expect_status(204);
    let mut browser = Browser::new(&app);
    browser.set_cookie("dw_session_default", cookie, "/");
    let base = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let none = with(base.clone(), "prompt", "none");
    // skip_consent is off: consent first, then prompt=none answers from the old session.
    let done = browser
        .sign_in(&rp.issuer, &base, &user, Consent::Allow)
        .await;
    let id = id_claims(&tokens_of(&app, &rp, done).await);
    assert_eq!(id["acr"], PWD, "{id}");
    assert_eq!(id["amr"], json!(["pwd"]), "{id}");
    assert_eq!(id["auth_time"].as_u64(), Some(signed_in_at), "{id}");
    let cb = browser.authorize(&rp.issuer, &none).await.callback();
    assert!(cb.get("code").is_some(), "{:?}", cb.params);
    // Asking that old session for MFA is a step-up, which prompt=none cannot do.
    let cb = browser
        .authorize(&rp.issuer, &with(none, "acr_values", MFA))
        .await
        .callback();
    assert_eq!(
        cb.get("error"),
        Some("interaction_required"),
        "{:?}",
        cb.params
    );
}

/// A pool's export carries the authenticator app (its secret opened, since the other
/// deployment has another `MASTER_KEY`) and the recovery codes' hashes: after the import the
/// same app's codes and the same recovery codes work there, and the export holds no sealed
/// value of this deployment.
#[tokio::test]
async fn the_authenticator_app_and_recovery_codes_travel_with_an_exported_pool() {
    let old = TestApp::spawn().await;
    set_pool_mfa(&old, "required").await;
    // Consents stay behind (the user is asked again); this test is about the factors.
    let rp = old.create_application(json!({"skip_consent": true})).await;
    let user = old.create_user(json!({})).await;
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let mut browser = Browser::new(&old);
    let at = after_password(&mut browser, &rp, &params, &user).await;
    let (secret, codes, done) = enrol(&mut browser, &rp, at, &user).await;
    done.callback();
    let export = old.admin().get("/api/v1/pools/default/export").await;
    export.expect_status(200);
    assert!(
        !export.text.contains("sealed_secret"),
        "the app's secret is opened for the document"
    );
    drop(old);

    let new = TestApp::spawn().await;
    set_pool_mfa(&new, "required").await;
    let r = new
        .admin()
        .post("/api/v1/pools/default/import", &export.json)
        .await;
    r.expect_status(200);
    assert_eq!(r.json["imported"]["second_factors"], 1, "{}", r.text);
    let moved = Application {
        issuer: format!("{}/{}/oidc", new.origin, rp.subdomain),
        ..rp.clone()
    };
    // Asked for the code (not sent to enrol): the next step's code of the same app signs in.
    let mut browser = Browser::new(&new);
    let page = StepPage::from(after_password(&mut browser, &moved, &params, &user).await);
    assert!(page.action().ends_with("/mfa"), "{}", page.action());
    let done = submit_code(&mut browser, &moved, &page, &code_at(&secret, now() + 30)).await;
    let id = id_claims(&tokens_of(&new, &moved, done).await);
    assert_eq!(id["acr"], MFA, "{id}");
    // A recovery code from the old deployment works once here.
    let mut browser = Browser::new(&new);
    let page = StepPage::from(after_password(&mut browser, &moved, &params, &user).await);
    let done = submit_code(&mut browser, &moved, &page, &codes[0]).await;
    let id = id_claims(&tokens_of(&new, &moved, done).await);
    assert_eq!(id["acr"], MFA, "{id}");
}
