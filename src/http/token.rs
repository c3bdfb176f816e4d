//! `{issuer}/token`: one pipeline for every grant (dex's shape) and nothing else —
//! read the request once (body, and the query string the hosted service's guide documents) →
//! look up the grant's row in the grant table → authenticate the client as that row admits →
//! check the grant is ticked for the application → run the grant → answer with `no-store`.

use worker::Request;

use super::context::Ctx;
use super::forms;
use super::grants;
use super::respond::{json_no_store, oauth_error, HttpError, HttpResult};
use super::tokens::client_auth::{assertion_audiences, authenticate};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::grant_policy::policy;
use crate::oidc::model::Application;
use crate::oidc::token_request::TokenRequest;

pub async fn handle(ctx: &Ctx, mut req: Request, app: &Application, issuer: &str) -> HttpResult {
    let body = forms::form_pairs(&mut req).await;
    let query = forms::query_pairs(&ctx.url);
    let authorization = req.headers().get("Authorization").ok().flatten();
    let basic = forms::is_basic(authorization.as_deref());
    let result = async {
        let (body, query) = (body?, query?);
        let request = TokenRequest::parse(
            &body,
            &query,
            authorization.as_deref(),
            &forms::client_ip(&req),
        )?;
        let Some(policy) = policy(request.grant) else {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "grant_type is not supported",
            )
            .into());
        };
        let owned = assertion_audiences(issuer, "/token");
        let audiences = owned.each_ref().map(String::as_str);
        let client =
            authenticate(ctx, app, &request.credentials, policy.callers, &audiences).await?;
        // Per client: one that sends its parameters in the body may refuse the query string.
        if !query.is_empty() && !client.app.client.token_params_in_query {
            return Err(OAuthError::invalid_request(
                "this client takes token parameters in the form body only",
            )
            .into());
        }
        if !client.app.allows_grant(policy.grant) {
            return Err(HttpError::OAuth(OAuthError::new(
                ErrorCode::UnauthorizedClient,
                "the client may not use this grant_type",
            )));
        }
        grants::run(ctx, policy, &client, issuer, &request).await
    }
    .await;
    match result {
        Ok(body) => json_no_store(200, &body),
        Err(HttpError::OAuth(e)) => oauth_error(&e, basic),
        Err(other) => Err(other),
    }
}
