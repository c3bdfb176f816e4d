//! The records Doorward keeps: applications, users, resources, programmatic access accounts,
//! and the enums an admin ticks. Shared by the admin API, the stores and the protocol code.
//! Runtime-free: no `worker` types here.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub use super::client::{Client, DynamicRegistration};

/// The reserved user pool of the console's administrators.
pub const ADMIN_POOL: &str = "__admins";

/// The grant types an application may tick (authorization code, implicit, refresh, client credentials, password).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    Implicit,
    RefreshToken,
    ClientCredentials,
    Password,
}

impl GrantType {
    pub const ALL: [GrantType; 5] = [
        GrantType::AuthorizationCode,
        GrantType::Implicit,
        GrantType::RefreshToken,
        GrantType::ClientCredentials,
        GrantType::Password,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GrantType::AuthorizationCode => "authorization_code",
            GrantType::Implicit => "implicit",
            GrantType::RefreshToken => "refresh_token",
            GrantType::ClientCredentials => "client_credentials",
            GrantType::Password => "password",
        }
    }

    pub fn parse(s: &str) -> Option<GrantType> {
        GrantType::ALL.into_iter().find(|g| g.as_str() == s)
    }
}

/// OIDC Core §3: the response types. Stored as their space-separated wire form, normalised
/// to this canonical order so `id_token code` and `code id_token` are the same type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ResponseType {
    Code,
    IdToken,
    IdTokenToken,
    CodeIdToken,
    CodeToken,
    CodeIdTokenToken,
}

impl ResponseType {
    pub const ALL: [ResponseType; 6] = [
        ResponseType::Code,
        ResponseType::IdToken,
        ResponseType::IdTokenToken,
        ResponseType::CodeIdToken,
        ResponseType::CodeToken,
        ResponseType::CodeIdTokenToken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ResponseType::Code => "code",
            ResponseType::IdToken => "id_token",
            ResponseType::IdTokenToken => "id_token token",
            ResponseType::CodeIdToken => "code id_token",
            ResponseType::CodeToken => "code token",
            ResponseType::CodeIdTokenToken => "code id_token token",
        }
    }

    /// Parses the space-separated set in any order (OAuth 2.0 Multiple Response Types §3).
    pub fn parse(s: &str) -> Option<ResponseType> {
        let mut parts: Vec<&str> = s.split(' ').filter(|p| !p.is_empty()).collect();
        parts.sort_unstable();
        let has_dupes = parts.windows(2).any(|w| w[0] == w[1]);
        if has_dupes {
            return None;
        }
        match parts.as_slice() {
            ["code"] => Some(ResponseType::Code),
            ["id_token"] => Some(ResponseType::IdToken),
            ["id_token", "token"] => Some(ResponseType::IdTokenToken),
            ["code", "id_token"] => Some(ResponseType::CodeIdToken),
            ["code", "token"] => Some(ResponseType::CodeToken),
            ["code", "id_token", "token"] => Some(ResponseType::CodeIdTokenToken),
            _ => None,
        }
    }

    pub fn has_code(self) -> bool {
        matches!(
            self,
            ResponseType::Code
                | ResponseType::CodeIdToken
                | ResponseType::CodeToken
                | ResponseType::CodeIdTokenToken
        )
    }

    pub fn has_id_token(self) -> bool {
        matches!(
            self,
            ResponseType::IdToken
                | ResponseType::IdTokenToken
                | ResponseType::CodeIdToken
                | ResponseType::CodeIdTokenToken
        )
    }

    pub fn has_token(self) -> bool {
        matches!(
            self,
            ResponseType::IdTokenToken | ResponseType::CodeToken | ResponseType::CodeIdTokenToken
        )
    }

    /// The grant types an application must have ticked to use this response type.
    pub fn required_grants(self) -> &'static [GrantType] {
        match self {
            ResponseType::Code => &[GrantType::AuthorizationCode],
            ResponseType::IdToken | ResponseType::IdTokenToken => &[GrantType::Implicit],
            ResponseType::CodeIdToken
            | ResponseType::CodeToken
            | ResponseType::CodeIdTokenToken => {
                &[GrantType::AuthorizationCode, GrantType::Implicit]
            }
        }
    }
}

