//! `{issuer}/.well-known/openid-configuration` and `{issuer}/.well-known/jwks.json`.
//! The JWKS comes from KV, where the key vault mirrors each pool's public keys; on a pool's
//! first request the vault creates its RS256 key.

use serde_json::Value;

use super::context::Ctx;
use super::respond::{json, with_headers, HttpResult};
use crate::oidc::discovery;
use crate::oidc::model::{Application, SigningAlg};
use crate::store::kv::Kv;
use crate::store::vault::{self, VaultCommand};

pub fn configuration(issuer: &str, app: &Application) -> HttpResult {
    let doc = discovery::document(issuer, app);
    Ok(with_headers(
        json(200, &doc)?,
        &[
            ("Cache-Control", "public, max-age=300"),
            ("Access-Control-Allow-Origin", "*"),
        ],
    ))
}

/// The pool's public keys, making sure the keys this application signs with exist.
pub async fn jwks(ctx: &Ctx, app: &Application) -> HttpResult {
    let kv = Kv::new(&ctx.env)?;
    let mut needed = vec![SigningAlg::RS256];
    for alg in [
        app.id_token_signed_response_alg,
        app.access_token_signed_response_alg,
    ] {
        if alg != SigningAlg::HS256 && !needed.contains(&alg) {
            needed.push(alg);
        }
    }
    let mut set = kv.jwks(&app.pool_id).await?;
    let has = |set: &Option<Value>, alg: SigningAlg| {
        set.as_ref()
            .and_then(|s| s["keys"].as_array())
            .is_some_and(|ks| ks.iter().any(|k| k["alg"] == alg.as_str()))
    };
    for alg in needed {
        if !has(&set, alg) {
            let _: Value = vault::call(
                &ctx.env,
                &app.pool_id,
                VaultCommand::ActiveKey {
                    pool: app.pool_id.clone(),
                    alg,
                },
            )
            .await?;
            set = kv.jwks(&app.pool_id).await?;
        }
    }
    let body = set.unwrap_or_else(|| serde_json::json!({"keys": []}));
    Ok(with_headers(
        json(200, &body)?,
        &[
            ("Cache-Control", "public, max-age=60"),
            ("Access-Control-Allow-Origin", "*"),
        ],
    ))
}
