//! Client-side signing for the client-authentication tests: ES256 and Ed25519 keys from fixed
//! seeds, two fixed RSA keys (generating RSA keys in a debug build takes seconds), assertions
//! signed with them, and a loopback server that serves a JWK set the test can swap.

use std::sync::{Arc, Mutex};

use jwt_compact::alg::{Es256, Hs256, Hs256Key, Rsa, RsaPrivateKey, SigningKey};
use jwt_compact::jwk::JsonWebKey;
use jwt_compact::{AlgorithmExt, Claims, Header};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Fixed 2048-bit RSA private keys (JWK), test-only.
const RSA_KEYS: [&str; 2] = [
    r#"{"kty":"RSA","n":"oLqrC2sYNIcNxy8QXssB1CXaykFOyWrG4QEIJkc8pz__fpG_Qoo4Jh3thp25ZlLpZZTWc6VcFOaMBw6JkhFa4woQEefB6cq-ITg-29Pqh3MN0QoV-wA1LJ7L_22LgbWZIi5ujMPa17278Qe7zvUMzLoGovpfLpbWbkm-95448vU6PEP7iDJCTByxIcfW6khaf9jkmRH9As7uzwhdDqP2NHs3-LqplanPsjxDfZJP8o9VUXdkMVZyNTPUek8tERN-uoxZ9kw95J4yjbNO2SguY-y5mXk93HUAFwrtoaHxUx9G79ectlmhFQWCV-5XVIkdj-OuNVm4CyQCwRDdXo5iWQ","e":"AQAB","d":"DqmcyTbAv2j7Iyq6VvV00iBObnFJAVOj9zqHfmt0_2p1kbu0y5qNnv-Pr75Df6_MYjOS4Tuqc-8owsuLFgfOh2P_fYyrilsQH3pwtI_nZyoiLmnZwbs9_pcxc7iv93okMUO0WtPSqugAhU9f7RQ6kdIeIR_PT1IcF3VTjiYRWquKjLD3czLbsjKU1eITM-GeWKDwonqJ1B7FZeihQ5s-cwC0OUrMnXoNR9FGjjwVlogs6wLjIvROrDfYiX_btQ4seTGHsWc62KJ-JngveP4ycvXWBRI2QsWTvguDJCwiHTbL0RQqcKReeZKtQMqGW0rJftPTRVlTvbEtwMu3Wa_DIQ","p":"1yBdcVxabjjD3ZmDAVkBzuGiZri49sT5Zdd0rIE1fFrSrMbdgoICxZlyBbxYL1PiPH4LgPUTQI6Y-f0YRU0Wvh3wSFz_GhwGl7SusKhxV1sR9bVjPGrx6BdqerHhURP6PgTJA3tJdVKCku9vP5Cf2vzI6vS1utY7WiBA3lezqWE","q":"v0RzG_EzHj3NEX5Dg430O1UFx2fhExoXhMYZHhyBmQR0eKIARLOBaWhD8bfX-jIAHAjfncScqMR0Vl3KJtjqOfuvJ6iv-4tujkmJs9gEhZiuymzEAjm93M0VdeYyhgQGoGQiau4SWuVCE67LL9viPy6AzVF5nDsl1sh0JIpig_k","dp":"pUZaQ_N-DlxSLnf4LBrjxruW93BHul7OdK25F6cVHnrwjIkkOVYFJyaicUGoRoQdtffogqTGq7xiTv1hniyBooKBzjaUTszlS7wm0dY3bbOr8qfum8ZWH8eNqMHsp0u_39HxVVlssFQ5uQV25NEJ30aCXfCvheF9K9rHu4qJn0E","dq":"hTOdWqNSr0fo7braN97_bOacXK-6brwoDt6LFY5SrwcMOgrQVwgQIyFq2AbpkaOKsft4B_6p_1q5joBIzV8ZWAIwjFUNIgiLmOobzTSuiX-4kt7GbqpZ0FC_FlmXa_-XwdGaqo9cFxM8Pkrn1E-0s72mE9ce8y-5_WeiguQhEbk","qi":"qaQEPtHqUsjxgaGM5rxhjqB09bNmkCdI2pytAFtyEz-EzzaVn2eYoieUFWptHUHCOZV77HBKnlMKSCo48osAzwU4zwsDHHXDjazq9Uz3AD-3m_jfx1_-lPv6O8KWiCvPoR2_oC8YBRPddKUPBASJQ3wVXEwFn62sAxxbpjJrDQ8"}"#,
    r#"{"kty":"RSA","n":"x719bED3Fm3tVpHG843yywifJwQeovElH-X516puy5aZklwSwta-9p9z-M2gIuk0lCDATFJtfDEiKiJNI-QtO5jViHsINBaux6FApJSX_skhtW2q2EEP2HnCsE3tIWcY7iOZBTNIO3gnvzQ_BxPYM06iNHQzahDExum2MulV4lV_7EF2zmrzMp046bq9n60JCy8SVMcAgt364DChLaPW-wASs7RFfB9JEUtayClKbhYFUYpS_5eexAVzvmnHHPW8NZbC9XNDUzpHfYCB2p-o9AkL6YHVT5rs_v9Sk6JX296c6Kwf3ZonXBz4bVnPD9Irh_sme4t5XAPN7cnT7BspwQ","e":"AQAB","d":"G8RrNv0qDGdwRuhhotKxNcoHTAZ91tOUwGQ5cSKbn_hZ9ZeQsR7m8cSVe_lkAW5vlYcfDI0p9Mmk0PwvQqXSJvaWetB1wb4EgrKXWLnijnQ6GC18gm87C3JT3ywaItphBBwVRfyM1l2cEu_psitvUySjloyv6BcYL_nmDxpSivHuEuDgvcX5hqjq6dmjFBH1La9MoRhOuIIrypsPpGHqHeAFoJWyGDeMjg026-oeqxLvqeoLP2FZVeXUrysLX8APaEfUJdlbNDVnUxftzKqFuwRXng2v0J5s0a26Bu-ffT5EPIUrISWjC6eEJa8u68JfCXVMvy5xurh956loeXtHxQ","p":"_ryhSO8bmBUO703Ag8ztelPa8g8uLOqfySAQDSry6U9mQIHL0T8zuuR62m0wZF8DxSnuAh_U78UOBQ1JwY6l2YbqzVcuoc_q3bS4b9U_rS5awA11j_pU1bYvj_e2fMhCx_AlEtzppZkkenC0WgbBNSJnts4z1TTbDqdamcEwSg0","q":"yLsLsDmOjjO7-VLnycKIyUNCuWJvXXdM397F48b3Ps-nk0dt94ZCuxvpnYZyX7pLbodddGLJ9kvjldyJw0p70878T0MWeGcaZ3WPZ8hSTzIwWOZ4lLQJb0ePVMfkOqTZwUP9PJQ1Af7q3q7Pi8hskBgj--6jZ5-wcjloso1wNYU","dp":"YzKvmAhM9ZdVvojHrEu0OsvG2jZhI-qmGJtcxNPxzjs2NW6WIUD8cw4gbUjR7HQ3sqLWZYthz5EsGXmIPFDBcwkgDKCjry2ZZ4bFv_8KEfWYL2vOWSgBu0t8EBNFxCf0IYn51fOjJPKTCv8yrFAvEvL38m8wLhmsKHOxS2i41k0","dq":"xXyxLToTdPiVMeFNRoVsSocwOHAOHSjoq0Dj9Qul6VgoCJC4MlUXhjsaBu9ly6Tf3ei0G3OuO_HCAYkuyMKZPXRhbCIXE3Js2ekho_vEb0JzqqNlcvgGaENBUyou8zuJOcoIdfdih4ojzd6zN1WC6em2TYElpyfHUzoENddN1Hk","qi":"mldWDoaOrwrQVuMCkwPSUErb0TaHCB5TWGfkHYd_RMJVLjDCsjSCl0IqSiXjB8-7RmI5nZTDi0Xot0rjhlKzzi_I5w_2FcHEgm4v9Ov2K0YZ1P3tUku-7VU-RnSCFf5fHi2ls2p_o8BWFnvhuS2XOOUk7dEfqYSJb1gcChkzbdU"}"#,
];

