//! The `UserDirectory` Durable Object: one user pool's users, consents, sign-in throttles and
//! programmatic access accounts, in SQLite so the console can search users. Uniqueness of
//! username, email and phone is enforced by the table, and every command is synchronous SQL,
//! so it is atomic under the object's input gate.

use std::cell::Cell;

use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use worker::{
    durable_object, DurableObject, Env, Request, Response, Result, SqlStorage, SqlStorageValue,
    State,
};

use crate::oidc::model::{AccessAccount, User};
use crate::oidc::throttle;
use crate::store::directory::{
    throttle_keys, DirectoryCommand, LoginRecord, SessionAndUser, SignInStart, UserAndConsent,
};
use crate::store::rpc::{self, Answer};
use crate::store::StoreError;

mod passkeys;
mod sessions;
mod throttle_counters;

const SCHEMA: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS users (id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, \
     email TEXT UNIQUE, phone TEXT UNIQUE, password_hash TEXT NOT NULL, data TEXT NOT NULL, \
     created_at INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS consents (user_id TEXT NOT NULL, client_id TEXT NOT NULL, \
     scope TEXT NOT NULL, granted_at INTEGER NOT NULL, PRIMARY KEY (user_id, client_id))",
    "CREATE TABLE IF NOT EXISTS throttle (key TEXT PRIMARY KEY, data TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS accounts (access_key TEXT PRIMARY KEY, secret_hash TEXT NOT NULL, \
     data TEXT NOT NULL, created_at INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sessions (session_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, \
     key_hash TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)",
    // Added after the first release: `IF NOT EXISTS` creates it in objects that predate it.
    "CREATE TABLE IF NOT EXISTS families (family_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, \
     client_id TEXT NOT NULL, expires_at INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS subdomains (subdomain TEXT PRIMARY KEY, client_id TEXT NOT NULL)",
    // Second factors, one row per user (`user_factors`); created in older objects too.
    "CREATE TABLE IF NOT EXISTS factors (user_id TEXT PRIMARY KEY, data TEXT NOT NULL)",
    // Sign-ins drop the expired index rows (`register_session`, `GetUserForTokens`, at most once
    // a minute per instance) and a revocation finds a user's rows: without these each was a scan
    // of every live session or family of the pool. Built once in objects that predate them.
    "CREATE INDEX IF NOT EXISTS sessions_by_expiry ON sessions (expires_at)",
    "CREATE INDEX IF NOT EXISTS sessions_by_user ON sessions (user_id, created_at)",
    "CREATE INDEX IF NOT EXISTS families_by_expiry ON families (expires_at)",
    "CREATE INDEX IF NOT EXISTS families_by_user ON families (user_id, client_id)",
];

#[path = "user_factors.rs"]
mod factors;

#[durable_object]
pub struct UserDirectory {
    sql: SqlStorage,
    /// Sign-in attempts in flight, by throttle key (`throttle_counters`).
    inflight: throttle_counters::InFlight,
    /// The throttle rows as this instance last read or wrote them (`throttle_counters`).
    stored_rows: throttle_counters::StoredRows,
    /// When this instance last dropped the expired session and family index rows (seconds).
    sessions_swept_at: Cell<u64>,
    families_swept_at: Cell<u64>,
}

/// Seconds between two sweeps of an index's expired rows by one instance.
const INDEX_SWEEP_EVERY: u64 = 60;

type R<T> = std::result::Result<T, StoreError>;

fn s(v: &str) -> SqlStorageValue {
    v.into()
}

fn opt(v: &Option<String>) -> SqlStorageValue {
    match v {
        Some(x) => x.as_str().into(),
        None => SqlStorageValue::Null,
    }
}

fn lower(v: &Option<String>) -> Option<String> {
    v.as_ref().map(|x| x.trim().to_lowercase())
}

impl UserDirectory {
    fn rows<T: DeserializeOwned>(&self, q: &str, b: Vec<SqlStorageValue>) -> R<Vec<T>> {
        Ok(self.sql.exec(q, b)?.to_array()?)
    }

