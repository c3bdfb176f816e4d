//! The registration metadata rules, table-driven: each case a body and the field (and error
//! code) it must be refused for, or what it must register as.

use super::*;

fn parse_registration_local(body: &Value) -> Result<Client, OAuthError> {
    parse_registration(body, true)
}

fn refused(body: Value) -> (String, String) {
    let e = parse_registration_local(&body).expect_err(&body.to_string());
    (e.code.as_str().to_string(), e.description.clone())
}

#[test]
fn bad_metadata_is_refused_naming_the_field() {
    let cb = json!(["https://rp.example/cb"]);
    let cases: Vec<(&str, Value, &str, &str)> = vec![
        (
            "not an object",
            json!([]),
            "invalid_client_metadata",
            "body",
        ),
        (
            "no redirect for code",
            json!({}),
            "invalid_redirect_uri",
            "redirect_uris",
        ),
        (
            "relative redirect",
            json!({"redirect_uris": ["/cb"]}),
            "invalid_redirect_uri",
            "redirect_uris",
        ),
        (
            "fragment",
            json!({"redirect_uris": ["https://rp.example/cb#x"]}),
            "invalid_redirect_uri",
            "redirect_uris",
        ),
        (
            "wildcard",
            json!({"redirect_uris": ["https://*.rp.example/cb"]}),
            "invalid_redirect_uri",
            "redirect_uris",
        ),
        (
            "javascript",
            json!({"redirect_uris": ["javascript:alert(1)"]}),
            "invalid_redirect_uri",
            "redirect_uris",
        ),
        (
            "data",
            json!({"redirect_uris": ["data:text/html,x"]}),
            "invalid_redirect_uri",
            "redirect_uris",
        ),
        (
            "web with http",
            json!({"redirect_uris": ["http://rp.example/cb"]}),
            "invalid_redirect_uri",
            "redirect_uris",
        ),
        (
            "web with private scheme",
            json!({"redirect_uris": ["com.example.app:/cb"]}),
            "invalid_redirect_uri",
            "redirect_uris",
        ),
        (
            "native with http host",
            json!({"application_type": "native", "redirect_uris": ["http://rp.example/cb"]}),
            "invalid_redirect_uri",
            "redirect_uris",
        ),
        (
            "web implicit on loopback",
            json!({"redirect_uris": ["http://localhost/cb"], "response_types": ["id_token"]}),
            "invalid_redirect_uri",
            "redirect_uris",
        ),
        (
            "bad post-logout",
            json!({"redirect_uris": cb, "post_logout_redirect_uris": ["http://rp.example/"]}),
            "invalid_redirect_uri",
            "post_logout_redirect_uris",
        ),
        (
            "redirects not a list",
            json!({"redirect_uris": "https://rp.example/cb"}),
            "invalid_redirect_uri",
            "redirect_uris",
        ),
        (
            "unknown app type",
            json!({"redirect_uris": cb, "application_type": "desktop"}),
            "invalid_client_metadata",
            "application_type",
        ),
        (
            "code without its grant",
            json!({"redirect_uris": cb, "response_types": ["code"], "grant_types": ["implicit"]}),
            "invalid_client_metadata",
            "grant_types",
        ),
        (
            "hybrid without implicit",
            json!({"redirect_uris": cb, "response_types": ["code id_token"], "grant_types": ["authorization_code"]}),
            "invalid_client_metadata",
            "grant_types",
        ),
        (
            "grant without response",
            json!({"redirect_uris": cb, "response_types": ["code"], "grant_types": ["authorization_code", "implicit"]}),
            "invalid_client_metadata",
            "response_types",
        ),
        (
            "bare token",
            json!({"redirect_uris": cb, "response_types": ["token"]}),
            "invalid_client_metadata",
            "response_types",
        ),
        (
            "password grant",
            json!({"grant_types": ["password"]}),
            "invalid_client_metadata",
            "grant_types",
        ),
        (
            "refresh alone",
            json!({"grant_types": ["refresh_token"], "response_types": []}),
            "invalid_client_metadata",
            "grant_types",
        ),
        (
            "public machine",
            json!({"grant_types": ["client_credentials"], "token_endpoint_auth_method": "none"}),
            "invalid_client_metadata",
            "grant_types",
        ),
        (
            "unknown auth method",
            json!({"redirect_uris": cb, "token_endpoint_auth_method": "magic"}),
            "invalid_client_metadata",
            "token_endpoint_auth_method",
        ),
        (
            "private_key_jwt without keys",
            json!({"redirect_uris": cb, "token_endpoint_auth_method": "private_key_jwt"}),
            "invalid_client_metadata",
            "token_endpoint_auth_method",
        ),
        (
            "empty jwks",
            json!({"redirect_uris": cb, "jwks": {"keys": []}}),
            "invalid_client_metadata",
            "jwks",
        ),
        (
            "private jwks",
            json!({"redirect_uris": cb, "jwks": {"keys": [{"kty": "EC", "crv": "P-256", "x": "a", "y": "b", "d": "secret"}]}}),
            "invalid_client_metadata",
            "jwks",
        ),
        (
            "symmetric jwks",
            json!({"redirect_uris": cb, "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}}),
            "invalid_client_metadata",
            "jwks",
        ),
        (
            "jwks not a set",
            json!({"redirect_uris": cb, "jwks": [1]}),
            "invalid_client_metadata",
            "jwks",
        ),
        (
            "jwks and jwks_uri",
            json!({"redirect_uris": cb, "jwks": {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "a"}]}, "jwks_uri": "https://rp.example/jwks"}),
            "invalid_client_metadata",
            "jwks_uri",
        ),
        (
            "jwks_uri over http",
            json!({"redirect_uris": cb, "jwks_uri": "http://rp.example/jwks"}),
            "invalid_client_metadata",
            "jwks_uri",
        ),
        (
            "jwks_uri to a private address",
            json!({"redirect_uris": cb, "jwks_uri": "https://10.1.2.3/jwks"}),
            "invalid_client_metadata",
            "jwks_uri",
        ),
        (
            "HS256 assertions with private_key_jwt",
            json!({"redirect_uris": cb, "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://rp.example/jwks", "token_endpoint_auth_signing_alg": "HS256"}),
            "invalid_client_metadata",
            "token_endpoint_auth_signing_alg",
        ),
        (
            "RS256 assertions with client_secret_jwt",
            json!({"redirect_uris": cb, "token_endpoint_auth_method": "client_secret_jwt", "token_endpoint_auth_signing_alg": "RS256"}),
            "invalid_client_metadata",
            "token_endpoint_auth_signing_alg",
        ),
        (
            "HS256 id_tokens for a keys-only client",
            json!({"redirect_uris": cb, "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://rp.example/jwks", "id_token_signed_response_alg": "HS256"}),
            "invalid_client_metadata",
            "id_token_signed_response_alg",
        ),
        (
            "unknown userinfo alg",
            json!({"redirect_uris": cb, "userinfo_signed_response_alg": "none"}),
            "invalid_client_metadata",
            "userinfo_signed_response_alg",
        ),
        (
            "public HS256 userinfo",
            json!({"redirect_uris": cb, "token_endpoint_auth_method": "none", "userinfo_signed_response_alg": "HS256"}),
            "invalid_client_metadata",
            "userinfo_signed_response_alg",
        ),
        (
            "unknown subject type",
            json!({"redirect_uris": cb, "subject_type": "ephemeral"}),
            "invalid_client_metadata",
            "subject_type",
        ),
        (
            "pairwise across hosts",
            json!({"redirect_uris": ["https://a.example/cb", "https://b.example/cb"], "subject_type": "pairwise"}),
            "invalid_client_metadata",
            "subject_type",
        ),
        (
            "pairwise private-use scheme beside a host",
            json!({"application_type": "native", "redirect_uris": ["com.example.app:/cb", "https://app.example/cb"], "subject_type": "pairwise"}),
            "invalid_client_metadata",
            "subject_type",
        ),
        (
            "relative sector uri",
            json!({"redirect_uris": cb, "sector_identifier_uri": "/sector.json"}),
            "invalid_client_metadata",
            "sector_identifier_uri",
        ),
        (
            "sector uri not a string",
            json!({"redirect_uris": cb, "sector_identifier_uri": ["https://rp.example/s"]}),
            "invalid_client_metadata",
            "sector_identifier_uri",
        ),
        (
            "encrypted id_token",
            json!({"redirect_uris": cb, "id_token_encrypted_response_alg": "RSA-OAEP"}),
            "invalid_client_metadata",
            "id_token_encrypted_response_alg",
        ),
        (
            "unsigned id_token",
            json!({"redirect_uris": cb, "id_token_signed_response_alg": "none"}),
            "invalid_client_metadata",
            "id_token_signed_response_alg",
        ),
        (
            "public HS256",
            json!({"redirect_uris": cb, "token_endpoint_auth_method": "none", "id_token_signed_response_alg": "HS256"}),
            "invalid_client_metadata",
            "id_token_signed_response_alg",
        ),
        (
            "http logo",
            json!({"redirect_uris": cb, "logo_uri": "http://rp.example/logo.png"}),
            "invalid_client_metadata",
            "logo_uri",
        ),
        (
            "javascript policy",
            json!({"redirect_uris": cb, "policy_uri": "javascript:x"}),
            "invalid_client_metadata",
            "policy_uri",
        ),
        (
            "tos not a string",
            json!({"redirect_uris": cb, "tos_uri": 5}),
            "invalid_client_metadata",
            "tos_uri",
        ),
        (
            "empty name",
            json!({"redirect_uris": cb, "client_name": " "}),
            "invalid_client_metadata",
            "client_name",
        ),
        (
            "language tag",
            json!({"redirect_uris": cb, "client_name#ja": "x"}),
            "invalid_client_metadata",
            "client_name#ja",
        ),
        (
            "contacts not strings",
            json!({"redirect_uris": cb, "contacts": [1]}),
            "invalid_client_metadata",
            "contacts",
        ),
        (
            "negative max age",
            json!({"redirect_uris": cb, "default_max_age": -1}),
            "invalid_client_metadata",
            "default_max_age",
        ),
        (
            "unsupported acr value",
            json!({"redirect_uris": cb, "default_acr_values": ["urn:doorward:acr:pwd", "x"]}),
            "invalid_client_metadata",
            "default_acr_values",
        ),
        (
            "acr values not a list",
            json!({"redirect_uris": cb, "default_acr_values": "urn:doorward:acr:pwd"}),
            "invalid_client_metadata",
            "default_acr_values",
        ),
        (
            "unknown scope",
            json!({"redirect_uris": cb, "scope": "openid admin"}),
            "invalid_client_metadata",
            "scope",
        ),
        (
            "software statement",
            json!({"redirect_uris": cb, "software_statement": "x.y.z"}),
            "invalid_client_metadata",
            "software_statement",
        ),
    ];
    for (name, body, code, field) in cases {
        let (got_code, description) = refused(body);
        assert_eq!(got_code, code, "{name}: {description}");
        assert!(
            description.starts_with(&format!("{field}:")),
            "{name}: `{description}` does not name {field}"
        );
    }
}

