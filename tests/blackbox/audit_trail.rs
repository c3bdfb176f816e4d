//! The audit trail: every listed security event — sign-ins that succeed and fail (with the
//! method and the reason), lockouts, consent given and withdrawn, token revocations, refresh
//! reuse, code replay, client registrations, tokens issued and administrative changes (who,
//! what, before/after) — appears in the pool's log through the admin API with the right
//! fields; the log is filtered and paged, exported as JSON lines, and counted per hour for the
//! console's charts; and nothing it holds is a password, secret, code or token.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::applications::{Application, TestUser};
use crate::support::authorize::{code_params, with};
use crate::support::browser::{Browser, Consent};
use crate::support::json::{assert_invalid_field, field, items};
use crate::support::tokens::{
    password_grant, password_tokens, redeem, refresh, revoke, token, Auth,
};
use crate::support::worker::{unique, Options, TestApp};

/// `GET /api/v1/audit?{query}` until `done` holds for the items (events are written just
/// after each response), or fails showing what the log holds.
pub(crate) async fn audit_until(
    app: &TestApp,
    query: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let r = app.admin().get(&format!("/api/v1/audit?{query}")).await;
        r.expect_status(200);
        let list = items(&r).clone();
        if done(&list) {
            return list;
        }
        if Instant::now() > deadline {
            panic!("the audit log never got there for `{query}`: {}", r.text);
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
}

/// Whether `event` has every field of `want` with the same value.
fn matches(event: &Value, want: &Value) -> bool {
    want.as_object()
        .is_some_and(|w| w.iter().all(|(k, v)| event.get(k) == Some(v)))
}

/// The event that matches `want`; panics listing the log otherwise.
#[track_caller]
fn find(log: &[Value], want: Value) -> &Value {
    log.iter()
        .find(|e| matches(e, &want))
        .unwrap_or_else(|| panic!("no event like {want} in {}", Value::from(log.to_vec())))
}

/// Every (key, text value) pair of `v`, at any depth.
fn string_fields(v: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if let Some(s) = x.as_str() {
                    out.push((k.clone(), s.to_string()));
                }
                out.extend(string_fields(x));
            }
        }
        Value::Array(a) => a.iter().for_each(|x| out.extend(string_fields(x))),
        _ => {}
    }
    out
}

fn has(want: Value) -> impl Fn(&[Value]) -> bool {
    move |log: &[Value]| log.iter().any(|e| matches(e, &want))
}

/// An application with code, refresh and password grants, open dynamic registration, and a user.
async fn audited_app(app: &TestApp) -> (Application, TestUser) {
    let client = app
        .create_application(json!({
            "grant_types": ["authorization_code", "refresh_token", "password"],
            "dynamic_registration": "open",
        }))
        .await;
    let user = app.create_user(json!({})).await;
    (client, user)
}

