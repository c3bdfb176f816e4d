//! Which `GrantStore` object holds a key. Records are spread over objects by the key itself
//! (random ids, or the SHA-256 of a random token), so no index is needed.
//!
//! Two layouts, told apart by the key's shape, so every record stays where it was written:
//!
//! - **Compact** (every key minted since): 64 objects per kind, `{kind}.{c}` — `c` the key's
//!   first random character. Few enough that under ordinary traffic each object stays
//!   warm (an idle object is evicted after seconds; starting one and opening its SQLite file
//!   costs several times a round trip to a running one), and still 64 × ~1,000 requests/s
//!   per kind. Keys: ids of [`GRANT_ID_LEN`] characters (`crypto::random::grant_id`), and
//!   `~` + the hash of a token of [`GRANT_TOKEN_LEN`] (`crypto::random::grant_token`).
//! - **Spread** (keys minted before: 22-character ids, hashes of 43-character tokens): 4,096
//!   objects per kind, `{kind}-{cc}`, two characters of the key. Sessions, refresh families
//!   and revocations written by earlier releases are read, rotated and revoked there until
//!   they expire; nothing new is written there. Client-assertion `jti`s (chosen by the
//!   client, hashed to 43 characters) stay in this layout.
//!
//! Authorization codes minted since have a third place, **beside their sign-in**
//! ([`code_object`]): a code of [`PLACED_CODE_LEN`] characters is kept in the interaction
//! object its first character names (`ia.{c}`, the object of the pending sign-in the code
//! ends), so ending the sign-in and storing its code are one call and one commit. A code of
//! any other length is where it always was (`code.{c}` or `code-{cc}` by its hash).

use crate::oidc::jws::sha256_b64;

/// Length of the ids minted for grant records since the compact layout (144 bits).
pub const GRANT_ID_LEN: usize = 24;
/// Length of the tokens minted since the compact layout (264 bits).
pub const GRANT_TOKEN_LEN: usize = 44;
/// Length of the codes minted since codes are kept beside their sign-in: the character that
/// names the object, then a [`GRANT_TOKEN_LEN`] token.
pub const PLACED_CODE_LEN: usize = GRANT_TOKEN_LEN + 1;
/// What marks the hash of a compact-layout token as a compact key (never in base64url).
const TOKEN_KEY_TAG: char = '~';

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Compact,
    Spread,
}

impl Layout {
    pub fn of(key: &str) -> Layout {
        if key.len() == GRANT_ID_LEN || key.starts_with(TOKEN_KEY_TAG) {
            Layout::Compact
        } else {
            Layout::Spread
        }
    }
}

/// The object of `kind_prefix` that holds `key`.
pub fn object_name(kind_prefix: &str, key: &str) -> String {
    match Layout::of(key) {
        Layout::Compact => {
            let c = key
                .trim_start_matches(TOKEN_KEY_TAG)
                .chars()
                .next()
                .unwrap_or('_');
            format!("{kind_prefix}.{c}")
        }
        Layout::Spread => {
            let shard: String = key.chars().take(2).collect();
            format!("{kind_prefix}-{shard}")
        }
    }
}

/// The character that names the compact-layout object of `id` (its first), if `id` has the
/// compact shape: a code placed with it lands in the same object of another kind.
pub fn compact_object_char(id: &str) -> Option<char> {
    let c = id.chars().next()?;
    (Layout::of(id) == Layout::Compact && !id.starts_with(TOKEN_KEY_TAG) && is_b64url(c))
        .then_some(c)
}

