//! `grant_type=client_credentials` (RFC 6749 §4.4) for a confidential application with its own
//! secret, or a programmatic access account (AK/SK) of the application's pool — the grant
//! table admits no other caller. Either way the token holds only the requested permissions
//! the caller holds (`oidc::client_credentials`), its `aud` is the resource, and there is no
//! refresh token and no id_token.

use crate::crypto::random;
use crate::http::context::Ctx;
use crate::http::grants::Granted;
use crate::http::respond::HttpError;
use crate::http::tokens::client_auth::{AuthenticatedClient, Caller};
use crate::http::tokens::mint::{self, AccessTokenFor, Subject, TokenResponse};
use crate::oidc::client_credentials::decide;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::grant_policy::RequestedScope;
use crate::oidc::token_request::TokenRequest;

pub async fn run(
    ctx: &Ctx,
    client: &AuthenticatedClient,
    issuer: &str,
    req: &TokenRequest,
    scope: &RequestedScope<'_>,
) -> Result<Granted, HttpError> {
    let app = &client.app;
    let (caller, held) = match &client.caller {
        Caller::Confidential => (
            app.client.client_id.as_str(),
            app.client.permissions.as_slice(),
        ),
        Caller::AccessAccount {
            access_key,
            permissions,
        } => (access_key.as_str(), permissions.as_slice()),
        // Refused by the grant table before any grant runs; kept as a second line.
        Caller::Public => {
            return Err(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "a public client may not use this grant_type",
            )
            .into())
        }
    };
    let resources = ctx.kv()?.list_resources(&app.pool_id).await?;
    let g = decide(
        scope.permissions(),
        req.resource.as_deref(),
        held,
        &resources,
    )?;
    let scope = g.scope.join(" ");
    let jti = random::grant_id()?;
    let at = mint::access_token(
        ctx,
        app,
        issuer,
        &AccessTokenFor {
            jti: &jti,
            subject: Subject::Caller(caller),
            audience: &g.audience,
            client_id: caller,
            scope: &scope,
            userinfo_claims: &[],
        },
    )
    .await?;
    Ok(Granted {
        body: TokenResponse::bearer(at, app.client.token_lifetimes.access_token, scope),
        user_id: None,
    })
}
