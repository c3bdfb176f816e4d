//! Data placement: a user pool pinned to a Durable Object jurisdiction keeps its users,
//! sessions, codes, refresh families, keys and audit log in that jurisdiction's objects. Local
//! workerd has no jurisdictions, so the worker runs with the `emulated` stand-in
//! (`store::placement`): a pinned object is a separate object, exactly as in production, so a
//! single call that lost its placement would find nothing and the flow below would fail. The
//! jurisdiction is checked, shown, and fixed once the pool exists.

use serde_json::{json, Value};

use crate::support::authorize::{code_params, with};
use crate::support::browser::{Browser, Consent};
use crate::support::json::{assert_invalid_field, field, items};
use crate::support::tokens::{redeem, refresh, revoke, userinfo};
use crate::support::worker::{unique, TestApp};

/// Creates a pool pinned to `jurisdiction` and returns its id.
async fn pinned_pool(app: &TestApp, jurisdiction: &str) -> String {
    let id = unique("eu").to_lowercase().replace('_', "-");
    let r = app
        .admin()
        .post(
            "/api/v1/pools",
            &json!({"id": id, "name": "Pinned", "jurisdiction": jurisdiction}),
        )
        .await;
    r.expect_status(201);
    assert_eq!(r.json["jurisdiction"], jurisdiction, "{}", r.text);
    id
}

