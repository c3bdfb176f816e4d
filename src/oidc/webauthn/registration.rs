//! Registration (WebAuthn §7.1, "Registering a New Credential"): the checks of the response
//! to `navigator.credentials.create()`. The result is the credential to store; that the id is
//! not registered to anyone yet (step 26) is the directory's check, made as it stores it.

use serde::Deserialize;

use super::attestation;
use super::client_data::{self, Ceremony};
use super::cose::PublicKey;
use super::{b64url, RelyingParty, UserVerification, WebAuthnError};

/// `RegistrationResponseJSON` (L3 §5.1.8), as the page's script posts it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RegistrationResponse {
    pub id: String,
    #[serde(default)]
    pub raw_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub response: AttestationResponse,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AttestationResponse {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    pub attestation_object: String,
    #[serde(default)]
    pub transports: Vec<String>,
}

/// The transports a credential may list (§5.8.4); others are dropped, not stored.
const TRANSPORTS: &[&str] = &["usb", "nfc", "ble", "smart-card", "hybrid", "internal"];

/// A credential that passed every check of §7.1, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCredential {
    pub credential_id: Vec<u8>,
    pub public_key: PublicKey,
    pub sign_count: u32,
    pub backup_eligible: bool,
    pub backed_up: bool,
    pub user_verified: bool,
    pub transports: Vec<String>,
}

/// Checks a registration response against the challenge issued and the relying party.
pub fn verify(
    resp: &RegistrationResponse,
    challenge: &[u8],
    rp: &RelyingParty,
) -> Result<NewCredential, WebAuthnError> {
    if resp.kind != "public-key" {
        return Err(WebAuthnError::Malformed("type"));
    }
    // Steps 5–10: clientDataJSON.
    let cdj = b64url("clientDataJSON", &resp.response.client_data_json)?;
    client_data::check(&cdj, Ceremony::Create, challenge, rp)?;
    // Steps 12–13: the attestation object and the RP ID hash.
    let att = attestation::parse(&b64url(
        "attestationObject",
        &resp.response.attestation_object,
    )?)?;
    let ad = &att.auth_data;
    if ad.rp_id_hash != rp.id_hash() {
        return Err(WebAuthnError::WrongRpIdHash);
    }
    check_flags(ad, rp)?;
    // Steps 19–20: the credential and its algorithm (one `pubKeyCredParams` offered; the
    // COSE parser refuses the others).
    let cred = ad
        .attested
        .as_ref()
        .ok_or(WebAuthnError::NoCredentialData)?;
    let id = b64url("id", &resp.id)?;
    let raw_id = match &resp.raw_id {
        Some(r) => b64url("rawId", r)?,
        None => id.clone(),
    };
    if id != cred.credential_id || raw_id != cred.credential_id {
        return Err(WebAuthnError::CredentialMismatch);
    }
    let mut transports: Vec<String> = resp
        .response
        .transports
        .iter()
        .filter(|t| TRANSPORTS.contains(&t.as_str()))
        .cloned()
        .collect();
    transports.sort();
    transports.dedup();
    Ok(NewCredential {
        credential_id: cred.credential_id.clone(),
        public_key: cred.public_key.clone(),
        sign_count: ad.sign_count,
        backup_eligible: ad.backup_eligible(),
        backed_up: ad.backed_up(),
        user_verified: ad.user_verified(),
        transports,
    })
}

