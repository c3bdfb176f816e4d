//! A small scripted browser for the front channel: follows the worker's redirects, keeps its
//! cookies in a jar the test can read and change, fills in the hosted login and consent pages,
//! and stops at the client's redirect URI (query, fragment or form_post) or at the first page it
//! cannot handle. Depends on `worker` (HTTP), `html` (reading pages) and `applications` (the
//! user who signs in), never on the crate's internals.
//!
//! Typical use:
//!
//! ```ignore
//! let mut browser = Browser::new(&app);
//! let done = browser.sign_in(&issuer, &params, &user, Consent::Allow).await;
//! let code = done.callback().param("code");
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::header::{
    HeaderMap, HeaderValue, ACCEPT_LANGUAGE, COOKIE, HOST, LOCATION, SET_COOKIE,
};
use reqwest::{Client, Method, RequestBuilder, Url};
use serde::Serialize;

use super::applications::TestUser;
use super::html::{tags, Form};
use super::worker::{send, Reply, TestApp};

/// How many redirects the browser follows before giving up (a loop is a bug).
const MAX_HOPS: usize = 10;

// ---------------------------------------------------------------------------------------------
// Cookies (RFC 6265, the parts the worker uses: Path, Domain, Max-Age)

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cookie {
    pub name: String,
    pub value: String,
    pub path: String,
    /// `Some(".base")` for a `Domain=` cookie; `None` for a host-only one.
    pub domain: Option<String>,
    /// The host that set it (host[:port]).
    pub host: String,
    /// The attributes as sent, for assertions (`HttpOnly`, `SameSite=Lax`, ...).
    pub raw: String,
}

impl Cookie {
    fn matches(&self, host: &str, path: &str) -> bool {
        let host_ok = match &self.domain {
            Some(d) => {
                let d = d.trim_start_matches('.');
                let bare = host.split(':').next().unwrap_or(host);
                bare == d || bare.ends_with(&format!(".{d}"))
            }
            None => self.host == host,
        };
        let path_ok = path == self.path
            || (path.starts_with(&self.path)
                && (self.path.ends_with('/') || path[self.path.len()..].starts_with('/')));
        host_ok && path_ok
    }
}

fn parse_set_cookie(raw: &str, host: &str, request_path: &str) -> Option<(Cookie, bool)> {
    let mut parts = raw.split(';');
    let (name, value) = parts.next()?.split_once('=')?;
    let default_path = match request_path.rfind('/') {
        Some(0) | None => "/".to_string(),
        Some(i) => request_path[..i].to_string(),
    };
    let mut cookie = Cookie {
        name: name.trim().to_string(),
        value: value.trim().to_string(),
        path: default_path,
        domain: None,
        host: host.to_string(),
        raw: raw.to_string(),
    };
    let mut expired = false;
    for attr in parts {
        let (k, v) = attr.split_once('=').unwrap_or((attr, ""));
        match k.trim().to_ascii_lowercase().as_str() {
            "path" if v.trim().starts_with('/') => cookie.path = v.trim().to_string(),
            "domain" if !v.trim().is_empty() => cookie.domain = Some(v.trim().to_ascii_lowercase()),
            "max-age" => expired |= v.trim().parse::<i64>().map(|n| n <= 0).unwrap_or(false),
            _ => {}
        }
    }
    Some((cookie, expired))
}

// ---------------------------------------------------------------------------------------------
// Where a flow stopped

/// How the authorization response reached the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    Query,
    Fragment,
    FormPost,
}

/// The authorization response as the client's redirect URI received it.
#[derive(Debug)]
pub struct Callback {
    /// The URL the browser was sent to (for form_post: the form's action).
    pub url: Url,
    pub delivered: Delivered,
    /// The response parameters (from the query, the fragment or the posted form).
    pub params: BTreeMap<String, String>,
    /// The reply that carried it (the 303, or the form_post page).
    pub reply: Reply,
}

impl Callback {
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// A parameter that must be there.
    #[track_caller]
    pub fn param(&self, name: &str) -> &str {
        self.get(name).unwrap_or_else(|| {
            panic!(
                "the response has no `{name}`: {:?} ({})",
                self.params, self.url
            )
        })
    }

    /// The URL without query and fragment: the redirect URI the response went to.
    pub fn target(&self) -> String {
        let mut u = self.url.clone();
        u.set_query(None);
        u.set_fragment(None);
        u.to_string()
    }
}

/// A hosted page (login or consent) with its form.
#[derive(Debug)]
pub struct Page {
    /// The page's URL (`{issuer}/interaction/{uid}`).
    pub url: String,
    pub form: Form,
    pub reply: Reply,
}

