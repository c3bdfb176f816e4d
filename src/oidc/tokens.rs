//! The claims of the tokens Doorward issues: id_tokens (OIDC Core §2, §3.1.3.6, §3.3.2.11),
//! JWT access tokens (ARCHITECTURE.md "Tokens and keys", RFC 9068 shape) and userinfo (§5.3), with the
//! standard claims each scope releases (§5.4). Runtime-free: signing happens elsewhere.

use serde_json::{json, Map, Value};

use super::acr;
use super::jws::half_hash;
use super::model::{SigningAlg, User};
use super::scope::{claims_for_scope, ScopeSet};

/// Every claim Doorward holds about the user (OIDC Core §5.1), before any is released.
fn profile(user: &User) -> Map<String, Value> {
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
    all
}

/// The user's claims released by `scope` (§5.4) and those asked for by name through the
/// `claims` parameter (§5.5, `requested`), with `sub` — the user's id as this client sees it
/// (`oidc::subject`). A requested claim the user has no value for is left out.
pub fn user_claims(
    user: &User,
    subject: &str,
    scope: &ScopeSet,
    requested: &[String],
) -> Map<String, Value> {
    let all = profile(user);
    let mut out = Map::new();
    out.insert("sub".into(), json!(subject));
    let by_scope = scope
        .iter()
        .flat_map(|s| claims_for_scope(s).iter().copied());
    for c in by_scope.chain(requested.iter().map(String::as_str)) {
        if let Some(v) = all.get(c) {
            out.insert(c.to_string(), v.clone());
        }
    }
    out
}

/// Inputs of an id_token.
pub struct IdTokenInput<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub user: &'a User,
    /// The user's `sub` as this client sees it (public or pairwise).
    pub subject: &'a str,
    pub scope: &'a ScopeSet,
    /// Claims asked for in the id_token by name (the `claims` parameter's `id_token` member).
    pub requested: &'a [String],
    pub alg: SigningAlg,
    pub now: u64,
    pub lifetime: u64,
    pub auth_time: u64,
    /// RFC 8176 methods of the authentication `auth_time` dates (empty: recorded before
    /// methods were, a password).
    pub amr: &'a [String],
    pub nonce: Option<&'a str>,
    pub access_token: Option<&'a str>,
    pub code: Option<&'a str>,
    pub session_id: Option<&'a str>,
    /// OIDC Core §5.4: when an access token is issued beside the id_token at the authorization
    /// endpoint, the scopes' claims come from userinfo instead (claims asked for in the
    /// id_token by name still come in it).
    pub minimal: bool,
}

pub fn id_token_claims(i: &IdTokenInput<'_>) -> Value {
    let none = ScopeSet::default();
    let scope = if i.minimal { &none } else { i.scope };
    let mut c = user_claims(i.user, i.subject, scope, i.requested);
    c.insert("iss".into(), json!(i.issuer));
    c.insert("aud".into(), json!(i.client_id));
    c.insert("azp".into(), json!(i.client_id));
    c.insert("iat".into(), json!(i.now));
    c.insert("exp".into(), json!(i.now + i.lifetime));
    // Always present, so a request with `max_age` or a client with `require_auth_time`
    // (§3.1.2.1, Registration §2) gets it as required, and every other client may rely on it.
    c.insert("auth_time".into(), json!(i.auth_time));
    // §2 and RFC 8176: the class and methods of that same authentication.
    c.insert("acr".into(), json!(acr::level_of(i.amr).acr()));
    c.insert("amr".into(), json!(acr::stated_amr(i.amr)));
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
    /// The claims asked for at userinfo by name: userinfo reads them back from the token.
    pub userinfo_claims: &'a [String],
    /// The user's real id, sealed, when `subject` is a pairwise one (userinfo and
    /// introspection need the user; the client must not learn the id).
    pub sealed_user: Option<&'a str>,
}

/// Private claims (RFC 7519 §4.3) only Doorward reads: the userinfo claims asked for by name,
/// and the sealed user id behind a pairwise `sub`.
pub const USERINFO_CLAIMS: &str = "dw_userinfo_claims";
pub const SEALED_USER: &str = "dw_uid";

