//! `{issuer}/.well-known/openid-configuration` and `{issuer}/.well-known/jwks.json`.
//! The JWKS comes from KV, where the key vault mirrors each pool's public keys; on a pool's
//! first request the vault creates its RS256 key. Each document served from what this
//! isolate has cached is remembered for `hot_routes`, which answers the next requests for it
//! before the async entry.

use serde_json::Value;

use super::context::Ctx;
use super::documents;
use super::hot_routes;
use super::respond::HttpResult;
use crate::oidc::discovery;
use crate::oidc::model::{Application, SigningAlg};
use crate::store::placement::Placement;
use crate::store::vault::{self, VaultCommand};

/// Built once per isolate per version of the application's stored record (`version`, from
/// `Kv::app_by_subdomain`: it changes whenever the record does, even within one second).
pub fn configuration(
    issuer: &str,
    app: &Application,
    version: u64,
    if_none_match: Option<&str>,
    hot: &hot_routes::Source,
) -> HttpResult {
    let key = format!("discovery|{issuer}");
    let version = format!("{}|{version}", app.client.client_id);
    let doc = documents::built(&key, &version, "public, max-age=300", || {
        serde_json::to_vec(&discovery::document(issuer, app))
    })?;
    // Built from the issuer and the application record alone.
    hot.remember(&doc, &[]);
    documents::respond(&doc, if_none_match)
}

/// RFC 8414 authorization-server metadata: the same document, so the two never disagree
/// (node-oidc-provider serves one document at both names too).
pub fn authorization_server(
    issuer: &str,
    app: &Application,
    version: u64,
    if_none_match: Option<&str>,
    hot: &hot_routes::Source,
) -> HttpResult {
    configuration(issuer, app, version, if_none_match, hot)
}

/// The pool's public keys, making sure the keys this application signs with exist.
pub async fn jwks(
    ctx: &Ctx,
    app: &Application,
    if_none_match: Option<&str>,
    hot: &hot_routes::Source,
) -> HttpResult {
    let kv = ctx.kv()?;
    let mut needed = vec![SigningAlg::RS256];
    for alg in app.client.signing_algs() {
        if alg != SigningAlg::HS256 && !needed.contains(&alg) {
            needed.push(alg);
        }
    }
    let text = kv.jwks_text(&app.pool_id).await?;
    let key = format!("jwks|{}", app.pool_id);
    // The common case: the published set has every key this application signs with, and this
    // isolate has served it before — no parse, no serialisation.
    if let Some(text) = &text {
        let ready = |alg: SigningAlg| text.contains(&format!("\"alg\":\"{}\"", alg.as_str()));
        if needed.iter().all(|a| ready(*a)) {
            let doc = documents::built(&key, text, "public, max-age=60", || {
                Ok(text.as_bytes().to_vec())
            })?;
            // Built from the application record (its pool and algorithms) and the pool's
            // published set as this isolate cached it.
            hot.remember(&doc, &[(hot_routes::jwks_read(&app.pool_id), text)]);
            return documents::respond(&doc, if_none_match);
        }
    }
    let mut set = text
        .map(|t| serde_json::from_str::<Value>(&t))
        .transpose()
        .map_err(crate::store::StoreError::from)?;
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
                Placement::of_app(app),
                VaultCommand::ActiveKey {
                    pool: app.pool_id.clone(),
                    alg,
                },
            )
            .await?;
            set = kv.jwks(&app.pool_id).await?;
        }
    }
    let body = serde_json::to_vec(&set.unwrap_or_else(|| serde_json::json!({"keys": []})))
        .map_err(crate::store::StoreError::from)?;
    let version = String::from_utf8_lossy(&body).into_owned();
    documents::serve(&key, &version, if_none_match, "public, max-age=60", || {
        Ok(body)
    })
}
