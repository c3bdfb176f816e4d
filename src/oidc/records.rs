//! The single-use and revocable records that live in Durable Objects (authorization codes,
//! refresh-token families, SSO sessions, pending interactions), and the state transitions the
//! object applies to them atomically. Runtime-free, so the rules are unit-tested natively;
//! `crate::objects::grant_store` only runs them inside the object's input gate.

use serde::{Deserialize, Serialize};

use super::acr::{self, Authentication};
use super::claims_request::ClaimsRequest;
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
    /// RFC 8707: the resource the code's access tokens are for (their `aud`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// OIDC Core §5.5: the claims the request asked for by name (absent in records written
    /// before the parameter was supported: nothing asked).
    #[serde(default, skip_serializing_if = "ClaimsRequest::is_empty")]
    pub claims: ClaimsRequest,
    /// RFC 8176 methods of the authentication `auth_time` dates, for the id_token's `acr`
    /// and `amr` (absent in codes from before: a password).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
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
    /// Issued to another client: refused, and left as it was — neither consumed nor counted
    /// as a replay, so a client cannot spend or revoke another client's grant by presenting
    /// its code (node-oidc-provider checks the client first too).
    OtherClient,
}

/// Takes a code: the first call gets `Fresh` and marks it consumed; every later call gets
/// `Replayed`. The consumed record is kept until it expires so replays can be detected.
///
/// `issue` is what the first taker is about to issue; it is recorded with the consumption.
pub fn take_code(
    record: Option<CodeRecord>,
    client_id: &str,
    now: u64,
    issue: Issued,
) -> (CodeTake, Option<CodeRecord>) {
    match record {
        None => (CodeTake::Missing, None),
        Some(r) if r.client_id != client_id => (CodeTake::OtherClient, Some(r)),
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

/// Whether `s` has the exact shape of a 128-bit random id (22 base64url characters), as
/// client ids and grant ids minted before the compact shard layout do. Checked before a
/// Durable Object is addressed with it, so a caller cannot choose which shard an arbitrary
/// string lands on.
pub fn is_random_id(s: &str) -> bool {
    is_base64url_of(s, 16)
}

/// The id of a grant record (a refresh family, a pending sign-in, a passkey challenge): 24
/// characters (144 bits) since the compact shard layout, 22 before it (`store::shards`).
pub fn is_grant_id(s: &str) -> bool {
    is_base64url_of(s, 16) || is_base64url_of(s, 18)
}

/// Exactly `bytes` bytes in unpadded base64url.
fn is_base64url_of(s: &str, bytes: usize) -> bool {
    s.len() == (bytes * 4).div_ceil(3)
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && super::jws::b64_decode(s).is_some_and(|b| b.len() == bytes)
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
    /// Hash prefixes of the tokens this family rotated out, newest last: a retired token that
    /// comes back is reuse; a token never issued is merely invalid. Families written before
    /// this field existed remember only `previous_hash`.
    #[serde(default)]
    pub retired: Vec<String>,
    /// RFC 8707: the resource every access token of the family is for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// OIDC Core §5.5: the claims the grant's request asked for by name, so refreshed
    /// id_tokens and access tokens (and through them userinfo) keep releasing them.
    #[serde(default, skip_serializing_if = "ClaimsRequest::is_empty")]
    pub claims: ClaimsRequest,
    /// RFC 8176 methods of the grant's authentication: refreshed id_tokens keep its `acr`
    /// and `amr` with its `auth_time` (absent in families from before: a password).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
}

/// How many retired tokens a family remembers for reuse detection (their hash prefixes).
/// A token older than that is simply invalid: refused, but it no longer revokes the family.
pub const RETIRED_REMEMBERED: usize = 256;
/// The part of a retired token's SHA-256 (base64url) that is remembered: 96 bits.
const RETIRED_PREFIX: usize = 16;

fn retired_mark(hash: &str) -> &str {
    hash.get(..RETIRED_PREFIX).unwrap_or(hash)
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum RefreshRotation {
    Rotated {
        family: RefreshFamily,
    },
    /// A token this family already rotated out came back (outside any grace): the family is
    /// now revoked and the caller must put these access tokens on the revocation list.
    Reused {
        family: RefreshFamily,
    },
    /// Unknown family, expired, already revoked, not this client's, or a secret this family
    /// never issued (anyone who saw a family id cannot revoke it by guessing).
    Invalid,
    /// A live token asking for more than its grant (RFC 6749 §6): refused, nothing rotated.
    ScopeExceeded,
}

/// One rotation, as the token endpoint asks the family's object for it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RotationRequest {
    pub client_id: String,
    pub presented_hash: String,
    pub new_hash: String,
    /// May only narrow the family's scope; a wider one leaves the family as it was.
    pub requested_scope: Option<String>,
    /// The access token this rotation issues, recorded in the same write, so a reuse or a
    /// revocation that lands before the response is sent still reaches it.
    pub new_access_jti: IssuedJti,
    /// How long an already-rotated token is honoured once more, for a client that retried a
    /// request whose answer it lost (the application's setting; 0 turns it off).
    pub grace_secs: u64,
    pub now: u64,
}

/// Rotates the presented token to a new one (OAuth 2.0 Security BCP §4.14.2).
pub fn rotate_refresh(
    family: Option<RefreshFamily>,
    r: &RotationRequest,
) -> (RefreshRotation, Option<RefreshFamily>) {
    let Some(mut f) = family else {
        return (RefreshRotation::Invalid, None);
    };
    if f.revoked || f.expires_at <= r.now || f.client_id != r.client_id {
        return (RefreshRotation::Invalid, Some(f));
    }
    let presented = r.presented_hash.as_str();
    let is_current = f.current_hash == presented;
    let is_previous = f.previous_hash.as_deref() == Some(presented);
    let in_grace =
        is_previous && r.grace_secs > 0 && r.now.saturating_sub(f.rotated_at) <= r.grace_secs;
    let widens = r.requested_scope.as_deref().is_some_and(|req| {
        !super::scope::ScopeSet::parse(req).is_subset_of(&super::scope::ScopeSet::parse(&f.scope))
    });
    if (is_current || in_grace) && widens {
        return (RefreshRotation::ScopeExceeded, Some(f));
    }
    let record_access = |f: &mut RefreshFamily| {
        f.access_jtis.retain(|j| j.exp > r.now);
        f.access_jtis.push(r.new_access_jti.clone());
    };
    let retire = |f: &mut RefreshFamily, hash: &str| {
        f.retired.push(retired_mark(hash).to_string());
        let excess = f.retired.len().saturating_sub(RETIRED_REMEMBERED);
        f.retired.drain(..excess);
    };
    if is_current {
        let old = std::mem::replace(&mut f.current_hash, r.new_hash.clone());
        retire(&mut f, &old);
        f.previous_hash = Some(old);
        f.rotated_at = r.now;
        record_access(&mut f);
        (RefreshRotation::Rotated { family: f.clone() }, Some(f))
    } else if in_grace {
        // The grace is spent: the old token will not be honoured again, and the window does
        // not slide (a stolen old token cannot keep minting tokens). The token it replaces
        // was issued, so it is retired too.
        let orphaned = std::mem::replace(&mut f.current_hash, r.new_hash.clone());
        retire(&mut f, &orphaned);
        f.previous_hash = None;
        record_access(&mut f);
        (RefreshRotation::Rotated { family: f.clone() }, Some(f))
    } else if is_previous || f.retired.iter().any(|m| m == retired_mark(presented)) {
        f.revoked = true;
        (RefreshRotation::Reused { family: f.clone() }, Some(f))
    } else {
        (RefreshRotation::Invalid, Some(f))
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
        retired: vec![],
        resource: None,
        claims: ClaimsRequest::default(),
        amr: vec![],
    }
}

/// An SSO session, keyed by the SHA-256 of the session cookie.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRecord {
    pub session_id: String,
    pub pool_id: String,
    pub user_id: String,
    /// When the session began (its first authentication).
    pub auth_time: u64,
    pub expires_at: u64,
    /// The latest authentication per class (`acr::remember`); a step-up adds one. Sessions
    /// written before this field read as one password authentication at `auth_time`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authentications: Vec<Authentication>,
}

impl SessionRecord {
    /// The session's authentications, with the password sign-in of an older record.
    pub fn authentications(&self) -> Vec<Authentication> {
        if self.authentications.is_empty() {
            vec![Authentication {
                at: self.auth_time,
                amr: vec![acr::AMR_PASSWORD.to_string()],
            }]
        } else {
            self.authentications.clone()
        }
    }
}

/// The step of a pending sign-in after the password (or for a step-up, instead of it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum SecondFactor {
    /// The second-factor page: a one-time code or a recovery code.
    Verify,
    /// Enrolment during sign-in: a new authenticator-app secret (sealed under `MASTER_KEY`)
    /// waits for its first code.
    Enrol { sealed_secret: String },
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
    /// RFC 8176 methods of the authentication so far (empty in records from before: a
    /// password, when `user_id` is set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    /// Set while a second factor is still owed: the password is done (or the session's
    /// password stands, for a step-up) and neither consent nor a response comes before it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub second_factor: Option<SecondFactor>,
    /// A step-up of the browser's SSO session (no new session is started; the session
    /// record gains the new authentication).
    #[serde(default)]
    pub step_up: bool,
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
            resource: None,
            claims: ClaimsRequest::default(),
            amr: vec![],
        }
    }

    #[test]
    fn only_the_exact_random_id_shape_is_a_shard_id() {
        assert!(is_random_id("AAAAAAAAAAAAAAAAAAAAAA"));
        assert!(is_random_id("abcdefghij-_KLMNOPQRSA"));
        for bad in [
            "",
            "short",
            "AAAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAA=",
            "ééééééééééé",
            "AAAAAAAAAAAAAAAAAAAA/A",
        ] {
            assert!(!is_random_id(bad), "{bad}");
        }
    }

    #[test]
    fn grant_ids_of_both_shard_layouts_are_accepted() {
        assert!(is_grant_id("AAAAAAAAAAAAAAAAAAAAAA"));
        assert!(is_grant_id("abcdefghij-_KLMNOPQRSTUV"));
        for bad in [
            "AAAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAAAAAA",
            "AAAAAAAAAAAAAAAAAAAAAA=A",
            "AAAAAAAAAAAAAAAAAAAAAA.A",
        ] {
            assert!(!is_grant_id(bad), "{bad}");
        }
    }

    #[test]
    fn a_code_is_fresh_once_then_replayed() {
        let (first, stored) = take_code(Some(code(100)), "c", 10, Issued::default());
        assert!(matches!(first, CodeTake::Fresh { .. }));
        let (second, stored) = take_code(stored, "c", 11, Issued::default());
        assert!(matches!(second, CodeTake::Replayed { .. }));
        assert!(stored.unwrap().replayed);
    }

    #[test]
    fn another_clients_take_neither_spends_nor_replays_the_code() {
        let (other, stored) = take_code(Some(code(100)), "thief", 10, Issued::default());
        assert_eq!(other, CodeTake::OtherClient);
        let stored = stored.unwrap();
        assert!(!stored.consumed && !stored.replayed);
        let (first, stored) = take_code(Some(stored), "c", 11, Issued::default());
        assert!(matches!(first, CodeTake::Fresh { .. }));
        let (again, stored) = take_code(stored, "thief", 12, Issued::default());
        assert_eq!(again, CodeTake::OtherClient);
        assert!(
            !stored.unwrap().replayed,
            "no revocation on another client's say-so"
        );
    }

    #[test]
    fn an_expired_code_is_missing() {
        assert_eq!(
            take_code(Some(code(100)), "c", 100, Issued::default()).0,
            CodeTake::Missing
        );
        assert_eq!(
            take_code(None, "c", 0, Issued::default()).0,
            CodeTake::Missing
        );
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
            retired: vec![],
            resource: None,
            claims: ClaimsRequest::default(),
            amr: vec![],
        }
    }

    const GRACE: u64 = 10;

    /// A rotation of `presented` to `new` at `now`, with a 10 s grace unless `grace` says.
    fn rot(
        client: &str,
        presented: &str,
        new: &str,
        scope: Option<&str>,
        now: u64,
    ) -> RotationRequest {
        RotationRequest {
            client_id: client.into(),
            presented_hash: presented.into(),
            new_hash: new.into(),
            requested_scope: scope.map(str::to_string),
            new_access_jti: IssuedJti {
                jti: format!("at-{new}"),
                exp: now + 60,
            },
            grace_secs: GRACE,
            now,
        }
    }

    #[test]
    fn rotation_replaces_the_current_token_and_records_the_new_access_token() {
        let (out, f) = rotate_refresh(Some(family()), &rot("c", "h1", "h2", None, 50));
        assert!(matches!(out, RefreshRotation::Rotated { .. }));
        let f = f.unwrap();
        assert_eq!(f.current_hash, "h2");
        assert_eq!(f.previous_hash.as_deref(), Some("h1"));
        assert_eq!(f.access_jtis.last().map(|j| j.jti.as_str()), Some("at-h2"));
    }

    #[test]
    fn reuse_after_the_grace_window_revokes_the_family() {
        let (_, f) = rotate_refresh(Some(family()), &rot("c", "h1", "h2", None, 50));
        let (out, f) = rotate_refresh(f, &rot("c", "h1", "h3", None, 50 + GRACE + 1));
        assert!(matches!(out, RefreshRotation::Reused { .. }));
        let (out, _) = rotate_refresh(f, &rot("c", "h2", "h4", None, 70));
        assert_eq!(
            out,
            RefreshRotation::Invalid,
            "the newest token is dead too"
        );
    }

    #[test]
    fn with_no_grace_window_an_immediate_retry_is_reuse() {
        let (_, f) = rotate_refresh(Some(family()), &rot("c", "h1", "h2", None, 50));
        let mut retry = rot("c", "h1", "h3", None, 50);
        retry.grace_secs = 0;
        let (out, f) = rotate_refresh(f, &retry);
        assert!(matches!(out, RefreshRotation::Reused { .. }));
        assert!(f.unwrap().revoked);
    }

    #[test]
    fn a_retry_inside_the_grace_window_is_honoured_once() {
        let (_, f) = rotate_refresh(Some(family()), &rot("c", "h1", "h2", None, 50));
        let (out, f) = rotate_refresh(f, &rot("c", "h1", "h3", None, 52));
        assert!(matches!(out, RefreshRotation::Rotated { .. }));
        let (out, f) = rotate_refresh(f, &rot("c", "h1", "h4", None, 53));
        assert!(
            matches!(out, RefreshRotation::Reused { .. }),
            "the grace is spent"
        );
        assert!(f.unwrap().revoked);
    }

    #[test]
    fn the_token_orphaned_by_a_grace_retry_revokes_the_family() {
        let (_, f) = rotate_refresh(Some(family()), &rot("c", "h1", "h2", None, 50));
        let (_, f) = rotate_refresh(f, &rot("c", "h1", "h3", None, 52));
        let (out, _) = rotate_refresh(f, &rot("c", "h2", "h4", None, 53));
        assert!(matches!(out, RefreshRotation::Reused { .. }));
    }

    #[test]
    fn an_old_token_many_rotations_back_is_still_reuse() {
        let mut f = Some(family());
        for i in 1..20 {
            let (_, next) = rotate_refresh(
                f,
                &rot(
                    "c",
                    &format!("h{i}"),
                    &format!("h{}", i + 1),
                    None,
                    100 + i * 100,
                ),
            );
            f = next;
        }
        let f = f.map(|mut f| {
            f.expires_at = 100_000;
            f
        });
        let (out, _) = rotate_refresh(f, &rot("c", "h3", "hx", None, 5000));
        assert!(matches!(out, RefreshRotation::Reused { .. }));
    }

    #[test]
    fn a_wider_scope_is_refused_without_rotating() {
        let (out, f) = rotate_refresh(
            Some(family()),
            &rot("c", "h1", "h2", Some("openid email"), 50),
        );
        assert_eq!(out, RefreshRotation::ScopeExceeded);
        assert_eq!(
            f.unwrap().current_hash,
            "h1",
            "the presented token stays current"
        );
        let (out, _) = rotate_refresh(Some(family()), &rot("c", "h1", "h2", Some("openid"), 50));
        assert!(matches!(out, RefreshRotation::Rotated { .. }));
    }

    #[test]
    fn another_clients_token_is_invalid_and_does_not_revoke() {
        let (out, f) = rotate_refresh(Some(family()), &rot("other", "h1", "h2", None, 50));
        assert_eq!(out, RefreshRotation::Invalid);
        assert!(!f.unwrap().revoked);
    }

    #[test]
    fn a_secret_the_family_never_issued_is_invalid_and_does_not_revoke() {
        let (out, f) = rotate_refresh(Some(family()), &rot("c", "zzz", "h2", None, 50));
        assert_eq!(out, RefreshRotation::Invalid);
        assert!(!f.unwrap().revoked);
    }

    #[test]
    fn records_written_before_the_claims_parameter_still_load_and_ask_for_nothing() {
        let mut c = serde_json::to_value(code(100)).unwrap();
        assert!(c.get("claims").is_none(), "an empty request is not written");
        c.as_object_mut().unwrap().remove("claims");
        let c: CodeRecord = serde_json::from_value(c).unwrap();
        assert!(c.claims.is_empty());
        let f: RefreshFamily =
            serde_json::from_value(serde_json::to_value(family()).unwrap()).unwrap();
        assert!(f.claims.is_empty());
        let mut with = family();
        with.claims = ClaimsRequest::parse(r#"{"userinfo": {"email": null}}"#).unwrap();
        let back: RefreshFamily =
            serde_json::from_value(serde_json::to_value(&with).unwrap()).unwrap();
        assert_eq!(back.claims.userinfo_names(), ["email"]);
    }

    #[test]
    fn a_family_written_before_retired_hashes_existed_still_loads_and_detects_reuse() {
        let mut old = serde_json::to_value(family()).unwrap();
        old.as_object_mut().unwrap().remove("retired");
        old["current_hash"] = serde_json::json!("h2");
        old["previous_hash"] = serde_json::json!("h1");
        let f: RefreshFamily = serde_json::from_value(old).unwrap();
        let (out, _) = rotate_refresh(Some(f), &rot("c", "h1", "h3", None, 500));
        assert!(matches!(out, RefreshRotation::Reused { .. }));
    }

    #[test]
    fn a_session_written_before_methods_were_reads_as_a_password_sign_in() {
        let old = serde_json::json!({
            "session_id": "s", "pool_id": "p", "user_id": "u",
            "auth_time": 1000, "expires_at": 2000
        });
        let s: SessionRecord = serde_json::from_value(old).unwrap();
        let list = s.authentications();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].at, 1000);
        assert_eq!(list[0].amr, ["pwd"]);
        assert_eq!(list[0].level(), acr::Level::Password);
        let back = serde_json::to_value(&s).unwrap();
        assert!(
            back.get("authentications").is_none(),
            "nothing new is written"
        );
    }

    #[test]
    fn codes_families_and_interactions_from_before_read_as_password_only() {
        let mut c = serde_json::to_value(code(100)).unwrap();
        assert!(c.get("amr").is_none());
        c.as_object_mut().unwrap().remove("amr");
        let c: CodeRecord = serde_json::from_value(c).unwrap();
        assert!(c.amr.is_empty());
        assert_eq!(acr::level_of(&c.amr), acr::Level::Password);
        let mut with = family();
        with.amr = vec!["pwd".into(), "otp".into(), "mfa".into()];
        let back: RefreshFamily =
            serde_json::from_value(serde_json::to_value(&with).unwrap()).unwrap();
        assert_eq!(acr::level_of(&back.amr), acr::Level::Mfa);
    }

    #[test]
    fn a_parked_second_factor_step_round_trips() {
        for step in [
            SecondFactor::Verify,
            SecondFactor::Enrol {
                sealed_secret: "x".into(),
            },
        ] {
            let v = serde_json::to_value(&step).unwrap();
            let back: SecondFactor = serde_json::from_value(v).unwrap();
            assert_eq!(back, step);
        }
    }

    #[test]
    fn an_interaction_parked_before_second_factors_reads_with_none_owed() {
        let old = serde_json::json!({
            "client_id": "c",
            "request": {
                "client_id": "c", "redirect_uri": "https://rp/cb", "response_type": "code",
                "response_mode": "query", "scope": ["openid"], "state": null, "nonce": null,
                "code_challenge": null, "code_challenge_method": null, "prompt": [],
                "max_age": null, "login_hint": null, "ui_locales": null, "id_token_hint": null
            },
            "csrf": "t", "user_id": "u", "auth_time": 10, "expires_at": 20
        });
        let rec: Interaction = serde_json::from_value(old).unwrap();
        assert!(rec.amr.is_empty() && rec.second_factor.is_none() && !rec.step_up);
        assert!(rec.request.acr_values.is_empty() && !rec.request.for_account);
        let back = serde_json::to_value(&rec).unwrap();
        assert!(back.get("second_factor").is_none());
        assert!(back["request"].get("for_account").is_none());
    }
}
