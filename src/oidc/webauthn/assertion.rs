//! Authentication (WebAuthn §7.2, "Verifying an Authentication Assertion"): the checks of the
//! response to `navigator.credentials.get()` against the stored credential. The signature
//! is left to the caller (WebCrypto): [`check`] answers a [`Checked`] naming the signed bytes
//! and the signature in WebCrypto's form, and only [`Checked::accept`] — to be called once
//! the signature verified — says whether the sign-in may go ahead (the counter rule), so a
//! forged response can never raise a clone alarm.

use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::authenticator_data::AuthenticatorData;
use super::client_data::{self, Ceremony};
use super::cose::{self, CoseAlg};
use super::registration::check_flags;
use super::{b64url, RelyingParty, WebAuthnError};

/// `AuthenticationResponseJSON` (L3 §5.1.8).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionResponse {
    pub id: String,
    #[serde(default)]
    pub raw_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: String,
    pub response: AssertionFields,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AssertionFields {
    #[serde(rename = "clientDataJSON")]
    pub client_data_json: String,
    pub authenticator_data: String,
    pub signature: String,
    #[serde(default)]
    pub user_handle: Option<String>,
}

impl AssertionResponse {
    /// The credential id the response names (to look the credential up by).
    pub fn credential_id(&self) -> Result<Vec<u8>, WebAuthnError> {
        let id = b64url("id", &self.id)?;
        if let Some(raw) = &self.raw_id {
            if b64url("rawId", raw)? != id {
                return Err(WebAuthnError::CredentialMismatch);
            }
        }
        Ok(id)
    }
}

/// What the server knows of the credential the response names.
#[derive(Debug, Clone)]
pub struct StoredCredential<'a> {
    pub credential_id: &'a [u8],
    /// The user handle it was registered with (`user.id` of the creation options).
    pub user_handle: &'a [u8],
    pub alg: CoseAlg,
    pub sign_count: u32,
    pub backup_eligible: bool,
}

/// Everything but the signature checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// `authenticatorData || SHA-256(clientDataJSON)` (§7.2 step 20).
    pub signed_data: Vec<u8>,
    /// The signature as WebCrypto verifies it.
    pub signature: Vec<u8>,
    pub sign_count: u32,
    pub backed_up: bool,
    pub user_verified: bool,
    stored_count: u32,
}

/// The credential's new state after a sign-in that may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    pub sign_count: u32,
    pub backed_up: bool,
    pub user_verified: bool,
}

impl Checked {
    /// §7.2 step 22, after the signature verified: a counter that did not grow, when either
    /// side counts, means the credential may have been cloned, and the sign-in is refused
    /// (the RP's choice the step leaves open). Both zero means the authenticator has no
    /// counter, which passkeys that sync usually do not.
    pub fn accept(&self) -> Result<Accepted, WebAuthnError> {
        if (self.sign_count != 0 || self.stored_count != 0) && self.sign_count <= self.stored_count
        {
            return Err(WebAuthnError::CounterRegressed {
                stored: self.stored_count,
                received: self.sign_count,
            });
        }
        Ok(Accepted {
            sign_count: self.sign_count,
            backed_up: self.backed_up,
            user_verified: self.user_verified,
        })
    }
}

