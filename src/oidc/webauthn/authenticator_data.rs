//! `authenticatorData` (WebAuthn §6.1): the RP ID hash, the flags, the signature counter and,
//! at registration, the attested credential data (§6.5.2: AAGUID, credential id, COSE key).
//! The COSE key and the extensions are CBOR of unknown length, read with `ciborium` from a
//! cursor so the bytes after them are found; trailing bytes are refused.

use super::cose::{self, PublicKey};
use super::WebAuthnError;

/// The flag bits (§6.1, "flags").
pub mod flag {
    /// User Present.
    pub const UP: u8 = 0x01;
    /// User Verified.
    pub const UV: u8 = 0x04;
    /// Backup Eligible: the credential may be synced (a multi-device passkey).
    pub const BE: u8 = 0x08;
    /// Backup State: it is backed up now.
    pub const BS: u8 = 0x10;
    /// Attested credential data included.
    pub const AT: u8 = 0x40;
    /// Extension data included.
    pub const ED: u8 = 0x80;
}

/// §6.5.2: the credential id is at most 1023 bytes (§5.1 `rawId`).
const MAX_CREDENTIAL_ID: usize = 1023;

#[derive(Debug, Clone, PartialEq)]
pub struct AttestedCredential {
    pub aaguid: [u8; 16],
    pub credential_id: Vec<u8>,
    pub public_key: PublicKey,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuthenticatorData {
    pub rp_id_hash: [u8; 32],
    pub flags: u8,
    pub sign_count: u32,
    pub attested: Option<AttestedCredential>,
}

impl AuthenticatorData {
    pub fn user_present(&self) -> bool {
        self.flags & flag::UP != 0
    }
    pub fn user_verified(&self) -> bool {
        self.flags & flag::UV != 0
    }
    pub fn backup_eligible(&self) -> bool {
        self.flags & flag::BE != 0
    }
    pub fn backed_up(&self) -> bool {
        self.flags & flag::BS != 0
    }

    /// Parses the whole of `bytes`.
    pub fn parse(bytes: &[u8]) -> Result<AuthenticatorData, WebAuthnError> {
        let bad = WebAuthnError::Malformed("authenticatorData");
        let (rp_id_hash, rest) = bytes.split_first_chunk::<32>().ok_or(bad.clone())?;
        let (&flags, rest) = rest.split_first().ok_or(bad.clone())?;
        let (count, mut rest) = rest.split_first_chunk::<4>().ok_or(bad.clone())?;
        let attested = if flags & flag::AT != 0 {
            let (aaguid, after) = rest.split_first_chunk::<16>().ok_or(bad.clone())?;
            let (len, after) = after.split_first_chunk::<2>().ok_or(bad.clone())?;
            let len = usize::from(u16::from_be_bytes(*len));
            if len > MAX_CREDENTIAL_ID || after.len() < len {
                return Err(bad);
            }
            let (credential_id, mut key_bytes) = after.split_at(len);
            let key: ciborium::Value = ciborium::de::from_reader(&mut key_bytes)
                .map_err(|_| WebAuthnError::Malformed("credentialPublicKey"))?;
            rest = key_bytes;
            Some(AttestedCredential {
                aaguid: *aaguid,
                credential_id: credential_id.to_vec(),
                public_key: cose::from_value(&key)?,
            })
        } else {
            None
        };
        if flags & flag::ED != 0 {
            // Extension outputs are read only to find their end: Doorward asks for none.
            let ext: ciborium::Value = ciborium::de::from_reader(&mut rest)
                .map_err(|_| WebAuthnError::Malformed("extensions"))?;
            if !ext.is_map() {
                return Err(WebAuthnError::Malformed("extensions"));
            }
        }
        if !rest.is_empty() {
            return Err(bad);
        }
        Ok(AuthenticatorData {
            rp_id_hash: *rp_id_hash,
            flags,
            sign_count: u32::from_be_bytes(*count),
            attested,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::webauthn::test_support::{auth_data, es256_key, extensions};

    #[test]
    fn reads_flags_counter_and_attested_credential() {
        let key = es256_key(1);
        let bytes = auth_data(
            b"localhost",
            flag::UP | flag::UV | flag::BE | flag::AT,
            7,
            Some((b"cred-1", &key.cose)),
            None,
        );
        let ad = AuthenticatorData::parse(&bytes).unwrap();
        assert!(ad.user_present() && ad.user_verified() && ad.backup_eligible());
        assert!(!ad.backed_up());
        assert_eq!(ad.sign_count, 7);
        let cred = ad.attested.unwrap();
        assert_eq!(cred.credential_id, b"cred-1");
        assert_eq!(cred.public_key.alg, cose::CoseAlg::Es256);
    }

    #[test]
    fn extensions_after_the_key_are_skipped_and_their_end_found() {
        let key = es256_key(2);
        let bytes = auth_data(
            b"localhost",
            flag::UP | flag::AT | flag::ED,
            0,
            Some((b"c", &key.cose)),
            Some(&extensions()),
        );
        assert!(AuthenticatorData::parse(&bytes).is_ok());
        // An assertion's data: no credential, only extensions.
        let bytes = auth_data(
            b"localhost",
            flag::UP | flag::ED,
            3,
            None,
            Some(&extensions()),
        );
        assert_eq!(AuthenticatorData::parse(&bytes).unwrap().sign_count, 3);
    }

    #[test]
    fn truncated_trailing_and_malformed_cbor_are_refused() {
        let key = es256_key(3);
        let good = auth_data(
            b"localhost",
            flag::UP | flag::AT,
            0,
            Some((b"c", &key.cose)),
            None,
        );
        for cut in [0, 10, 32, 36, 40, 54, good.len() - 1] {
            assert!(
                AuthenticatorData::parse(&good[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(AuthenticatorData::parse(&trailing).is_err());
        // The COSE key replaced by bytes that are not CBOR (a reserved initial byte).
        let mut bad = good[..55].to_vec();
        bad.extend_from_slice(&[0xfc, 0xff, 0xff]);
        assert!(AuthenticatorData::parse(&bad).is_err());
        // A credential id length past the data.
        let mut long = good[..37].to_vec();
        long.extend_from_slice(&[0u8; 16]);
        long.extend_from_slice(&[0x03, 0xff]);
        assert!(AuthenticatorData::parse(&long).is_err());
    }
}
