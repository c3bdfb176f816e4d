//! The account page (`{issuer}/account`): without a session it signs the user in through the
//! hosted login and comes back, issuing nothing; a password change needs the current password
//! and ends the user's other sessions and refresh families at once while this browser stays
//! signed in; an authenticator app set up here is asked for at the next sign-in; forms
//! without the page's CSRF token change nothing.

use serde_json::json;

use crate::support::applications::{Application, TestUser};
use crate::support::authorize::{code_params, with};
use crate::support::browser::{Browser, Consent, Outcome};
use crate::support::html::Form;
use crate::support::tokens::{redeem, refresh};
use crate::support::totp::{code_at, now, StepPage};
use crate::support::worker::{Reply, TestApp};

/// Opens the account page, signing in on the hosted login when it is shown.
async fn open_account(browser: &mut Browser, rp: &Application, user: &TestUser) -> Reply {
    let url = format!("{}/account", rp.issuer);
    let at = browser.open(&rp.issuer, &url).await;
    let at = match at {
        Outcome::Login(page) => {
            browser
                .submit_login(&rp.issuer, &page, &user.username, &user.password)
                .await
        }
        other => other,
    };
    match at {
        Outcome::Stopped { reply, .. } => reply,
        other => panic!("expected the account page, got {}", other.describe()),
    }
}

fn csrf(page: &Reply) -> String {
    Form::parse(&page.text)
        .and_then(|f| f.field("csrf").map(str::to_string))
        .unwrap_or_else(|| panic!("no CSRF field: {}", page.excerpt()))
}

async fn post(
    browser: &mut Browser,
    rp: &Application,
    action: &str,
    form: &[(&str, &str)],
) -> Reply {
    let url = format!("{}/account/{action}", rp.issuer);
    browser.post_form(&url, form).await
}

#[tokio::test]
async fn a_password_change_on_the_account_page_ends_the_other_sessions_and_families() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({})).await;
    let user = app.create_user(json!({})).await;
    let offline = with(
        code_params(&rp.client_id, &rp.redirect_uri, "openid offline_access"),
        "prompt",
        "consent",
    );

    // Another browser holds a session and a refresh family.
    let mut elsewhere = Browser::new(&app);
    let cb = elsewhere
        .sign_in(&rp.issuer, &offline, &user, Consent::Allow)
        .await
        .callback();
    let tokens = redeem(&app, &rp, cb.param("code"), None).await.json;
    let refresh_token = tokens["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(!refresh_token.is_empty(), "a refresh token: {tokens}");

    // The account page signs in first, then shows the user's page.
    let mut here = Browser::new(&app);
    let page = open_account(&mut here, &rp, &user).await;
    assert_eq!(page.status.as_u16(), 200, "{}", page.excerpt());
    assert!(page.text.contains(&user.username), "{}", page.excerpt());
    assert_eq!(
        page.text.matches("data-session=").count(),
        2,
        "two sessions listed"
    );
    let token = csrf(&page);

    // Refused: no CSRF token, a wrong current password, a too short new password.
    type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, u16);
    let cases: [Case; 3] = [
        (
            "no csrf",
            vec![
                ("current_password", &user.password),
                ("new_password", "a-new-password"),
            ],
            303,
        ),
        (
            "wrong current password",
            vec![
                ("csrf", &token),
                ("current_password", "not-it"),
                ("new_password", "a-new-password"),
            ],
            401,
        ),
        (
            "short new password",
            vec![
                ("csrf", &token),
                ("current_password", &user.password),
                ("new_password", "short"),
            ],
            400,
        ),
    ];
    for (case, form, status) in cases {
        let r = post(&mut here, &rp, "password", &form).await;
        assert_eq!(r.status.as_u16(), status, "{case}: {}", r.excerpt());
    }
    let r = refresh(&app, &rp, &refresh_token, None).await;
    assert_eq!(r.status.as_u16(), 200, "nothing ended yet: {}", r.text);
    let refresh_token = r.json["refresh_token"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let r = post(
        &mut here,
        &rp,
        "password",
        &[
            ("csrf", &token),
            ("current_password", &user.password),
            ("new_password", "a-new-password"),
        ],
    )
    .await;
    assert_eq!(r.status.as_u16(), 303, "{}", r.excerpt());
    let done_at = r
        .headers
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        done_at.ends_with("/account?done=password_changed"),
        "{done_at}"
    );

    // The other browser is signed out and its family revoked; this one is still signed in.
    let none = with(
        code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        "prompt",
        "none",
    );
    let cb = elsewhere.authorize(&rp.issuer, &none).await.callback();
    assert_eq!(cb.get("error"), Some("login_required"), "{:?}", cb.params);
    let r = refresh(&app, &rp, &refresh_token, None).await;
    assert_eq!(r.status.as_u16(), 400, "the family is revoked: {}", r.text);
    let cb = here.authorize(&rp.issuer, &none).await.callback();
    assert!(
        cb.get("code").is_some(),
        "this browser stays signed in: {:?}",
        cb.params
    );
    let page = here.get(&done_at).await;
    assert!(
        page.text.contains("password was changed"),
        "{}",
        page.excerpt()
    );
    assert_eq!(
        page.text.matches("data-session=").count(),
        1,
        "only this session"
    );

    // The new password signs in; the old one does not.
    let changed = TestUser {
        password: "a-new-password".into(),
        ..user.clone()
    };
    let mut b = Browser::new(&app);
    let login = b.authorize(&rp.issuer, &none_free(&rp)).await.login();
    let old = b
        .submit_login(&rp.issuer, &login, &user.username, &user.password)
        .await;
    assert!(old.is_login(), "the old password is refused");
    let ok = Browser::new(&app)
        .sign_in(&rp.issuer, &none_free(&rp), &changed, Consent::Allow)
        .await;
    assert!(ok.callback().get("code").is_some());
}

