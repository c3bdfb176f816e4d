//! Console sessions of administrators (users of the reserved `__admins` pool): the
//! administrator behind a session is re-checked on every call, so a block, a new password or a
//! deletion ends the console session at once (not when its 8 hours run out); console sessions
//! are listed and revoked through the sessions API of the `__admins` pool like SSO sessions.

use reqwest::header::{COOKIE, SET_COOKIE};
use reqwest::Method;
use serde_json::{json, Value};

use crate::support::json::{field, items};
use crate::support::worker::{send, Reply, TestApp};

const ADMINS: &str = "__admins";

/// A signed-in console: its session cookie and CSRF token.
struct Console {
    cookie: String,
    csrf: String,
}

/// `POST /api/v1/console/setup` with the admin token: the first administrator.
async fn first_administrator(app: &TestApp, username: &str, password: &str) {
    let r = send(
        app.console(Method::POST, "/api/v1/console/setup")
            .json(&json!({
                "admin_token": app.admin_token,
                "username": username,
                "password": password,
            })),
    )
    .await;
    r.expect_status(201);
}

/// Another administrator, through the users API of the `__admins` pool; its id.
async fn another_administrator(app: &TestApp, username: &str, password: &str) -> String {
    let r = app
        .admin()
        .post(
            &format!("/api/v1/users?pool_id={ADMINS}"),
            &json!({"username": username, "password": password}),
        )
        .await;
    r.expect_status(201);
    field(&r.json, "id").to_string()
}

async fn administrator_id(app: &TestApp, username: &str) -> String {
    let r = app
        .admin()
        .get(&format!("/api/v1/users?pool_id={ADMINS}&q={username}"))
        .await;
    r.expect_status(200);
    items(&r)
        .iter()
        .find(|u| u["username"] == username)
        .map(|u| field(u, "id").to_string())
        .unwrap_or_else(|| panic!("no administrator {username}: {}", r.text))
}

/// `POST /api/v1/console/login`: the `dw_admin` cookie and the session's CSRF token.
async fn console_login(app: &TestApp, username: &str, password: &str) -> Console {
    let r = send(
        app.console(Method::POST, "/api/v1/console/login")
            .json(&json!({"username": username, "password": password})),
    )
    .await;
    r.expect_status(200);
    let cookie = r
        .headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.split(';').next().filter(|kv| kv.starts_with("dw_admin=")))
        .unwrap_or_else(|| panic!("no dw_admin cookie: {:?}", r.headers))
        .to_string();
    Console {
        cookie,
        csrf: field(&r.json, "csrf").to_string(),
    }
}

impl Console {
    /// An admin API call with the console's cookie and CSRF header (no bearer token).
    async fn call(&self, app: &TestApp, method: Method, path: &str, body: Option<&Value>) -> Reply {
        let mut rb = app
            .console(method, path)
            .header(COOKIE, &self.cookie)
            .header("X-CSRF-Token", &self.csrf);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        send(rb).await
    }

    async fn works(&self, app: &TestApp) -> bool {
        let r = self
            .call(app, Method::GET, "/api/v1/applications", None)
            .await;
        match r.status.as_u16() {
            200 => true,
            401 => false,
            other => panic!("a console call answered {other}: {}", r.excerpt()),
        }
    }
}

