//! COSE public keys (RFC 9052 §7, RFC 9053) as an authenticator attests them, turned into the
//! JWK (RFC 7517) that WebCrypto imports for verification. Three algorithms, the ones
//! `pubKeyCredParams` offers: ES256 (-7, EC2 P-256), RS256 (-257, RSA, RFC 8812) and EdDSA
//! (-8, OKP Ed25519). Anything else is refused, never guessed.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::WebAuthnError;
use crate::oidc::jws::b64;
use crate::oidc::model::SigningAlg;

/// A COSE algorithm Doorward verifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CoseAlg {
    Es256,
    Rs256,
    EdDsa,
}

impl CoseAlg {
    /// In the order `pubKeyCredParams` lists them (the authenticator takes the first it can):
    /// EdDSA and ES256 are small and fast; RS256 for Windows Hello and older keys.
    pub const OFFERED: [CoseAlg; 3] = [CoseAlg::EdDsa, CoseAlg::Es256, CoseAlg::Rs256];

    /// The IANA COSE algorithm identifier.
    pub fn id(self) -> i64 {
        match self {
            CoseAlg::Es256 => -7,
            CoseAlg::Rs256 => -257,
            CoseAlg::EdDsa => -8,
        }
    }

    pub fn from_id(id: i64) -> Option<CoseAlg> {
        CoseAlg::OFFERED.into_iter().find(|a| a.id() == id)
    }

    /// The WebCrypto import and verify parameters are those of the JWS algorithm.
    pub fn signing_alg(self) -> SigningAlg {
        match self {
            CoseAlg::Es256 => SigningAlg::ES256,
            CoseAlg::Rs256 => SigningAlg::RS256,
            CoseAlg::EdDsa => SigningAlg::EdDSA,
        }
    }
}

/// A credential's public key: its algorithm and the JWK WebCrypto imports.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicKey {
    pub alg: CoseAlg,
    pub jwk: serde_json::Value,
}

// COSE key labels (RFC 9052 §7.1, RFC 9053 §7).
const KTY: i128 = 1;
const ALG: i128 = 3;
const CRV_OR_N: i128 = -1;
const X_OR_E: i128 = -2;
const Y: i128 = -3;
const KTY_OKP: i128 = 1;
const KTY_EC2: i128 = 2;
const KTY_RSA: i128 = 3;
const CRV_P256: i128 = 1;
const CRV_ED25519: i128 = 6;
/// NIST SP 800-57: RSA under 2048 bits is not acceptable.
const MIN_RSA_BITS: usize = 2048;

fn label(map: &[(ciborium::Value, ciborium::Value)], key: i128) -> Option<&ciborium::Value> {
    map.iter()
        .find(|(k, _)| k.as_integer().is_some_and(|i| i128::from(i) == key))
        .map(|(_, v)| v)
}

fn int(map: &[(ciborium::Value, ciborium::Value)], key: i128) -> Option<i128> {
    label(map, key)?.as_integer().map(i128::from)
}

fn bytes(map: &[(ciborium::Value, ciborium::Value)], key: i128) -> Result<&[u8], WebAuthnError> {
    label(map, key)
        .and_then(|v| v.as_bytes())
        .map(|b| b.as_slice())
        .ok_or(WebAuthnError::BadKey)
}

/// Reads a COSE_Key map.
pub fn from_value(value: &ciborium::Value) -> Result<PublicKey, WebAuthnError> {
    let map = value
        .as_map()
        .ok_or(WebAuthnError::Malformed("credentialPublicKey"))?;
    let alg = int(map, ALG)
        .and_then(|a| i64::try_from(a).ok())
        .and_then(CoseAlg::from_id)
        .ok_or(WebAuthnError::UnsupportedAlgorithm)?;
    let kty = int(map, KTY).ok_or(WebAuthnError::BadKey)?;
    let jwk = match (alg, kty) {
        (CoseAlg::Es256, KTY_EC2) => {
            if int(map, CRV_OR_N) != Some(CRV_P256) {
                return Err(WebAuthnError::BadKey);
            }
            let (x, y) = (bytes(map, X_OR_E)?, bytes(map, Y)?);
            if x.len() != 32 || y.len() != 32 {
                return Err(WebAuthnError::BadKey);
            }
            // The point must be on the curve: refused here, not at the first sign-in.
            let mut sec1 = vec![0x04];
            sec1.extend_from_slice(x);
            sec1.extend_from_slice(y);
            p256::PublicKey::from_sec1_bytes(&sec1).map_err(|_| WebAuthnError::BadKey)?;
            json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y)})
        }
        (CoseAlg::Rs256, KTY_RSA) => {
            let n = strip_zeros(bytes(map, CRV_OR_N)?);
            let e = strip_zeros(bytes(map, X_OR_E)?);
            let bits = n.len() * 8 - n.first().map_or(8, |b| b.leading_zeros() as usize);
            if bits < MIN_RSA_BITS || e.is_empty() || e.len() > 4 {
                return Err(WebAuthnError::BadKey);
            }
            json!({"kty": "RSA", "n": b64(n), "e": b64(e)})
        }
        (CoseAlg::EdDsa, KTY_OKP) => {
            if int(map, CRV_OR_N) != Some(CRV_ED25519) {
                return Err(WebAuthnError::BadKey);
            }
            let x = bytes(map, X_OR_E)?;
            if x.len() != 32 {
                return Err(WebAuthnError::BadKey);
            }
            json!({"kty": "OKP", "crv": "Ed25519", "x": b64(x)})
        }
        _ => return Err(WebAuthnError::BadKey),
    };
    Ok(PublicKey { alg, jwk })
}

