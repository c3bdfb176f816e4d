//! PKCE (RFC 7636): challenge syntax and the verifier check. `VerifiedPkce` can only be built
//! by `verify`, so a grant cannot forget the check. Runtime-free.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::jws::b64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CodeChallengeMethod {
    S256,
    #[serde(rename = "plain")]
    Plain,
}

impl CodeChallengeMethod {
    /// What an application accepts: S256 only for public clients (RFC 9700 §2.1.1) and where
    /// it requires PKCE; S256 and plain otherwise.
    pub fn accepted(public: bool, require_s256: bool) -> &'static [CodeChallengeMethod] {
        if public || require_s256 {
            &[CodeChallengeMethod::S256]
        } else {
            &[CodeChallengeMethod::S256, CodeChallengeMethod::Plain]
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "S256" => Some(CodeChallengeMethod::S256),
            "plain" => Some(CodeChallengeMethod::Plain),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CodeChallengeMethod::S256 => "S256",
            CodeChallengeMethod::Plain => "plain",
        }
    }
}

/// RFC 7636 §4.1: 43–128 characters of `[A-Za-z0-9-._~]` (verifiers and challenges alike).
pub fn is_valid_challenge(s: &str) -> bool {
    (43..=128).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'))
}

/// Proof that the PKCE check passed (or that none was required for this code).
#[derive(Debug)]
pub struct VerifiedPkce(());

/// RFC 7636 §4.6. A code bound to a challenge needs a matching verifier; a code without one
/// must not be redeemed with a verifier (a downgrade or a mix-up).
pub fn verify(
    challenge: Option<&str>,
    method: Option<&str>,
    verifier: Option<&str>,
) -> Result<VerifiedPkce, &'static str> {
    match (challenge, verifier) {
        (None, None) => Ok(VerifiedPkce(())),
        (None, Some(_)) => Err("code_verifier was sent but the code has no challenge"),
        (Some(_), None) => Err("code_verifier is required"),
        (Some(c), Some(v)) => {
            if !is_valid_challenge(v) {
                return Err("code_verifier is malformed");
            }
            // A record without a method is S256, as `/auth` defaults it (records always carry
            // the method they were issued with).
            let computed =
                match method.map_or(Some(CodeChallengeMethod::S256), CodeChallengeMethod::parse) {
                    Some(CodeChallengeMethod::S256) => b64(&Sha256::digest(v.as_bytes())),
                    Some(CodeChallengeMethod::Plain) => v.to_string(),
                    None => return Err("the code's challenge method is unknown"),
                };
            if bool::from(computed.as_bytes().ct_eq(c.as_bytes())) {
                Ok(VerifiedPkce(()))
            } else {
                Err("code_verifier does not match the code_challenge")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc_7636_example_verifies() {
        assert!(verify(Some(CHALLENGE), Some("S256"), Some(VERIFIER)).is_ok());
    }

    #[test]
    fn wrong_missing_or_downgraded_verifiers_fail() {
        let wrong = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXX";
        assert!(verify(Some(CHALLENGE), Some("S256"), Some(wrong)).is_err());
        assert!(verify(Some(CHALLENGE), Some("S256"), None).is_err());
        // Sending the challenge itself as a plain verifier must not pass an S256 code.
        assert!(verify(Some(CHALLENGE), Some("S256"), Some(CHALLENGE)).is_err());
        assert!(verify(None, None, Some(VERIFIER)).is_err());
    }

    #[test]
    fn plain_compares_directly() {
        assert!(verify(Some(VERIFIER), Some("plain"), Some(VERIFIER)).is_ok());
    }
}
