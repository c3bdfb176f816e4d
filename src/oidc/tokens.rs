//! The claims of the tokens Doorward issues: id_tokens (OIDC Core §2, §3.1.3.6, §3.3.2.11),
//! JWT access tokens (ARCHITECTURE.md "Tokens and keys", RFC 9068 shape) and userinfo (§5.3), with the
//! standard claims each scope releases (§5.4). Runtime-free: signing happens elsewhere.

use serde_json::{json, Map, Value};

use super::jws::half_hash;
use super::model::{SigningAlg, User};
use super::scope::{claims_for_scope, ScopeSet};

/// The user's claims released by `scope`, plus `sub`.
pub fn user_claims(user: &User, scope: &ScopeSet) -> Map<String, Value> {
    let mut all = Map::new();
    if let Ok(Value::Object(std)) = serde_json::to_value(&user.claims) {
        all.extend(std);
    }
    all.entry("preferred_username")
        .or_insert_with(|| json!(user.username));
    if let Some(e) = &user.email {
        all.insert("email".into(), json!(e));
        all.insert("email_verified".into(), json!(user.email_verified));
    }
    if let Some(p) = &user.phone_number {
        all.insert("phone_number".into(), json!(p));
        all.insert(
            "phone_number_verified".into(),
            json!(user.phone_number_verified),
        );
    }
    all.insert("updated_at".into(), json!(user.updated_at));

    let mut out = Map::new();
    out.insert("sub".into(), json!(user.id));
    for s in scope.iter() {
        for c in claims_for_scope(s) {
            if let Some(v) = all.get(*c) {
                out.insert((*c).to_string(), v.clone());
            }
        }
    }
    out
}

/// Inputs of an id_token.
pub struct IdTokenInput<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub user: &'a User,
    pub scope: &'a ScopeSet,
    pub alg: SigningAlg,
    pub now: u64,
    pub lifetime: u64,
    pub auth_time: u64,
    pub nonce: Option<&'a str>,
    pub access_token: Option<&'a str>,
    pub code: Option<&'a str>,
    pub session_id: Option<&'a str>,
    /// OIDC Core §5.4: when an access token is issued beside the id_token at the authorization
    /// endpoint, the profile claims come from userinfo instead.
    pub minimal: bool,
}

pub fn id_token_claims(i: &IdTokenInput<'_>) -> Value {
    let mut c = if i.minimal {
        let mut m = Map::new();
        m.insert("sub".into(), json!(i.user.id));
        m
    } else {
        user_claims(i.user, i.scope)
    };
    c.insert("iss".into(), json!(i.issuer));
    c.insert("aud".into(), json!(i.client_id));
    c.insert("azp".into(), json!(i.client_id));
    c.insert("iat".into(), json!(i.now));
    c.insert("exp".into(), json!(i.now + i.lifetime));
    c.insert("auth_time".into(), json!(i.auth_time));
    if let Some(n) = i.nonce {
        c.insert("nonce".into(), json!(n));
    }
    if let Some(at) = i.access_token {
        c.insert("at_hash".into(), json!(half_hash(i.alg, at)));
    }
    if let Some(code) = i.code {
        c.insert("c_hash".into(), json!(half_hash(i.alg, code)));
    }
    if let Some(sid) = i.session_id {
        c.insert("sid".into(), json!(sid));
    }
    Value::Object(c)
}

/// Inputs of a JWT access token.
pub struct AccessTokenInput<'a> {
    pub issuer: &'a str,
    pub jti: &'a str,
    pub subject: &'a str,
    pub audience: &'a str,
    pub client_id: &'a str,
    pub scope: &'a str,
    pub now: u64,
    pub lifetime: u64,
}

pub fn access_token_claims(i: &AccessTokenInput<'_>) -> Value {
    json!({
        "iss": i.issuer,
        "sub": i.subject,
        "aud": i.audience,
        "client_id": i.client_id,
        "jti": i.jti,
        "iat": i.now,
        "exp": i.now + i.lifetime,
        "scope": i.scope,
    })
}

/// The claims of an access token as the resource side reads them back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    pub jti: String,
    pub iat: u64,
    pub exp: u64,
    pub scope: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::model::StandardClaims;

    fn user() -> User {
        User {
            id: "u1".into(),
            username: "alice".into(),
            email: Some("a@example.com".into()),
            email_verified: true,
            phone_number: Some("+1555".into()),
            phone_number_verified: false,
            claims: StandardClaims {
                name: Some("Alice".into()),
                ..Default::default()
            },
            custom_attributes: Default::default(),
            blocked: false,
            created_at: 1,
            updated_at: 2,
        }
    }

    #[test]
    fn scopes_release_only_their_claims() {
        let c = user_claims(&user(), &ScopeSet::parse("openid email"));
        assert_eq!(c.get("email"), Some(&json!("a@example.com")));
        assert!(c.get("name").is_none());
        assert!(c.get("phone_number").is_none());
        let c = user_claims(&user(), &ScopeSet::parse("openid profile"));
        assert_eq!(c.get("name"), Some(&json!("Alice")));
        assert_eq!(c.get("preferred_username"), Some(&json!("alice")));
    }

    #[test]
    fn id_token_has_the_required_claims_and_hashes() {
        let scope = ScopeSet::parse("openid email");
        let u = user();
        let c = id_token_claims(&IdTokenInput {
            issuer: "https://i",
            client_id: "c",
            user: &u,
            scope: &scope,
            alg: SigningAlg::RS256,
            now: 100,
            lifetime: 3600,
            auth_time: 90,
            nonce: Some("n"),
            access_token: Some("at"),
            code: Some("code"),
            session_id: None,
            minimal: true,
        });
        for k in [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "at_hash",
            "c_hash",
        ] {
            assert!(c.get(k).is_some(), "{k}");
        }
        assert!(
            c.get("email").is_none(),
            "minimal id_token leaves claims to userinfo"
        );
        assert_eq!(c["exp"], 3700);
    }
}
