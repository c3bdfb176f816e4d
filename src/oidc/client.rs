//! Clients: what an application's callers are. An application (the tenant: name, subdomain,
//! issuer, user pool, branding) holds one or more clients, each with its own id, secret,
//! redirect URIs, grants and lifetimes. The primary client is stored inside the application
//! record (its `client_id` is the application's id, so records from before clients existed
//! read unchanged); every other client is a `ClientRecord` of its own. Runtime-free.

use serde::{Deserialize, Serialize};

use super::model::{GrantType, ResponseType, SigningAlg, TokenEndpointAuthMethod, TokenLifetimes};
use super::subject::SubjectType;

/// RFC 7591 §2 / OIDC Registration §2 `application_type`: which redirect URIs are allowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationType {
    /// https redirect URIs (http only to loopback, for local development).
    #[default]
    Web,
    /// Loopback on any port (RFC 8252 §7.3) and private-use schemes.
    Native,
}

impl ApplicationType {
    pub fn as_str(self) -> &'static str {
        match self {
            ApplicationType::Web => "web",
            ApplicationType::Native => "native",
        }
    }
}

/// One client's settings: the OAuth/OIDC client metadata Doorward acts on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Client {
    pub client_id: String,
    /// The client secret, AES-GCM encrypted under `MASTER_KEY` (it signs HS256 id_tokens, so
    /// it must be recoverable, not just hashed). Empty for a registered public client.
    #[serde(default)]
    pub client_secret_encrypted: String,
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<ResponseType>,
    pub id_token_signed_response_alg: SigningAlg,
    /// The algorithm of access tokens (RS256 by default; ES256 is much cheaper to sign).
    #[serde(default = "default_access_token_alg")]
    pub access_token_signed_response_alg: SigningAlg,
    pub token_endpoint_auth_method: TokenEndpointAuthMethod,
    /// Require S256 PKCE even for confidential clients.
    #[serde(default)]
    pub require_pkce: bool,
    #[serde(default)]
    pub token_lifetimes: TokenLifetimes,
    /// How long a rotated-out refresh token is honoured once more, for a client that retried
    /// a request whose answer it lost (Auth0's and Okta's "reuse interval"). 0, the default,
    /// is strict replay protection: any reuse revokes the family.
    #[serde(default)]
    pub refresh_token_grace_seconds: u64,
    /// Accept token-endpoint parameters in the query string of the POST, as the hosted
    /// service's guide documents (on by default, so existing integrations keep working). A
    /// query string is logged by proxies and by the platform's request logs, secrets and all:
    /// turn it off once every client sends the form body.
    #[serde(default = "yes")]
    pub token_params_in_query: bool,
    /// Skip the consent page for this (first-party) client.
    #[serde(default)]
    pub skip_consent: bool,
    /// `resource:action` permissions the client itself holds for `client_credentials`.
    #[serde(default)]
    pub permissions: Vec<String>,
    #[serde(default)]
    pub application_type: ApplicationType,
    /// Shown on the consent page instead of the application's name, when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    /// https URIs shown on the consent page (RFC 7591 §2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tos_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contacts: Vec<String>,
    /// OIDC Registration §2: the `max_age` of a request that sends none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_max_age: Option<u64>,
    /// OIDC Registration §2: always put `auth_time` in the id_token.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub require_auth_time: bool,
    /// RFC 7591 §2 `scope`: when set, the only scopes this client is granted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// RFC 7591 §2: the client software's own identifiers, shown to the admin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub software_version: Option<String>,
    /// The client's public keys (`private_key_jwt`, signed request objects), inline...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks: Option<serde_json::Value>,
    /// ...or where to fetch them (https; refetched when a token names an unknown key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// The one algorithm its client assertions may use, when it registered one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_signing_alg: Option<SigningAlg>,
    /// RFC 9101 / OIDC Registration: the algorithm its request objects must use (`none`
    /// allows unsigned ones); any supported algorithm with its keys when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_object_signing_alg: Option<String>,
    /// Pre-registered `request_uri` values; when any are, only those are fetched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub request_uris: Vec<String>,
    /// OIDC Core §8: `public` (the default) or `pairwise` subject identifiers.
    #[serde(default, skip_serializing_if = "SubjectType::is_public")]
    pub subject_type: SubjectType,
    /// OIDC Registration §5: an https JSON document listing the client's redirect URIs; its
    /// host is the client's pairwise sector. Fetched and checked when it is set or the
    /// redirect URIs change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sector_identifier_uri: Option<String>,
    /// OIDC Registration §2: the `acr_values` of a request that sends none (only classes
    /// Doorward achieves are accepted, `oidc::acr`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub default_acr_values: Vec<String>,
    /// OIDC Registration §2: userinfo answers as a JWT signed with this algorithm
    /// (`application/jwt`); plain JSON when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_signed_response_alg: Option<SigningAlg>,
}

fn yes() -> bool {
    true
}

fn default_access_token_alg() -> SigningAlg {
    SigningAlg::RS256
}

impl Client {
    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    pub fn is_public(&self) -> bool {
        self.token_endpoint_auth_method == TokenEndpointAuthMethod::None
    }

