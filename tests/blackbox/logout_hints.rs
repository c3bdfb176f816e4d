//! Which `id_token_hint` signs a user out without asking (OpenID Connect RP-Initiated Logout
//! 1.0 §2, §4): only an id_token of this issuer naming the user (and session) signed in here.
//! Another user's valid id_token, an access token, or an HS256 token minted with the client
//! secret of an application whose id_tokens are not HS256 only earn the confirmation page — any
//! of them signing out whoever is signed in would be a logout CSRF.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::logout::{logout_app, post_logout_uri};
use crate::support::applications::{Application, TestUser};
use crate::support::authorize::{code_params, with};
use crate::support::browser::{Browser, Consent};
use crate::support::html::Form;
use crate::support::json::field;
use crate::support::jwt;
use crate::support::tokens::redeem;
use crate::support::worker::{Reply, TestApp};

/// Signs `user` in through `browser` and redeems the code: the token answer.
async fn sign_in(
    app: &TestApp,
    browser: &mut Browser,
    client: &Application,
    user: &TestUser,
) -> Value {
    let params = code_params(&client.client_id, &client.redirect_uri, "openid");
    let code = browser
        .sign_in(&client.issuer, &params, user, Consent::Allow)
        .await
        .callback()
        .param("code")
        .to_string();
    let t = redeem(app, client, &code, None).await;
    t.expect_status(200);
    t.json
}

/// `prompt=none` answers with a code while the session lives.
async fn session_is_alive(browser: &mut Browser, client: &Application) -> bool {
    let params = code_params(&client.client_id, &client.redirect_uri, "openid");
    let cb = browser
        .authorize(&client.issuer, &with(params, "prompt", "none"))
        .await
        .callback();
    cb.get("code").is_some()
}

fn session_end(client: &Application, params: &[(&str, &str)]) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    format!("{}/session/end?{q}", client.issuer)
}

/// Whether a reply is the confirmation page: 200 HTML whose form posts to the confirm URL.
fn is_confirmation_page(r: &Reply, client: &Application) -> bool {
    let confirm = format!("{}/session/end/confirm", client.issuer);
    r.status == 200
        && r.header("content-type").contains("text/html")
        && r.header("location").is_empty()
        && Form::parse(&r.text).is_some_and(|f| f.action == confirm && f.field("csrf").is_some())
}

/// An HS256 JWT over `claims` keyed with `secret`, as anyone holding the client secret can make.
fn hs256(claims: &Value, secret: &str) -> String {
    let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    let input = format!(
        "{}.{}",
        b64(&json!({"alg": "HS256", "typ": "JWT"})),
        b64(claims)
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .unwrap_or_else(|e| panic!("HMAC key: {e}"));
    mac.update(input.as_bytes());
    let sig = URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes());
    format!("{input}.{sig}")
}

#[tokio::test]
async fn a_hint_that_does_not_name_the_signed_in_user_only_earns_the_confirmation_page() {
    let app = TestApp::spawn().await;
    let client = logout_app(&app).await;
    let (alice, bob) = (
        app.create_user(json!({})).await,
        app.create_user(json!({})).await,
    );
    let mut browser = Browser::new(&app);
    let alices = sign_in(&app, &mut browser, &client, &alice).await;
    let bobs = sign_in(&app, &mut Browser::new(&app), &client, &bob).await;
    let alice_id_token = field(&alices, "id_token");
    let claims = jwt::claims(alice_id_token);
    assert_eq!(
        jwt::header(field(&alices, "access_token"))["typ"],
        "at+jwt",
        "control: the access token says what it is"
    );
    let forged = hs256(
        &json!({
            "iss": client.issuer, "aud": client.client_id, "sub": alice.id,
            "sid": claims["sid"], "iat": claims["iat"], "exp": claims["exp"],
        }),
        &client.client_secret,
    );
    let registered = post_logout_uri(&client);
    // (case, hint)
    let cases = [
        ("another user's valid id_token", field(&bobs, "id_token")),
        (
            "the signed-in user's access token",
            field(&alices, "access_token"),
        ),
        (
            "an HS256 token keyed with an RS256 application's secret",
            forged.as_str(),
        ),
    ];
    for (case, hint) in cases {
        for redirect in [None, Some(registered.as_str())] {
            let mut params = vec![("id_token_hint", hint), ("state", "st")];
            if let Some(r) = redirect {
                params.push(("post_logout_redirect_uri", r));
            }
            let r = browser.get(&session_end(&client, &params)).await;
            assert!(
                is_confirmation_page(&r, &client),
                "{case} (redirect {redirect:?}): expected the confirmation page, got {} {:?} {}",
                r.status,
                r.header("location"),
                r.excerpt()
            );
            assert!(
                session_is_alive(&mut browser, &client).await,
                "{case} (redirect {redirect:?}): the signed-in user is still signed in"
            );
        }
    }

    // The signed-in user's own id_token signs out without asking, to the registered URI.
    let r = browser
        .get(&session_end(
            &client,
            &[
                ("id_token_hint", alice_id_token),
                ("post_logout_redirect_uri", &registered),
                ("state", "st-own"),
            ],
        ))
        .await;
    assert_eq!(r.status, 303, "own id_token: {}", r.excerpt());
    assert!(
        r.header("location").starts_with(&registered) && r.header("location").contains("st-own"),
        "redirected to {}",
        r.header("location")
    );
    assert!(
        !session_is_alive(&mut browser, &client).await,
        "signed out by the own id_token"
    );
}
