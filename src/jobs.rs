//! Scheduled jobs, run by the cron trigger (`[triggers]` in wrangler.toml): for now the
//! rotation of every pool's signing keys on the configured schedule. Each pool's key vault
//! decides from stored times (`oidc::key_schedule`), so a retried or doubled run is harmless.

use serde_json::Value;
use worker::Env;

use crate::http::admin::DEFAULT_POOL;
use crate::http::context::Settings;
use crate::http::respond::HttpError;
use crate::store::kv::Kv;
use crate::store::placement::Placement;
use crate::store::vault::{self, VaultCommand};

/// Runs the key schedule over every pool at `now`; returns what each pool's vault did.
pub async fn rotate_keys(env: &Env, now: u64) -> Result<Vec<(String, Value)>, HttpError> {
    let settings = Settings::of_isolate(env)?;
    let mut pools: Vec<(String, Placement)> = Kv::new(env)?
        .list_pools()
        .await?
        .into_iter()
        .map(|p| {
            let at = Placement::of_pool(&p);
            (p.id, at)
        })
        .collect();
    if !pools.iter().any(|(p, _)| p == DEFAULT_POOL) {
        pools.push((DEFAULT_POOL.to_string(), Placement::GLOBAL));
    }
    let mut done = Vec::new();
    for (pool, at) in pools {
        let changes: Value = vault::call(
            env,
            &pool,
            at,
            VaultCommand::Maintain {
                pool: pool.clone(),
                now,
                policy: settings.key_rotation,
            },
        )
        .await?;
        let changed = changes.as_object().is_some_and(|c| {
            c.values()
                .any(|v| v.as_array().is_some_and(|a| !a.is_empty()))
        });
        if changed {
            // The vault wrote the new JWKS to KV from its own object: this isolate drops its
            // copies at once (other isolates within their short cache lifetimes).
            crate::crypto::keys::forget_pool(&pool);
            crate::store::cache::forget(&format!("jwks:{pool}"));
        }
        done.push((pool, changes));
    }
    Ok(done)
}
