//! The relying party a ceremony is checked against: an application's issuer. Its origin is the
//! issuer's origin and its RP ID the issuer's host (WebAuthn §5.1.4.1 allows a registrable
//! suffix; Doorward uses the exact host, so a passkey made on one application's issuer is not
//! offered on a sibling subdomain). User verification is the pool's setting.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// `userVerification` (§5.8.6): the pool asks for `preferred` (the default) or `required`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserVerification {
    #[default]
    Preferred,
    Required,
}

impl UserVerification {
    pub fn as_str(self) -> &'static str {
        match self {
            UserVerification::Preferred => "preferred",
            UserVerification::Required => "required",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// `scheme://host[:port]`, as `clientDataJSON.origin` must say it (§7.1 step 9).
    pub origin: String,
    /// The issuer's host, without port (§5.1.4.1: an RP ID is a domain).
    pub id: String,
    pub user_verification: UserVerification,
}

impl RelyingParty {
    /// The relying party of an issuer URL; `None` for one without a host.
    pub fn for_issuer(issuer: &str, user_verification: UserVerification) -> Option<RelyingParty> {
        let url = url::Url::parse(issuer).ok()?;
        let host = url.host_str()?.to_ascii_lowercase();
        Some(RelyingParty {
            origin: url.origin().ascii_serialization(),
            id: host,
            user_verification,
        })
    }

    /// SHA-256 of the RP ID, which `authenticatorData.rpIdHash` must equal (§7.1 step 13).
    pub fn id_hash(&self) -> [u8; 32] {
        Sha256::digest(self.id.as_bytes()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rp_is_the_issuers_origin_and_host() {
        let rp = RelyingParty::for_issuer(
            "http://localhost:8787/shop/oidc",
            UserVerification::Preferred,
        )
        .unwrap();
        assert_eq!(rp.origin, "http://localhost:8787");
        assert_eq!(rp.id, "localhost");
        let rp = RelyingParty::for_issuer("https://Shop.ID.example.com/oidc", Default::default())
            .unwrap();
        assert_eq!(rp.origin, "https://shop.id.example.com");
        assert_eq!(rp.id, "shop.id.example.com");
        assert_eq!(
            rp.id_hash().to_vec(),
            Sha256::digest(b"shop.id.example.com").to_vec()
        );
        assert!(RelyingParty::for_issuer("not a url", Default::default()).is_none());
    }
}
