//! Scheduled signing-key rotation, driven through the cron trigger's handler (`wrangler dev
//! --test-scheduled` serves `/__scheduled`, which runs it at the current time) on a schedule of
//! seconds: the next key is published in the JWKS before it signs, takes over at its time, the
//! key it replaced keeps verifying the tokens it signed until they can no longer be live, and
//! then leaves the JWKS; a repeated run changes nothing. About 8 s of waiting for the clock.

use serde_json::{json, Value};

use crate::support::jwt;
use crate::support::tokens::{introspect, password_tokens};
use crate::support::worker::{Options, TestApp};

const PERIOD: u64 = 5;
const AHEAD: u64 = 2;
const RETIRE_AFTER: u64 = 2;

/// A schedule in seconds: rotate every 5 s, publish 2 s ahead, keep a retired key 2 s.
fn short_schedule() -> Options {
    Options {
        vars: vec![
            ("KEY_ROTATION_PERIOD_SECS", PERIOD.to_string()),
            ("KEY_PUBLISH_AHEAD_SECS", AHEAD.to_string()),
            ("KEY_RETIRE_AFTER_SECS", RETIRE_AFTER.to_string()),
        ],
        ..Options::default()
    }
}

fn epoch_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Waits until the clock has passed `at` (seconds since the epoch).
async fn wait_until(at: u64) {
    while epoch_now() < at {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Runs the cron trigger's handler now; answers the time it ran at.
async fn run_schedule(app: &TestApp) -> u64 {
    let at = epoch_now();
    let r = app.get_url(&app.url("/__scheduled?cron=17+3+*+*+*")).await;
    assert!(
        r.status.is_success(),
        "scheduled run: {} {}",
        r.status,
        r.text
    );
    at
}

/// The RS256 key ids the issuer publishes.
async fn published(app: &TestApp, issuer: &str) -> Vec<String> {
    let r = app
        .get_url(&format!("{issuer}/.well-known/jwks.json"))
        .await;
    r.expect_status(200);
    r.json["keys"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|k| k["alg"] == "RS256")
        .filter_map(|k| k["kid"].as_str().map(str::to_string))
        .collect()
}

fn kid(token: &Value) -> String {
    jwt::header(token["access_token"].as_str().unwrap_or(""))["kid"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[tokio::test]
async fn the_schedule_publishes_the_next_key_ahead_swaps_it_in_and_retires_the_old_one() {
    let app = TestApp::spawn_with(short_schedule()).await;
    let client = app
        .create_application(json!({"grant_types": ["password", "refresh_token"]}))
        .await;
    let user = app.create_user(json!({})).await;
    let sign = || password_tokens(&app, &client, &user.username, &user.password, "openid");

    let first = sign().await;
    let k0 = kid(&first);
    let created = jwt::claims(first["access_token"].as_str().unwrap_or(""))["iat"]
        .as_u64()
        .unwrap_or(0);
    assert_eq!(published(&app, &client.issuer).await, vec![k0.clone()]);

    // Before `publish_ahead` of the period: nothing happens.
    if epoch_now() + AHEAD < created + PERIOD - 1 {
        run_schedule(&app).await;
        assert_eq!(published(&app, &client.issuer).await, vec![k0.clone()]);
    }

    // Within `publish_ahead` of the period: the next key is published but does not sign yet.
    wait_until(created + PERIOD - AHEAD + 1).await;
    let ran = run_schedule(&app).await;
    let with_next = published(&app, &client.issuer).await;
    assert_eq!(
        with_next.len(),
        2,
        "the next key is published ahead: {with_next:?}"
    );
    let k1 = with_next
        .iter()
        .find(|k| **k != k0)
        .cloned()
        .unwrap_or_default();
    if epoch_now() < ran + AHEAD {
        assert_eq!(
            kid(&sign().await),
            k0,
            "the next key must not sign before its time"
        );
        // A repeated run (a retry) changes nothing.
        run_schedule(&app).await;
        assert_eq!(published(&app, &client.issuer).await, with_next);
    }

    // At its time it takes over; the old key stays published and its tokens still verify.
    wait_until(ran + AHEAD + 1).await;
    let swapped = run_schedule(&app).await;
    let after = sign().await;
    assert_eq!(kid(&after), k1, "the new key signs after the swap");
    let mut both = published(&app, &client.issuer).await;
    both.sort();
    let mut expected = vec![k0.clone(), k1.clone()];
    expected.sort();
    assert_eq!(both, expected, "the retired key stays in the JWKS");
    let old = first["access_token"].as_str().unwrap_or("");
    let r = introspect(&app, &client.issuer, client.basic(), old, None).await;
    assert_eq!(
        r.json["active"], true,
        "a token of the retired key still verifies: {}",
        r.text
    );

    // Once every token it signed has expired (`retire_after`), it leaves the JWKS.
    wait_until(swapped + RETIRE_AFTER + 1).await;
    run_schedule(&app).await;
    let last = published(&app, &client.issuer).await;
    assert!(
        !last.contains(&k0) && last.contains(&k1),
        "the retired key is gone, the active one stays (the one after it may be published already): {last:?}"
    );
    // A key out of the pool's JWKS verifies nothing any more, even in an isolate that had it
    // imported (the verification cache is held to the current key set).
    let r = introspect(&app, &client.issuer, client.basic(), old, None).await;
    assert_eq!(
        r.json["active"], false,
        "a removed key's token still verified: {}",
        r.text
    );

    // The console's view shows the states and the schedule.
    let keys = app.admin().get("/api/v1/keys").await;
    keys.expect_status(200);
    assert_eq!(
        keys.json["schedule"]["period_secs"], PERIOD,
        "{}",
        keys.text
    );
    let states: Vec<&str> = keys.json["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|k| k["alg"] == "RS256")
        .filter_map(|k| k["state"].as_str())
        .collect();
    assert!(
        states.contains(&"active") && !states.contains(&"retired"),
        "{}",
        keys.text
    );
}
