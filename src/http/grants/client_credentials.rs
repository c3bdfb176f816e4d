//! `grant_type=client_credentials` (RFC 6749 §4.4) for an application with its own secret, or
//! a programmatic access account (AK/SK) of the application's pool. Either way the token holds
//! only the requested permissions the caller holds (`oidc::client_credentials`), its `aud` is
//! the resource, and there is no refresh token and no id_token.

use serde_json::Value;
use subtle::ConstantTimeEq;

use crate::http::admin::accounts::pool_of_access_key;
use crate::http::context::Ctx;
use crate::http::respond::HttpError;
use crate::http::token::{access_token_for, token_response, AuthenticatedClient, Params};
use crate::oidc::client_credentials::decide;
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::jws::sha256_b64;
use crate::oidc::model::{Application, GrantType};
use crate::oidc::token_request::ClientCredentials;
use crate::store::directory::{AccountRecord, Directory, DirectoryCommand};
use crate::store::kv::Kv;

async fn grant(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    caller: &str,
    held: &[String],
    params: &Params,
) -> Result<Value, HttpError> {
    let resources = Kv::new(&ctx.env)?.list_resources(&app.pool_id).await?;
    let g = decide(
        params.get("scope").map(String::as_str),
        params.get("resource").map(String::as_str),
        held,
        &resources,
    )?;
    let scope = g.scope.join(" ");
    let (at, _) = access_token_for(ctx, app, issuer, caller, &g.audience, caller, &scope).await?;
    Ok(token_response(
        &at,
        app.token_lifetimes.access_token,
        &scope,
        None,
        None,
    ))
}

pub async fn with_client(
    ctx: &Ctx,
    client: &AuthenticatedClient<'_>,
    issuer: &str,
    params: &Params,
) -> Result<Value, HttpError> {
    grant(
        ctx,
        client.app,
        issuer,
        &client.app.client_id,
        &client.app.permissions,
        params,
    )
    .await
}

/// AK/SK callers: the key names its pool, which must be this application's pool.
pub async fn with_access_account(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    creds: &ClientCredentials,
    params: &Params,
) -> Result<Value, HttpError> {
    let bad = || HttpError::OAuth(OAuthError::invalid_client("client authentication failed"));
    let (ak, sk) = match creds {
        ClientCredentials::Basic { client_id, secret }
        | ClientCredentials::Post { client_id, secret } => (client_id, secret),
        _ => return Err(bad()),
    };
    if pool_of_access_key(ak) != Some(app.pool_id.as_str()) {
        return Err(bad());
    }
    let rec: Option<AccountRecord> = Directory::new(&ctx.env, &app.pool_id)
        .call(DirectoryCommand::GetAccount {
            access_key: ak.clone(),
        })
        .await?;
    let Some(rec) = rec else { return Err(bad()) };
    let presented = sha256_b64(sk);
    if !bool::from(presented.as_bytes().ct_eq(rec.secret_hash.as_bytes())) || rec.account.disabled {
        return Err(bad());
    }
    if !app.allows_grant(GrantType::ClientCredentials) {
        return Err(HttpError::OAuth(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            "client_credentials is not enabled for this application",
        )));
    }
    grant(ctx, app, issuer, ak, &rec.account.permissions, params).await
}
