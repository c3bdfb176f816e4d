//! Test-only builders of what an authenticator and a browser send, from fixed keys, so the
//! checks are exercised on real CBOR and real ECDSA signatures.

use ciborium::Value as V;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde_json::json;
use sha2::{Digest, Sha256};

use super::assertion::{AssertionFields, AssertionResponse};
use super::authenticator_data::flag;
use super::registration::{AttestationResponse, RegistrationResponse};
use super::{RelyingParty, UserVerification};
use crate::oidc::jws::b64;

pub fn rp() -> RelyingParty {
    RelyingParty {
        origin: "http://localhost:8787".into(),
        id: "localhost".into(),
        user_verification: UserVerification::Preferred,
    }
}

pub fn client_data(kind: &str, challenge: &[u8], origin: &str, cross: Option<bool>) -> Vec<u8> {
    let mut v = json!({"type": kind, "challenge": b64(challenge), "origin": origin});
    if let Some(c) = cross {
        v["crossOrigin"] = json!(c);
    }
    serde_json::to_vec(&v).unwrap()
}

pub fn cbor(v: &V) -> Vec<u8> {
    let mut out = Vec::new();
    ciborium::ser::into_writer(v, &mut out).unwrap();
    out
}

pub fn cose_map(pairs: Vec<(i64, V)>) -> Vec<u8> {
    cbor(&V::Map(
        pairs.into_iter().map(|(k, v)| (V::from(k), v)).collect(),
    ))
}

pub fn extensions() -> Vec<u8> {
    cbor(&V::Map(vec![(V::Text("credProtect".into()), V::from(2))]))
}

pub struct Es256Key {
    pub signing: SigningKey,
    pub verifying: VerifyingKey,
    pub cose: Vec<u8>,
}

impl Es256Key {
    pub fn sign_der(&self, data: &[u8]) -> Vec<u8> {
        let sig: Signature = self.signing.sign(data);
        sig.to_der().as_bytes().to_vec()
    }
}

pub fn es256_key(seed: u8) -> Es256Key {
    let signing = SigningKey::from_slice(&[seed.max(1); 32]).unwrap();
    let verifying = *signing.verifying_key();
    let point = verifying.to_encoded_point(false);
    let cose = cose_map(vec![
        (1, V::from(2)),
        (3, V::from(-7)),
        (-1, V::from(1)),
        (-2, V::Bytes(point.x().unwrap().to_vec())),
        (-3, V::Bytes(point.y().unwrap().to_vec())),
    ]);
    Es256Key {
        signing,
        verifying,
        cose,
    }
}

pub fn auth_data(
    rp_id: &[u8],
    flags: u8,
    count: u32,
    credential: Option<(&[u8], &[u8])>,
    ext: Option<&[u8]>,
) -> Vec<u8> {
    let mut out = Sha256::digest(rp_id).to_vec();
    out.push(flags);
    out.extend_from_slice(&count.to_be_bytes());
    if let Some((id, key)) = credential {
        out.extend_from_slice(&[0xaa; 16]);
        out.extend_from_slice(&(id.len() as u16).to_be_bytes());
        out.extend_from_slice(id);
        out.extend_from_slice(key);
    }
    if let Some(e) = ext {
        out.extend_from_slice(e);
    }
    out
}

pub fn attestation_object(fmt: &str, auth_data: &[u8]) -> Vec<u8> {
    cbor(&V::Map(vec![
        (V::Text("fmt".into()), V::Text(fmt.into())),
        (V::Text("attStmt".into()), V::Map(vec![])),
        (V::Text("authData".into()), V::Bytes(auth_data.to_vec())),
    ]))
}

/// A registration, each field overridable to break one check.
pub struct Reg {
    pub kind: String,
    pub challenge: Vec<u8>,
    pub origin: String,
    pub rp_id: Vec<u8>,
    pub flags: u8,
    pub fmt: String,
    pub credential_id: Vec<u8>,
    /// The id the response claims (normally the credential's own).
    pub claimed_id: Vec<u8>,
}

impl Default for Reg {
    fn default() -> Self {
        Reg {
            kind: "webauthn.create".into(),
            challenge: b"chal".to_vec(),
            origin: rp().origin,
            rp_id: b"localhost".to_vec(),
            flags: flag::UP | flag::UV | flag::BE | flag::AT,
            fmt: "none".into(),
            credential_id: b"credential-1".to_vec(),
            claimed_id: b"credential-1".to_vec(),
        }
    }
}

pub fn registration(r: &Reg) -> RegistrationResponse {
    let key = es256_key(1);
    let with_cred = (r.flags & flag::AT != 0).then_some((&r.credential_id[..], &key.cose[..]));
    let ad = auth_data(&r.rp_id, r.flags, 0, with_cred, None);
    RegistrationResponse {
        id: b64(&r.claimed_id),
        raw_id: Some(b64(&r.claimed_id)),
        kind: "public-key".into(),
        response: AttestationResponse {
            client_data_json: b64(&client_data(&r.kind, &r.challenge, &r.origin, None)),
            attestation_object: b64(&attestation_object(&r.fmt, &ad)),
            transports: vec!["internal".into(), "hybrid".into(), "carrier-pigeon".into()],
        },
    }
}

/// An assertion, each field overridable to break one check.
pub struct Get {
    pub kind: String,
    pub challenge: Vec<u8>,
    pub origin: String,
    pub rp_id: Vec<u8>,
    pub flags: u8,
    pub count: u32,
    pub credential_id: Vec<u8>,
    pub user_handle: Option<Vec<u8>>,
    pub key_seed: u8,
    pub sign_other_data: bool,
}

impl Default for Get {
    fn default() -> Self {
        Get {
            kind: "webauthn.get".into(),
            challenge: b"chal".to_vec(),
            origin: rp().origin,
            rp_id: b"localhost".to_vec(),
            flags: flag::UP | flag::UV | flag::BE,
            count: 5,
            credential_id: b"credential-1".to_vec(),
            user_handle: Some(b"user-1".to_vec()),
            key_seed: 1,
            sign_other_data: false,
        }
    }
}

pub fn assertion(g: &Get) -> AssertionResponse {
    let ad = auth_data(&g.rp_id, g.flags, g.count, None, None);
    let cdj = client_data(&g.kind, &g.challenge, &g.origin, None);
    let mut signed = ad.clone();
    signed.extend_from_slice(&Sha256::digest(&cdj));
    if g.sign_other_data {
        signed.push(0);
    }
    AssertionResponse {
        id: b64(&g.credential_id),
        raw_id: None,
        kind: "public-key".into(),
        response: AssertionFields {
            client_data_json: b64(&cdj),
            authenticator_data: b64(&ad),
            signature: b64(&es256_key(g.key_seed).sign_der(&signed)),
            user_handle: g.user_handle.as_ref().map(|h| b64(h)),
        },
    }
}