impl Page {
    pub fn csrf(&self) -> &str {
        self.form.field("csrf").unwrap_or("")
    }

    /// The scopes a consent page lists (`<li data-scope="...">`).
    pub fn scopes(&self) -> Vec<String> {
        tags(&self.reply.text, "li")
            .into_iter()
            .filter_map(|a| a.get("data-scope").cloned())
            .collect()
    }
}

/// Where the browser ended up.
#[derive(Debug)]
pub enum Outcome {
    /// At the client: a redirect to a URL outside the issuer, or a form_post page.
    Callback(Callback),
    /// The hosted login page.
    Login(Page),
    /// The hosted consent page.
    Consent(Page),
    /// Anything else (an error page, an unexpected status); `url` is what was requested.
    Stopped { url: String, reply: Reply },
}

impl Outcome {
    /// Where the browser stopped, for failure messages.
    pub fn describe(&self) -> String {
        match self {
            Outcome::Callback(c) => format!("callback {}", c.url),
            Outcome::Login(p) => format!(
                "login page {} ({}): {}",
                p.url,
                p.reply.status,
                p.reply.excerpt()
            ),
            Outcome::Consent(p) => format!("consent page {}", p.url),
            Outcome::Stopped { url, reply } => format!(
                "stopped at {url} with {}: {}",
                reply.status,
                reply.excerpt()
            ),
        }
    }

    #[track_caller]
    pub fn callback(self) -> Callback {
        match self {
            Outcome::Callback(c) => c,
            other => panic!(
                "expected a response at the redirect URI, got {}",
                other.describe()
            ),
        }
    }

    #[track_caller]
    pub fn login(self) -> Page {
        match self {
            Outcome::Login(p) => p,
            other => panic!("expected the login page, got {}", other.describe()),
        }
    }

    #[track_caller]
    pub fn consent(self) -> Page {
        match self {
            Outcome::Consent(p) => p,
            other => panic!("expected the consent page, got {}", other.describe()),
        }
    }

    /// The reply of a page the browser stopped at (an error page, a login page with an error).
    #[track_caller]
    pub fn stopped(self) -> Reply {
        match self {
            Outcome::Stopped { reply, .. } => reply,
            Outcome::Login(p) | Outcome::Consent(p) => p.reply,
            other => panic!("expected a page, got {}", other.describe()),
        }
    }

    pub fn is_login(&self) -> bool {
        matches!(self, Outcome::Login(_))
    }
}

/// What the user answers on the consent page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Consent {
    Allow,
    Deny,
    /// Stop at the consent page (return it as `Outcome::Consent`).
    Stop,
}

// ---------------------------------------------------------------------------------------------
// The browser