impl Serialize for ResponseType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ResponseType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ResponseType::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown response type `{s}`")))
    }
}

/// JWS algorithms an application may choose for its id_token (RFC 7518 §3.1, RFC 8037).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum SigningAlg {
    RS256,
    HS256,
    ES256,
    PS256,
    EdDSA,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 5] = [
        SigningAlg::RS256,
        SigningAlg::HS256,
        SigningAlg::ES256,
        SigningAlg::PS256,
        SigningAlg::EdDSA,
    ];
    /// Algorithms signed with a pool key pair (published in the JWKS).
    pub const ASYMMETRIC: [SigningAlg; 4] = [
        SigningAlg::RS256,
        SigningAlg::ES256,
        SigningAlg::PS256,
        SigningAlg::EdDSA,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::HS256 => "HS256",
            SigningAlg::ES256 => "ES256",
            SigningAlg::PS256 => "PS256",
            SigningAlg::EdDSA => "EdDSA",
        }
    }

    pub fn parse(s: &str) -> Option<SigningAlg> {
        SigningAlg::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// RFC 7591 §2 / OIDC Discovery: how a client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenEndpointAuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// A public client: no secret, PKCE required.
    None,
    /// RFC 7523 / OIDC Core §9: a JWT signed (HS256) with the client secret.
    ClientSecretJwt,
    /// RFC 7523 / OIDC Core §9: a JWT signed with a key from the client's JWK set.
    PrivateKeyJwt,
}

impl TokenEndpointAuthMethod {
    pub const ALL: [TokenEndpointAuthMethod; 5] = [
        TokenEndpointAuthMethod::ClientSecretBasic,
        TokenEndpointAuthMethod::ClientSecretPost,
        TokenEndpointAuthMethod::None,
        TokenEndpointAuthMethod::ClientSecretJwt,
        TokenEndpointAuthMethod::PrivateKeyJwt,
    ];

    pub fn parse(s: &str) -> Option<TokenEndpointAuthMethod> {
        TokenEndpointAuthMethod::ALL
            .into_iter()
            .find(|m| m.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TokenEndpointAuthMethod::ClientSecretBasic => "client_secret_basic",
            TokenEndpointAuthMethod::ClientSecretPost => "client_secret_post",
            TokenEndpointAuthMethod::None => "none",
            TokenEndpointAuthMethod::ClientSecretJwt => "client_secret_jwt",
            TokenEndpointAuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }

    /// Whether the client proves itself with a signed JWT rather than by sending a secret.
    pub fn is_assertion(self) -> bool {
        matches!(
            self,
            TokenEndpointAuthMethod::ClientSecretJwt | TokenEndpointAuthMethod::PrivateKeyJwt
        )
    }
}

/// Token lifetimes in seconds, per application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TokenLifetimes {
    pub access_token: u64,
    pub id_token: u64,
    pub refresh_token: u64,
    pub authorization_code: u64,
}

impl Default for TokenLifetimes {
    fn default() -> Self {
        TokenLifetimes {
            access_token: 3600,
            id_token: 3600,
            refresh_token: 30 * 24 * 3600,
            authorization_code: 600,
        }
    }
}

/// An application: the tenant that holds clients (its name, subdomain, issuer, user pool)
/// and, flattened into the same record, its primary client, whose `client_id` is the
/// application's id. Kept in KV by id, with a subdomain index (`oidc::client` for the rest).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Application {
    /// The primary client; for a request made by another client of the application, the
    /// store puts that client here (`Application::for_client`), so the code that checks and
    /// binds by `app.client` serves every client alike.
    #[serde(flatten)]
    pub client: Client,
    pub pool_id: String,
    pub name: String,
    pub subdomain: String,
    /// Hosts of its own (e.g. `login.shop.example`), each an issuer `https://{host}/oidc`
    /// besides the subdomain's (custom hostnames of Cloudflare for SaaS; see the README).
    #[serde(default)]
    pub custom_domains: Vec<String>,
    /// Whether `{issuer}/reg` accepts dynamic client registrations.
    #[serde(default)]
    pub dynamic_registration: DynamicRegistration,
    /// Its pool's jurisdiction, copied when the application is created (a pool's is fixed at
    /// the pool's creation and an application never changes pool), so the issuer's requests
    /// place their Durable Object calls without reading the pool record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<Jurisdiction>,
    /// Every sign-in to this application needs a second factor (`oidc::acr`).
    #[serde(default)]
    pub require_mfa: bool,
    /// Every sign-in needs a phishing-resistant factor (a passkey).
    #[serde(default)]
    pub require_phishing_resistant: bool,
    pub created_at: u64,
    pub updated_at: u64,
    /// The application's own id when `client` is not its primary client (never stored).
    #[serde(skip)]
    pub primary_client_id: Option<String>,
}