/// A key a test client signs with.
pub enum TestKey {
    Es256(<Es256 as jwt_compact::Algorithm>::SigningKey),
    Rs256(Box<RsaPrivateKey>),
    Hs256(Vec<u8>),
}

impl TestKey {
    pub fn es256(seed: u8) -> TestKey {
        TestKey::Es256(
            <Es256 as jwt_compact::Algorithm>::SigningKey::from_slice(&[seed; 32])
                .unwrap_or_else(|e| panic!("ES256 key: {e}")),
        )
    }

    /// One of the two fixed RSA keys (0 or 1).
    pub fn rs256(n: usize) -> TestKey {
        let jwk: JsonWebKey<'_> =
            serde_json::from_str(RSA_KEYS[n]).unwrap_or_else(|e| panic!("RSA JWK: {e}"));
        TestKey::Rs256(Box::new(
            RsaPrivateKey::try_from(&jwk).unwrap_or_else(|e| panic!("RSA key: {e}")),
        ))
    }

    pub fn hs256(secret: &str) -> TestKey {
        TestKey::Hs256(secret.as_bytes().to_vec())
    }

    /// The public JWK, with `kid`.
    pub fn public_jwk(&self, kid: &str) -> Value {
        let mut jwk = match self {
            TestKey::Es256(k) => serde_json::to_value(JsonWebKey::from(&k.to_verifying_key())),
            TestKey::Rs256(k) => serde_json::to_value(JsonWebKey::from(&k.to_public_key())),
            TestKey::Hs256(_) => Ok(json!({})),
        }
        .unwrap_or_else(|e| panic!("JWK: {e}"));
        jwk["kid"] = json!(kid);
        jwk
    }

