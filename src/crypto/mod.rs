//! Cryptography on the runtime: WebCrypto wrappers, the signing interface, encryption at rest,
//! password hashing and randomness. The protocol code in `crate::oidc` never calls these; the
//! HTTP layer does and hands it plain values.

pub mod imported_hash;
pub mod keys;
pub mod password;
pub mod random;
pub mod secretbox;
pub mod webcrypto;
