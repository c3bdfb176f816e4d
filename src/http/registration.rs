//! `{issuer}/reg`: dynamic client registration (RFC 7591, OIDC Dynamic Client Registration
//! 1.0) and, at `{issuer}/reg/{client_id}` with the registration access token, client
//! configuration management (RFC 7592: read, replace, delete). Served only when the
//! application's `dynamic_registration` is not `off`; with `initial_access_token`, a
//! registration must carry a token the admin minted. The metadata rules are
//! `oidc::client_metadata`; the client is written to the application's `ClientRegistry`
//! object first (so it works at once at every edge) and then mirrored to KV.

use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use worker::{Method, Request, Response};

use super::context::Ctx;
use super::forms;
use super::respond::{bearer_error, json_no_store, with_headers, HttpError, HttpResult};
use super::sector_identifier;
use super::tokens::client_secret;
use crate::crypto::random;
use crate::oidc::audit::{Action, AuditEvent, Target, What};
use crate::oidc::client::{ClientOrigin, ClientRecord};
use crate::oidc::client_metadata::{issued_fields, parse_registration, registered_metadata};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::jws::sha256_b64;
use crate::oidc::model::{Application, Client, DynamicRegistration};
use crate::oidc::token_request::bearer_token;
use crate::store::clients::{self, Registered, RegistryCommand};
use crate::store::placement::Placement;
use crate::store::vault;

pub async fn handle(
    ctx: &Ctx,
    mut req: Request,
    app: &Application,
    issuer: &str,
    client_id: Option<&str>,
) -> HttpResult {
    if app.dynamic_registration == DynamicRegistration::Off {
        return Err(HttpError::NotFound);
    }
    let token = req
        .headers()
        .get("Authorization")
        .ok()
        .flatten()
        .and_then(|h| bearer_token(&h));
    let method = req.method();
    let result = match (client_id, method) {
        (None, Method::Post) => {
            let body = json_body(&mut req).await?;
            register(ctx, &req, app, issuer, token.as_deref(), &body).await
        }
        (Some(id), method) => {
            let Some(token) = token else {
                return bearer_error(
                    &OAuthError::new(
                        ErrorCode::InvalidToken,
                        "the registration access token is required",
                    ),
                    false,
                );
            };
            let Some(record) = registered(ctx, app, id, &token).await? else {
                return bearer_error(
                    &OAuthError::new(
                        ErrorCode::InvalidToken,
                        "the registration access token is not valid for this client",
                    ),
                    true,
                );
            };
            match method {
                Method::Get => Ok(answer(ctx, issuer, &record, None, None, 200).await?),
                Method::Put => {
                    let body = json_body(&mut req).await?;
                    update(ctx, app, issuer, record, &body).await
                }
                Method::Delete => {
                    clients::delete(&ctx.env, app.id(), &record.client.client_id).await?;
                    let gone = serde_json::to_value(&record.client).ok();
                    self_managed(ctx, app, &record, Action::Delete, gone.as_ref());
                    return Ok(Response::empty()?.with_status(204));
                }
                _ => return method_not_allowed("GET, PUT, DELETE"),
            }
        }
        (None, _) => return method_not_allowed("POST"),
    };
    match result {
        Ok(r) => Ok(r),
        Err(HttpError::OAuth(e)) => json_no_store(e.code.status(), &e.body()),
        Err(other) => Err(other),
    }
}

fn method_not_allowed(allow: &str) -> HttpResult {
    let e = OAuthError::invalid_request("this method is not allowed here");
    let mut resp = json_no_store(405, &e.body())?;
    resp.headers_mut().set("Allow", allow)?;
    Ok(resp)
}

/// RFC 7591 §3: the body is a JSON object (any other is `invalid_client_metadata`).
async fn json_body(req: &mut Request) -> Result<Value, HttpError> {
    let bytes = forms::body_bytes(req, crate::oidc::limits::MAX_JSON_BODY).await?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(v) if v.is_object() => Ok(v),
        _ => Err(OAuthError::new(
            ErrorCode::InvalidClientMetadata,
            "body: must be a JSON object",
        )
        .into()),
    }
}

