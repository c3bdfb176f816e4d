//! The single-use and revocable records that live in Durable Objects (authorization codes,
//! refresh-token families, SSO sessions, pending interactions), and the state transitions the
//! object applies to them atomically. Runtime-free, so the rules are unit-tested natively;
//! `crate::objects::grant_store` only runs them inside the object's input gate.

use serde::{Deserialize, Serialize};

use super::model::ResponseType;

/// An access token `jti` and its expiry, kept so a code replay or family revocation can put
/// it on the revocation list until it would have expired anyway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedJti {
    pub jti: String,
    pub exp: u64,
}

/// What a code produced, so a replay can revoke it (RFC 6749 §4.1.2, "SHOULD revoke").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issued {
    pub access_jtis: Vec<IssuedJti>,
    pub refresh_family: Option<String>,
}

/// An authorization code, stored under the SHA-256 of the code (never the code itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CodeRecord {
    pub client_id: String,
    pub pool_id: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scope: String,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub auth_time: u64,
    pub session_id: Option<String>,
    pub response_type: ResponseType,
    /// `offline_access` was granted (scope had it and the request had `prompt=consent`).
    pub offline: bool,
    pub expires_at: u64,
    #[serde(default)]
    pub consumed: bool,
    #[serde(default)]
    pub replayed: bool,
    #[serde(default)]
    pub issued: Issued,
}

/// The outcome of taking a code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CodeTake {
    /// First use: the caller may issue tokens.
    Fresh { record: CodeRecord },
    /// A second use: the caller must refuse and revoke what the first use issued.
    Replayed { record: CodeRecord },
    /// Unknown or expired.
    Missing,
}

/// Takes a code: the first call gets `Fresh` and marks it consumed; every later call gets
/// `Replayed`. The consumed record is kept until it expires so replays can be detected.
///
/// `issue` is what the first taker is about to issue; it is recorded with the consumption.
pub fn take_code(
    record: Option<CodeRecord>,
    now: u64,
    issue: Issued,
) -> (CodeTake, Option<CodeRecord>) {
    match record {
        None => (CodeTake::Missing, None),
        Some(r) if r.expires_at <= now && !r.consumed => (CodeTake::Missing, None),
        Some(mut r) if r.consumed => {
            r.replayed = true;
            (CodeTake::Replayed { record: r.clone() }, Some(r))
        }
        Some(mut r) => {
            r.consumed = true;
            r.issued = issue;
            (CodeTake::Fresh { record: r.clone() }, Some(r))
        }
    }
}

/// A refresh-token family: every token rotated from one grant. Keyed by `family_id`, which is
/// the part of the token before the dot; only the SHA-256 of the whole token is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshFamily {
    pub family_id: String,
    pub client_id: String,
    pub pool_id: String,
    pub user_id: String,
    pub scope: String,
    pub auth_time: u64,
    pub session_id: Option<String>,
    pub current_hash: String,
    pub previous_hash: Option<String>,
    pub rotated_at: u64,
    pub expires_at: u64,
    #[serde(default)]
    pub revoked: bool,
    #[serde(default)]
    pub access_jtis: Vec<IssuedJti>,
}

/// How long an already-rotated refresh token is still honoured, once, for a client that
/// retried a request whose response it lost. That retry rotates again; only the newest token
/// continues the family, and any other old token revokes the family.
pub const REFRESH_REUSE_GRACE_SECS: u64 = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RefreshRotation {
    Rotated {
        family: RefreshFamily,
    },
    /// An old token came back outside the grace window: the family is now revoked and the
    /// caller must put these access tokens on the revocation list.
    Reused {
        family: RefreshFamily,
    },
    /// Unknown family, expired, already revoked, or not this client's.
    Invalid,
    /// A live token asking for more than its grant (RFC 6749 §6): refused, nothing rotated.
    ScopeExceeded,
}

