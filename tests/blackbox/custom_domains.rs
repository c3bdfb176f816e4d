//! Hosts of an application's own: a claimed host is an issuer `{scheme}://{host}/oidc` beside
//! the subdomain's, found from the `Host` header; an unclaimed or released host, and any path
//! outside `/oidc` on it, are 404s; a host is claimed by one application at a time, and never
//! one under the base domain.

use reqwest::Method;
use serde_json::json;

use crate::support::json::assert_invalid_field;
use crate::support::worker::{send, Options, TestApp};

const BASE: &str = "id.example.test";

fn subdomain_style() -> Options {
    Options {
        base_domain: Some(BASE),
        ..Options::default()
    }
}

async fn discovery_at(app: &TestApp, host: &str) -> crate::support::worker::Reply {
    send(app.with_host(Method::GET, host, "/oidc/.well-known/openid-configuration")).await
}

#[tokio::test]
async fn a_claimed_host_is_an_issuer_of_its_own_and_unclaimed_hosts_are_404() {
    let app = TestApp::spawn_with(subdomain_style()).await;
    let shop = app
        .create_application(json!({"custom_domains": ["login.shop.test"]}))
        .await;
    assert_eq!(
        shop["custom_issuers"],
        json!(["https://login.shop.test/oidc"]),
        "{}",
        shop.created
    );

    let d = discovery_at(&app, "login.shop.test").await;
    d.expect_status(200);
    // Locally the request is plain http, so the issuer carries the request's scheme.
    assert_eq!(
        d.json["issuer"], "http://login.shop.test/oidc",
        "{}",
        d.text
    );
    assert_eq!(
        d.json["token_endpoint"],
        "http://login.shop.test/oidc/token"
    );
    // The subdomain's issuer keeps working beside it.
    app.get_url(&format!("{}/.well-known/openid-configuration", shop.issuer))
        .await
        .expect_status(200);

    // (case, host, path): none of these is an issuer.
    let not_found = [
        (
            "an unclaimed host",
            "login.other.test",
            "/oidc/.well-known/openid-configuration",
        ),
        (
            "the claimed host outside /oidc",
            "login.shop.test",
            "/api/v1/applications",
        ),
        ("the claimed host's console path", "login.shop.test", "/"),
    ];
    for (case, host, path) in not_found {
        let r = send(app.with_host(Method::GET, host, path)).await;
        assert_eq!(r.status, 404, "{case}: {} {}", r.status, r.text);
    }

    // One application per host; none under the base domain.
    let taken = app
        .admin()
        .post(
            "/api/v1/applications",
            &json!({"name": "Other", "subdomain": "other", "redirect_uris": ["https://o.example/cb"],
                    "custom_domains": ["login.shop.test"]}),
        )
        .await;
    assert_eq!(taken.status, 409, "{}", taken.text);
    assert!(
        taken.json["fields"]["custom_domains"].is_string(),
        "{}",
        taken.text
    );
    let under_base = app
        .admin()
        .patch(
            &format!("/api/v1/applications/{}", shop.client_id),
            &json!({"custom_domains": [format!("login.{BASE}")]}),
        )
        .await;
    assert_invalid_field(
        "a host under the base domain",
        &under_base,
        Some("custom_domains"),
    );

    // Released, the host names nothing — and another application may claim it.
    app.admin()
        .patch(
            &format!("/api/v1/applications/{}", shop.client_id),
            &json!({"custom_domains": []}),
        )
        .await
        .expect_status(200);
    discovery_at(&app, "login.shop.test")
        .await
        .expect_status(404);
    let other = app
        .create_application(json!({"custom_domains": ["login.shop.test"]}))
        .await;
    assert_eq!(other["custom_domains"], json!(["login.shop.test"]));
    let d = discovery_at(&app, "login.shop.test").await;
    d.expect_status(200);
}
