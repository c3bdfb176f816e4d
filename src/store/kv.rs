//! Workers KV: applications (by client id and by subdomain, each holding the whole record so
//! a request needs one read), user pools, resources, and the public JWKS of each pool. KV is
//! eventually consistent at the edge (about a minute): a rotated secret, a removed redirect
//! URI or a deleted application can keep working elsewhere for that long. Locally it is
//! immediate. Hot reads go through the per-isolate `cache`; every write here drops the entry.

use serde::de::DeserializeOwned;
use serde_json::Value;
use worker::kv::KvStore;
use worker::Env;

use super::{cache, StoreError};
use crate::oidc::model::{Application, Pool, Resource};

pub const BINDING: &str = "DOORWARD_KV";

thread_local! {
    /// Applications parsed from KV text, by key, with the text they were parsed from.
    static PARSED_APPS: std::cell::RefCell<std::collections::HashMap<String, (String, Application, u64)>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
    /// Numbers each parse, so a record's version changes whenever its stored text does.
    static PARSES: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

pub struct Kv(KvStore);

/// The key of the application of a subdomain (also its per-isolate cache key, which
/// `http::hot_routes` checks).
pub fn subdomain_key(subdomain: &str) -> String {
    format!("sub:{subdomain}")
}

/// The key of the application of a claimed custom host.
pub fn host_key(host: &str) -> String {
    format!("host:{host}")
}

/// The key of a pool's published JWKS.
pub fn jwks_key(pool: &str) -> String {
    format!("jwks:{pool}")
}

impl Kv {
    pub fn new(env: &Env) -> Result<Kv, StoreError> {
        Ok(Kv(env.kv(BINDING)?))
    }

    async fn read<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        Ok(self.0.get(key).json().await?)
    }

    /// A key's text through the isolate cache (a "not found" is cached too).
    async fn cached_text(&self, key: &str) -> Result<Option<String>, StoreError> {
        if let Some(t) = cache::get(key) {
            return Ok(t);
        }
        let t = self.0.get(key).text().await?;
        cache::put(key, t.clone());
        Ok(t)
    }

    /// A JSON value through the isolate cache (a "not found" is cached too).
    async fn read_cached<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let text = self.cached_text(key).await?;
        Ok(text.map(|t| serde_json::from_str(&t)).transpose()?)
    }

    async fn write(&self, key: &str, json: String) -> Result<(), StoreError> {
        self.0.put(key, json)?.execute().await?;
        cache::forget(key);
        Ok(())
    }

    async fn remove(&self, key: &str) -> Result<(), StoreError> {
        self.0.delete(key).await?;
        cache::forget(key);
        Ok(())
    }

    /// Read on every issuer request: parsed once per isolate per stored text, so a warm
    /// isolate compares the cached text instead of parsing the record again.
    ///
    /// With it comes a version that changes whenever the stored record does (within this
    /// isolate), for documents built from the application (`http::documents`).
    pub async fn app_by_subdomain(
        &self,
        subdomain: &str,
    ) -> Result<Option<(Application, u64)>, StoreError> {
        self.app_by_index(subdomain_key(subdomain)).await
    }

    /// The application that claimed `host` as its own, with its version.
    pub async fn app_by_host(&self, host: &str) -> Result<Option<(Application, u64)>, StoreError> {
        self.app_by_index(host_key(host)).await
    }

    async fn app_by_index(&self, key: String) -> Result<Option<(Application, u64)>, StoreError> {
        let Some(text) = self.cached_text(&key).await? else {
            return Ok(None);
        };
        if let Some(app) = PARSED_APPS.with(|p| {
            p.borrow()
                .get(&key)
                .filter(|(t, _, _)| *t == text)
                .map(|(_, a, v)| (a.clone(), *v))
        }) {
            return Ok(Some(app));
        }
        let app: Application = serde_json::from_str(&text)?;
        let version = PARSES.with(|n| {
            n.set(n.get() + 1);
            n.get()
        });
        PARSED_APPS.with(|p| {
            let mut map = p.borrow_mut();
            if map.len() >= 1_000 {
                map.clear();
            }
            map.insert(key, (text, app.clone(), version));
        });
        Ok(Some((app, version)))
    }

    pub async fn app_by_client_id(
        &self,
        client_id: &str,
    ) -> Result<Option<Application>, StoreError> {
        self.read(&format!("app:{client_id}")).await
    }

    pub async fn put_app(&self, app: &Application) -> Result<(), StoreError> {
        let json = serde_json::to_string(app)?;
        for host in &app.custom_domains {
            self.write(&host_key(host), json.clone()).await?;
        }
        self.put_app_json(&app.client.client_id, &app.subdomain, json)
            .await
    }

    /// Removes a host an application no longer claims.
    pub async fn delete_host(&self, host: &str) -> Result<(), StoreError> {
        self.remove(&host_key(host)).await
    }

    /// Writes an application record's JSON as given (the debug probe that recreates records
    /// of older releases uses it directly).
    pub async fn put_app_json(
        &self,
        client_id: &str,
        subdomain: &str,
        json: String,
    ) -> Result<(), StoreError> {
        self.write(&format!("app:{client_id}"), json.clone())
            .await?;
        self.write(&subdomain_key(subdomain), json).await
    }

    pub async fn delete_app(&self, app: &Application) -> Result<(), StoreError> {
        for host in &app.custom_domains {
            self.remove(&host_key(host)).await?;
        }
        self.remove(&subdomain_key(&app.subdomain)).await?;
        self.remove(&format!("app:{}", app.client.client_id)).await
    }

    pub async fn delete_subdomain(&self, subdomain: &str) -> Result<(), StoreError> {
        self.remove(&subdomain_key(subdomain)).await
    }

    /// Lists applications (KV lists keys a thousand at a time).
    pub async fn list_apps(&self) -> Result<Vec<Application>, StoreError> {
        self.list_prefix("app:").await
    }

    async fn list_prefix<T: DeserializeOwned>(&self, prefix: &str) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut b = self.0.list().prefix(prefix.to_string()).limit(1000);
            if let Some(c) = cursor.take() {
                b = b.cursor(c);
            }
            let page = b.execute().await?;
            for key in &page.keys {
                if let Some(v) = self.read::<T>(&key.name).await? {
                    out.push(v);
                }
            }
            if page.list_complete || page.cursor.is_none() {
                break;
            }
            cursor = page.cursor;
        }
        Ok(out)
    }

    /// A client record's JSON (`store::clients`), through the isolate cache.
    pub async fn client_text(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.cached_text(key).await
    }

    pub async fn put_text(&self, key: &str, text: String) -> Result<(), StoreError> {
        self.write(key, text).await
    }

    pub async fn remove_text(&self, key: &str) -> Result<(), StoreError> {
        self.remove(key).await
    }

    pub async fn resource(&self, pool: &str, code: &str) -> Result<Option<Resource>, StoreError> {
        self.read(&format!("res:{pool}:{code}")).await
    }

    pub async fn put_resource(&self, r: &Resource) -> Result<(), StoreError> {
        cache::forget(&format!("reslist:{}", r.pool_id));
        self.write(
            &format!("res:{}:{}", r.pool_id, r.code),
            serde_json::to_string(r)?,
        )
        .await
    }

    pub async fn delete_resource(&self, pool: &str, code: &str) -> Result<(), StoreError> {
        cache::forget(&format!("reslist:{pool}"));
        self.remove(&format!("res:{pool}:{code}")).await
    }

    /// Every client_credentials request reads this list, so it goes through the isolate cache
    /// like a single key (one KV list plus a read per resource otherwise).
    pub async fn list_resources(&self, pool: &str) -> Result<Vec<Resource>, StoreError> {
        let key = format!("reslist:{pool}");
        if let Some(Some(text)) = cache::get(&key) {
            return Ok(serde_json::from_str(&text)?);
        }
        let list: Vec<Resource> = self.list_prefix(&format!("res:{pool}:")).await?;
        cache::put(&key, Some(serde_json::to_string(&list)?));
        Ok(list)
    }

    pub async fn pool(&self, id: &str) -> Result<Option<Pool>, StoreError> {
        self.read_cached(&format!("pool:{id}")).await
    }

    pub async fn put_pool(&self, pool: &Pool) -> Result<(), StoreError> {
        self.write(&format!("pool:{}", pool.id), serde_json::to_string(pool)?)
            .await
    }

    pub async fn list_pools(&self) -> Result<Vec<Pool>, StoreError> {
        self.list_prefix("pool:").await
    }

    /// The pool's public JWKS as stored (its text is its version).
    pub async fn jwks_text(&self, pool: &str) -> Result<Option<String>, StoreError> {
        let key = jwks_key(pool);
        self.cached_text(&key).await
    }

    /// The pool's public JWKS, mirrored here by the key vault.
    pub async fn jwks(&self, pool: &str) -> Result<Option<Value>, StoreError> {
        self.read_cached(&jwks_key(pool)).await
    }

    pub async fn put_jwks(&self, pool: &str, jwks: &Value) -> Result<(), StoreError> {
        self.write(&jwks_key(pool), jwks.to_string()).await
    }
}
