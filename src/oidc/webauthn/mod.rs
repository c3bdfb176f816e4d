//! WebAuthn Level 3 relying-party checks (passkeys): the parsing of what the browser and the
//! authenticator send (`clientDataJSON`, `authenticatorData`, the attestation object, COSE
//! keys) and the registration and assertion checks of §7.1 and §7.2, except the signature
//! itself, which the HTTP layer verifies through WebCrypto (`crypto::webcrypto`) over the
//! bytes [`assertion::Checked::signed_data`] names. Runtime-free: no `worker` type, unit-tested
//! natively. CBOR is read with `ciborium`, never by hand.

pub mod assertion;
pub mod attestation;
pub mod authenticator_data;
pub mod client_data;
pub mod cose;
pub mod credential;
pub mod options;
pub mod registration;
pub mod relying_party;
#[cfg(test)]
mod test_support;

pub use relying_party::{RelyingParty, UserVerification};

/// Why a ceremony's response was refused. The HTTP layer shows the user one generic message;
/// the variant goes to the log and the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebAuthnError {
    #[error("malformed response: {0}")]
    Malformed(&'static str),
    #[error("clientDataJSON.type is not {0}")]
    WrongType(&'static str),
    #[error("the challenge is not the one issued")]
    WrongChallenge,
    #[error("the origin is not the issuer's")]
    WrongOrigin,
    #[error("a cross-origin ceremony is not accepted")]
    CrossOrigin,
    #[error("the RP ID hash is not SHA-256 of the issuer's host")]
    WrongRpIdHash,
    #[error("user presence (UP) is not set")]
    UserNotPresent,
    #[error("user verification (UV) is required and not set")]
    UserNotVerified,
    #[error("the backup flags are inconsistent")]
    BackupFlags,
    #[error("the attested credential data is missing")]
    NoCredentialData,
    #[error("the attestation format is not supported")]
    UnsupportedAttestation,
    #[error("the key's algorithm is not ES256, RS256 or EdDSA")]
    UnsupportedAlgorithm,
    #[error("the public key is not valid")]
    BadKey,
    #[error("the credential id is not the one the response names")]
    CredentialMismatch,
    #[error("the user handle is not the credential's user")]
    UserHandleMismatch,
    #[error(
        "the signature counter went back (from {stored} to {received}): a cloned authenticator?"
    )]
    CounterRegressed { stored: u32, received: u32 },
}

impl WebAuthnError {
    /// A stable snake_case name for logs and audit events.
    pub fn code(&self) -> &'static str {
        match self {
            WebAuthnError::Malformed(_) => "malformed",
            WebAuthnError::WrongType(_) => "wrong_type",
            WebAuthnError::WrongChallenge => "wrong_challenge",
            WebAuthnError::WrongOrigin => "wrong_origin",
            WebAuthnError::CrossOrigin => "cross_origin",
            WebAuthnError::WrongRpIdHash => "wrong_rp_id_hash",
            WebAuthnError::UserNotPresent => "user_not_present",
            WebAuthnError::UserNotVerified => "user_not_verified",
            WebAuthnError::BackupFlags => "backup_flags",
            WebAuthnError::NoCredentialData => "no_credential_data",
            WebAuthnError::UnsupportedAttestation => "unsupported_attestation",
            WebAuthnError::UnsupportedAlgorithm => "unsupported_algorithm",
            WebAuthnError::BadKey => "bad_key",
            WebAuthnError::CredentialMismatch => "credential_mismatch",
            WebAuthnError::UserHandleMismatch => "user_handle_mismatch",
            WebAuthnError::CounterRegressed { .. } => "counter_regressed",
        }
    }
}

/// base64url without padding, WebAuthn's JSON encoding of binary fields (L3 §5.1.8). Padded
/// input is accepted too: some clients pad.
pub(crate) fn b64url(field: &'static str, s: &str) -> Result<Vec<u8>, WebAuthnError> {
    super::jws::b64_decode(s.trim_end_matches('=')).ok_or(WebAuthnError::Malformed(field))
}
