//! Thin async wrappers over the runtime's WebCrypto (`crypto.subtle`): key generation and
//! import, JWS signatures, AES-GCM and PBKDF2. RSA and ECDSA go through here because the
//! pure-Rust path costs 20–28 ms per RS256 signature in workerd against ~1 ms here, and a
//! free-plan request has 10 ms of CPU (RS256 costs about 1 ms through WebCrypto, 20–28 ms in pure Rust). Runtime-only: panics natively.

use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{CryptoKey, SubtleCrypto};

use crate::oidc::model::SigningAlg;

#[derive(Debug, thiserror::Error)]
#[error("webcrypto: {0}")]
pub struct CryptoError(pub String);

impl From<JsValue> for CryptoError {
    fn from(v: JsValue) -> Self {
        CryptoError(format!("{v:?}"))
    }
}

type Result<T> = std::result::Result<T, CryptoError>;

fn subtle() -> Result<SubtleCrypto> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle"))?;
    Ok(subtle.unchecked_into())
}

fn obj(pairs: &[(&str, JsValue)]) -> Result<Object> {
    let o = Object::new();
    for (k, v) in pairs {
        Reflect::set(&o, &JsValue::from_str(k), v)?;
    }
    Ok(o)
}

fn usages(list: &[&str]) -> JsValue {
    list.iter()
        .map(|u| JsValue::from_str(u))
        .collect::<Array>()
        .into()
}

fn s(v: &str) -> JsValue {
    JsValue::from_str(v)
}

/// The WebCrypto algorithm used to generate or import a key for a JWS algorithm.
fn key_algorithm(alg: SigningAlg) -> Result<Object> {
    match alg {
        SigningAlg::RS256 => obj(&[("name", s("RSASSA-PKCS1-v1_5")), ("hash", s("SHA-256"))]),
        SigningAlg::PS256 => obj(&[("name", s("RSA-PSS")), ("hash", s("SHA-256"))]),
        SigningAlg::ES256 => obj(&[("name", s("ECDSA")), ("namedCurve", s("P-256"))]),
        SigningAlg::EdDSA => obj(&[("name", s("Ed25519"))]),
        SigningAlg::HS256 => obj(&[("name", s("HMAC")), ("hash", s("SHA-256"))]),
    }
}

/// The WebCrypto parameters of a sign/verify call for a JWS algorithm (RFC 7518 §3).
fn sign_algorithm(alg: SigningAlg) -> Result<Object> {
    match alg {
        SigningAlg::RS256 => obj(&[("name", s("RSASSA-PKCS1-v1_5"))]),
        // RFC 7518 §3.5: the salt is the size of the hash output.
        SigningAlg::PS256 => obj(&[("name", s("RSA-PSS")), ("saltLength", JsValue::from(32))]),
        // WebCrypto's ECDSA output is IEEE P1363 (r || s), exactly JWS's form.
        SigningAlg::ES256 => obj(&[("name", s("ECDSA")), ("hash", s("SHA-256"))]),
        SigningAlg::EdDSA => obj(&[("name", s("Ed25519"))]),
        SigningAlg::HS256 => obj(&[("name", s("HMAC"))]),
    }
}

/// Generates a key pair and returns (private JWK, public JWK) as JSON.
pub async fn generate_key_pair(alg: SigningAlg) -> Result<(serde_json::Value, serde_json::Value)> {
    let mut params = key_algorithm(alg)?;
    if matches!(alg, SigningAlg::RS256 | SigningAlg::PS256) {
        let exponent = Uint8Array::from(&[1u8, 0, 1][..]);
        Reflect::set(&params, &s("modulusLength"), &JsValue::from(2048))?;
        Reflect::set(&params, &s("publicExponent"), &exponent)?;
        params = params.clone();
    }
    let sc = subtle()?;
    let pair =
        JsFuture::from(sc.generate_key_with_object(&params, true, &usages(&["sign", "verify"]))?)
            .await?;
    let private: CryptoKey = Reflect::get(&pair, &s("privateKey"))?.unchecked_into();
    let public: CryptoKey = Reflect::get(&pair, &s("publicKey"))?.unchecked_into();
    let private_jwk = JsFuture::from(sc.export_key("jwk", &private)?).await?;
    let public_jwk = JsFuture::from(sc.export_key("jwk", &public)?).await?;
    Ok((to_json(&private_jwk)?, to_json(&public_jwk)?))
}

fn to_json(v: &JsValue) -> Result<serde_json::Value> {
    let text = js_sys::JSON::stringify(v)?.as_string().unwrap_or_default();
    serde_json::from_str(&text).map_err(|e| CryptoError(e.to_string()))
}

fn from_json(v: &serde_json::Value) -> Result<Object> {
    Ok(js_sys::JSON::parse(&v.to_string())?.unchecked_into())
}