    /// A compact JWS of `claims`, with `kid` in the header when given.
    pub fn sign(&self, kid: Option<&str>, claims: &Value) -> String {
        let claims: Claims<Value> =
            serde_json::from_value(claims.clone()).unwrap_or_else(|e| panic!("claims: {e}"));
        let header = match kid {
            Some(k) => Header::empty().with_key_id(k),
            None => Header::empty(),
        };
        match self {
            TestKey::Es256(k) => Es256.token(&header, &claims, k),
            TestKey::Rs256(k) => Rsa::rs256().token(&header, &claims, k),
            TestKey::Hs256(s) => Hs256.token(&header, &claims, &Hs256Key::new(s)),
        }
        .unwrap_or_else(|e| panic!("signing: {e}"))
    }
}

/// A client assertion's claims for `client_id`, addressed to `aud`, living `ttl` seconds.
pub fn assertion_claims(client_id: &str, aud: &str, ttl: i64) -> Value {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    json!({
        "iss": client_id, "sub": client_id, "aud": aud, "iat": now, "exp": now + ttl,
        "jti": super::worker::random_b64(16),
    })
}

/// A document (a JWK set, a request object) served at `url` on a loopback port; `set` and
/// `set_text` swap what it serves.
pub struct JwksServer {
    pub url: String,
    served: Arc<Mutex<String>>,
}

impl JwksServer {
    pub async fn start(initial: &Value) -> JwksServer {
        JwksServer::start_text(&initial.to_string(), "application/json").await
    }

    pub async fn start_text(initial: &str, content_type: &'static str) -> JwksServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("bind: {e}"));
        let port = listener.local_addr().map(|a| a.port()).unwrap_or(0);
        let served = Arc::new(Mutex::new(initial.to_string()));
        let body = served.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let body = body.lock().map(|b| b.clone()).unwrap_or_default();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = socket.read(&mut buf).await;
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                });
            }
        });
        JwksServer {
            url: format!("http://127.0.0.1:{port}/jwks"),
            served,
        }
    }

    pub fn set(&self, jwks: &Value) {
        self.set_text(&jwks.to_string());
    }

    pub fn set_text(&self, text: &str) {
        if let Ok(mut s) = self.served.lock() {
            *s = text.to_string();
        }
    }
}

/// An unsigned JWT (`alg: none`) of `claims`.
pub fn unsigned(claims: &Value) -> String {
    use base64::Engine;
    let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    format!("{}.{}.", b64(&json!({"alg": "none"})), b64(claims))
}
