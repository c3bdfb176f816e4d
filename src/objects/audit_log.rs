//! The `AuditLog` Durable Object: one pool's security events in SQLite, indexed by time and by
//! the console's filters (kind, user, client), listed newest first by id, and counted per
//! hour or day in SQL for the charts. Retention (the pool's `audit_retention_days`, sent with
//! every append) is applied as events are written, at most hourly, and by a daily alarm, so
//! an idle pool's log still shrinks. A burst of refusals of one locked account is kept as one
//! event a minute, so hammering a lock cannot fill the log.

use std::cell::Cell;

use serde_json::Value;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue,
    State,
};

use crate::oidc::audit::{
    AuditEvent, FailureReason, What, DEFAULT_RETENTION_DAYS, MAX_RETENTION_DAYS,
};
use crate::oidc::audit_query::{
    ActiveRow, AuditFilter, AuditPage, CountRow, StatsQuery, ACTIVE, CHARTED,
};
use crate::store::audit::{AuditCommand, StatsRows};
use crate::store::{rpc, StoreError};

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL, \
     kind TEXT NOT NULL, application_id TEXT, client_id TEXT, user_id TEXT, label TEXT, \
     data TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS events_time ON events (time)",
    "CREATE INDEX IF NOT EXISTS events_kind ON events (kind, seq)",
    "CREATE INDEX IF NOT EXISTS events_user ON events (user_id, seq)",
    "CREATE INDEX IF NOT EXISTS events_client ON events (client_id, seq)",
    "CREATE TABLE IF NOT EXISTS settings (key TEXT PRIMARY KEY, value INTEGER NOT NULL)",
];

const DAY: u64 = 86_400;
/// Retention is applied on write at most this often (it is also applied daily by the alarm).
const PRUNE_EVERY: u64 = 3600;
/// Refusals while locked are kept at most once a minute per user and client (the first of a
/// burst says it all).
const LOCK_REFUSALS_EVERY: u64 = 60;

#[durable_object]
pub struct AuditLog {
    state: State,
    sql: SqlStorage,
    /// When this instance last applied retention (seconds).
    pruned_at: Cell<u64>,
    /// The retention this instance last wrote (or found written).
    retention_written: Cell<Option<u32>>,
    /// Whether this instance knows an alarm is set.
    alarm_set: Cell<bool>,
}

type R<T> = std::result::Result<T, StoreError>;

fn s(v: &str) -> SqlStorageValue {
    v.into()
}

fn int(v: u64) -> SqlStorageValue {
    (v.min(i64::MAX as u64) as i64).into()
}

fn opt(v: &Option<String>) -> SqlStorageValue {
    match v {
        Some(v) => s(v),
        None => SqlStorageValue::Null,
    }
}

/// `?, ?, …` for `n` bindings.
fn marks(n: usize) -> String {
    vec!["?"; n].join(", ")
}

impl AuditLog {
    fn retention_days(&self) -> R<u32> {
        #[derive(serde::Deserialize)]
        struct Row {
            value: f64,
        }
        let rows: Vec<Row> = self
            .sql
            .exec(
                "SELECT value FROM settings WHERE key = 'retention_days'",
                None,
            )?
            .to_array()?;
        Ok(rows
            .first()
            .map(|r| r.value as u32)
            .unwrap_or(DEFAULT_RETENTION_DAYS))
    }

    fn set_retention(&self, days: u32) -> R<()> {
        let days = days.clamp(1, MAX_RETENTION_DAYS);
        // Every append states the pool's retention; a write only when it changed, since each
        // SQL write is a storage transaction of its own.
        if self.retention_written.get() == Some(days) {
            return Ok(());
        }
        self.sql.exec(
            "INSERT INTO settings (key, value) VALUES ('retention_days', ?) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            vec![int(u64::from(days))],
        )?;
        self.retention_written.set(Some(days));
        Ok(())
    }

    fn prune(&self, now: u64) -> R<()> {
        let keep = u64::from(self.retention_days()?) * DAY;
        self.sql.exec(
            "DELETE FROM events WHERE time < ?",
            vec![int(now.saturating_sub(keep))],
        )?;
        self.pruned_at.set(now);
        Ok(())
    }

