//! `grant_type=authorization_code` (RFC 6749 §4.1.3, OIDC Core §3.1.3.2): the code is taken
//! atomically from its shard, together with the ids of what this redemption will issue; a
//! second use is refused and revokes those (RFC 6749 §4.1.2) — the access token by `jti`, the
//! refresh family by id, tombstoned if not created yet. The code is bound to the client, the
//! redirect URI and the PKCE challenge.

use crate::crypto::random;
use crate::http::context::Ctx;
use crate::http::grants::Granted;
use crate::http::respond::HttpError;
use crate::http::tokens::client_auth::AuthenticatedClient;
use crate::http::tokens::user_tokens::{self, Issue, Preassigned};
use crate::oidc::audit::{AuditEvent, What};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::model::GrantType;
use crate::oidc::pkce;
use crate::oidc::records::{CodeTake, Issued, IssuedJti};
use crate::oidc::scope::ScopeSet;
use crate::oidc::token_request::TokenRequest;
use crate::store::directory::{Directory, FamilyIndex};
use crate::store::grants::Grants;
use crate::store::placement::Placement;

pub async fn run(
    ctx: &Ctx,
    client: &AuthenticatedClient,
    issuer: &str,
    req: &TokenRequest,
) -> Result<Granted, HttpError> {
    let app = &client.app;
    let code = req
        .code
        .as_deref()
        .ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
    let grants = Grants::new(&ctx.env, Placement::of_app(app));
    let invalid = || {
        HttpError::OAuth(OAuthError::invalid_grant(
            "the authorization code is invalid, expired or already used",
        ))
    };
    // The ids of what this redemption will issue, recorded as the code is consumed.
    let pre = Preassigned {
        jti: random::grant_id()?,
        family_id: random::grant_id()?,
    };
    let planned = Issued {
        access_jtis: vec![IssuedJti {
            jti: pre.jti.clone(),
            exp: ctx.now + app.client.token_lifetimes.access_token,
        }],
        refresh_family: Some(pre.family_id.clone()),
    };
    let record = match grants
        .take_code(code, &app.client.client_id, ctx.now, planned)
        .await?
    {
        CodeTake::Fresh { record } => record,
        CodeTake::Replayed { record } => {
            ctx.audit
                .record(AuditEvent::of_app(app, What::CodeReplayDetected).user(&record.user_id));
            grants.revoke_jtis(&record.issued.access_jtis).await?;
            if let Some(fid) = &record.issued.refresh_family {
                // Tombstoned for the refresh lifetime if the first redemption has not created it yet.
                if let Some(f) = grants
                    .revoke_family(fid, ctx.now + app.client.token_lifetimes.refresh_token)
                    .await?
                {
                    grants.revoke_jtis(&f.access_jtis).await?;
                }
            }
            return Err(HttpError::OAuth(
                OAuthError::invalid_grant("the authorization code was already used")
                    .with_detail("code replay: issued tokens revoked"),
            ));
        }
        CodeTake::Missing => return Err(invalid()),
        CodeTake::OtherClient => {
            return Err(HttpError::OAuth(OAuthError::invalid_grant(
                "the authorization code was issued to another client",
            )))
        }
    };
    // RFC 8707 §2.2: a resource sent here must be the one the code was granted for.
    if req
        .resource
        .as_ref()
        .is_some_and(|r| record.resource.as_ref() != Some(r))
    {
        return Err(HttpError::OAuth(OAuthError::new(
            ErrorCode::InvalidTarget,
            "resource is not the one the authorization was granted for",
        )));
    }
    // RFC 6749 §4.1.3: redirect_uri must be identical to the one in the authorization request.
    if req.redirect_uri.as_ref() != Some(&record.redirect_uri) {
        return Err(HttpError::OAuth(OAuthError::invalid_grant(
            "redirect_uri does not match the authorization request",
        )));
    }
    let _verified: pkce::VerifiedPkce = pkce::verify(
        record.code_challenge.as_deref(),
        record.code_challenge_method.as_deref(),
        req.code_verifier.as_deref(),
    )
    .map_err(|m| HttpError::OAuth(OAuthError::invalid_grant(m)))?;
    let family =
        (record.offline && app.allows_grant(GrantType::RefreshToken)).then(|| FamilyIndex {
            family_id: pre.family_id.clone(),
            client_id: app.client.client_id.clone(),
            expires_at: ctx.now + app.client.token_lifetimes.refresh_token,
        });
    let user = Directory::of_app(&ctx.env, app)
        .user_for_tokens(&record.user_id, family, ctx.now)
        .await?
        .filter(|u| !u.blocked)
        .ok_or_else(invalid)?;
    let scope = ScopeSet::parse(&record.scope);
    let issued = user_tokens::issue(
        ctx,
        Issue {
            app,
            issuer,
            user: &user,
            scope: &scope,
            auth_time: record.auth_time,
            amr: &record.amr,
            nonce: record.nonce.as_deref(),
            session_id: record.session_id.as_deref(),
            new_family: record.offline,
            preassigned: Some(pre),
            rotated_refresh: None,
            resource: record.resource.as_deref(),
            claims: &record.claims,
        },
    )
    .await?;
    Ok(Granted::to_user(issued.body, &user.id))
}
