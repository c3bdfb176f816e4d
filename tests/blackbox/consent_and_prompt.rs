//! The consent page and the `prompt` and `max_age` parameters (OIDC Core §3.1.2.1, §3.1.2.6):
//! denied consent answers `access_denied`, consent is remembered until `prompt=consent` or a
//! wider scope, `prompt=none` answers `login_required` or `consent_required`, and `max_age=0` or
//! `prompt=login` show the login page despite a session.

use std::time::Duration;

use crate::support::applications::setup;
use crate::support::authorize::{code_params, param, with};
use crate::support::browser::{Browser, Consent, Outcome};
use crate::support::jwt;
use crate::support::tokens::redeem;

// ---------------------------------------------------------------------------------------------
// Consent

#[tokio::test]
async fn denying_consent_returns_access_denied_with_state_and_iss() {
    let (app, rp, user) = setup().await;
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid email");
    let cb = Browser::new(&app)
        .sign_in(&rp.issuer, &params, &user, Consent::Deny)
        .await
        .callback();
    assert_eq!(cb.get("error"), Some("access_denied"), "{:?}", cb.params);
    assert_eq!(cb.get("state"), param(&params, "state"));
    assert_eq!(cb.get("iss"), Some(rp.issuer.as_str()));
    assert!(cb.get("code").is_none());
}

#[tokio::test]
async fn consent_is_remembered_and_prompt_consent_asks_again() {
    let (app, rp, user) = setup().await;
    let mut browser = Browser::new(&app);
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid email");
    let first = browser
        .sign_in(&rp.issuer, &params, &user, Consent::Stop)
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
        .sign_in(&rp.issuer, &params, &user, Consent::Stop)
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
    assert_eq!(cb.get("state"), param(&params, "state"));
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
        .sign_in(&rp.issuer, &params, &user, Consent::Stop)
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
        .sign_in(&rp.issuer, &params, &user, Consent::Allow)
        .await
        .callback();
    let first_auth_time = jwt::claims(
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
            &user,
            Consent::Allow,
        )
        .await
        .callback();
    let t = redeem(&app, &rp, out.param("code"), None).await;
    let c = jwt::claims(t.json["id_token"].as_str().unwrap_or(""));
    assert!(
        c["auth_time"].as_u64() > first_auth_time.as_u64(),
        "re-authentication moves auth_time: {c} vs {first_auth_time}"
    );
}