#[tokio::test]
async fn audit_events_appear_for_each_listed_action_and_contain_no_secret() {
    let app = TestApp::spawn().await;
    let (rp, user) = audited_app(&app).await;
    // Everything secret the test sees; none of it may reach the log.
    let mut secrets: Vec<String> = vec![rp.client_secret.clone(), user.password.clone()];

    // A sign-in on the hosted page, with consent, then the code redeemed twice (a replay).
    let params = with(
        code_params(&rp.client_id, &rp.redirect_uri, "openid offline_access"),
        "prompt",
        "consent",
    );
    let cb = Browser::new(&app)
        .sign_in(&rp.issuer, &params, &user, Consent::Allow)
        .await
        .callback();
    let code = cb.param("code").to_string();
    let tokens = redeem(&app, &rp, &code, None).await;
    tokens.expect_status(200);
    for k in ["access_token", "refresh_token", "id_token"] {
        secrets.push(field(&tokens.json, k).to_string());
    }
    let replay = redeem(&app, &rp, &code, None).await;
    assert_eq!(replay.status, 400, "{}", replay.text);
    secrets.push(code);

    // Tokens from the front channel (implicit), in the URL fragment.
    let implicit = app
        .create_application(json!({
            "grant_types": ["authorization_code", "implicit"],
            "response_types": ["code", "id_token token"],
        }))
        .await;
    let p = with(
        code_params(&implicit.client_id, &implicit.redirect_uri, "openid"),
        "response_type",
        "id_token token",
    );
    let front = Browser::new(&app)
        .sign_in(&implicit.issuer, &p, &user, Consent::Allow)
        .await
        .callback();
    secrets.push(front.param("access_token").to_string());
    secrets.push(front.param("id_token").to_string());

    // Failures on the login page: a wrong password, an unknown user.
    let wrong = format!("wrong-{}", unique("pw"));
    let ghost = unique("nobody");
    for (login, pw) in [(user.username.as_str(), wrong.as_str()), (&ghost, &wrong)] {
        let mut browser = Browser::new(&app);
        let page = browser.authorize(&rp.issuer, &params).await.login();
        let r = browser
            .submit_login(&rp.issuer, &page, login, pw)
            .await
            .stopped();
        assert_eq!(r.status, 401, "{}", r.excerpt());
    }
    secrets.push(wrong.clone());

    // A blocked user, and a user locked out by five wrong passwords at the token endpoint.
    let blocked = app.create_user(json!({"blocked": true})).await;
    let r = password_grant(&app, &rp, &blocked.username, &blocked.password, "openid").await;
    assert_eq!(r.status, 400, "{}", r.text);
    let victim = app.create_user(json!({})).await;
    secrets.extend([blocked.password.clone(), victim.password.clone()]);
    for _ in 0..5 {
        let r = password_grant(&app, &rp, &victim.username, &wrong, "openid").await;
        assert_eq!(r.status, 400, "{}", r.text);
    }
    let r = password_grant(&app, &rp, &victim.username, &victim.password, "openid").await;
    assert_eq!(r.status, 400, "locked: {}", r.text);
    // Hammering the lock adds nothing more within the minute.
    let refused = json!({"kind": "sign_in_failed", "reason": "locked", "user_id": victim.id});
    audit_until(&app, "kind=sign_in_failed", has(refused.clone())).await;
    for _ in 0..3 {
        let r = password_grant(&app, &rp, &victim.username, &victim.password, "openid").await;
        assert_eq!(r.status, 400, "locked: {}", r.text);
    }

    // Refresh rotation, then the rotated-out token again (reuse).
    let t = password_tokens(
        &app,
        &rp,
        &user.username,
        &user.password,
        "openid offline_access",
    )
    .await;
    let rt0 = field(&t, "refresh_token").to_string();
    let r1 = refresh(&app, &rp, &rt0, None).await;
    r1.expect_status(200);
    let reused = refresh(&app, &rp, &rt0, None).await;
    assert_eq!(reused.status, 400, "{}", reused.text);
    secrets.extend([
        rt0,
        field(&t, "access_token").to_string(),
        field(&r1.json, "refresh_token").to_string(),
        field(&r1.json, "access_token").to_string(),
    ]);

    // Revocation (RFC 7009) of an access token and of a refresh token.
    let t = password_tokens(
        &app,
        &rp,
        &user.username,
        &user.password,
        "openid offline_access",
    )
    .await;
    let (at, rt) = (field(&t, "access_token"), field(&t, "refresh_token"));
    for tok in [at, rt] {
        revoke(&app, &rp.issuer, rp.basic(), tok, None)
            .await
            .expect_status(200);
        secrets.push(tok.to_string());
    }

    // Consent withdrawn by an administrator.
    app.admin()
        .delete(&format!(
            "/api/v1/users/{}/consents/{}",
            user.id, rp.client_id
        ))
        .await
        .expect_status(204);

    // Clients: one registered dynamically, one created by an administrator.
    let dynamic = app
        .register_client(
            &rp,
            json!({"redirect_uris": ["https://dyn.rp.example/cb"], "client_name": "Dyn"}),
        )
        .await;
    secrets.push(dynamic.client_secret.clone());
    secrets.push(field(&dynamic.created, "registration_access_token").to_string());
    // The client manages its own registration (RFC 7592): a rename, then a second one deleted.
    let manage = |method: reqwest::Method, client: &Application, body: Option<Value>| {
        let uri = field(&client.created, "registration_client_uri").to_string();
        let token = field(&client.created, "registration_access_token").to_string();
        let mut rb = app.at(method, &uri).bearer_auth(token);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        crate::support::worker::send(rb)
    };
    let mut renamed_body = dynamic.created.clone();
    renamed_body["client_name"] = json!("Dyn, renamed");
    for issued in [
        "registration_access_token",
        "registration_client_uri",
        "client_secret_expires_at",
        "client_id_issued_at",
    ] {
        renamed_body.as_object_mut().map(|o| o.remove(issued));
    }
    manage(reqwest::Method::PUT, &dynamic, Some(renamed_body))
        .await
        .expect_status(200);
    let short_lived = app
        .register_client(
            &rp,
            json!({"redirect_uris": ["https://gone.rp.example/cb"]}),
        )
        .await;
    secrets.push(short_lived.client_secret.clone());
    secrets.push(field(&short_lived.created, "registration_access_token").to_string());
    manage(reqwest::Method::DELETE, &short_lived, None)
        .await
        .expect_status(204);
    let admin_client = app
        .create_client(&rp, json!({"client_name": "Second"}))
        .await;
    secrets.push(admin_client.client_secret.clone());

    // Administrative changes: settings, a rotated secret, a password reset, an access account.
    app.admin()
        .patch(
            &format!("/api/v1/applications/{}", rp.client_id),
            &json!({"name": "Renamed shop", "skip_consent": true}),
        )
        .await
        .expect_status(200);
    let rotated = app
        .admin()
        .post(
            &format!("/api/v1/applications/{}/secret", rp.client_id),
            &json!({}),
        )
        .await;
    rotated.expect_status(200);
    secrets.push(field(&rotated.json, "client_secret").to_string());
    let new_password = format!("pw-{}", unique("reset"));
    app.admin()
        .patch(
            &format!("/api/v1/users/{}", user.id),
            &json!({"password": new_password, "name": "Renamed"}),
        )
        .await
        .expect_status(200);
    secrets.push(new_password);
    let account = app
        .admin()
        .post(
            "/api/v1/access-accounts",
            &json!({"description": "batch job"}),
        )
        .await;
    account.expect_status(201);
    secrets.push(field(&account.json, "secret_key").to_string());
    let access_key = field(&account.json, "access_key").to_string();

    // Every listed event, with its fields.
    let log = audit_until(&app, "limit=500", |log| {
        [
            json!({"kind": "sign_in_succeeded"}),
            json!({"kind": "account_locked"}),
            json!({"kind": "admin_change", "target": "access_account"}),
            json!({"kind": "token_revoked", "revoked": "refresh_token"}),
            json!({"kind": "consent_withdrawn"}),
        ]
        .into_iter()
        .all(|w| has(w)(log))
    })
    .await;
    let ok = find(
        &log,
        json!({"kind": "sign_in_succeeded", "user_id": user.id, "channel": "login_page", "client_id": rp.client_id}),
    );
    assert_eq!(ok["method"], "password", "{ok}");
    assert_eq!(ok["application_id"], rp.client_id.as_str(), "{ok}");
    assert_eq!(ok["client_id"], rp.client_id.as_str(), "{ok}");
    assert_eq!(ok["pool_id"], "default", "{ok}");
    assert!(ok["ip"].as_str().is_some_and(|ip| !ip.is_empty()), "{ok}");
    assert!(
        ok["time"].as_u64().is_some_and(|t| t > 1_600_000_000),
        "{ok}"
    );
    assert!(ok["id"].as_u64().is_some(), "{ok}");
    find(
        &log,
        json!({"kind": "consent_given", "user_id": user.id, "client_id": rp.client_id, "scope": "openid offline_access"}),
    );
    find(
        &log,
        json!({"kind": "token_issued", "grant_type": "authorization_code", "user_id": user.id, "refresh_token_issued": true}),
    );
    find(
        &log,
        json!({"kind": "code_replay_detected", "user_id": user.id, "client_id": rp.client_id}),
    );
    find(
        &log,
        json!({"kind": "token_issued", "grant_type": "implicit", "response_type": "id_token token", "user_id": user.id, "client_id": implicit.client_id}),
    );
    find(
        &log,
        json!({"kind": "sign_in_failed", "reason": "wrong_password", "user_id": user.id, "channel": "login_page", "method": "password"}),
    );
    let unknown = find(
        &log,
        json!({"kind": "sign_in_failed", "reason": "unknown_user"}),
    );
    assert_eq!(unknown["login"], ghost.as_str(), "{unknown}");
    assert!(unknown.get("user_id").is_none(), "{unknown}");
    find(
        &log,
        json!({"kind": "sign_in_failed", "reason": "blocked", "user_id": blocked.id, "channel": "password_grant"}),
    );
    find(
        &log,
        json!({"kind": "account_locked", "lock": "account", "user_id": victim.id}),
    );
    let refusals = log.iter().filter(|e| matches(e, &refused)).count();
    assert_eq!(refusals, 1, "one refusal a minute is kept");
    find(
        &log,
        json!({"kind": "token_issued", "grant_type": "password", "user_id": user.id}),
    );
    find(
        &log,
        json!({"kind": "token_issued", "grant_type": "refresh_token", "user_id": user.id}),
    );
    find(
        &log,
        json!({"kind": "refresh_token_reuse_detected", "user_id": user.id, "client_id": rp.client_id}),
    );
    for what in ["access_token", "refresh_token"] {
        find(
            &log,
            json!({"kind": "token_revoked", "revoked": what, "reason": "client_request", "user_id": user.id}),
        );
    }
    find(
        &log,
        json!({"kind": "consent_withdrawn", "user_id": user.id, "client_id": rp.client_id, "actor": "admin token"}),
    );
    find(
        &log,
        json!({"kind": "token_revoked", "revoked": "user_client_tokens", "reason": "consent_withdrawn", "user_id": user.id}),
    );
    find(
        &log,
        json!({"kind": "client_registered", "origin": "dynamic", "client_id": dynamic.client_id, "application_id": rp.client_id}),
    );
    find(
        &log,
        json!({"kind": "client_registered", "origin": "admin", "client_id": admin_client.client_id, "actor": "admin token"}),
    );
    let self_renamed = find(
        &log,
        json!({"kind": "admin_change", "target": "client", "action": "update", "target_id": dynamic.client_id}),
    );
    assert_eq!(
        self_renamed["actor"],
        format!("client:{}", dynamic.client_id),
        "{self_renamed}"
    );
    assert_eq!(
        self_renamed["before"]["client_name"], "Dyn",
        "{self_renamed}"
    );
    assert_eq!(
        self_renamed["after"]["client_name"], "Dyn, renamed",
        "{self_renamed}"
    );
    let self_deleted = find(
        &log,
        json!({"kind": "admin_change", "target": "client", "action": "delete", "target_id": short_lived.client_id}),
    );
    assert_eq!(
        self_deleted["actor"],
        format!("client:{}", short_lived.client_id),
        "{self_deleted}"
    );
    let renamed = find(
        &log,
        json!({"kind": "admin_change", "target": "application", "action": "update", "target_id": rp.client_id}),
    );
    assert_eq!(renamed["actor"], "admin token", "{renamed}");
    assert_eq!(renamed["before"]["name"], rp["name"], "{renamed}");
    assert_eq!(renamed["after"]["name"], "Renamed shop", "{renamed}");
    assert_eq!(renamed["before"]["skip_consent"], false, "{renamed}");
    assert_eq!(renamed["after"]["skip_consent"], true, "{renamed}");
    assert!(
        renamed["after"].get("redirect_uris").is_none(),
        "only what changed: {renamed}"
    );
    find(
        &log,
        json!({"kind": "admin_change", "target": "application", "action": "rotate_secret", "target_id": rp.client_id}),
    );
    let reset = find(
        &log,
        json!({"kind": "admin_change", "target": "user", "action": "update", "target_id": user.id}),
    );
    assert_eq!(reset["after"]["password_changed"], true, "{reset}");
    assert_eq!(reset["after"]["name"], "Renamed", "{reset}");
    find(
        &log,
        json!({"kind": "token_revoked", "revoked": "all_of_user", "reason": "password_changed", "user_id": user.id}),
    );
    let acct = find(
        &log,
        json!({"kind": "admin_change", "target": "access_account", "action": "create", "target_id": access_key}),
    );
    assert_eq!(acct["after"]["description"], "batch job", "{acct}");
    find(
        &log,
        json!({"kind": "admin_change", "target": "client", "action": "create", "target_id": admin_client.client_id}),
    );

    // The whole export: JSON lines, the same events, and no secret anywhere in it.
    let export = app.admin().get("/api/v1/audit/export").await;
    export.expect_status(200);
    assert!(
        export
            .header("content-type")
            .starts_with("application/x-ndjson"),
        "{}",
        export.header("content-type")
    );
    let lines: Vec<Value> = export
        .text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(lines.len() >= log.len(), "{} < {}", lines.len(), log.len());
    for s in &secrets {
        assert!(s.len() >= 8, "a secret worth looking for: {s:?}");
        assert!(
            !export.text.contains(s.as_str()),
            "the export holds a secret ({s}):\n{}",
            export.text
        );
    }
    // And no field that names a credential holds text, at any depth.
    let credentials = [
        "password",
        "client_secret",
        "secret_key",
        "code",
        "access_token",
        "refresh_token",
        "id_token",
        "registration_access_token",
        "client_assertion",
    ];
    for line in &lines {
        for (key, value) in string_fields(line) {
            assert!(
                !credentials.contains(&key.as_str()),
                "{key}: {value} in {line}"
            );
        }
    }
}

