//! Audit events: what a security-relevant action leaves in its pool's log (`AuditLog` object),
//! in its export and in the forwarded log lines. Every event is a typed value, so no emitter
//! can put a request parameter in it by accident; the one free-form part, an admin change's
//! before/after, goes through [`redact`] and [`changed`]. No event holds a password, secret,
//! code or token: only ids (user, client, application) and outcomes. Runtime-free.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::client::ClientOrigin;
use super::model::Application;

/// How long a pool keeps its events unless its `audit_retention_days` says otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// The longest retention a pool may set (ten years).
pub const MAX_RETENTION_DAYS: u32 = 3650;
/// A user agent is kept to this many characters, an attempted login name to
/// `MAX_LOGIN_CHARS`, any string inside an admin change's before/after to `MAX_VALUE_CHARS`
/// (a pool's logo may be a 64 KB data URI).
const MAX_AGENT_CHARS: usize = 256;
const MAX_LOGIN_CHARS: usize = 64;
const MAX_VALUE_CHARS: usize = 512;

/// The kinds of event, by their wire names (`kind` in every event, the `kind` filter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    SignInSucceeded,
    SignInFailed,
    AccountLocked,
    /// Defined for the log's readers; nothing emits it until Doorward has a second factor.
    MfaChanged,
    ConsentGiven,
    ConsentWithdrawn,
    TokenRevoked,
    RefreshTokenReuseDetected,
    CodeReplayDetected,
    ClientRegistered,
    AdminChange,
    TokenIssued,
}

impl EventKind {
    pub const ALL: [EventKind; 12] = [
        EventKind::SignInSucceeded,
        EventKind::SignInFailed,
        EventKind::AccountLocked,
        EventKind::MfaChanged,
        EventKind::ConsentGiven,
        EventKind::ConsentWithdrawn,
        EventKind::TokenRevoked,
        EventKind::RefreshTokenReuseDetected,
        EventKind::CodeReplayDetected,
        EventKind::ClientRegistered,
        EventKind::AdminChange,
        EventKind::TokenIssued,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::SignInSucceeded => "sign_in_succeeded",
            EventKind::SignInFailed => "sign_in_failed",
            EventKind::AccountLocked => "account_locked",
            EventKind::MfaChanged => "mfa_changed",
            EventKind::ConsentGiven => "consent_given",
            EventKind::ConsentWithdrawn => "consent_withdrawn",
            EventKind::TokenRevoked => "token_revoked",
            EventKind::RefreshTokenReuseDetected => "refresh_token_reuse_detected",
            EventKind::CodeReplayDetected => "code_replay_detected",
            EventKind::ClientRegistered => "client_registered",
            EventKind::AdminChange => "admin_change",
            EventKind::TokenIssued => "token_issued",
        }
    }

    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How the user proved who they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInMethod {
    Password,
    /// The `ADMIN_TOKEN` bearer secret of the admin API.
    AdminToken,
    /// A WebAuthn assertion (a passkey) on the hosted login page.
    Passkey,
    /// An authenticator app's one-time code (the second factor after a password).
    Totp,
    /// A one-use recovery code in place of the authenticator app.
    RecoveryCode,
}

/// Where the sign-in happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignInChannel {
    /// The hosted login page of an authorization request.
    LoginPage,
    /// `grant_type=password` at the token endpoint.
    PasswordGrant,
    /// The web console's sign-in (administrators).
    Console,
    /// The admin API's bearer token.
    AdminApi,
}

/// Why a sign-in failed. The hosted page gives unknown users and wrong passwords the same
/// answer; the log, read by administrators only, tells them apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    UnknownUser,
    WrongPassword,
    Blocked,
    /// Refused unchecked: the account or the address is locked after too many failures.
    Locked,
    WrongToken,
    /// A passkey sign-in naming a credential the pool does not hold (removed, or never made).
    UnknownPasskey,
    /// A passkey assertion that failed a WebAuthn check or its signature.
    InvalidPasskey,
    /// A passkey whose signature counter went back: possibly a cloned authenticator.
    PasskeyCounterRegressed,
    /// A one-time or recovery code that matches nothing.
    WrongCode,
    /// A one-time code of a time step already used (RFC 6238 §5.2).
    ReplayedCode,
}

impl FailureReason {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureReason::UnknownUser => "unknown_user",
            FailureReason::WrongPassword => "wrong_password",
            FailureReason::Blocked => "blocked",
            FailureReason::Locked => "locked",
            FailureReason::WrongToken => "wrong_token",
            FailureReason::UnknownPasskey => "unknown_passkey",
            FailureReason::InvalidPasskey => "invalid_passkey",
            FailureReason::PasskeyCounterRegressed => "passkey_counter_regressed",
            FailureReason::WrongCode => "wrong_code",
            FailureReason::ReplayedCode => "replayed_code",
        }
    }
}

