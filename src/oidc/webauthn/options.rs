//! The options the page's script hands to `navigator.credentials.create()` and `.get()`, in
//! their JSON form (L3 §5.4 `PublicKeyCredentialCreationOptionsJSON`, §5.5
//! `PublicKeyCredentialRequestOptionsJSON`; binary fields base64url). Registration asks for
//! a discoverable credential (a passkey: sign-in without a user name), attestation `none`
//! and the pool's user verification; sign-in lists no credentials, so the browser offers
//! every passkey of this RP ID (and conditional UI can autofill them).

use serde_json::{json, Value};

use super::cose::CoseAlg;
use super::RelyingParty;
use crate::oidc::jws::b64;

/// How long the browser waits for the user (§5.4 `timeout`); the challenge lives as long.
pub const TIMEOUT_SECS: u64 = 300;

/// The user a credential is made for. `id` is the user handle (§5.4.3: not personally
/// identifying, at most 64 bytes): Doorward's random user id.
pub struct UserEntity<'a> {
    pub id: &'a [u8],
    pub name: &'a str,
    pub display_name: &'a str,
}

/// An already registered credential of the user, listed so the same authenticator is not
/// registered twice (§5.4 `excludeCredentials`).
pub struct Known<'a> {
    pub id: &'a [u8],
    pub transports: &'a [String],
}

pub fn creation(
    rp: &RelyingParty,
    rp_name: &str,
    user: &UserEntity<'_>,
    challenge: &[u8],
    exclude: &[Known<'_>],
) -> Value {
    json!({
        "rp": {"id": rp.id, "name": rp_name},
        "user": {"id": b64(user.id), "name": user.name, "displayName": user.display_name},
        "challenge": b64(challenge),
        "pubKeyCredParams": CoseAlg::OFFERED
            .iter()
            .map(|a| json!({"type": "public-key", "alg": a.id()}))
            .collect::<Vec<_>>(),
        "timeout": TIMEOUT_SECS * 1000,
        "excludeCredentials": exclude
            .iter()
            .map(|k| json!({"type": "public-key", "id": b64(k.id), "transports": k.transports}))
            .collect::<Vec<_>>(),
        "authenticatorSelection": {
            "residentKey": "required",
            "requireResidentKey": true,
            "userVerification": rp.user_verification.as_str(),
        },
        "attestation": "none",
    })
}

/// `allow` empty for a discoverable sign-in (any passkey of this RP ID); the user's own
/// credentials when the user is already known (a passkey as the second factor).
pub fn request(rp: &RelyingParty, challenge: &[u8], allow: &[Known<'_>]) -> Value {
    json!({
        "rpId": rp.id,
        "challenge": b64(challenge),
        "timeout": TIMEOUT_SECS * 1000,
        "allowCredentials": allow
            .iter()
            .map(|k| json!({"type": "public-key", "id": b64(k.id), "transports": k.transports}))
            .collect::<Vec<_>>(),
        "userVerification": rp.user_verification.as_str(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::webauthn::test_support::rp;
    use crate::oidc::webauthn::UserVerification;

    #[test]
    fn creation_options_ask_for_a_passkey_without_attestation() {
        let user = UserEntity {
            id: b"u1",
            name: "alice",
            display_name: "Alice",
        };
        let transports = vec!["internal".to_string()];
        let o = creation(
            &rp(),
            "Shop",
            &user,
            b"chal",
            &[Known {
                id: b"k",
                transports: &transports,
            }],
        );
        assert_eq!(o["rp"]["id"], "localhost");
        assert_eq!(o["user"]["id"], b64(b"u1"));
        assert_eq!(o["challenge"], b64(b"chal"));
        assert_eq!(o["attestation"], "none");
        assert_eq!(o["authenticatorSelection"]["residentKey"], "required");
        assert_eq!(o["authenticatorSelection"]["userVerification"], "preferred");
        let algs: Vec<i64> = o["pubKeyCredParams"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["alg"].as_i64().unwrap())
            .collect();
        assert_eq!(algs, vec![-8, -7, -257]);
        assert_eq!(o["excludeCredentials"][0]["id"], b64(b"k"));
    }

    #[test]
    fn request_options_carry_the_pools_user_verification() {
        let party = RelyingParty {
            user_verification: UserVerification::Required,
            ..rp()
        };
        let o = request(&party, b"c", &[]);
        assert_eq!(o["userVerification"], "required");
        assert_eq!(o["rpId"], "localhost");
        assert_eq!(o["allowCredentials"], json!([]));
        let t = vec!["usb".to_string()];
        let o = request(
            &party,
            b"c",
            &[Known {
                id: b"k1",
                transports: &t,
            }],
        );
        assert_eq!(o["allowCredentials"][0]["id"], b64(b"k1"));
        assert_eq!(o["allowCredentials"][0]["transports"], json!(["usb"]));
    }
}