#[tokio::test]
async fn the_audit_list_filters_by_kind_user_client_and_time_and_pages_with_its_cursor() {
    let app = TestApp::spawn().await;
    let (rp, user) = audited_app(&app).await;
    let other = app.create_user(json!({})).await;
    for u in [&user, &other, &user] {
        password_tokens(&app, &rp, &u.username, &u.password, "openid").await;
    }
    let bad = password_grant(&app, &rp, &other.username, "not-the-password", "openid").await;
    assert_eq!(bad.status, 400);
    audit_until(
        &app,
        "kind=sign_in_failed",
        has(json!({"user_id": other.id})),
    )
    .await;

    let signed_in = audit_until(&app, "kind=sign_in_succeeded", |l| l.len() == 3).await;
    assert!(signed_in.iter().all(|e| e["kind"] == "sign_in_succeeded"));
    let ids: Vec<u64> = signed_in.iter().filter_map(|e| e["id"].as_u64()).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");

    let mine = audit_until(&app, &format!("user_id={}", user.id), |l| !l.is_empty()).await;
    assert!(mine.iter().all(|e| e["user_id"] == user.id.as_str()));
    assert_eq!(
        mine.iter().filter(|e| e["kind"] == "token_issued").count(),
        2,
        "{mine:?}"
    );
    let theirs = format!("user_id={}&kind=sign_in_failed", other.id);
    let failed = audit_until(&app, &theirs, |l| l.len() == 1).await;
    assert_eq!(failed[0]["reason"], "wrong_password");

    let by_client = audit_until(&app, &format!("client_id={}", rp.client_id), |l| {
        l.len() >= 7
    })
    .await;
    assert!(by_client
        .iter()
        .all(|e| e["client_id"] == rp.client_id.as_str()));
    let nobody = app
        .admin()
        .get("/api/v1/audit?client_id=no-such-client")
        .await;
    assert_eq!(items(&nobody).len(), 0, "{}", nobody.text);

    // Time: nothing before the first event or after the last.
    let all = audit_until(&app, "limit=500", |l| l.len() >= 7).await;
    let newest = all[0]["time"].as_u64().unwrap_or(0);
    let later = app
        .admin()
        .get(&format!("/api/v1/audit?since={}", newest + 1))
        .await;
    assert_eq!(items(&later).len(), 0, "{}", later.text);
    let earlier = app
        .admin()
        .get(&format!("/api/v1/audit?until={}", newest + 1))
        .await;
    assert_eq!(items(&earlier).len(), all.len(), "{}", earlier.text);

    // Pages of two, cursor to cursor, see every event once.
    let mut seen = Vec::new();
    let mut query = "limit=2".to_string();
    loop {
        let r = app.admin().get(&format!("/api/v1/audit?{query}")).await;
        r.expect_status(200);
        let page = items(&r);
        assert!(page.len() <= 2);
        seen.extend(page.iter().filter_map(|e| e["id"].as_u64()));
        match r.json["next_cursor"].as_str() {
            Some(c) => query = format!("limit=2&cursor={c}"),
            None => break,
        }
    }
    let all_ids: Vec<u64> = all.iter().filter_map(|e| e["id"].as_u64()).collect();
    assert_eq!(seen, all_ids);

    // The export takes the same filters; past its limit a Link header continues it.
    let r = app
        .admin()
        .get("/api/v1/audit/export?kind=sign_in_succeeded&limit=2")
        .await;
    r.expect_status(200);
    assert_eq!(r.text.lines().count(), 2, "{}", r.text);
    let link = r.header("link").to_string();
    assert!(
        link.contains("rel=\"next\"") && link.contains("cursor="),
        "{link}"
    );
    let next = link
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap_or_default()
        .to_string();
    let rest = app.admin().get(&next).await;
    rest.expect_status(200);
    assert_eq!(rest.text.lines().count(), 1, "{next}: {}", rest.text);
    assert!(rest.header("link").is_empty());

    // Bad filters are 400s naming the field, never a 500.
    for (q, f) in [
        ("kind=sign_in", "kind"),
        ("since=yesterday", "since"),
        ("limit=0", "limit"),
        ("limit=501", "limit"),
        ("since=20&until=10", "until"),
        ("cursor=-4", "cursor"),
    ] {
        let r = app.admin().get(&format!("/api/v1/audit?{q}")).await;
        assert_invalid_field(q, &r, Some(f));
    }
    let r = app.admin().get("/api/v1/audit/stats?bucket=week").await;
    assert_invalid_field("bucket=week", &r, Some("bucket"));
    let r = app.admin().post("/api/v1/audit", &json!({})).await;
    assert_eq!(r.status, 405, "{}", r.text);
    let r = app
        .console(reqwest::Method::GET, "/api/v1/audit")
        .send()
        .await;
    assert_eq!(r.map(|r| r.status().as_u16()).ok(), Some(401));
}

