//! The relying party a ceremony is checked against: an application's issuer. Its origin is the
//! issuer's origin. Its RP ID is the issuer's host — or, for an issuer on a subdomain of
//! `BASE_DOMAIN`, the base domain itself (WebAuthn §5.1.4.1 allows a registrable suffix of the
//! origin's host), so a passkey made on one application's issuer signs in to every
//! application of the pool. Pools on one base domain share the RP ID, not the passkeys: a
//! credential is looked up in its own pool's directory only. User verification is the pool's
//! setting.

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
        RelyingParty::for_issuer_under(issuer, None, user_verification)
    }

    /// The same, with the deployment's `BASE_DOMAIN`: an issuer on one of its subdomains
    /// takes the base domain as RP ID. A custom domain keeps its own host.
    pub fn for_issuer_under(
        issuer: &str,
        base_domain: Option<&str>,
        user_verification: UserVerification,
    ) -> Option<RelyingParty> {
        let url = url::Url::parse(issuer).ok()?;
        let host = url.host_str()?.to_ascii_lowercase();
        let id = match base_domain.map(str::to_ascii_lowercase) {
            Some(base) if host.ends_with(&format!(".{base}")) => base,
            _ => host,
        };
        Some(RelyingParty {
            origin: url.origin().ascii_serialization(),
            id,
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

    #[test]
    fn issuers_under_the_base_domain_share_it_as_rp_id_and_custom_domains_do_not() {
        let uv = UserVerification::Preferred;
        let base = Some("id.example.com");
        let shop =
            RelyingParty::for_issuer_under("https://shop.id.example.com/oidc", base, uv).unwrap();
        let blog =
            RelyingParty::for_issuer_under("https://blog.id.example.com/oidc", base, uv).unwrap();
        assert_eq!(
            (shop.id.as_str(), blog.id.as_str()),
            ("id.example.com", "id.example.com")
        );
        assert_eq!(shop.origin, "https://shop.id.example.com");
        let custom =
            RelyingParty::for_issuer_under("https://login.shop.example/oidc", base, uv).unwrap();
        assert_eq!(custom.id, "login.shop.example");
        // A host that merely ends in the same letters is not under the base domain.
        let lookalike =
            RelyingParty::for_issuer_under("https://evilid.example.com/oidc", base, uv).unwrap();
        assert_eq!(lookalike.id, "evilid.example.com");
    }
}