pub fn access_token_claims(i: &AccessTokenInput<'_>) -> Value {
    let mut c = json!({
        "iss": i.issuer,
        "sub": i.subject,
        "aud": i.audience,
        "client_id": i.client_id,
        "jti": i.jti,
        "iat": i.now,
        "exp": i.now + i.lifetime,
        "scope": i.scope,
    });
    if !i.userinfo_claims.is_empty() {
        c[USERINFO_CLAIMS] = json!(i.userinfo_claims);
    }
    if let Some(u) = i.sealed_user {
        c[SEALED_USER] = json!(u);
    }
    c
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
    #[serde(default, rename = "dw_userinfo_claims")]
    pub userinfo_claims: Vec<String>,
    #[serde(default, rename = "dw_uid")]
    pub sealed_user: Option<String>,
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
        let c = user_claims(&user(), "u1", &ScopeSet::parse("openid email"), &[]);
        assert_eq!(c.get("email"), Some(&json!("a@example.com")));
        assert!(c.get("name").is_none());
        assert!(c.get("phone_number").is_none());
        let c = user_claims(&user(), "u1", &ScopeSet::parse("openid profile"), &[]);
        assert_eq!(c.get("name"), Some(&json!("Alice")));
        assert_eq!(c.get("preferred_username"), Some(&json!("alice")));
    }

    #[test]
    fn claims_asked_for_by_name_are_released_without_their_scope_when_the_user_has_them() {
        let asked: Vec<String> = ["phone_number", "given_name", "iss", "sub"]
            .map(String::from)
            .to_vec();
        let c = user_claims(&user(), "pairwise-sub", &ScopeSet::parse("openid"), &asked);
        assert_eq!(c.get("phone_number"), Some(&json!("+1555")));
        assert!(
            c.get("given_name").is_none(),
            "no value, no claim, no error"
        );
        assert!(c.get("iss").is_none(), "protocol claims are not the user's");
        assert_eq!(c.get("sub"), Some(&json!("pairwise-sub")));
        assert!(c.get("email").is_none());
    }

    fn id_token(minimal: bool, requested: &[String]) -> Value {
        let scope = ScopeSet::parse("openid email");
        let u = user();
        id_token_claims(&IdTokenInput {
            issuer: "https://i",
            client_id: "c",
            user: &u,
            subject: "s1",
            scope: &scope,
            requested,
            alg: SigningAlg::RS256,
            now: 100,
            lifetime: 3600,
            auth_time: 90,
            amr: &[],
            nonce: Some("n"),
            access_token: Some("at"),
            code: Some("code"),
            session_id: None,
            minimal,
        })
    }

    #[test]
    fn id_token_has_the_required_claims_and_hashes() {
        let c = id_token(true, &[]);
        for k in [
            "iss",
            "sub",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "acr",
            "amr",
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
        assert_eq!(c["sub"], "s1");
        assert_eq!(c["acr"], "urn:doorward:acr:pwd");
        assert_eq!(c["amr"], json!(["pwd"]));
        assert_eq!(id_token(false, &[])["email"], "a@example.com");
    }

    #[test]
    fn claims_asked_for_in_the_id_token_come_in_it_even_when_minimal() {
        let c = id_token(true, &["name".to_string()]);
        assert_eq!(c["name"], "Alice");
        assert!(c.get("email").is_none());
    }

    fn access_token(claims: &[String], sealed: Option<&str>) -> Value {
        access_token_claims(&AccessTokenInput {
            issuer: "i",
            jti: "j",
            subject: "s",
            audience: "c",
            client_id: "c",
            scope: "openid",
            now: 1,
            lifetime: 60,
            userinfo_claims: claims,
            sealed_user: sealed,
        })
    }

    #[test]
    fn private_claims_ride_only_when_there_is_something_to_say() {
        let plain = access_token(&[], None);
        assert!(plain.get(USERINFO_CLAIMS).is_none() && plain.get(SEALED_USER).is_none());
        let back: AccessTokenClaims = serde_json::from_value(plain).unwrap();
        assert!(back.userinfo_claims.is_empty() && back.sealed_user.is_none());
        let with = access_token(&["email".to_string()], Some("v1.x.y"));
        assert_eq!(with[USERINFO_CLAIMS], json!(["email"]));
        let back: AccessTokenClaims = serde_json::from_value(with).unwrap();
        assert_eq!(back.userinfo_claims, ["email"]);
        assert_eq!(back.sealed_user.as_deref(), Some("v1.x.y"));
    }
}
