//! The `ClientRegistry` Durable Object: one application's clients beyond its primary one
//! (the authoritative copy; KV mirrors it), the hashes of their registration access tokens,
//! the initial access tokens an admin minted, and the per-source registration counters.
//! Every command is synchronous SQL, so a registration's rate check, token use and insert are
//! one atomic step under the object's input gate.

use serde::de::DeserializeOwned;
use serde_json::Value;
use subtle::ConstantTimeEq;
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue,
    State,
};

use crate::oidc::client::ClientRecord;
use crate::store::clients::{
    InitialAccessToken, Registered, RegistryCommand, REGISTRATIONS_PER_WINDOW,
    REGISTRATION_WINDOW_SECS,
};
use crate::store::{rpc, StoreError};

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS clients (client_id TEXT PRIMARY KEY, data TEXT NOT NULL, \
     registration_token_hash TEXT, created_at INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS initial_tokens (id TEXT PRIMARY KEY, token_hash TEXT NOT NULL \
     UNIQUE, expires_at INTEGER NOT NULL, uses_left INTEGER, created_at INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS registration_counts (source TEXT PRIMARY KEY, \
     window_start INTEGER NOT NULL, count INTEGER NOT NULL)",
];

#[durable_object]
pub struct ClientRegistry {
    sql: SqlStorage,
}

type R<T> = std::result::Result<T, StoreError>;

fn s(v: &str) -> SqlStorageValue {
    v.into()
}

fn int(v: u64) -> SqlStorageValue {
    (v as i64).into()
}

#[derive(serde::Deserialize)]
struct ClientRow {
    data: String,
    registration_token_hash: Option<String>,
}

#[derive(serde::Deserialize)]
struct TokenRow {
    id: String,
    token_hash: String,
    expires_at: f64,
    uses_left: Option<f64>,
    created_at: f64,
}

impl TokenRow {
    fn into_token(self) -> InitialAccessToken {
        InitialAccessToken {
            id: self.id,
            token_hash: self.token_hash,
            expires_at: self.expires_at as u64,
            uses_left: self.uses_left.map(|u| u as u32),
            created_at: self.created_at as u64,
        }
    }
}

impl ClientRegistry {
    fn rows<T: DeserializeOwned>(&self, q: &str, b: Vec<SqlStorageValue>) -> R<Vec<T>> {
        Ok(self.sql.exec(q, b)?.to_array()?)
    }

    fn client(&self, client_id: &str) -> R<Option<(ClientRecord, Option<String>)>> {
        let rows: Vec<ClientRow> = self.rows(
            "SELECT data, registration_token_hash FROM clients WHERE client_id = ?",
            vec![s(client_id)],
        )?;
        match rows.into_iter().next() {
            Some(r) => Ok(Some((
                serde_json::from_str(&r.data)?,
                r.registration_token_hash,
            ))),
            None => Ok(None),
        }
    }

    fn save(&self, record: &ClientRecord, token_hash: Option<&str>) -> R<()> {
        let hash = match token_hash {
            Some(h) => s(h),
            None => SqlStorageValue::Null,
        };
        self.sql.exec(
            "INSERT INTO clients (client_id, data, registration_token_hash, created_at) \
             VALUES (?, ?, ?, ?) ON CONFLICT (client_id) DO UPDATE SET data = excluded.data, \
             registration_token_hash = COALESCE(excluded.registration_token_hash, \
             clients.registration_token_hash)",
            vec![
                s(&record.client.client_id),
                s(&serde_json::to_string(record)?),
                hash,
                int(record.created_at),
            ],
        )?;
        Ok(())
    }

    /// Counts a registration from `source` in its window; false when the window is full.
    fn count_registration(&self, source: &str, now: u64) -> R<Option<u64>> {
        #[derive(serde::Deserialize)]
        struct Row {
            window_start: f64,
            count: f64,
        }
        let rows: Vec<Row> = self.rows(
            "SELECT window_start, count FROM registration_counts WHERE source = ?",
            vec![s(source)],
        )?;
        let (start, count) = match rows.into_iter().next() {
            Some(r) if (r.window_start as u64) + REGISTRATION_WINDOW_SECS > now => {
                (r.window_start as u64, r.count as u32)
            }
            _ => (now, 0),
        };
        if count >= REGISTRATIONS_PER_WINDOW {
            return Ok(Some(start + REGISTRATION_WINDOW_SECS - now));
        }
        self.sql.exec(
            "INSERT OR REPLACE INTO registration_counts (source, window_start, count) VALUES (?, ?, ?)",
            vec![s(source), int(start), int(u64::from(count) + 1)],
        )?;
        // Old windows are dropped as they pass, so the table stays the size of one window.
        self.sql.exec(
            "DELETE FROM registration_counts WHERE window_start + ? <= ?",
            vec![int(REGISTRATION_WINDOW_SECS), int(now)],
        )?;
        Ok(None)
    }

    /// Spends one use of the initial access token whose hash is `hash`; false if it cannot.
    fn spend_initial_token(&self, hash: &str, now: u64) -> R<bool> {
        let rows: Vec<TokenRow> = self.rows(
            "SELECT id, token_hash, expires_at, uses_left, created_at FROM initial_tokens \
             WHERE token_hash = ?",
            vec![s(hash)],
        )?;
        let Some(t) = rows.into_iter().next().map(TokenRow::into_token) else {
            return Ok(false);
        };
        if t.expires_at <= now || t.uses_left == Some(0) {
            return Ok(false);
        }
        if let Some(n) = t.uses_left {
            self.sql.exec(
                "UPDATE initial_tokens SET uses_left = ? WHERE id = ?",
                vec![int(u64::from(n - 1)), s(&t.id)],
            )?;
        }
        Ok(true)
    }

    fn run(&self, cmd: RegistryCommand) -> R<Value> {
        use RegistryCommand as C;
        Ok(match cmd {
            C::PutClient { record } => {
                self.save(&record, None)?;
                Value::Null
            }
            C::GetClient { client_id } => {
                serde_json::to_value(self.client(&client_id)?.map(|(r, _)| r))?
            }
            C::ListClients => {
                let rows: Vec<ClientRow> = self.rows(
                    "SELECT data, registration_token_hash FROM clients ORDER BY created_at",
                    vec![],
                )?;
                let records = rows
                    .into_iter()
                    .map(|r| serde_json::from_str::<ClientRecord>(&r.data))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                serde_json::to_value(records)?
            }
            C::DeleteClient { client_id } => {
                let existed = self.client(&client_id)?.is_some();
                self.sql.exec(
                    "DELETE FROM clients WHERE client_id = ?",
                    vec![s(&client_id)],
                )?;
                Value::Bool(existed)
            }
            C::Register {
                record,
                registration_token_hash,
                source,
                initial_access_token_hash,
                now,
            } => {
                let outcome = if let Some(retry_after) = self.count_registration(&source, now)? {
                    Registered::RateLimited { retry_after }
                } else if initial_access_token_hash
                    .as_deref()
                    .is_some_and(|h| !matches!(self.spend_initial_token(h, now), Ok(true)))
                {
                    Registered::InitialTokenRefused
                } else {
                    self.save(&record, Some(&registration_token_hash))?;
                    Registered::Created
                };
                serde_json::to_value(outcome)?
            }
            C::GetRegistered {
                client_id,
                registration_token_hash,
            } => {
                let found = self.client(&client_id)?.filter(|(_, stored)| {
                    stored.as_deref().is_some_and(|h| {
                        bool::from(h.as_bytes().ct_eq(registration_token_hash.as_bytes()))
                    })
                });
                serde_json::to_value(found.map(|(r, _)| r))?
            }
            C::UpdateRegistered { record } => {
                self.save(&record, None)?;
                Value::Null
            }
            C::MintInitialToken { token } => {
                self.sql.exec(
                    "INSERT INTO initial_tokens (id, token_hash, expires_at, uses_left, created_at) \
                     VALUES (?, ?, ?, ?, ?)",
                    vec![
                        s(&token.id),
                        s(&token.token_hash),
                        int(token.expires_at),
                        match token.uses_left {
                            Some(n) => int(u64::from(n)),
                            None => SqlStorageValue::Null,
                        },
                        int(token.created_at),
                    ],
                )?;
                Value::Null
            }
            C::ListInitialTokens { now } => {
                // Spent and expired tokens are dropped as the list is read.
                self.sql.exec(
                    "DELETE FROM initial_tokens WHERE expires_at <= ? OR uses_left = 0",
                    vec![int(now)],
                )?;
                let rows: Vec<TokenRow> = self.rows(
                    "SELECT id, token_hash, expires_at, uses_left, created_at FROM initial_tokens \
                     ORDER BY created_at",
                    vec![],
                )?;
                serde_json::to_value(
                    rows.into_iter()
                        .map(TokenRow::into_token)
                        .map(|mut t| {
                            t.token_hash = String::new();
                            t
                        })
                        .collect::<Vec<_>>(),
                )?
            }
            C::RevokeInitialToken { id } => {
                self.sql
                    .exec("DELETE FROM initial_tokens WHERE id = ?", vec![s(&id)])?;
                Value::Null
            }
        })
    }
}

impl rpc::CommandObject for ClientRegistry {
    type Command = RegistryCommand;

    async fn run_command(
        &self,
        cmd: RegistryCommand,
    ) -> std::result::Result<rpc::Answer, StoreError> {
        self.run(cmd).map(rpc::Answer::from)
    }
}

command_entry!(ClientRegistry);

impl DurableObject for ClientRegistry {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        for stmt in SCHEMA {
            let _ = sql.exec(stmt, None);
        }
        ClientRegistry { sql }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        rpc::serve(self, req).await
    }
}