    /// Which unique column a new or changed user would collide with, if any.
    fn conflict(&self, user: &User) -> R<Option<&'static str>> {
        #[derive(serde::Deserialize)]
        struct Id {
            id: String,
        }
        let checks: [(&'static str, &str, Option<String>); 3] = [
            ("username", "username", Some(user.username.to_lowercase())),
            ("email", "email", lower(&user.email)),
            ("phone_number", "phone", user.phone_number.clone()),
        ];
        for (field, col, value) in checks {
            if let Some(v) = value {
                let hits: Vec<Id> = self.rows(
                    &format!("SELECT id FROM users WHERE {col} = ?"),
                    vec![s(&v)],
                )?;
                if hits.iter().any(|h| h.id != user.id) {
                    return Ok(Some(field));
                }
            }
        }
        Ok(None)
    }

    fn consent(&self, user_id: &str, client_id: &str) -> R<Option<String>> {
        #[derive(serde::Deserialize)]
        struct Row {
            scope: String,
        }
        let rows: Vec<Row> = self.rows(
            "SELECT scope FROM consents WHERE user_id = ? AND client_id = ?",
            vec![s(user_id), s(client_id)],
        )?;
        Ok(rows.into_iter().next().map(|r| r.scope))
    }

    fn get_user(&self, id: &str) -> R<Option<(User, String)>> {
        #[derive(serde::Deserialize)]
        struct Row {
            data: String,
            password_hash: String,
        }
        let rows: Vec<Row> = self.rows(
            "SELECT data, password_hash FROM users WHERE id = ?",
            vec![s(id)],
        )?;
        match rows.into_iter().next() {
            Some(r) => Ok(Some((serde_json::from_str(&r.data)?, r.password_hash))),
            None => Ok(None),
        }
    }

    fn save_user(&self, user: &User, password_hash: &str, insert: bool) -> R<()> {
        let verb = if insert { "INSERT" } else { "REPLACE" };
        self.sql.exec(
            &format!(
                "{verb} INTO users (id, username, email, phone, password_hash, data, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?)"
            ),
            vec![
                s(&user.id),
                s(&user.username.to_lowercase()),
                opt(&lower(&user.email)),
                opt(&user.phone_number),
                s(password_hash),
                s(&serde_json::to_string(user)?),
                (user.created_at as i64).into(),
            ],
        )?;
        Ok(())
    }

    /// The user a login name (username, email or phone) names, with the password hash.
    fn find_login(&self, login: &str) -> R<Option<(User, String)>> {
        #[derive(serde::Deserialize)]
        struct Row {
            data: String,
            password_hash: String,
        }
        let l = login.trim().to_lowercase();
        let rows: Vec<Row> = self.rows(
            "SELECT data, password_hash FROM users WHERE username = ? OR email = ? OR phone = ? LIMIT 1",
            vec![s(&l), s(&l), s(login.trim())],
        )?;
        match rows.into_iter().next() {
            Some(r) => Ok(Some((serde_json::from_str(&r.data)?, r.password_hash))),
            None => Ok(None),
        }
    }

    /// Whether the expired rows of an index were last dropped long enough ago (and, if so,
    /// notes that they are dropped now): once a minute is enough to keep the indexes small,
    /// where every sign-in doing it cost a statement each time.
    fn due_for_sweep(&self, last: &Cell<u64>, now: u64) -> bool {
        if now < last.get() + INDEX_SWEEP_EVERY {
            return false;
        }
        last.set(now);
        true
    }

    /// A user, their consent for a client and (when asked) their factors.
    fn user_and_consent(&self, id: &str, client_id: &str, factors: bool) -> R<UserAndConsent> {
        let user = self.get_user(id)?.map(|(u, _)| u);
        let (consent, factors) = match &user {
            Some(_) => (
                self.consent(id, client_id)?,
                factors.then(|| self.factor_summary(id)).transpose()?,
            ),
            None => (None, None),
        };
        Ok(UserAndConsent {
            user,
            consent,
            factors,
        })
    }

    fn get_account(&self, ak: &str) -> R<Option<(AccessAccount, String)>> {
        #[derive(serde::Deserialize)]
        struct Row {
            data: String,
            secret_hash: String,
        }
        let rows: Vec<Row> = self.rows(
            "SELECT data, secret_hash FROM accounts WHERE access_key = ?",
            vec![s(ak)],
        )?;
        match rows.into_iter().next() {
            Some(r) => Ok(Some((serde_json::from_str(&r.data)?, r.secret_hash))),
            None => Ok(None),
        }
    }

