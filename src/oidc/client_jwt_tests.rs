//! Client-signed JWTs: accepted with the registered key and an allowed algorithm; refused,
//! each for its own reason, otherwise.

use super::*;
use jwt_compact::alg::SigningKey;
use jwt_compact::{Algorithm, Header};
use serde_json::json;

fn claims() -> Claims<Value> {
    serde_json::from_value(json!({"iss": "c1", "sub": "c1", "jti": "j", "exp": 2_000_000_000}))
        .unwrap()
}

fn es256(kid: &str, seed: u8) -> (String, Value) {
    let key = <Es256 as Algorithm>::SigningKey::from_slice(&[seed; 32]).unwrap();
    let public = key.to_verifying_key();
    let mut jwk = serde_json::to_value(JsonWebKey::from(&public)).unwrap();
    jwk["kid"] = json!(kid);
    let token = Es256
        .token(&Header::empty().with_key_id(kid), &claims(), &key)
        .unwrap();
    (token, jwk)
}

fn ed25519(seed: u8) -> (String, Value) {
    let pair = ed25519_compact::KeyPair::from_seed(ed25519_compact::Seed::new([seed; 32]));
    let key = <Ed25519 as Algorithm>::SigningKey::from_slice(&pair.sk[..]).unwrap();
    let public = key.to_verifying_key();
    let jwk = serde_json::to_value(JsonWebKey::from(&public)).unwrap();
    let token = Ed25519.token(&Header::empty(), &claims(), &key).unwrap();
    (token, jwk)
}

const ASYMMETRIC: &[SigningAlg] = &[
    SigningAlg::RS256,
    SigningAlg::PS256,
    SigningAlg::ES256,
    SigningAlg::EdDSA,
];

#[test]
fn a_token_signed_with_a_registered_key_verifies_and_keeps_its_claims() {
    let (token, jwk) = es256("k1", 7);
    let set = json!({"keys": [jwk]});
    let c = verify(&token, ASYMMETRIC, ClientKeys::Jwks(&set)).unwrap();
    assert_eq!(c["iss"], "c1");
    assert_eq!(c["exp"], 2_000_000_000);

    let (token, jwk) = ed25519(3);
    let set = json!({"keys": [jwk]});
    assert!(verify(&token, ASYMMETRIC, ClientKeys::Jwks(&set)).is_ok());

    let hs = Hs256
        .token(
            &Header::empty(),
            &claims(),
            &Hs256Key::new(b"the client secret"),
        )
        .unwrap();
    assert!(verify(
        &hs,
        &[SigningAlg::HS256],
        ClientKeys::Secret(b"the client secret")
    )
    .is_ok());
}

#[test]
fn every_way_a_token_can_be_wrong_is_refused_for_its_reason() {
    let (token, jwk) = es256("k1", 7);
    let (_, other_jwk) = es256("k1", 9);
    let (_, other_kid) = es256("k2", 7);
    let hs = Hs256
        .token(
            &Header::empty(),
            &claims(),
            &Hs256Key::new(b"the client secret"),
        )
        .unwrap();
    let mut for_encryption = jwk.clone();
    for_encryption["use"] = json!("enc");
    let mut tampered = token.clone();
    tampered.insert(tampered.len() - 3, 'A');
    let cases: Vec<(&str, String, &[SigningAlg], Value, JwtRejected)> = vec![
        (
            "another key under the same kid",
            token.clone(),
            ASYMMETRIC,
            json!({"keys": [other_jwk]}),
            JwtRejected::BadSignature,
        ),
        (
            "an unknown kid",
            token.clone(),
            ASYMMETRIC,
            json!({"keys": [other_kid]}),
            JwtRejected::UnknownKey,
        ),
        (
            "no keys at all",
            token.clone(),
            ASYMMETRIC,
            json!({}),
            JwtRejected::UnknownKey,
        ),
        (
            "an algorithm not allowed",
            token.clone(),
            &[SigningAlg::RS256],
            json!({"keys": [jwk.clone()]}),
            JwtRejected::AlgorithmNotAllowed("ES256".into()),
        ),
        (
            "HS256 against a key set",
            hs.clone(),
            &[SigningAlg::HS256],
            json!({"keys": [jwk.clone()]}),
            JwtRejected::AlgorithmNotAllowed("HS256".into()),
        ),
        (
            "garbage",
            "a.b".into(),
            ASYMMETRIC,
            json!({"keys": [jwk.clone()]}),
            JwtRejected::Malformed,
        ),
        (
            "alg none",
            format!("{}.{}.", "eyJhbGciOiJub25lIn0", "e30"),
            ASYMMETRIC,
            json!({"keys": [jwk.clone()]}),
            JwtRejected::AlgorithmNotAllowed("none".into()),
        ),
        (
            "a key for encryption",
            token.clone(),
            ASYMMETRIC,
            json!({"keys": [for_encryption]}),
            JwtRejected::UnknownKey,
        ),
    ];
    for (case, t, allowed, set, want) in cases {
        assert_eq!(
            verify(&t, allowed, ClientKeys::Jwks(&set)),
            Err(want),
            "{case}"
        );
    }
    let r = verify(
        &tampered,
        ASYMMETRIC,
        ClientKeys::Jwks(&json!({"keys": [jwk]})),
    );
    assert!(r.is_err(), "a tampered token");
    assert_eq!(
        verify(
            &hs,
            &[SigningAlg::HS256],
            ClientKeys::Secret(b"another secret")
        ),
        Err(JwtRejected::BadSignature)
    );
}

#[test]
fn peeking_reads_the_claims_without_trusting_them() {
    let (token, _) = es256("k1", 7);
    let p = peek(&token).unwrap();
    assert_eq!(p.alg, "ES256");
    assert_eq!(p.kid.as_deref(), Some("k1"));
    assert_eq!(p.claims["sub"], "c1");
    assert!(peek("not.a.jwt").is_none());
}