#[test]
fn good_metadata_registers_as_sent_with_the_specs_defaults() {
    let c = parse_registration_local(&json!({"redirect_uris": ["https://rp.example/cb"]})).unwrap();
    assert_eq!(c.grant_types, [GrantType::AuthorizationCode]);
    assert_eq!(c.response_types, [ResponseType::Code]);
    assert_eq!(
        c.token_endpoint_auth_method,
        TokenEndpointAuthMethod::ClientSecretBasic
    );
    assert_eq!(c.application_type, ApplicationType::Web);
    assert!(!c.skip_consent && !c.token_params_in_query && c.permissions.is_empty());

    // Grant types derived from response types, and the reverse.
    let hybrid = parse_registration_local(&json!({"redirect_uris": ["https://rp.example/cb"],
        "response_types": ["code id_token", "code"]}))
    .unwrap();
    assert_eq!(
        hybrid.grant_types,
        [GrantType::AuthorizationCode, GrantType::Implicit]
    );
    let machine =
        parse_registration_local(&json!({"grant_types": ["client_credentials"]})).unwrap();
    assert!(machine.response_types.is_empty() && machine.redirect_uris.is_empty());

    // An MCP client: public, native, loopback.
    for (field, value) in [
        ("request_object_signing_alg", json!("HS512")),
        ("request_uris", json!(["http://rp.example/r"])),
        ("request_uris", json!("https://rp.example/r")),
    ] {
        let mut b = json!({"redirect_uris": ["https://rp.example/cb"]});
        b[field] = value;
        assert!(
            parse_registration_local(&b).is_err_and(|e| e.description.starts_with(field)),
            "{field}"
        );
    }
    let keyed = parse_registration_local(&json!({"redirect_uris": ["https://rp.example/cb"],
        "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "http://127.0.0.1:9/jwks",
        "token_endpoint_auth_signing_alg": "ES256"}))
    .unwrap();
    assert!(
        !keyed.needs_secret(),
        "a private_key_jwt client is issued no secret"
    );
    assert_eq!(
        registered_metadata(&keyed)["token_endpoint_auth_signing_alg"],
        "ES256"
    );
    assert!(
        parse_registration(&json!({"redirect_uris": ["https://rp.example/cb"], "token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "http://127.0.0.1:9/jwks"}), false).is_err(),
        "http to loopback only in the local configuration"
    );
    let mcp = parse_registration_local(&json!({
        "client_name": "Claude", "redirect_uris": ["http://localhost:33418/callback"],
        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
        "token_endpoint_auth_method": "none", "application_type": "native",
        "scope": "openid offline_access", "software_id": "claude", "x-vendor-thing": 1}))
    .unwrap();
    assert!(mcp.is_public());
    assert_eq!(mcp.scope.as_deref(), Some("openid offline_access"));
    let shown = registered_metadata(&mcp);
    assert_eq!(shown["client_name"], "Claude");
    assert_eq!(shown["token_endpoint_auth_method"], "none");
    assert!(
        !shown.contains_key("x-vendor-thing"),
        "unknown metadata is ignored"
    );

    // Native clients may use private-use schemes and https; web clients loopback http.
    for (kind, uri) in [
        ("native", "com.example.app:/oauth2redirect"),
        ("native", "https://app.example/cb"),
        ("native", "http://127.0.0.1/cb"),
        ("web", "http://localhost:8080/cb"),
    ] {
        assert!(
            parse_registration_local(&json!({"application_type": kind, "redirect_uris": [uri]}))
                .is_ok(),
            "{kind} {uri}"
        );
    }
}

#[test]
fn pairwise_subjects_acr_defaults_and_signed_userinfo_register_and_echo() {
    let c = parse_registration_local(&json!({
        "redirect_uris": ["https://a.example/cb", "https://b.example/cb"],
        "subject_type": "pairwise",
        "sector_identifier_uri": "https://rp.example/sector.json",
        "default_acr_values": ["urn:doorward:acr:pwd"],
        "userinfo_signed_response_alg": "ES256"}))
    .unwrap();
    assert_eq!(c.subject_type, SubjectType::Pairwise);
    assert_eq!(c.userinfo_signed_response_alg, Some(SigningAlg::ES256));
    let shown = registered_metadata(&c);
    assert_eq!(shown["subject_type"], "pairwise");
    assert_eq!(
        shown["sector_identifier_uri"],
        "https://rp.example/sector.json"
    );
    assert_eq!(shown["default_acr_values"], json!(["urn:doorward:acr:pwd"]));
    assert_eq!(shown["userinfo_signed_response_alg"], "ES256");

    let single_host = parse_registration_local(&json!({
        "redirect_uris": ["https://a.example/cb", "https://a.example/other"],
        "subject_type": "pairwise"}))
    .unwrap();
    assert_eq!(single_host.subject_type, SubjectType::Pairwise);
    let plain = registered_metadata(
        &parse_registration_local(&json!({"redirect_uris": ["https://a.example/cb"]})).unwrap(),
    );
    assert_eq!(plain["subject_type"], "public");
    assert!(!plain.contains_key("userinfo_signed_response_alg"));
}

#[test]
fn issued_fields_are_picked_out_of_an_update() {
    let f = issued_fields(&json!({"client_id": "c", "redirect_uris": [], "client_secret": "s"}));
    assert_eq!(f.len(), 2);
    assert!(f.contains_key("client_id") && f.contains_key("client_secret"));
}
