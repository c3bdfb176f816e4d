//! `grant_type=password` (RFC 6749 §4.3), for applications that tick it. It shares the login
//! page's throttle, lockout and no-enumeration rule: an unknown user and a wrong password get
//! the same `invalid_grant`.

use crate::crypto::random;
use crate::http::authentication_level::{self, Decision};
use crate::http::context::Ctx;
use crate::http::grants::Granted;
use crate::http::respond::HttpError;
use crate::http::sign_in::{check_password, PasswordCheck, Via};
use crate::http::tokens::client_auth::AuthenticatedClient;
use crate::http::tokens::user_tokens::{self, Issue, Preassigned};
use crate::oidc::acr::{Authentication, AMR_PASSWORD};
use crate::oidc::error::OAuthError;
use crate::oidc::grant_policy::RequestedScope;
use crate::oidc::model::GrantType;
use crate::oidc::token_request::TokenRequest;
use crate::store::directory::{Directory, FamilyIndex};
use crate::store::placement::PoolAt;

pub async fn run(
    ctx: &Ctx,
    client: &AuthenticatedClient,
    issuer: &str,
    req: &TokenRequest,
    scope: &RequestedScope<'_>,
) -> Result<Granted, HttpError> {
    let app = &client.app;
    let (Some(username), Some(password)) = (req.username.as_deref(), req.password.as_deref())
    else {
        return Err(OAuthError::invalid_request("username and password are required").into());
    };
    let via = Via::PasswordGrant(app);
    let user_id = match check_password(
        ctx,
        PoolAt::of_app(app),
        username,
        password,
        &req.client_ip,
        via,
    )
    .await?
    {
        PasswordCheck::Ok(user) => user.id,
        PasswordCheck::Wrong => {
            return Err(OAuthError::invalid_grant("invalid username or password").into())
        }
        PasswordCheck::Locked(_) => {
            return Err(
                OAuthError::invalid_grant("too many failed attempts; try again later").into(),
            )
        }
        PasswordCheck::Blocked => {
            return Err(OAuthError::invalid_grant("the account is blocked").into())
        }
    };
    // The password grant has no page for a second factor: an account the policy or its own
    // factors would ask one of cannot use it (never a silent downgrade to one factor).
    let password_only = [Authentication {
        at: ctx.now,
        amr: vec![AMR_PASSWORD.to_string()],
    }];
    if !matches!(
        authentication_level::decide(ctx, app, &[], &user_id, &password_only, None).await?,
        Decision::Met(_)
    ) {
        return Err(OAuthError::invalid_grant(
            "this account signs in with a second factor; use the authorization code flow",
        )
        .into());
    }
    let scope = scope.known();
    let offline = scope.contains("offline_access");
    let pre = Preassigned {
        jti: random::grant_id()?,
        family_id: random::grant_id()?,
    };
    let family = (offline && app.allows_grant(GrantType::RefreshToken)).then(|| FamilyIndex {
        family_id: pre.family_id.clone(),
        client_id: app.client.client_id.clone(),
        expires_at: ctx.now + app.client.token_lifetimes.refresh_token,
    });
    let user = Directory::of_app(&ctx.env, app)
        .user_for_tokens(&user_id, family, ctx.now)
        .await?
        .ok_or_else(|| {
            HttpError::OAuth(OAuthError::invalid_grant("invalid username or password"))
        })?;
    let issued = user_tokens::issue(
        ctx,
        Issue {
            app,
            issuer,
            user: &user,
            scope: &scope,
            auth_time: ctx.now,
            amr: &[AMR_PASSWORD.to_string()],
            nonce: None,
            session_id: None,
            new_family: offline,
            preassigned: Some(pre),
            rotated_refresh: None,
            resource: None,
            claims: &Default::default(),
        },
    )
    .await?;
    Ok(Granted::to_user(issued.body, &user.id))
}
