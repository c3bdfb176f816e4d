//! The synchronous entry of the hot, nearly constant routes: `/healthz`, and discovery and
//! JWKS once this isolate has served them from the records it still holds in its cache.
//! `src/entry.js` calls `answer` for every GET whose URL names `/healthz` or `/.well-known/`
//! (a test of the string, before the URL crosses into the wasm), before the `#[event(fetch)]`
//! path, and sends the request on to that path, unchanged, whenever `answer` declines.
//!
//! Why: those routes cost little more than the entry itself, and the async entry (the
//! generated class and its proxies, the future behind a Promise, the `worker` conversions of
//! Request, Env and Context) is a third of their CPU. What is answered here comes from the same
//! builders as the normal path (`documents::respond`, `transport_headers`), so the bytes,
//! status and headers are the same; anything this module cannot vouch for from memory — a
//! cold isolate, a record past its cache time or changed, a machine-token tally due for the
//! log — is declined, never guessed. It reads `store::cache` and never writes to it.
//!
//! `src/entry.js` keeps each answer given here with its `version` and `until_ms`, and gives it
//! again while the isolate's version (`store::isolate_version`, which it reads from the wasm's
//! memory) says nothing it depends on has changed — the same answer, without passing the URL
//! into the wasm, parsing it and looking the document up again.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use super::audit;
use super::context::{self, AppAt, Settings};
use super::documents::{self, Document};
use crate::oidc::issuer::Site;
use crate::store::{cache, isolate_version, kv};
use worker::ResponseBody;

/// A document remembered for the hot path, with the isolate-cache reads it was built from:
/// while each key still holds the same text, the normal path would build the same document.
struct Remembered {
    reads: Vec<(String, String)>,
    doc: Rc<Document>,
    /// The answers made of it so far, by `slot`: plain or https, 200 or 304.
    answers: RefCell<[Option<Prebuilt>; 4]>,
}

/// One answer kept as the runtime's own objects, so that each request costs one
/// `new Response(body, init)` instead of a header object and a call per header: the
/// conversion `worker` makes of a `worker::Response` (its status and headers in the init, its
/// bytes as a `Uint8Array`), made once. The runtime copies both into each new Response, so
/// nothing a caller does to one answer reaches the next. (Cloning one clones two references.)
#[derive(Clone)]
struct Prebuilt {
    init: web_sys::ResponseInit,
    body: Option<js_sys::Uint8Array>,
}

impl Prebuilt {
    fn of(resp: &worker::Response) -> Option<Prebuilt> {
        let init = web_sys::ResponseInit::new();
        init.set_status(resp.status_code());
        init.set_headers(&resp.headers().0);
        let body = match resp.body() {
            ResponseBody::Body(bytes) => Some(js_sys::Uint8Array::from(bytes.as_slice())),
            ResponseBody::Empty => None,
            ResponseBody::Stream(_) => return None,
        };
        Some(Prebuilt { init, body })
    }
}

fn slot(https: bool, not_modified: bool) -> usize {
    usize::from(https) * 2 + usize::from(not_modified)
}

const MAX_REMEMBERED: usize = 2_000;

thread_local! {
    static REMEMBERED: RefCell<HashMap<String, Remembered>> = RefCell::new(HashMap::new());
    /// Answers given here, for the debug probe that lets the tests tell the paths apart.
    static ANSWERED: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    /// `/healthz`, plain and over https.
    static HEALTHZ: RefCell<[Option<Prebuilt>; 2]> = const { RefCell::new([None, None]) };
}

/// How many requests this isolate has answered from memory: here, and again in `src/entry.js`.
pub fn answered() -> u64 {
    ANSWERED.with(|a| a.get()) + u64::from(isolate_version::repeats())
}

/// Where a hot document is served (the application's cache key, the issuer and the document,
/// the path segment after `.well-known/`), with the application record's text as the normal
/// path read it. Built by `tenant` right after that read, before anything is awaited.
pub struct Source {
    key: String,
    app_read: Option<(String, String)>,
}

impl Source {
    pub fn new(at: AppAt<'_>, issuer: &str, document: &str) -> Source {
        let app_key = app_read(at);
        let app_read = match cache::get(&app_key) {
            Some(Some(text)) => Some((app_key, text)),
            _ => None,
        };
        Source {
            key: key(at, issuer, document),
            app_read,
        }
    }

    /// Remembers `doc` as this route's answer while the application record and each of
    /// `other_reads` (a cache key and the text the document was built from) stay as they are.
    pub fn remember(&self, doc: &Rc<Document>, other_reads: &[(String, &str)]) {
        let Some(app) = &self.app_read else {
            return;
        };
        let mut reads = vec![app.clone()];
        reads.extend(other_reads.iter().map(|(k, t)| (k.clone(), t.to_string())));
        REMEMBERED.with(|r| {
            let Ok(mut map) = r.try_borrow_mut() else {
                return;
            };
            if map.len() >= MAX_REMEMBERED {
                map.clear();
            }
            map.insert(
                self.key.clone(),
                Remembered {
                    reads,
                    doc: doc.clone(),
                    answers: RefCell::new([None, None, None, None]),
                },
            );
        });
    }
}

