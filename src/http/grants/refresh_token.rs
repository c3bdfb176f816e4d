//! `grant_type=refresh_token` (RFC 6749 §6, OAuth 2.0 Security BCP §4.14): rotation with reuse
//! detection in the family's shard, which also records the new access token's id in the same
//! write; the scope may only narrow; a new id_token is returned.

use crate::crypto::random;
use crate::http::context::Ctx;
use crate::http::grants::Granted;
use crate::http::respond::HttpError;
use crate::http::tokens::client_auth::AuthenticatedClient;
use crate::http::tokens::user_tokens::{self, new_refresh_token, Issue, Preassigned};
use crate::oidc::audit::{AuditEvent, What};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::grant_policy::RequestedScope;
use crate::oidc::jws::sha256_b64;
use crate::oidc::records::{is_grant_id, IssuedJti, RefreshRotation, RotationRequest};
use crate::oidc::scope::ScopeSet;
use crate::oidc::token_request::TokenRequest;
use crate::store::directory::Directory;
use crate::store::grants::Grants;
use crate::store::placement::Placement;

pub async fn run(
    ctx: &Ctx,
    client: &AuthenticatedClient,
    issuer: &str,
    req: &TokenRequest,
    scope: &RequestedScope<'_>,
) -> Result<Granted, HttpError> {
    let app = &client.app;
    let presented = req
        .refresh_token
        .as_deref()
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
    let invalid = || {
        HttpError::OAuth(OAuthError::invalid_grant(
            "the refresh token is invalid, expired or revoked",
        ))
    };
    let Some((family_id, _)) = presented.split_once('.').filter(|(f, _)| is_grant_id(f)) else {
        return Err(invalid());
    };
    let grants = Grants::new(&ctx.env, Placement::of_app(app));
    let next = new_refresh_token(family_id)?;
    // Checked by the family's object before it rotates, so a refused request costs nothing.
    let requested = scope.narrower();
    // The access token's id is fixed now and recorded by the rotation itself.
    let jti = random::grant_id()?;
    let rotation = RotationRequest {
        client_id: app.client.client_id.clone(),
        presented_hash: sha256_b64(presented),
        new_hash: sha256_b64(&next),
        requested_scope: requested.map(str::to_string),
        new_access_jti: IssuedJti {
            jti: jti.clone(),
            exp: ctx.now + app.client.token_lifetimes.access_token,
        },
        grace_secs: app.client.refresh_token_grace_seconds,
        now: ctx.now,
    };
    let family = match grants.rotate_refresh(family_id, rotation).await? {
        RefreshRotation::Rotated { family } => family,
        RefreshRotation::Reused { family } => {
            ctx.audit.record(
                AuditEvent::of_app(app, What::RefreshTokenReuseDetected).user(&family.user_id),
            );
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
    // RFC 8707 §2.2: a resource sent here must be the one the family was granted for.
    if req
        .resource
        .as_ref()
        .is_some_and(|r| family.resource.as_ref() != Some(r))
    {
        return Err(HttpError::OAuth(OAuthError::new(
            ErrorCode::InvalidTarget,
            "resource is not the one the refresh token was granted for",
        )));
    }
    let scope = ScopeSet::parse(requested.unwrap_or(&family.scope));
    let user = Directory::of_app(&ctx.env, app)
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
            amr: &family.amr,
            nonce: None,
            session_id: family.session_id.as_deref(),
            new_family: false,
            preassigned: Some(Preassigned {
                jti,
                family_id: family_id.to_string(),
            }),
            resource: family.resource.as_deref(),
            rotated_refresh: Some(next),
            claims: &family.claims,
        },
    )
    .await?;
    Ok(Granted::to_user(issued.body, &user.id))
}
