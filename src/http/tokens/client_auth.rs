//! Client authentication at the token, introspection and revocation endpoints (RFC 6749 §2.3,
//! §3.2.1): the caller is one of this issuer's application's clients — proving its secret
//! (constant-time) or, as a public client, sending only its id — or one of the pool's access
//! accounts. Which of these an endpoint or grant admits is the caller's decision
//! (`oidc::grant_policy`). A client of another application is unknown here.

use subtle::ConstantTimeEq;
use worker::Request;

use super::client_keys;
use super::{access_keys, client_secret};
use crate::http::context::Ctx;
use crate::http::forms;
use crate::http::respond::{oauth_error, HttpError, HttpResult};
use crate::oidc::client_assertion;
use crate::oidc::client_jwt::{self, ClientKeys};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::grant_policy::CallerKind;
use crate::oidc::jws::sha256_b64;
use crate::oidc::model::{Application, SigningAlg, TokenEndpointAuthMethod};
use crate::oidc::token_request::{client_credentials, merge_params, ClientCredentials};
use crate::store::clients;
use crate::store::grants::{Grants, Kind};
use crate::store::placement::{Placement, PoolAt};

/// Who authenticated, beyond the application itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    /// The application with its secret.
    Confidential,
    /// The application as a public client (PKCE protects its codes).
    Public,
    /// A programmatic access account of the application's pool, with what it holds.
    AccessAccount {
        access_key: String,
        permissions: Vec<String>,
    },
}

impl Caller {
    pub fn kind(&self) -> CallerKind {
        match self {
            Caller::Confidential => CallerKind::Confidential,
            Caller::Public => CallerKind::Public,
            Caller::AccessAccount { .. } => CallerKind::AccessAccount,
        }
    }
}

/// Proof that the caller authenticated for this application: only `authenticate` builds it.
// A proof type: the private field is what keeps any other code from building one.
#[allow(clippy::manual_non_exhaustive)]
pub struct AuthenticatedClient {
    /// The application as the authenticated client sees it (its own settings in `client`);
    /// the issuer's primary client for an access account.
    pub app: Application,
    pub caller: Caller,
    _proof: (),
}

fn failed() -> HttpError {
    HttpError::OAuth(OAuthError::invalid_client("client authentication failed"))
}

/// Authenticates `creds` as a caller of one of the `admitted` kinds. A caller that proves who
/// it is but is of a kind not admitted gets `unauthorized_client` (RFC 6749 §5.2): e.g. a
/// public client asking for `client_credentials`. Access keys are only looked up where access
/// accounts are admitted; elsewhere an `ak_…` id is just a wrong client id.
/// What a client assertion sent to `endpoint` may name as its `aud`: the issuer, its token
/// endpoint, and the endpoint itself.
pub fn assertion_audiences(issuer: &str, endpoint: &str) -> [String; 3] {
    [
        issuer.to_string(),
        format!("{issuer}/token"),
        format!("{issuer}{endpoint}"),
    ]
}

/// `audiences` are what a client assertion's `aud` may name (`assertion_audiences`).
pub async fn authenticate(
    ctx: &Ctx,
    app: &Application,
    creds: &ClientCredentials,
    admitted: &[CallerKind],
    audiences: &[&str],
) -> Result<AuthenticatedClient, HttpError> {
    let Some(id) = creds.client_id() else {
        return Err(failed());
    };
    let (app, caller) = if admitted.contains(&CallerKind::AccessAccount)
        && access_keys::pool_of_access_key(id).is_some()
    {
        (app.clone(), access_account(ctx, app, creds).await?)
    } else {
        let client = clients::resolve(&ctx.env, app, id)
            .await?
            .ok_or_else(failed)?;
        let caller = application(ctx, &client, creds, audiences).await?;
        (client, caller)
    };
    if !admitted.contains(&caller.kind()) {
        return Err(HttpError::OAuth(OAuthError::new(
            ErrorCode::UnauthorizedClient,
            match caller.kind() {
                CallerKind::Public => "a public client may not use this grant_type",
                CallerKind::Confidential | CallerKind::AccessAccount => {
                    "the client may not use this grant_type"
                }
            },
        )));
    }
    Ok(AuthenticatedClient {
        app,
        caller,
        _proof: (),
    })
}

/// The client: its id (constant-time), and its secret unless it is public.
async fn application(
    ctx: &Ctx,
    app: &Application,
    creds: &ClientCredentials,
    audiences: &[&str],
) -> Result<Caller, HttpError> {
    let Some(id) = creds.client_id() else {
        return Err(failed());
    };
    if !bool::from(id.as_bytes().ct_eq(app.client.client_id.as_bytes())) {
        return Err(failed());
    }
    let method = app.client.token_endpoint_auth_method;
    match creds {
        ClientCredentials::Basic { secret, .. } | ClientCredentials::Post { secret, .. } => {
            // A client registered for an assertion method may not fall back to its secret.
            if app.is_public() || method.is_assertion() || !app.client.has_secret() {
                return Err(failed());
            }
            let expected = client_secret::open(ctx, &app.client).await?;
            if bool::from(secret.as_bytes().ct_eq(expected.as_bytes())) {
                Ok(Caller::Confidential)
            } else {
                Err(failed())
            }
        }
        ClientCredentials::Assertion { assertion, .. } if method.is_assertion() => {
            client_assertion(ctx, app, id, assertion, audiences).await?;
            Ok(Caller::Confidential)
        }
        ClientCredentials::None { .. } if app.is_public() => Ok(Caller::Public),
        ClientCredentials::None { .. }
        | ClientCredentials::Assertion { .. }
        | ClientCredentials::Missing => Err(failed()),
    }
}

