//! Subject identifiers (OIDC Core §8): `public` (the user's id, the same for every client) or
//! `pairwise` (§8.1: a different `sub` per sector, so clients of different sectors cannot join
//! what they know about a user). Runtime-free.
//!
//! The pairwise value is §8.1's example construction, `sub = base64url(SHA-256(sector ||
//! user_id || salt))`, with a NUL byte between the parts so that no two (sector, user) pairs
//! concatenate alike. The salt is per deployment, derived from `MASTER_KEY` by HMAC: secret
//! (nobody can recompute a sub from a user id), stable for as long as the key (which cannot be
//! rotated without losing every sealed secret anyway), and never stored. Inside Doorward the
//! user keeps the real id: codes, refresh families and sessions record it, and an access token
//! for a pairwise client carries it only sealed (`http::tokens::subject`).

use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use super::client::Client;
use super::jws::{b64, b64_decode};
use super::redirect_uri::is_loopback;

/// OIDC Registration §2 `subject_type`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    #[default]
    Public,
    Pairwise,
}

impl SubjectType {
    pub const ALL: [SubjectType; 2] = [SubjectType::Public, SubjectType::Pairwise];

    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::Public => "public",
            SubjectType::Pairwise => "pairwise",
        }
    }

    pub fn parse(s: &str) -> Option<SubjectType> {
        SubjectType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    pub fn is_public(&self) -> bool {
        *self == SubjectType::Public
    }
}

/// The deployment's pairwise salt: HMAC-SHA256 keyed with `MASTER_KEY`'s bytes.
pub fn pairwise_salt(master_key_b64: &str) -> [u8; 32] {
    let raw =
        b64_decode(master_key_b64.trim()).unwrap_or_else(|| master_key_b64.as_bytes().to_vec());
    let mut out = [0u8; 32];
    // HMAC takes keys of any length, so `new_from_slice` cannot fail.
    if let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&raw) {
        mac.update(b"doorward/pairwise-subject-salt/v1");
        out.copy_from_slice(&mac.finalize().into_bytes());
    }
    out
}

/// OIDC Core §8.1: the pairwise `sub` of `user_id` in `sector`.
pub fn pairwise_subject(sector: &str, user_id: &str, salt: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(sector.as_bytes());
    h.update([0]);
    h.update(user_id.as_bytes());
    h.update([0]);
    h.update(salt);
    b64(&h.finalize())
}

/// The hosts of `uris`, de-duplicated; `None` in place of a URI whose host names nobody: a
/// private-use scheme (`com.example.app:/cb`) or a loopback host (RFC 8252 §7.3), which every
/// native app on every machine shares — taken as a sector, it would give all of them one
/// `sub` per user.
fn hosts(uris: &[String]) -> Vec<Option<String>> {
    let mut out: Vec<Option<String>> = Vec::new();
    for u in uris {
        let h = Url::parse(u)
            .ok()
            .filter(|u| !is_loopback(u))
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
        if !out.contains(&h) {
            out.push(h);
        }
    }
    out
}

/// OIDC Registration §5 / Core §8.1: the sector of a client is the host of its
/// `sector_identifier_uri`, or else the host of its redirect URIs when they share one. A
/// client whose redirect URIs name no host (loopback, private-use schemes) has none: it is a
/// sector of its own (`subject_for`).
pub fn sector_of(client: &Client) -> Option<String> {
    if let Some(uri) = &client.sector_identifier_uri {
        return Url::parse(uri)
            .ok()
            .and_then(|u| u.host_str().map(str::to_ascii_lowercase));
    }
    match hosts(&client.redirect_uris).as_slice() {
        [Some(h)] => Some(h.clone()),
        _ => None,
    }
}

/// The `sub` this client is shown for `user_id`. A pairwise client without a sector host —
/// redirect URIs that name no host, or (which its registration checks prevent, but a record
/// is data) several — is a sector of its own, by client id: still pairwise, never the
/// public id.
pub fn subject_for(client: &Client, user_id: &str, salt: &[u8]) -> String {
    match client.subject_type {
        SubjectType::Public => user_id.to_string(),
        SubjectType::Pairwise => {
            let sector = sector_of(client).unwrap_or_else(|| client.client_id.clone());
            pairwise_subject(&sector, user_id, salt)
        }
    }
}

