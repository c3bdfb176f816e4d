//! Client side of the `KeyVault` Durable Object (one per user pool): the private signing keys,
//! sealed under `MASTER_KEY`. Rotation is a consistent state change in the object; the public
//! halves are mirrored to KV (`jwks:{pool}`) for the JWKS endpoint.

use serde::{Deserialize, Serialize};
use worker::Env;

use super::placement::Placement;
use super::tag_first::tagged_enum;
use super::{rpc, StoreError};
use crate::oidc::key_schedule::{KeyState, KeyTimes, RotationPolicy};
use crate::oidc::model::SigningAlg;

pub const BINDING: &str = "KEYS";

tagged_enum! {
    #[derive(Debug)]
    pub enum VaultCommand by "op" as "VaultCommand" {
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
        /// The scheduled rotation of every algorithm's keys at `now` (the cron trigger).
        Maintain {
            pool: String,
            now: u64,
            policy: RotationPolicy,
        },
    }
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
    /// When it started signing (keys written before this existed: `created_at`).
    #[serde(default)]
    pub activated_at: Option<u64>,
    /// A key published ahead of use: it signs from then on.
    #[serde(default)]
    pub activates_at: Option<u64>,
    /// When it stopped signing; it stays published for the schedule's `retire_after`.
    #[serde(default)]
    pub retired_at: Option<u64>,
}

impl StoredKey {
    pub fn state(&self) -> KeyState {
        match (self.active, self.activates_at) {
            (true, _) => KeyState::Active,
            (false, Some(_)) => KeyState::Next,
            (false, None) => KeyState::Retired,
        }
    }

    pub fn times(&self) -> KeyTimes {
        KeyTimes {
            state: self.state(),
            created_at: self.created_at,
            activated_at: self.activated_at,
            activates_at: self.activates_at,
            retired_at: self.retired_at,
        }
    }
}

/// What the admin API shows of a key (never the private part).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: SigningAlg,
    pub created_at: u64,
    pub active: bool,
    pub state: KeyState,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub activates_at: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub retired_at: Option<u64>,
}

impl From<&StoredKey> for KeyInfo {
    fn from(k: &StoredKey) -> Self {
        KeyInfo {
            kid: k.kid.clone(),
            alg: k.alg,
            created_at: k.created_at,
            active: k.active,
            state: k.state(),
            activates_at: k.activates_at,
            retired_at: k.retired_at,
        }
    }
}

pub async fn call<R: serde::de::DeserializeOwned>(
    env: &Env,
    pool: &str,
    at: Placement,
    cmd: VaultCommand,
) -> Result<R, StoreError> {
    rpc::call(env, BINDING, at, &format!("pool-{pool}"), &cmd).await
}

/// Makes sure the pool has an active key for each asymmetric alg in `algs` (created on first
/// use), so a client's first token is signed with a key already in the published JWKS.
pub async fn ensure_keys(
    env: &Env,
    pool: &str,
    at: Placement,
    algs: &[SigningAlg],
) -> Result<(), StoreError> {
    for alg in algs.iter().filter(|a| **a != SigningAlg::HS256) {
        let _: serde_json::Value = call(
            env,
            pool,
            at,
            VaultCommand::ActiveKey {
                pool: pool.to_string(),
                alg: *alg,
            },
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_stored_before_the_schedule_loads_with_its_state() {
        // The record as the first release wrote it: no activation or retirement times.
        let old = r#"{"kid":"k","alg":"RS256","private_sealed":"x","public_jwk":{},"created_at":5,"active":false}"#;
        let k: StoredKey = serde_json::from_str(old).unwrap();
        assert_eq!(k.state(), KeyState::Retired);
        assert_eq!(
            k.times().retired_at,
            None,
            "the schedule retires it from its first run"
        );
        let active = old.replace("\"active\":false", "\"active\":true");
        let k: StoredKey = serde_json::from_str(&active).unwrap();
        assert_eq!(k.state(), KeyState::Active);
    }
}