/// One browser: its own cookie jar; redirects are followed by hand so every hop can be seen.
pub struct Browser {
    client: Client,
    /// `http://127.0.0.1:{port}`: where requests are sent (other hosts go in `Host`).
    origin: String,
    loopback: String,
    pub jar: Vec<Cookie>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser::with_headers(app, HeaderMap::new())
    }

    /// A browser whose every request says `Accept-Language: {languages}`.
    pub fn speaking(app: &TestApp, languages: &str) -> Browser {
        let value = HeaderValue::from_str(languages)
            .unwrap_or_else(|e| panic!("Accept-Language `{languages}`: {e}"));
        Browser::with_headers(app, HeaderMap::from_iter([(ACCEPT_LANGUAGE, value)]))
    }

    fn with_headers(app: &TestApp, headers: HeaderMap) -> Browser {
        let client = Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(60))
            .default_headers(headers)
            .build()
            .unwrap_or_else(|e| panic!("building the browser client: {e}"));
        Browser {
            client,
            origin: app.origin.clone(),
            loopback: format!("127.0.0.1:{}", app.port),
            jar: Vec::new(),
        }
    }

    // --- cookies ---

    /// The value of the cookie `name` (any path), if the jar has it.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.jar
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.value.as_str())
    }

    /// The cookie `name` with its attributes.
    pub fn cookie_full(&self, name: &str) -> Option<&Cookie> {
        self.jar.iter().find(|c| c.name == name)
    }

    /// Cookies whose name starts with `prefix` (e.g. `dw_session_`).
    pub fn cookies_starting(&self, prefix: &str) -> Vec<&Cookie> {
        self.jar
            .iter()
            .filter(|c| c.name.starts_with(prefix))
            .collect()
    }

    /// Sets (or replaces) a cookie for the loopback host.
    pub fn set_cookie(&mut self, name: &str, value: &str, path: &str) {
        self.jar.retain(|c| !(c.name == name && c.path == path));
        self.jar.push(Cookie {
            name: name.into(),
            value: value.into(),
            path: path.into(),
            domain: None,
            host: self.loopback.clone(),
            raw: format!("{name}={value}; Path={path}"),
        });
    }

    /// Removes every cookie called `name`.
    pub fn remove_cookie(&mut self, name: &str) {
        self.jar.retain(|c| c.name != name);
    }

    fn store_cookies(&mut self, url: &Url, reply: &Reply) {
        let host = host_of(url);
        for v in reply.headers.get_all(SET_COOKIE) {
            let Ok(raw) = v.to_str() else { continue };
            let Some((cookie, expired)) = parse_set_cookie(raw, &host, url.path()) else {
                continue;
            };
            self.jar.retain(|c| {
                !(c.name == cookie.name && c.path == cookie.path && c.domain == cookie.domain)
            });
            if !expired {
                self.jar.push(cookie);
            }
        }
    }

    // --- requests ---

    /// A request to an absolute URL, with the jar's cookies; a URL on another host than the
    /// loopback one is sent to the loopback port with its host in `Host` (subdomain style).
    pub fn request(&self, method: Method, absolute: &str) -> RequestBuilder {
        let url = Url::parse(absolute).unwrap_or_else(|e| panic!("`{absolute}`: {e}"));
        let host = host_of(&url);
        let rb = if host == self.loopback {
            self.client.request(method, url.as_str())
        } else {
            let mut path = url.path().to_string();
            if let Some(q) = url.query() {
                path = format!("{path}?{q}");
            }
            self.client
                .request(method, format!("{}{path}", self.origin))
                .header(HOST, host.as_str())
        };
        let cookies: Vec<String> = self
            .jar
            .iter()
            .filter(|c| c.matches(&host, url.path()))
            .map(|c| format!("{}={}", c.name, c.value))
            .collect();
        if cookies.is_empty() {
            rb
        } else {
            rb.header(COOKIE, cookies.join("; "))
        }
    }

    /// Sends a request built by [`Browser::request`] and keeps the cookies it sets.
    pub async fn send(&mut self, url: &str, rb: RequestBuilder) -> Reply {
        let reply = send(rb).await;
        let parsed = Url::parse(url).unwrap_or_else(|e| panic!("`{url}`: {e}"));
        self.store_cookies(&parsed, &reply);
        reply
    }

    pub async fn get(&mut self, url: &str) -> Reply {
        let rb = self.request(Method::GET, url);
        self.send(url, rb).await
    }

    pub async fn post_form<F: Serialize + ?Sized>(&mut self, url: &str, form: &F) -> Reply {
        let rb = self.request(Method::POST, url).form(form);
        self.send(url, rb).await
    }

    // --- the flow ---

    /// `GET {issuer}/auth?{params}`, then follows the front channel to where it stops.
    pub async fn authorize(&mut self, issuer: &str, params: &[(&str, String)]) -> Outcome {
        let url = authorize_url(issuer, params);
        self.open(issuer, &url).await
    }

    /// `POST {issuer}/auth` with the parameters as a form, then follows.
    pub async fn authorize_post(&mut self, issuer: &str, params: &[(&str, String)]) -> Outcome {
        let url = format!("{issuer}/auth");
        let form: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let reply = self.post_form(&url, &form).await;
        self.follow(issuer, url, reply).await
    }

    /// GETs any URL (an authorize URL built by an RP library, a page) and follows.
    pub async fn open(&mut self, issuer: &str, url: &str) -> Outcome {
        let reply = self.get(url).await;
        self.follow(issuer, url.to_string(), reply).await
    }

    /// Submits the login form of `page`.
    pub async fn submit_login(
        &mut self,
        issuer: &str,
        page: &Page,
        login: &str,
        password: &str,
    ) -> Outcome {
        let mut form = page.form.hidden.clone();
        form.push(("login".into(), login.into()));
        form.push(("password".into(), password.into()));
        self.submit(issuer, page, form).await
    }

    /// Submits the consent form of `page` with `decision` (`allow` or `deny`).
    pub async fn submit_consent(&mut self, issuer: &str, page: &Page, allow: bool) -> Outcome {
        let mut form = page.form.hidden.clone();
        form.push((
            "decision".into(),
            if allow { "allow" } else { "deny" }.into(),
        ));
        self.submit(issuer, page, form).await
    }

    /// Posts `form` to the action of `page` (for tampered forms: wrong CSRF and the like).
    pub async fn submit(
        &mut self,
        issuer: &str,
        page: &Page,
        form: Vec<(String, String)>,
    ) -> Outcome {
        let action = resolve(&page.url, &page.form.action);
        let reply = self.post_form(&action, &form).await;
        self.follow(issuer, action, reply).await
    }

    /// Authorize, sign `user` in on the login page if it is shown, answer the consent page if
    /// it is shown (unless `consent` is `Stop`), and return where the browser ended up.
    pub async fn sign_in(
        &mut self,
        issuer: &str,
        params: &[(&str, String)],
        user: &TestUser,
        consent: Consent,
    ) -> Outcome {
        let first = self.authorize(issuer, params).await;
        self.complete(issuer, first, user, consent).await
    }

    /// Carries an outcome on through the login (as `user`) and consent pages.
    pub async fn complete(
        &mut self,
        issuer: &str,
        at: Outcome,
        user: &TestUser,
        consent: Consent,
    ) -> Outcome {
        let at = match at {
            Outcome::Login(page) if page.reply.status.is_success() => {
                self.submit_login(issuer, &page, &user.username, &user.password)
                    .await
            }
            other => other,
        };
        match (at, consent) {
            (Outcome::Consent(page), Consent::Allow) => {
                self.submit_consent(issuer, &page, true).await
            }
            (Outcome::Consent(page), Consent::Deny) => {
                self.submit_consent(issuer, &page, false).await
            }
            (other, _) => other,
        }
    }

    /// Follows redirects within the issuer; stops at the client or at a page.
    pub async fn follow(&mut self, issuer: &str, mut url: String, mut reply: Reply) -> Outcome {
        for _ in 0..MAX_HOPS {
            if reply.status.is_redirection() {
                let Some(location) = reply.headers.get(LOCATION).and_then(|v| v.to_str().ok())
                else {
                    return Outcome::Stopped { url, reply };
                };
                let next = resolve(&url, location);
                if !next.starts_with(&format!("{issuer}/")) {
                    return Outcome::Callback(callback_from_redirect(&next, reply));
                }
                reply = self.get(&next).await;
                url = next;
                continue;
            }
            return classify(issuer, url, reply);
        }
        panic!("more than {MAX_HOPS} redirects, last at {url}");
    }
}

