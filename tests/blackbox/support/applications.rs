//! Set-up through the admin API: applications ([`Application`]) and users ([`TestUser`]), each
//! made from a minimal valid body on fresh names with the test's own settings laid over it.
//! Depends only on `worker`: the benchmarks under `bench/` compile it too (through
//! `tests/common/mod.rs`).

use std::ops::Index;

use reqwest::StatusCode;
use serde_json::{json, Value};

use reqwest::Method;

use super::worker::{random_b64, send, unique, Reply, TestApp};

/// An application as its developer sees it after creating it.
#[derive(Debug, Clone)]
pub struct Application {
    pub issuer: String,
    pub client_id: String,
    /// Shown once, at creation; empty when the answer carries none.
    pub client_secret: String,
    /// The first registered redirect URI.
    pub redirect_uri: String,
    pub subdomain: String,
    /// The admin API's whole answer; `application["key"]` reads it too.
    pub created: Value,
}

impl Index<&str> for Application {
    type Output = Value;

    fn index(&self, key: &str) -> &Value {
        &self.created[key]
    }
}

/// A user with a known password.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub username: String,
    pub password: String,
    pub email: String,
    pub phone: String,
    /// The admin API's whole answer.
    pub created: Value,
}

/// A minimal valid application body on a fresh subdomain: a name, the subdomain and one
/// redirect URI.
pub fn application_body() -> Value {
    let sub = unique("app");
    json!({
        "name": format!("App {sub}"),
        "subdomain": sub,
        "redirect_uris": [format!("https://{sub}.rp.example/callback")],
    })
}

/// `base` with the top-level keys of `settings` put in (replacing those already there).
fn overlay(mut base: Value, settings: Value) -> Value {
    if let (Some(b), Value::Object(s)) = (base.as_object_mut(), settings) {
        b.extend(s);
    }
    base
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

impl TestApp {
    /// `POST /api/v1/applications` with `settings` laid over [`application_body`] (a complete
    /// body goes as it is); panics unless 201.
    pub async fn create_application(&self, settings: Value) -> Application {
        let body = overlay(application_body(), settings);
        let r = self.admin().post("/api/v1/applications", &body).await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "creating application {body}: {}",
            r.text
        );
        let created = r.json;
        let must = |key: &str| {
            created[key]
                .as_str()
                .unwrap_or_else(|| panic!("application without `{key}`: {created}"))
                .to_string()
        };
        Application {
            issuer: must("issuer"),
            client_id: must("client_id"),
            client_secret: text(&created, "client_secret"),
            subdomain: must("subdomain"),
            redirect_uri: created["redirect_uris"][0]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            created,
        }
    }

    /// `POST /api/v1/applications/{app}/clients` with `settings` laid over one redirect URI of
    /// its own; panics unless 201. The answer is another client of the same issuer.
    pub async fn create_client(&self, app: &Application, settings: Value) -> Application {
        let own = unique("client");
        let body = overlay(
            json!({"redirect_uris": [format!("https://{own}.rp.example/callback")]}),
            settings,
        );
        let r = self
            .admin()
            .post(
                &format!("/api/v1/applications/{}/clients", app.client_id),
                &body,
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "creating a client {body}: {}",
            r.text
        );
        client_of(app, r.json)
    }

    /// `POST {issuer}/reg` (RFC 7591) with `metadata`; panics unless 201. The answer is the
    /// registered client, with its `registration_access_token` in `created`.
    pub async fn register_client(&self, app: &Application, metadata: Value) -> Application {
        let r = self
            .post_json(&format!("{}/reg", app.issuer), None, &metadata)
            .await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "registering {metadata}: {}",
            r.text
        );
        client_of(app, r.json)
    }

    /// POSTs JSON to an absolute URL, with a bearer token when given.
    pub async fn post_json(&self, url: &str, bearer: Option<&str>, body: &Value) -> Reply {
        let mut rb = self.at(Method::POST, url).json(body);
        if let Some(t) = bearer {
            rb = rb.bearer_auth(t);
        }
        send(rb).await
    }

    /// `POST /api/v1/users` with `settings` laid over a user of the default pool with a unique
    /// username, a random password, a verified email, a phone number and a name; panics
    /// unless 201.
    pub async fn create_user(&self, settings: Value) -> TestUser {
        let username = unique("user");
        let mut phone = [0u8; 4];
        getrandom::fill(&mut phone).unwrap_or_else(|e| panic!("getrandom: {e}"));
        let defaults = json!({
            "username": username,
            "password": format!("pw-{}", random_b64(12)),
            "email": format!("{username}@example.com"),
            "email_verified": true,
            "phone_number": format!("+1555{:07}", u32::from_le_bytes(phone) % 10_000_000),
            "name": format!("Test {username}"),
        });
        let body = overlay(defaults, settings);
        let r = self.admin().post("/api/v1/users", &body).await;
        assert_eq!(
            r.status,
            StatusCode::CREATED,
            "creating user {body}: {}",
            r.text
        );
        TestUser {
            id: r.json["id"]
                .as_str()
                .unwrap_or_else(|| panic!("user without id: {}", r.text))
                .to_string(),
            username: text(&body, "username"),
            password: text(&body, "password"),
            email: text(&body, "email"),
            phone: text(&body, "phone_number"),
            created: r.json,
        }
    }
}

/// Another client of `app`'s issuer, from the answer that created it.
fn client_of(app: &Application, created: Value) -> Application {
    Application {
        issuer: app.issuer.clone(),
        client_id: text(&created, "client_id"),
        client_secret: text(&created, "client_secret"),
        subdomain: app.subdomain.clone(),
        redirect_uri: created["redirect_uris"][0]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        created,
    }
}

/// A worker with one application (the defaults) and one user: the set-up of most flow tests.
pub async fn setup() -> (TestApp, Application, TestUser) {
    let app = TestApp::spawn().await;
    let client = app.create_application(json!({})).await;
    let user = app.create_user(json!({})).await;
    (app, client, user)
}