/// Imports a JWK (private for signing, public for verifying) as a non-extractable key.
pub async fn import_jwk(
    alg: SigningAlg,
    jwk: &serde_json::Value,
    private: bool,
) -> Result<CryptoKey> {
    // Strip `key_ops`/`use` hints that WebCrypto would check against the usages below.
    let mut jwk = jwk.clone();
    if let Some(o) = jwk.as_object_mut() {
        o.remove("key_ops");
        o.remove("use");
        o.remove("kid");
        o.remove("alg");
    }
    let usage = if private { "sign" } else { "verify" };
    let key = JsFuture::from(subtle()?.import_key_with_object(
        "jwk",
        &from_json(&jwk)?,
        &key_algorithm(alg)?,
        false,
        &usages(&[usage]),
    )?)
    .await?;
    Ok(key.unchecked_into())
}

/// Signs `data` with `key` for JWS algorithm `alg`.
pub async fn sign(alg: SigningAlg, key: &CryptoKey, data: &[u8]) -> Result<Vec<u8>> {
    let sig = JsFuture::from(subtle()?.sign_with_object_and_u8_array(
        &sign_algorithm(alg)?,
        key,
        data,
    )?)
    .await?;
    Ok(Uint8Array::new(&sig).to_vec())
}

/// Verifies a JWS signature.
pub async fn verify(
    alg: SigningAlg,
    key: &CryptoKey,
    signature: &[u8],
    data: &[u8],
) -> Result<bool> {
    let ok = JsFuture::from(subtle()?.verify_with_object_and_u8_array_and_u8_array(
        &sign_algorithm(alg)?,
        key,
        signature,
        data,
    )?)
    .await?;
    Ok(ok.as_bool().unwrap_or(false))
}

/// Imports 32 raw bytes as an AES-256-GCM key.
pub async fn import_aes_key(raw: &[u8]) -> Result<CryptoKey> {
    let data = Uint8Array::from(raw);
    let key = JsFuture::from(subtle()?.import_key_with_object(
        "raw",
        &data.into(),
        &obj(&[("name", s("AES-GCM"))])?,
        false,
        &usages(&["encrypt", "decrypt"]),
    )?)
    .await?;
    Ok(key.unchecked_into())
}

/// AES-GCM encryption with a 96-bit IV; `aad` binds the ciphertext to its purpose.
pub async fn aes_gcm_encrypt(
    key: &CryptoKey,
    iv: &[u8; 12],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>> {
    let params = obj(&[
        ("name", s("AES-GCM")),
        ("iv", Uint8Array::from(&iv[..]).into()),
        ("additionalData", Uint8Array::from(aad).into()),
    ])?;
    let ct = JsFuture::from(subtle()?.encrypt_with_object_and_u8_array(&params, key, plaintext)?)
        .await?;
    Ok(Uint8Array::new(&ct).to_vec())
}

pub async fn aes_gcm_decrypt(
    key: &CryptoKey,
    iv: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>> {
    let params = obj(&[
        ("name", s("AES-GCM")),
        ("iv", Uint8Array::from(iv).into()),
        ("additionalData", Uint8Array::from(aad).into()),
    ])?;
    let pt = JsFuture::from(subtle()?.decrypt_with_object_and_u8_array(&params, key, ciphertext)?)
        .await?;
    Ok(Uint8Array::new(&pt).to_vec())
}

/// PBKDF2-HMAC-SHA256 through the runtime's native code (see `crypto::password` for sizing).
pub async fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> Result<Vec<u8>> {
    pbkdf2(password, salt, iterations, "SHA-256", 32).await
}

/// PBKDF2 with HMAC over `digest` (`SHA-256`, `SHA-512`) and a derived key of `len` bytes
/// (imported hashes are not all Doorward's shape).
pub async fn pbkdf2(
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    digest: &str,
    len: usize,
) -> Result<Vec<u8>> {
    let sc = subtle()?;
    let base = JsFuture::from(sc.import_key_with_str(
        "raw",
        &Uint8Array::from(password).into(),
        "PBKDF2",
        false,
        &usages(&["deriveBits"]),
    )?)
    .await?;
    let params = obj(&[
        ("name", s("PBKDF2")),
        ("hash", s(digest)),
        ("salt", Uint8Array::from(salt).into()),
        ("iterations", JsValue::from(iterations)),
    ])?;
    let bits = JsFuture::from(sc.derive_bits_with_object(
        &params,
        &base.unchecked_into(),
        (len * 8) as u32,
    )?)
    .await?;
    Ok(Uint8Array::new(&bits).to_vec())
}

/// HMAC-SHA-1 of each message under one key (RFC 6238 TOTP: the authenticator apps' hash;
/// SHA-1's collision weakness does not touch HMAC, RFC 6151 §2). The key is imported once.
pub async fn hmac_sha1(key: &[u8], messages: &[[u8; 8]]) -> Result<Vec<Vec<u8>>> {
    let sc = subtle()?;
    let k: CryptoKey = JsFuture::from(sc.import_key_with_object(
        "raw",
        &Uint8Array::from(key).into(),
        &obj(&[("name", s("HMAC")), ("hash", s("SHA-1"))])?,
        false,
        &usages(&["sign"]),
    )?)
    .await?
    .unchecked_into();
    let mut out = Vec::with_capacity(messages.len());
    for m in messages {
        let mac = JsFuture::from(sc.sign_with_str_and_u8_array("HMAC", &k, &m[..])?).await?;
        out.push(Uint8Array::new(&mac).to_vec());
    }
    Ok(out)
}
