//! Compact JWS (RFC 7515) assembly and parsing, HS256, and the OIDC half-hash claims.
//! The asymmetric signature itself comes from WebCrypto through `crate::crypto`; this module
//! only builds the signing input and splits tokens, so it stays runtime-free and unit-tested.
//!
//! Why not `jwt-compact`: its `Algorithm` trait signs synchronously, so it cannot drive
//! WebCrypto's async `sign`, and its RSA path is the pure-Rust one that costs 20–28 ms per
//! signature in workerd, measured. What is left is ~150 lines, kept here.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256, Sha512};

use super::model::SigningAlg;

pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

pub fn b64_decode(s: &str) -> Option<Vec<u8>> {
    B64.decode(s).ok()
}

/// The protected header Doorward writes and reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Header {
    pub alg: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub typ: Option<String>,
}

/// `base64url(header) . base64url(payload)`, ready to be signed.
pub fn signing_input(header: &Header, payload: &serde_json::Value) -> String {
    // Serialising these plain structs cannot fail; fall back to empty objects rather than panic.
    let h = serde_json::to_vec(header).unwrap_or_else(|_| b"{}".to_vec());
    let p = serde_json::to_vec(payload).unwrap_or_else(|_| b"{}".to_vec());
    format!("{}.{}", b64(&h), b64(&p))
}

/// Appends the signature to a signing input.
pub fn assemble(signing_input: &str, signature: &[u8]) -> String {
    format!("{signing_input}.{}", b64(signature))
}

/// A compact JWS split into its parts, not yet verified.
#[derive(Debug, Clone)]
pub struct UnverifiedJws {
    pub header: Header,
    pub payload: serde_json::Value,
    pub signing_input: String,
    pub signature: Vec<u8>,
}

/// Splits and decodes a compact JWS. `alg: none` and unknown algorithms are refused here, so
/// no caller can be tricked into skipping verification (RFC 8725 §3.1).
pub fn parse(token: &str) -> Option<(UnverifiedJws, SigningAlg)> {
    let mut parts = token.split('.');
    let (h, p, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Header = serde_json::from_slice(&b64_decode(h)?).ok()?;
    let alg = SigningAlg::parse(&header.alg)?;
    let payload: serde_json::Value = serde_json::from_slice(&b64_decode(p)?).ok()?;
    if !payload.is_object() {
        return None;
    }
    let signature = b64_decode(s)?;
    let signing_input = format!("{h}.{p}");
    Some((
        UnverifiedJws {
            header,
            payload,
            signing_input,
            signature,
        },
        alg,
    ))
}

/// HS256 signature with the client secret as the key (OIDC Core §10.1).
pub fn hs256_sign(secret: &[u8], signing_input: &str) -> Vec<u8> {
    // HMAC takes keys of any length, so `new_from_slice` cannot fail.
    match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(signing_input.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        Err(_) => Vec::new(),
    }
}

/// Constant-time HS256 verification.
pub fn hs256_verify(secret: &[u8], signing_input: &str, signature: &[u8]) -> bool {
    match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mut mac) => {
            mac.update(signing_input.as_bytes());
            mac.verify_slice(signature).is_ok()
        }
        Err(_) => false,
    }
}

/// `at_hash` / `c_hash` (OIDC Core §3.3.2.11): the left half of the hash of the ASCII value,
/// with the hash of the id_token's algorithm — SHA-256 for *S256, SHA-512 for EdDSA/Ed25519
/// (OpenID Connect Core errata, and what Ed25519 RPs expect).
pub fn half_hash(alg: SigningAlg, value: &str) -> String {
    match alg {
        SigningAlg::EdDSA => {
            let digest = Sha512::digest(value.as_bytes());
            b64(&digest[..32])
        }
        SigningAlg::RS256 | SigningAlg::HS256 | SigningAlg::ES256 | SigningAlg::PS256 => {
            let digest = Sha256::digest(value.as_bytes());
            b64(&digest[..16])
        }
    }
}

/// SHA-256 in base64url: the key under which codes and tokens are persisted (never the token).
pub fn sha256_b64(value: &str) -> String {
    b64(&Sha256::digest(value.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hs256_round_trips_and_rejects_a_changed_payload() {
        let header = Header {
            alg: "HS256".into(),
            kid: None,
            typ: Some("JWT".into()),
        };
        let input = signing_input(&header, &json!({"sub": "u1"}));
        let token = assemble(&input, &hs256_sign(b"secret", &input));
        let (jws, alg) = parse(&token).unwrap();
        assert_eq!(alg, SigningAlg::HS256);
        assert!(hs256_verify(b"secret", &jws.signing_input, &jws.signature));
        assert!(!hs256_verify(b"other", &jws.signing_input, &jws.signature));
        let forged = signing_input(&header, &json!({"sub": "admin"}));
        assert!(!hs256_verify(b"secret", &forged, &jws.signature));
    }

    #[test]
    fn alg_none_and_malformed_tokens_are_refused() {
        let none = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(br#"{"sub":"x"}"#));
        assert!(parse(&none).is_none());
        assert!(parse("a.b").is_none());
        assert!(parse("a.b.c.d").is_none());
        assert!(parse("!!.??.**").is_none());
    }

    #[test]
    fn c_hash_matches_the_oidc_core_example() {
        // OIDC Core Appendix A.4: this code has c_hash "LDktKdoQak3Pk0cnXxCltA" under RS256.
        assert_eq!(
            half_hash(
                SigningAlg::RS256,
                "Qcb0Orv1zh30vL1MPRsbm-diHiMwcLyZvn1arpZv-Jxf_11jnpEX3Tgfvk"
            ),
            "LDktKdoQak3Pk0cnXxCltA"
        );
    }

    #[test]
    fn eddsa_half_hash_uses_sha512() {
        assert_eq!(half_hash(SigningAlg::EdDSA, "abc").len(), 43);
        assert_eq!(half_hash(SigningAlg::ES256, "abc").len(), 22);
    }
}