/// The ids of the users the pool's directory holds at one placement (`None`: global).
async fn users_at(app: &TestApp, pool: &str, jurisdiction: Option<&str>) -> Vec<Value> {
    let r = app
        .admin()
        .post(
            "/api/v1/debug/placement/users",
            &json!({"pool_id": pool, "jurisdiction": jurisdiction}),
        )
        .await;
    r.expect_status(200);
    r.json["user_ids"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn a_pinned_pool_signs_users_in_from_its_own_jurisdiction() {
    let app = TestApp::spawn().await;
    let pool = pinned_pool(&app, "eu").await;
    let client = app
        .create_application(
            json!({"pool_id": pool, "grant_types": ["authorization_code", "refresh_token"]}),
        )
        .await;
    assert_eq!(
        client.created["jurisdiction"], "eu",
        "the application shows its pool's jurisdiction: {}",
        client.created
    );
    // Read-only like its pool: a client of the admin API that echoes it back in a PATCH is fine.
    let echoed = app
        .admin()
        .patch(
            &format!("/api/v1/applications/{}", client.client_id),
            &json!({"name": "Placed shop", "jurisdiction": "eu", "pool_id": pool}),
        )
        .await;
    echoed.expect_status(200);
    assert_eq!(echoed.json["jurisdiction"], "eu", "{}", echoed.text);
    let username = unique("placed");
    let password = "a placed password 1";
    let created = app
        .admin()
        .post(
            &format!("/api/v1/users?pool_id={pool}"),
            &json!({"username": username, "password": password, "email": format!("{username}@example.com")}),
        )
        .await;
    created.expect_status(201);
    let user_id = field(&created.json, "id").to_string();

    // The user is in the pool's directory in its jurisdiction, and not in the global one.
    assert_eq!(
        users_at(&app, &pool, Some("eu")).await,
        vec![json!(user_id)]
    );
    assert!(
        users_at(&app, &pool, None).await.is_empty(),
        "a pinned pool's user must not be in the global directory object"
    );

    // The whole flow runs against the pinned objects: the login's throttle and password
    // check, the session, the pending interaction, consent, the code, the refresh family.
    let user = crate::support::applications::TestUser {
        id: user_id.clone(),
        username: username.clone(),
        password: password.to_string(),
        email: format!("{username}@example.com"),
        phone: String::new(),
        created: created.json.clone(),
    };
    let mut browser = Browser::new(&app);
    let params = code_params(
        &client.client_id,
        &client.redirect_uri,
        "openid offline_access",
    );
    let params = with(params, "prompt", "consent");
    let done = browser
        .sign_in(&client.issuer, &params, &user, Consent::Allow)
        .await
        .callback();
    let t = redeem(&app, &client, done.param("code"), None).await;
    t.expect_status(200);
    let access = field(&t.json, "access_token").to_string();
    userinfo(&app, &client.issuer, &access)
        .await
        .expect_status(200);
    let rt = field(&t.json, "refresh_token").to_string();
    let rotated = refresh(&app, &client, &rt, None).await;
    rotated.expect_status(200);

    // The session lives where it was written: a second authorization is answered silently.
    let silent = code_params(&client.client_id, &client.redirect_uri, "openid");
    let again = browser
        .authorize(&client.issuer, &with(silent, "prompt", "none"))
        .await
        .callback();
    assert!(
        again.get("error").is_none() && !again.param("code").is_empty(),
        "prompt=none with the pinned session answers with a code: {:?}",
        again.get("error")
    );

    // The admin API reaches the same objects: sessions, keys and the audit log of the pool.
    let sessions = app
        .admin()
        .get(&format!(
            "/api/v1/sessions?pool_id={pool}&user_id={user_id}"
        ))
        .await;
    sessions.expect_status(200);
    assert!(!items(&sessions).is_empty(), "sessions: {}", sessions.text);
    let keys = app
        .admin()
        .get(&format!("/api/v1/keys?pool_id={pool}"))
        .await;
    keys.expect_status(200);
    assert!(!items(&keys).is_empty(), "keys: {}", keys.text);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let log = app
            .admin()
            .get(&format!(
                "/api/v1/audit?pool_id={pool}&kind=sign_in_succeeded"
            ))
            .await;
        log.expect_status(200);
        if items(&log).iter().any(|e| e["user_id"] == user_id.as_str()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the pinned pool's audit log never showed the sign-in: {}",
            log.text
        );
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    }

    // Revocation, too: the rotated refresh token dies where its family lives.
    let new_rt = field(&rotated.json, "refresh_token").to_string();
    revoke(
        &app,
        &client.issuer,
        client.basic(),
        &new_rt,
        Some("refresh_token"),
    )
    .await
    .expect_status(200);
    let after = refresh(&app, &client, &new_rt, None).await;
    after.expect_status(400);

    // The export states the pool's jurisdiction, so an import recreates it where it was.
    let export = app
        .admin()
        .get(&format!("/api/v1/pools/{pool}/export"))
        .await;
    export.expect_status(200);
    assert_eq!(
        export.json["pool"]["jurisdiction"],
        "eu",
        "{}",
        export.excerpt()
    );
}

#[tokio::test]
async fn a_pools_jurisdiction_is_checked_and_fixed_at_creation() {
    let app = TestApp::spawn().await;
    let bad_creations = [
        ("an unknown jurisdiction", json!("mars")),
        ("a region, not a jurisdiction", json!("weur")),
        ("upper case", json!("EU")),
        ("not a string", json!(5)),
        ("a FedRAMP level by another name", json!("fedramp_high")),
    ];
    for (case, value) in bad_creations {
        let id = unique("bad").to_lowercase().replace('_', "-");
        let r = app
            .admin()
            .post("/api/v1/pools", &json!({"id": id, "jurisdiction": value}))
            .await;
        assert_invalid_field(case, &r, Some("jurisdiction"));
    }

    let pinned = pinned_pool(&app, "eu").await;
    let open = unique("open").to_lowercase().replace('_', "-");
    let r = app
        .admin()
        .post("/api/v1/pools", &json!({"id": open}))
        .await;
    r.expect_status(201);
    assert!(
        r.json.get("jurisdiction").is_none(),
        "a pool made without one is not pinned: {}",
        r.text
    );

    let refused_changes = [
        ("moving a pinned pool", &pinned, json!("fedramp")),
        ("unpinning a pinned pool", &pinned, json!(null)),
        ("pinning a pool that exists", &open, json!("eu")),
        (
            "pinning the default pool",
            &"default".to_string(),
            json!("eu"),
        ),
    ];
    for (case, pool, value) in refused_changes {
        let r = app
            .admin()
            .patch(
                &format!("/api/v1/pools/{pool}"),
                &json!({"jurisdiction": value}),
            )
            .await;
        assert_invalid_field(case, &r, Some("jurisdiction"));
    }
    // Restating it (a console saving the whole form) is fine.
    let r = app
        .admin()
        .patch(
            &format!("/api/v1/pools/{pinned}"),
            &json!({"name": "Renamed", "jurisdiction": "eu"}),
        )
        .await;
    r.expect_status(200);
    assert_eq!(r.json["jurisdiction"], "eu");
    assert_eq!(r.json["name"], "Renamed");
}