    async fn ensure_alarm(&self, now: u64) -> R<()> {
        if self.alarm_set.get() {
            return Ok(());
        }
        let storage = self.state.storage();
        if storage.get_alarm().await?.is_none() {
            storage.set_alarm(((now + DAY) * 1000) as i64).await?;
        }
        self.alarm_set.set(true);
        Ok(())
    }

    /// Whether `e` repeats a refusal of a locked account (or address) kept in the last
    /// minute: a client hammering a lock would otherwise write an event per request.
    fn repeats_a_lock_refusal(&self, e: &AuditEvent) -> R<bool> {
        if !matches!(
            &e.what,
            What::SignInFailed {
                reason: FailureReason::Locked,
                ..
            }
        ) {
            return Ok(false);
        }
        let rows: Vec<Value> = self
            .sql
            .exec(
                "SELECT 1 AS hit FROM events WHERE kind = ? AND label = ? AND user_id IS ? \
                 AND client_id IS ? AND time >= ? LIMIT 1",
                vec![
                    s(e.kind().as_str()),
                    opt(&e.what.label().map(str::to_string)),
                    opt(&e.user_id),
                    opt(&e.client_id),
                    int(e.time.saturating_sub(LOCK_REFUSALS_EVERY)),
                ],
            )?
            .to_array()?;
        Ok(!rows.is_empty())
    }

    fn append(&self, events: &[AuditEvent]) -> R<()> {
        for e in events {
            if self.repeats_a_lock_refusal(e)? {
                continue;
            }
            let mut stored = e.clone();
            stored.id = None;
            self.sql.exec(
                "INSERT INTO events (time, kind, application_id, client_id, user_id, label, data) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
                vec![
                    int(e.time),
                    s(e.kind().as_str()),
                    opt(&e.application_id),
                    opt(&e.client_id),
                    opt(&e.user_id),
                    opt(&e.what.label().map(str::to_string)),
                    s(&serde_json::to_string(&stored)?),
                ],
            )?;
        }
        Ok(())
    }

    fn list(&self, f: &AuditFilter) -> R<AuditPage> {
        let mut clauses: Vec<&str> = Vec::new();
        let mut binds: Vec<SqlStorageValue> = Vec::new();
        if let Some(k) = f.kind {
            clauses.push("kind = ?");
            binds.push(s(k.as_str()));
        }
        if let Some(u) = &f.user_id {
            clauses.push("user_id = ?");
            binds.push(s(u));
        }
        if let Some(c) = &f.client_id {
            clauses.push("client_id = ?");
            binds.push(s(c));
        }
        if let Some(t) = f.since {
            clauses.push("time >= ?");
            binds.push(int(t));
        }
        if let Some(t) = f.until {
            clauses.push("time < ?");
            binds.push(int(t));
        }
        if let Some(c) = f.cursor {
            clauses.push("seq < ?");
            binds.push(int(c));
        }
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        binds.push(int(u64::from(f.limit) + 1));
        #[derive(serde::Deserialize)]
        struct Row {
            seq: f64,
            data: String,
        }
        let rows: Vec<Row> = self
            .sql
            .exec(
                &format!("SELECT seq, data FROM events {filter} ORDER BY seq DESC LIMIT ?"),
                binds,
            )?
            .to_array()?;
        let more = rows.len() > f.limit as usize;
        let mut items = Vec::with_capacity(rows.len());
        for r in rows.into_iter().take(f.limit as usize) {
            let mut e: AuditEvent = serde_json::from_str(&r.data)?;
            e.id = Some(r.seq as u64);
            items.push(e);
        }
        let next_cursor = if more {
            items.last().and_then(|e| e.id)
        } else {
            None
        };
        Ok(AuditPage { items, next_cursor })
    }

