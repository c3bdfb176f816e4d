//! The discovery document (OpenID Connect Discovery 1.0 §3) of one application's issuer.
//! Truthful by construction: it lists only the endpoints this build serves and the grant and
//! response types this application has ticked. Runtime-free.

use serde_json::{json, Value};

use super::acr::ACR_VALUES_SUPPORTED;
use super::authorize::DISPLAY_VALUES;
use super::client_metadata::{REGISTRABLE_GRANT_TYPES, REGISTRABLE_RESPONSE_TYPES};
use super::model::{Application, DynamicRegistration, GrantType, ResponseType, SigningAlg};
use super::pkce::CodeChallengeMethod;
use super::request_object;
use super::subject::SubjectType;

/// Claims Doorward can release (OIDC Core §5.1), by the scopes in `scope.rs`.
pub const CLAIMS_SUPPORTED: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "acr",
    "amr",
    "nonce",
    "at_hash",
    "c_hash",
    "sid",
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "gender",
    "birthdate",
    "zoneinfo",
    "locale",
    "updated_at",
    "email",
    "email_verified",
    "phone_number",
    "phone_number_verified",
    "address",
];

/// What client assertions may be signed with (`oidc::client_jwt` verifies each).
const ASSERTION_ALGS: &[&str] = &["RS256", "PS256", "ES256", "EdDSA", "HS256"];

pub const SCOPES_SUPPORTED: &[&str] = &[
    "openid",
    "profile",
    "email",
    "phone",
    "address",
    "offline_access",
];

