//! Workers KV: applications (by client id and by subdomain, each holding the whole record so
//! a request needs one read), resources, and the public JWKS of each pool. KV is eventually
//! consistent at the edge (about a minute): a rotated secret, a removed redirect URI or a
//! deleted application can keep working elsewhere for that long. Locally it is immediate.

use serde_json::Value;
use worker::kv::KvStore;
use worker::Env;

use super::StoreError;
use crate::oidc::model::{Application, Pool, Resource};

pub const BINDING: &str = "DOORWARD_KV";

pub struct Kv(KvStore);

impl Kv {
    pub fn new(env: &Env) -> Result<Kv, StoreError> {
        Ok(Kv(env.kv(BINDING)?))
    }

    pub async fn app_by_subdomain(
        &self,
        subdomain: &str,
    ) -> Result<Option<Application>, StoreError> {
        Ok(self.0.get(&format!("sub:{subdomain}")).json().await?)
    }

    pub async fn app_by_client_id(
        &self,
        client_id: &str,
    ) -> Result<Option<Application>, StoreError> {
        Ok(self.0.get(&format!("app:{client_id}")).json().await?)
    }

    pub async fn put_app(&self, app: &Application) -> Result<(), StoreError> {
        let json = serde_json::to_string(app)?;
        self.0
            .put(&format!("app:{}", app.client_id), json.clone())?
            .execute()
            .await?;
        self.0
            .put(&format!("sub:{}", app.subdomain), json)?
            .execute()
            .await?;
        Ok(())
    }

    pub async fn delete_app(&self, app: &Application) -> Result<(), StoreError> {
        self.0.delete(&format!("sub:{}", app.subdomain)).await?;
        self.0.delete(&format!("app:{}", app.client_id)).await?;
        Ok(())
    }

    pub async fn delete_subdomain(&self, subdomain: &str) -> Result<(), StoreError> {
        self.0.delete(&format!("sub:{subdomain}")).await?;
        Ok(())
    }

    /// Lists applications (up to 1,000 per page of KV keys).
    pub async fn list_apps(&self) -> Result<Vec<Application>, StoreError> {
        self.list_prefix("app:").await
    }

    async fn list_prefix<T: serde::de::DeserializeOwned>(
        &self,
        prefix: &str,
    ) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut b = self.0.list().prefix(prefix.to_string()).limit(1000);
            if let Some(c) = cursor.take() {
                b = b.cursor(c);
            }
            let page = b.execute().await?;
            for key in &page.keys {
                if let Some(v) = self.0.get(&key.name).json::<T>().await? {
                    out.push(v);
                }
            }
            if page.list_complete {
                break;
            }
            cursor = page.cursor;
            if cursor.is_none() {
                break;
            }
        }
        Ok(out)
    }

    pub async fn resource(&self, pool: &str, code: &str) -> Result<Option<Resource>, StoreError> {
        Ok(self.0.get(&format!("res:{pool}:{code}")).json().await?)
    }

    pub async fn put_resource(&self, r: &Resource) -> Result<(), StoreError> {
        self.0
            .put(
                &format!("res:{}:{}", r.pool_id, r.code),
                serde_json::to_string(r)?,
            )?
            .execute()
            .await?;
        Ok(())
    }

    pub async fn delete_resource(&self, pool: &str, code: &str) -> Result<(), StoreError> {
        self.0.delete(&format!("res:{pool}:{code}")).await?;
        Ok(())
    }

    pub async fn list_resources(&self, pool: &str) -> Result<Vec<Resource>, StoreError> {
        self.list_prefix(&format!("res:{pool}:")).await
    }

    pub async fn pool(&self, id: &str) -> Result<Option<Pool>, StoreError> {
        Ok(self.0.get(&format!("pool:{id}")).json().await?)
    }

    pub async fn put_pool(&self, pool: &Pool) -> Result<(), StoreError> {
        self.0
            .put(&format!("pool:{}", pool.id), serde_json::to_string(pool)?)?
            .execute()
            .await?;
        Ok(())
    }

    pub async fn list_pools(&self) -> Result<Vec<Pool>, StoreError> {
        self.list_prefix("pool:").await
    }

    /// The pool's public JWKS, mirrored here by the key vault.
    pub async fn jwks(&self, pool: &str) -> Result<Option<Value>, StoreError> {
        Ok(self.0.get(&format!("jwks:{pool}")).json().await?)
    }

    pub async fn put_jwks(&self, pool: &str, jwks: &Value) -> Result<(), StoreError> {
        self.0
            .put(&format!("jwks:{pool}"), jwks.to_string())?
            .execute()
            .await?;
        Ok(())
    }
}