#[tokio::test]
async fn audit_stats_count_sign_ins_failures_lockouts_and_tokens_per_hour() {
    let app = TestApp::spawn().await;
    let (rp, user) = audited_app(&app).await;
    for _ in 0..3 {
        password_tokens(
            &app,
            &rp,
            &user.username,
            &user.password,
            "openid offline_access",
        )
        .await;
    }
    let t = password_tokens(
        &app,
        &rp,
        &user.username,
        &user.password,
        "openid offline_access",
    )
    .await;
    refresh(&app, &rp, field(&t, "refresh_token"), None)
        .await
        .expect_status(200);
    for _ in 0..2 {
        let r = password_grant(&app, &rp, &user.username, "nope-nope", "openid").await;
        assert_eq!(r.status, 400);
    }
    let r = token(
        &app,
        &rp.issuer,
        Auth::Basic(&rp.client_id, "wrong"),
        &[("grant_type", "password")],
    )
    .await;
    assert_eq!(
        r.status, 401,
        "a client that fails authentication signs no one in: {}",
        r.text
    );
    audit_until(&app, "kind=token_issued", |l| l.len() == 5).await;
    audit_until(&app, "kind=sign_in_failed", |l| l.len() == 2).await;

    let stats = app.admin().get("/api/v1/audit/stats?bucket=hour").await;
    stats.expect_status(200);
    let s = &stats.json;
    let buckets = s["buckets"].as_array().map(Vec::len).unwrap_or(0);
    assert_eq!(buckets, 48, "{s}");
    let total = |series: &Value| -> u64 {
        series
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_u64).sum())
            .unwrap_or(0)
    };
    assert_eq!(total(&s["sign_ins"][rp.client_id.as_str()]), 4, "{s}");
    assert_eq!(total(&s["failures"]["wrong_password"]), 2, "{s}");
    assert_eq!(total(&s["tokens_issued"]["password"]), 4, "{s}");
    assert_eq!(total(&s["tokens_issued"]["refresh_token"]), 1, "{s}");
    let active: Vec<u64> = s["active_users"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    assert_eq!(active.iter().max(), Some(&1), "one user: {s}");
    let days = app.admin().get("/api/v1/audit/stats?bucket=day").await;
    days.expect_status(200);
    assert_eq!(days.json["buckets"].as_array().map(Vec::len), Some(30));
    assert_eq!(total(&days.json["sign_ins"][rp.client_id.as_str()]), 4);

    // Another pool's log is its own.
    let pool = unique("p").replace('-', "");
    app.admin()
        .post("/api/v1/pools", &json!({"id": pool, "name": "Other"}))
        .await
        .expect_status(201);
    let other = app
        .admin()
        .get(&format!("/api/v1/audit/stats?pool_id={pool}"))
        .await;
    other.expect_status(200);
    assert_eq!(other.json["sign_ins"], json!({}), "{}", other.text);
}