    /// Whether registration issues this client a secret: not a public client, and not one
    /// that proves itself with its own keys (unless an admin made it; those always get one).
    pub fn needs_secret(&self) -> bool {
        !self.is_public()
            && self.token_endpoint_auth_method != TokenEndpointAuthMethod::PrivateKeyJwt
    }

    /// Every algorithm this client's tokens and answers are signed with (HS256 included; it
    /// needs no pool key).
    pub fn signing_algs(&self) -> Vec<SigningAlg> {
        let mut out = Vec::new();
        let all = [
            Some(self.id_token_signed_response_alg),
            Some(self.access_token_signed_response_alg),
            self.userinfo_signed_response_alg,
        ];
        for alg in all.into_iter().flatten() {
            if !out.contains(&alg) {
                out.push(alg);
            }
        }
        out
    }

    /// A client registered as public was issued no secret (an admin-made one always is).
    pub fn has_secret(&self) -> bool {
        !self.client_secret_encrypted.is_empty()
    }
}

/// How a client other than the primary one came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientOrigin {
    /// Created by an administrator (admin API or console).
    Admin,
    /// Registered itself at `{issuer}/reg` (RFC 7591).
    Dynamic,
}

/// A client other than an application's primary one, stored on its own: in the application's
/// `ClientRegistry` object (authoritative) and mirrored to KV under `client:{client_id}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientRecord {
    /// The application (its primary client's id) this client belongs to.
    pub application_id: String,
    #[serde(flatten)]
    pub client: Client,
    pub origin: ClientOrigin,
    /// A disabled client is refused everywhere, as if unknown, until enabled again.
    #[serde(default)]
    pub disabled: bool,
    pub created_at: u64,
    pub updated_at: u64,
}

/// Per application: whether `{issuer}/reg` accepts registrations (RFC 7591 §3).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DynamicRegistration {
    /// No registration endpoint (the default).
    #[default]
    Off,
    /// Anyone may register a client (rate-limited per source).
    Open,
    /// A registration must carry an initial access token the admin minted (RFC 7591 §3.1).
    InitialAccessToken,
}

impl DynamicRegistration {
    pub const ALL: [DynamicRegistration; 3] = [
        DynamicRegistration::Off,
        DynamicRegistration::Open,
        DynamicRegistration::InitialAccessToken,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            DynamicRegistration::Off => "off",
            DynamicRegistration::Open => "open",
            DynamicRegistration::InitialAccessToken => "initial_access_token",
        }
    }

    pub fn parse(s: &str) -> Option<DynamicRegistration> {
        DynamicRegistration::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::model::Application;

    /// An application record as the release before clients wrote it.
    const BEFORE_CLIENTS: &str = r#"{"client_id":"app1","pool_id":"default","name":"Shop",
        "subdomain":"shop","client_secret_encrypted":"sealed","redirect_uris":["https://rp.example/cb"],
        "grant_types":["authorization_code","refresh_token"],"response_types":["code"],
        "id_token_signed_response_alg":"RS256","token_endpoint_auth_method":"client_secret_basic",
        "created_at":1,"updated_at":2}"#;

    #[test]
    fn an_application_record_from_before_clients_reads_as_its_primary_client() {
        let app: Application = serde_json::from_str(BEFORE_CLIENTS).unwrap();
        assert_eq!(app.client.client_id, "app1");
        assert_eq!(app.client.redirect_uris, ["https://rp.example/cb"]);
        assert_eq!(app.client.application_type, ApplicationType::Web);
        assert!(app.client.token_params_in_query);
        assert_eq!(app.dynamic_registration, DynamicRegistration::Off);
        // And writes back in the same flat shape.
        let again = serde_json::to_value(&app).unwrap();
        assert_eq!(again["client_id"], "app1");
        assert_eq!(again["subdomain"], "shop");
        assert!(again.get("client").is_none());
    }

    #[test]
    fn every_signing_algorithm_a_client_uses_is_named_once() {
        let mut c = Client::default();
        assert_eq!(c.signing_algs(), [SigningAlg::RS256]);
        c.access_token_signed_response_alg = SigningAlg::ES256;
        c.userinfo_signed_response_alg = Some(SigningAlg::RS256);
        assert_eq!(c.signing_algs(), [SigningAlg::RS256, SigningAlg::ES256]);
        c.userinfo_signed_response_alg = Some(SigningAlg::EdDSA);
        assert_eq!(
            c.signing_algs(),
            [SigningAlg::RS256, SigningAlg::ES256, SigningAlg::EdDSA]
        );
    }

    #[test]
    fn a_client_record_round_trips_flat() {
        let app: Application = serde_json::from_str(BEFORE_CLIENTS).unwrap();
        let rec = ClientRecord {
            application_id: "app1".into(),
            client: Client {
                client_id: "c2".into(),
                ..app.client
            },
            origin: ClientOrigin::Dynamic,
            disabled: false,
            created_at: 3,
            updated_at: 3,
        };
        let text = serde_json::to_string(&rec).unwrap();
        assert!(text.contains(r#""client_id":"c2""#));
        assert_eq!(serde_json::from_str::<ClientRecord>(&text).unwrap(), rec);
    }
}