impl Application {
    /// The application's id (its primary client's id), whichever client is in `client`.
    pub fn id(&self) -> &str {
        self.primary_client_id
            .as_deref()
            .unwrap_or(&self.client.client_id)
    }

    /// This application as seen by another of its clients.
    pub fn for_client(&self, client: Client) -> Application {
        Application {
            primary_client_id: Some(self.id().to_string()),
            client,
            ..self.clone()
        }
    }

    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.client.allows_grant(grant)
    }

    pub fn is_public(&self) -> bool {
        self.client.is_public()
    }

    /// The name the user sees on the login and consent pages.
    pub fn display_name(&self) -> &str {
        self.client.client_name.as_deref().unwrap_or(&self.name)
    }
}

/// OIDC Core §5.1.1 address claim.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Address {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

/// The OIDC Core §5.1 standard claims a user may carry (besides `sub`, `email`, `phone`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StandardClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// A user as the rest of the system sees it (the password hash stays inside the directory).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
    pub phone_number: Option<String>,
    #[serde(default)]
    pub phone_number_verified: bool,
    /// Flattened on the wire: `name`, `given_name`, … sit beside `username` as written.
    #[serde(default, flatten)]
    pub claims: StandardClaims,
    /// Custom attributes, released under no standard scope.
    #[serde(default)]
    pub custom_attributes: BTreeMap<String, serde_json::Value>,
    #[serde(default)]
    pub blocked: bool,
    pub created_at: u64,
    pub updated_at: u64,
}

/// How a pool's hosted pages look (CSS variables of `assets/pages/style.css`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Branding {
    /// `#rrggbb`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub primary_color: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub background_color: Option<String>,
    /// An https URL or a `data:image/...` URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logo_url: Option<String>,
}

/// A user pool: the users, their sessions and keys that a set of applications share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Pool {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub branding: Branding,
    pub created_at: u64,
    /// Days the pool's audit log keeps an event (records from before the log read 90).
    #[serde(default = "default_audit_retention")]
    pub audit_retention_days: u32,
    /// WebAuthn user verification for passkeys (`preferred` unless set to `required`).
    #[serde(default)]
    pub passkey_user_verification: super::webauthn::UserVerification,
    /// Second factors in this pool: `off`, `optional` (pools from before), `required`.
    #[serde(default)]
    pub mfa: super::acr::MfaPolicy,
    /// Where the pool's Durable Objects (users, sessions, codes, refresh families, keys, audit
    /// log) run and store their data; `None` (records from before read so) leaves the choice
    /// to Cloudflare. Fixed at creation: an object cannot move between jurisdictions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jurisdiction: Option<Jurisdiction>,
}

/// A Durable Object jurisdiction (Cloudflare's data location restrictions): objects created
/// in one run and store their data only inside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Jurisdiction {
    /// The European Union.
    #[serde(rename = "eu")]
    Eu,
    /// FedRAMP Moderate data centres (United States).
    #[serde(rename = "fedramp")]
    Fedramp,
    /// FedRAMP High data centres (United States).
    #[serde(rename = "fedramp-high")]
    FedrampHigh,
}

impl Jurisdiction {
    pub const ALL: [Jurisdiction; 3] = [
        Jurisdiction::Eu,
        Jurisdiction::Fedramp,
        Jurisdiction::FedrampHigh,
    ];

