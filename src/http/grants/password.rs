//! `grant_type=password` (RFC 6749 §4.3), for applications that tick it. It shares the login
//! page's throttle, lockout and no-enumeration rule: an unknown user and a wrong password get
//! the same `invalid_grant`.

use serde_json::Value;
use worker::Request;

use super::user_tokens::{self, Issue};
use crate::http::authorize::load_user;
use crate::http::context::Ctx;
use crate::http::forms;
use crate::http::respond::HttpError;
use crate::http::sign_in::{check_password, PasswordCheck};
use crate::http::token::{AuthenticatedClient, Params};
use crate::oidc::discovery::SCOPES_SUPPORTED;
use crate::oidc::error::OAuthError;
use crate::oidc::scope::ScopeSet;

pub async fn run(
    ctx: &Ctx,
    req: &Request,
    client: &AuthenticatedClient<'_>,
    issuer: &str,
    params: &Params,
) -> Result<Value, HttpError> {
    let app = client.app;
    let username = params
        .get("username")
        .map(|s| s.trim())
        .filter(|s| !s.is_empty());
    let password = params.get("password").filter(|s| !s.is_empty());
    let (Some(username), Some(password)) = (username, password) else {
        return Err(OAuthError::invalid_request("username and password are required").into());
    };
    let user_id = match check_password(
        ctx,
        &app.pool_id,
        username,
        password,
        &forms::client_ip(req),
    )
    .await?
    {
        PasswordCheck::Ok(id) => id,
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
    let user = load_user(ctx, app, &user_id).await?.ok_or_else(|| {
        HttpError::OAuth(OAuthError::invalid_grant("invalid username or password"))
    })?;
    let mut scope = ScopeSet::parse(params.get("scope").map(String::as_str).unwrap_or("openid"));
    scope.retain_known(SCOPES_SUPPORTED);
    let offline = scope.contains("offline_access");
    let issued = user_tokens::issue(
        ctx,
        Issue {
            app,
            issuer,
            user: &user,
            scope: &scope,
            auth_time: ctx.now,
            nonce: None,
            session_id: None,
            new_family: offline,
            preassigned: None,
            rotated_refresh: None,
        },
    )
    .await?;
    Ok(issued.body)
}
