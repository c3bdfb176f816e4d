//! The synchronous entry of `/healthz`, discovery and JWKS (`src/entry.js` before the async
//! one): the first request on a cold isolate takes the normal path, the repeats are answered
//! from the isolate's memory, and both give byte for byte the same status, body and headers,
//! as the specs ask (a strong ETag, RFC 9110 §8.8.3; 304 for a matching If-None-Match,
//! §13.1.2; CORS for the public documents); a change to the application, its keys or its
//! custom domain is served at once, never the remembered answer; and a machine-token tally
//! falling due sends the next document request the normal way, which hands it to the log.

use std::time::{Duration, Instant};

use reqwest::header::IF_NONE_MATCH;
use reqwest::Method;
use serde_json::json;

use crate::audit_trail::{audit_until, tally_worker};
use crate::client_credentials::{create_access_account, create_resources};
use crate::support::tokens::{client_credentials, Auth};
use crate::support::worker::{send, Options, Reply, TestApp};

const DOCUMENTS: [(&str, &str); 3] = [
    ("openid-configuration", "public, max-age=300"),
    ("oauth-authorization-server", "public, max-age=300"),
    ("jwks.json", "public, max-age=60"),
];

/// Status, every header but `Date` (sorted), and the body: what must not differ between the
/// two paths.
fn whole(r: &Reply) -> (u16, Vec<(String, String)>, String) {
    let mut headers: Vec<(String, String)> = r
        .headers
        .iter()
        .filter(|(name, _)| name.as_str() != "date")
        .map(|(name, value)| {
            (
                name.to_string(),
                value.to_str().unwrap_or("(not text)").to_string(),
            )
        })
        .collect();
    headers.sort();
    (r.status.as_u16(), headers, r.text.clone())
}

/// How many requests the worker's isolate answered before the async entry (a debug probe).
async fn hot_answers(app: &TestApp) -> u64 {
    let r = app.admin().get("/api/v1/debug/hot-answers").await;
    r.expect_status(200);
    r.json["answered"]
        .as_u64()
        .unwrap_or_else(|| panic!("hot-answers: {}", r.text))
}

