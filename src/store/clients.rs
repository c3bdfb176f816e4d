//! An application's clients beyond its primary one. The authoritative copy of each is in the
//! application's `ClientRegistry` Durable Object (named by the application's id), mirrored to
//! KV under `client:{client_id}` so every edge reads it in one KV get. KV can take about a
//! minute to show a new client (and caches "not found" meanwhile), so a KV miss falls back to
//! the object: a client registered a moment ago works at once, at every edge.

use serde::{Deserialize, Serialize};
use worker::Env;

use super::placement::Placement;
use super::tag_first::tagged_enum;
use super::{cache, kv::Kv, rpc, StoreError};
use crate::oidc::client::ClientRecord;
use crate::oidc::model::Application;
use crate::oidc::records::is_random_id;

pub const BINDING: &str = "CLIENTS";

tagged_enum! {
    #[derive(Debug)]
    pub enum RegistryCommand by "op" as "RegistryCommand" {
        /// Creates or replaces a client (the admin API).
        PutClient {
            record: ClientRecord,
        },
        GetClient {
            client_id: String,
        },
        ListClients,
        /// Removes a client; answers whether it existed.
        DeleteClient {
            client_id: String,
        },
        /// A dynamic registration (RFC 7591): counted against `source`, and against the initial
        /// access token when the application demands one, in the same call as the insert.
        Register {
            record: ClientRecord,
            registration_token_hash: String,
            source: String,
            initial_access_token_hash: Option<String>,
            now: u64,
        },
        /// The client a registration access token (RFC 7592) manages, if it is that token.
        GetRegistered {
            client_id: String,
            registration_token_hash: String,
        },
        /// Replaces a dynamically registered client's record (RFC 7592 update).
        UpdateRegistered {
            record: ClientRecord,
        },
        MintInitialToken {
            token: InitialAccessToken,
        },
        ListInitialTokens {
            now: u64,
        },
        RevokeInitialToken {
            id: String,
        },
    }
}

/// An initial access token (RFC 7591 §3.1) as kept: only its hash, with its limits.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct InitialAccessToken {
    /// A short public handle for the console (never the token).
    pub id: String,
    pub token_hash: String,
    pub expires_at: u64,
    /// Registrations it may still make; `None` is unlimited until it expires.
    pub uses_left: Option<u32>,
    pub created_at: u64,
}

/// What became of a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registered {
    Created,
    /// Too many registrations from this source: try after `retry_after` seconds.
    RateLimited {
        retry_after: u64,
    },
    /// The initial access token is missing, unknown, expired or used up.
    InitialTokenRefused,
}

/// Registrations per source (IP) per `REGISTRATION_WINDOW_SECS` (node-oidc-provider has none
/// by default; Keycloak's anonymous registration policies cap a host's clients similarly).
pub const REGISTRATIONS_PER_WINDOW: u32 = 20;
pub const REGISTRATION_WINDOW_SECS: u64 = 3600;

pub async fn call<T: serde::de::DeserializeOwned>(
    env: &Env,
    application_id: &str,
    cmd: RegistryCommand,
) -> Result<T, StoreError> {
    // Global whatever the pool's placement: a registry holds clients' configuration, which
    // KV serves from every edge anyway, not the pool's users' data.
    rpc::call(env, BINDING, Placement::GLOBAL, application_id, &cmd).await
}

fn kv_key(client_id: &str) -> String {
    format!("client:{client_id}")
}

/// The application as client `client_id` sees it: itself for its primary client, the client
/// record put in its place for any other of its clients, `None` for an unknown, disabled or
/// foreign client (a client of another application is unknown here).
pub async fn resolve(
    env: &Env,
    app: &Application,
    client_id: &str,
) -> Result<Option<Application>, StoreError> {
    if client_id == app.id() {
        return Ok(Some(app.clone()));
    }
    // Only an id this build could have issued is looked up (no object call for junk).
    if !is_random_id(client_id) {
        return Ok(None);
    }
    let record = match Kv::new(env)?.client_text(&kv_key(client_id)).await? {
        Some(text) => Some(serde_json::from_str::<ClientRecord>(&text)?),
        None => {
            call::<Option<ClientRecord>>(
                env,
                app.id(),
                RegistryCommand::GetClient {
                    client_id: client_id.to_string(),
                },
            )
            .await?
        }
    };
    Ok(record
        .filter(|r| r.application_id == app.id() && !r.disabled)
        .map(|r| app.for_client(r.client)))
}

/// Writes a client to the registry, then mirrors it to KV.
pub async fn put(env: &Env, record: &ClientRecord) -> Result<(), StoreError> {
    let _: serde_json::Value = call(
        env,
        &record.application_id,
        RegistryCommand::PutClient {
            record: record.clone(),
        },
    )
    .await?;
    mirror(env, record).await
}

/// Mirrors a client record the registry already holds to KV.
pub async fn mirror(env: &Env, record: &ClientRecord) -> Result<(), StoreError> {
    Kv::new(env)?
        .put_text(
            &kv_key(&record.client.client_id),
            serde_json::to_string(record)?,
        )
        .await
}

/// Removes a client from the registry and from KV; answers whether it existed.
pub async fn delete(env: &Env, application_id: &str, client_id: &str) -> Result<bool, StoreError> {
    let existed: bool = call(
        env,
        application_id,
        RegistryCommand::DeleteClient {
            client_id: client_id.to_string(),
        },
    )
    .await?;
    Kv::new(env)?.remove_text(&kv_key(client_id)).await?;
    cache::forget(&kv_key(client_id));
    Ok(existed)
}