/// What a lock covers (`oidc::throttle`: one account, or one address across accounts).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LockScope {
    Account,
    Address,
}

/// What was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Revoked {
    AccessToken,
    /// A refresh token, with its family and the access tokens issued from it.
    RefreshToken,
    SsoSession,
    /// Every refresh family and SSO session of the user.
    AllOfUser,
    /// The refresh families the user holds for one client.
    UserClientTokens,
}

/// Why it was revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    /// The client asked (RFC 7009).
    ClientRequest,
    /// An administrator revoked it.
    Admin,
    PasswordChanged,
    UserBlocked,
    UserDeleted,
    ConsentWithdrawn,
    /// The user signed out (RP-initiated logout).
    SignedOut,
}

/// What an administrator changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    Application,
    Client,
    InitialAccessToken,
    User,
    Consent,
    Lock,
    Session,
    Pool,
    Resource,
    AccessAccount,
    SigningKey,
    Administrator,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Create,
    Update,
    Delete,
    /// A new client secret (its value is never logged).
    RotateSecret,
    /// The current client secret was shown to the administrator.
    ShowSecret,
    Rotate,
    Revoke,
    Clear,
    /// The whole pool taken out (`/pools/{id}/export`: users' hashes, clients' secrets).
    Export,
    /// A pool export brought in (`/pools/{id}/import`), with what it added.
    Import,
}

/// The kind of an event and what only that kind carries (`kind` on the wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum What {
    SignInSucceeded {
        method: SignInMethod,
        channel: SignInChannel,
    },
    SignInFailed {
        method: SignInMethod,
        channel: SignInChannel,
        reason: FailureReason,
        /// The login name tried, for an unknown user only (a known one has `user_id`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        login: Option<String>,
    },
    AccountLocked {
        lock: LockScope,
        until: u64,
    },
    MfaChanged {
        change: String,
    },
    ConsentGiven {
        scope: String,
    },
    ConsentWithdrawn,
    TokenRevoked {
        revoked: Revoked,
        reason: RevocationReason,
    },
    RefreshTokenReuseDetected,
    CodeReplayDetected,
    ClientRegistered {
        origin: ClientOrigin,
    },
    AdminChange {
        target: Target,
        target_id: String,
        action: Action,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<Value>,
    },
    TokenIssued {
        /// A grant type of the token endpoint, or `implicit` for tokens the authorization
        /// endpoint returned (implicit and hybrid response types, with `response_type`).
        grant_type: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        response_type: Option<String>,
        #[serde(default)]
        refresh_token_issued: bool,
        /// How many tokens the event stands for: 1, or a tally of machine tokens
        /// (`oidc::audit_tally`). Events from before the tally read 1.
        #[serde(default = "one", skip_serializing_if = "is_one")]
        count: u64,
    },
}

fn one() -> u64 {
    1
}

fn is_one(n: &u64) -> bool {
    *n == 1
}

impl What {
    pub fn kind(&self) -> EventKind {
        match self {
            What::SignInSucceeded { .. } => EventKind::SignInSucceeded,
            What::SignInFailed { .. } => EventKind::SignInFailed,
            What::AccountLocked { .. } => EventKind::AccountLocked,
            What::MfaChanged { .. } => EventKind::MfaChanged,
            What::ConsentGiven { .. } => EventKind::ConsentGiven,
            What::ConsentWithdrawn => EventKind::ConsentWithdrawn,
            What::TokenRevoked { .. } => EventKind::TokenRevoked,
            What::RefreshTokenReuseDetected => EventKind::RefreshTokenReuseDetected,
            What::CodeReplayDetected => EventKind::CodeReplayDetected,
            What::ClientRegistered { .. } => EventKind::ClientRegistered,
            What::AdminChange { .. } => EventKind::AdminChange,
            What::TokenIssued { .. } => EventKind::TokenIssued,
        }
    }

    /// How many occurrences the event stands for (what the charts add up).
    pub fn weight(&self) -> u64 {
        match self {
            What::TokenIssued { count, .. } => (*count).max(1),
            _ => 1,
        }
    }