    /// The name the runtime's `DurableObjectNamespace.jurisdiction()` takes (and the wire
    /// name).
    pub fn as_str(self) -> &'static str {
        match self {
            Jurisdiction::Eu => "eu",
            Jurisdiction::Fedramp => "fedramp",
            Jurisdiction::FedrampHigh => "fedramp-high",
        }
    }

    pub fn parse(s: &str) -> Option<Jurisdiction> {
        Jurisdiction::ALL.into_iter().find(|j| j.as_str() == s)
    }
}

fn default_audit_retention() -> u32 {
    super::audit::DEFAULT_RETENTION_DAYS
}

/// An API that machine callers get tokens for (a resource server), with its actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub pool_id: String,
    /// Short identifier used in permissions: `{code}:{action}`.
    pub code: String,
    /// The resource indicator (RFC 8707) and the `aud` of tokens issued for it.
    pub uri: String,
    #[serde(default)]
    pub name: String,
    pub actions: Vec<String>,
    pub created_at: u64,
}

/// A programmatic access account (AK/SK) and the `resource:action` permissions it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessAccount {
    pub access_key: String,
    pub pool_id: String,
    #[serde(default)]
    pub description: String,
    pub permissions: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
    pub created_at: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn response_type_parse_accepts_any_order_and_rejects_junk() {
        assert_eq!(
            ResponseType::parse("token id_token"),
            Some(ResponseType::IdTokenToken)
        );
        assert_eq!(
            ResponseType::parse("id_token code token"),
            Some(ResponseType::CodeIdTokenToken)
        );
        assert_eq!(ResponseType::parse("token"), None);
        assert_eq!(ResponseType::parse("code code"), None);
        assert_eq!(ResponseType::parse(""), None);
    }

    #[test]
    fn hybrid_types_need_both_code_and_implicit_grants() {
        assert_eq!(
            ResponseType::CodeIdToken.required_grants(),
            &[GrantType::AuthorizationCode, GrantType::Implicit]
        );
        assert_eq!(
            ResponseType::IdToken.required_grants(),
            &[GrantType::Implicit]
        );
    }

    #[test]
    fn a_pool_stored_before_the_audit_log_keeps_events_ninety_days() {
        let old = r#"{"id":"p","name":"P","branding":{},"created_at":5}"#;
        let pool: Pool = serde_json::from_str(old).unwrap();
        assert_eq!(pool.audit_retention_days, 90);
        assert_eq!(pool.created_at, 5);
        let again: Pool = serde_json::from_str(&serde_json::to_string(&pool).unwrap()).unwrap();
        assert_eq!(again, pool);
    }

    #[test]
    fn a_pool_stored_before_data_placement_is_not_pinned_and_a_pinned_one_round_trips() {
        let old = r#"{"id":"p","name":"P","branding":{},"created_at":5,"audit_retention_days":30}"#;
        let pool: Pool = serde_json::from_str(old).unwrap();
        assert_eq!(pool.jurisdiction, None);
        assert!(
            !serde_json::to_string(&pool)
                .unwrap()
                .contains("jurisdiction"),
            "an unpinned pool is stored as before"
        );
        let pinned = Pool {
            jurisdiction: Some(Jurisdiction::Eu),
            ..pool
        };
        let text = serde_json::to_string(&pinned).unwrap();
        assert!(text.contains(r#""jurisdiction":"eu""#), "{text}");
        assert_eq!(serde_json::from_str::<Pool>(&text).unwrap(), pinned);
        for j in Jurisdiction::ALL {
            assert_eq!(Jurisdiction::parse(j.as_str()), Some(j));
            let wire = serde_json::to_string(&j).unwrap();
            assert_eq!(
                wire,
                format!("\"{}\"", j.as_str()),
                "serde and as_str agree"
            );
        }
        assert_eq!(Jurisdiction::parse("EU"), None);
        assert_eq!(Jurisdiction::parse("weur"), None);
    }

    #[test]
    fn response_types_round_trip_through_json() {
        for rt in ResponseType::ALL {
            let json = serde_json::to_string(&rt).unwrap();
            assert_eq!(serde_json::from_str::<ResponseType>(&json).unwrap(), rt);
        }
    }
}
