//! A black-box fuzz of every endpoint: the issuer's (discovery, JWKS, `/auth`, `/token`, `/me`,
//! introspection, revocation, logout, the hosted pages) and the admin API's (applications,
//! users, resources, access accounts, keys, sessions, pools, the console's setup and sign-in),
//! sent random and hostile headers, query strings and bodies — bytes that are not ASCII or not
//! UTF-8, NULs, very long values, thousands of parameters, repeated parameters, wrong content
//! types, truncated and deeply nested JSON — and requests no HTTP client would form, over a raw
//! socket. Every answer must come within 10 s and be below 500, a 4xx of a JSON endpoint must
//! carry a JSON `error`, and afterwards the same worker must still sign users in.
//!
//! Reproducible: every request is drawn up front from a seeded xorshift generator; the seed
//! comes from `DOORWARD_FUZZ_SEED` or the clock and is printed with any failure. The run keeps
//! within the budgets that would lock the address out (wrong admin tokens, failed sign-ins), so
//! the final sign-in tests the worker, not the throttle.

mod generate;
mod raw_socket;
mod requests;

use std::time::{Duration, Instant};

use futures::stream::{self, StreamExt};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::applications::{application_body, Application, TestUser};
use crate::support::authorize::code_params;
use crate::support::browser::{Browser, Consent};
use crate::support::json::field;
use crate::support::tokens::{password_tokens, redeem, userinfo};
use crate::support::worker::TestApp;
use generate::{seed, Rng};
use raw_socket::{raw_case, run_raw};
use requests::{spec, Budgets, Shape, Spec};

/// Requests through the HTTP client, and over a raw socket.
const REQUESTS: usize = 460;
const RAW_REQUESTS: usize = 40;
/// In flight at once (the machine has two cores; the worker is one process).
const CONCURRENCY: usize = 4;
const DEADLINE: Duration = Duration::from_secs(10);
/// The longest query string sent: the HTTP client cannot send a URL of 64 KiB.
const MAX_QUERY: usize = 48 * 1024;
/// Wrong admin tokens the run may send: the admin API locks an address out after 20.
const WRONG_ADMIN_TOKENS: u32 = 12;
/// Password checks the run may fail in the default pool: an address is locked out after 20,
/// and the sign-in at the end comes from the same address.
const FAILED_SIGN_INS: u32 = 8;

/// What the fuzz holds to reach past the first check of each endpoint.
struct Known {
    /// `http://127.0.0.1:{port}`: the console (path-style issuers live under it too).
    origin: String,
    /// The application signed in to at the end.
    rp: Application,
    post_logout_uri: String,
    /// An application and a user the fuzz may change or delete.
    spare_app: Application,
    spare_user: TestUser,
    /// A pending sign-in: the uid of its page, the browser's CSRF cookie and the form's token.
    uid: String,
    interaction_cookie: String,
    interaction_csrf: String,
    admin_token: String,
}

async fn known(app: &TestApp) -> (Known, TestUser) {
    let mut body = application_body();
    let sub = field(&body, "subdomain").to_string();
    let post_logout_uri = format!("https://{sub}.rp.example/bye");
    body["grant_types"] = json!(["authorization_code", "refresh_token", "password"]);
    body["post_logout_redirect_uris"] = json!([post_logout_uri]);
    let rp = app.create_application(body).await;
    let user = app.create_user(json!({})).await;
    let mut browser = Browser::new(app);
    let page = browser
        .authorize(
            &rp.issuer,
            &code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        )
        .await
        .login();
    let known = Known {
        origin: app.origin.clone(),
        post_logout_uri,
        spare_app: app.create_application(json!({})).await,
        spare_user: app.create_user(json!({})).await,
        uid: page.url.rsplit('/').next().unwrap_or_default().to_string(),
        interaction_cookie: browser
            .cookie("dw_interaction")
            .unwrap_or_default()
            .to_string(),
        interaction_csrf: page.csrf().to_string(),
        admin_token: app.admin_token.clone(),
        rp,
    };
    (known, user)
}

/// What went wrong with one answer, if anything.
fn judge(spec: &Spec, status: u16, text: &str, elapsed: Duration) -> Option<String> {
    let cut = |s: &str| s.chars().take(300).collect::<String>();
    if elapsed > DEADLINE {
        return Some(format!("took {elapsed:?}"));
    }
    if status >= 500 {
        return Some(format!("answered {status}: {}", cut(text)));
    }
    let json_error = || {
        serde_json::from_str::<Value>(text)
            .ok()
            .is_some_and(|v| v["error"].as_str().is_some_and(|e| !e.is_empty()))
    };
    let client_error = (400..500).contains(&status);
    if spec.shape == Shape::Json && client_error && spec.method != Method::HEAD && !json_error() {
        return Some(format!(
            "answered {status} without a JSON error: {}",
            cut(text)
        ));
    }
    None
}