    /// Runs a command. The sign-in's commands write their answer straight from its type
    /// (`Answer::of`); the others answer a `Value`.
    fn run(&self, cmd: DirectoryCommand) -> R<Answer> {
        use DirectoryCommand as C;
        let value = match cmd {
            C::CreateUser {
                user,
                password_hash,
            } => match self.conflict(&user)? {
                Some(field) => json!({"result": "conflict", "field": field}),
                None => {
                    self.save_user(&user, &password_hash, true)?;
                    json!({"result": "ok", "value": user})
                }
            },
            C::GetUser { id } => return Answer::of(&self.get_user(&id)?.map(|(u, _)| u)),
            C::UpdateUser {
                user,
                password_hash,
            } => match self.get_user(&user.id)? {
                None => json!({"result": "not_found"}),
                Some((_, old_hash)) => match self.conflict(&user)? {
                    Some(field) => json!({"result": "conflict", "field": field}),
                    None => {
                        self.save_user(
                            &user,
                            password_hash.as_deref().unwrap_or(&old_hash),
                            false,
                        )?;
                        json!({"result": "ok", "value": user})
                    }
                },
            },
            C::DeleteUser { id } => {
                let existed = self.get_user(&id)?.is_some();
                self.sql
                    .exec("DELETE FROM users WHERE id = ?", vec![s(&id)])?;
                self.sql
                    .exec("DELETE FROM consents WHERE user_id = ?", vec![s(&id)])?;
                self.sql.exec(passkeys::DELETE_OF_USER, vec![s(&id)])?;
                self.sql
                    .exec("DELETE FROM factors WHERE user_id = ?", vec![s(&id)])?;
                Value::Bool(existed)
            }
            C::ListUsers { q, offset, limit } => {
                #[derive(serde::Deserialize)]
                struct Row {
                    data: String,
                }
                #[derive(serde::Deserialize)]
                struct Count {
                    n: f64,
                }
                let (filter, binds) = match q.filter(|q| !q.trim().is_empty()) {
                    Some(q) => {
                        // `instr`, not LIKE: the runtime's SQLite refuses LIKE patterns over 50
                        // bytes, and a whole email address is longer. Case-insensitive like
                        // LIKE was for ASCII.
                        let needle = q.trim().to_lowercase();
                        (
                            "WHERE instr(lower(username), ?) > 0 OR instr(lower(coalesce(email, '')), ?) > 0 \
                             OR instr(lower(coalesce(phone, '')), ?) > 0 OR id = ?",
                            vec![s(&needle), s(&needle), s(&needle), s(q.trim())],
                        )
                    }
                    None => ("", vec![]),
                };
                let total: Vec<Count> = self.rows(
                    &format!("SELECT COUNT(*) AS n FROM users {filter}"),
                    binds.clone(),
                )?;
                let mut page_binds = binds;
                page_binds.push((i64::from(limit.min(200))).into());
                page_binds.push((i64::from(offset)).into());
                let rows: Vec<Row> = self.rows(
                    &format!(
                        "SELECT data FROM users {filter} ORDER BY created_at, id LIMIT ? OFFSET ?"
                    ),
                    page_binds,
                )?;
                let items: Vec<Value> = rows
                    .iter()
                    .map(|r| serde_json::from_str(&r.data))
                    .collect::<std::result::Result<_, _>>()?;
                json!({"items": items, "total": total.first().map(|c| c.n as u64).unwrap_or(0)})
            }
            C::BeginSignIn {
                login,
                ip,
                now,
                factors,
            } => {
                let found = self.find_login(&login)?;
                let keys = throttle_keys(found.as_ref().map(|(u, _)| u.id.as_str()), &login, &ip);
                let gate = self.charge(&keys, now)?;
                // The record is only handed out when the attempt may go ahead.
                let found = found.filter(|_| gate.allowed);
                let found = match found {
                    Some((user, password_hash)) => {
                        let factors = factors.then(|| self.factor_summary(&user.id)).transpose()?;
                        Some(LoginRecord {
                            user,
                            password_hash,
                            factors,
                        })
                    }
                    None => None,
                };
                return Answer::of(&SignInStart { gate, keys, found });
            }
            C::CheckLock { key, now } => {
                let mut c = self.counter(&key, now)?;
                json!(throttle::locked_for(&mut c, now))
            }
            C::RecordFailure { key, now } => {
                self.record_failure(&key, now)?;
                Value::Null
            }
            C::EndAttempt {
                keys,
                success,
                now,
                session,
            } => {
                if let Some(session) = session.as_ref().filter(|_| success) {
                    self.register_session(session)?;
                }
                return Answer::of(&self.end_attempt(&keys, success, now)?);
            }
            C::GetConsent { user_id, client_id } => self
                .consent(&user_id, &client_id)?
                .map(Value::String)
                .unwrap_or(Value::Null),
            C::GetUserAndConsent {
                id,
                client_id,
                factors,
            } => return Answer::of(&self.user_and_consent(&id, &client_id, factors)?),
            C::GetSessionAndUser {
                key_hash,
                now,
                client_id,
                factors,
            } => {
                let session = self.session(&key_hash, now)?;
                let found = match &session {
                    Some(r) => Some(self.user_and_consent(&r.user_id, &client_id, factors)?),
                    None => None,
                };
                return Answer::of(&SessionAndUser { session, found });
            }
            C::PutConsent {
                user_id,
                client_id,
                scope,
                now,
            } => {
                self.sql.exec(
                    "REPLACE INTO consents (user_id, client_id, scope, granted_at) VALUES (?, ?, ?, ?)",
                    vec![s(&user_id), s(&client_id), s(&scope), (now as i64).into()],
                )?;
                Value::Null
            }
            C::DeleteConsent { user_id, client_id } => {
                self.sql.exec(
                    "DELETE FROM consents WHERE user_id = ? AND client_id = ?",
                    vec![s(&user_id), s(&client_id)],
                )?;
                Value::Null
            }
            C::ListConsents { user_id } => {
                #[derive(serde::Deserialize, serde::Serialize)]
                struct Row {
                    client_id: String,
                    scope: String,
                    granted_at: f64,
                }
                let rows: Vec<Row> = self.rows(
                    "SELECT client_id, scope, granted_at FROM consents WHERE user_id = ?",
                    vec![s(&user_id)],
                )?;
                serde_json::to_value(rows)?
            }
            C::CreateAccount {
                account,
                secret_hash,
            } => {
                self.sql.exec(
                    "INSERT INTO accounts (access_key, secret_hash, data, created_at) VALUES (?, ?, ?, ?)",
                    vec![
                        s(&account.access_key),
                        s(&secret_hash),
                        s(&serde_json::to_string(&account)?),
                        (account.created_at as i64).into(),
                    ],
                )?;
                serde_json::to_value(account)?
            }
            C::GetAccount { access_key } => match self.get_account(&access_key)? {
                Some((account, secret_hash)) => {
                    json!({"account": account, "secret_hash": secret_hash})
                }
                None => Value::Null,
            },
            C::UpdateAccount { account } => {
                if self.get_account(&account.access_key)?.is_some() {
                    self.sql.exec(
                        "UPDATE accounts SET data = ? WHERE access_key = ?",
                        vec![s(&serde_json::to_string(&account)?), s(&account.access_key)],
                    )?;
                    serde_json::to_value(account)?
                } else {
                    Value::Null
                }
            }
            C::DeleteAccount { access_key } => {
                let existed = self.get_account(&access_key)?.is_some();
                self.sql.exec(
                    "DELETE FROM accounts WHERE access_key = ?",
                    vec![s(&access_key)],
                )?;
                Value::Bool(existed)
            }
            C::ListAccounts => {
                #[derive(serde::Deserialize)]
                struct Row {
                    data: String,
                }
                let rows: Vec<Row> =
                    self.rows("SELECT data FROM accounts ORDER BY created_at", vec![])?;
                let items: Vec<Value> = rows
                    .iter()
                    .map(|r| serde_json::from_str(&r.data))
                    .collect::<std::result::Result<_, _>>()?;
                Value::Array(items)
            }
            C::GetLock { user_id, now } => {
                let c = self.counter(&throttle_keys(Some(&user_id), "", "")[0], now)?;
                let locked = c.locked_until > now;
                serde_json::to_value(crate::store::directory::LockState {
                    locked,
                    retry_after: c.locked_until.saturating_sub(now),
                    failures: c.failures,
                })?
            }
            C::ClearLock { user_id } => {
                let keys = [
                    throttle_keys(Some(&user_id), "", "").swap_remove(0),
                    crate::store::factors::check_keys(&user_id, "").swap_remove(0),
                ];
                self.sql.exec(
                    "DELETE FROM throttle WHERE key = ? OR key = ?",
                    vec![s(&keys[0]), s(&keys[1])],
                )?;
                self.stored_rows.forget(&keys);
                Value::Null
            }
            C::PutRawThrottle { user_id, data } => {
                let key = throttle_keys(Some(&user_id), "", "").swap_remove(0);
                self.sql.exec(
                    "REPLACE INTO throttle (key, data) VALUES (?, ?)",
                    vec![s(&key), s(&data.to_string())],
                )?;
                self.stored_rows.forget(&[key]);
                Value::Null
            }
            C::GetUserForTokens { id, family, now } => match self.get_user(&id)? {
                Some((u, _)) => {
                    if let Some(f) = family.filter(|_| !u.blocked) {
                        if self.due_for_sweep(&self.families_swept_at, now) {
                            self.sql.exec(
                                "DELETE FROM families WHERE expires_at <= ?",
                                vec![(now as i64).into()],
                            )?;
                        }
                        self.sql.exec(
                            "REPLACE INTO families (family_id, user_id, client_id, expires_at) VALUES (?, ?, ?, ?)",
                            vec![
                                s(&f.family_id),
                                s(&u.id),
                                s(&f.client_id),
                                (f.expires_at as i64).into(),
                            ],
                        )?;
                    }
                    return Answer::of(&u);
                }
                None => Value::Null,
            },
            C::TakeUserGrants {
                user_id,
                client_id,
                sessions,
            } => {
                #[derive(serde::Deserialize)]
                struct Family {
                    family_id: String,
                }
                #[derive(serde::Deserialize)]
                struct Session {
                    key_hash: String,
                }
                let families: Vec<Family> = match &client_id {
                    Some(c) => self.rows(
                        "SELECT family_id FROM families WHERE user_id = ? AND client_id = ?",
                        vec![s(&user_id), s(c)],
                    )?,
                    None => self.rows(
                        "SELECT family_id FROM families WHERE user_id = ?",
                        vec![s(&user_id)],
                    )?,
                };
                match &client_id {
                    Some(c) => self.sql.exec(
                        "DELETE FROM families WHERE user_id = ? AND client_id = ?",
                        vec![s(&user_id), s(c)],
                    )?,
                    None => self
                        .sql
                        .exec("DELETE FROM families WHERE user_id = ?", vec![s(&user_id)])?,
                };
                let taken_sessions: Vec<Session> = if sessions {
                    // The records the directory holds go with their rows; the others are
                    // the caller's to delete from their shards.
                    let rows = self.rows(
                        "SELECT key_hash FROM sessions WHERE user_id = ? AND record IS NULL",
                        vec![s(&user_id)],
                    )?;
                    self.sql
                        .exec("DELETE FROM sessions WHERE user_id = ?", vec![s(&user_id)])?;
                    rows
                } else {
                    Vec::new()
                };
                serde_json::to_value(crate::store::directory::UserGrants {
                    family_ids: families.into_iter().map(|f| f.family_id).collect(),
                    session_key_hashes: taken_sessions.into_iter().map(|x| x.key_hash).collect(),
                })?
            }
            C::RegisterSession { session } => {
                self.register_session(&session)?;
                Value::Null
            }
            C::UnregisterSession { session_id } => {
                #[derive(serde::Deserialize)]
                struct Row {
                    key_hash: String,
                }
                let rows: Vec<Row> = self.rows(
                    "SELECT key_hash FROM sessions WHERE session_id = ?",
                    vec![s(&session_id)],
                )?;
                self.sql.exec(
                    "DELETE FROM sessions WHERE session_id = ?",
                    vec![s(&session_id)],
                )?;
                rows.into_iter()
                    .next()
                    .map(|r| Value::String(r.key_hash))
                    .unwrap_or(Value::Null)
            }
            C::GetSession { key_hash, now } => serde_json::to_value(self.session(&key_hash, now)?)?,
            C::AddAuthentication {
                key_hash,
                user_id,
                authentication,
                now,
            } => serde_json::to_value(self.add_authentication(
                &key_hash,
                &user_id,
                authentication,
                now,
            )?)?,
            C::EndSession { session_id } => serde_json::to_value(self.end_session(&session_id)?)?,
            C::EndSessionByKey { key_hash } => json!(self.end_session_by_key(&key_hash)?),
            C::ListSessions { user_id, now } => {
                #[derive(serde::Deserialize)]
                struct Row {
                    session_id: String,
                    user_id: String,
                    created_at: f64,
                    expires_at: f64,
                }
                let rows: Vec<Row> = match user_id {
                    Some(u) => self.rows(
                        "SELECT session_id, user_id, created_at, expires_at FROM sessions WHERE user_id = ? AND expires_at > ? ORDER BY created_at DESC LIMIT 500",
                        vec![s(&u), (now as i64).into()],
                    )?,
                    None => self.rows(
                        "SELECT session_id, user_id, created_at, expires_at FROM sessions WHERE expires_at > ? ORDER BY created_at DESC LIMIT 500",
                        vec![(now as i64).into()],
                    )?,
                };
                Value::Array(
                    rows.into_iter()
                        .map(|r| {
                            json!({"session_id": r.session_id, "user_id": r.user_id,
                            "created_at": r.created_at as u64, "expires_at": r.expires_at as u64})
                        })
                        .collect(),
                )
            }
            C::Passkey(cmd) => self.run_passkey(cmd)?,
            C::ExportUsers { after, limit } => {
                #[derive(serde::Deserialize)]
                struct Row {
                    data: String,
                    password_hash: String,
                }
                let rows: Vec<Row> = self.rows(
                    "SELECT data, password_hash FROM users WHERE id > ? ORDER BY id LIMIT ?",
                    vec![
                        s(after.as_deref().unwrap_or("")),
                        i64::from(limit.min(500)).into(),
                    ],
                )?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let user: Value = serde_json::from_str(&r.data)?;
                    let id = user["id"].as_str().unwrap_or_default().to_string();
                    // The second factors as stored (the app's secret still sealed: the worker
                    // opens it for the document) and the passkeys' public keys.
                    let factors = self.load_factors(&id)?;
                    let passkeys = self.passkeys_of(&id)?;
                    let mut entry = json!({"user": user, "password_hash": r.password_hash});
                    if !factors.is_empty() {
                        entry["factors"] = serde_json::to_value(factors)?;
                    }
                    if !passkeys.is_empty() {
                        entry["passkeys"] = serde_json::to_value(passkeys)?;
                    }
                    out.push(entry);
                }
                Value::Array(out)
            }
            C::ExportAccounts => {
                #[derive(serde::Deserialize)]
                struct Row {
                    data: String,
                    secret_hash: String,
                }
                let rows: Vec<Row> = self.rows(
                    "SELECT data, secret_hash FROM accounts ORDER BY created_at",
                    vec![],
                )?;
                let mut out = Vec::with_capacity(rows.len());
                for r in rows {
                    let account: Value = serde_json::from_str(&r.data)?;
                    out.push(json!({"account": account, "secret_hash": r.secret_hash}));
                }
                Value::Array(out)
            }
            C::ClaimSubdomain {
                subdomain,
                client_id,
            } => {
                #[derive(serde::Deserialize)]
                struct Row {
                    client_id: String,
                }
                let rows: Vec<Row> = self.rows(
                    "SELECT client_id FROM subdomains WHERE subdomain = ?",
                    vec![s(&subdomain)],
                )?;
                match rows.into_iter().next() {
                    Some(r) => Value::Bool(r.client_id == client_id),
                    None => {
                        self.sql.exec(
                            "INSERT INTO subdomains (subdomain, client_id) VALUES (?, ?)",
                            vec![s(&subdomain), s(&client_id)],
                        )?;
                        Value::Bool(true)
                    }
                }
            }
            C::Factors { cmd } => self.run_factors(cmd)?,
            C::ReleaseSubdomain {
                subdomain,
                client_id,
            } => {
                self.sql.exec(
                    "DELETE FROM subdomains WHERE subdomain = ? AND client_id = ?",
                    vec![s(&subdomain), s(&client_id)],
                )?;
                Value::Null
            }
        };
        Ok(value.into())
    }
}

impl rpc::CommandObject for UserDirectory {
    type Command = DirectoryCommand;

    async fn run_command(&self, cmd: DirectoryCommand) -> std::result::Result<Answer, StoreError> {
        self.run(cmd)
    }
}

command_entry!(UserDirectory);

impl DurableObject for UserDirectory {
    fn new(state: State, _env: Env) -> Self {
        let sql = state.storage().sql();
        for stmt in SCHEMA.iter().chain(passkeys::SCHEMA) {
            let _ = sql.exec(stmt, None);
        }
        sessions::migrate(&sql);
        UserDirectory {
            sql,
            inflight: Default::default(),
            stored_rows: Default::default(),
            sessions_swept_at: Cell::new(0),
            families_swept_at: Cell::new(0),
        }
    }

    async fn fetch(&self, req: Request) -> Result<Response> {
        rpc::serve(self, req).await
    }
}
