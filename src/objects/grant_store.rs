//! The `GrantStore` Durable Object: one shard of codes, refresh families, sessions,
//! interactions and revoked ids. Each command runs as synchronous SQL with no await between
//! its read and its write, so the object's input gate makes it atomic: of N racing takes of a
//! code exactly one is `Fresh`. The transitions themselves are `oidc::records` functions.
//! Expired rows are swept by an alarm, so storage does not grow without bound.

use serde::{de::DeserializeOwned, Serialize};
use worker::{durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, State};

use crate::oidc::records::{self, CodeRecord, RefreshFamily};
use crate::store::grants::GrantCommand;
use crate::store::rpc::{self, Answer};
use crate::store::StoreError;

#[durable_object]
pub struct GrantStore {
    state: State,
    sql: SqlStorage,
    /// The alarm this instance knows is set (ms), so a put does not read it from storage
    /// each time; a fresh instance reads it once. Only ever earlier than or equal to the
    /// stored alarm's time, never later, so a sweep is never missed.
    alarm_at: std::cell::Cell<Option<i64>>,
}

#[derive(serde::Deserialize)]
struct Row {
    value: String,
    expires_at: f64,
}

impl GrantStore {
    /// The row a statement about `key` returns (a `SELECT`, or a `DELETE … RETURNING`), if
    /// any.
    fn row(&self, statement: &str, key: &str) -> std::result::Result<Option<Row>, StoreError> {
        let rows: Vec<Row> = self.sql.exec(statement, vec![key.into()])?.to_array()?;
        Ok(rows.into_iter().next())
    }

    /// The stored row of `key`, its record unparsed.
    fn stored(&self, key: &str) -> std::result::Result<Option<Row>, StoreError> {
        self.row("SELECT value, expires_at FROM records WHERE key = ?", key)
    }

    /// The record of `key` and its expiry, if any.
    fn read<T: DeserializeOwned>(
        &self,
        key: &str,
    ) -> std::result::Result<Option<(T, u64)>, StoreError> {
        match self.stored(key)? {
            Some(r) => Ok(Some((serde_json::from_str(&r.value)?, r.expires_at as u64))),
            None => Ok(None),
        }
    }

    fn write<T: Serialize>(
        &self,
        key: &str,
        value: &T,
        expires_at: u64,
    ) -> std::result::Result<(), StoreError> {
        self.sql.exec(
            "INSERT OR REPLACE INTO records (key, value, expires_at) VALUES (?, ?, ?)",
            vec![
                key.into(),
                serde_json::to_string(value)?.into(),
                (expires_at as i64).into(),
            ],
        )?;
        Ok(())
    }

    fn remove(&self, key: &str) -> std::result::Result<(), StoreError> {
        self.sql
            .exec("DELETE FROM records WHERE key = ?", vec![key.into()])?;
        Ok(())
    }

    /// Makes sure an alarm will sweep the earliest expiry.
    async fn schedule_sweep(&self, expires_at: u64) -> std::result::Result<(), StoreError> {
        let at_ms = (expires_at as i64) * 1000 + 1000;
        if self.alarm_at.get().is_some_and(|known| known <= at_ms) {
            return Ok(());
        }
        let storage = self.state.storage();
        match storage.get_alarm().await? {
            Some(existing) if existing <= at_ms => {
                self.alarm_at.set(Some(existing));
                Ok(())
            }
            _ => {
                storage.set_alarm(at_ms).await?;
                self.alarm_at.set(Some(at_ms));
                Ok(())
            }
        }
    }