/// OIDC Registration §5: a pairwise client without a `sector_identifier_uri` must have its
/// redirect URIs on one host (or on none: loopback and private-use schemes only). Checked at
/// registration and on every admin change.
pub fn check_pairwise(client: &Client) -> Result<(), String> {
    if client.subject_type.is_public() || client.sector_identifier_uri.is_some() {
        return Ok(());
    }
    match hosts(&client.redirect_uris).as_slice() {
        [] | [_] => Ok(()),
        _ => Err(
            "redirect_uris are on more than one host: register a sector_identifier_uri listing them"
                .into(),
        ),
    }
}

/// The syntax of a `sector_identifier_uri`: an absolute URL with a host (whether it may be
/// fetched — https, a public address — is `outbound::check_fetch_url`'s to say).
pub fn is_sector_identifier_uri(s: &str) -> bool {
    s.len() <= 2048
        && Url::parse(s)
            .is_ok_and(|u| u.host_str().is_some_and(|h| !h.is_empty()) && u.fragment().is_none())
}

/// OIDC Registration §5: the document at `sector_identifier_uri` is a JSON array of redirect
/// URIs that must include every one the client registers.
pub fn check_sector_document(body: &[u8], redirect_uris: &[String]) -> Result<(), String> {
    let listed: Vec<String> = serde_json::from_slice(body)
        .map_err(|_| "the sector document is not a JSON array of URIs".to_string())?;
    match redirect_uris.iter().find(|u| !listed.contains(u)) {
        Some(missing) => Err(format!("the sector document does not list `{missing}`")),
        None => Ok(()),
    }
}