/// What every answer of a public document must carry, from either path.
#[track_caller]
fn assert_public_document(r: &Reply, cache_control: &str, what: &str) {
    r.expect_status(200);
    assert_eq!(r.header("content-type"), "application/json", "{what}");
    assert_eq!(r.header("cache-control"), cache_control, "{what}");
    assert_eq!(r.header("access-control-allow-origin"), "*", "{what}");
    assert_eq!(r.header("x-content-type-options"), "nosniff", "{what}");
    let etag = r.header("etag");
    assert!(
        etag.len() > 2 && etag.starts_with('"') && etag.ends_with('"'),
        "{what}: not a strong entity tag: {etag:?}"
    );
    assert!(
        r.json.is_object(),
        "{what}: not a JSON object: {}",
        r.excerpt()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_answers_the_same_from_a_cold_isolate_and_from_memory() {
    let app = TestApp::spawn().await;
    let first = send(app.client.get(app.url("/healthz"))).await;
    first.expect_status(200);
    assert_eq!(first.json, json!({"status": "ok"}));
    assert_eq!(first.header("content-type"), "application/json");
    assert_eq!(first.header("x-content-type-options"), "nosniff");
    let before = hot_answers(&app).await;
    for _ in 0..3 {
        let again = send(app.client.get(app.url("/healthz"))).await;
        assert_eq!(whole(&again), whole(&first), "GET /healthz repeated");
    }
    // Any method is answered, by the async entry for all but GET.
    let post = send(app.client.post(app.url("/healthz"))).await;
    assert_eq!(whole(&post), whole(&first), "POST /healthz");
    assert_eq!(
        hot_answers(&app).await,
        before + 3,
        "GETs answered from memory"
    );
}

/// Both issuer styles: the first request of each document is the normal path's answer on a
/// cold cache, the repeats come from memory, and they are the same bytes. (A new pool's first
/// JWKS request creates its key, so only the second one is remembered.)
async fn assert_repeats_equal_the_first(app: &TestApp, issuer: &str) {
    for (document, cache_control) in DOCUMENTS {
        let url = format!("{issuer}/.well-known/{document}");
        let first = app.get_url(&url).await;
        assert_public_document(&first, cache_control, &format!("first GET {url}"));
        let second = app.get_url(&url).await;
        assert_eq!(whole(&second), whole(&first), "GET {url} again");
        let before = hot_answers(app).await;
        for _ in 0..3 {
            let again = app.get_url(&url).await;
            assert_eq!(whole(&again), whole(&first), "GET {url} repeated");
        }
        assert_eq!(
            hot_answers(app).await,
            before + 3,
            "repeats of {url} answered from memory"
        );
    }
    // RFC 8414 metadata is the discovery document itself, tag included.
    let oidc = app
        .get_url(&format!("{issuer}/.well-known/openid-configuration"))
        .await;
    let oauth = app
        .get_url(&format!("{issuer}/.well-known/oauth-authorization-server"))
        .await;
    assert_eq!(whole(&oauth), whole(&oidc));
    assert_eq!(oidc.json["issuer"], issuer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn path_style_documents_from_memory_are_the_cold_answers_byte_for_byte() {
    let app = TestApp::spawn().await;
    let created = app.create_application(json!({})).await;
    assert_repeats_equal_the_first(&app, &created.issuer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subdomain_style_documents_from_memory_are_the_cold_answers_byte_for_byte() {
    let app = TestApp::spawn_with(Options {
        base_domain: Some("id.example.test"),
        ..Options::default()
    })
    .await;
    let created = app.create_application(json!({})).await;
    assert_repeats_equal_the_first(&app, &created.issuer).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_matching_if_none_match_is_304_with_the_same_headers_and_no_body() {
    let app = TestApp::spawn().await;
    let created = app.create_application(json!({})).await;
    for (document, cache_control) in DOCUMENTS {
        let url = format!("{}/.well-known/{document}", created.issuer);
        app.get_url(&url).await.expect_status(200);
        let full = app.get_url(&url).await;
        assert_public_document(&full, cache_control, &url);
        let etag = full.header("etag").to_string();
        let before = hot_answers(&app).await;
        for tags in [etag.clone(), format!("\"other\", {etag}"), "*".to_string()] {
            let r = send(app.at(Method::GET, &url).header(IF_NONE_MATCH, &tags)).await;
            r.expect_status(304);
            assert!(r.text.is_empty(), "304 with a body: {}", r.excerpt());
            assert_eq!(r.header("etag"), etag, "{url} If-None-Match: {tags}");
            assert_eq!(r.header("cache-control"), cache_control);
            assert_eq!(r.header("access-control-allow-origin"), "*");
            assert_eq!(r.header("x-content-type-options"), "nosniff");
            assert_eq!(r.header("content-type"), "", "a 304 names no content type");
        }
        let stale = send(app.at(Method::GET, &url).header(IF_NONE_MATCH, "\"other\"")).await;
        assert_eq!(
            whole(&stale),
            whole(&full),
            "{url} with a tag that does not match"
        );
        assert_eq!(hot_answers(&app).await, before + 4, "{url} from memory");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_application_or_key_set_is_served_at_once() {
    let app = TestApp::spawn().await;
    let created = app.create_application(json!({})).await;
    let discovery = format!("{}/.well-known/openid-configuration", created.issuer);
    let jwks = format!("{}/.well-known/jwks.json", created.issuer);
    let algs = |r: &Reply| -> Vec<String> {
        let mut a: Vec<String> = r.json["keys"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|k| k["alg"].as_str().map(String::from))
            .collect();
        a.sort();
        a
    };
    let d1 = app.get_url(&discovery).await;
    let j1 = app.get_url(&jwks).await;
    assert_eq!(whole(&app.get_url(&discovery).await), whole(&d1));
    assert_eq!(whole(&app.get_url(&jwks).await), whole(&j1));
    assert_eq!(algs(&j1), ["RS256"]);

    // An ES256 application: discovery says so and the JWKS gains the pool's EC key, at once.
    app.admin()
        .patch(
            &format!("/api/v1/applications/{}", created.client_id),
            &json!({"id_token_signed_response_alg": "ES256"}),
        )
        .await
        .expect_status(200);
    let d2 = app.get_url(&discovery).await;
    assert_public_document(&d2, "public, max-age=300", "discovery after the change");
    assert_ne!(
        d2.header("etag"),
        d1.header("etag"),
        "discovery kept its tag"
    );
    assert!(
        d2.text.contains("ES256"),
        "discovery does not name ES256: {}",
        d2.excerpt()
    );
    let j2 = app.get_url(&jwks).await;
    assert_eq!(algs(&j2), ["ES256", "RS256"], "{}", j2.excerpt());
    assert_ne!(j2.header("etag"), j1.header("etag"));

    // A rotated key is published on the next request.
    app.admin()
        .post("/api/v1/keys/rotate", &json!({"alg": "RS256"}))
        .await
        .expect_status(201);
    let j3 = app.get_url(&jwks).await;
    assert_eq!(algs(&j3), ["ES256", "RS256", "RS256"], "{}", j3.excerpt());
    assert_eq!(whole(&app.get_url(&jwks).await), whole(&j3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_released_custom_domain_is_404_at_once() {
    let app = TestApp::spawn_with(Options {
        base_domain: Some("id.example.test"),
        ..Options::default()
    })
    .await;
    let shop = app
        .create_application(json!({"custom_domains": ["login.shop.test"]}))
        .await;
    let get = || {
        send(app.with_host(
            Method::GET,
            "login.shop.test",
            "/oidc/.well-known/openid-configuration",
        ))
    };
    let first = get().await;
    assert_public_document(&first, "public, max-age=300", "custom domain discovery");
    assert_eq!(first.json["issuer"], "http://login.shop.test/oidc");
    let before = hot_answers(&app).await;
    assert_eq!(whole(&get().await), whole(&first));
    assert_eq!(hot_answers(&app).await, before + 1);

    app.admin()
        .patch(
            &format!("/api/v1/applications/{}", shop.client_id),
            &json!({"custom_domains": []}),
        )
        .await
        .expect_status(200);
    get().await.expect_status(404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_methods_on_a_document_are_answered_as_before() {
    let app = TestApp::spawn().await;
    let created = app.create_application(json!({})).await;
    let url = format!("{}/.well-known/openid-configuration", created.issuer);
    let head_cold = send(app.at(Method::HEAD, &url)).await;
    let post_cold = send(app.at(Method::POST, &url)).await;
    app.get_url(&url).await.expect_status(200);
    let before = hot_answers(&app).await;
    assert_eq!(
        whole(&send(app.at(Method::HEAD, &url)).await),
        whole(&head_cold)
    );
    assert_eq!(
        whole(&send(app.at(Method::POST, &url)).await),
        whole(&post_cold)
    );
    assert_eq!(post_cold.status.as_u16(), 405);
    assert_eq!(
        hot_answers(&app).await,
        before,
        "only GETs are answered from memory"
    );
}

/// The machine-token tally is handed to the log by the first request after its window
/// (`oidc::audit_tally`), and a document request is one: while the tally is not due the
/// repeats are answered from memory, and once it is due the next one is not — the answer kept
/// in front of the wasm (`src/entry.js`) stops at the window's end rather than at its cache
/// entries' — and the log gets the counted token.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_document_request_after_the_tally_window_hands_the_tally_over() {
    const WINDOW: Duration = Duration::from_secs(4);
    let (app, machine) = tally_worker(WINDOW).await;
    let discovery = format!("{}/.well-known/openid-configuration", machine.issuer);
    let first = app.get_url(&discovery).await;
    assert_eq!(whole(&app.get_url(&discovery).await), whole(&first));

    create_resources(&app, None).await;
    let (access_key, secret_key) = create_access_account(&app, None, &["orders:read"]).await;
    let token = client_credentials(
        &app,
        &machine.issuer,
        Auth::Basic(&access_key, &secret_key),
        &[("scope", "orders:read")],
    )
    .await;
    token.expect_status(200);
    let counted_at = Instant::now();
    let before = hot_answers(&app).await;
    for _ in 0..3 {
        assert_eq!(whole(&app.get_url(&discovery).await), whole(&first));
    }
    // The window counts whole seconds from the token's: it can end up to a second early.
    if counted_at.elapsed() < WINDOW - Duration::from_secs(2) {
        assert_eq!(
            hot_answers(&app).await,
            before + 3,
            "a pending tally that is not due leaves the document in memory"
        );
    }
    let counted = hot_answers(&app).await;

    tokio::time::sleep((WINDOW + Duration::from_secs(1)).saturating_sub(counted_at.elapsed()))
        .await;
    let due = app.get_url(&discovery).await;
    assert_eq!(whole(&due), whole(&first), "the same document either way");
    assert_eq!(
        hot_answers(&app).await,
        counted,
        "the request after the window took the normal path, which hands the tally over"
    );
    let log = audit_until(&app, "kind=token_issued", |l| !l.is_empty()).await;
    assert_eq!(log[0]["client_id"], access_key.as_str(), "{}", log[0]);
}
