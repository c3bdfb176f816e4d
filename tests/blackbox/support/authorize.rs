//! Authorization requests (OIDC Core §3.1.2.1): their parameters, PKCE (RFC 7636), and codes
//! got by signing a user in through the scripted browser. Depends on `worker`, `applications`
//! and `browser`.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};

use super::applications::{Application, TestUser};
use super::browser::{Browser, Callback, Consent};
use super::worker::{random_b64, TestApp};

/// Authorization request parameters, in the order they are sent.
pub type Params = Vec<(&'static str, String)>;

/// The standard code-flow parameters (`response_type=code`, `scope`, a random `state` and
/// `nonce`) for `client_id` and `redirect_uri`; add or override with [`with`].
pub fn code_params(client_id: &str, redirect_uri: &str, scope: &str) -> Params {
    vec![
        ("client_id", client_id.to_string()),
        ("response_type", "code".to_string()),
        ("scope", scope.to_string()),
        ("redirect_uri", redirect_uri.to_string()),
        ("state", random_b64(12)),
        ("nonce", random_b64(12)),
    ]
}

/// `params` with `key` set to `value` (replaced if present).
pub fn with(mut params: Params, key: &'static str, value: &str) -> Params {
    params.retain(|(k, _)| *k != key);
    params.push((key, value.to_string()));
    params
}

/// `params` without `key`.
pub fn without(mut params: Params, key: &str) -> Params {
    params.retain(|(k, _)| *k != key);
    params
}

/// The value of `key` in `params`, as the client sent it (to compare with what came back).
pub fn param<'a>(params: &'a [(&str, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------------------------
// PKCE (RFC 7636)

/// A PKCE verifier and its challenge.
#[derive(Debug, Clone)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
    /// `S256` or `plain`.
    pub method: &'static str,
}

impl Pkce {
    /// RFC 7636 §4.2: `BASE64URL(SHA256(verifier))`; a 43-character verifier from 32 random bytes.
    pub fn s256() -> Pkce {
        let verifier = random_b64(32);
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Pkce {
            verifier,
            challenge,
            method: "S256",
        }
    }

    /// The `plain` method: the challenge is the verifier.
    pub fn plain() -> Pkce {
        let verifier = random_b64(32);
        Pkce {
            challenge: verifier.clone(),
            verifier,
            method: "plain",
        }
    }

    /// `code_challenge` and `code_challenge_method` for an authorization request.
    pub fn params(&self) -> [(&'static str, String); 2] {
        [
            ("code_challenge", self.challenge.clone()),
            ("code_challenge_method", self.method.to_string()),
        ]
    }
}

// ---------------------------------------------------------------------------------------------
// Codes through the browser

/// A fresh browser signs `user` in with `params`, allowing consent; the response at the
/// redirect URI.
pub async fn sign_in(
    app: &TestApp,
    client: &Application,
    user: &TestUser,
    params: &[(&str, String)],
) -> Callback {
    Browser::new(app)
        .sign_in(&client.issuer, params, user, Consent::Allow)
        .await
        .callback()
}

/// A code for the standard request plus `extra` parameters, through a fresh browser.
pub async fn fresh_code(
    app: &TestApp,
    client: &Application,
    user: &TestUser,
    scope: &str,
    extra: &[(&'static str, String)],
) -> String {
    let mut params = code_params(&client.client_id, &client.redirect_uri, scope);
    for (k, v) in extra {
        params = with(params, k, v);
    }
    sign_in(app, client, user, &params)
        .await
        .param("code")
        .to_string()
}
