//! Doorward: an OpenID Connect identity provider on the Workers runtime.
//!
//! `oidc` holds the protocol rules (runtime-free, unit-tested natively); `crypto`, `store`,
//! `objects` and `http` run on the Workers runtime.

pub mod oidc;
