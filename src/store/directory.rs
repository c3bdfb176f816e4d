//! Client side of the `UserDirectory` Durable Object (one per user pool): users, consents,
//! login throttles and programmatic access accounts, strongly consistent so that a password
//! change, a block or a lockout takes effect at once. One extra object, `__registry`, holds
//! the subdomain reservations that make subdomains unique (KV alone cannot: it is eventually
//! consistent).

use serde::{Deserialize, Serialize};
use worker::Env;

use super::placement::Placement;
use super::tag_first::tagged_enum;
use super::{rpc, StoreError};
use crate::oidc::factors::FactorSummary;
use crate::oidc::model::{AccessAccount, User};

pub const BINDING: &str = "DIRECTORY";
const REGISTRY: &str = "__registry";

tagged_enum! {
    #[derive(Debug)]
    pub enum DirectoryCommand by "op" as "DirectoryCommand" {
        CreateUser {
            user: User,
            password_hash: String,
        },
        GetUser {
            id: String,
        },
        UpdateUser {
            user: User,
            password_hash: Option<String>,
        },
        DeleteUser {
            id: String,
        },
        ListUsers {
            q: Option<String>,
            offset: u32,
            limit: u32,
        },
        /// Finds the account a login name names and starts a throttled attempt on it.
        BeginSignIn {
            login: String,
            ip: String,
            now: u64,
            /// Also answer the account's factors (`LoginRecord::factors`), for a sign-in whose
            /// next step depends on them.
            #[serde(default)]
            factors: bool,
        },
        /// For a secret that names no account (the admin token): is `key` locked? Charges nothing.
        CheckLock {
            key: String,
            now: u64,
        },
        /// Counts one wrong answer against `key`.
        RecordFailure {
            key: String,
            now: u64,
        },
        /// Answers the keys this attempt locked (a list; `null` from objects older than it).
        /// A right password that starts an SSO session indexes it in the same call
        /// (`RegisterSession`'s work), saving the login page a round trip.
        EndAttempt {
            keys: Vec<String>,
            success: bool,
            now: u64,
            #[serde(default, skip_serializing_if = "Option::is_none")]
            session: Option<SessionIndex>,
        },
        GetConsent {
            user_id: String,
            client_id: String,
        },
        /// A user and the scope they consented to for a client, in one call (the `/auth` of a
        /// signed-in user needs both).
        GetUserAndConsent {
            id: String,
            client_id: String,
            /// Also answer the user's factors (`UserAndConsent::factors`).
            #[serde(default)]
            factors: bool,
        },
        /// A live session the directory holds and, if there is one, its user's
        /// `GetUserAndConsent` answer: the `/auth` of a signed-in user in one call.
        GetSessionAndUser {
            key_hash: String,
            now: u64,
            client_id: String,
            #[serde(default)]
            factors: bool,
        },
        PutConsent {
            user_id: String,
            client_id: String,
            scope: String,
            now: u64,
        },
        DeleteConsent {
            user_id: String,
            client_id: String,
        },
        ListConsents {
            user_id: String,
        },
        CreateAccount {
            account: AccessAccount,
            secret_hash: String,
        },
        GetAccount {
            access_key: String,
        },
        UpdateAccount {
            account: AccessAccount,
        },
        DeleteAccount {
            access_key: String,
        },
        ListAccounts,
        /// Users with their password hashes, by id after `after`, for a pool export.
        ExportUsers {
            after: Option<String>,
            limit: u32,
        },
        /// Access accounts with their secret hashes, for a pool export.
        ExportAccounts,
        /// The user a token grant is for; when the user exists and is not blocked, the refresh
        /// family about to be created is indexed under them in the same call (so a password
        /// reset, a block or a deletion can find and revoke it).
        GetUserForTokens {
            id: String,
            family: Option<FamilyIndex>,
            now: u64,
        },
        /// Removes and returns the index rows of a user's refresh families (of one client, or all)
        /// and, when `sessions` is set, of their SSO sessions.
        TakeUserGrants {
            user_id: String,
            client_id: Option<String>,
            sessions: bool,
        },
        /// The sign-in lock of a user (their per-account throttle counter).
        GetLock {
            user_id: String,
            now: u64,
        },
        /// Clears it (an administrator unlocks the account).
        ClearLock {
            user_id: String,
        },
        /// Stores a user's account throttle row exactly as given (the debug probe
        /// `debug/raw-throttle`: a row as an earlier release wrote it).
        PutRawThrottle {
            user_id: String,
            data: serde_json::Value,
        },
        RegisterSession {
            session: SessionIndex,
        },
        /// Drops a session's index row; answers its `GrantStore` key (whatever held the record:
        /// what the release before expects).
        UnregisterSession {
            session_id: String,
        },
        /// A live session the directory holds (`SessionIndex::record`), by its cookie's hash.
        GetSession {
            key_hash: String,
            now: u64,
        },
        /// Adds an authentication to a live session the directory holds, if it is `user_id`'s
        /// (a step-up); answers the session as it is now, or null.
        AddAuthentication {
            key_hash: String,
            user_id: String,
            authentication: crate::oidc::acr::Authentication,
            now: u64,
        },
        /// Ends a session by id (the console): answers `EndedSession`.
        EndSession {
            session_id: String,
        },
        /// Ends a session the directory holds, by its cookie's hash (logout); answers its user's
        /// id, or null when there was none.
        EndSessionByKey {
            key_hash: String,
        },
        ListSessions {
            user_id: Option<String>,
            now: u64,
        },
        /// The user's passkeys (`store::passkeys`).
        Passkey(super::passkeys::PasskeyCommand),
        ClaimSubdomain {
            subdomain: String,
            client_id: String,
        },
        ReleaseSubdomain {
            subdomain: String,
            client_id: String,
        },
        /// A user's second factors (`store::factors`).
        Factors {
            cmd: super::factors::FactorCommand,
        },
    }
}