/// §7.1 steps 14–17 (and §7.2 steps 16–19): UP always, UV when the pool requires it, and BS
/// only with BE (a credential that cannot be backed up is not backed up).
pub(crate) fn check_flags(
    ad: &super::authenticator_data::AuthenticatorData,
    rp: &RelyingParty,
) -> Result<(), WebAuthnError> {
    if !ad.user_present() {
        return Err(WebAuthnError::UserNotPresent);
    }
    if rp.user_verification == UserVerification::Required && !ad.user_verified() {
        return Err(WebAuthnError::UserNotVerified);
    }
    if ad.backed_up() && !ad.backup_eligible() {
        return Err(WebAuthnError::BackupFlags);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::webauthn::authenticator_data::flag;
    use crate::oidc::webauthn::test_support::{registration, rp, Reg};

    #[test]
    fn a_good_registration_gives_the_credential() {
        let r = Reg::default();
        let cred = verify(&registration(&r), b"chal", &rp()).unwrap();
        assert_eq!(cred.credential_id, r.credential_id);
        assert_eq!(cred.transports, vec!["hybrid", "internal"]);
        assert!(cred.backup_eligible && !cred.backed_up && cred.user_verified);
    }

    #[test]
    fn each_broken_check_is_refused_with_its_reason() {
        let uv_required = RelyingParty {
            user_verification: UserVerification::Required,
            ..rp()
        };
        let cases: Vec<(Reg, RelyingParty, WebAuthnError)> = vec![
            (
                Reg {
                    origin: "https://evil.example".into(),
                    ..Reg::default()
                },
                rp(),
                WebAuthnError::WrongOrigin,
            ),
            (
                Reg {
                    rp_id: b"evil.example".to_vec(),
                    ..Reg::default()
                },
                rp(),
                WebAuthnError::WrongRpIdHash,
            ),
            (
                Reg {
                    kind: "webauthn.get".into(),
                    ..Reg::default()
                },
                rp(),
                WebAuthnError::WrongType("webauthn.create"),
            ),
            (
                Reg {
                    challenge: b"other".to_vec(),
                    ..Reg::default()
                },
                rp(),
                WebAuthnError::WrongChallenge,
            ),
            (
                Reg {
                    flags: flag::UV | flag::AT,
                    ..Reg::default()
                },
                rp(),
                WebAuthnError::UserNotPresent,
            ),
            (
                Reg {
                    flags: flag::UP | flag::AT,
                    ..Reg::default()
                },
                uv_required,
                WebAuthnError::UserNotVerified,
            ),
            (
                Reg {
                    flags: flag::UP | flag::BS | flag::AT,
                    ..Reg::default()
                },
                rp(),
                WebAuthnError::BackupFlags,
            ),
            (
                Reg {
                    flags: flag::UP,
                    ..Reg::default()
                },
                rp(),
                WebAuthnError::NoCredentialData,
            ),
            (
                Reg {
                    claimed_id: b"someone-else".to_vec(),
                    ..Reg::default()
                },
                rp(),
                WebAuthnError::CredentialMismatch,
            ),
            (
                Reg {
                    fmt: "x-custom".into(),
                    ..Reg::default()
                },
                rp(),
                WebAuthnError::UnsupportedAttestation,
            ),
        ];
        for (r, party, want) in cases {
            assert_eq!(verify(&registration(&r), b"chal", &party), Err(want));
        }
    }

    #[test]
    fn user_verification_preferred_accepts_an_unverified_user() {
        let r = Reg {
            flags: flag::UP | flag::AT,
            ..Reg::default()
        };
        assert!(
            !verify(&registration(&r), b"chal", &rp())
                .unwrap()
                .user_verified
        );
    }

    #[test]
    fn garbage_fields_are_malformed_not_a_panic() {
        let mut resp = registration(&Reg::default());
        resp.response.attestation_object = "AAAA".into();
        assert!(matches!(
            verify(&resp, b"chal", &rp()),
            Err(WebAuthnError::Malformed(_))
        ));
        let mut resp = registration(&Reg::default());
        resp.response.client_data_json = "!!".into();
        assert!(matches!(
            verify(&resp, b"chal", &rp()),
            Err(WebAuthnError::Malformed(_))
        ));
        let mut resp = registration(&Reg::default());
        resp.kind = "password".into();
        assert!(matches!(
            verify(&resp, b"chal", &rp()),
            Err(WebAuthnError::Malformed(_))
        ));
    }
}
