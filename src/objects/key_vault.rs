//! The `KeyVault` Durable Object: a pool's signing keys. Keys are generated with WebCrypto
//! inside the object, sealed under `MASTER_KEY` and kept in durable storage (never only in
//! memory: an object can be evicted at any time). Each alg has one active key; the keys it
//! replaced stay in the JWKS so tokens they signed still verify, and the scheduled rotation
//! (`oidc::key_schedule`) publishes the next key ahead of its use and removes retired ones
//! once nothing they signed can still be live.

use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::crypto::{random, secretbox, webcrypto};
use crate::oidc::key_schedule::{self, RotationPolicy};
use crate::oidc::model::SigningAlg;
use crate::store::kv::Kv;
use crate::store::vault::{KeyInfo, StoredKey, VaultCommand};
use crate::store::{rpc, StoreError};

/// Keys per algorithm kept by manual rotations: the active one and the two before it (the
/// schedule removes retired keys by age instead).
const KEEP_PER_ALG: usize = 3;

#[durable_object]
pub struct KeyVault {
    state: State,
    env: Env,
}

type R<T> = std::result::Result<T, StoreError>;

impl KeyVault {
    async fn keys(&self) -> R<Vec<StoredKey>> {
        Ok(self
            .state
            .storage()
            .get::<Vec<StoredKey>>("keys")
            .await?
            .unwrap_or_default())
    }

    async fn generate(&self, alg: SigningAlg) -> R<StoredKey> {
        let master = self.env.secret("MASTER_KEY")?.to_string();
        let (private, mut public) = webcrypto::generate_key_pair(alg).await?;
        let kid = random::id()?;
        if let Some(o) = public.as_object_mut() {
            o.remove("key_ops");
            o.remove("ext");
            o.insert("kid".into(), json!(kid));
            o.insert("use".into(), json!("sig"));
            o.insert("alg".into(), json!(alg.as_str()));
        }
        let sealed =
            secretbox::seal(&master, "signing-key", private.to_string().as_bytes()).await?;
        Ok(StoredKey {
            kid,
            alg,
            private_sealed: sealed,
            public_jwk: public,
            created_at: (worker::Date::now().as_millis() / 1000),
            active: true,
            activated_at: None,
            activates_at: None,
            retired_at: None,
        })
    }

    /// Adds `key` as the active key of its alg (the one before it retires now), drops the
    /// oldest signed-out keys beyond `KEEP_PER_ALG`, saves, and mirrors the public set to KV.
    async fn install(
        &self,
        pool: &str,
        mut keys: Vec<StoredKey>,
        mut key: StoredKey,
    ) -> R<Vec<StoredKey>> {
        let now = key.created_at;
        for k in keys.iter_mut().filter(|k| k.alg == key.alg && k.active) {
            k.active = false;
            k.retired_at = Some(now);
        }
        key.activated_at = Some(now);
        keys.push(key.clone());
        loop {
            let published: Vec<usize> = keys
                .iter()
                .enumerate()
                .filter(|(_, k)| k.alg == key.alg && k.activates_at.is_none())
                .map(|(i, _)| i)
                .collect();
            if published.len() <= KEEP_PER_ALG {
                break;
            }
            keys.remove(published[0]);
        }
        self.save(pool, &keys).await?;
        Ok(keys)
    }

    async fn save(&self, pool: &str, keys: &[StoredKey]) -> R<()> {
        self.state.storage().put("keys", keys).await?;
        let jwks = json!({"keys": keys.iter().map(|k| k.public_jwk.clone()).collect::<Vec<_>>()});
        Kv::new(&self.env)?.put_jwks(pool, &jwks).await?;
        Ok(())
    }

    /// One run of the schedule over every algorithm; saves only when something changed.
    async fn maintain(&self, pool: &str, now: u64, policy: RotationPolicy) -> R<Value> {
        let mut keys = self.keys().await?;
        let (mut published, mut promoted, mut removed) = (Vec::new(), Vec::new(), Vec::new());
        let algs: Vec<SigningAlg> = SigningAlg::ASYMMETRIC
            .into_iter()
            .filter(|a| keys.iter().any(|k| k.alg == *a))
            .collect();
        let mut changed = false;
        for alg in algs {
            let idx: Vec<usize> = (0..keys.len()).filter(|i| keys[*i].alg == alg).collect();
            let times: Vec<_> = idx.iter().map(|i| keys[*i].times()).collect();
            let plan = key_schedule::plan(&times, now, policy);
            if plan.is_empty() {
                continue;
            }
            changed = true;
            for i in &plan.mark_retired {
                keys[idx[*i]].retired_at = Some(now);
            }
            if let Some((next, active)) = plan.promote {
                let (n, a) = (idx[next], idx[active]);
                keys[a].active = false;
                keys[a].retired_at = Some(now);
                keys[n].active = true;
                keys[n].activates_at = None;
                keys[n].activated_at = Some(now);
                promoted.push(keys[n].kid.clone());
            }
            if let Some(at) = plan.publish_next {
                let mut fresh = self.generate(alg).await?;
                fresh.active = false;
                fresh.activates_at = Some(at);
                published.push(fresh.kid.clone());
                keys.push(fresh);
            }
            let gone: Vec<String> = plan
                .remove
                .iter()
                .map(|i| keys[idx[*i]].kid.clone())
                .collect();
            keys.retain(|k| !gone.contains(&k.kid));
            removed.extend(gone);
        }
        if changed {
            self.save(pool, &keys).await?;
        }
        Ok(json!({"published": published, "promoted": promoted, "removed": removed}))
    }

    async fn run(&self, cmd: VaultCommand) -> R<Value> {
        match cmd {
            VaultCommand::ActiveKey { pool, alg } => {
                if let Some(k) = self
                    .keys()
                    .await?
                    .into_iter()
                    .rev()
                    .find(|k| k.alg == alg && k.active)
                {
                    return Ok(serde_json::to_value(k)?);
                }
                let fresh = self.generate(alg).await?;
                // Another request may have created one while we generated: keep theirs.
                let keys = self.keys().await?;
                if let Some(k) = keys.iter().rev().find(|k| k.alg == alg && k.active) {
                    return Ok(serde_json::to_value(k)?);
                }
                self.install(&pool, keys, fresh.clone()).await?;
                Ok(serde_json::to_value(fresh)?)
            }
            VaultCommand::Rotate { pool, alg } => {
                let fresh = self.generate(alg).await?;
                let keys = self.keys().await?;
                self.install(&pool, keys, fresh.clone()).await?;
                Ok(serde_json::to_value(KeyInfo::from(&fresh))?)
            }
            VaultCommand::Maintain { pool, now, policy } => self.maintain(&pool, now, policy).await,
            VaultCommand::List => {
                let keys = self.keys().await?;
                Ok(serde_json::to_value(
                    keys.iter().map(KeyInfo::from).collect::<Vec<_>>(),
                )?)
            }
        }
    }
}

impl rpc::CommandObject for KeyVault {
    type Command = VaultCommand;

    async fn run_command(&self, cmd: VaultCommand) -> std::result::Result<rpc::Answer, StoreError> {
        self.run(cmd).await.map(rpc::Answer::from)
    }
}

command_entry!(KeyVault);

impl DurableObject for KeyVault {
    fn new(state: State, env: Env) -> Self {
        KeyVault { state, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        rpc::serve(self, req).await
    }
}
