//! The passkey ceremonies as a browser page's script runs them, over HTTP against the worker:
//! the account page's registration, the login page's request options and assertion form, and
//! what the tests of passkeys share (the origin of an issuer, the audit log's mention of an
//! outcome, a refused sign-in). The authenticator is `soft_authenticator`.

use reqwest::Method;
use serde_json::{json, Value};

use super::applications::{Application, TestUser};
use super::authorize::code_params;
use super::browser::{Browser, Consent, Outcome, Page};
use super::html::tags;
use super::soft_authenticator::{Bend, SoftKey};
use super::worker::{Reply, TestApp};

pub fn origin_of(issuer: &str) -> String {
    url::Url::parse(issuer)
        .unwrap_or_else(|e| panic!("issuer URL {issuer}: {e}"))
        .origin()
        .ascii_serialization()
}

/// A browser with the pool's SSO session (a password sign-in to `rp`).
pub async fn signed_in(app: &TestApp, rp: &Application, user: &TestUser) -> Browser {
    let mut browser = Browser::new(app);
    browser
        .sign_in(
            &rp.issuer,
            &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
            user,
            Consent::Allow,
        )
        .await
        .callback();
    browser
}

/// The account page and its CSRF token (`data-csrf` of the add block).
pub async fn account_page(browser: &mut Browser, issuer: &str) -> (Reply, String) {
    let page = browser.get(&format!("{issuer}/account/passkeys")).await;
    let csrf = tags(&page.text, "div")
        .into_iter()
        .find(|d| d.get("id").map(String::as_str) == Some("passkey-add"))
        .and_then(|d| d.get("data-csrf").cloned())
        .unwrap_or_default();
    (page, csrf)
}

pub async fn post_json(browser: &mut Browser, url: &str, csrf: &str, body: &Value) -> Reply {
    let rb = browser
        .request(Method::POST, url)
        .header("X-CSRF-Token", csrf)
        .json(body);
    browser.send(url, rb).await
}

/// Registers `key` from the account page of a signed-in browser; the register call's reply.
pub async fn register(
    browser: &mut Browser,
    issuer: &str,
    key: &mut SoftKey,
    bend: &Bend,
) -> Reply {
    let (page, csrf) = account_page(browser, issuer).await;
    assert_eq!(page.status, 200, "account page: {}", page.excerpt());
    let base = format!("{issuer}/account/passkeys");
    let opts = post_json(browser, &format!("{base}/options"), &csrf, &json!({})).await;
    assert_eq!(opts.status, 200, "creation options: {}", opts.excerpt());
    let credential = key.create(&opts.json["publicKey"], &origin_of(issuer), bend);
    let body = json!({"challenge_id": opts.json["challenge_id"], "credential": credential, "name": "Test key"});
    post_json(browser, &base, &csrf, &body).await
}

/// A login page's interaction id and CSRF token.
pub fn interaction(page: &Page) -> (String, String) {
    let uid = page.url.rsplit('/').next().unwrap_or_default().to_string();
    (uid, page.csrf().to_string())
}

/// Starts an authorization request in `browser` and fetches passkey request options for it.
pub async fn sign_in_options(browser: &mut Browser, rp: &Application) -> (String, String, Value) {
    let page = browser
        .authorize(
            &rp.issuer,
            &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        )
        .await
        .login();
    let (uid, csrf) = interaction(&page);
    let url = format!("{}/interaction/{uid}/passkey/options", rp.issuer);
    let opts = post_json(browser, &url, &csrf, &json!({})).await;
    assert_eq!(opts.status, 200, "request options: {}", opts.excerpt());
    (uid, csrf, opts.json)
}

/// Posts an assertion as the login page's script does, and follows.
pub async fn submit_assertion(
    browser: &mut Browser,
    rp: &Application,
    uid: &str,
    csrf: &str,
    challenge_id: &str,
    credential: &Value,
) -> Outcome {
    let action = format!("{}/interaction/{uid}/passkey", rp.issuer);
    let form = [
        ("csrf", csrf.to_string()),
        ("challenge_id", challenge_id.to_string()),
        ("credential", credential.to_string()),
    ];
    let reply = browser.post_form(&action, &form).await;
    browser.follow(&rp.issuer, action, reply).await
}

/// A whole passkey sign-in in a fresh browser; where it ended.
pub async fn passkey_sign_in(
    app: &TestApp,
    rp: &Application,
    key: &mut SoftKey,
    bend: &Bend,
) -> Outcome {
    let mut browser = Browser::new(app);
    let (uid, csrf, opts) = sign_in_options(&mut browser, rp).await;
    let credential = key.get(&opts["publicKey"], &origin_of(&rp.issuer), bend);
    let challenge_id = opts["challenge_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    submit_assertion(&mut browser, rp, &uid, &csrf, &challenge_id, &credential).await
}

/// The pool's audit log of `kind` once it mentions every one of `needles` (events are written
/// just after each response), or a failure showing what it holds.
pub async fn audit_mentions(app: &TestApp, kind: &str, needles: &[&str]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let text = app
            .admin()
            .get(&format!("/api/v1/audit?kind={kind}"))
            .await
            .text;
        if needles.iter().all(|n| text.contains(n)) {
            return;
        }
        if std::time::Instant::now() > deadline {
            panic!("the audit log never mentioned {needles:?}: {text}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }
}

#[track_caller]
pub fn assert_refused(case: &str, outcome: Outcome) {
    let reply = outcome.stopped();
    assert_eq!(reply.status, 401, "{case}: {}", reply.excerpt());
    assert!(
        reply.text.contains("That passkey could not be used"),
        "{case}: {}",
        reply.excerpt()
    );
}
