//! PKCE defaults (RFC 7636, RFC 9700 §2.1.1): a public client may not use the `plain` method;
//! a challenge sent without a method is S256, not RFC 7636's `plain`, so the challenge itself
//! is no verifier; discovery advertises the methods the application accepts.

use serde_json::json;

use crate::support::applications::Application;
use crate::support::authorize::{code_params, fresh_code, param, Pkce};
use crate::support::browser::Browser;
use crate::support::json::str_list;
use crate::support::tokens::{code_form, redeem, token, Auth};
use crate::support::worker::{Reply, TestApp};

/// Redeems `code` as `client` does: a public client by its id alone, a confidential one with
/// its secret.
async fn redeem_as(
    app: &TestApp,
    client: &Application,
    public: bool,
    code: &str,
    verifier: &str,
) -> Reply {
    if public {
        let mut form = code_form(code, &client.redirect_uri).to_vec();
        form.push(("code_verifier", verifier));
        token(app, &client.issuer, Auth::Id(&client.client_id), &form).await
    } else {
        redeem(app, client, code, Some(verifier)).await
    }
}

#[tokio::test]
async fn a_public_client_asking_for_plain_pkce_gets_invalid_request_at_its_redirect_uri() {
    let app = TestApp::spawn().await;
    let public = app
        .create_application(json!({"token_endpoint_auth_method": "none"}))
        .await;
    let mut params = code_params(&public.client_id, &public.redirect_uri, "openid");
    params.extend(Pkce::plain().params());
    let cb = Browser::new(&app)
        .authorize(&public.issuer, &params)
        .await
        .callback();
    assert_eq!(cb.target(), public.redirect_uri, "{}", cb.url);
    assert_eq!(cb.get("error"), Some("invalid_request"), "{:?}", cb.params);
    assert_eq!(cb.get("state"), param(&params, "state"));
    assert_eq!(cb.get("iss"), Some(public.issuer.as_str()));
    assert!(cb.get("code").is_none(), "{:?}", cb.params);

    // A confidential client may still use plain.
    let confidential = app.create_application(json!({})).await;
    let user = app.create_user(json!({})).await;
    let plain = Pkce::plain();
    let code = fresh_code(&app, &confidential, &user, "openid", &plain.params()).await;
    redeem(&app, &confidential, &code, Some(&plain.verifier))
        .await
        .expect_status(200);
}

#[tokio::test]
async fn a_code_challenge_without_a_method_is_s256() {
    let app = TestApp::spawn().await;
    let user = app.create_user(json!({})).await;
    let clients = [
        (
            "public",
            true,
            app.create_application(json!({"token_endpoint_auth_method": "none"}))
                .await,
        ),
        (
            "confidential",
            false,
            app.create_application(json!({})).await,
        ),
    ];
    for (kind, public, client) in &clients {
        let pkce = Pkce::s256();
        let challenge_only = [("code_challenge", pkce.challenge.clone())];
        // The challenge itself as the verifier (what `plain` would accept) fails...
        let code = fresh_code(&app, client, &user, "openid", &challenge_only).await;
        let r = redeem_as(&app, client, *public, &code, &pkce.challenge).await;
        assert_eq!(
            (r.status.as_u16(), r.json["error"].as_str()),
            (400, Some("invalid_grant")),
            "{kind}: the challenge as its own verifier: {}",
            r.text
        );
        // ...and the S256 verifier works.
        let code = fresh_code(&app, client, &user, "openid", &challenge_only).await;
        let r = redeem_as(&app, client, *public, &code, &pkce.verifier).await;
        assert_eq!(r.status, 200, "{kind}: the S256 verifier: {}", r.text);
    }
}

#[tokio::test]
async fn discovery_advertises_only_s256_for_public_clients_and_s256_and_plain_for_confidential_ones(
) {
    let app = TestApp::spawn().await;
    let cases = [
        (
            "public",
            json!({"token_endpoint_auth_method": "none"}),
            vec!["S256"],
        ),
        ("confidential", json!({}), vec!["S256", "plain"]),
        (
            "confidential requiring PKCE",
            json!({"require_pkce": true}),
            vec!["S256"],
        ),
    ];
    for (case, settings, want) in cases {
        let client = app.create_application(settings).await;
        let d = app
            .get_url(&format!(
                "{}/.well-known/openid-configuration",
                client.issuer
            ))
            .await;
        d.expect_status(200);
        assert_eq!(
            str_list(&d.json["code_challenge_methods_supported"]),
            want,
            "{case}: {}",
            d.excerpt()
        );
    }
}
