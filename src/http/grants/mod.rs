//! One file per grant type (RFC 6749 §4). `run` is their only way in: `http::token` calls it
//! once the grant table (`oidc::grant_policy`) has admitted the authenticated caller and the
//! grant is ticked for the application, so no grant can skip those steps. Adding a grant is
//! its file, its row in the table, and its arm here.

pub mod authorization_code;
pub mod client_credentials;
pub mod password;
pub mod refresh_token;

use crate::http::audit;
use crate::http::context::Ctx;
use crate::http::respond::HttpError;
use crate::http::tokens::client_auth::{AuthenticatedClient, Caller};
use crate::http::tokens::mint::TokenResponse;
use crate::oidc::audit::{AuditEvent, What};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::grant_policy::GrantPolicy;
use crate::oidc::model::GrantType;
use crate::oidc::token_request::TokenRequest;

/// What a grant issued, and to which user (none for machine tokens).
pub struct Granted {
    pub body: TokenResponse,
    pub user_id: Option<String>,
}

impl Granted {
    pub fn to_user(body: TokenResponse, user_id: &str) -> Granted {
        Granted {
            body,
            user_id: Some(user_id.to_string()),
        }
    }
}

/// Runs the grant and records what it issued (`token_issued`, for the audit log and the
/// "tokens issued per grant" chart).
pub async fn run(
    ctx: &Ctx,
    policy: GrantPolicy,
    client: &AuthenticatedClient,
    issuer: &str,
    req: &TokenRequest,
) -> Result<TokenResponse, HttpError> {
    let granted = grant(ctx, policy, client, issuer, req).await?;
    let what = What::TokenIssued {
        grant_type: policy.grant.as_str().to_string(),
        response_type: None,
        refresh_token_issued: granted.body.refresh_token.is_some(),
        count: 1,
    };
    let mut event = AuditEvent::of_app(&client.app, what).user_if(granted.user_id.as_deref());
    if let Caller::AccessAccount { access_key, .. } = &client.caller {
        event.client_id = Some(access_key.clone());
    }
    match policy.grant {
        // Asked for by programs, often many a second, naming no user: counted, not logged
        // one by one (`oidc::audit_tally`).
        GrantType::ClientCredentials => {
            audit::machine_token(&ctx.audit, ctx.settings.audit.token_tally_secs, event)
        }
        _ => ctx.audit.record(event),
    }
    Ok(granted.body)
}

async fn grant(
    ctx: &Ctx,
    policy: GrantPolicy,
    client: &AuthenticatedClient,
    issuer: &str,
    req: &TokenRequest,
) -> Result<Granted, HttpError> {
    let scope = policy.scope.read(req.scope.as_deref());
    match policy.grant {
        GrantType::AuthorizationCode => authorization_code::run(ctx, client, issuer, req).await,
        GrantType::RefreshToken => refresh_token::run(ctx, client, issuer, req, &scope).await,
        GrantType::ClientCredentials => {
            client_credentials::run(ctx, client, issuer, req, &scope).await
        }
        GrantType::Password => password::run(ctx, client, issuer, req, &scope).await,
        // The table has no row for it; kept exhaustive so a new grant must be placed here.
        GrantType::Implicit => Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            "grant_type is not supported",
        )
        .into()),
    }
}
