//! `grant_type=refresh_token` (RFC 6749 §6, OAuth 2.0 Security BCP §4.14): rotation with reuse
//! detection in the family's shard; the scope may only narrow; a new id_token is returned.

use crate::http::context::Ctx;
use crate::http::respond::HttpError;
use crate::http::tokens::client_auth::AuthenticatedClient;
use crate::http::tokens::mint::TokenResponse;
use crate::http::tokens::user_tokens::{self, new_refresh_token, Issue};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::grant_policy::RequestedScope;
use crate::oidc::jws::sha256_b64;
use crate::oidc::records::RefreshRotation;
use crate::oidc::scope::ScopeSet;
use crate::oidc::token_request::TokenRequest;
use crate::store::directory::Directory;
use crate::store::grants::Grants;

pub async fn run(
    ctx: &Ctx,
    client: &AuthenticatedClient<'_>,
    issuer: &str,
    req: &TokenRequest,
    scope: &RequestedScope<'_>,
) -> Result<TokenResponse, HttpError> {
    let app = client.app;
    let presented = req
        .refresh_token
        .as_deref()
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
    let invalid = || {
        HttpError::OAuth(OAuthError::invalid_grant(
            "the refresh token is invalid, expired or revoked",
        ))
    };
    let Some((family_id, _)) = presented.split_once('.') else {
        return Err(invalid());
    };
    let grants = Grants::new(&ctx.env);
    let next = new_refresh_token(family_id)?;
    // Checked by the family's object before it rotates, so a refused request costs nothing.
    let requested = scope.narrower();
    let family = match grants
        .rotate_refresh(
            family_id,
            &app.client_id,
            &sha256_b64(presented),
            &sha256_b64(&next),
            requested,
            ctx.now,
        )
        .await?
    {
        RefreshRotation::Rotated { family } => family,
        RefreshRotation::Reused { family } => {
            grants.revoke_jtis(&family.access_jtis).await?;
            return Err(HttpError::OAuth(
                OAuthError::invalid_grant("the refresh token was already used")
                    .with_detail("refresh reuse: family revoked"),
            ));
        }
        RefreshRotation::Invalid => return Err(invalid()),
        RefreshRotation::ScopeExceeded => {
            return Err(HttpError::OAuth(OAuthError::new(
                ErrorCode::InvalidScope,
                "scope exceeds what was granted",
            )))
        }
    };
    let scope = ScopeSet::parse(requested.unwrap_or(&family.scope));
    let user = Directory::new(&ctx.env, &app.pool_id)
        .user(&family.user_id)
        .await?
        .filter(|u| !u.blocked)
        .ok_or_else(invalid)?;
    let issued = user_tokens::issue(
        ctx,
        Issue {
            app,
            issuer,
            user: &user,
            scope: &scope,
            auth_time: family.auth_time,
            nonce: None,
            session_id: family.session_id.as_deref(),
            new_family: false,
            preassigned: None,
            rotated_refresh: Some(next),
        },
    )
    .await?;
    grants
        .add_family_jti(family_id, issued.jti, ctx.now)
        .await?;
    Ok(issued.body)
}
