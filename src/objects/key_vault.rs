//! The `KeyVault` Durable Object: a pool's signing keys. Keys are generated with WebCrypto
//! inside the object, sealed under `MASTER_KEY` and kept in durable storage (never only in
//! memory: an object can be evicted at any time). Each alg keeps its active key and the
//! previous one, which stays in the JWKS so tokens signed before a rotation still verify.

use serde_json::{json, Value};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::crypto::{random, secretbox, webcrypto};
use crate::oidc::model::SigningAlg;
use crate::store::kv::Kv;
use crate::store::vault::{KeyInfo, StoredKey, VaultCommand};
use crate::store::{rpc, StoreError};

/// Published keys per algorithm: the active one and the one before it.
const KEEP_PER_ALG: usize = 2;

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
        })
    }

    /// Adds `key` as the active key of its alg, drops the oldest beyond `KEEP_PER_ALG`, saves,
    /// and mirrors the public set to KV.
    async fn install(
        &self,
        pool: &str,
        mut keys: Vec<StoredKey>,
        key: StoredKey,
    ) -> R<Vec<StoredKey>> {
        for k in keys.iter_mut().filter(|k| k.alg == key.alg) {
            k.active = false;
        }
        keys.push(key.clone());
        let mut same: Vec<usize> = keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.alg == key.alg)
            .map(|(i, _)| i)
            .collect();
        while same.len() > KEEP_PER_ALG {
            let oldest = same.remove(0);
            keys.remove(oldest);
            same = keys
                .iter()
                .enumerate()
                .filter(|(_, k)| k.alg == key.alg)
                .map(|(i, _)| i)
                .collect();
        }
        self.state.storage().put("keys", &keys).await?;
        let jwks = json!({"keys": keys.iter().map(|k| k.public_jwk.clone()).collect::<Vec<_>>()});
        Kv::new(&self.env)?.put_jwks(pool, &jwks).await?;
        Ok(keys)
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
            VaultCommand::List => {
                let keys = self.keys().await?;
                Ok(serde_json::to_value(
                    keys.iter().map(KeyInfo::from).collect::<Vec<_>>(),
                )?)
            }
        }
    }
}

impl DurableObject for KeyVault {
    fn new(state: State, env: Env) -> Self {
        KeyVault { state, env }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        rpc::serve(req, |cmd: VaultCommand| self.run(cmd)).await
    }
}
