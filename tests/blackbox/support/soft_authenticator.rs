//! A WebAuthn authenticator and the browser's part of a ceremony, in software: it answers the
//! creation and request options the worker issues with a real attestation object (CBOR,
//! `fmt: none`) and real ES256 assertions, from a fixed P-256 key. Every field a relying party
//! checks can be bent (origin, RP ID, challenge, counter, signed bytes, user handle) so the
//! negative cases run against the real worker.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use ciborium::Value as V;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub fn b64(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

pub fn unb64(s: &str) -> Vec<u8> {
    B64.decode(s)
        .unwrap_or_else(|e| panic!("base64url `{s}`: {e}"))
}

fn cbor(v: &V) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).unwrap_or_else(|e| panic!("CBOR: {e}"));
    out
}

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const BE: u8 = 0x08;
const BS: u8 = 0x10;
const AT: u8 = 0x40;

/// One discoverable credential on a software authenticator.
pub struct SoftKey {
    key: SigningKey,
    pub credential_id: Vec<u8>,
    /// The user handle the credential was made for (from the creation options).
    pub user_handle: Vec<u8>,
    pub counter: u32,
}

/// How to bend one ceremony.
#[derive(Clone, Default)]
pub struct Bend {
    pub origin: Option<String>,
    pub rp_id: Option<String>,
    pub challenge: Option<Vec<u8>>,
    /// The counter to report instead of the next one.
    pub counter: Option<u32>,
    /// Sign bytes other than authenticatorData || SHA-256(clientDataJSON).
    pub sign_other_data: bool,
    pub user_handle: Option<Vec<u8>>,
    /// Leave User Present unset.
    pub no_user_presence: bool,
    /// Leave User Verified unset.
    pub no_user_verification: bool,
    pub ceremony_type: Option<String>,
}

impl SoftKey {
    pub fn new(seed: u8) -> SoftKey {
        let key =
            SigningKey::from_slice(&[seed.max(1); 32]).unwrap_or_else(|e| panic!("P-256 key: {e}"));
        SoftKey {
            key,
            credential_id: Sha256::digest([seed, 0xc7]).to_vec(),
            user_handle: Vec::new(),
            counter: 0,
        }
    }

    fn cose_key(&self) -> Vec<u8> {
        let point = self.key.verifying_key().to_encoded_point(false);
        cbor(&V::Map(vec![
            (V::from(1), V::from(2)),
            (V::from(3), V::from(-7)),
            (V::from(-1), V::from(1)),
            (
                V::from(-2),
                V::Bytes(point.x().unwrap_or_else(|| panic!("no x")).to_vec()),
            ),
            (
                V::from(-3),
                V::Bytes(point.y().unwrap_or_else(|| panic!("no y")).to_vec()),
            ),
        ]))
    }

    fn client_data(kind: &str, challenge: &[u8], origin: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "type": kind, "challenge": b64(challenge), "origin": origin, "crossOrigin": false,
        }))
        .unwrap_or_else(|e| panic!("JSON: {e}"))
    }

    /// Answers `publicKey` creation options as `navigator.credentials.create()` would on a
    /// page of `origin`; the credential remembers the user handle.
    pub fn create(&mut self, options: &Value, origin: &str, bend: &Bend) -> Value {
        let rp_id = bend.rp_id.clone().unwrap_or_else(|| {
            options["rp"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("no rp.id"))
                .to_string()
        });
        let challenge = bend.challenge.clone().unwrap_or_else(|| {
            unb64(
                options["challenge"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no challenge")),
            )
        });
        self.user_handle = unb64(
            options["user"]["id"]
                .as_str()
                .unwrap_or_else(|| panic!("no user.id")),
        );
        let cdj = Self::client_data(
            bend.ceremony_type.as_deref().unwrap_or("webauthn.create"),
            &challenge,
            bend.origin.as_deref().unwrap_or(origin),
        );
        let flags = if bend.no_user_presence { 0 } else { UP } | UV | BE | BS | AT;
        let mut ad = Sha256::digest(rp_id.as_bytes()).to_vec();
        ad.push(flags);
        ad.extend_from_slice(&self.counter.to_be_bytes());
        ad.extend_from_slice(&[0u8; 16]);
        ad.extend_from_slice(&(self.credential_id.len() as u16).to_be_bytes());
        ad.extend_from_slice(&self.credential_id);
        ad.extend_from_slice(&self.cose_key());
        let att = cbor(&V::Map(vec![
            (V::Text("fmt".into()), V::Text("none".into())),
            (V::Text("attStmt".into()), V::Map(vec![])),
            (V::Text("authData".into()), V::Bytes(ad)),
        ]));
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&cdj),
                "attestationObject": b64(&att),
                "transports": ["internal", "hybrid"],
            },
        })
    }

    /// Answers request options as `navigator.credentials.get()` would; counts one use.
    pub fn get(&mut self, options: &Value, origin: &str, bend: &Bend) -> Value {
        let rp_id = bend.rp_id.clone().unwrap_or_else(|| {
            options["rpId"]
                .as_str()
                .unwrap_or_else(|| panic!("no rpId"))
                .to_string()
        });
        let challenge = bend.challenge.clone().unwrap_or_else(|| {
            unb64(
                options["challenge"]
                    .as_str()
                    .unwrap_or_else(|| panic!("no challenge")),
            )
        });
        self.counter += 1;
        let count = bend.counter.unwrap_or(self.counter);
        let cdj = Self::client_data(
            bend.ceremony_type.as_deref().unwrap_or("webauthn.get"),
            &challenge,
            bend.origin.as_deref().unwrap_or(origin),
        );
        let uv = if bend.no_user_verification { 0 } else { UV };
        let flags = if bend.no_user_presence { 0 } else { UP } | uv | BE | BS;
        let mut ad = Sha256::digest(rp_id.as_bytes()).to_vec();
        ad.push(flags);
        ad.extend_from_slice(&count.to_be_bytes());
        let mut signed = ad.clone();
        signed.extend_from_slice(&Sha256::digest(&cdj));
        if bend.sign_other_data {
            signed[0] ^= 1;
        }
        let sig: Signature = self.key.sign(&signed);
        let handle = bend
            .user_handle
            .clone()
            .unwrap_or_else(|| self.user_handle.clone());
        json!({
            "id": b64(&self.credential_id),
            "rawId": b64(&self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64(&cdj),
                "authenticatorData": b64(&ad),
                "signature": b64(sig.to_der().as_bytes()),
                "userHandle": b64(&handle),
            },
        })
    }
}
