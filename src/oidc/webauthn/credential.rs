//! What Doorward keeps of a passkey (in the pool's `UserDirectory`) and of an issued
//! challenge (in a `GrantStore` shard, single use). Plain serde records; every field added
//! later takes a default, so rows written today keep reading.

use serde::{Deserialize, Serialize};

use super::cose::CoseAlg;

/// A registered passkey. `credential_id` and `public_key` are what §7.2 needs; the rest is
/// for the user's and the administrator's lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PasskeyRecord {
    /// base64url of the credential id (the primary key: ids are unique across users, §7.1
    /// step 26).
    pub credential_id: String,
    pub user_id: String,
    pub alg: CoseAlg,
    /// The public key as a JWK, ready for WebCrypto's `importKey("jwk", …)`.
    pub public_key: serde_json::Value,
    #[serde(default)]
    pub sign_count: u32,
    #[serde(default)]
    pub transports: Vec<String>,
    #[serde(default)]
    pub backup_eligible: bool,
    #[serde(default)]
    pub backed_up: bool,
    #[serde(default)]
    pub name: String,
    pub created_at: u64,
    #[serde(default)]
    pub last_used_at: Option<u64>,
}

/// The longest name a user may give a passkey (characters).
pub const MAX_NAME: usize = 64;

/// A name fit to keep: trimmed, control characters dropped, cut to [`MAX_NAME`]; an empty
/// one becomes `fallback`.
pub fn clean_name(name: &str, fallback: &str) -> String {
    let cleaned: String = name
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME)
        .collect();
    let cleaned = cleaned.trim();
    if cleaned.is_empty() {
        fallback.to_string()
    } else {
        cleaned.to_string()
    }
}

/// What a challenge was issued for: the ceremony and who may answer it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "for", rename_all = "snake_case")]
pub enum ChallengePurpose {
    /// A new passkey for this signed-in user.
    Register { user_id: String },
    /// Sign-in on the login page of this pending authorization request.
    SignIn { interaction: String },
}

/// An issued challenge, taken (deleted) by the one response that answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChallengeRecord {
    /// base64url of the random challenge bytes.
    pub challenge: String,
    pub pool_id: String,
    pub purpose: ChallengePurpose,
    pub expires_at: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_and_cut() {
        assert_eq!(clean_name("  Phone\u{7}  ", "x"), "Phone");
        assert_eq!(clean_name(" ", "Passkey"), "Passkey");
        assert_eq!(clean_name(&"é".repeat(100), "x").chars().count(), MAX_NAME);
    }

    #[test]
    fn a_minimal_stored_record_reads_with_defaults() {
        let r: PasskeyRecord = serde_json::from_str(
            r#"{"credential_id":"AQ","user_id":"u","alg":"Es256","public_key":{},"created_at":1}"#,
        )
        .unwrap();
        assert_eq!(r.sign_count, 0);
        assert!(r.transports.is_empty() && r.last_used_at.is_none() && r.name.is_empty());
        let c: ChallengeRecord = serde_json::from_str(
            r#"{"challenge":"AQ","pool_id":"p","purpose":{"for":"sign_in","interaction":"i"},"expires_at":2}"#,
        )
        .unwrap();
        assert_eq!(
            c.purpose,
            ChallengePurpose::SignIn {
                interaction: "i".into()
            }
        );
    }
}
