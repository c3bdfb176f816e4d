//! Issuers, discovery and JWKS: both issuer styles (path and subdomain) serve truthful discovery
//! and public-only JWKS; a rotated signing key is published beside the old one; unknown
//! subdomains and hosts are 404, the admin API is served only on the console host, and each
//! application only on its own issuer; discovery lists only the response types and modes an
//! application can use, the introspection, revocation and end-session endpoints, and exactly
//! the grants it ticked.

use std::collections::BTreeSet;

use openidconnect::core::CoreProviderMetadata;
use openidconnect::IssuerUrl;
use reqwest::header::AUTHORIZATION;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::applications::Application;
use crate::support::json::{assert_invalid_field, items, set, str_set};
use crate::support::worker::{send, unique, Options, Reply, TestApp};

const BASE: &str = "id.example.test";

fn subdomain_style() -> Options {
    Options {
        base_domain: Some(BASE),
        ..Options::default()
    }
}

/// The checks every issuer must pass: discovery names the issuer exactly, hangs every endpoint
/// off it, advertises the ticked response types, and the JWKS holds public signing keys only.
async fn assert_discovery_and_jwks_are_truthful(app: &TestApp, created: &Application) {
    let issuer = created.issuer.as_str();
    let d = app
        .get_url(&format!("{issuer}/.well-known/openid-configuration"))
        .await;
    d.expect_status(200);
    assert!(
        !d.header("cache-control").is_empty(),
        "discovery has no Cache-Control"
    );
    assert!(
        d.header("content-type").contains("json"),
        "discovery content type: {}",
        d.header("content-type")
    );
    assert_eq!(d.json["issuer"], issuer, "discovery issuer");
    assert_eq!(
        d.json["jwks_uri"],
        format!("{issuer}/.well-known/jwks.json")
    );
    let obj = d
        .json
        .as_object()
        .unwrap_or_else(|| panic!("discovery is not an object: {}", d.text));
    for (k, v) in obj {
        if k.ends_with("_endpoint") || k == "jwks_uri" {
            let url = v.as_str().unwrap_or_else(|| panic!("{k} is not a string"));
            assert!(
                url.starts_with(&format!("{issuer}/")),
                "{k} = {url} is not under {issuer}"
            );
        }
    }
    for k in ["authorization_endpoint", "token_endpoint"] {
        assert!(obj.contains_key(k), "discovery lacks {k}: {}", d.text);
    }
    assert_eq!(
        str_set(&d.json["response_types_supported"]),
        str_set(&created["response_types"]),
        "response_types_supported vs the application's response types"
    );

    let j = app
        .get_url(&format!("{issuer}/.well-known/jwks.json"))
        .await;
    j.expect_status(200);
    assert!(
        !j.header("cache-control").is_empty(),
        "JWKS has no Cache-Control"
    );
    let keys = j.json["keys"]
        .as_array()
        .unwrap_or_else(|| panic!("JWKS without keys: {}", j.text));
    assert!(!keys.is_empty(), "JWKS is empty");
    for key in keys {
        assert!(
            key["kid"].as_str().is_some_and(|k| !k.is_empty()),
            "key without kid: {key}"
        );
        assert_eq!(key["use"], "sig", "key use: {key}");
        assert!(key["alg"].as_str().is_some(), "key without alg: {key}");
        assert!(key["kty"].as_str().is_some(), "key without kty: {key}");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(
                key.get(private).is_none(),
                "JWKS leaks private member `{private}`: {key}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Discovery, JWKS and tenant isolation

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_style_issuer_serves_truthful_discovery_and_public_jwks() {
    let app = TestApp::spawn().await;
    let created = app.create_application(json!({})).await;
    let sub = &created.subdomain;
    assert_eq!(created.issuer, format!("{}/{sub}/oidc", app.origin));
    assert_discovery_and_jwks_are_truthful(&app, &created).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subdomain_style_issuer_serves_truthful_discovery_and_public_jwks() {
    let app = TestApp::spawn_with(subdomain_style()).await;
    let created = app.create_application(json!({})).await;
    let sub = &created.subdomain;
    assert_eq!(created.issuer, format!("http://{sub}.{BASE}/oidc"));
    assert_discovery_and_jwks_are_truthful(&app, &created).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_subdomain_or_host_is_404_in_both_styles() {
    let (path_app, sub_app) =
        tokio::join!(TestApp::spawn(), TestApp::spawn_with(subdomain_style()));
    // Some application exists, so a 404 is about the name, not an empty store.
    path_app.create_application(json!({})).await;
    let known_sub = sub_app.create_application(json!({})).await.subdomain;
    let nosuch = unique("nosuch");

    for suffix in [
        "/.well-known/openid-configuration",
        "/.well-known/jwks.json",
    ] {
        let r = send(path_app.console(Method::GET, &format!("/{nosuch}/oidc{suffix}"))).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "path style /{nosuch}/oidc{suffix}: {}",
            r.excerpt()
        );

        let hosts = [
            format!("{nosuch}.{BASE}"),
            "evil.example.com".to_string(),
            format!("{known_sub}.{BASE}.evil.example.com"),
            format!("a.{known_sub}.{BASE}"),
            format!("{known_sub}{BASE}"),
        ];
        for host in hosts {
            let r = send(sub_app.with_host(Method::GET, &host, &format!("/oidc{suffix}"))).await;
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "subdomain style, Host {host}, /oidc{suffix}: {}",
                r.excerpt()
            );
        }
    }
    // A foreign host gets no admin API either.
    let r = send(
        sub_app
            .with_host(Method::GET, "evil.example.com", "/api/v1/applications")
            .header(AUTHORIZATION, format!("Bearer {}", sub_app.admin_token)),
    )
    .await;
    assert_eq!(
        r.status,
        StatusCode::NOT_FOUND,
        "admin API on a foreign host: {}",
        r.excerpt()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_api_is_served_only_on_the_console_host() {
    let app = TestApp::spawn_with(subdomain_style()).await;
    let created = app.create_application(json!({})).await;
    let host = format!("{}.{BASE}", created.subdomain);
    for path in ["/api/v1/applications", "/oidc/api/v1/applications"] {
        let r = send(
            app.with_host(Method::GET, &host, path)
                .header(AUTHORIZATION, format!("Bearer {}", app.admin_token)),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "admin API on application host {host}{path}: {}",
            r.excerpt()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_application_is_served_only_on_its_own_issuer() {
    let (path_app, sub_app) =
        tokio::join!(TestApp::spawn(), TestApp::spawn_with(subdomain_style()));
    for app in [&path_app, &sub_app] {
        let a = app
            .create_application(json!({"response_types": ["code"]}))
            .await;
        let b = app
            .create_application(json!({
                "grant_types": ["authorization_code", "implicit"],
                "response_types": ["code", "id_token"],
            }))
            .await;
        assert_ne!(a.issuer, b.issuer);
        for created in [&a, &b] {
            let issuer = created.issuer.as_str();
            let d = app
                .get_url(&format!("{issuer}/.well-known/openid-configuration"))
                .await;
            d.expect_status(200);
            assert_eq!(
                d.json["issuer"], issuer,
                "discovery served for the wrong application"
            );
            assert_eq!(
                str_set(&d.json["response_types_supported"]),
                str_set(&created["response_types"]),
                "{issuer} advertises another application's types"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Response types and modes

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_lists_only_usable_response_types_and_the_modes_they_need() {
    let app = TestApp::spawn().await;
    let all = &[
        "code",
        "id_token",
        "id_token token",
        "code id_token",
        "code token",
        "code id_token token",
    ][..];
    let code = &["code"][..];
    let (with_fragment, without) = (
        &["query", "fragment", "form_post"][..],
        &["query", "form_post"][..],
    );
    let implicit = &["id_token", "id_token token"][..];
    // (grants, ticked types, listed types, listed modes)
    let cases = [
        (json!(["authorization_code"]), code, code, without),
        (
            json!(["authorization_code", "implicit"]),
            all,
            all,
            with_fragment,
        ),
        (json!(["authorization_code"]), all, code, without),
        (json!(["implicit"]), all, implicit, with_fragment),
    ];
    for (grants, ticked, listed, modes) in cases {
        let case = format!("grants {grants}, ticked {ticked:?}");
        let settings = json!({"grant_types": grants, "response_types": ticked});
        let issuer = app.create_application(settings).await.issuer;
        let d = app
            .get_url(&format!("{issuer}/.well-known/openid-configuration"))
            .await;
        d.expect_status(200);
        assert_eq!(
            str_set(&d.json["response_types_supported"]),
            set(listed),
            "{case}"
        );
        assert_eq!(
            str_set(&d.json["response_modes_supported"]),
            set(modes),
            "{case}"
        );
        // The RP library reads the same document.
        let url = IssuerUrl::new(issuer.clone()).unwrap_or_else(|e| panic!("{e}"));
        let md = CoreProviderMetadata::discover_async(url, &app.client).await;
        let md = md.unwrap_or_else(|e| panic!("{case}: openidconnect cannot read it: {e:?}"));
        assert_eq!(
            md.response_types_supported().len(),
            listed.len(),
            "{case}: as the RP reads it"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Signing keys

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_key_is_published_beside_the_old_one() {
    let app = TestApp::spawn().await;
    let created = app.create_application(json!({})).await;
    let jwks_uri = format!("{}/.well-known/jwks.json", created.issuer);
    let kids = |r: &Reply| -> BTreeSet<String> {
        r.json["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k["kid"].as_str())
            .map(String::from)
            .collect()
    };
    let before = app.get_url(&jwks_uri).await;
    before.expect_status(200);
    let old = kids(&before);
    assert!(!old.is_empty(), "no key before rotation: {}", before.text);

    let listed = app.admin().get("/api/v1/keys").await;
    listed.expect_status(200);
    for k in items(&listed) {
        for f in ["kid", "alg", "created_at", "active"] {
            assert!(k.get(f).is_some(), "key listing lacks {f}: {k}");
        }
        assert!(
            k.get("d").is_none() && k.get("private_key").is_none(),
            "key listing leaks private parts: {k}"
        );
    }
    let listed_kids: BTreeSet<String> = items(&listed)
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .map(String::from)
        .collect();
    assert!(
        old.is_subset(&listed_kids),
        "JWKS kids {old:?} not in the key list {listed_kids:?}"
    );

    let r = app
        .admin()
        .post("/api/v1/keys/rotate", &json!({"alg": "RS256"}))
        .await;
    r.expect_status(201);
    let new_kid = r.json["kid"]
        .as_str()
        .unwrap_or_else(|| panic!("no kid: {}", r.excerpt()))
        .to_string();
    assert!(!old.contains(&new_kid), "rotation reused a kid");
    assert!(
        r.json.get("d").is_none(),
        "rotation response leaks the private key: {}",
        r.excerpt()
    );

    let after = app.get_url(&jwks_uri).await;
    after.expect_status(200);
    let now = kids(&after);
    assert!(
        now.contains(&new_kid),
        "new kid {new_kid} not in JWKS: {}",
        after.excerpt()
    );
    assert!(
        old.is_subset(&now),
        "old kids {old:?} dropped from JWKS: {}",
        after.excerpt()
    );

    let bad = app
        .admin()
        .post("/api/v1/keys/rotate", &json!({"alg": "none"}))
        .await;
    assert_invalid_field("rotate to alg none", &bad, Some("alg"));
}

// ---------------------------------------------------------------------------------------------
// Discovery of the machine and legacy endpoints

#[tokio::test]
async fn discovery_advertises_the_machine_and_legacy_endpoints_and_the_ticked_grants() {
    let app = TestApp::spawn().await;
    let cases: &[(&str, &[&str])] = &[
        ("machine", &["client_credentials"]),
        ("legacy", &["password", "refresh_token"]),
    ];
    for (prefix, grants) in cases {
        let client = app.create_application(json!({"grant_types": grants})).await;
        let issuer = client.issuer.as_str();
        let d = app
            .get_url(&format!("{issuer}/.well-known/openid-configuration"))
            .await;
        d.expect_status(200);
        for (key, path) in [
            ("introspection_endpoint", "/token/introspection"),
            ("revocation_endpoint", "/token/revocation"),
            ("end_session_endpoint", "/session/end"),
        ] {
            assert_eq!(d.json[key], format!("{issuer}{path}"), "{prefix}: {key}");
        }
        assert_eq!(
            str_set(&d.json["grant_types_supported"]),
            set(grants),
            "{prefix}: grant_types_supported vs the ticked grants"
        );
        for key in [
            "introspection_endpoint_auth_methods_supported",
            "revocation_endpoint_auth_methods_supported",
        ] {
            assert!(
                d.json[key].as_array().is_some_and(|l| !l.is_empty()),
                "{prefix}: {key} missing: {}",
                d.text
            );
        }
    }
}
