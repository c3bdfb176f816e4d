//! Reading a token-endpoint request (RFC 6749 §3.2, §2.3.1): parameters from the form body and,
//! as the hosted service's guide documents, from the query string of the POST; and the client
//! credentials from HTTP Basic or the body. Runtime-free.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use std::collections::{BTreeMap, BTreeSet};

use super::client_assertion::JWT_BEARER;
use super::error::{ErrorCode, OAuthError};
use super::model::GrantType;

/// A token-endpoint request, read once at the HTTP edge: every grant gets its parameters from
/// here, never from the raw form (RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6; RFC 8707 `resource`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub grant: GrantType,
    pub credentials: ClientCredentials,
    /// `code` (authorization_code), non-empty.
    pub code: Option<String>,
    /// `redirect_uri` as sent: it must equal the authorization request's exactly.
    pub redirect_uri: Option<String>,
    /// `code_verifier` (RFC 7636 §4.5), non-empty.
    pub code_verifier: Option<String>,
    /// `refresh_token`, non-empty.
    pub refresh_token: Option<String>,
    /// `scope` as sent (an empty value is kept: it asks for no scope).
    pub scope: Option<String>,
    /// `resource` (RFC 8707).
    pub resource: Option<String>,
    /// `username`, trimmed and non-empty (password grant).
    pub username: Option<String>,
    /// `password`, non-empty.
    pub password: Option<String>,
    /// The caller's address as the edge reports it (throttling of the password grant).
    pub client_ip: String,
}

impl TokenRequest {
    /// Reads the body and query pairs and the `Authorization` header. An unknown
    /// `grant_type` is `unsupported_grant_type`; whether a known one is served at the token
    /// endpoint is the grant table's decision (`oidc::grant_policy`).
    pub fn parse(
        body: &[(String, String)],
        query: &[(String, String)],
        authorization: Option<&str>,
        client_ip: &str,
    ) -> Result<TokenRequest, OAuthError> {
        let params = merge_params(body, query)?;
        let grant_raw = params.get("grant_type").map(String::as_str).unwrap_or("");
        if grant_raw.is_empty() {
            return Err(OAuthError::invalid_request("grant_type is missing"));
        }
        let grant = GrantType::parse(grant_raw).ok_or_else(|| {
            OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "grant_type is not supported",
            )
        })?;
        let credentials = client_credentials(authorization, &params)?;
        let non_empty = |k: &str| params.get(k).filter(|v| !v.is_empty()).cloned();
        Ok(TokenRequest {
            grant,
            credentials,
            code: non_empty("code"),
            redirect_uri: params.get("redirect_uri").cloned(),
            code_verifier: non_empty("code_verifier"),
            refresh_token: non_empty("refresh_token"),
            scope: params.get("scope").cloned(),
            resource: params.get("resource").cloned(),
            username: params
                .get("username")
                .map(|u| u.trim().to_string())
                .filter(|u| !u.is_empty()),
            password: non_empty("password"),
            client_ip: client_ip.to_string(),
        })
    }
}

