//! Password hashing: PBKDF2-HMAC-SHA256 through WebCrypto's native code.
//!
//! Why PBKDF2 and not a memory-hard function: inside a Worker the memory-hard options
//! (Argon2id, scrypt) only exist as wasm, which runs several times slower than native code,
//! so at an equal CPU budget they buy far fewer rounds than native PBKDF2; and a request has a
//! fixed CPU budget (10 ms on the free plan, 30 s on paid). The iteration count is stored in
//! each hash, so it can be raised later and old hashes upgraded at the next sign-in.
//! `ITERATIONS` is sized by `bench/` (see the README's figures): about 100,000 rounds.

use subtle::ConstantTimeEq;

use super::webcrypto::{self, CryptoError};
use super::{imported_hash, random};
use crate::oidc::jws::{b64, b64_decode};

/// Rounds for new hashes (stored per hash; see the module header for how it was chosen).
pub const ITERATIONS: u32 = 100_000;

/// `pbkdf2-sha256${iterations}${salt}${hash}`.
pub async fn hash(password: &str) -> Result<String, CryptoError> {
    let salt = random::bytes::<16>().map_err(|e| CryptoError(e.to_string()))?;
    let dk = webcrypto::pbkdf2_sha256(password.as_bytes(), &salt, ITERATIONS).await?;
    Ok(format!(
        "pbkdf2-sha256${ITERATIONS}${}${}",
        b64(&salt),
        b64(&dk)
    ))
}

/// Parses a stored hash into (iterations, salt, derived key).
pub fn parse(stored: &str) -> Option<(u32, Vec<u8>, Vec<u8>)> {
    let mut parts = stored.split('$');
    let (Some("pbkdf2-sha256"), Some(iter), Some(salt), Some(dk), None) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let iterations: u32 = iter
        .parse()
        .ok()
        .filter(|i| (1_000..=10_000_000).contains(i))?;
    Some((iterations, b64_decode(salt)?, b64_decode(dk)?))
}

/// A checked password, and whether its stored hash should be replaced by a new one of
/// Doorward's (it was imported from elsewhere, or has fewer rounds than `ITERATIONS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    pub ok: bool,
    pub rehash: bool,
}

/// Verifies against Doorward's own format or an imported one (`imported_hash`). Unknown
/// users and Doorward hashes cost one PBKDF2 as `verify` does.
pub async fn check(password: &str, stored: Option<&str>) -> Result<Checked, CryptoError> {
    let imported = stored
        .filter(|s| parse(s).is_none())
        .and_then(|s| imported_hash::parse(s).ok());
    let Some(imported) = imported else {
        let ok = verify(password, stored).await?;
        let weak = stored
            .and_then(parse)
            .is_some_and(|(i, _, _)| i < ITERATIONS);
        return Ok(Checked {
            ok,
            rehash: ok && weak,
        });
    };
    let ok = match imported_hash::verify_in_rust(password, &imported) {
        Some(ok) => ok,
        None => match &imported {
            imported_hash::Imported::Pbkdf2 {
                sha512,
                iterations,
                salt,
                hash,
            } => {
                let digest = if *sha512 { "SHA-512" } else { "SHA-256" };
                let dk =
                    webcrypto::pbkdf2(password.as_bytes(), salt, *iterations, digest, hash.len())
                        .await?;
                bool::from(dk.ct_eq(hash))
            }
            _ => false,
        },
    };
    Ok(Checked { ok, rehash: ok })
}

/// Whether `stored` can be kept as a user's password hash: Doorward's own format or one it
/// imports. The error says what is wrong with it.
pub fn check_importable(stored: &str) -> Result<(), String> {
    if parse(stored).is_some() {
        return Ok(());
    }
    imported_hash::parse(stored).map(|_| ())
}

/// Verifies in constant time. `stored = None` (unknown user) still spends one full hash on a
/// dummy salt, so an unknown user and a wrong password take the same time.
pub async fn verify(password: &str, stored: Option<&str>) -> Result<bool, CryptoError> {
    let parsed = stored.and_then(parse);
    let (iterations, salt, expected, real) = match parsed {
        Some((i, s, d)) => (i, s, d, true),
        None => (ITERATIONS, vec![0u8; 16], vec![0u8; 32], false),
    };
    let dk = webcrypto::pbkdf2_sha256(password.as_bytes(), &salt, iterations).await?;
    Ok(real && bool::from(dk.ct_eq(&expected)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_format_parses_and_rejects_tampering() {
        let s = "pbkdf2-sha256$100000$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let (i, salt, dk) = parse(s).unwrap();
        assert_eq!((i, salt.len(), dk.len()), (100_000, 16, 32));
        assert!(
            parse("pbkdf2-sha256$1$AA$AA").is_none(),
            "too few rounds is refused"
        );
        assert!(parse("bcrypt$10$x$y").is_none());
        assert!(parse(&format!("{s}$extra")).is_none());
    }
}