fn is_b64url(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

/// A new authorization code placed in the object of `kind_prefix` that `beside` (a record id
/// of that kind) lives in, or, without one, in a random one of its 64. `token` is a fresh
/// [`GRANT_TOKEN_LEN`] token, the code's secret.
pub fn placed_code(token: &str, beside: Option<&str>) -> String {
    let c = beside
        .and_then(compact_object_char)
        .or_else(|| token.chars().next())
        .unwrap_or('_');
    format!("{c}{token}")
}

/// Where a presented code's record is: `Some(c)` for a code placed beside a sign-in (in
/// `ia.{c}`), `None` for one minted before (its hash names its `code` object). A code of the
/// placed length whose first character is not base64url names no object: it is looked up by
/// its hash, where nothing is.
pub fn code_object(code: &str) -> Option<char> {
    let c = code.chars().next()?;
    (code.len() == PLACED_CODE_LEN && is_b64url(c)).then_some(c)
}

/// The key a token's record is stored under: only its hash, tagged when the token was minted
/// for the compact layout. A token of any other length (minted before) keys by its bare
/// hash, as it always did.
pub fn token_key(token: &str) -> String {
    let hash = sha256_b64(token);
    if token.len() == GRANT_TOKEN_LEN {
        format!("{TOKEN_KEY_TAG}{hash}")
    } else {
        hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_minted_before_stay_in_the_spread_layout() {
        // A 22-character id, the hash of a 43-character token: where earlier releases put them.
        assert_eq!(object_name("rtf", "AbcdefghijklmnopqrstuV"), "rtf-Ab");
        let old_token = "A".repeat(43);
        let key = token_key(&old_token);
        assert_eq!(key, sha256_b64(&old_token));
        assert_eq!(Layout::of(&key), Layout::Spread);
        assert_eq!(
            object_name("ses", &key),
            format!("ses-{}", key.chars().take(2).collect::<String>())
        );
    }

    #[test]
    fn keys_minted_now_go_to_one_of_64_objects() {
        assert_eq!(object_name("ia", "Zbcdefghijklmnopqrstuvwx"), "ia.Z");
        let token = "B".repeat(GRANT_TOKEN_LEN);
        let key = token_key(&token);
        assert_eq!(key, format!("~{}", sha256_b64(&token)));
        assert_eq!(Layout::of(&key), Layout::Compact);
        let first = sha256_b64(&token).chars().next().unwrap();
        assert_eq!(object_name("code", &key), format!("code.{first}"));
    }

    #[test]
    fn the_two_layouts_never_name_the_same_object() {
        // `.` is not base64url, `-` is: a compact name can never be a spread one.
        let compact = object_name("code", "-bcdefghijklmnopqrstuvwx");
        let spread = object_name("code", "-bcdefghijklmnopqrstu");
        assert_eq!(compact, "code.-");
        assert_eq!(spread, "code--b");
        assert_ne!(compact, spread);
    }

    #[test]
    fn a_code_is_placed_in_its_sign_ins_object() {
        let token = "C".repeat(GRANT_TOKEN_LEN);
        let code = placed_code(&token, Some("Zbcdefghijklmnopqrstuvwx"));
        assert_eq!(code.len(), PLACED_CODE_LEN);
        assert_eq!(code_object(&code), Some('Z'));
        // Without a sign-in, or beside an id of the spread layout: a random object.
        assert_eq!(code_object(&placed_code(&token, None)), Some('C'));
        assert_eq!(
            code_object(&placed_code(&token, Some("Zbcdefghijklmnopqrstu"))),
            Some('C')
        );
    }

    #[test]
    fn codes_minted_before_and_foreign_ones_are_found_by_their_hash() {
        assert_eq!(code_object(&"A".repeat(GRANT_TOKEN_LEN)), None);
        assert_eq!(code_object(&"A".repeat(43)), None);
        assert_eq!(
            code_object(&format!("%{}", "A".repeat(GRANT_TOKEN_LEN))),
            None
        );
        // A multi-byte first character is not the placed length in bytes' sense.
        assert_eq!(
            code_object(&format!("é{}", "A".repeat(GRANT_TOKEN_LEN - 1))),
            None
        );
        assert_eq!(code_object(""), None);
    }

    #[test]
    fn a_client_assertion_key_stays_spread() {
        // `client_auth` keys a spent assertion by the hash of client id and jti.
        let key = sha256_b64("client\njti-of-any-length");
        assert_eq!(Layout::of(&key), Layout::Spread);
    }
}