    /// Counts per bucket: a row stands for its `count` (a tally of machine tokens,
    /// `oidc::audit_tally`) or for one — rows written before tallies have none, so no
    /// column was added and old logs count as they did.
    fn stats(&self, q: &StatsQuery) -> R<StatsRows> {
        #[derive(serde::Deserialize)]
        struct Count {
            t: f64,
            kind: String,
            app: String,
            lbl: String,
            n: f64,
        }
        let w = q.bucket.secs();
        let mut binds = vec![int(w), int(q.since), int(q.until)];
        binds.extend(CHARTED.iter().map(|k| s(k.as_str())));
        let counts: Vec<Count> = self
            .sql
            .exec(
                &format!(
                    "SELECT (time - time % ?) AS t, kind, COALESCE(application_id, '') AS app, \
                     COALESCE(label, '') AS lbl, SUM(COALESCE(json_extract(data, '$.count'), 1)) AS n FROM events \
                     WHERE time >= ? AND time < ? AND kind IN ({}) GROUP BY t, kind, app, lbl",
                    marks(CHARTED.len())
                ),
                binds,
            )?
            .to_array()?;
        #[derive(serde::Deserialize)]
        struct Active {
            t: f64,
            n: f64,
        }
        let mut binds = vec![int(w), int(q.since), int(q.until)];
        binds.extend(ACTIVE.iter().map(|k| s(k.as_str())));
        let active: Vec<Active> = self
            .sql
            .exec(
                &format!(
                    "SELECT (time - time % ?) AS t, COUNT(DISTINCT user_id) AS n FROM events \
                     WHERE time >= ? AND time < ? AND user_id IS NOT NULL AND kind IN ({}) \
                     GROUP BY t",
                    marks(ACTIVE.len())
                ),
                binds,
            )?
            .to_array()?;
        Ok(StatsRows {
            counts: counts
                .into_iter()
                .map(|c| CountRow {
                    t: c.t as u64,
                    kind: c.kind,
                    application_id: c.app,
                    label: c.lbl,
                    n: c.n as u64,
                })
                .collect(),
            active: active
                .into_iter()
                .map(|a| ActiveRow {
                    t: a.t as u64,
                    n: a.n as u64,
                })
                .collect(),
        })
    }

    async fn run(&self, cmd: AuditCommand) -> R<Value> {
        Ok(match cmd {
            AuditCommand::Append {
                events,
                retention_days,
                now,
            } => {
                self.set_retention(retention_days)?;
                self.append(&events)?;
                if now.saturating_sub(self.pruned_at.get()) >= PRUNE_EVERY {
                    self.prune(now)?;
                }
                self.ensure_alarm(now).await?;
                Value::Null
            }
            AuditCommand::SetRetention {
                retention_days,
                now,
            } => {
                self.set_retention(retention_days)?;
                self.prune(now)?;
                Value::Null
            }
            AuditCommand::List { filter } => serde_json::to_value(self.list(&filter)?)?,
            AuditCommand::Stats { query } => serde_json::to_value(self.stats(&query)?)?,
        })
    }
}

impl rpc::CommandObject for AuditLog {
    type Command = AuditCommand;

    async fn run_command(&self, cmd: AuditCommand) -> std::result::Result<rpc::Answer, StoreError> {
        self.run(cmd).await.map(rpc::Answer::from)
    }
}

command_entry!(AuditLog);

impl DurableObject for AuditLog {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        for stmt in SCHEMA {
            let _ = sql.exec(stmt, None);
        }
        AuditLog {
            state,
            sql,
            pruned_at: Cell::new(0),
            retention_written: Cell::new(None),
            alarm_set: Cell::new(false),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        rpc::serve(self, req).await
    }

    /// Daily: applies retention, and comes back tomorrow while there is anything left.
    async fn alarm(&self) -> Result<Response> {
        let now = worker::Date::now().as_millis() / 1000;
        self.prune(now)
            .map_err(|e| worker::Error::RustError(e.to_string()))?;
        self.alarm_set.set(false);
        #[derive(serde::Deserialize)]
        struct Count {
            n: f64,
        }
        let left: Vec<Count> = self
            .sql
            .exec("SELECT EXISTS (SELECT 1 FROM events) AS n", None)?
            .to_array()?;
        if left.first().is_some_and(|c| c.n > 0.0) {
            self.state
                .storage()
                .set_alarm(((now + DAY) * 1000) as i64)
                .await?;
            self.alarm_set.set(true);
        }
        Response::ok("pruned")
    }
}
