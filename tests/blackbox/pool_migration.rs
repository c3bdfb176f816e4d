//! Migration in and out: users imported with password hashes from other systems (bcrypt,
//! Argon2id, PBKDF2-SHA256) sign in with their own passwords and are re-hashed with
//! Doorward's at once; a whole pool exported from one deployment and imported into a fresh one
//! (another `MASTER_KEY`) keeps its users, applications, clients, secrets, resources and access
//! accounts working; importing twice changes nothing.

use argon2::password_hash::{PasswordHasher, SaltString};
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::support::applications::Application;
use crate::support::json::assert_invalid_field;
use crate::support::tokens::{client_credentials, password_grant, Auth};
use crate::support::worker::{unique, TestApp};

/// PBKDF2-HMAC-SHA256, one 32-byte block (RFC 8018 §5.2), to make a hash as another system would.
fn pbkdf2(password: &str, salt: &[u8], iterations: u32) -> Vec<u8> {
    let mac = |data: &[u8]| {
        let mut m =
            Hmac::<Sha256>::new_from_slice(password.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        m.update(data);
        m.finalize().into_bytes().to_vec()
    };
    let mut u = mac(&[salt, &1u32.to_be_bytes()].concat());
    let mut out = u.clone();
    for _ in 1..iterations {
        u = mac(&u);
        out.iter_mut().zip(&u).for_each(|(o, x)| *o ^= x);
    }
    out
}

fn argon2id(password: &str) -> String {
    let salt = SaltString::from_b64("c29tZXNhbHRzb21lc2FsdA").unwrap_or_else(|e| panic!("{e}"));
    let params = argon2::Params::new(4096, 2, 1, None).unwrap_or_else(|e| panic!("{e}"));
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_else(|e| panic!("{e}"))
}

async fn stored_hash(app: &TestApp, user_id: &str) -> String {
    let export = app.admin().get("/api/v1/pools/default/export").await;
    export.expect_status(200);
    export.json["users"]
        .as_array()
        .and_then(|us| us.iter().find(|u| u["user"]["id"] == user_id))
        .and_then(|u| u["password_hash"].as_str())
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn users_imported_with_foreign_hashes_sign_in_and_are_rehashed() {
    let app = TestApp::spawn().await;
    let rp = app
        .create_application(json!({"grant_types": ["password"]}))
        .await;
    let salt = b"0123456789abcdef";
    let hashes = [
        (
            "bcrypt",
            bcrypt::hash("bcrypt password", 4).unwrap_or_else(|e| panic!("{e}")),
            "bcrypt password",
        ),
        ("argon2id", argon2id("argon password"), "argon password"),
        (
            "pbkdf2",
            format!(
                "$pbkdf2-sha256$i=1000${}${}",
                STANDARD_NO_PAD.encode(salt),
                STANDARD_NO_PAD.encode(pbkdf2("pbkdf2 password", salt, 1000))
            ),
            "pbkdf2 password",
        ),
    ];
    for (kind, hash, pw) in hashes {
        let username = unique(kind);
        let r = app
            .admin()
            .post(
                "/api/v1/users",
                &json!({"username": username, "password_hash": hash}),
            )
            .await;
        assert_eq!(r.status, 201, "{kind}: {}", r.text);
        let id = r.json["id"].as_str().unwrap_or_default().to_string();
        assert!(!r.text.contains(&hash), "{kind}: the hash is never shown");

        let wrong = password_grant(&app, &rp, &username, "not the password", "openid").await;
        assert_eq!(
            wrong.status, 400,
            "{kind}: a wrong password: {}",
            wrong.text
        );
        assert_eq!(
            stored_hash(&app, &id).await,
            hash,
            "{kind}: kept until it verifies"
        );

        let ok = password_grant(&app, &rp, &username, pw, "openid").await;
        assert_eq!(ok.status, 200, "{kind}: the imported password: {}", ok.text);
        let now = stored_hash(&app, &id).await;
        assert!(
            now.starts_with("pbkdf2-sha256$"),
            "{kind}: re-hashed with Doorward's: {now}"
        );
        let again = password_grant(&app, &rp, &username, pw, "openid").await;
        assert_eq!(again.status, 200, "{kind}: signs in with the new hash too");
    }
    // What cannot be verified is refused at import, naming the field.
    for bad in [
        "md5$x",
        "$2b$31$tooexpensive",
        "$argon2id$v=19$m=1048576,t=3,p=1$c2FsdA$aGFzaA",
    ] {
        let r = app
            .admin()
            .post(
                "/api/v1/users",
                &json!({"username": unique("bad"), "password_hash": bad}),
            )
            .await;
        assert_invalid_field(bad, &r, Some("password_hash"));
    }
    let r = app
        .admin()
        .post(
            "/api/v1/users",
            &json!({"username": unique("both"), "password": "longenough", "password_hash": "x"}),
        )
        .await;
    assert_invalid_field("password and password_hash", &r, Some("password_hash"));
}

#[tokio::test]
async fn a_pool_exported_from_one_deployment_works_after_import_into_another() {
    let old = TestApp::spawn().await;
    let r = old
        .admin()
        .post("/api/v1/pools", &json!({"id": "shop", "name": "Shop"}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let rp = old
        .create_application(
            json!({"pool_id": "shop", "grant_types": ["password", "client_credentials"],
            "permissions": ["orders:read"]}),
        )
        .await;
    let second = old
        .create_client(&rp, json!({"grant_types": ["password"]}))
        .await;
    let r = old
        .admin()
        .post(
            "/api/v1/users?pool_id=shop",
            &json!({"username": "alice", "password": "alice's password"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = old
        .admin()
        .post("/api/v1/resources?pool_id=shop", &json!({"code": "orders", "uri": "https://api.shop.example/orders", "actions": ["read"]}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = old
        .admin()
        .post(
            "/api/v1/access-accounts?pool_id=shop",
            &json!({"description": "batch", "permissions": ["orders:read"]}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let (ak, sk) = (
        r.json["access_key"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        r.json["secret_key"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
    );

    let export = old.admin().get("/api/v1/pools/shop/export").await;
    export.expect_status(200);
    assert_eq!(export.header("cache-control"), "no-store");
    let doc: Value = export.json.clone();
    assert!(
        !export.text.contains("alice's password"),
        "no password in the clear"
    );
    drop(old);

    let new = TestApp::spawn().await;
    let r = send_import(&new, &doc).await;
    assert_eq!(r.status, 200, "{}", r.text);
    for (kind, n) in [
        ("users", 1),
        ("applications", 1),
        ("clients", 1),
        ("resources", 1),
        ("access_accounts", 1),
        ("pools", 1),
    ] {
        assert_eq!(r.json["imported"][kind], n, "{kind}: {}", r.text);
    }
    // The same client ids and secrets, the same issuer path, the same password.
    let issuer = format!("{}/{}/oidc", new.origin, rp.subdomain);
    let moved = Application {
        issuer: issuer.clone(),
        ..rp.clone()
    };
    let r = password_grant(&new, &moved, "alice", "alice's password", "openid").await;
    assert_eq!(
        r.status, 200,
        "the imported user, application and secret: {}",
        r.text
    );
    let moved_second = Application {
        issuer: issuer.clone(),
        ..second.clone()
    };
    let r = password_grant(&new, &moved_second, "alice", "alice's password", "openid").await;
    assert_eq!(r.status, 200, "the imported second client: {}", r.text);
    let r = client_credentials(
        &new,
        &issuer,
        Auth::Basic(&ak, &sk),
        &[("scope", "orders:read")],
    )
    .await;
    assert_eq!(
        r.status, 200,
        "the imported access account and resource: {}",
        r.text
    );

    // Importing again adds nothing and says why.
    let r = send_import(&new, &doc).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.json["imported"].as_object().is_some_and(|o| o.is_empty()),
        "{}",
        r.text
    );
    assert!(
        r.json["skipped"].as_array().is_some_and(|s| s.len() >= 4),
        "{}",
        r.text
    );
    // Not an export: refused, naming the field.
    let r = send_import(&new, &json!({"format": "something else"})).await;
    assert_invalid_field("another format", &r, Some("format"));
}

async fn send_import(app: &TestApp, doc: &Value) -> crate::support::worker::Reply {
    app.admin().post("/api/v1/pools/shop/import", doc).await
}
