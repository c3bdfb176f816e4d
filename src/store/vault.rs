//! Client side of the `KeyVault` Durable Object (one per user pool): the private signing keys,
//! sealed under `MASTER_KEY`. Rotation is a consistent state change in the object; the public
//! halves are mirrored to KV (`jwks:{pool}`) for the JWKS endpoint.

use serde::{Deserialize, Serialize};
use worker::Env;

use super::{rpc, StoreError};
use crate::oidc::model::SigningAlg;

pub const BINDING: &str = "KEYS";

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum VaultCommand {
    /// The newest key for `alg`, created on first use.
    ActiveKey {
        pool: String,
        alg: SigningAlg,
    },
    Rotate {
        pool: String,
        alg: SigningAlg,
    },
    List,
}

/// A key as kept in the vault.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredKey {
    pub kid: String,
    pub alg: SigningAlg,
    /// The private JWK, sealed with `crypto::secretbox` (purpose `signing-key`).
    pub private_sealed: String,
    pub public_jwk: serde_json::Value,
    pub created_at: u64,
    pub active: bool,
}

/// What the admin API shows of a key (never the private part).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: SigningAlg,
    pub created_at: u64,
    pub active: bool,
}

impl From<&StoredKey> for KeyInfo {
    fn from(k: &StoredKey) -> Self {
        KeyInfo {
            kid: k.kid.clone(),
            alg: k.alg,
            created_at: k.created_at,
            active: k.active,
        }
    }
}

pub async fn call<R: serde::de::DeserializeOwned>(
    env: &Env,
    pool: &str,
    cmd: VaultCommand,
) -> Result<R, StoreError> {
    rpc::call(env, BINDING, &format!("pool-{pool}"), &cmd).await
}
