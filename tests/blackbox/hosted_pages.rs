//! The hosted pages as a user meets them: the language (English or Simplified Chinese, from
//! `ui_locales` first, then `Accept-Language`), the user pool's branding (colours through
//! `brand.css`, a logo), and a consent the user gave being withdrawn (the next sign-in asks
//! again).

use serde_json::json;

use crate::support::applications::{setup, Application};
use crate::support::authorize::{code_params, with, Params};
use crate::support::browser::{authorize_url, Browser, Consent, Outcome};
use crate::support::worker::TestApp;

/// The login page a fresh browser (saying `accept_language`, if any) is sent to by `params`.
async fn login_page_with(
    app: &TestApp,
    rp: &Application,
    params: &Params,
    accept_language: Option<&str>,
) -> String {
    let mut browser = match accept_language {
        Some(al) => Browser::speaking(app, al),
        None => Browser::new(app),
    };
    let url = authorize_url(&rp.issuer, params);
    let first = browser.get(&url).await;
    assert_eq!(
        first.status.as_u16(),
        303,
        "authorize should send the browser to the login page"
    );
    let page = browser.follow(&rp.issuer, url, first).await.login();
    assert_eq!(page.reply.status.as_u16(), 200);
    page.reply.text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_page_language_follows_ui_locales_then_accept_language() {
    let (app, rp, _user) = setup().await;
    let base = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    // (ui_locales, Accept-Language, expected lang attribute, a phrase of that language)
    let cases: &[(Option<&str>, Option<&str>, &str, &str)] = &[
        (None, None, "en", "Sign in"),
        (Some("zh-CN"), None, "zh-CN", "登录"),
        (Some("fr zh-CN"), Some("en"), "zh-CN", "密码"),
        (None, Some("zh-CN,zh;q=0.9,en;q=0.5"), "zh-CN", "用户名"),
        (None, Some("en;q=0.4, zh;q=0.8"), "zh-CN", "登录"),
        (Some("en"), Some("zh-CN"), "en", "Password"),
        (None, Some("de-DE"), "en", "Username"),
    ];
    for (ui, al, lang, phrase) in cases {
        let params = match ui {
            Some(u) => with(base.clone(), "ui_locales", u),
            None => base.clone(),
        };
        let html = login_page_with(&app, &rp, &params, *al).await;
        assert!(
            html.contains(&format!("<html lang=\"{lang}\">")),
            "ui_locales={ui:?} Accept-Language={al:?}: lang"
        );
        assert!(
            html.contains(phrase),
            "ui_locales={ui:?} Accept-Language={al:?}: expected {phrase:?}"
        );
        assert!(!html.contains("{{"), "every placeholder is filled");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_branding_reaches_the_hosted_pages() {
    let (app, rp, _user) = setup().await;
    let logo = "https://cdn.example.com/logo.png";
    let patched = app
        .admin()
        .patch(
            "/api/v1/pools/default",
            &json!({"branding": {"primary_color": "#aa2200", "background_color": "#fafafa", "logo_url": logo}}),
        )
        .await;
    patched.expect_status(200);
    let css = app
        .get_url(&format!("{}/assets/brand.css", rp.issuer))
        .await;
    css.expect_status(200);
    assert!(css.header("content-type").starts_with("text/css"));
    assert!(css.text.contains("--dw-primary: #aa2200;"), "{}", css.text);
    assert!(css.text.contains("--dw-bg: #fafafa;"), "{}", css.text);
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let html = login_page_with(&app, &rp, &params, None).await;
    assert!(
        html.contains(&format!("<img class=\"logo\" src=\"{logo}\"")),
        "logo on the login page"
    );
    assert!(
        html.contains("/assets/brand.css\""),
        "the page links the pool's stylesheet"
    );

    // Bad branding is refused, naming the field, and changes nothing.
    for bad in [
        json!({"primary_color": "red"}),
        json!({"logo_url": "javascript:alert(1)"}),
    ] {
        let r = app
            .admin()
            .patch("/api/v1/pools/default", &json!({"branding": bad}))
            .await;
        r.expect_status(400);
    }
    let css = app
        .get_url(&format!("{}/assets/brand.css", rp.issuer))
        .await;
    assert!(css.text.contains("#aa2200"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn withdrawn_consent_is_asked_for_again() {
    let (app, rp, user) = setup().await;
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid email");
    let mut browser = Browser::new(&app);
    browser
        .sign_in(&rp.issuer, &params, &user, Consent::Allow)
        .await
        .callback();

    let consents = app
        .admin()
        .get(&format!("/api/v1/users/{}/consents", user.id))
        .await;
    consents.expect_status(200);
    let items = consents.json["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        items
            .iter()
            .any(|c| c["client_id"] == rp.client_id.as_str() && c["scope"] == "openid email"),
        "the consent is listed: {}",
        consents.text
    );

    // Remembered: the same request goes straight back to the client.
    let again = code_params(&rp.client_id, &rp.redirect_uri, "openid email");
    assert!(matches!(
        browser.authorize(&rp.issuer, &again).await,
        Outcome::Callback(_)
    ));

    app.admin()
        .delete(&format!(
            "/api/v1/users/{}/consents/{}",
            user.id, rp.client_id
        ))
        .await
        .expect_status(204);
    let after = code_params(&rp.client_id, &rp.redirect_uri, "openid email");
    let page = browser.authorize(&rp.issuer, &after).await.consent();
    assert_eq!(page.scopes(), vec!["openid", "email"]);
}