/// A write that would break a uniqueness rule names the field.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum WriteOutcome<T> {
    Ok { value: T },
    Conflict { field: String },
    NotFound,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LoginRecord {
    pub user: User,
    pub password_hash: String,
    /// When asked for (`BeginSignIn::factors`).
    #[serde(default)]
    pub factors: Option<FactorSummary>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserPage {
    pub items: Vec<User>,
    pub total: u64,
}

/// The throttle's answer before a password is checked.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AttemptGate {
    pub allowed: bool,
    /// Seconds until the lock lifts (when not allowed).
    pub retry_after: u64,
    /// Failures so far on the most-failed key (for the growing delay).
    pub failures: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Consent {
    pub client_id: String,
    pub scope: String,
    pub granted_at: u64,
}

/// What an administrator sees of a user's sign-in lock.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LockState {
    pub locked: bool,
    /// Seconds until the lock ends (0 when not locked).
    pub retry_after: u64,
    /// Failed attempts in the current window.
    pub failures: u32,
}

/// What `GetUserAndConsent` answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserAndConsent {
    pub user: Option<User>,
    pub consent: Option<String>,
    /// When asked for (`GetUserAndConsent::factors`) and the user exists.
    #[serde(default)]
    pub factors: Option<FactorSummary>,
}

/// What `GetSessionAndUser` answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionAndUser {
    pub session: Option<crate::oidc::records::SessionRecord>,
    /// The session's user, their consent and factors, when there is a session.
    pub found: Option<UserAndConsent>,
}

/// A refresh family in the index of its user.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FamilyIndex {
    pub family_id: String,
    pub client_id: String,
    pub expires_at: u64,
}

/// What `TakeUserGrants` took out of the index.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct UserGrants {
    pub family_ids: Vec<String>,
    /// The `GrantStore` keys (SHA-256 of their cookies) of the sessions whose records are
    /// there; the records the directory held went with their rows.
    pub session_key_hashes: Vec<String>,
}