#[tokio::test]
async fn a_pools_audit_retention_defaults_to_ninety_days_and_is_checked_and_logged() {
    let app = TestApp::spawn().await;
    let pool = app.admin().get("/api/v1/pools/default").await;
    pool.expect_status(200);
    assert_eq!(pool.json["audit_retention_days"], 90, "{}", pool.text);
    for bad in [json!(0), json!(3651), json!("30"), json!(1.5)] {
        let r = app
            .admin()
            .patch(
                "/api/v1/pools/default",
                &json!({"audit_retention_days": bad}),
            )
            .await;
        assert_invalid_field(&bad.to_string(), &r, Some("audit_retention_days"));
    }
    let r = app
        .admin()
        .patch(
            "/api/v1/pools/default",
            &json!({"audit_retention_days": 30}),
        )
        .await;
    r.expect_status(200);
    assert_eq!(r.json["audit_retention_days"], 30);
    let log = audit_until(&app, "kind=admin_change", has(json!({"target": "pool"}))).await;
    let change = find(
        &log,
        json!({"target": "pool", "target_id": "default", "action": "update"}),
    );
    assert_eq!(change["before"]["audit_retention_days"], 90, "{change}");
    assert_eq!(change["after"]["audit_retention_days"], 30, "{change}");
    let listed = app.admin().get("/api/v1/audit").await;
    assert_eq!(listed.json["retention_days"], 30, "{}", listed.text);
    let created = app
        .admin()
        .post(
            "/api/v1/pools",
            &json!({"id": unique("r").replace('-', ""), "name": "R", "audit_retention_days": 7}),
        )
        .await;
    created.expect_status(201);
    assert_eq!(created.json["audit_retention_days"], 7);
}