pub fn check(
    resp: &AssertionResponse,
    challenge: &[u8],
    rp: &RelyingParty,
    stored: &StoredCredential<'_>,
) -> Result<Checked, WebAuthnError> {
    if resp.kind != "public-key" {
        return Err(WebAuthnError::Malformed("type"));
    }
    let id = resp.credential_id()?;
    if !bool::from(id.ct_eq(stored.credential_id)) || id.len() != stored.credential_id.len() {
        return Err(WebAuthnError::CredentialMismatch);
    }
    // Step 6: a user handle, when sent, must be the credential's owner; a discoverable
    // credential always sends one.
    if let Some(h) = &resp.response.user_handle {
        if b64url("userHandle", h)? != stored.user_handle {
            return Err(WebAuthnError::UserHandleMismatch);
        }
    }
    let cdj = b64url("clientDataJSON", &resp.response.client_data_json)?;
    client_data::check(&cdj, Ceremony::Get, challenge, rp)?;
    let ad_bytes = b64url("authenticatorData", &resp.response.authenticator_data)?;
    let ad = AuthenticatorData::parse(&ad_bytes)?;
    if ad.rp_id_hash != rp.id_hash() {
        return Err(WebAuthnError::WrongRpIdHash);
    }
    check_flags(&ad, rp)?;
    // §6.1.3: BE is fixed when the credential is made; a change means another credential.
    if ad.backup_eligible() != stored.backup_eligible {
        return Err(WebAuthnError::BackupFlags);
    }
    let signature =
        cose::signature_for_webcrypto(stored.alg, &b64url("signature", &resp.response.signature)?)?;
    let mut signed_data = ad_bytes;
    signed_data.extend_from_slice(&Sha256::digest(&cdj));
    Ok(Checked {
        signed_data,
        signature,
        sign_count: ad.sign_count,
        backed_up: ad.backed_up(),
        user_verified: ad.user_verified(),
        stored_count: stored.sign_count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::webauthn::authenticator_data::flag;
    use crate::oidc::webauthn::test_support::{assertion, es256_key, rp, Get};
    use p256::ecdsa::signature::Verifier;

    fn stored<'a>(get: &'a Get, count: u32) -> StoredCredential<'a> {
        StoredCredential {
            credential_id: &get.credential_id,
            user_handle: b"user-1",
            alg: CoseAlg::Es256,
            sign_count: count,
            backup_eligible: true,
        }
    }

    #[test]
    fn a_good_assertion_names_the_bytes_its_signature_covers() {
        let get = Get::default();
        let resp = assertion(&get);
        let checked = check(&resp, b"chal", &rp(), &stored(&get, 4)).unwrap();
        // The signature is over authenticatorData || SHA-256(clientDataJSON).
        let sig = p256::ecdsa::Signature::from_slice(&checked.signature).unwrap();
        let key = es256_key(get.key_seed);
        assert!(key.verifying.verify(&checked.signed_data, &sig).is_ok());
        assert_eq!(checked.accept().unwrap().sign_count, 5);
    }

    #[test]
    fn a_signature_over_other_data_does_not_verify() {
        let get = Get {
            sign_other_data: true,
            ..Get::default()
        };
        let checked = check(&assertion(&get), b"chal", &rp(), &stored(&get, 0)).unwrap();
        let sig = p256::ecdsa::Signature::from_slice(&checked.signature).unwrap();
        assert!(es256_key(get.key_seed)
            .verifying
            .verify(&checked.signed_data, &sig)
            .is_err());
    }

    #[test]
    fn counter_regressions_are_reported_and_no_counter_is_fine() {
        let get = Get {
            count: 5,
            ..Get::default()
        };
        let resp = assertion(&get);
        for stored_count in [5, 9] {
            let checked = check(&resp, b"chal", &rp(), &stored(&get, stored_count)).unwrap();
            assert_eq!(
                checked.accept(),
                Err(WebAuthnError::CounterRegressed {
                    stored: stored_count,
                    received: 5
                })
            );
        }
        let get = Get {
            count: 0,
            ..Get::default()
        };
        let checked = check(&assertion(&get), b"chal", &rp(), &stored(&get, 0)).unwrap();
        assert!(checked.accept().is_ok());
        // A counter that drops to zero after counting is a regression too.
        let checked = check(&assertion(&get), b"chal", &rp(), &stored(&get, 3)).unwrap();
        assert!(checked.accept().is_err());
    }

    #[test]
    fn each_broken_check_is_refused_with_its_reason() {
        let cases: Vec<(Get, WebAuthnError)> = vec![
            (
                Get {
                    origin: "http://evil.localhost:8787".into(),
                    ..Get::default()
                },
                WebAuthnError::WrongOrigin,
            ),
            (
                Get {
                    rp_id: b"evil.example".to_vec(),
                    ..Get::default()
                },
                WebAuthnError::WrongRpIdHash,
            ),
            (
                Get {
                    kind: "webauthn.create".into(),
                    ..Get::default()
                },
                WebAuthnError::WrongType("webauthn.get"),
            ),
            (
                Get {
                    challenge: b"replayed".to_vec(),
                    ..Get::default()
                },
                WebAuthnError::WrongChallenge,
            ),
            (
                Get {
                    flags: flag::UV | flag::BE,
                    ..Get::default()
                },
                WebAuthnError::UserNotPresent,
            ),
            (
                Get {
                    flags: flag::UP,
                    ..Get::default()
                },
                WebAuthnError::BackupFlags,
            ),
            (
                Get {
                    user_handle: Some(b"user-2".to_vec()),
                    ..Get::default()
                },
                WebAuthnError::UserHandleMismatch,
            ),
        ];
        for (get, want) in cases {
            let resp = assertion(&get);
            assert_eq!(check(&resp, b"chal", &rp(), &stored(&get, 0)), Err(want));
        }
        // Another credential's id.
        let get = Get::default();
        let other = StoredCredential {
            credential_id: b"other",
            ..stored(&get, 0)
        };
        assert_eq!(
            check(&assertion(&get), b"chal", &rp(), &other),
            Err(WebAuthnError::CredentialMismatch)
        );
        // A DER signature stored as EdDSA is malformed, not a panic.
        let ed = StoredCredential {
            alg: CoseAlg::EdDsa,
            ..stored(&get, 0)
        };
        assert!(matches!(
            check(&assertion(&get), b"chal", &rp(), &ed),
            Err(WebAuthnError::Malformed(_))
        ));
    }
}