async fn run(app: &TestApp, spec: &Spec) -> Option<String> {
    let mut rb = app
        .client
        .request(spec.method.clone(), &spec.url)
        .timeout(DEADLINE + Duration::from_secs(2));
    for (k, v) in &spec.headers {
        rb = rb.header(k, v);
    }
    if let Some(b) = &spec.body {
        rb = rb.body(b.clone());
    }
    let started = Instant::now();
    match rb.send().await {
        Ok(resp) => {
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            judge(spec, status, &text, started.elapsed())
        }
        Err(e) => {
            let e: String = e.to_string().chars().take(300).collect();
            Some(format!("no answer after {:?}: {e}", started.elapsed()))
        }
    }
}

/// A request for a failure message: every query parameter by name, long values cut short and
/// their length given, so the one that mattered can be found.
fn describe(spec: &Spec) -> String {
    let short = |b: &[u8]| {
        let text = String::from_utf8_lossy(b);
        if text.chars().count() <= 60 {
            text.into_owned()
        } else {
            let head: String = text.chars().take(40).collect();
            format!("{head}…({} bytes)", b.len())
        }
    };
    let (path, query) = spec.url.split_once('?').unwrap_or((&spec.url, ""));
    let params: Vec<String> = url::form_urlencoded::parse(query.as_bytes())
        .take(40)
        .map(|(k, v)| format!("{}={}", short(k.as_bytes()), short(v.as_bytes())))
        .collect();
    let headers: Vec<String> = spec
        .headers
        .iter()
        .map(|(k, v)| format!("{k}: {}", short(v.as_bytes())))
        .collect();
    let body = match &spec.body {
        Some(b) => short(b),
        None => "none".into(),
    };
    format!(
        "[{}] {} {path} | query {params:?} | headers {headers:?} | body {body}",
        spec.label, spec.method
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_to_every_endpoint_get_a_timely_4xx_and_leave_the_worker_serving() {
    let seed = seed();
    println!("DOORWARD_FUZZ_SEED={seed}");
    let app = TestApp::spawn().await;
    let (k, user) = known(&app).await;
    let mut rng = Rng::new(seed);
    let mut budgets = Budgets {
        wrong_admin_tokens: WRONG_ADMIN_TOKENS,
        failed_sign_ins: FAILED_SIGN_INS,
    };
    let specs: Vec<Spec> = (0..REQUESTS)
        .map(|_| spec(&mut rng, &k, &mut budgets))
        .collect();
    let raws: Vec<_> = (0..RAW_REQUESTS).map(|_| raw_case(&mut rng, &k)).collect();

    let started = Instant::now();
    let app_ref = &app;
    let mut failures: Vec<String> = stream::iter(&specs)
        .map(|s| async move {
            run(app_ref, s)
                .await
                .map(|why| format!("{why}\n    {}", describe(s)))
        })
        .buffer_unordered(CONCURRENCY)
        .filter_map(|f| async move { f })
        .collect()
        .await;
    for case in &raws {
        if let Some(why) = run_raw(app.port, case).await {
            failures.push(format!("{why}\n    [{}]", case.label));
        }
    }
    println!(
        "{} requests in {:?}",
        REQUESTS + RAW_REQUESTS,
        started.elapsed()
    );
    failures.sort();
    failures.dedup();
    assert!(
        failures.is_empty(),
        "DOORWARD_FUZZ_SEED={seed}: {} of {} requests failed (the first 25):\n{}",
        failures.len(),
        REQUESTS + RAW_REQUESTS,
        failures
            .iter()
            .take(25)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );

    // The same worker still signs users in, by the password grant and through the browser,
    // and the admin API still answers the admin token.
    let t = password_tokens(&app, &k.rp, &user.username, &user.password, "openid").await;
    userinfo(&app, &k.rp.issuer, field(&t, "access_token"))
        .await
        .expect_status(200);
    let params = code_params(&k.rp.client_id, &k.rp.redirect_uri, "openid");
    let code = Browser::new(&app)
        .sign_in(&k.rp.issuer, &params, &user, Consent::Allow)
        .await
        .callback()
        .param("code")
        .to_string();
    redeem(&app, &k.rp, &code, None).await.expect_status(200);
    app.admin()
        .get("/api/v1/applications")
        .await
        .expect_status(200);
}