/// Rotates `presented_hash` to `new_hash` (OAuth 2.0 Security BCP §4.14.2). A `requested_scope`
/// may only narrow the family's; a wider one leaves the family as it was.
pub fn rotate_refresh(
    family: Option<RefreshFamily>,
    client_id: &str,
    presented_hash: &str,
    new_hash: &str,
    requested_scope: Option<&str>,
    now: u64,
) -> (RefreshRotation, Option<RefreshFamily>) {
    let Some(mut f) = family else {
        return (RefreshRotation::Invalid, None);
    };
    if f.revoked || f.expires_at <= now || f.client_id != client_id {
        return (RefreshRotation::Invalid, Some(f));
    }
    let is_current = f.current_hash == presented_hash;
    let in_grace = f.previous_hash.as_deref() == Some(presented_hash)
        && now.saturating_sub(f.rotated_at) <= REFRESH_REUSE_GRACE_SECS;
    let widens = requested_scope.is_some_and(|r| {
        !super::scope::ScopeSet::parse(r).is_subset_of(&super::scope::ScopeSet::parse(&f.scope))
    });
    if (is_current || in_grace) && widens {
        return (RefreshRotation::ScopeExceeded, Some(f));
    }
    if is_current {
        f.previous_hash = Some(f.current_hash.clone());
        f.current_hash = new_hash.to_string();
        f.rotated_at = now;
        (RefreshRotation::Rotated { family: f.clone() }, Some(f))
    } else if in_grace {
        // The grace is spent: the old token will not be honoured again, and the window does
        // not slide (a stolen old token cannot keep minting tokens).
        f.previous_hash = None;
        f.current_hash = new_hash.to_string();
        (RefreshRotation::Rotated { family: f.clone() }, Some(f))
    } else {
        f.revoked = true;
        (RefreshRotation::Reused { family: f.clone() }, Some(f))
    }
}

/// A revoked placeholder for a family that does not exist yet (a code replay raced the first
/// redemption): creating the family afterwards fails, so nothing issued from the code lives.
pub fn tombstone_family(family_id: &str, until: u64) -> RefreshFamily {
    RefreshFamily {
        family_id: family_id.to_string(),
        client_id: String::new(),
        pool_id: String::new(),
        user_id: String::new(),
        scope: String::new(),
        auth_time: 0,
        session_id: None,
        current_hash: String::new(),
        previous_hash: None,
        rotated_at: 0,
        expires_at: until,
        revoked: true,
        access_jtis: vec![],
    }
}

/// An SSO session, keyed by the SHA-256 of the session cookie.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub session_id: String,
    pub pool_id: String,
    pub user_id: String,
    pub auth_time: u64,
    pub expires_at: u64,
}