/// Whether a change from `before` (none when the client is new) to `after` needs the sector
/// document fetched again: it is set, and it or the redirect URIs it must list changed.
pub fn sector_check_needed(before: Option<&Client>, after: &Client) -> bool {
    after.sector_identifier_uri.is_some()
        && before.is_none_or(|b| {
            b.sector_identifier_uri != after.sector_identifier_uri
                || b.redirect_uris != after.redirect_uris
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(kind: SubjectType, uris: &[&str], sector_uri: Option<&str>) -> Client {
        Client {
            client_id: "c1".into(),
            redirect_uris: uris.iter().map(|u| u.to_string()).collect(),
            subject_type: kind,
            sector_identifier_uri: sector_uri.map(str::to_string),
            ..Client::default()
        }
    }

    const SALT: &[u8] = b"salt";

    #[test]
    fn pairwise_subjects_are_stable_in_a_sector_and_differ_across_sectors() {
        let a = client(SubjectType::Pairwise, &["https://a.example/cb"], None);
        let a2 = client(
            SubjectType::Pairwise,
            &["https://a.example/other", "https://a.example/cb"],
            None,
        );
        let b = client(SubjectType::Pairwise, &["https://b.example/cb"], None);
        let sub = subject_for(&a, "u1", SALT);
        assert_eq!(sub, subject_for(&a2, "u1", SALT), "same host, same sector");
        assert_ne!(sub, subject_for(&b, "u1", SALT));
        assert_ne!(sub, subject_for(&a, "u2", SALT));
        assert_ne!(sub, subject_for(&a, "u1", b"other salt"));
        assert_ne!(sub, "u1");
        assert_eq!(sub.len(), 43, "base64url of 32 bytes");
        let public = client(SubjectType::Public, &["https://a.example/cb"], None);
        assert_eq!(subject_for(&public, "u1", SALT), "u1");
    }

    #[test]
    fn the_sector_identifier_uri_host_is_the_sector() {
        let c = client(
            SubjectType::Pairwise,
            &["https://a.example/cb", "https://b.example/cb"],
            Some("https://Sector.example/redirects.json"),
        );
        assert_eq!(sector_of(&c).as_deref(), Some("sector.example"));
        let d = client(SubjectType::Pairwise, &["https://sector.example/cb"], None);
        assert_eq!(subject_for(&c, "u", SALT), subject_for(&d, "u", SALT));
    }

    #[test]
    fn loopback_and_private_use_redirects_make_each_client_a_sector_of_its_own() {
        let one = client(SubjectType::Pairwise, &["http://127.0.0.1/cb"], None);
        let mut two = client(SubjectType::Pairwise, &["http://127.0.0.1/cb"], None);
        two.client_id = "c2".into();
        assert_eq!(sector_of(&one), None);
        assert_ne!(subject_for(&one, "u", SALT), subject_for(&two, "u", SALT));
        assert_eq!(subject_for(&one, "u", SALT), subject_for(&one, "u", SALT));
    }

    #[test]
    fn the_parts_are_separated_so_no_two_pairs_collide() {
        assert_ne!(
            pairwise_subject("a.example", "bc", SALT),
            pairwise_subject("a.exampleb", "c", SALT)
        );
    }

    #[test]
    fn a_pairwise_client_needs_one_redirect_host_or_a_sector_document() {
        let cases: &[(&[&str], Option<&str>, bool)] = &[
            (&["https://a.example/cb", "https://a.example/x"], None, true),
            (
                &["https://a.example/cb", "https://b.example/cb"],
                None,
                false,
            ),
            (&["com.example.app:/cb", "http://127.0.0.1/cb"], None, true),
            (
                &["com.example.app:/cb", "https://a.example/cb"],
                None,
                false,
            ),
            (
                &["http://localhost:3000/cb", "https://a.example/cb"],
                None,
                false,
            ),
            (&[], None, true),
            (
                &["https://a.example/cb", "https://b.example/cb"],
                Some("https://s.example/r.json"),
                true,
            ),
        ];
        for (uris, sector, ok) in cases {
            let c = client(SubjectType::Pairwise, uris, *sector);
            assert_eq!(check_pairwise(&c).is_ok(), *ok, "{uris:?} {sector:?}");
            let public = client(SubjectType::Public, uris, *sector);
            assert!(check_pairwise(&public).is_ok());
        }
    }

    #[test]
    fn the_sector_document_must_list_every_redirect_uri() {
        let uris = vec![
            "https://a.example/cb".to_string(),
            "https://b.example/cb".to_string(),
        ];
        assert!(check_sector_document(
            br#"["https://a.example/cb", "https://b.example/cb", "https://c.example/"]"#,
            &uris
        )
        .is_ok());
        for bad in [
            &br#"["https://a.example/cb"]"#[..],
            br#"{"redirect_uris": ["https://a.example/cb"]}"#,
            br#"[1, 2]"#,
            b"<html>",
            b"",
        ] {
            assert!(
                check_sector_document(bad, &uris).is_err(),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn the_sector_document_is_fetched_again_only_when_what_it_vouches_for_changes() {
        let with = client(
            SubjectType::Pairwise,
            &["https://a.example/cb"],
            Some("https://s.example/r"),
        );
        let without = client(SubjectType::Pairwise, &["https://a.example/cb"], None);
        assert!(sector_check_needed(None, &with));
        assert!(!sector_check_needed(None, &without));
        assert!(!sector_check_needed(Some(&with), &with));
        assert!(sector_check_needed(Some(&without), &with));
        let moved = client(
            SubjectType::Pairwise,
            &["https://a.example/cb", "https://b.example/cb"],
            Some("https://s.example/r"),
        );
        assert!(sector_check_needed(Some(&with), &moved));
        let mut renamed = with.clone();
        renamed.client_name = Some("x".into());
        assert!(!sector_check_needed(Some(&with), &renamed));
    }

    #[test]
    fn the_salt_is_a_keyed_function_of_the_master_key() {
        let k1 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        let k2 = "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        assert_eq!(pairwise_salt(k1), pairwise_salt(k1));
        assert_ne!(pairwise_salt(k1), pairwise_salt(k2));
    }

    #[test]
    fn sector_identifier_uris_are_absolute_urls_with_a_host() {
        assert!(is_sector_identifier_uri("https://rp.example/sector.json"));
        assert!(is_sector_identifier_uri("http://127.0.0.1:9000/s"));
        for bad in [
            "/sector.json",
            "not a url",
            "https://rp.example/s#frag",
            "mailto:a@b",
        ] {
            assert!(!is_sector_identifier_uri(bad), "{bad}");
        }
    }
}
