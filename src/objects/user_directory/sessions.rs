//! The pool's SSO sessions in the `UserDirectory`: one row per session in `sessions`, the
//! console's index, which since this release also holds the session itself (`record`, the
//! `SessionRecord` as JSON). A sign-in's last directory call — the one that ends its throttled
//! attempt — then stores the session in the same commit as its index row, instead of a
//! `GrantStore` write of its own, and a revocation that drops the rows drops the sessions.
//!
//! Rows written by the release before have no record (the column is added to their table
//! on first start, `migrate`): their sessions stay in `GrantStore` until they expire, found
//! there by cookies of the shape that release minted (`http::session`).

use super::{s, UserDirectory, R};
use crate::oidc::acr::{self, Authentication};
use crate::oidc::records::SessionRecord;
use crate::store::directory::{EndedSession, SessionIndex};
use worker::{SqlStorage, SqlStorageValue};

/// Gives a `sessions` table of the release before the `record` column (and indexes the
/// table by cookie hash). Runs in the constructor, before any command.
pub(super) fn migrate(sql: &SqlStorage) {
    if sql
        .exec("SELECT record FROM sessions LIMIT 0", None)
        .is_err()
    {
        let _ = sql.exec("ALTER TABLE sessions ADD COLUMN record TEXT", None);
    }
    let _ = sql.exec(
        "CREATE INDEX IF NOT EXISTS sessions_by_key ON sessions (key_hash)",
        None,
    );
}

#[derive(serde::Deserialize)]
struct Held {
    record: String,
}

impl UserDirectory {
    /// Indexes an SSO session under its user, with its record when the directory holds it
    /// (and drops the expired rows on the way).
    pub(super) fn register_session(&self, session: &SessionIndex) -> R<()> {
        if self.due_for_sweep(&self.sessions_swept_at, session.created_at) {
            self.sql.exec(
                "DELETE FROM sessions WHERE expires_at <= ?",
                vec![(session.created_at as i64).into()],
            )?;
        }
        let record = match &session.record {
            Some(r) => serde_json::to_string(r)?.into(),
            None => SqlStorageValue::Null,
        };
        self.sql.exec(
            "REPLACE INTO sessions (session_id, user_id, key_hash, created_at, expires_at, record) \
             VALUES (?, ?, ?, ?, ?, ?)",
            vec![
                s(&session.session_id),
                s(&session.user_id),
                s(&session.key_hash),
                (session.created_at as i64).into(),
                (session.expires_at as i64).into(),
                record,
            ],
        )?;
        Ok(())
    }

    /// The live session the directory holds under `key_hash`.
    pub(super) fn session(&self, key_hash: &str, now: u64) -> R<Option<SessionRecord>> {
        let rows: Vec<Held> = self.rows(
            "SELECT record FROM sessions WHERE key_hash = ? AND expires_at > ? AND record IS NOT NULL",
            vec![s(key_hash), (now as i64).into()],
        )?;
        match rows.into_iter().next() {
            Some(h) => Ok(Some(serde_json::from_str(&h.record)?)),
            None => Ok(None),
        }
    }

    /// A step-up: the authentication joins the session's list (`acr::remember`), read and
    /// written in one command, so two step-ups cannot lose one another.
    pub(super) fn add_authentication(
        &self,
        key_hash: &str,
        user_id: &str,
        authentication: Authentication,
        now: u64,
    ) -> R<Option<SessionRecord>> {
        let Some(mut rec) = self
            .session(key_hash, now)?
            .filter(|r| r.user_id == user_id)
        else {
            return Ok(None);
        };
        let mut list = rec.authentications();
        acr::remember(&mut list, authentication);
        rec.authentications = list;
        self.sql.exec(
            "UPDATE sessions SET record = ? WHERE key_hash = ?",
            vec![serde_json::to_string(&rec)?.into(), s(key_hash)],
        )?;
        Ok(Some(rec))
    }

    /// Drops a session's row by id; says whether there was one and, if its record is in
    /// `GrantStore`, where.
    pub(super) fn end_session(&self, session_id: &str) -> R<EndedSession> {
        #[derive(serde::Deserialize)]
        struct Gone {
            key_hash: String,
            record: Option<String>,
        }
        let rows: Vec<Gone> = self.rows(
            "DELETE FROM sessions WHERE session_id = ? RETURNING key_hash, record",
            vec![s(session_id)],
        )?;
        Ok(match rows.into_iter().next() {
            Some(g) => EndedSession {
                found: true,
                grant_key: g.record.is_none().then_some(g.key_hash),
            },
            None => EndedSession::default(),
        })
    }

    /// Drops the session the directory holds under `key_hash`; whose it was, if there was one.
    pub(super) fn end_session_by_key(&self, key_hash: &str) -> R<Option<String>> {
        #[derive(serde::Deserialize)]
        struct Gone {
            user_id: String,
        }
        let rows: Vec<Gone> = self.rows(
            "DELETE FROM sessions WHERE key_hash = ? AND record IS NOT NULL RETURNING user_id",
            vec![s(key_hash)],
        )?;
        Ok(rows.into_iter().next().map(|g| g.user_id))
    }
}