#[tokio::test]
async fn blocking_resetting_or_deleting_an_administrator_ends_its_console_sessions_at_once() {
    let app = TestApp::spawn().await;
    first_administrator(&app, "root", "the first admin password").await;
    let root = console_login(&app, "root", "the first admin password").await;
    assert!(root.works(&app).await, "control: the first administrator");
    // (case, method, body of the call on /api/v1/users/{id}?pool_id=__admins)
    let cases: [(&str, Method, Option<Value>); 3] = [
        ("a block", Method::PATCH, Some(json!({"blocked": true}))),
        (
            "a new password",
            Method::PATCH,
            Some(json!({"password": "another admin password"})),
        ),
        ("a deletion", Method::DELETE, None),
    ];
    for (i, (case, method, body)) in cases.into_iter().enumerate() {
        let (name, password) = (format!("admin{i}"), format!("admin password {i}"));
        let id = another_administrator(&app, &name, &password).await;
        let console = console_login(&app, &name, &password).await;
        assert!(console.works(&app).await, "{case}: control");
        let me = console
            .call(&app, Method::GET, "/api/v1/console/me", None)
            .await;
        assert_eq!(me.json["username"], name.as_str(), "{case}: {}", me.text);

        let mut rb = app
            .admin()
            .request(method, &format!("/api/v1/users/{id}?pool_id={ADMINS}"));
        if let Some(b) = &body {
            rb = rb.json(b);
        }
        let r = send(rb).await;
        assert!(r.status.is_success(), "{case}: {} {}", r.status, r.text);

        assert!(
            !console.works(&app).await,
            "{case}: the administrator's console session must end at once"
        );
        let me = console
            .call(&app, Method::GET, "/api/v1/console/me", None)
            .await;
        assert_eq!(me.status, 401, "{case}: /console/me: {}", me.text);
        assert!(root.works(&app).await, "{case}: other administrators stay");
    }
}

#[tokio::test]
async fn console_sessions_are_listed_and_revoked_through_the_admins_pool() {
    let app = TestApp::spawn().await;
    first_administrator(&app, "root", "the first admin password").await;
    let id = administrator_id(&app, "root").await;
    let laptop = console_login(&app, "root", "the first admin password").await;
    let phone = console_login(&app, "root", "the first admin password").await;
    assert!(
        laptop.works(&app).await && phone.works(&app).await,
        "control"
    );

    let r = app
        .admin()
        .get(&format!("/api/v1/sessions?pool_id={ADMINS}"))
        .await;
    r.expect_status(200);
    let listed = items(&r);
    assert_eq!(
        listed.len(),
        2,
        "both console sessions are listed: {}",
        r.text
    );
    assert!(
        listed.iter().all(|s| s["user_id"] == id.as_str()),
        "{}",
        r.text
    );
    let mine = app
        .admin()
        .get(&format!("/api/v1/sessions?pool_id={ADMINS}&user_id={id}"))
        .await;
    assert_eq!(items(&mine).len(), 2, "by administrator: {}", mine.text);
    // The default pool's sessions are another list.
    let default = app.admin().get("/api/v1/sessions").await;
    assert!(items(&default).is_empty(), "{}", default.text);

    // Which listed session is which is not said; revoke one and see which console it ends.
    let first = field(&listed[0], "session_id").to_string();
    app.admin()
        .delete(&format!("/api/v1/sessions/{first}?pool_id={ADMINS}"))
        .await
        .expect_status(204);
    let alive = [laptop.works(&app).await, phone.works(&app).await];
    assert_eq!(
        alive.iter().filter(|a| **a).count(),
        1,
        "exactly the revoked console session ended: {alive:?}"
    );
    let r = app
        .admin()
        .get(&format!("/api/v1/sessions?pool_id={ADMINS}"))
        .await;
    assert_eq!(items(&r).len(), 1, "{}", r.text);
    let again = app
        .admin()
        .delete(&format!("/api/v1/sessions/{first}?pool_id={ADMINS}"))
        .await;
    assert_eq!(again.status, 404, "{}", again.text);

    // Logging out of the console removes its row too.
    let survivor = if alive[0] { &laptop } else { &phone };
    let r = survivor
        .call(&app, Method::POST, "/api/v1/console/logout", None)
        .await;
    r.expect_status(204);
    let r = app
        .admin()
        .get(&format!("/api/v1/sessions?pool_id={ADMINS}"))
        .await;
    assert!(items(&r).is_empty(), "{}", r.text);
}
