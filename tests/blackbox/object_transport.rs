//! How the worker reaches its Durable Objects (`store::rpc`): by JS RPC now, and still over
//! the object's `fetch` for workers of the previous release, which run beside the new objects
//! while a deploy replaces them. A record written through the new transport reads the same
//! through the old one, in the objects of both shard layouts (`store::shards`).

use serde_json::json;

use crate::support::totp::now;
use crate::support::worker::TestApp;

#[tokio::test]
async fn a_record_written_by_rpc_reads_the_same_over_the_objects_fetch() {
    let app = TestApp::spawn().await;
    let t = now();
    // A 24-character id (the compact layout's objects) and a 22-character one (the spread
    // layout's, as the release before the compact layout minted them).
    for id in ["QUJDREVGR0hJSktMTU5PUFFS", "QUJDREVGR0hJSktMTU5PUA"] {
        let record = json!({"client_id": "c1", "redirect_uri": "https://rp.example/cb",
                            "scope": "openid", "id": id});
        app.admin()
            .put(
                "/api/v1/debug/raw-grant",
                &json!({"kind": "ia", "id": id, "expires_at": t + 600, "record": record}),
            )
            .await
            .expect_status(204);
        let r = app
            .admin()
            .post(
                "/api/v1/debug/fetch-grant",
                &json!({"kind": "ia", "id": id}),
            )
            .await;
        r.expect_status(200);
        assert_eq!(r.json["record"], record, "{id}: {}", r.text);

        let other = format!("{}x", &id[..id.len() - 1]);
        let r = app
            .admin()
            .post(
                "/api/v1/debug/fetch-grant",
                &json!({"kind": "ia", "id": other}),
            )
            .await;
        r.expect_status(200);
        assert!(r.json["record"].is_null(), "{other}: {}", r.text);
    }
}