/// Merges body and query parameters. The same parameter twice, or from both places with
/// different values, is `invalid_request` (RFC 6749 §3.2: parameters MUST NOT repeat).
pub fn merge_params(
    body: &[(String, String)],
    query: &[(String, String)],
) -> Result<BTreeMap<String, String>, OAuthError> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (place, list) in [("body", body), ("query", query)] {
        // A set, not a list: the check stays linear in the number of parameters.
        let mut seen_here: BTreeSet<&str> = BTreeSet::new();
        for (k, v) in list {
            if !seen_here.insert(k.as_str()) {
                return Err(OAuthError::invalid_request(format!(
                    "parameter `{k}` is repeated"
                )));
            }
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

/// The token of a `Bearer` Authorization header (RFC 6750 §2.1), if it is one. Compared as
/// bytes and split with `get`: a header that is not ASCII there is simply not a Bearer header.
pub fn bearer_token(header: &str) -> Option<String> {
    let scheme = header.as_bytes().get(..7)?;
    if header.len() == 7 || !scheme.eq_ignore_ascii_case(b"bearer ") {
        return None;
    }
    header.get(7..).map(|t| t.trim().to_string())
}

/// Whether an `Authorization` header attempts HTTP Basic (RFC 7617), which decides whether an
/// `invalid_client` answer carries a `WWW-Authenticate` challenge (RFC 6749 §5.2).
pub fn is_basic(authorization: Option<&str>) -> bool {
    authorization.is_some_and(|h| {
        h.as_bytes()
            .get(..6)
            .is_some_and(|p| p.eq_ignore_ascii_case(b"basic "))
    })
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
    /// RFC 7523 §2.2: a signed JWT (`client_secret_jwt` or `private_key_jwt`); the id is the
    /// body's `client_id` or, without one, the assertion's `sub` (checked once verified).
    Assertion {
        client_id: String,
        assertion: String,
    },
    Missing,
}

impl ClientCredentials {
    pub fn client_id(&self) -> Option<&str> {
        match self {
            ClientCredentials::Basic { client_id, .. }
            | ClientCredentials::Post { client_id, .. }
            | ClientCredentials::None { client_id }
            | ClientCredentials::Assertion { client_id, .. } => Some(client_id),
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
    let assertion = params.get("client_assertion").filter(|s| !s.is_empty());
    let assertion_type = params
        .get("client_assertion_type")
        .filter(|s| !s.is_empty());
    if assertion.is_some() || assertion_type.is_some() {
        let has_basic = authorization.is_some_and(|h| is_basic(Some(h)));
        if body_secret.is_some() || has_basic {
            return Err(OAuthError::invalid_request(
                "use one client authentication method",
            ));
        }
        if assertion_type.map(String::as_str) != Some(JWT_BEARER) {
            return Err(OAuthError::invalid_request(format!(
                "client_assertion_type must be {JWT_BEARER}"
            )));
        }
        let Some(assertion) = assertion else {
            return Err(OAuthError::invalid_request("client_assertion is missing"));
        };
        let named = super::client_jwt::peek(assertion).and_then(|p| {
            p.claims
                .get("sub")
                .and_then(|s| s.as_str())
                .map(str::to_string)
        });
        let client_id = match (body_id, named) {
            (Some(b), Some(n)) if *b != n => {
                return Err(OAuthError::invalid_client(
                    "client_id does not match the assertion",
                ))
            }
            (Some(b), _) => b.clone(),
            (None, Some(n)) => n,
            (None, None) => {
                return Err(OAuthError::invalid_client(
                    "the client assertion names no client",
                ))
            }
        };
        return Ok(ClientCredentials::Assertion {
            client_id,
            assertion: assertion.clone(),
        });
    }
    // Compared as bytes and split with `get`: slicing a `&str` at a byte offset inside a
    // non-ASCII character would panic.
    let basic = authorization.and_then(|h| {
        let scheme = h.as_bytes().get(..6)?;
        scheme
            .eq_ignore_ascii_case(b"basic ")
            .then(|| h.get(6..))
            .flatten()
    });
    if let Some(h) = basic.filter(|rest| !rest.is_empty()) {
        if body_secret.is_some() {
            return Err(OAuthError::invalid_request(
                "use one client authentication method",
            ));
        }
        let decoded = STANDARD
            .decode(h.trim())
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
    fn token_request_reads_each_parameter_once_and_names_unknown_grants() {
        let r = TokenRequest::parse(
            &v(&[
                ("grant_type", "password"),
                ("username", "  alice "),
                ("password", "pw"),
            ]),
            &v(&[("client_id", "c"), ("scope", "")]),
            None,
            "ip",
        )
        .unwrap();
        assert_eq!(r.grant, GrantType::Password);
        assert_eq!(r.username.as_deref(), Some("alice"));
        assert_eq!(r.scope.as_deref(), Some(""));
        assert_eq!(r.code, None);
        assert_eq!(
            r.credentials,
            ClientCredentials::None {
                client_id: "c".into()
            }
        );
        let e = TokenRequest::parse(&v(&[("grant_type", "magic")]), &[], None, "ip").unwrap_err();
        assert_eq!(e.code, ErrorCode::UnsupportedGrantType);
        let e = TokenRequest::parse(&[], &[], None, "ip").unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn two_methods_at_once_are_refused() {
        let h = format!("Basic {}", STANDARD.encode("a:b"));
        let mut p = BTreeMap::new();
        p.insert("client_secret".to_string(), "b".to_string());
        assert!(client_credentials(Some(&h), &p).is_err());
    }
}
