//! The passkey table of the `UserDirectory`: one row per credential, keyed by credential id
//! (unique across the pool's users, WebAuthn §7.1 step 26) and indexed by user. The record
//! itself is JSON in `data` (`PasskeyRecord`, serde defaults for what later versions add).
//! Synchronous SQL under the object's input gate, like every other directory command.

use serde_json::{json, Value};
use worker::SqlStorageValue;

use super::UserDirectory;
use crate::oidc::webauthn::credential::PasskeyRecord;
use crate::store::passkeys::{Created, PasskeyCommand};
use crate::store::StoreError;

pub(super) const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS passkeys (credential_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, \
     data TEXT NOT NULL, created_at INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS passkeys_by_user ON passkeys (user_id, created_at)",
];

/// Run by `DeleteUser`: a removed user's passkeys go with them.
pub(super) const DELETE_OF_USER: &str = "DELETE FROM passkeys WHERE user_id = ?";

/// A user holds at most this many passkeys (a bound on the list and the exclude list).
const MAX_PER_USER: usize = 50;

type R<T> = std::result::Result<T, StoreError>;

#[derive(serde::Deserialize)]
struct Row {
    data: String,
}

impl UserDirectory {
    fn passkey(&self, credential_id: &str) -> R<Option<PasskeyRecord>> {
        let rows: Vec<Row> = self.rows(
            "SELECT data FROM passkeys WHERE credential_id = ?",
            vec![credential_id.into()],
        )?;
        rows.into_iter()
            .next()
            .map(|r| serde_json::from_str(&r.data).map_err(StoreError::from))
            .transpose()
    }

    pub(crate) fn passkeys_of(&self, user_id: &str) -> R<Vec<PasskeyRecord>> {
        let rows: Vec<Row> = self.rows(
            "SELECT data FROM passkeys WHERE user_id = ? ORDER BY created_at, credential_id",
            vec![user_id.into()],
        )?;
        rows.iter()
            .map(|r| serde_json::from_str(&r.data).map_err(StoreError::from))
            .collect()
    }

    /// How many passkeys the user has (a sign-in's decision needs no more than that).
    pub(crate) fn passkey_count(&self, user_id: &str) -> R<u32> {
        #[derive(serde::Deserialize)]
        struct Count {
            n: i64,
        }
        let rows: Vec<Count> = self.rows(
            "SELECT COUNT(*) AS n FROM passkeys WHERE user_id = ?",
            vec![user_id.into()],
        )?;
        Ok(rows.first().map_or(0, |c| c.n.max(0) as u32))
    }

    fn save_passkey(&self, p: &PasskeyRecord) -> R<()> {
        self.sql.exec(
            "REPLACE INTO passkeys (credential_id, user_id, data, created_at) VALUES (?, ?, ?, ?)",
            vec![
                p.credential_id.as_str().into(),
                p.user_id.as_str().into(),
                serde_json::to_string(p)?.as_str().into(),
                SqlStorageValue::from(p.created_at as i64),
            ],
        )?;
        Ok(())
    }

    pub(super) fn run_passkey(&self, cmd: PasskeyCommand) -> R<Value> {
        use PasskeyCommand as P;
        Ok(match cmd {
            P::Create { passkey } => {
                // Only a user that exists may hold one (a deleted user's session may linger).
                let outcome = if self.get_user(&passkey.user_id)?.is_none() {
                    Created::NoUser
                } else if self.passkey(&passkey.credential_id)?.is_some() {
                    Created::Taken
                } else if self.passkeys_of(&passkey.user_id)?.len() >= MAX_PER_USER {
                    Created::Full
                } else {
                    self.save_passkey(&passkey)?;
                    Created::Created
                };
                serde_json::to_value(outcome)?
            }
            P::Find { credential_id } => serde_json::to_value(self.passkey(&credential_id)?)?,
            P::List { user_id } => serde_json::to_value(self.passkeys_of(&user_id)?)?,
            P::Used {
                credential_id,
                sign_count,
                backed_up,
                now,
            } => match self.passkey(&credential_id)? {
                Some(mut p) => {
                    p.sign_count = sign_count;
                    p.backed_up = backed_up;
                    p.last_used_at = Some(now);
                    self.save_passkey(&p)?;
                    Value::Bool(true)
                }
                None => Value::Bool(false),
            },
            P::Rename {
                user_id,
                credential_id,
                name,
            } => match self
                .passkey(&credential_id)?
                .filter(|p| p.user_id == user_id)
            {
                Some(mut p) => {
                    p.name = name;
                    self.save_passkey(&p)?;
                    Value::Bool(true)
                }
                None => Value::Bool(false),
            },
            P::Delete {
                user_id,
                credential_id,
            } => match self
                .passkey(&credential_id)?
                .filter(|p| p.user_id == user_id)
            {
                Some(p) => {
                    self.sql.exec(
                        "DELETE FROM passkeys WHERE credential_id = ?",
                        vec![credential_id.as_str().into()],
                    )?;
                    json!(p)
                }
                None => Value::Null,
            },
        })
    }
}