fn key(at: AppAt<'_>, issuer: &str, document: &str) -> String {
    format!("{document} {issuer} {}", app_read(at))
}

/// The key `store::kv` reads the application under (`Kv::app_by_subdomain`, `Kv::app_by_host`).
fn app_read(at: AppAt<'_>) -> String {
    match at {
        AppAt::Subdomain(s) => kv::subdomain_key(s),
        AppAt::Host(h) => kv::host_key(h),
    }
}

/// The cache key of a pool's published JWKS (`Kv::jwks_text`).
pub fn jwks_read(pool: &str) -> String {
    kv::jwks_key(pool)
}

/// An answer from memory, and how long `src/entry.js` may give it again without asking: while
/// the isolate's version stays `version` and the clock is before `until_ms` (the first of its
/// cache entries' expiries and the machine-token tally's falling due), this module would give
/// the same answer, so the next one costs the runtime's `new Response` and a read of memory.
pub struct Answer {
    pub init: web_sys::ResponseInit,
    pub body: Option<js_sys::Uint8Array>,
    pub until_ms: f64,
    pub version: u32,
}

/// The answer to `GET url` from memory, or `None` for the normal path. `if_none_match` is the
/// request's `If-None-Match` header.
pub fn answer(url: &str, if_none_match: Option<&str>) -> Option<Answer> {
    let version = isolate_version::get();
    let (kept, until_ms) = from_memory(url, if_none_match)?;
    ANSWERED.with(|a| a.set(a.get() + 1));
    Some(Answer {
        init: kept.init,
        body: kept.body,
        until_ms,
        version,
    })
}

fn from_memory(url: &str, if_none_match: Option<&str>) -> Option<(Prebuilt, f64)> {
    let url = url::Url::parse(url).ok()?;
    let https = url.scheme() == "https";
    if url.path() == "/healthz" {
        return HEALTHZ.with(|h| {
            let mut h = h.try_borrow_mut().ok()?;
            let kept = &mut h[usize::from(https)];
            if kept.is_none() {
                *kept = Prebuilt::of(&super::healthz(https).ok()?);
            }
            Some((kept.clone()?, f64::INFINITY))
        });
    }
    // The host's meaning depends on BASE_DOMAIN, read from `Env` by the first normal request.
    let settings = Settings::of_isolate_if_read()?;
    // The normal path hands a due tally to the log with this request's `waitUntil`.
    let window = settings.audit.token_tally_secs;
    if audit::tally_due(context::now(), window) {
        return None;
    }
    let (at, issuer, path) = match super::site_of(&url, &settings) {
        Site::Tenant {
            subdomain,
            issuer,
            path,
        } => (Held::Subdomain(subdomain), issuer, path),
        Site::CustomHost { host, issuer, path } => (Held::Host(host), issuer, path),
        Site::Console { .. } | Site::Unknown => return None,
    };
    // The segments exactly as `tenant::route` splits them.
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let document = match segments.as_slice() {
        [".well-known", d @ ("openid-configuration" | "oauth-authorization-server" | "jwks.json")] => {
            *d
        }
        _ => return None,
    };
    let key = key(at.as_app_at(), &issuer, document);
    REMEMBERED.with(|r| {
        let map = r.try_borrow().ok()?;
        let hit = map.get(&key)?;
        let current = hit
            .reads
            .iter()
            .all(|(key, text)| cache::get(key).is_some_and(|now| now.as_ref() == Some(text)));
        if !current {
            return None;
        }
        let tally_due_ms = audit::tally_due_at(window).map_or(f64::INFINITY, |s| s as f64 * 1e3);
        let until_ms = hit
            .reads
            .iter()
            .map(|(key, _)| cache::fresh_until(key).unwrap_or(0.0))
            .fold(tally_due_ms, f64::min);
        let not_modified = documents::not_modified(&hit.doc, if_none_match);
        let mut answers = hit.answers.try_borrow_mut().ok()?;
        let kept = &mut answers[slot(https, not_modified)];
        if kept.is_none() {
            let resp = documents::respond(&hit.doc, if_none_match).ok()?;
            *kept = Prebuilt::of(&super::transport_headers(resp, https));
        }
        Some((kept.clone()?, until_ms))
    })
}

/// The owned half of `AppAt`, from the resolved site.
enum Held {
    Subdomain(String),
    Host(String),
}

impl Held {
    fn as_app_at(&self) -> AppAt<'_> {
        match self {
            Held::Subdomain(s) => AppAt::Subdomain(s),
            Held::Host(h) => AppAt::Host(h),
        }
    }
}