    /// The one detail the charts group by: the method of a sign-in, the reason of a failure,
    /// the scope of a lock, the grant of an issued token.
    pub fn label(&self) -> Option<&str> {
        match self {
            What::SignInSucceeded { method, .. } => Some(match method {
                SignInMethod::Password => "password",
                SignInMethod::AdminToken => "admin_token",
                SignInMethod::Passkey => "passkey",
                SignInMethod::Totp => "totp",
                SignInMethod::RecoveryCode => "recovery_code",
            }),
            What::SignInFailed { reason, .. } => Some(reason.as_str()),
            What::AccountLocked { lock, .. } => Some(match lock {
                LockScope::Account => "account",
                LockScope::Address => "address",
            }),
            What::TokenIssued { grant_type, .. } => Some(grant_type),
            _ => None,
        }
    }

    /// A failed sign-in; the attempted login name is kept (shortened) for unknown users only.
    pub fn sign_in_failed(
        channel: SignInChannel,
        reason: FailureReason,
        attempted_login: &str,
    ) -> What {
        What::SignInFailed {
            method: SignInMethod::Password,
            channel,
            reason,
            login: (reason == FailureReason::UnknownUser)
                .then(|| shorten(attempted_login.trim(), MAX_LOGIN_CHARS)),
        }
    }

    /// An administrator's change: before/after cut down to the fields that changed (the whole
    /// record on create and delete), with every secret-like field removed.
    pub fn admin_change(
        target: Target,
        target_id: &str,
        action: Action,
        before: Option<&Value>,
        after: Option<&Value>,
    ) -> What {
        let (before, after) = match (before, after) {
            (Some(b), Some(a)) => {
                let (b, a) = changed(b, a);
                (Some(b), Some(a))
            }
            (b, a) => (b.cloned(), a.cloned()),
        };
        What::AdminChange {
            target,
            target_id: target_id.to_string(),
            action,
            before: before.map(redact),
            after: after.map(redact),
        }
    }
}

/// One event as the log keeps it. `time`, `ip`, `user_agent` and `actor` are filled in by the
/// request's recorder; `id` is given by the log (increasing; the list's cursor).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<u64>,
    pub time: u64,
    pub pool_id: String,
    #[serde(flatten)]
    pub what: What,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Who acted for an admin API call: the administrator's username, or `admin token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The caller's address bucket (`oidc::throttle::ip_bucket`: IPv6 by its /64).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
}

impl AuditEvent {
    pub fn new(pool_id: &str, what: What) -> AuditEvent {
        AuditEvent {
            id: None,
            time: 0,
            pool_id: pool_id.to_string(),
            what,
            application_id: None,
            client_id: None,
            user_id: None,
            actor: None,
            ip: None,
            user_agent: None,
        }
    }

    /// An event of `app`'s pool, naming the application and the client it was seen through.
    pub fn of_app(app: &Application, what: What) -> AuditEvent {
        let mut e = AuditEvent::new(&app.pool_id, what);
        e.application_id = Some(app.id().to_string());
        e.client_id = Some(app.client.client_id.clone());
        e
    }

    pub fn user(mut self, user_id: &str) -> AuditEvent {
        self.user_id = Some(user_id.to_string());
        self
    }

    /// [`AuditEvent::user`] when there is one.
    pub fn user_if(self, user_id: Option<&str>) -> AuditEvent {
        match user_id {
            Some(u) => self.user(u),
            None => self,
        }
    }

    pub fn client(mut self, application_id: &str, client_id: &str) -> AuditEvent {
        self.application_id = Some(application_id.to_string());
        self.client_id = Some(client_id.to_string());
        self
    }

    /// Names the client alone (when its application is not at hand).
    pub fn client_id(mut self, client_id: &str) -> AuditEvent {
        self.client_id = Some(client_id.to_string());
        self
    }

    pub fn kind(&self) -> EventKind {
        self.what.kind()
    }

    /// Stamps what the request knows: the time, the caller's address bucket and user agent,
    /// and the acting administrator.
    pub fn stamped(
        mut self,
        now: u64,
        ip: &str,
        user_agent: Option<&str>,
        actor: Option<&str>,
    ) -> AuditEvent {
        self.time = now;
        self.ip = (!ip.is_empty()).then(|| ip.to_string());
        self.user_agent = user_agent
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| shorten(a, MAX_AGENT_CHARS));
        if self.actor.is_none() {
            self.actor = actor.map(str::to_string);
        }
        self
    }

    /// The line forwarded to Workers Logs / Logpush: the event as one JSON object, marked
    /// `"log": "audit"` so a Logpush filter or a log query can pick audit lines out.
    pub fn log_line(&self) -> String {
        let mut line = Map::new();
        line.insert("log".into(), Value::from("audit"));
        if let Ok(Value::Object(fields)) = serde_json::to_value(self) {
            line.extend(fields);
        }
        Value::Object(line).to_string()
    }
}

fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(max).collect();
        out.push('…');
        out
    }
}

/// Whether a field's name says it may hold a credential: a secret, password, assertion, hash,
/// key material or private part, or a name ending in token, code, verifier, cookie or csrf
/// (`client_secret`, `password_hash`, `refresh_token`, `registration_access_token`, `code`,
/// `code_verifier`, `client_assertion`) — but not `token_endpoint_auth_method` or
/// `token_lifetimes`, which are settings.
pub fn is_secret_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let contains = [
        "secret",
        "password",
        "passwd",
        "assertion",
        "hash",
        "private",
        "credential",
        "authorization",
    ];
    let ends = ["token", "code", "verifier", "cookie", "csrf", "otp", "pin"];
    contains.iter().any(|c| n.contains(c)) || ends.iter().any(|e| n.ends_with(e))
}

/// `v` without any field whose name looks secret ([`is_secret_name`]) and holds text or
/// structure, at any depth; numbers, booleans and nulls under such names stay
/// (`token_lifetimes.access_token: 3600` is a lifetime). Long strings are shortened.
pub fn redact(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(k, v)| {
                    !(is_secret_name(k)
                        && matches!(v, Value::String(_) | Value::Array(_) | Value::Object(_)))
                })
                .map(|(k, v)| (k, redact(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(redact).collect()),
        Value::String(s) => Value::String(shorten(&s, MAX_VALUE_CHARS)),
        other => other,
    }
}

