//! An MCP client, end to end, driven by an independent library (`openidconnect`): it finds
//! the authorization server's metadata (RFC 8414, at the path-inserted location too),
//! registers itself dynamically as a public native client with a loopback redirect
//! (RFC 7591, RFC 8252), signs the user in with PKCE S256 and a `resource` indicator
//! (RFC 8707), and gets an access token whose audience is the MCP server — and which the
//! MCP server, not userinfo, accepts. The refresh token keeps that audience.

use openidconnect::core::{
    CoreApplicationType, CoreAuthenticationFlow, CoreClient, CoreClientAuthMethod,
    CoreClientRegistrationRequest, CoreGrantType, CoreProviderMetadata, CoreResponseType,
};
use openidconnect::registration::EmptyAdditionalClientMetadata;
use openidconnect::{
    AuthorizationCode, ClientName, CsrfToken, IssuerUrl, Nonce, OAuth2TokenResponse,
    PkceCodeChallenge, RedirectUrl, RefreshToken, ResponseTypes, Scope,
};
use reqwest::StatusCode;
use serde_json::json;

use crate::support::applications::setup;
use crate::support::browser::{Browser, Consent};
use crate::support::jwt::claims;
use crate::support::tokens::userinfo;

const MCP_SERVER: &str = "https://mcp.shop.example/mcp";

fn http_client() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::ClientBuilder::new()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .build()
        .unwrap_or_else(|e| panic!("HTTP client: {e}"))
}

#[tokio::test]
async fn an_mcp_client_registers_itself_and_gets_a_token_for_the_mcp_server() {
    let (app, rp, user) = setup().await;
    app.admin()
        .patch(
            &format!("/api/v1/applications/{}", rp.client_id),
            &json!({"dynamic_registration": "open"}),
        )
        .await
        .expect_status(200);
    let r = app
        .admin()
        .post(
            "/api/v1/resources",
            &json!({"code": "mcp", "uri": MCP_SERVER, "name": "Shop MCP", "actions": ["call"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);

    // MCP clients look for RFC 8414 metadata at the path-inserted location first.
    let issuer_url = reqwest::Url::parse(&rp.issuer).unwrap_or_else(|e| panic!("{e}"));
    let origin = issuer_url.origin().ascii_serialization();
    let as_metadata = app
        .get_url(&format!(
            "{origin}/.well-known/oauth-authorization-server{}",
            issuer_url.path()
        ))
        .await;
    as_metadata.expect_status(200);
    assert!(
        crate::support::json::str_list(&as_metadata.json["code_challenge_methods_supported"])
            .contains(&"S256".to_string())
    );

    let http = http_client();
    let issuer = IssuerUrl::new(rp.issuer.clone()).unwrap_or_else(|e| panic!("{e}"));
    let metadata = CoreProviderMetadata::discover_async(issuer, &http)
        .await
        .unwrap_or_else(|e| panic!("discovery: {e:?}"));
    let endpoint = metadata
        .registration_endpoint()
        .cloned()
        .unwrap_or_else(|| panic!("no registration_endpoint advertised"));

    // A loopback redirect on the port the client listens on (any port is accepted).
    let redirect = RedirectUrl::new("http://127.0.0.1:33418/callback".into())
        .unwrap_or_else(|e| panic!("{e}"));
    let registered = CoreClientRegistrationRequest::new(
        vec![redirect.clone()],
        EmptyAdditionalClientMetadata {},
    )
    .set_application_type(Some(CoreApplicationType::Native))
    .set_client_name(Some(
        vec![(None, ClientName::new("Claude".into()))]
            .into_iter()
            .collect(),
    ))
    .set_grant_types(Some(vec![
        CoreGrantType::AuthorizationCode,
        CoreGrantType::RefreshToken,
    ]))
    .set_response_types(Some(vec![ResponseTypes::new(vec![CoreResponseType::Code])]))
    .set_token_endpoint_auth_method(Some(CoreClientAuthMethod::None))
    .register_async(&endpoint, &http)
    .await
    .unwrap_or_else(|e| panic!("registration: {e:?}"));
    assert!(
        registered.client_secret().is_none(),
        "a public client gets no secret"
    );
    let client_id = registered.client_id().clone();

    let client = CoreClient::from_provider_metadata(metadata, client_id.clone(), None)
        .set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (auth_url, _, _) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("offline_access".into()))
        .add_extra_param("resource", MCP_SERVER)
        .add_extra_param("prompt", "consent")
        .set_pkce_challenge(challenge)
        .url();
    let mut browser = Browser::new(&app);
    let first = browser.open(&rp.issuer, auth_url.as_str()).await;
    let cb = browser
        .complete(&rp.issuer, first, &user, Consent::Allow)
        .await
        .callback();
    assert_eq!(cb.target(), "http://127.0.0.1:33418/callback");

    let tokens = client
        .exchange_code(AuthorizationCode::new(cb.param("code").to_string()))
        .unwrap_or_else(|e| panic!("{e}"))
        .set_pkce_verifier(verifier)
        .add_extra_param("resource", MCP_SERVER)
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("code exchange: {e:?}"));
    let access = tokens.access_token().secret().clone();
    let c = claims(&access);
    assert_eq!(c["aud"], MCP_SERVER, "the token is for the MCP server: {c}");
    assert_eq!(c["client_id"], client_id.as_str());
    assert_eq!(c["sub"], user.id.as_str());
    // A token for a resource server is not a token for userinfo.
    assert_eq!(userinfo(&app, &rp.issuer, &access).await.status, 401);

    // Refreshing keeps the audience.
    let refresh = tokens
        .refresh_token()
        .cloned()
        .unwrap_or_else(|| panic!("no refresh token"));
    let refreshed = client
        .exchange_refresh_token(&RefreshToken::new(refresh.secret().clone()))
        .unwrap_or_else(|e| panic!("{e}"))
        .request_async(&http)
        .await
        .unwrap_or_else(|e| panic!("refresh: {e:?}"));
    assert_eq!(claims(refreshed.access_token().secret())["aud"], MCP_SERVER);

    // A resource this issuer does not serve is refused at /auth (RFC 8707 invalid_target).
    let (challenge, _) = PkceCodeChallenge::new_random_sha256();
    let (bad_url, _, _) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_extra_param("resource", "https://elsewhere.example/mcp")
        .set_pkce_challenge(challenge)
        .url();
    let reply = app.get_url(bad_url.as_str()).await;
    assert_eq!(reply.status, 303, "{}", reply.excerpt());
    assert!(
        reply.header("location").contains("error=invalid_target"),
        "{}",
        reply.header("location")
    );
}
