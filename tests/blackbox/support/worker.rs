//! The worker under test: starts the REAL worker under `wrangler dev` for one test (own port,
//! own fresh state directory, own secrets), reaches it over HTTP as any client would
//! ([`TestApp`], [`Reply`]) and holds the admin API's credentials ([`Admin`]). Depends only on
//! the built bundle (`build/index.js`), never on the crate's internals, and on no other support
//! module: the benchmarks under `bench/` compile it too (through `tests/common/mod.rs`).
//!
//! Every test calls [`TestApp::spawn`] (or [`TestApp::spawn_with`]) itself: no shared fixture,
//! no order between tests. Dropping the `TestApp` kills `wrangler dev` and
//! its `workerd` children (the whole process group) and removes the state directory.
//!
//! A worker that cannot be started is a failure, never a skip: under `CI=true` and locally.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_TYPE, HOST};
use reqwest::{Client, Method, RequestBuilder, StatusCode};
use serde_json::Value;

/// How long `wrangler dev` may take to answer `/healthz` (a skipped build starts in ~3 s).
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Starts are retried this many times (a free port can be taken between probe and bind).
const START_ATTEMPTS: usize = 3;

/// How the worker is configured for one test.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// `BASE_DOMAIN`: `Some` gives subdomain-style issuers (`http://{sub}.{base}/oidc`, found
    /// from the `Host` header, console on the apex); `None` gives path-style issuers.
    pub base_domain: Option<&'static str>,
    /// More `--var NAME:value` settings (e.g. a short key-rotation schedule).
    pub vars: Vec<(&'static str, String)>,
    /// wrangler's `--log-level` (`warn` unless set; `log` shows the worker's `console.log`).
    pub log_level: Option<&'static str>,
}

/// One running worker.
pub struct TestApp {
    /// `http://127.0.0.1:{port}`: where every request is actually sent.
    pub origin: String,
    pub port: u16,
    pub base_domain: Option<String>,
    pub admin_token: String,
    /// Redirects disabled, no cookie store.
    pub client: Client,
    child: tokio::process::Child,
    state_dir: PathBuf,
}

/// A response read in full, for assertions that show what came back.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// The body parsed as JSON, or `Value::Null` when it is not JSON.
    pub json: Value,
}

impl Reply {
    pub async fn read(resp: reqwest::Response) -> Reply {
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp
            .text()
            .await
            .unwrap_or_else(|e| panic!("reading a response body: {e}"));
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            json,
        }
    }

    /// A header as text, or "" when absent.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Panics, showing the body, unless the status is `want`.
    #[track_caller]
    pub fn expect_status(&self, want: u16) -> &Self {
        assert_eq!(
            self.status.as_u16(),
            want,
            "unexpected status; body: {}",
            self.excerpt()
        );
        self
    }

    /// The body, cut short (wrangler's 500 pages are long HTML).
    pub fn excerpt(&self) -> &str {
        match self.text.char_indices().nth(1500) {
            Some((i, _)) => &self.text[..i],
            None => &self.text,
        }
    }
}

/// Sends a request and reads the reply; a transport error is a test failure.
pub async fn send(rb: RequestBuilder) -> Reply {
    let resp = rb
        .send()
        .await
        .unwrap_or_else(|e| panic!("request failed: {e}"));
    Reply::read(resp).await
}

/// A suffix no other test (or earlier run) uses: for subdomains, usernames, resource codes.
/// Lower-case letters and digits only, so it is a valid DNS label part.
pub fn unique(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).unwrap_or_else(|e| panic!("getrandom: {e}"));
    let r = u32::from_le_bytes(bytes);
    format!("{prefix}-{n}{r:08x}")
}

/// `n` random bytes, base64url without padding.
pub fn random_b64(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).unwrap_or_else(|e| panic!("getrandom: {e}"));
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Where the worker is started from (its `build/`, `wrangler.toml`, `node_modules`): this
/// checkout, or `DOORWARD_TEST_ROOT` — a snapshot of it, so the suite can run against one
/// build while the sources change (wrangler reloads the worker when `src/` changes).
fn repo_root() -> PathBuf {
    match std::env::var_os("DOORWARD_TEST_ROOT") {
        Some(root) => PathBuf::from(root),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")),
    }
}

fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| v == "true" || v == "1")
        .unwrap_or(false)
}

