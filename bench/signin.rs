//! Sign-ins per second through the real worker under `wrangler dev` (issue 3's benchmark).
//! Run with `bash bench/signin.sh` (builds the full release worker first).
//!
//! - SSO sign-in: a user who already has an SSO session and has consented:
//!   `GET /auth` → 303 with a code → `POST /token` (code + refresh-free scope).
//! - Fresh sign-in: `GET /auth` → login page → `POST` credentials (PBKDF2 check) → 303 with a
//!   code → `POST /token`.
//! - The share of a fresh sign-in spent hashing: the cost of one password hash, measured
//!   through the worker's debug probe (`count` hashes in one request, minus an empty request),
//!   over the fresh sign-in's median latency.
//!
//! Each phase runs `CONCURRENCY` client tasks for `SECONDS` and reports completions/s and the
//! latency median and p99. Baseline (issue 3): node-oidc-provider 9.13.3 completes 88–121 full
//! sign-ins/s on this machine with no password hashing at all; goal ≥ 3× for SSO sign-ins.

#[path = "../tests/common/mod.rs"]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestApp;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::Client;
use serde_json::json;

const CALLBACK: &str = "https://rp.example/cb";

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Target {
    issuer: String,
    client_id: String,
    secret: String,
}

fn cookie_pairs(resp: &reqwest::Response) -> Vec<String> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|c| c.split(';').next().map(str::to_string))
        .collect()
}

fn code_of(location: &str) -> Option<String> {
    let url = url::Url::parse(location).ok()?;
    let code = url
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned());
    code
}

fn auth_url(t: &Target) -> String {
    format!(
        "{}/auth?client_id={}&response_type=code&scope=openid%20profile%20email&redirect_uri={}&state=s&nonce=n",
        t.issuer, t.client_id, CALLBACK
    )
}

async fn redeem(client: &Client, t: &Target, code: &str) -> bool {
    let resp = client
        .post(format!("{}/token", t.issuer))
        .basic_auth(&t.client_id, Some(&t.secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", CALLBACK),
        ])
        .send()
        .await;
    matches!(resp, Ok(r) if r.status().is_success())
}

/// A full password sign-in; returns the session cookie on success.
async fn fresh_sign_in(client: &Client, t: &Target, user: &str) -> Option<String> {
    let r = client.get(auth_url(t)).send().await.ok()?;
    let interaction = r.headers().get(LOCATION)?.to_str().ok()?.to_string();
    let csrf_cookie = cookie_pairs(&r).join("; ");
    let page = client
        .get(&interaction)
        .header(COOKIE, &csrf_cookie)
        .send()
        .await
        .ok()?
        .text()
        .await
        .ok()?;
    let csrf = page
        .split("name=\"csrf\" value=\"")
        .nth(1)?
        .split('"')
        .next()?
        .to_string();
    let r = client
        .post(format!("{interaction}/login"))
        .header(COOKIE, &csrf_cookie)
        .form(&[
            ("csrf", csrf.as_str()),
            ("login", user),
            ("password", "bench password 1"),
        ])
        .send()
        .await
        .ok()?;
    let session = cookie_pairs(&r)
        .into_iter()
        .find(|c| c.starts_with("dw_session_"))?;
    let code = code_of(r.headers().get(LOCATION)?.to_str().ok()?)?;
    redeem(client, t, &code).await.then_some(session)
}

async fn sso_sign_in(client: &Client, t: &Target, session: &str) -> bool {
    let Ok(r) = client.get(auth_url(t)).header(COOKIE, session).send().await else {
        return false;
    };
    let Some(code) = r
        .headers()
        .get(LOCATION)
        .and_then(|l| l.to_str().ok())
        .and_then(code_of)
    else {
        return false;
    };
    redeem(client, t, &code).await
}

struct Stats {
    done: usize,
    failed: usize,
    secs: f64,
    p50_ms: f64,
    p99_ms: f64,
}

async fn run_phase<F, Fut>(concurrency: usize, seconds: u64, make: F) -> Stats
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = bool> + Send,
{
    let make = Arc::new(make);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let make = make.clone();
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut failed = 0;
            let mut i = 0;
            while Instant::now() < deadline {
                let t0 = Instant::now();
                if make(worker, i).await {
                    lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                } else {
                    failed += 1;
                }
                i += 1;
            }
            (lat, failed)
        }));
    }
    let mut all = Vec::new();
    let mut failed = 0;
    for t in tasks {
        if let Ok((l, f)) = t.await {
            all.extend(l);
            failed += f;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or(0.0)
    };
    Stats {
        done: all.len(),
        failed,
        secs,
        p50_ms: pct(0.5),
        p99_ms: pct(0.99),
    }
}

