//! The constant headers of each kind of response (`http::header_set`): the hosted pages'
//! security headers, `no-store` on tokens and their errors, `no-store` and `no-referrer` on
//! every 303 of a sign-in. Each response gets its own copy of its kind's headers, so what one
//! response adds (the parking redirect's CSRF cookie, the login's session cookie, a page's
//! CSP) must never show up on the next response of the same kind.

use reqwest::header::LOCATION;

use crate::support::applications::setup;
use crate::support::authorize::code_params;
use crate::support::browser::{authorize_url, resolve, Browser, Consent};
use crate::support::tokens::{redeem, token};
use crate::support::worker::Reply;

/// (header, the value it must have; `None`: it must be absent).
type Expect = &'static [(&'static str, Option<&'static str>)];

const PAGE: Expect = &[
    ("content-type", Some("text/html; charset=utf-8")),
    ("x-frame-options", Some("DENY")),
    ("x-content-type-options", Some("nosniff")),
    ("referrer-policy", Some("no-referrer")),
    ("cache-control", Some("no-store")),
    ("pragma", Some("no-cache")),
    ("set-cookie", None),
];
const REDIRECT: Expect = &[
    ("cache-control", Some("no-store")),
    ("referrer-policy", Some("no-referrer")),
    ("content-security-policy", None),
    ("x-frame-options", None),
];
const NO_STORE_JSON: Expect = &[
    ("content-type", Some("application/json")),
    ("cache-control", Some("no-store")),
    ("pragma", Some("no-cache")),
    ("set-cookie", None),
    ("content-security-policy", None),
    ("location", None),
];

#[track_caller]
fn check(case: &str, reply: &Reply, status: u16, expect: Expect) {
    assert_eq!(reply.status.as_u16(), status, "{case}: {}", reply.excerpt());
    for (name, want) in expect {
        let got = reply.headers.get(*name).and_then(|v| v.to_str().ok());
        assert_eq!(got, *want, "{case}: header {name}");
    }
}

#[tokio::test]
async fn each_kind_of_response_carries_its_own_headers_and_nothing_another_response_added() {
    let (app, rp, user) = setup().await;
    let params = code_params(&rp.client_id, &rp.redirect_uri, "openid");
    let mut browser = Browser::new(&app);

    // The parking 303: its kind's headers, plus a Location and the CSRF cookie of its own.
    let url = authorize_url(&rp.issuer, &params);
    let parked = browser.get(&url).await;
    check("the parking 303", &parked, 303, REDIRECT);
    assert!(
        !parked.header("set-cookie").is_empty(),
        "the parking 303 sets the interaction's CSRF cookie"
    );
    let page_url = resolve(&url, parked.header(LOCATION.as_str()));

    // The login page, twice: each carries a CSP of its own on the page kind's headers.
    for round in ["first", "second"] {
        let page = browser.get(&page_url).await;
        check(&format!("the login page ({round})"), &page, 200, PAGE);
        assert!(
            page.header("content-security-policy")
                .contains("frame-ancestors 'none'"),
            "{round}: {}",
            page.header("content-security-policy")
        );
    }

    // Signed in: the 303 back to the client, and later an SSO sign-in's, each a redirect of
    // its own (the SSO one sets no cookie: the parking one's must not have stayed behind).
    let first = browser
        .sign_in(&rp.issuer, &params, &user, Consent::Allow)
        .await
        .callback();
    check("the 303 to the client", &first.reply, 303, REDIRECT);
    let sso = browser
        .authorize(
            &rp.issuer,
            &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        )
        .await
        .callback();
    check("the SSO sign-in's 303", &sso.reply, 303, REDIRECT);
    assert_eq!(
        sso.reply.header("set-cookie"),
        "",
        "the SSO 303 carries no cookie of an earlier response"
    );

    // The token response and, for the same code again, its error: both never cached.
    let code = first.param("code").to_string();
    let tokens = redeem(&app, &rp, &code, None).await;
    check("the token response", &tokens, 200, NO_STORE_JSON);
    let replayed = redeem(&app, &rp, &code, None).await;
    check("the replayed code's error", &replayed, 400, NO_STORE_JSON);
    assert_eq!(replayed.json["error"], "invalid_grant");
    let unknown = token(
        &app,
        &rp.issuer,
        rp.basic(),
        &[("grant_type", "urn:example:no-such-grant")],
    )
    .await;
    check("an unsupported grant's error", &unknown, 400, NO_STORE_JSON);
}