fn host_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    }
}

/// A relative or absolute `Location`/`action` against the page it came from.
pub fn resolve(base: &str, reference: &str) -> String {
    Url::parse(base)
        .and_then(|b| b.join(reference))
        .map(|u| u.to_string())
        .unwrap_or_else(|_| reference.to_string())
}

/// `{issuer}/auth?{params}` with the values percent-encoded.
pub fn authorize_url(issuer: &str, params: &[(&str, String)]) -> String {
    let q = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
        .finish();
    format!("{issuer}/auth?{q}")
}

fn pairs(encoded: &str) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(encoded.as_bytes())
        .into_owned()
        .collect()
}

fn callback_from_redirect(location: &str, reply: Reply) -> Callback {
    let url = Url::parse(location)
        .unwrap_or_else(|e| panic!("redirect to an invalid URL `{location}`: {e}"));
    let (delivered, params) = match url.fragment() {
        Some(f) if !f.is_empty() => (Delivered::Fragment, pairs(f)),
        _ => (Delivered::Query, pairs(url.query().unwrap_or(""))),
    };
    Callback {
        url,
        delivered,
        params,
        reply,
    }
}

fn classify(issuer: &str, url: String, reply: Reply) -> Outcome {
    let Some(form) = Form::parse(&reply.text) else {
        return Outcome::Stopped { url, reply };
    };
    let action = resolve(&url, &form.action);
    if reply.status.is_success()
        && form.method == "post"
        && !action.starts_with(&format!("{issuer}/"))
    {
        let params = form.hidden.iter().cloned().collect();
        let target = Url::parse(&action)
            .unwrap_or_else(|e| panic!("form_post to an invalid URL `{action}`: {e}"));
        return Outcome::Callback(Callback {
            url: target,
            delivered: Delivered::FormPost,
            params,
            reply,
        });
    }
    if action.starts_with(&format!("{issuer}/interaction/")) && action.ends_with("/login") {
        return Outcome::Login(Page { url, form, reply });
    }
    if action.starts_with(&format!("{issuer}/interaction/")) && action.ends_with("/consent") {
        return Outcome::Consent(Page { url, form, reply });
    }
    Outcome::Stopped { url, reply }
}