async fn register(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
    issuer: &str,
    token: Option<&str>,
    body: &Value,
) -> HttpResult {
    let initial_access_token_hash = match app.dynamic_registration {
        DynamicRegistration::InitialAccessToken => match token {
            Some(t) => Some(sha256_b64(t)),
            None => {
                return bearer_error(
                    &OAuthError::new(
                        ErrorCode::InvalidToken,
                        "an initial access token is required to register",
                    ),
                    false,
                )
            }
        },
        DynamicRegistration::Open | DynamicRegistration::Off => None,
    };
    let mut client = parse_registration(body, ctx.settings.base_domain.is_none())?;
    sector_identifier::check(ctx, None, &client)
        .await
        .map_err(sector_refused)?;
    client.client_id = random::id()?;
    let secret = issue_secret(ctx, &mut client).await?;
    let registration_token = random::token()?;
    let record = ClientRecord {
        application_id: app.id().to_string(),
        client,
        origin: ClientOrigin::Dynamic,
        disabled: false,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    let outcome: Registered = clients::call(
        &ctx.env,
        app.id(),
        RegistryCommand::Register {
            record: record.clone(),
            registration_token_hash: sha256_b64(&registration_token),
            source: forms::client_ip(req),
            initial_access_token_hash,
            now: ctx.now,
        },
    )
    .await?;
    match outcome {
        Registered::Created => {}
        Registered::RateLimited { retry_after } => {
            let e = OAuthError::new(
                ErrorCode::TemporarilyUnavailable,
                "too many registrations from this address; try again later",
            );
            let retry = retry_after.to_string();
            return Ok(with_headers(
                json_no_store(429, &e.body())?,
                &[("Retry-After", retry.as_str())],
            ));
        }
        Registered::InitialTokenRefused => {
            return bearer_error(
                &OAuthError::new(
                    ErrorCode::InvalidToken,
                    "the initial access token is unknown, expired or used up",
                ),
                true,
            )
        }
    }
    ctx.audit.record(
        AuditEvent::new(
            &app.pool_id,
            What::ClientRegistered {
                origin: ClientOrigin::Dynamic,
            },
        )
        .client(app.id(), &record.client.client_id),
    );
    clients::mirror(&ctx.env, &record).await?;
    ensure_signing_key(ctx, app, &record.client).await?;
    answer(ctx, issuer, &record, secret, Some(&registration_token), 201).await
}

/// RFC 7592 §2.2: the body replaces the registration; `client_id` must be the client's, a
/// `client_secret` sent must be its current one, and the secret is never the client's choice.
async fn update(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    mut record: ClientRecord,
    body: &Value,
) -> HttpResult {
    let issued = issued_fields(body);
    if issued
        .get("client_id")
        .is_none_or(|v| v.as_str() != Some(record.client.client_id.as_str()))
    {
        return Err(OAuthError::new(
            ErrorCode::InvalidClientMetadata,
            "client_id: must be this client's id",
        )
        .into());
    }
    if let Some(sent) = issued.get("client_secret") {
        let current = if record.client.client_secret_encrypted.is_empty() {
            String::new()
        } else {
            client_secret::open(ctx, &record.client).await?
        };
        let matches = sent
            .as_str()
            .is_some_and(|s| bool::from(s.as_bytes().ct_eq(current.as_bytes())));
        if !matches {
            return Err(OAuthError::new(
                ErrorCode::InvalidClientMetadata,
                "client_secret: does not match the issued secret",
            )
            .into());
        }
    }
    let mut client = parse_registration(body, ctx.settings.base_domain.is_none())?;
    sector_identifier::check(ctx, Some(&record.client), &client)
        .await
        .map_err(sector_refused)?;
    client.client_id = record.client.client_id.clone();
    client.client_secret_encrypted = std::mem::take(&mut record.client.client_secret_encrypted);
    // A client that no longer uses a secret gives it up; one that now does is issued one.
    let secret = if !client.needs_secret() {
        client.client_secret_encrypted.clear();
        None
    } else if client.client_secret_encrypted.is_empty() {
        issue_secret(ctx, &mut client).await?
    } else {
        None
    };
    let before = serde_json::to_value(&record.client).ok();
    record.client = client;
    record.updated_at = ctx.now;
    let _: Value = clients::call(
        &ctx.env,
        &record.application_id,
        RegistryCommand::UpdateRegistered {
            record: record.clone(),
        },
    )
    .await?;
    clients::mirror(&ctx.env, &record).await?;
    self_managed(ctx, app, &record, Action::Update, before.as_ref());
    ensure_signing_key(ctx, app, &record.client).await?;
    answer(ctx, issuer, &record, secret, None, 200).await
}

/// A change a client made to its own registration (RFC 7592), in the log as a change of that
/// client done by the client itself (`actor: client:{id}`), before/after redacted as any
/// administrative change's.
fn self_managed(
    ctx: &Ctx,
    app: &Application,
    record: &ClientRecord,
    action: Action,
    before: Option<&Value>,
) {
    let id = &record.client.client_id;
    let after = match action {
        Action::Delete => None,
        _ => serde_json::to_value(&record.client).ok(),
    };
    ctx.audit.set_actor(&format!("client:{id}"));
    ctx.audit.admin_change(
        &app.pool_id,
        Target::Client,
        id,
        action,
        before,
        after.as_ref(),
    );
}

/// OIDC Registration §5: a sector document that cannot be had or does not list the redirect
/// URIs is the registration's fault.
fn sector_refused(why: String) -> HttpError {
    OAuthError::new(
        ErrorCode::InvalidClientMetadata,
        format!("sector_identifier_uri: {why}"),
    )
    .into()
}

/// A new secret for a client that uses one (sealed into it); none for a public client or one
/// that signs with its own keys.
async fn issue_secret(ctx: &Ctx, client: &mut Client) -> Result<Option<String>, HttpError> {
    if !client.needs_secret() {
        return Ok(None);
    }
    let secret = random::token()?;
    client.client_secret_encrypted = client_secret::seal(ctx, &secret).await?;
    Ok(Some(secret))
}

/// The client a registration access token manages (RFC 7592 §3: by its hash, in the object).
async fn registered(
    ctx: &Ctx,
    app: &Application,
    client_id: &str,
    token: &str,
) -> Result<Option<ClientRecord>, HttpError> {
    if !crate::oidc::records::is_random_id(client_id) {
        return Ok(None);
    }
    Ok(clients::call(
        &ctx.env,
        app.id(),
        RegistryCommand::GetRegistered {
            client_id: client_id.to_string(),
            registration_token_hash: sha256_b64(token),
        },
    )
    .await?)
}

/// The pool key the client's id_tokens are signed with exists before its first sign-in, so
/// it is in the JWKS a relying party fetches first.
async fn ensure_signing_key(
    ctx: &Ctx,
    app: &Application,
    client: &Client,
) -> Result<(), HttpError> {
    vault::ensure_keys(
        &ctx.env,
        &app.pool_id,
        Placement::of_app(app),
        &client.signing_algs(),
    )
    .await?;
    Ok(())
}

/// RFC 7591 §3.2.1: the client information response. The secret is shown whenever it is
/// known to the answer (registration, and RFC 7592 reads, as node-oidc-provider does).
async fn answer(
    ctx: &Ctx,
    issuer: &str,
    record: &ClientRecord,
    new_secret: Option<String>,
    registration_token: Option<&str>,
    status: u16,
) -> HttpResult {
    let c = &record.client;
    let mut body = registered_metadata(c);
    body.insert("client_id".into(), json!(c.client_id));
    body.insert("client_id_issued_at".into(), json!(record.created_at));
    let secret = match new_secret {
        Some(s) => Some(s),
        None if !c.client_secret_encrypted.is_empty() => Some(client_secret::open(ctx, c).await?),
        None => None,
    };
    if let Some(s) = secret {
        body.insert("client_secret".into(), json!(s));
        body.insert("client_secret_expires_at".into(), json!(0));
    }
    if let Some(t) = registration_token {
        body.insert("registration_access_token".into(), json!(t));
    }
    body.insert(
        "registration_client_uri".into(),
        json!(format!("{issuer}/reg/{}", c.client_id)),
    );
    json_no_store(status, &Value::Object(body))
}
