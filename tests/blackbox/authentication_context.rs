//! How the sign-in is described and which request parameters shape it (OIDC Core §2, §3.1.2.1,
//! §5.5.1.1; RFC 8176): every id_token states `acr` and `amr` (password, one factor) and its
//! `auth_time` — also under `max_age` and for a client with `require_auth_time`; `acr_values`
//! is voluntary, an essential `acr` no sign-in can meet is `access_denied`; `default_acr_values`
//! are accepted when this issuer achieves them; `display` takes the four values of the spec and
//! nothing else; `prompt=none` answers with the error codes of §3.1.2.6.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::support::applications::setup;
use crate::support::authorize::{code_params, fresh_code, param, with};
use crate::support::browser::{Browser, Consent};
use crate::support::json::assert_invalid_field;
use crate::support::jwt;
use crate::support::tokens::redeem;

const ACR: &str = "urn:doorward:acr:pwd";

fn id_claims(tokens: &Value) -> Value {
    jwt::claims(tokens["id_token"].as_str().unwrap_or_default())
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

#[tokio::test]
async fn id_tokens_state_acr_and_amr_whatever_acr_values_asked_for() {
    let (app, rp, user) = setup().await;
    for acr_values in [None, Some(ACR), Some("urn:mace:incommon:iap:silver")] {
        let extra: Vec<(&'static str, String)> = acr_values
            .map(|a| ("acr_values", a.to_string()))
            .into_iter()
            .collect();
        let code = fresh_code(&app, &rp, &user, "openid", &extra).await;
        let id = id_claims(&redeem(&app, &rp, &code, None).await.json);
        assert_eq!(id["acr"], ACR, "{acr_values:?}: {id}");
        assert_eq!(id["amr"], json!(["pwd"]), "{acr_values:?}: {id}");
    }
    let doc = app
        .get_url(&format!("{}/.well-known/openid-configuration", rp.issuer))
        .await;
    assert_eq!(
        doc.json["acr_values_supported"],
        json!([
            ACR,
            "urn:doorward:acr:mfa",
            "urn:doorward:acr:phishing-resistant"
        ])
    );
}

#[tokio::test]
async fn an_essential_acr_this_issuer_cannot_meet_is_access_denied() {
    let (app, rp, user) = setup().await;
    let essential = |values: Value| {
        with(
            code_params(&rp.client_id, &rp.redirect_uri, "openid"),
            "claims",
            &json!({"id_token": {"acr": {"essential": true, "values": values}}}).to_string(),
        )
    };
    let params = essential(json!(["urn:example:mfa"]));
    let cb = Browser::new(&app)
        .authorize(&rp.issuer, &params)
        .await
        .callback();
    assert_eq!(cb.get("error"), Some("access_denied"), "{:?}", cb.params);
    assert_eq!(cb.get("state"), param(&params, "state"));
    assert!(cb.get("code").is_none());

    // One of the values is the class achieved: signed in and told so.
    let met = Browser::new(&app)
        .sign_in(
            &rp.issuer,
            &essential(json!(["urn:example:mfa", ACR])),
            &user,
            Consent::Allow,
        )
        .await
        .callback();
    let t = redeem(&app, &rp, met.param("code"), None).await;
    assert_eq!(id_claims(&t.json)["acr"], ACR);
}

#[tokio::test]
async fn auth_time_comes_with_max_age_and_for_clients_that_require_it() {
    let (app, rp, user) = setup().await;
    let before = now();
    let code = fresh_code(
        &app,
        &rp,
        &user,
        "openid",
        &[("max_age", "3600".to_string())],
    )
    .await;
    let id = id_claims(&redeem(&app, &rp, &code, None).await.json);
    let t = id["auth_time"].as_u64().unwrap_or(0);
    assert!(
        t + 5 >= before && t <= now() + 5,
        "auth_time {t} is the sign-in: {id}"
    );

    let strict = app
        .create_client(&rp, json!({"require_auth_time": true}))
        .await;
    let code = fresh_code(&app, &strict, &user, "openid", &[]).await;
    let id = id_claims(&redeem(&app, &strict, &code, None).await.json);
    assert!(id["auth_time"].is_u64(), "require_auth_time: {id}");
}

#[tokio::test]
async fn default_acr_values_are_accepted_only_when_this_issuer_achieves_them() {
    let (app, rp, user) = setup().await;
    let client = app
        .create_client(&rp, json!({"default_acr_values": [ACR]}))
        .await;
    assert_eq!(client["default_acr_values"], json!([ACR]));
    let code = fresh_code(&app, &client, &user, "openid", &[]).await;
    assert_eq!(
        id_claims(&redeem(&app, &client, &code, None).await.json)["acr"],
        ACR
    );
    let refused = app
        .admin()
        .post(
            &format!("/api/v1/applications/{}/clients", rp.client_id),
            &json!({"redirect_uris": ["https://x.rp.example/cb"], "default_acr_values": ["urn:example:mfa"]}),
        )
        .await;
    assert_invalid_field("unsupported acr", &refused, Some("default_acr_values"));

    // Dynamic registration applies the same rule (RFC 7591 invalid_client_metadata).
    app.admin()
        .patch(
            &format!("/api/v1/applications/{}", rp.client_id),
            &json!({"dynamic_registration": "open"}),
        )
        .await
        .expect_status(200);
    let registered = app
        .register_client(
            &rp,
            json!({"redirect_uris": ["https://rp.example/cb"], "default_acr_values": [ACR]}),
        )
        .await;
    assert_eq!(registered["default_acr_values"], json!([ACR]));
    let r = app
        .post_json(
            &format!("{}/reg", rp.issuer),
            None,
            &json!({"redirect_uris": ["https://rp.example/cb"], "default_acr_values": ["urn:example:mfa"]}),
        )
        .await;
    assert_eq!(r.status.as_u16(), 400, "{}", r.text);
    assert_eq!(r.json["error"], "invalid_client_metadata", "{}", r.text);
}

#[tokio::test]
async fn display_takes_the_four_values_of_the_spec() {
    let (app, rp, user) = setup().await;
    for d in ["page", "popup", "touch", "wap"] {
        let code = fresh_code(&app, &rp, &user, "openid", &[("display", d.to_string())]).await;
        assert!(!code.is_empty(), "{d}");
    }
    let params = with(
        code_params(&rp.client_id, &rp.redirect_uri, "openid"),
        "display",
        "fullscreen",
    );
    let cb = Browser::new(&app)
        .authorize(&rp.issuer, &params)
        .await
        .callback();
    assert_eq!(cb.get("error"), Some("invalid_request"), "{:?}", cb.params);
    assert_eq!(cb.get("state"), param(&params, "state"));
    let doc = app
        .get_url(&format!("{}/.well-known/openid-configuration", rp.issuer))
        .await;
    assert_eq!(
        doc.json["display_values_supported"],
        json!(["page", "popup", "touch", "wap"])
    );
}

#[tokio::test]
async fn prompt_none_answers_with_the_spec_codes_and_stands_alone() {
    let (app, rp, user) = setup().await;
    let base = code_params(&rp.client_id, &rp.redirect_uri, "openid email");
    let none = with(base.clone(), "prompt", "none");
    let mut browser = Browser::new(&app);

    // No session: login_required.
    let cb = browser.authorize(&rp.issuer, &none).await.callback();
    assert_eq!(cb.get("error"), Some("login_required"), "{:?}", cb.params);

    // A session but no consent: consent_required.
    browser
        .sign_in(&rp.issuer, &base, &user, Consent::Stop)
        .await
        .consent();
    let cb = browser.authorize(&rp.issuer, &none).await.callback();
    assert_eq!(cb.get("error"), Some("consent_required"), "{:?}", cb.params);

    // A session older than max_age: login_required again.
    let cb = browser
        .authorize(&rp.issuer, &with(none.clone(), "max_age", "0"))
        .await
        .callback();
    assert_eq!(cb.get("error"), Some("login_required"), "{:?}", cb.params);

    // none with anything else: invalid_request, before any of that is looked at.
    for combined in ["none login", "none consent", "select_account none"] {
        let params = with(base.clone(), "prompt", combined);
        let cb = browser.authorize(&rp.issuer, &params).await.callback();
        assert_eq!(
            cb.get("error"),
            Some("invalid_request"),
            "{combined}: {:?}",
            cb.params
        );
        assert_eq!(cb.get("state"), param(&params, "state"));
    }
}