#[tokio::test]
async fn with_audit_log_lines_on_each_event_is_also_one_json_log_line() {
    let app = TestApp::spawn_with(Options {
        vars: vec![("AUDIT_LOG_LINES", "true".to_string())],
        log_level: Some("log"),
        ..Options::default()
    })
    .await;
    let (rp, user) = audited_app(&app).await;
    password_tokens(&app, &rp, &user.username, &user.password, "openid").await;
    let deadline = Instant::now() + Duration::from_secs(15);
    let lines: Vec<Value> = loop {
        let lines: Vec<Value> = app
            .log()
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l.trim()).ok())
            .filter(|v| v["log"] == "audit")
            .collect();
        if lines.iter().any(|l| l["kind"] == "token_issued") || Instant::now() > deadline {
            break lines;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
    };
    let signed_in = find(
        &lines,
        json!({"kind": "sign_in_succeeded", "user_id": user.id, "pool_id": "default"}),
    );
    assert_eq!(signed_in["channel"], "password_grant", "{signed_in}");
    find(
        &lines,
        json!({"kind": "token_issued", "grant_type": "password"}),
    );
    find(
        &lines,
        json!({"kind": "admin_change", "target": "user", "action": "create"}),
    );
    let log = app.log();
    assert!(!log.contains(&user.password), "a password in the log lines");
    // The log object has them too.
    audit_until(&app, "kind=token_issued", |l| l.len() == 1).await;
}