/// A pending authorization request waiting for the hosted login or consent page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Interaction {
    pub client_id: String,
    /// The validated request, re-run when the user comes back (`AuthorizationRequest`).
    pub request: super::authorize::AuthorizationRequest,
    /// The CSRF token the page's forms must carry; also set as a cookie (double submit).
    pub csrf: String,
    /// Set once the user has signed in on this interaction.
    pub user_id: Option<String>,
    pub auth_time: Option<u64>,
    pub expires_at: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(expires_at: u64) -> CodeRecord {
        CodeRecord {
            client_id: "c".into(),
            pool_id: "p".into(),
            user_id: "u".into(),
            redirect_uri: "https://rp/cb".into(),
            scope: "openid".into(),
            nonce: None,
            code_challenge: None,
            code_challenge_method: None,
            auth_time: 0,
            session_id: None,
            response_type: ResponseType::Code,
            offline: false,
            expires_at,
            consumed: false,
            replayed: false,
            issued: Issued::default(),
        }
    }

    #[test]
    fn a_code_is_fresh_once_then_replayed() {
        let (first, stored) = take_code(Some(code(100)), 10, Issued::default());
        assert!(matches!(first, CodeTake::Fresh { .. }));
        let (second, stored) = take_code(stored, 11, Issued::default());
        assert!(matches!(second, CodeTake::Replayed { .. }));
        assert!(stored.unwrap().replayed);
    }

    #[test]
    fn an_expired_code_is_missing() {
        assert_eq!(
            take_code(Some(code(100)), 100, Issued::default()).0,
            CodeTake::Missing
        );
        assert_eq!(take_code(None, 0, Issued::default()).0, CodeTake::Missing);
    }

    fn family() -> RefreshFamily {
        RefreshFamily {
            family_id: "f".into(),
            client_id: "c".into(),
            pool_id: "p".into(),
            user_id: "u".into(),
            scope: "openid offline_access".into(),
            auth_time: 0,
            session_id: None,
            current_hash: "h1".into(),
            previous_hash: None,
            rotated_at: 0,
            expires_at: 1000,
            revoked: false,
            access_jtis: vec![],
        }
    }

    #[test]
    fn rotation_replaces_the_current_token() {
        let (out, f) = rotate_refresh(Some(family()), "c", "h1", "h2", None, 50);
        assert!(matches!(out, RefreshRotation::Rotated { .. }));
        let f = f.unwrap();
        assert_eq!(f.current_hash, "h2");
        assert_eq!(f.previous_hash.as_deref(), Some("h1"));
    }

    #[test]
    fn reuse_after_the_grace_window_revokes_the_family() {
        let (_, f) = rotate_refresh(Some(family()), "c", "h1", "h2", None, 50);
        let (out, f) = rotate_refresh(f, "c", "h1", "h3", None, 50 + REFRESH_REUSE_GRACE_SECS + 1);
        assert!(matches!(out, RefreshRotation::Reused { .. }));
        let (out, _) = rotate_refresh(f, "c", "h2", "h4", None, 70);
        assert_eq!(
            out,
            RefreshRotation::Invalid,
            "the newest token is dead too"
        );
    }

    #[test]
    fn a_retry_inside_the_grace_window_is_honoured_once() {
        let (_, f) = rotate_refresh(Some(family()), "c", "h1", "h2", None, 50);
        let (out, f) = rotate_refresh(f, "c", "h1", "h3", None, 52);
        assert!(matches!(out, RefreshRotation::Rotated { .. }));
        let (out, f) = rotate_refresh(f, "c", "h1", "h4", None, 53);
        assert!(
            matches!(out, RefreshRotation::Reused { .. }),
            "the grace is spent"
        );
        assert!(f.unwrap().revoked);
    }

    #[test]
    fn the_token_orphaned_by_a_grace_retry_revokes_the_family() {
        let (_, f) = rotate_refresh(Some(family()), "c", "h1", "h2", None, 50);
        let (_, f) = rotate_refresh(f, "c", "h1", "h3", None, 52);
        let (out, _) = rotate_refresh(f, "c", "h2", "h4", None, 53);
        assert!(matches!(out, RefreshRotation::Reused { .. }));
    }

    #[test]
    fn a_wider_scope_is_refused_without_rotating() {
        let (out, f) = rotate_refresh(Some(family()), "c", "h1", "h2", Some("openid email"), 50);
        assert_eq!(out, RefreshRotation::ScopeExceeded);
        assert_eq!(
            f.unwrap().current_hash,
            "h1",
            "the presented token stays current"
        );
        let (out, _) = rotate_refresh(Some(family()), "c", "h1", "h2", Some("openid"), 50);
        assert!(matches!(out, RefreshRotation::Rotated { .. }));
    }

    #[test]
    fn another_clients_token_is_invalid_and_does_not_revoke() {
        let (out, f) = rotate_refresh(Some(family()), "other", "h1", "h2", None, 50);
        assert_eq!(out, RefreshRotation::Invalid);
        assert!(!f.unwrap().revoked);
    }

    #[test]
    fn unknown_token_in_a_live_family_is_reuse() {
        let (out, _) = rotate_refresh(Some(family()), "c", "zzz", "h2", None, 50);
        assert!(matches!(out, RefreshRotation::Reused { .. }));
    }
}
