//! A pool's audit log: one `AuditLog` Durable Object per pool (named by the pool's id), its
//! events in SQLite with the indexes the console's filters use. Written after the response
//! (`http::audit::append`, batched per isolate by `http::audit_batch`), read by the admin API.

use serde::{Deserialize, Serialize};
use worker::Env;

use super::placement::Placement;
use super::tag_first::tagged_enum;
use super::{rpc, StoreError};
use crate::oidc::audit::AuditEvent;
use crate::oidc::audit_query::{ActiveRow, AuditFilter, AuditPage, CountRow, StatsQuery};

pub const BINDING: &str = "AUDIT";

tagged_enum! {
    #[derive(Debug)]
    pub enum AuditCommand by "op" as "AuditCommand" {
        /// Appends events and applies the pool's retention (events older than it are dropped).
        Append {
            events: Vec<AuditEvent>,
            retention_days: u32,
            now: u64,
        },
        /// A new retention, applied at once.
        SetRetention { retention_days: u32, now: u64 },
        /// Matching events, newest first.
        List { filter: AuditFilter },
        /// Counts per bucket of the charted kinds, and distinct active users.
        Stats { query: StatsQuery },
    }
}

/// What `Stats` answers: the rows `oidc::audit_query::shape` lays out.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StatsRows {
    pub counts: Vec<CountRow>,
    pub active: Vec<ActiveRow>,
}

pub async fn call<T: serde::de::DeserializeOwned>(
    env: &Env,
    pool: &str,
    at: Placement,
    cmd: AuditCommand,
) -> Result<T, StoreError> {
    rpc::call(env, BINDING, at, pool, &cmd).await
}

pub async fn list(
    env: &Env,
    pool: &str,
    at: Placement,
    filter: AuditFilter,
) -> Result<AuditPage, StoreError> {
    call(env, pool, at, AuditCommand::List { filter }).await
}
