//! A user's second factors as the pool's `UserDirectory` keeps them — the authenticator app
//! (its secret sealed under `MASTER_KEY`, and the last time step accepted, RFC 6238 §5.2's
//! replay guard) and the recovery codes (only their hashes) — and the atomic changes the
//! object applies to them. Passkeys are kept by their own code; the summary counts them so
//! the sign-in decision sees every factor. Runtime-free.

use serde::{Deserialize, Serialize};

use super::jws::sha256_b64;

/// An enrolled authenticator app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotpFactor {
    /// The 20-byte secret, sealed (`crypto::secretbox`, purpose `totp`).
    pub sealed_secret: String,
    pub created_at: u64,
    /// The latest RFC 6238 step accepted: a code of that step or an earlier one is refused.
    pub last_step: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<u64>,
}

/// Everything one user holds beyond the password (one row per user).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserFactors {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp: Option<TotpFactor>,
    /// SHA-256 of each unused recovery code (`recovery_codes::hash`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovery_hashes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_created_at: Option<u64>,
}

/// What the sign-in decision, the account page and the console see (never a secret).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorSummary {
    pub totp: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_created_at: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub totp_last_used_at: Option<u64>,
    pub recovery_codes_left: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_created_at: Option<u64>,
    /// How many passkeys the user has, when asked for (`FactorCommand::Summary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passkeys: Option<u32>,
}

impl FactorSummary {
    /// A one-time code of some kind can be asked for.
    pub fn has_second_factor(&self) -> bool {
        self.totp || self.recovery_codes_left > 0
    }
}

impl UserFactors {
    pub fn summary(&self) -> FactorSummary {
        FactorSummary {
            totp: self.totp.is_some(),
            totp_created_at: self.totp.as_ref().map(|t| t.created_at),
            totp_last_used_at: self.totp.as_ref().and_then(|t| t.last_used_at),
            recovery_codes_left: self.recovery_hashes.len() as u32,
            recovery_created_at: self.recovery_created_at,
            passkeys: None,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.totp.is_none() && self.recovery_hashes.is_empty()
    }

    /// Records an accepted step, unless a step as late or later was accepted meanwhile (two
    /// sign-ins racing with one code: the object serialises them and only one wins).
    pub fn accept_step(&mut self, step: u64, now: u64) -> bool {
        match &mut self.totp {
            Some(t) if step > t.last_step => {
                t.last_step = step;
                t.last_used_at = Some(now);
                true
            }
            _ => false,
        }
    }

    /// Spends a recovery code: true once per code, then never again.
    pub fn use_recovery(&mut self, hash: &str) -> bool {
        let before = self.recovery_hashes.len();
        self.recovery_hashes.retain(|h| h != hash);
        self.recovery_hashes.len() < before
    }
}

/// The pool-wide counts the console's pool page shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorCounts {
    pub users: u64,
    pub totp: u64,
    pub recovery_codes: u64,
    /// Users holding at least one passkey.
    #[serde(default)]
    pub passkeys: u64,
}

/// Recovery codes: ten, each 80 random bits as four groups of four base32 letters (so a
/// plain SHA-256 at rest is beyond brute force), hashed with the user id so two users'
/// equal codes never share a hash.
pub mod recovery_codes {
    use super::sha256_b64;

    pub const COUNT: usize = 10;
    /// Random bytes per code (80 bits).
    pub const BYTES: usize = 10;

    /// A code from its random bytes: `abcd-efgh-ijkl-mnop`.
    pub fn format(bytes: &[u8; BYTES]) -> String {
        let b32 = super::super::totp::base32(bytes).to_lowercase();
        let groups: Vec<&str> = (0..4).filter_map(|i| b32.get(i * 4..i * 4 + 4)).collect();
        groups.join("-")
    }

    /// A code as typed: case, dashes and spaces do not matter.
    pub fn normalize(input: &str) -> Option<String> {
        let c: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        (c.len() == 16
            && c.bytes()
                .all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)))
        .then_some(c)
    }

    pub fn hash(user_id: &str, normalized: &str) -> String {
        sha256_b64(&format!("recovery:{user_id}:{normalized}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_totp(last: u64) -> UserFactors {
        UserFactors {
            totp: Some(TotpFactor {
                sealed_secret: "v1.x.y".into(),
                created_at: 1,
                last_step: last,
                last_used_at: None,
            }),
            ..Default::default()
        }
    }

    #[test]
    fn a_step_is_accepted_only_after_the_last_one() {
        let mut f = with_totp(10);
        assert!(!f.accept_step(10, 5));
        assert!(!f.accept_step(9, 5));
        assert!(f.accept_step(11, 5));
        assert!(!f.accept_step(11, 6), "the same step twice");
        assert_eq!(f.summary().totp_last_used_at, Some(5));
        assert!(
            !UserFactors::default().accept_step(100, 1),
            "no app enrolled"
        );
    }

    #[test]
    fn a_recovery_code_is_spent_once() {
        let code = recovery_codes::format(&[7u8; 10]);
        assert_eq!(code.len(), 19);
        let n = recovery_codes::normalize(&code.to_uppercase()).unwrap();
        let h = recovery_codes::hash("u1", &n);
        assert_ne!(h, recovery_codes::hash("u2", &n));
        let mut f = UserFactors {
            recovery_hashes: vec![h.clone(), "other".into()],
            ..Default::default()
        };
        assert_eq!(f.summary().recovery_codes_left, 2);
        assert!(f.summary().has_second_factor());
        assert!(f.use_recovery(&h));
        assert!(!f.use_recovery(&h));
        assert_eq!(f.summary().recovery_codes_left, 1);
        for bad in [
            "",
            "abcd-efgh",
            "abcd-efgh-ijkl-mnop-q",
            "abcd-efgh-ijkl-mno1",
        ] {
            assert_eq!(recovery_codes::normalize(bad), None, "{bad}");
        }
    }

    #[test]
    fn an_empty_row_reads_from_an_empty_object() {
        let f: UserFactors = serde_json::from_str("{}").unwrap();
        assert!(f.is_empty());
        assert!(!f.summary().has_second_factor());
        assert_eq!(serde_json::to_string(&f).unwrap(), "{}");
    }
}