/// Milliseconds for one request of the debug probe at `path` doing `count` units of work.
async fn probe_ms(app: &TestApp, path: &str, body: serde_json::Value) -> f64 {
    let mut times = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        let r = app.admin().post(path, &body).await;
        assert_eq!(r.status.as_u16(), 200, "probe {path}: {}", r.text);
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    times[2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let concurrency = env_num("CONCURRENCY", 16) as usize;
    let seconds = env_num("SECONDS", 10);
    let app = TestApp::spawn().await;
    let created = app
        .create_application(json!({"name": "Bench", "subdomain": "bench", "redirect_uris": [CALLBACK], "skip_consent": true}))
        .await;
    let target = Arc::new(Target {
        issuer: created["issuer"].as_str().unwrap_or_default().to_string(),
        client_id: created["client_id"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        secret: created["client_secret"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    });
    let users: Vec<String> = (0..concurrency).map(|i| format!("bench{i}")).collect();
    for u in &users {
        app.create_user(json!({"username": u, "password": "bench password 1"}))
            .await;
    }
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .unwrap_or_default();

    // Warm up and collect one SSO session per client task.
    let mut sessions = Vec::new();
    for u in &users {
        let s = fresh_sign_in(&client, &target, u)
            .await
            .unwrap_or_else(|| panic!("warm-up sign-in failed for {u}"));
        sessions.push(s);
    }
    let sessions = Arc::new(sessions);

    let (c, t) = (client.clone(), target.clone());
    let sso = run_phase(concurrency, seconds, move |w, _| {
        let (c, t, s) = (c.clone(), t.clone(), sessions[w].clone());
        async move { sso_sign_in(&c, &t, &s).await }
    })
    .await;

    let (c, t) = (client.clone(), target.clone());
    let users = Arc::new(users);
    let u2 = users.clone();
    let fresh = run_phase(concurrency, seconds, move |w, _| {
        let (c, t, u) = (c.clone(), t.clone(), u2[w].clone());
        async move { fresh_sign_in(&c, &t, &u).await.is_some() }
    })
    .await;

    // One client alone: the latency of a fresh sign-in without queueing, which the hash's
    // share is taken of.
    let (c, t, u) = (client.clone(), target.clone(), users.clone());
    let alone = run_phase(1, seconds.min(5), move |_, _| {
        let (c, t, u) = (c.clone(), t.clone(), u[0].clone());
        async move { fresh_sign_in(&c, &t, &u).await.is_some() }
    })
    .await;

    let empty = probe_ms(&app, "/api/v1/debug/hash", json!({"count": 0})).await;
    let ten = probe_ms(&app, "/api/v1/debug/hash", json!({"count": 10})).await;
    let hash_ms = (ten - empty) / 10.0;

    let row = |name: &str, s: &Stats| {
        format!(
            "| {name} | {:.0} | {:.1} | {:.1} | {} | {:.2}× – {:.2}× |",
            s.done as f64 / s.secs,
            s.p50_ms,
            s.p99_ms,
            s.failed,
            s.done as f64 / s.secs / 121.0,
            s.done as f64 / s.secs / 88.0
        )
    };
    let report = format!(
        "# Sign-in benchmark\n\n{concurrency} concurrent clients, {seconds} s per phase, loopback, `wrangler dev`.\n\n\
| flow | sign-ins/s | p50 ms | p99 ms | failed | vs node-oidc-provider (88–121/s) |\n|---|---|---|---|---|---|\n{}\n{}\n{}\n\n\
Password hash (PBKDF2-SHA256, {} rounds): {hash_ms:.1} ms each: {:.0}% of a lone fresh sign-in's median latency.\n",
        row("SSO session (authorize → code → token)", &sso),
        row("fresh password sign-in", &fresh),
        row("fresh password sign-in, one client alone", &alone),
        100_000,
        100.0 * hash_ms / alone.p50_ms.max(0.001),
    );
    println!("{report}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("signin.md"), report);
}