/// RFC 7523 §3: the assertion is signed as the client registered (HS256 with its secret for
/// `client_secret_jwt`, its own keys for `private_key_jwt`, retried once with freshly fetched
/// keys when it names one the kept set lacks), its claims hold, and its `jti` is spent here
/// for good (kept in a `GrantStore` shard until the assertion would expire).
async fn client_assertion(
    ctx: &Ctx,
    app: &Application,
    client_id: &str,
    assertion: &str,
    audiences: &[&str],
) -> Result<(), HttpError> {
    let client = &app.client;
    let refused = |why: String| HttpError::OAuth(OAuthError::invalid_client(why));
    let claims = match client.token_endpoint_auth_method {
        TokenEndpointAuthMethod::ClientSecretJwt => {
            let secret = client_secret::open(ctx, client).await?;
            client_jwt::verify(
                assertion,
                &[SigningAlg::HS256],
                ClientKeys::Secret(secret.as_bytes()),
            )
            .map_err(client_keys::Refused::Jwt)
        }
        _ => {
            let allowed: Vec<SigningAlg> = match client.token_endpoint_auth_signing_alg {
                Some(a) => vec![a],
                None => SigningAlg::ASYMMETRIC.to_vec(),
            };
            client_keys::verify_signed(ctx, client, assertion, &allowed).await
        }
    }
    .map_err(|e| match e {
        client_keys::Refused::KeysUnavailable(why) => refused(why),
        client_keys::Refused::Jwt(e) => refused(format!("the client assertion {}", e.describe())),
    })?;
    let used = client_assertion::check(&claims, client_id, audiences, ctx.now).map_err(refused)?;
    let spent_id = sha256_b64(&format!("{client_id}\n{}", used.jti));
    let fresh = Grants::new(&ctx.env, Placement::of_app(app))
        .create(Kind::AssertionJti, &spent_id, &used.exp, used.exp)
        .await?;
    if !fresh {
        return Err(refused("the client assertion was already used".into()));
    }
    Ok(())
}

/// An access account of the application's pool, with its secret key.
async fn access_account(
    ctx: &Ctx,
    app: &Application,
    creds: &ClientCredentials,
) -> Result<Caller, HttpError> {
    let (ak, sk) = match creds {
        ClientCredentials::Basic { client_id, secret }
        | ClientCredentials::Post { client_id, secret } => (client_id, secret),
        ClientCredentials::None { .. }
        | ClientCredentials::Assertion { .. }
        | ClientCredentials::Missing => return Err(failed()),
    };
    match access_keys::authenticate(ctx, PoolAt::of_app(app), ak, sk).await? {
        Some(account) => Ok(Caller::AccessAccount {
            access_key: account.access_key,
            permissions: account.permissions,
        }),
        None => Err(failed()),
    }
}

/// For introspection and revocation: reads the form body, authenticates the caller as one of
/// `admitted`, and returns who it is with the `token` parameter. Any failure is already the RFC 6749 §5.2
/// answer (with the Basic challenge where Basic was tried).
pub async fn authenticated_token_param(
    ctx: &Ctx,
    req: &mut Request,
    app: &Application,
    admitted: &[CallerKind],
    audiences: &[&str],
) -> Result<(AuthenticatedClient, String), HttpResult> {
    let body = forms::form_pairs(req).await;
    let authorization = req.headers().get("Authorization").ok().flatten();
    let basic = forms::is_basic(authorization.as_deref());
    let fail = |e: OAuthError| Err(oauth_error(&e, basic));
    let body = match body {
        Ok(b) => b,
        Err(HttpError::OAuth(e)) => return fail(e),
        Err(other) => return Err(Err(other)),
    };
    let params = match merge_params(&body, &[]) {
        Ok(p) => p,
        Err(e) => return fail(e),
    };
    let creds = match client_credentials(authorization.as_deref(), &params) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    // RFC 7662 §2.1: introspection needs an authenticated client; a bare id proves nothing.
    if !admitted.contains(&CallerKind::Public) && matches!(creds, ClientCredentials::None { .. }) {
        return fail(OAuthError::invalid_client("client authentication failed"));
    }
    let client = match authenticate(ctx, app, &creds, admitted, audiences).await {
        Ok(c) => c,
        Err(HttpError::OAuth(e)) => return fail(e),
        Err(other) => return Err(Err(other)),
    };
    match params.get("token").filter(|t| !t.is_empty()) {
        Some(t) => Ok((client, t.clone())),
        None => fail(OAuthError::invalid_request("token is missing")),
    }
}