fn none_free(rp: &Application) -> Vec<(&'static str, String)> {
    code_params(&rp.client_id, &rp.redirect_uri, "openid")
}

#[tokio::test]
async fn an_app_set_up_on_the_account_page_is_asked_for_at_the_next_sign_in() {
    let app = TestApp::spawn().await;
    let rp = app.create_application(json!({})).await;
    let user = app.create_user(json!({})).await;
    let mut browser = Browser::new(&app);
    let page = open_account(&mut browser, &rp, &user).await;
    assert!(
        page.text.contains("data-enrolled=\"false\""),
        "{}",
        page.excerpt()
    );
    assert!(
        page.text.contains("/account/passkeys"),
        "links to the passkeys page"
    );
    let token = csrf(&page);

    let r = post(&mut browser, &rp, "totp", &[("csrf", &token)]).await;
    assert_eq!(r.status.as_u16(), 200, "{}", r.excerpt());
    let enrol = StepPage::from(Outcome::Stopped {
        url: format!("{}/account/totp", rp.issuer),
        reply: r,
    });
    let secret = enrol.secret();
    let mut form = enrol.form.hidden.clone();
    form.push(("code".into(), "000000".into()));
    let wrong = browser.post_form(&enrol.action(), &form).await;
    assert_eq!(wrong.status.as_u16(), 401, "{}", wrong.excerpt());
    form.pop();
    form.push(("code".into(), code_at(&secret, now())));
    let shown = browser.post_form(&enrol.action(), &form).await;
    let shown = StepPage::from(Outcome::Stopped {
        url: enrol.action(),
        reply: shown,
    });
    assert_eq!(
        shown.recovery_codes().len(),
        10,
        "{}",
        shown.reply.excerpt()
    );
    let page = open_account(&mut browser, &rp, &user).await;
    let again = post(&mut browser, &rp, "totp", &[("csrf", &csrf(&page))]).await;
    assert_eq!(
        again.status.as_u16(),
        409,
        "an enrolled app is replaced only through removal"
    );
    let page = open_account(&mut browser, &rp, &user).await;
    assert!(
        page.text.contains("data-enrolled=\"true\""),
        "{}",
        page.excerpt()
    );

    // The next sign-in (the pool's default, optional) asks for the app's code.
    let mut next = Browser::new(&app);
    let login = next.authorize(&rp.issuer, &none_free(&rp)).await.login();
    let at = next
        .submit_login(&rp.issuer, &login, &user.username, &user.password)
        .await;
    let step = StepPage::from(at);
    assert!(step.action().ends_with("/mfa"), "{}", step.action());
    let admin_view = app
        .admin()
        .get(&format!("/api/v1/users/{}/factors", user.id))
        .await;
    let kinds: Vec<&str> = admin_view.json["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|f| f["kind"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(kinds, ["totp", "recovery_codes"], "{}", admin_view.text);

    // Reset by an administrator: the next sign-in asks for nothing more.
    app.admin()
        .delete(&format!("/api/v1/users/{}/factors", user.id))
        .await
        .expect_status(204);
    let cb = Browser::new(&app)
        .sign_in(&rp.issuer, &none_free(&rp), &user, Consent::Allow)
        .await
        .callback();
    assert!(cb.get("code").is_some(), "{:?}", cb.params);
    // The log has each change (written just after each response).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let query = format!("/api/v1/audit?kind=mfa_changed&user_id={}", user.id);
        let log = app.admin().get(&query).await;
        let changes: Vec<String> = log.json["items"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["change"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if changes.iter().any(|c| c == "totp_enrolled")
            && changes.iter().any(|c| c == "reset_by_admin")
        {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "mfa_changed events: {}",
            log.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
}
