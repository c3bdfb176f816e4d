//! Storage adapters: KV for what every edge reads (applications, pools, resources, public
//! keys) and Durable Objects for what must be strongly consistent (codes, refresh families,
//! sessions, revocations, users, throttles, private keys). ARCHITECTURE.md "Where data lives".

pub mod audit;
pub mod cache;
pub mod clients;
pub mod directory;
pub mod factors;
pub mod grants;
pub mod isolate_version;
pub mod kv;
pub mod passkeys;
pub mod placement;
pub mod rpc;
pub mod shards;
pub mod tag_first;
pub mod vault;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("runtime: {0}")]
    Runtime(String),
    #[error("json: {0}")]
    Json(#[from] serde_json::Error),
    #[error("object: {0}")]
    Object(String),
    #[error("crypto: {0}")]
    Crypto(#[from] crate::crypto::webcrypto::CryptoError),
}

impl From<worker::Error> for StoreError {
    fn from(e: worker::Error) -> Self {
        StoreError::Runtime(e.to_string())
    }
}

impl From<worker::kv::KvError> for StoreError {
    fn from(e: worker::kv::KvError) -> Self {
        StoreError::Runtime(format!("kv: {e:?}"))
    }
}

impl From<getrandom::Error> for StoreError {
    fn from(e: getrandom::Error) -> Self {
        StoreError::Runtime(format!("random: {e}"))
    }
}