fn strip_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|&x| x != 0).unwrap_or(b.len());
    b.get(start..).unwrap_or(&[])
}

/// A WebAuthn signature in the form WebCrypto verifies: ES256 signatures are ASN.1 DER
/// (§6.5.5, "Signature Formats"), WebCrypto wants IEEE P1363 `r || s`; RS256 and EdDSA are
/// used as they come.
pub fn signature_for_webcrypto(alg: CoseAlg, sig: &[u8]) -> Result<Vec<u8>, WebAuthnError> {
    match alg {
        CoseAlg::Es256 => p256::ecdsa::Signature::from_der(sig)
            .map(|s| s.to_bytes().to_vec())
            .map_err(|_| WebAuthnError::Malformed("signature")),
        CoseAlg::Rs256 => Ok(sig.to_vec()),
        CoseAlg::EdDsa if sig.len() == 64 => Ok(sig.to_vec()),
        CoseAlg::EdDsa => Err(WebAuthnError::Malformed("signature")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::webauthn::test_support::{cose_map, es256_key};
    use ciborium::Value as V;

    fn parse(bytes: &[u8]) -> Result<PublicKey, WebAuthnError> {
        let v: V = ciborium::de::from_reader(bytes).unwrap();
        from_value(&v)
    }

    #[test]
    fn es256_becomes_a_p256_jwk() {
        let key = es256_key(9);
        let pk = parse(&key.cose).unwrap();
        assert_eq!(pk.alg, CoseAlg::Es256);
        assert_eq!(pk.jwk["kty"], "EC");
        assert_eq!(pk.jwk["crv"], "P-256");
        assert_eq!(pk.jwk["x"].as_str().unwrap().len(), 43);
    }

    #[test]
    fn eddsa_and_rs256_become_their_jwks() {
        let ed = cose_map(vec![
            (1, V::from(1)),
            (3, V::from(-8)),
            (-1, V::from(6)),
            (-2, V::Bytes(vec![7; 32])),
        ]);
        let pk = parse(&ed).unwrap();
        assert_eq!(
            pk.jwk,
            json!({"kty": "OKP", "crv": "Ed25519", "x": b64(&[7; 32])})
        );
        let mut n = vec![0u8];
        n.extend(vec![0xc5; 256]);
        let rsa = cose_map(vec![
            (1, V::from(3)),
            (3, V::from(-257)),
            (-1, V::Bytes(n)),
            (-2, V::Bytes(vec![1, 0, 1])),
        ]);
        let pk = parse(&rsa).unwrap();
        assert_eq!(pk.alg, CoseAlg::Rs256);
        assert_eq!(pk.jwk["e"], "AQAB");
        assert_eq!(pk.jwk["n"], b64(&[0xc5; 256]));
    }

    #[test]
    fn unsupported_algorithms_and_bad_keys_are_refused() {
        // ES384 (-35), PS256 (-37), no alg at all.
        for alg in [-35, -37] {
            let m = cose_map(vec![(1, V::from(2)), (3, V::from(alg)), (-1, V::from(2))]);
            assert_eq!(parse(&m), Err(WebAuthnError::UnsupportedAlgorithm));
        }
        assert_eq!(
            parse(&cose_map(vec![(1, V::from(2))])),
            Err(WebAuthnError::UnsupportedAlgorithm)
        );
        // ES256 with a kty that is not EC2, a wrong curve, a point off the curve.
        let off_curve = cose_map(vec![
            (1, V::from(2)),
            (3, V::from(-7)),
            (-1, V::from(1)),
            (-2, V::Bytes(vec![1; 32])),
            (-3, V::Bytes(vec![2; 32])),
        ]);
        assert_eq!(parse(&off_curve), Err(WebAuthnError::BadKey));
        let okp_es = cose_map(vec![(1, V::from(1)), (3, V::from(-7)), (-1, V::from(1))]);
        assert_eq!(parse(&okp_es), Err(WebAuthnError::BadKey));
        // A 1024-bit RSA key.
        let small = cose_map(vec![
            (1, V::from(3)),
            (3, V::from(-257)),
            (-1, V::Bytes(vec![0xc5; 128])),
            (-2, V::Bytes(vec![1, 0, 1])),
        ]);
        assert_eq!(parse(&small), Err(WebAuthnError::BadKey));
        let v = V::Array(vec![]);
        assert_eq!(
            from_value(&v),
            Err(WebAuthnError::Malformed("credentialPublicKey"))
        );
    }

    #[test]
    fn es256_der_signatures_become_raw_and_garbage_is_refused() {
        let key = es256_key(4);
        let der = key.sign_der(b"data");
        let raw = signature_for_webcrypto(CoseAlg::Es256, &der).unwrap();
        assert_eq!(raw.len(), 64);
        assert!(signature_for_webcrypto(CoseAlg::Es256, &raw).is_err());
        assert!(signature_for_webcrypto(CoseAlg::EdDsa, &[0; 63]).is_err());
    }
}