/// Before and after of an update, cut down to the top-level fields that differ. Values that
/// are not both objects are kept whole.
pub fn changed(before: &Value, after: &Value) -> (Value, Value) {
    let (Some(b), Some(a)) = (before.as_object(), after.as_object()) else {
        return (before.clone(), after.clone());
    };
    let mut old = Map::new();
    let mut new = Map::new();
    for (k, v) in b {
        if a.get(k) != Some(v) {
            old.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in a {
        if b.get(k) != Some(v) {
            new.insert(k.clone(), v.clone());
        }
    }
    (Value::Object(old), Value::Object(new))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_kind_has_its_wire_name_in_events_and_filters() {
        for k in EventKind::ALL {
            assert_eq!(serde_json::to_value(k).unwrap(), json!(k.as_str()));
            assert_eq!(EventKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(EventKind::parse("sign_in"), None);
        let e = AuditEvent::new("default", What::ConsentWithdrawn).user("u1");
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(v["kind"], "consent_withdrawn");
        assert_eq!(v["user_id"], "u1");
        assert_eq!(v["pool_id"], "default");
    }

    #[test]
    fn events_round_trip_through_json_with_their_kind_flattened() {
        let events = [
            What::SignInSucceeded {
                method: SignInMethod::Password,
                channel: SignInChannel::LoginPage,
            },
            What::sign_in_failed(
                SignInChannel::PasswordGrant,
                FailureReason::UnknownUser,
                "x",
            ),
            What::AccountLocked {
                lock: LockScope::Account,
                until: 99,
            },
            What::ConsentWithdrawn,
            What::RefreshTokenReuseDetected,
            What::TokenIssued {
                grant_type: "implicit".into(),
                response_type: Some("id_token token".into()),
                refresh_token_issued: false,
                count: 1,
            },
            What::admin_change(
                Target::User,
                "u1",
                Action::Update,
                Some(&json!({"blocked": false})),
                Some(&json!({"blocked": true})),
            ),
        ];
        for what in events {
            let kind = what.kind();
            let e = AuditEvent::new("p", what).client("app", "cl").stamped(
                5,
                "203.0.113.9",
                Some("curl"),
                None,
            );
            let text = serde_json::to_string(&e).unwrap();
            let back: AuditEvent = serde_json::from_str(&text).unwrap();
            assert_eq!(back, e, "{text}");
            assert_eq!(
                serde_json::from_str::<Value>(&text).unwrap()["kind"],
                kind.as_str()
            );
        }
    }

    #[test]
    fn only_an_unknown_users_attempted_login_is_kept_and_never_long() {
        let unknown = What::sign_in_failed(
            SignInChannel::LoginPage,
            FailureReason::UnknownUser,
            &"m".repeat(500),
        );
        let What::SignInFailed { login, .. } = unknown else {
            panic!("a failure")
        };
        assert_eq!(login.unwrap().chars().count(), MAX_LOGIN_CHARS + 1);
        let known =
            What::sign_in_failed(SignInChannel::LoginPage, FailureReason::WrongPassword, "al");
        assert!(!serde_json::to_string(&known).unwrap().contains("al\""));
    }

    #[test]
    fn redaction_strips_secret_fields_at_any_depth_and_keeps_settings() {
        let v = json!({
            "client_secret": "s3cret", "client_secret_encrypted": "sealed", "password": "pw",
            "password_hash": "h", "refresh_token": "rt", "access_token": "at", "code": "c",
            "code_verifier": "v", "client_assertion": "a.b.c", "registration_access_token": "r",
            "secret_key": "sk", "csrf": "x", "private_jwk": {"d": "k"},
            "token_endpoint_auth_method": "client_secret_basic",
            "token_lifetimes": {"access_token": 3600, "refresh_token": 86400},
            "token_params_in_query": true, "refresh_token_grace_seconds": 0,
            "redirect_uris": ["https://rp.example/cb"],
            "nested": [{"id_token": "t", "name": "kept"}],
            "name": "Shop"
        });
        let r = redact(v);
        for gone in [
            "client_secret",
            "client_secret_encrypted",
            "password",
            "password_hash",
            "refresh_token",
            "access_token",
            "code",
            "code_verifier",
            "client_assertion",
            "registration_access_token",
            "secret_key",
            "csrf",
            "private_jwk",
        ] {
            assert!(r.get(gone).is_none(), "{gone} kept: {r}");
        }
        assert_eq!(r["token_endpoint_auth_method"], "client_secret_basic");
        assert_eq!(r["token_lifetimes"]["access_token"], 3600);
        assert_eq!(r["token_params_in_query"], true);
        assert_eq!(r["refresh_token_grace_seconds"], 0);
        assert_eq!(r["redirect_uris"][0], "https://rp.example/cb");
        assert_eq!(r["nested"][0], json!({"name": "kept"}));
        assert_eq!(r["name"], "Shop");
        let text = r.to_string();
        for secret in ["s3cret", "sealed", "\"pw\"", "a.b.c", "\"rt\"", "\"at\""] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }

    #[test]
    fn an_admin_change_keeps_only_what_changed_and_never_a_secret() {
        let before = json!({"name": "Shop", "skip_consent": false, "client_secret": "old", "pool_id": "default"});
        let after = json!({"name": "Shop 2", "skip_consent": false, "client_secret": "new", "pool_id": "default"});
        let What::AdminChange { before, after, .. } = What::admin_change(
            Target::Application,
            "app1",
            Action::Update,
            Some(&before),
            Some(&after),
        ) else {
            panic!("an admin change")
        };
        assert_eq!(before, Some(json!({"name": "Shop"})));
        assert_eq!(after, Some(json!({"name": "Shop 2"})));
        let created = What::admin_change(
            Target::AccessAccount,
            "ak_1",
            Action::Create,
            None,
            Some(&json!({"access_key": "ak_1", "secret_key": "sk", "logo": "x".repeat(5000)})),
        );
        let text = serde_json::to_string(&created).unwrap();
        assert!(text.contains("ak_1") && !text.contains("\"sk\""), "{text}");
        assert!(
            text.len() < 1000,
            "long values are shortened: {}",
            text.len()
        );
    }

    #[test]
    fn stamping_fills_the_request_facts_and_keeps_an_explicit_actor() {
        let e = AuditEvent::new("p", What::CodeReplayDetected).stamped(
            7,
            "",
            Some(&"a".repeat(1000)),
            Some("alice"),
        );
        assert_eq!(e.time, 7);
        assert_eq!(e.ip, None);
        assert_eq!(e.actor.as_deref(), Some("alice"));
        assert!(e.user_agent.unwrap().chars().count() <= MAX_AGENT_CHARS + 1);
        let line: Value = serde_json::from_str(
            &AuditEvent::new("p", What::CodeReplayDetected)
                .stamped(1, "203.0.113.1", None, None)
                .log_line(),
        )
        .unwrap();
        assert_eq!(line["log"], "audit");
        assert_eq!(line["kind"], "code_replay_detected");
        assert_eq!(line["ip"], "203.0.113.1");
    }

    #[test]
    fn labels_are_what_the_charts_group_by() {
        assert_eq!(
            What::TokenIssued {
                grant_type: "client_credentials".into(),
                response_type: None,
                refresh_token_issued: false,
                count: 1,
            }
            .label(),
            Some("client_credentials")
        );
        assert_eq!(
            What::sign_in_failed(SignInChannel::Console, FailureReason::Locked, "a").label(),
            Some("locked")
        );
        assert_eq!(What::ConsentWithdrawn.label(), None);
    }
}
