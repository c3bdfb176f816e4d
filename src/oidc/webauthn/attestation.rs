//! The attestation object (WebAuthn §6.5): `fmt`, `attStmt` and `authData` in one CBOR map.
//!
//! Policy: Doorward asks for attestation `none` (§5.4.7) and makes no decision on an
//! authenticator's make or model, so it never verifies an attestation statement. Format
//! `none` is the expected answer. A statement of a registered format (§8, the IANA "WebAuthn
//! Attestation Statement Format Identifiers" registry) that a client sends anyway is treated
//! as `none`: it is discarded unverified and nothing is trusted from it (§7.1 step 21 lets an
//! RP accept "None" attestation). An unregistered format is refused.

use super::authenticator_data::AuthenticatorData;
use super::WebAuthnError;

/// The registered formats, read as `none` (see the module comment).
const TREATED_AS_NONE: &[&str] = &[
    "none",
    "packed",
    "tpm",
    "android-key",
    "android-safetynet",
    "fido-u2f",
    "apple",
];

/// What an attestation object holds, once parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct AttestationObject {
    pub fmt: String,
    /// The raw `authData` bytes.
    pub auth_data_bytes: Vec<u8>,
    pub auth_data: AuthenticatorData,
}

pub fn parse(bytes: &[u8]) -> Result<AttestationObject, WebAuthnError> {
    let bad = WebAuthnError::Malformed("attestationObject");
    let mut cursor = bytes;
    let value: ciborium::Value = ciborium::de::from_reader(&mut cursor).map_err(|_| bad.clone())?;
    if !cursor.is_empty() {
        return Err(bad);
    }
    let map = value.as_map().ok_or(bad.clone())?;
    let field = |name: &str| {
        map.iter()
            .find(|(k, _)| k.as_text() == Some(name))
            .map(|(_, v)| v)
    };
    let fmt = field("fmt")
        .and_then(|v| v.as_text())
        .ok_or(bad.clone())?
        .to_string();
    if !field("attStmt").is_some_and(|v| v.is_map()) {
        return Err(bad);
    }
    let auth_data_bytes = field("authData")
        .and_then(|v| v.as_bytes())
        .ok_or(bad)?
        .clone();
    if !TREATED_AS_NONE.contains(&fmt.as_str()) {
        return Err(WebAuthnError::UnsupportedAttestation);
    }
    let auth_data = AuthenticatorData::parse(&auth_data_bytes)?;
    Ok(AttestationObject {
        fmt,
        auth_data_bytes,
        auth_data,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::webauthn::authenticator_data::flag;
    use crate::oidc::webauthn::test_support::{attestation_object, auth_data, es256_key};

    #[test]
    fn none_and_registered_formats_parse_unknown_ones_do_not() {
        let key = es256_key(5);
        let ad = auth_data(
            b"localhost",
            flag::UP | flag::AT,
            0,
            Some((b"id", &key.cose)),
            None,
        );
        for fmt in ["none", "packed"] {
            let parsed = parse(&attestation_object(fmt, &ad)).unwrap();
            assert_eq!(parsed.fmt, fmt);
            assert_eq!(parsed.auth_data_bytes, ad);
        }
        assert_eq!(
            parse(&attestation_object("made-up", &ad)),
            Err(WebAuthnError::UnsupportedAttestation)
        );
    }

    #[test]
    fn malformed_cbor_is_refused() {
        let key = es256_key(6);
        let ad = auth_data(
            b"localhost",
            flag::UP | flag::AT,
            0,
            Some((b"id", &key.cose)),
            None,
        );
        let good = attestation_object("none", &ad);
        for bad in [&good[..good.len() - 1], &[0xa3][..], &[][..], &[0x1f][..]] {
            assert_eq!(
                parse(bad),
                Err(WebAuthnError::Malformed("attestationObject"))
            );
        }
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(parse(&trailing).is_err());
        // A CBOR array, not a map.
        assert!(parse(&[0x80]).is_err());
    }
}