/// A worker whose machine-token tally is handed over after `window`, and an application that
/// ticks client_credentials.
pub(crate) async fn tally_worker(window: Duration) -> (TestApp, Application) {
    let app = TestApp::spawn_with(Options {
        vars: vec![("AUDIT_TOKEN_TALLY_SECS", window.as_secs().to_string())],
        ..Options::default()
    })
    .await;
    let machine = app
        .create_application(json!({"grant_types": ["client_credentials"]}))
        .await;
    (app, machine)
}

/// Machine tokens are counted, not logged one by one (`oidc::audit_tally`): tokens asked for
/// within the window are one `token_issued` event with their `count`, handed to the log by the
/// first request after the window, and the charts count each token.
#[tokio::test]
async fn machine_tokens_are_tallied_into_one_counted_event_per_window() {
    const WINDOW: Duration = Duration::from_secs(5);
    let (app, machine) = tally_worker(WINDOW).await;
    app.admin()
        .post(
            "/api/v1/resources",
            &json!({"code": "orders", "uri": "https://api.example.com/orders", "actions": ["read"]}),
        )
        .await
        .expect_status(201);
    let account = app
        .admin()
        .post(
            "/api/v1/access-accounts",
            &json!({"description": "batch job", "permissions": ["orders:read"]}),
        )
        .await;
    account.expect_status(201);
    let access_key = field(&account.json, "access_key").to_string();
    let secret_key = field(&account.json, "secret_key").to_string();
    let ask = || async {
        let r = crate::support::tokens::client_credentials(
            &app,
            &machine.issuer,
            Auth::Basic(&access_key, &secret_key),
            &[("scope", "orders:read")],
        )
        .await;
        r.expect_status(200);
    };
    let started = Instant::now();
    for _ in 0..5 {
        ask().await;
    }
    let early = app.admin().get("/api/v1/audit?kind=token_issued").await;
    if started.elapsed() < WINDOW - Duration::from_secs(2) {
        assert!(
            items(&early).is_empty(),
            "machine tokens wait for their window: {}",
            early.text
        );
    }
    tokio::time::sleep(WINDOW.saturating_sub(started.elapsed())).await;
    ask().await;
    let counted =
        |log: &[Value]| -> u64 { log.iter().map(|e| e["count"].as_u64().unwrap_or(1)).sum() };
    let log = audit_until(&app, "kind=token_issued", |l| counted(l) == 6).await;
    assert!(
        log.iter().any(|e| e["count"].as_u64() >= Some(5)),
        "the window's tokens are one counted event: {}",
        Value::from(log.clone())
    );
    for e in &log {
        assert_eq!(e["grant_type"], "client_credentials", "{e}");
        assert_eq!(e["client_id"], access_key.as_str(), "{e}");
        assert_eq!(e["application_id"], machine.client_id.as_str(), "{e}");
    }
    let stats = app.admin().get("/api/v1/audit/stats?bucket=hour").await;
    stats.expect_status(200);
    let charted: u64 = stats.json["tokens_issued"]["client_credentials"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_u64).sum())
        .unwrap_or(0);
    assert_eq!(charted, 6, "the charts count every token: {}", stats.text);
}

