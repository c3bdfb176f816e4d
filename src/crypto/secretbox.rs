//! Encryption at rest under the `MASTER_KEY` secret (AES-256-GCM through WebCrypto): client
//! secrets (recoverable because HS256 id_tokens are signed with them) and private signing keys.
//! Format: `v1.{iv}.{ciphertext}` in base64url; the purpose string is the AAD, so a ciphertext
//! moved to another field does not decrypt.

use std::cell::RefCell;
use std::collections::HashMap;
use web_sys::CryptoKey;

use super::random;
use super::webcrypto::{self, CryptoError};
use crate::oidc::jws::{b64, b64_decode};

thread_local! {
    // Imported once per isolate: the key never changes while the isolate lives.
    static MASTER: RefCell<Option<(String, CryptoKey)>> = const { RefCell::new(None) };
    // Opened values by (purpose, sealed text). A sealed text never changes meaning (a new
    // secret gets a new random IV, so a new text), so entries cannot go stale; the token
    // endpoint then pays no decryption per request.
    static OPENED: RefCell<HashMap<(String, String), Vec<u8>>> = RefCell::new(HashMap::new());
}

const OPENED_MAX: usize = 1_000;

async fn master_key(master_b64: &str) -> Result<CryptoKey, CryptoError> {
    if let Some(key) = MASTER.with(|m| {
        m.borrow()
            .as_ref()
            .filter(|(k, _)| k == master_b64)
            .map(|(_, key)| key.clone())
    }) {
        return Ok(key);
    }
    let raw = b64_decode(master_b64.trim())
        .filter(|r| r.len() == 32)
        .ok_or_else(|| CryptoError("MASTER_KEY must be 32 bytes in base64url".into()))?;
    let key = webcrypto::import_aes_key(&raw).await?;
    MASTER.with(|m| *m.borrow_mut() = Some((master_b64.to_string(), key.clone())));
    Ok(key)
}

pub async fn seal(
    master_b64: &str,
    purpose: &str,
    plaintext: &[u8],
) -> Result<String, CryptoError> {
    let key = master_key(master_b64).await?;
    let iv = random::bytes::<12>().map_err(|e| CryptoError(e.to_string()))?;
    let ct = webcrypto::aes_gcm_encrypt(&key, &iv, purpose.as_bytes(), plaintext).await?;
    Ok(format!("v1.{}.{}", b64(&iv), b64(&ct)))
}

pub async fn open(master_b64: &str, purpose: &str, sealed: &str) -> Result<Vec<u8>, CryptoError> {
    let cache_key = (purpose.to_string(), sealed.to_string());
    if let Some(v) = OPENED.with(|o| o.borrow().get(&cache_key).cloned()) {
        return Ok(v);
    }
    let plain = open_uncached(master_b64, purpose, sealed).await?;
    OPENED.with(|o| {
        let mut map = o.borrow_mut();
        if map.len() >= OPENED_MAX {
            map.clear();
        }
        map.insert(cache_key, plain.clone());
    });
    Ok(plain)
}

/// Opens a value that is seen once or twice (a sealed id inside one access token), without
/// keeping it in the per-isolate cache meant for the few long-lived secrets.
pub async fn open_once(
    master_b64: &str,
    purpose: &str,
    sealed: &str,
) -> Result<Vec<u8>, CryptoError> {
    open_uncached(master_b64, purpose, sealed).await
}

async fn open_uncached(
    master_b64: &str,
    purpose: &str,
    sealed: &str,
) -> Result<Vec<u8>, CryptoError> {
    let key = master_key(master_b64).await?;
    let mut parts = sealed.split('.');
    let (Some("v1"), Some(iv), Some(ct), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(CryptoError("sealed value has an unknown format".into()));
    };
    let iv = b64_decode(iv).ok_or_else(|| CryptoError("bad iv".into()))?;
    let ct = b64_decode(ct).ok_or_else(|| CryptoError("bad ciphertext".into()))?;
    webcrypto::aes_gcm_decrypt(&key, &iv, purpose.as_bytes(), &ct).await
}