/// An SSO session's row in its pool's directory: the console's index of the pool's sessions
/// and, for sessions started since the directory holds them (`http::session`), the session
/// itself (`record`). A row without a record indexes a session an earlier release stored
/// in its `GrantStore` shard under `key_hash`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionIndex {
    pub session_id: String,
    pub user_id: String,
    pub key_hash: String,
    pub created_at: u64,
    pub expires_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub record: Option<crate::oidc::records::SessionRecord>,
}

/// What `EndSession` found.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EndedSession {
    pub found: bool,
    /// The `GrantStore` key of the session's record, when the directory did not hold it.
    pub grant_key: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccountRecord {
    pub account: AccessAccount,
    pub secret_hash: String,
}

#[derive(Clone)]
pub struct Directory<'a> {
    env: &'a Env,
    pool: String,
    at: Placement,
}

impl<'a> Directory<'a> {
    /// The directory of `pool`, placed at `at` (the pool's jurisdiction).
    pub fn new(env: &'a Env, pool: &str, at: Placement) -> Self {
        Directory {
            env,
            pool: pool.to_string(),
            at,
        }
    }

    /// The directory of an application's pool.
    pub fn of_app(env: &'a Env, app: &crate::oidc::model::Application) -> Self {
        Directory::new(env, &app.pool_id, Placement::of_app(app))
    }

    pub fn registry(env: &'a Env) -> Self {
        Directory {
            env,
            pool: REGISTRY.to_string(),
            at: Placement::GLOBAL,
        }
    }

    pub async fn call<R: serde::de::DeserializeOwned>(
        &self,
        cmd: DirectoryCommand,
    ) -> Result<R, StoreError> {
        rpc::call(
            self.env,
            BINDING,
            self.at,
            &format!("pool-{}", self.pool),
            &cmd,
        )
        .await
    }

    /// The user with this id, blocked or not (callers decide what a block means for them).
    pub async fn user(&self, id: &str) -> Result<Option<User>, StoreError> {
        self.call(DirectoryCommand::GetUser { id: id.to_string() })
            .await
    }

    /// The user tokens are about to be issued for, indexing the new refresh family (if any)
    /// under them in the same call.
    pub async fn user_for_tokens(
        &self,
        id: &str,
        family: Option<FamilyIndex>,
        now: u64,
    ) -> Result<Option<User>, StoreError> {
        self.call(DirectoryCommand::GetUserForTokens {
            id: id.to_string(),
            family,
            now,
        })
        .await
    }
}

/// Throttle keys for a sign-in: per account — the user's id when the login name resolves to
/// one, so username, email and phone share one counter; otherwise the name as typed, so
/// unknown accounts are throttled alike and nothing is revealed — and per client IP.
pub fn throttle_keys(user_id: Option<&str>, login: &str, ip: &str) -> Vec<String> {
    let account = match user_id {
        Some(id) => format!("acct:id:{id}"),
        None => format!("acct:name:{}", login.trim().to_lowercase()),
    };
    vec![account, format!("ip:{ip}")]
}

/// What a throttle key counts: a known user (by id), an unknown login name, or an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Throttled<'a> {
    User(&'a str),
    UnknownLogin,
    Address,
}

/// Reads a key made by [`throttle_keys`].
pub fn throttled(key: &str) -> Throttled<'_> {
    if let Some(id) = key
        .strip_prefix("acct:id:")
        .or_else(|| key.strip_prefix("mfa:id:"))
    {
        Throttled::User(id)
    } else if key.starts_with("ip:") {
        Throttled::Address
    } else {
        Throttled::UnknownLogin
    }
}

/// What `BeginSignIn` answers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignInStart {
    pub gate: AttemptGate,
    pub keys: Vec<String>,
    /// The account, only when the attempt may go ahead.
    pub found: Option<LoginRecord>,
}