/// The events of requests close in time reach the log in one append (`http::audit_batch`):
/// six parallel changes of six users are all in the log, each once, written in fewer appends
/// than requests.
#[tokio::test]
async fn events_of_requests_close_in_time_share_one_append_and_none_is_lost() {
    let app = TestApp::spawn().await;
    let mut users = Vec::new();
    for _ in 0..6 {
        users.push(app.create_user(json!({})).await);
    }
    let counts = |r: &crate::support::worker::Reply| {
        (
            r.json["appends"].as_u64().unwrap_or(0),
            r.json["events"].as_u64().unwrap_or(0),
        )
    };
    // Quiet first: the users' creation has been written.
    audit_until(&app, "kind=admin_change&limit=100", |log| {
        users.iter().all(|u| {
            log.iter()
                .any(|e| e["target_id"] == u.id.as_str() && e["action"] == "create")
        })
    })
    .await;
    let before = counts(&app.admin().get("/api/v1/debug/audit-batches").await);

    let admin = app.admin();
    let renames = users.iter().map(|u| {
        let path = format!("/api/v1/users/{}", u.id);
        let admin = &admin;
        async move { admin.patch(&path, &json!({"name": "Batched"})).await }
    });
    for r in futures::future::join_all(renames).await {
        r.expect_status(200);
    }
    let log = audit_until(&app, "kind=admin_change&limit=100", |log| {
        users.iter().all(|u| {
            log.iter()
                .any(|e| e["target_id"] == u.id.as_str() && e["action"] == "update")
        })
    })
    .await;
    for u in &users {
        let updates = log
            .iter()
            .filter(|e| e["target_id"] == u.id.as_str() && e["action"] == "update")
            .count();
        assert_eq!(updates, 1, "{}: {}", u.id, Value::from(log.clone()));
    }
    let after = counts(&app.admin().get("/api/v1/debug/audit-batches").await);
    let (appends, events) = (after.0 - before.0, after.1 - before.1);
    assert!(events >= 6, "{before:?} → {after:?}");
    assert!(
        appends < 6,
        "six requests' events in fewer appends: {appends} appends for {events} events"
    );
}
