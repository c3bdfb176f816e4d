//! Reading a token-endpoint request (RFC 6749 §3.2, §2.3.1): parameters from the form body and,
//! as the hosted service's guide documents, from the query string of the POST; and the client
//! credentials from HTTP Basic or the body. Runtime-free.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::collections::BTreeMap;

use super::error::OAuthError;

/// Merges body and query parameters. The same parameter twice, or from both places with
/// different values, is `invalid_request` (RFC 6749 §3.2: parameters MUST NOT repeat).
pub fn merge_params(
    body: &[(String, String)],
    query: &[(String, String)],
) -> Result<BTreeMap<String, String>, OAuthError> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (place, list) in [("body", body), ("query", query)] {
        let mut seen_here: Vec<&str> = Vec::new();
        for (k, v) in list {
            if seen_here.contains(&k.as_str()) {
                return Err(OAuthError::invalid_request(format!(
                    "parameter `{k}` is repeated"
                )));
            }
            seen_here.push(k);
            match out.get(k) {
                Some(existing) if existing != v => {
                    return Err(OAuthError::invalid_request(format!(
                        "parameter `{k}` has different values in the body and the query"
                    ))
                    .with_detail(format!("conflict found while reading the {place}")));
                }
                _ => {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
    }
    Ok(out)
}

/// How the client presented itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientCredentials {
    Basic {
        client_id: String,
        secret: String,
    },
    Post {
        client_id: String,
        secret: String,
    },
    /// A public client: only a `client_id`.
    None {
        client_id: String,
    },
    Missing,
}

impl ClientCredentials {
    pub fn client_id(&self) -> Option<&str> {
        match self {
            ClientCredentials::Basic { client_id, .. }
            | ClientCredentials::Post { client_id, .. }
            | ClientCredentials::None { client_id } => Some(client_id),
            ClientCredentials::Missing => None,
        }
    }
}

/// Reads the credentials. Using two methods at once is refused (RFC 6749 §2.3).
pub fn client_credentials(
    authorization: Option<&str>,
    params: &BTreeMap<String, String>,
) -> Result<ClientCredentials, OAuthError> {
    let body_secret = params.get("client_secret").filter(|s| !s.is_empty());
    let body_id = params.get("client_id").filter(|s| !s.is_empty());
    if let Some(h) = authorization.filter(|h| h.len() > 6 && h[..6].eq_ignore_ascii_case("basic "))
    {
        if body_secret.is_some() {
            return Err(OAuthError::invalid_request(
                "use one client authentication method",
            ));
        }
        let decoded = STANDARD
            .decode(h[6..].trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
        let (id, secret) = decoded
            .split_once(':')
            .ok_or_else(|| OAuthError::invalid_client("malformed Basic credentials"))?;
        // §2.3.1: both parts are form-urlencoded before base64.
        let id = form_decode(id);
        let secret = form_decode(secret);
        if body_id.is_some_and(|b| *b != id) {
            return Err(OAuthError::invalid_request(
                "client_id does not match the credentials",
            ));
        }
        return Ok(ClientCredentials::Basic {
            client_id: id,
            secret,
        });
    }
    match (body_id, body_secret) {
        (Some(id), Some(s)) => Ok(ClientCredentials::Post {
            client_id: id.clone(),
            secret: s.clone(),
        }),
        (Some(id), None) => Ok(ClientCredentials::None {
            client_id: id.clone(),
        }),
        (None, _) => Ok(ClientCredentials::Missing),
    }
}

fn form_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn body_and_query_merge_and_conflicts_are_refused() {
        let m = merge_params(
            &v(&[("code", "a")]),
            &v(&[("grant_type", "x"), ("code", "a")]),
        )
        .unwrap();
        assert_eq!(m.len(), 2);
        let e = merge_params(&v(&[("code", "a")]), &v(&[("code", "b")])).unwrap_err();
        assert_eq!(e.code, crate::oidc::error::ErrorCode::InvalidRequest);
        assert!(merge_params(&v(&[("code", "a"), ("code", "a")]), &[]).is_err());
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let h = format!("Basic {}", STANDARD.encode("my%20id:p%3Ass"));
        let c = client_credentials(Some(&h), &BTreeMap::new()).unwrap();
        assert_eq!(
            c,
            ClientCredentials::Basic {
                client_id: "my id".into(),
                secret: "p:ss".into()
            }
        );
    }

    #[test]
    fn two_methods_at_once_are_refused() {
        let h = format!("Basic {}", STANDARD.encode("a:b"));
        let mut p = BTreeMap::new();
        p.insert("client_secret".to_string(), "b".to_string());
        assert!(client_credentials(Some(&h), &p).is_err());
    }
}
