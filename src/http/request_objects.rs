//! Unpacking a request object at `/auth` (RFC 9101, OIDC Core §6): `request` by value, or
//! `request_uri` fetched under `http::outbound`'s limits (and only a registered one, when the
//! client registered any); verified as the client registered (`none` only where it did, HS256
//! with its secret, otherwise its keys, fetched again once for an unknown key); its claims
//! checked and laid over the outer parameters (`oidc::request_object`).

use super::context::Ctx;
use super::outbound::fetch_document;
use super::tokens::client_keys::{self, Refused};
use super::tokens::client_secret;
use crate::oidc::authorize::Params;
use crate::oidc::client_jwt::{self, ClientKeys};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::model::{Application, SigningAlg};
use crate::oidc::request_object::{self, Verification};

fn bad_object(why: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequestObject, why)
}

/// Whether the request carries a request object at all.
pub fn present(params: &Params) -> bool {
    params.contains_key("request") || params.contains_key("request_uri")
}

/// The parameters the request object (of `app.client`) stands for.
pub async fn unpack(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    params: &Params,
) -> Result<Params, OAuthError> {
    let client = &app.client;
    let jwt = match (params.get("request"), params.get("request_uri")) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request(
                "send request or request_uri, not both",
            ))
        }
        (Some(r), None) => r.clone(),
        (None, Some(uri)) => {
            let refused = |why: String| OAuthError::new(ErrorCode::InvalidRequestUri, why);
            if !request_object::is_registered_request_uri(client, uri) {
                return Err(refused(
                    "request_uri is not registered for this client".into(),
                ));
            }
            let body = fetch_document(ctx, uri, "application/oauth-authz-req+jwt, application/jwt")
                .await
                .map_err(|e| refused(format!("request_uri {}", e.0)))?;
            String::from_utf8(body)
                .map(|t| t.trim().to_string())
                .map_err(|_| refused("request_uri is not a JWT".into()))?
        }
        (None, None) => return Ok(params.clone()),
    };
    let peeked =
        client_jwt::peek(&jwt).ok_or_else(|| bad_object("the request object is not a JWT"))?;
    let claims = match request_object::verification(client, &peeked).map_err(bad_object)? {
        Verification::Unsigned => peeked.claims,
        Verification::Signed(SigningAlg::HS256) => {
            if !client.has_secret() {
                return Err(bad_object(
                    "HS256 needs a client secret; this client has none",
                ));
            }
            let secret = client_secret::open(ctx, client)
                .await
                .map_err(|_| OAuthError::server_error("client secret"))?;
            client_jwt::verify(
                &jwt,
                &[SigningAlg::HS256],
                ClientKeys::Secret(secret.as_bytes()),
            )
            .map_err(|e| bad_object(format!("the request object {}", e.describe())))?
        }
        Verification::Signed(alg) => client_keys::verify_signed(ctx, client, &jwt, &[alg])
            .await
            .map_err(|e| match e {
                Refused::KeysUnavailable(why) => bad_object(why),
                Refused::Jwt(e) => bad_object(format!("the request object {}", e.describe())),
            })?,
    };
    request_object::check_claims(&claims, &client.client_id, issuer, ctx.now)
        .map_err(bad_object)?;
    Ok(request_object::merge(params, &claims))
}