/// The worker cannot run: always a failure (under `CI=true` and locally), with the way out.
fn cannot_run(why: &str) -> ! {
    let hint = "Build and run the suite with `bash scripts/test.sh` (it bootstraps the toolchain \
                and runs `bash scripts/build-worker.sh` once, then the tests with SKIP_WORKER_BUILD=1).";
    if in_ci() {
        panic!("CI=true: the worker could not be started, failing (never skipping): {why}\n{hint}");
    }
    panic!("the worker could not be started: {why}\n{hint}");
}

fn free_port() -> u16 {
    let l =
        TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("binding a probe port: {e}"));
    l.local_addr()
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("probe port: {e}"))
}

impl TestApp {
    /// A worker with path-style issuers (`http://127.0.0.1:P/{subdomain}/oidc`).
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(Options::default()).await
    }

    pub async fn spawn_with(opts: Options) -> TestApp {
        let root = repo_root();
        for f in ["build/index.js", "build/index_bg.wasm"] {
            if !root.join(f).is_file() {
                cannot_run(&format!("{} is missing", root.join(f).display()));
            }
        }
        let wrangler = root.join("node_modules/.bin/wrangler");
        if !wrangler.is_file() {
            cannot_run(&format!("{} is missing (run `npm ci`)", wrangler.display()));
        }
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .unwrap_or_else(|e| panic!("building the HTTP client: {e}"));

        let mut failures = Vec::new();
        for attempt in 1..=START_ATTEMPTS {
            match TestApp::start_once(&root, &opts, client.clone()).await {
                Ok(app) => return app,
                Err(e) => failures.push(format!("attempt {attempt}: {e}")),
            }
        }
        cannot_run(&failures.join("\n\n"))
    }

    async fn start_once(root: &Path, opts: &Options, client: Client) -> Result<TestApp, String> {
        let port = free_port();
        let inspector_port = free_port();
        let state_dir = std::env::temp_dir().join(unique("doorward-test"));
        std::fs::create_dir_all(&state_dir)
            .map_err(|e| format!("creating {}: {e}", state_dir.display()))?;
        let log_path = state_dir.join("wrangler.log");
        let log = std::fs::File::create(&log_path).map_err(|e| format!("creating the log: {e}"))?;
        let log_err = log
            .try_clone()
            .map_err(|e| format!("cloning the log handle: {e}"))?;

        let admin_token = random_b64(32);
        let master_key = random_b64(32);
        let bin = root.join("node_modules/.bin");
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );

        let mut cmd = tokio::process::Command::new(bin.join("wrangler"));
        cmd.current_dir(root)
            .arg("dev")
            .args(["--ip", "127.0.0.1", "--port", &port.to_string()])
            .args(["--inspector-port", &inspector_port.to_string()])
            .arg("--persist-to")
            .arg(state_dir.join("state"))
            // `--var` overrides `.dev.vars`; the worker reads these with `env.secret(..)`,
            // which accepts plain string vars.
            .args(["--var", &format!("MASTER_KEY:{master_key}")])
            .args(["--var", &format!("ADMIN_TOKEN:{admin_token}")])
            // Admin-only probes the tests and benchmarks use (off in production).
            .args(["--var", "ENABLE_DEBUG_API:true"])
            .args([
                "--log-level",
                opts.log_level.unwrap_or("warn"),
                "--show-interactive-dev-session=false",
            ]);
        if let Some(base) = opts.base_domain {
            cmd.args(["--var", &format!("BASE_DOMAIN:{base}")]);
        }
        for (name, value) in &opts.vars {
            cmd.args(["--var", &format!("{name}:{value}")]);
        }
        // `/__scheduled` runs the cron trigger's handler on demand.
        cmd.arg("--test-scheduled");
        cmd.env("PATH", path)
            .env("SKIP_WORKER_BUILD", "1")
            .env("WRANGLER_SEND_METRICS", "false")
            .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
            .env("WRANGLER_LOG_PATH", state_dir.join("logs"))
            .stdin(Stdio::null())
            .stdout(Stdio::from(log))
            .stderr(Stdio::from(log_err))
            .process_group(0)
            .kill_on_drop(true);
        let child = cmd.spawn().map_err(|e| format!("spawning wrangler: {e}"))?;

        let mut app = TestApp {
            origin: format!("http://127.0.0.1:{port}"),
            port,
            base_domain: opts.base_domain.map(str::to_string),
            admin_token,
            client,
            child,
            state_dir,
        };
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = app.child.try_wait() {
                return Err(format!(
                    "wrangler exited with {status} before it was ready:\n{}",
                    app.log()
                ));
            }
            if let Ok(resp) = app
                .console(Method::GET, "/healthz")
                .timeout(Duration::from_secs(5))
                .send()
                .await
            {
                if resp.status() == StatusCode::OK {
                    return Ok(app);
                }
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(format!(
                    "GET /healthz did not return 200 within {READY_TIMEOUT:?}; wrangler log:\n{}",
                    app.log()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What wrangler printed so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.state_dir.join("wrangler.log")).unwrap_or_default()
    }

    /// `http://127.0.0.1:P{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.origin)
    }

    /// The issuer a new application with `subdomain` should get.
    pub fn expected_issuer(&self, subdomain: &str) -> String {
        match &self.base_domain {
            Some(base) => format!("http://{subdomain}.{base}/oidc"),
            None => format!("{}/{subdomain}/oidc", self.origin),
        }
    }

    /// A request to the console host (no credentials).
    pub fn console(&self, method: Method, path: &str) -> RequestBuilder {
        let rb = self.client.request(method, self.url(path));
        match &self.base_domain {
            Some(base) => rb.header(HOST, base.as_str()),
            None => rb,
        }
    }

    /// A request to a request path under a given `Host` header, sent to the loopback port.
    pub fn with_host(&self, method: Method, host: &str, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header(HOST, host)
    }

    /// A request to any absolute URL the worker published (an issuer, a `jwks_uri`): sent to
    /// the loopback port with the URL's host in the `Host` header, as a real client resolving
    /// `{sub}.{base}` to this server would.
    pub fn at(&self, method: Method, absolute: &str) -> RequestBuilder {
        let url = reqwest::Url::parse(absolute).unwrap_or_else(|e| panic!("`{absolute}`: {e}"));
        let host = url
            .host_str()
            .unwrap_or_else(|| panic!("`{absolute}` has no host"));
        let host = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.to_string(),
        };
        let mut path = url.path().to_string();
        if let Some(q) = url.query() {
            path = format!("{path}?{q}");
        }
        if host == format!("127.0.0.1:{}", self.port) {
            self.client.request(method, absolute)
        } else {
            self.with_host(method, &host, &path)
        }
    }

    /// GET an absolute published URL (see [`TestApp::at`]).
    pub async fn get_url(&self, absolute: &str) -> Reply {
        send(self.at(Method::GET, absolute)).await
    }

    /// The admin API with the bootstrap admin token.
    pub fn admin(&self) -> Admin<'_> {
        Admin { app: self }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // `wrangler dev` runs `workerd` children: end the whole process group, politely first.
        if let Some(pgid) = self.child.id() {
            let group = format!("-{pgid}");
            let kill = |sig: &str| {
                std::process::Command::new("kill")
                    .args([sig, "--", &group])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .status()
                    .map(|s| s.success())
                    .unwrap_or(false)
            };
            if kill("-TERM") {
                let deadline = Instant::now() + Duration::from_secs(3);
                while Instant::now() < deadline && kill("-0") {
                    let _ = self.child.try_wait();
                    std::thread::sleep(Duration::from_millis(50));
                }
                if kill("-0") {
                    kill("-KILL");
                }
            }
            let _ = self.child.start_kill();
            let _ = self.child.try_wait();
        }
        let _ = std::fs::remove_dir_all(&self.state_dir);
    }
}

/// The admin API (`/api/v1/...` on the console host) with `Authorization: Bearer {ADMIN_TOKEN}`.
#[derive(Clone, Copy)]
pub struct Admin<'a> {
    app: &'a TestApp,
}

impl Admin<'_> {
    /// A request builder with the admin token, for anything the shortcuts below don't cover.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.app
            .console(method, path)
            .header(AUTHORIZATION, format!("Bearer {}", self.app.admin_token))
    }

    pub async fn get(&self, path: &str) -> Reply {
        send(self.request(Method::GET, path)).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        send(self.request(Method::POST, path).json(body)).await
    }

    /// POST a raw body with a content type (for malformed-input tests).
    pub async fn post_raw(&self, path: &str, content_type: &str, body: &str) -> Reply {
        send(
            self.request(Method::POST, path)
                .header(CONTENT_TYPE, content_type)
                .body(body.to_string()),
        )
        .await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Reply {
        send(self.request(Method::PUT, path).json(body)).await
    }

    pub async fn patch(&self, path: &str, body: &Value) -> Reply {
        send(self.request(Method::PATCH, path).json(body)).await
    }

    pub async fn delete(&self, path: &str) -> Reply {
        send(self.request(Method::DELETE, path)).await
    }
}