/// Builds the document. `issuer` is the application's issuer URL (no trailing slash).
///
/// With dynamic registration off, the grant and response types are those the primary client
/// has ticked; with it on, also every type a client may register (`client_metadata`).
pub fn document(issuer: &str, app: &Application) -> Value {
    let registration = app.dynamic_registration != DynamicRegistration::Off;
    let mut response_types: Vec<ResponseType> = ResponseType::ALL
        .into_iter()
        .filter(|rt| {
            (app.client.response_types.contains(rt)
                && rt.required_grants().iter().all(|g| app.allows_grant(*g)))
                || (registration && REGISTRABLE_RESPONSE_TYPES.contains(rt))
        })
        .collect();
    response_types.sort();
    let grant_types: Vec<&str> = GrantType::ALL
        .into_iter()
        .filter(|g| app.allows_grant(*g) || (registration && REGISTRABLE_GRANT_TYPES.contains(g)))
        .map(GrantType::as_str)
        .collect();
    let has_front_channel_tokens = response_types.iter().any(|rt| *rt != ResponseType::Code);
    let mut response_modes = vec!["query", "form_post"];
    if has_front_channel_tokens {
        response_modes.insert(1, "fragment");
    }
    let asymmetric: Vec<&str> = SigningAlg::ASYMMETRIC
        .into_iter()
        .map(SigningAlg::as_str)
        .collect();
    let mut id_token_algs = vec![app.client.id_token_signed_response_alg.as_str()];
    for a in &asymmetric {
        if !id_token_algs.contains(a) {
            id_token_algs.push(a);
        }
    }
    // Userinfo may be signed with any pool key; with the client secret (HS256) where the
    // client has one.
    let mut userinfo_algs = asymmetric.clone();
    if !app.is_public() {
        userinfo_algs.push(SigningAlg::HS256.as_str());
    }
    let mut doc = json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/auth"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/me"),
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "introspection_endpoint": format!("{issuer}/token/introspection"),
        "revocation_endpoint": format!("{issuer}/token/revocation"),
        "end_session_endpoint": format!("{issuer}/session/end"),
        "scopes_supported": SCOPES_SUPPORTED,
        "response_types_supported": response_types.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        "response_modes_supported": response_modes,
        "grant_types_supported": grant_types,
        "subject_types_supported": SubjectType::ALL.map(SubjectType::as_str),
        "id_token_signing_alg_values_supported": id_token_algs,
        "userinfo_signing_alg_values_supported": userinfo_algs,
        "token_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "introspection_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt"],
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "revocation_endpoint_auth_methods_supported":
            ["client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"],
        "revocation_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGS,
        "code_challenge_methods_supported": CodeChallengeMethod::accepted(app.is_public(), app.client.require_pkce)
            .iter()
            .map(|m| m.as_str())
            .collect::<Vec<_>>(),
        "claims_supported": CLAIMS_SUPPORTED,
        "claims_parameter_supported": true,
        // Claims are stored as entered, in one language and untagged: `claims_locales` is
        // accepted and ignored (OIDC Core §5.2 lets the OP return what it has).
        "claims_locales_supported": ["en"],
        "acr_values_supported": ACR_VALUES_SUPPORTED,
        "display_values_supported": DISPLAY_VALUES,
        "request_parameter_supported": true,
        "request_uri_parameter_supported": true,
        "require_request_uri_registration": false,
        "request_object_signing_alg_values_supported": request_object::ALGS_SUPPORTED,
        "authorization_response_iss_parameter_supported": true,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "ui_locales_supported": ["en", "zh-CN"],
        "claim_types_supported": ["normal"],
    });
    if registration {
        doc["registration_endpoint"] = json!(format!("{issuer}/reg"));
    }
    doc
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::oidc::model::{Client, TokenEndpointAuthMethod};
    use crate::oidc::registration::new_application;

    pub(crate) fn app(grants: Vec<GrantType>, rts: Vec<ResponseType>) -> Application {
        let client = Client {
            client_id: "c1".into(),
            redirect_uris: vec!["https://rp.example/cb".into()],
            grant_types: grants,
            response_types: rts,
            ..Client::default()
        };
        let mut app = new_application("default", client, 0);
        app.name = "App".into();
        app.subdomain = "app".into();
        app
    }

    #[test]
    fn pkce_methods_advertised_are_those_the_application_accepts() {
        let mut a = app(vec![GrantType::AuthorizationCode], vec![ResponseType::Code]);
        assert_eq!(
            document("http://h/app/oidc", &a)["code_challenge_methods_supported"],
            json!(["S256", "plain"])
        );
        a.client.token_endpoint_auth_method = TokenEndpointAuthMethod::None;
        assert_eq!(
            document("http://h/app/oidc", &a)["code_challenge_methods_supported"],
            json!(["S256"])
        );
    }

    #[test]
    fn the_oidc_core_features_built_are_advertised() {
        let mut a = app(vec![GrantType::AuthorizationCode], vec![ResponseType::Code]);
        let doc = document("i", &a);
        assert_eq!(doc["claims_parameter_supported"], true);
        assert_eq!(
            doc["subject_types_supported"],
            json!(["public", "pairwise"])
        );
        assert_eq!(
            doc["acr_values_supported"],
            json!([
                "urn:doorward:acr:pwd",
                "urn:doorward:acr:mfa",
                "urn:doorward:acr:phishing-resistant"
            ])
        );
        assert_eq!(
            doc["display_values_supported"],
            json!(["page", "popup", "touch", "wap"])
        );
        assert!(doc["claims_locales_supported"].is_array());
        for c in ["acr", "amr", "auth_time"] {
            assert!(CLAIMS_SUPPORTED.contains(&c), "{c}");
        }
        assert_eq!(
            doc["userinfo_signing_alg_values_supported"],
            json!(["RS256", "ES256", "PS256", "EdDSA", "HS256"])
        );
        a.client.token_endpoint_auth_method = TokenEndpointAuthMethod::None;
        assert_eq!(
            document("i", &a)["userinfo_signing_alg_values_supported"],
            json!(["RS256", "ES256", "PS256", "EdDSA"]),
            "a public client has no secret to sign HS256 with"
        );
    }

    #[test]
    fn endpoints_hang_off_the_issuer() {
        let doc = document(
            "http://h/app/oidc",
            &app(vec![GrantType::AuthorizationCode], vec![ResponseType::Code]),
        );
        assert_eq!(doc["issuer"], "http://h/app/oidc");
        assert_eq!(doc["jwks_uri"], "http://h/app/oidc/.well-known/jwks.json");
        assert_eq!(doc["authorization_endpoint"], "http://h/app/oidc/auth");
    }

    #[test]
    fn only_ticked_and_usable_types_are_advertised() {
        // `code id_token` is ticked but `implicit` is not, so it cannot be used: not advertised.
        let doc = document(
            "i",
            &app(
                vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
                vec![ResponseType::Code, ResponseType::CodeIdToken],
            ),
        );
        assert_eq!(doc["response_types_supported"], json!(["code"]));
        assert_eq!(
            doc["grant_types_supported"],
            json!(["authorization_code", "refresh_token"])
        );
        assert_eq!(
            doc["response_modes_supported"],
            json!(["query", "form_post"])
        );
    }
}