    async fn run(&self, cmd: GrantCommand) -> std::result::Result<Answer, StoreError> {
        Ok(match cmd {
            GrantCommand::Put {
                key,
                value,
                expires_at,
                create_only,
            } => {
                if create_only && self.stored(&key)?.is_some() {
                    return Answer::of(&false);
                }
                self.write(&key, &value, expires_at)?;
                self.schedule_sweep(expires_at).await?;
                Answer::of(&true)?
            }
            // No await between the two statements: one implicit transaction, one commit.
            GrantCommand::PutEnding {
                key,
                value,
                expires_at,
                ends,
            } => {
                self.remove(&ends)?;
                self.write(&key, &value, expires_at)?;
                self.schedule_sweep(expires_at).await?;
                Answer::of(&true)?
            }
            // The record's text as stored: the caller parses it into its own type.
            GrantCommand::Get { key, now } => match self.stored(&key)? {
                Some(row) if row.expires_at as u64 > now => Answer::stored(row.value),
                _ => Answer::null(),
            },
            // One statement: the row goes and what it held comes back.
            GrantCommand::Delete { key } => self
                .row(
                    "DELETE FROM records WHERE key = ? RETURNING value, expires_at",
                    &key,
                )?
                .map_or_else(Answer::null, |row| Answer::stored(row.value)),
            GrantCommand::TakeCode {
                key,
                client_id,
                now,
                issue,
            } => {
                let current = self.read::<CodeRecord>(&key)?.map(|(r, _)| r);
                let (outcome, next) = records::take_code(current, &client_id, now, issue);
                match next {
                    Some(r) => {
                        let exp = r.expires_at;
                        self.write(&key, &r, exp)?;
                    }
                    None => self.remove(&key)?,
                }
                Answer::of(&outcome)?
            }
            GrantCommand::RotateRefresh { key, request } => {
                let current = self.read::<RefreshFamily>(&key)?.map(|(f, _)| f);
                let (outcome, next) = records::rotate_refresh(current, &request);
                if let Some(f) = next {
                    let exp = f.expires_at;
                    self.write(&key, &f, exp)?;
                }
                Answer::of(&outcome)?
            }
            GrantCommand::RevokeFamily {
                key,
                tombstone_until,
            } => match self.read::<RefreshFamily>(&key)? {
                Some((mut f, exp)) => {
                    let was_live = !f.revoked;
                    f.revoked = true;
                    self.write(&key, &f, exp)?;
                    if was_live {
                        Answer::of(&f)?
                    } else {
                        Answer::null()
                    }
                }
                None => {
                    let tomb =
                        records::tombstone_family(key.trim_start_matches("rtf:"), tombstone_until);
                    self.write(&key, &tomb, tombstone_until)?;
                    self.schedule_sweep(tombstone_until).await?;
                    Answer::null()
                }
            },
        })
    }
}

impl rpc::CommandObject for GrantStore {
    type Command = GrantCommand;

    async fn run_command(&self, cmd: GrantCommand) -> std::result::Result<Answer, StoreError> {
        self.run(cmd).await
    }
}

command_entry!(GrantStore);

impl DurableObject for GrantStore {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        // Idempotent; runs before any command because the constructor is synchronous.
        let _ = sql.exec(
            "CREATE TABLE IF NOT EXISTS records (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER NOT NULL)",
            None,
        );
        let _ = sql.exec(
            "CREATE INDEX IF NOT EXISTS records_expiry ON records (expires_at)",
            None,
        );
        GrantStore {
            state,
            sql,
            alarm_at: std::cell::Cell::new(None),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        rpc::serve(self, req).await
    }

    async fn alarm(&self) -> Result<Response> {
        let now = (worker::Date::now().as_millis() / 1000) as i64;
        self.sql.exec(
            "DELETE FROM records WHERE expires_at <= ?",
            vec![now.into()],
        )?;
        #[derive(serde::Deserialize)]
        struct Next {
            next: Option<f64>,
        }
        let next: Vec<Next> = self
            .sql
            .exec("SELECT MIN(expires_at) AS next FROM records", None)?
            .to_array()?;
        // The alarm that fired is gone; what this instance knew is stale either way.
        self.alarm_at.set(None);
        if let Some(n) = next.into_iter().next().and_then(|n| n.next) {
            let at = (n as i64) * 1000 + 1000;
            self.state.storage().set_alarm(at).await?;
            self.alarm_at.set(Some(at));
        }
        Response::ok("swept")
    }
}
