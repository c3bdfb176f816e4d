//! `clientDataJSON` (WebAuthn §5.8.1): what the browser says it asked the authenticator to
//! sign — the ceremony type, the challenge, the origin of the page and whether it ran in a
//! cross-origin frame. Checked against what the server issued (§7.1 steps 7–10, §7.2 steps
//! 11–14); the challenge in constant time.

use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::{b64url, RelyingParty, WebAuthnError};

/// The ceremony a `clientDataJSON` belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ceremony {
    /// `navigator.credentials.create()`: `webauthn.create`.
    Create,
    /// `navigator.credentials.get()`: `webauthn.get`.
    Get,
}

impl Ceremony {
    pub fn type_name(self) -> &'static str {
        match self {
            Ceremony::Create => "webauthn.create",
            Ceremony::Get => "webauthn.get",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    #[serde(rename = "type")]
    kind: String,
    challenge: String,
    origin: String,
    #[serde(default)]
    cross_origin: Option<bool>,
}

/// Checks `clientDataJSON` (the raw bytes, which are also what is hashed into the signed data)
/// against the ceremony, the challenge issued (raw bytes) and the relying party.
pub fn check(
    client_data_json: &[u8],
    ceremony: Ceremony,
    expected_challenge: &[u8],
    rp: &RelyingParty,
) -> Result<(), WebAuthnError> {
    let raw: Raw = serde_json::from_slice(client_data_json)
        .map_err(|_| WebAuthnError::Malformed("clientDataJSON"))?;
    if raw.kind != ceremony.type_name() {
        return Err(WebAuthnError::WrongType(ceremony.type_name()));
    }
    let challenge = b64url("clientDataJSON.challenge", &raw.challenge)?;
    // Constant time: the challenge is the ceremony's one secret.
    if challenge.len() != expected_challenge.len()
        || !bool::from(challenge.ct_eq(expected_challenge))
    {
        return Err(WebAuthnError::WrongChallenge);
    }
    if raw.origin != rp.origin {
        return Err(WebAuthnError::WrongOrigin);
    }
    // §7.1 step 10 lets an RP accept framed ceremonies; the hosted pages refuse framing
    // (frame-ancestors 'none'), so a cross-origin one can only be someone else's frame.
    if raw.cross_origin == Some(true) {
        return Err(WebAuthnError::CrossOrigin);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::webauthn::test_support::{client_data, rp};

    #[test]
    fn a_matching_client_data_passes() {
        let cd = client_data("webauthn.get", b"challenge-bytes", &rp().origin, None);
        assert_eq!(check(&cd, Ceremony::Get, b"challenge-bytes", &rp()), Ok(()));
        let cd = client_data(
            "webauthn.get",
            b"challenge-bytes",
            &rp().origin,
            Some(false),
        );
        assert_eq!(check(&cd, Ceremony::Get, b"challenge-bytes", &rp()), Ok(()));
    }

    #[test]
    fn type_challenge_origin_and_framing_are_each_refused() {
        let origin = rp().origin;
        let cases: Vec<(Vec<u8>, WebAuthnError)> = vec![
            (
                client_data("webauthn.create", b"c", &origin, None),
                WebAuthnError::WrongType("webauthn.get"),
            ),
            (
                client_data("webauthn.get", b"other", &origin, None),
                WebAuthnError::WrongChallenge,
            ),
            (
                client_data("webauthn.get", b"", &origin, None),
                WebAuthnError::WrongChallenge,
            ),
            (
                client_data("webauthn.get", b"c", "https://evil.example", None),
                WebAuthnError::WrongOrigin,
            ),
            (
                client_data("webauthn.get", b"c", "http://localhost:1", None),
                WebAuthnError::WrongOrigin,
            ),
            (
                client_data("webauthn.get", b"c", &origin, Some(true)),
                WebAuthnError::CrossOrigin,
            ),
            (
                b"{not json".to_vec(),
                WebAuthnError::Malformed("clientDataJSON"),
            ),
            (
                br#"{"type":"webauthn.get","challenge":"***","origin":"x"}"#.to_vec(),
                WebAuthnError::Malformed("clientDataJSON.challenge"),
            ),
        ];
        for (cd, want) in cases {
            assert_eq!(check(&cd, Ceremony::Get, b"c", &rp()), Err(want));
        }
    }
}
