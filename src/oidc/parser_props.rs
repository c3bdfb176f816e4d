//! Property tests of every runtime-free parser: arbitrary bytes and strings never panic (a
//! panic in a Worker re-initialises the wasm instance and fails every request in flight), and
//! parse results round-trip where they should.

use proptest::prelude::*;

use super::authorize::{validate, Params};
use super::discovery::tests::app;
use super::issuer::resolve;
use super::jws;
use super::limits::check_params;
use super::model::Client;
use super::model::{GrantType, ResponseType};
use super::pkce;
use super::records::is_random_id;
use super::redirect_uri::check_redirect_uri;
use super::registration::{apply_application, new_application};
use super::scope::ScopeSet;
use super::throttle::ip_bucket;
use super::token_request::{
    bearer_token, client_credentials, is_basic, merge_params, TokenRequest,
};

/// Strings that reach the hard cases: non-ASCII, control characters, separators.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,40}",
        "(Basic |Bearer |basic |bearer )?[a-zA-Z0-9+/=:%é\u{0}\u{7f}\u{10FFFF} .]{0,40}",
        proptest::collection::vec(any::<u8>(), 0..40)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ]
}

fn pairs() -> impl Strategy<Value = Vec<(String, String)>> {
    let key = prop_oneof![
        Just("grant_type".to_string()),
        Just("code".to_string()),
        Just("client_id".to_string()),
        Just("client_secret".to_string()),
        Just("scope".to_string()),
        Just("redirect_uri".to_string()),
        Just("response_type".to_string()),
        Just("code_challenge".to_string()),
        Just("code_challenge_method".to_string()),
        Just("prompt".to_string()),
        Just("max_age".to_string()),
        Just("nonce".to_string()),
        Just("response_mode".to_string()),
        Just("claims".to_string()),
        Just("display".to_string()),
        hostile(),
    ];
    let value = prop_oneof![
        hostile(),
        Just("authorization_code".to_string()),
        Just("code id_token".to_string()),
        Just("https://rp.example/cb".to_string()),
        Just("openid offline_access".to_string()),
        Just("S256".to_string()),
        Just("c1".to_string()),
        Just(r#"{"id_token": {"acr": {"essential": true, "values": ["x"]}}, "userinfo": {"email": null}}"#.to_string()),
    ];
    proptest::collection::vec((key, value), 0..12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn token_requests_never_panic(body in pairs(), query in pairs(), auth in proptest::option::of(hostile())) {
        let _ = merge_params(&body, &query);
        let _ = TokenRequest::parse(&body, &query, auth.as_deref(), "ip");
        if let Ok(m) = merge_params(&body, &[]) {
            let _ = client_credentials(auth.as_deref(), &m);
        }
        let _ = is_basic(auth.as_deref());
        let _ = check_params(&body);
    }

    #[test]
    fn authorization_headers_never_panic(h in hostile()) {
        let _ = bearer_token(&h);
        let _ = is_basic(Some(&h));
        let _ = client_credentials(Some(&h), &Default::default());
    }

    #[test]
    fn authorization_requests_never_panic(p in pairs()) {
        let a = app(
            vec![GrantType::AuthorizationCode, GrantType::Implicit, GrantType::RefreshToken],
            ResponseType::ALL.to_vec(),
        );
        let params: Params = p.into_iter().collect();
        let _ = validate(&a, &params);
    }

    #[test]
    fn scopes_parse_and_round_trip(s in hostile()) {
        let once = ScopeSet::parse(&s);
        let again = ScopeSet::parse(&once.to_string());
        prop_assert_eq!(&once, &again);
        prop_assert!(once.is_subset_of(&again));
    }

    #[test]
    fn response_types_round_trip(s in hostile()) {
        if let Some(rt) = ResponseType::parse(&s) {
            prop_assert_eq!(ResponseType::parse(rt.as_str()), Some(rt));
        }
    }

    #[test]
    fn pkce_never_panics_and_s256_of_a_valid_verifier_verifies(
        challenge in proptest::option::of(hostile()),
        method in proptest::option::of(hostile()),
        verifier in proptest::option::of(hostile()),
        good in "[A-Za-z0-9._~-]{43,128}",
    ) {
        let _ = pkce::verify(challenge.as_deref(), method.as_deref(), verifier.as_deref());
        let _ = pkce::is_valid_challenge(&good);
        let c = jws::b64(&sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(good.as_bytes())));
        prop_assert!(pkce::verify(Some(&c), Some("S256"), Some(&good)).is_ok());
    }

    #[test]
    fn redirect_uris_and_registration_never_panic(uri in hostile(), name in hostile()) {
        let _ = check_redirect_uri(&uri);
        let body = serde_json::json!({"name": name, "subdomain": name, "redirect_uris": [uri]});
        let _ = apply_application(new_application("p", Client::default(), 0), &body, true);
    }

    #[test]
    fn client_metadata_never_panics(uri in hostile(), word in hostile(), kind in "(web|native|)") {
        let body = serde_json::json!({"redirect_uris": [uri.clone()], "application_type": kind,
            "client_name": word, "response_types": [word.clone()], "grant_types": [word.clone()],
            "logo_uri": uri, "scope": word, "token_endpoint_auth_method": word});
        let _ = crate::oidc::client_metadata::parse_registration(&body, true);
        let _ = crate::oidc::registration::apply_client(Client::default(), &body, true);
        let client = Client { redirect_uris: vec![uri.clone()], application_type: crate::oidc::client::ApplicationType::Native, ..Client::default() };
        let _ = crate::oidc::redirect_uri::is_registered_redirect(&client, &word);
    }

    #[test]
    fn compact_jws_parsing_never_panics(t in hostile(), a in "[A-Za-z0-9_-]{0,30}", b in "[A-Za-z0-9_-]{0,30}") {
        let _ = jws::parse(&t);
        let _ = jws::parse(&format!("{a}.{b}.{a}"));
        let _ = jws::b64_decode(&t);
    }

    #[test]
    fn issuer_resolution_never_panics(host in hostile(), path in hostile(), base in proptest::option::of(hostile())) {
        let _ = resolve("https", &host, &path, base.as_deref());
    }

    #[test]
    fn claims_requests_and_sector_documents_never_panic(
        s in hostile(),
        name in prop_oneof![Just("sub".to_string()), Just("acr".to_string()), Just("email".to_string()), hostile()],
        member in prop_oneof![Just("id_token"), Just("userinfo"), Just("other")],
    ) {
        let _ = super::claims_request::ClaimsRequest::parse(&s);
        for spec in [serde_json::json!(null), serde_json::json!({"essential": s.clone(), "value": s.clone()}),
            serde_json::json!({"values": [s.clone(), 1, null]}), serde_json::json!(s.clone())] {
            let body = serde_json::json!({member: {name.clone(): spec}});
            if let Ok(c) = super::claims_request::ClaimsRequest::parse(&body.to_string()) {
                let _ = (c.allows_subject(&s), c.essential_acr_unmet(), c.implied_scopes());
            }
        }
        let _ = super::subject::check_sector_document(s.as_bytes(), std::slice::from_ref(&s));
        let _ = super::subject::is_sector_identifier_uri(&s);
    }

    #[test]
    fn small_parsers_never_panic(s in hostile()) {
        let _ = ip_bucket(&s);
        let _ = is_random_id(&s);
        let _ = GrantType::parse(&s);
        let _ = super::registration::parse_permission(&s);
    }
}
