//! Password hashes brought in from other identity providers, verified in their own format at
//! the user's next sign-in (after which `sign_in` re-hashes the password with Doorward's
//! PBKDF2, so each imported hash is used once): bcrypt (`$2a$`, `$2b$`, `$2y$` — Auth0's and
//! Authing's exports), Argon2id in PHC form (`$argon2id$v=19$m=…,t=…,p=…$salt$hash`), and
//! PBKDF2-SHA256 in PHC form (`$pbkdf2-sha256$i=…$salt$hash`, standard base64 — what a
//! Keycloak credential's `hashIterations`, `salt` and `value` map to; see the README).
//! bcrypt and Argon2 run as pure Rust (`bcrypt`, `argon2`); PBKDF2 through WebCrypto.

use argon2::password_hash::{PasswordHash, PasswordVerifier};
use argon2::Argon2;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};
use base64::Engine;

/// The largest Argon2 memory cost accepted (KiB): a Worker has 128 MiB in all.
const MAX_ARGON2_MEMORY_KIB: u32 = 64 * 1024;
const MAX_ARGON2_TIME: u32 = 10;

/// An imported hash, by format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    Bcrypt(String),
    Argon2id(String),
    /// PBKDF2 with HMAC-SHA-256 or, with `sha512`, HMAC-SHA-512 (Keycloak's default
    /// before Argon2).
    Pbkdf2 {
        sha512: bool,
        iterations: u32,
        salt: Vec<u8>,
        hash: Vec<u8>,
    },
}

/// Which importable format `stored` is in, checked well enough to be verified later; the
/// error names the problem (for the admin API's import).
pub fn parse(stored: &str) -> Result<Imported, String> {
    if stored.len() > 512 {
        return Err("is too long to be a password hash".into());
    }
    if ["$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|p| stored.starts_with(p))
    {
        let cost: u32 = stored
            .get(4..6)
            .and_then(|c| c.parse().ok())
            .ok_or("is not a bcrypt hash")?;
        if !(4..=16).contains(&cost) || stored.len() != 60 {
            return Err("is not a bcrypt hash with a cost from 4 to 16".into());
        }
        return Ok(Imported::Bcrypt(stored.to_string()));
    }
    if stored.starts_with("$argon2id$") {
        let phc = PasswordHash::new(stored).map_err(|_| "is not an Argon2id PHC string")?;
        let param = |name: &str| {
            phc.params
                .get_decimal(name)
                .ok_or_else(|| format!("lacks the Argon2 parameter {name}"))
        };
        let (m, t) = (param("m")?, param("t")?);
        param("p")?;
        if m > MAX_ARGON2_MEMORY_KIB || t > MAX_ARGON2_TIME {
            return Err(format!(
                "asks for more than Doorward can spend on one sign-in (m ≤ {MAX_ARGON2_MEMORY_KIB} KiB, t ≤ {MAX_ARGON2_TIME})"
            ));
        }
        return Ok(Imported::Argon2id(stored.to_string()));
    }
    let pbkdf2 = stored
        .strip_prefix("$pbkdf2-sha256$")
        .map(|r| (false, r))
        .or_else(|| stored.strip_prefix("$pbkdf2-sha512$").map(|r| (true, r)));
    if let Some((sha512, rest)) = pbkdf2 {
        let mut parts = rest.split('$');
        let (Some(params), Some(salt), Some(hash), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("is not a $pbkdf2-sha256$i=…$salt$hash string".into());
        };
        let iterations = params
            .split(',')
            .find_map(|p| p.strip_prefix("i="))
            .and_then(|i| i.parse::<u32>().ok())
            .filter(|i| (1_000..=10_000_000).contains(i))
            .ok_or("needs i= from 1000 to 10000000 iterations")?;
        let b64 = |s: &str| {
            STANDARD_NO_PAD
                .decode(s.trim_end_matches('='))
                .or_else(|_| STANDARD.decode(s))
                .map_err(|_| "has a salt or hash that is not base64".to_string())
        };
        let (salt, hash) = (b64(salt)?, b64(hash)?);
        if salt.is_empty() || !(16..=64).contains(&hash.len()) {
            return Err("has an empty salt or a hash of an odd length".into());
        }
        return Ok(Imported::Pbkdf2 {
            sha512,
            iterations,
            salt,
            hash,
        });
    }
    Err(
        "is not a hash format Doorward imports (bcrypt, Argon2id or PBKDF2-SHA256 in PHC form)"
            .into(),
    )
}

/// Verifies `password` against a bcrypt or Argon2id hash (pure Rust, synchronous); `None` for
/// a PBKDF2 hash, which the caller derives through WebCrypto.
pub fn verify_in_rust(password: &str, imported: &Imported) -> Option<bool> {
    match imported {
        Imported::Bcrypt(h) => Some(bcrypt::verify(password, h).unwrap_or(false)),
        Imported::Argon2id(h) => Some(PasswordHash::new(h).ok().is_some_and(|phc| {
            Argon2::default()
                .verify_password(password.as_bytes(), &phc)
                .is_ok()
        })),
        Imported::Pbkdf2 { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, SaltString};

    #[test]
    fn bcrypt_and_argon2id_hashes_verify_the_right_password_only() {
        let b = bcrypt::hash("correct horse", 4).unwrap();
        let parsed = parse(&b).unwrap();
        assert_eq!(verify_in_rust("correct horse", &parsed), Some(true));
        assert_eq!(verify_in_rust("wrong horse", &parsed), Some(false));

        let salt = SaltString::from_b64("c29tZXNhbHRzb21lc2FsdA").unwrap();
        let params = argon2::Params::new(1024, 1, 1, None).unwrap();
        let a = Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
            .hash_password(b"correct horse", &salt)
            .unwrap()
            .to_string();
        let parsed = parse(&a).unwrap();
        assert_eq!(verify_in_rust("correct horse", &parsed), Some(true));
        assert_eq!(verify_in_rust("wrong horse", &parsed), Some(false));
    }

    #[test]
    fn pbkdf2_in_phc_form_is_parsed_for_webcrypto() {
        let p = parse(
            "$pbkdf2-sha256$i=27500$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        )
        .unwrap();
        match p {
            Imported::Pbkdf2 {
                iterations,
                salt,
                hash,
                ..
            } => {
                assert_eq!((iterations, salt.len(), hash.len()), (27_500, 12, 32));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn keycloaks_pbkdf2_sha512_is_parsed_too() {
        let p = parse("$pbkdf2-sha512$i=210000$c2FsdHNhbHRzYWx0$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").unwrap();
        assert!(matches!(
            p,
            Imported::Pbkdf2 {
                sha512: true,
                iterations: 210_000,
                ..
            }
        ));
    }

    #[test]
    fn what_cannot_be_verified_is_refused_at_import() {
        for bad in [
            "md5$abc",
            "$2b$03$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyzABCDE",
            "$2b$10$short",
            "$argon2id$v=19$m=1048576,t=3,p=1$c2FsdA$aGFzaA",
            "$argon2id$nonsense",
            "$pbkdf2-sha256$i=10$c2FsdA$aGFzaA",
            "$pbkdf2-sha256$c2FsdA$aGFzaA",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
