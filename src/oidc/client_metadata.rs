//! Dynamic client registration's metadata (RFC 7591 §2, OpenID Connect Dynamic Client
//! Registration 1.0 §2): a registration or RFC 7592 update body checked into a `Client`, and
//! the registered metadata a client is answered with. Runtime-free.
//!
//! A field Doorward understands but does not support yet (client assertions, request
//! objects, encrypted responses) is refused with
//! `invalid_client_metadata` naming it, never silently dropped; a field it does not know at
//! all is ignored, as RFC 7591 §2 requires, and left out of the answer.

use serde_json::{json, Map, Value};
use url::Url;

use super::client::ApplicationType;
use super::discovery::SCOPES_SUPPORTED;
use super::error::{ErrorCode, OAuthError};
use super::model::{Client, GrantType, ResponseType, SigningAlg, TokenEndpointAuthMethod};
use super::outbound::check_fetch_url;
use super::redirect_uri::{check_redirect_uri, is_loopback};
use super::registration::{acr_list, is_https_uri, string_list};
use super::request_object::ALGS_SUPPORTED;
use super::scope::ScopeSet;
use super::subject::{check_pairwise, is_sector_identifier_uri, SubjectType};

/// The response types a client may register: all of OIDC Core §3.
pub const REGISTRABLE_RESPONSE_TYPES: [ResponseType; 6] = ResponseType::ALL;

/// The grant types a client may register. The password grant is not among them: it hands
/// the user's password to the client, which only an administrator may allow.
pub const REGISTRABLE_GRANT_TYPES: [GrantType; 4] = [
    GrantType::AuthorizationCode,
    GrantType::Implicit,
    GrantType::RefreshToken,
    GrantType::ClientCredentials,
];

/// Metadata this build understands but does not implement yet, with what it would need.
const NOT_YET_SUPPORTED: &[(&str, &str)] = &[
    (
        "request_object_encryption_alg",
        "encrypted request objects are not supported",
    ),
    (
        "request_object_encryption_enc",
        "encrypted request objects are not supported",
    ),
    (
        "userinfo_encrypted_response_alg",
        "encrypted userinfo responses are not supported",
    ),
    (
        "userinfo_encrypted_response_enc",
        "encrypted userinfo responses are not supported",
    ),
    (
        "id_token_encrypted_response_alg",
        "encrypted id_tokens are not supported",
    ),
    (
        "id_token_encrypted_response_enc",
        "encrypted id_tokens are not supported",
    ),
    (
        "initiate_login_uri",
        "third-party-initiated login is not supported",
    ),
    ("software_statement", "software statements are not accepted"),
    (
        "tls_client_certificate_bound_access_tokens",
        "certificate-bound tokens are not supported",
    ),
];

/// Fields that describe a registration rather than the client; a client may echo them back
/// in an RFC 7592 update, where they change nothing.
const ISSUED: &[&str] = &[
    "client_id",
    "client_secret",
    "client_id_issued_at",
    "client_secret_expires_at",
    "registration_access_token",
    "registration_client_uri",
];

fn metadata_error(code: ErrorCode, field: &str, why: impl std::fmt::Display) -> OAuthError {
    OAuthError::new(code, format!("{field}: {why}"))
}

fn bad(field: &str, why: impl std::fmt::Display) -> OAuthError {
    metadata_error(ErrorCode::InvalidClientMetadata, field, why)
}

/// Checks a registration body (or the full replacement body of an RFC 7592 update) into a
/// client with no id or secret yet. The first problem found is the answer, naming its field.
///
/// `local` is the local configuration (no `BASE_DOMAIN`), where a `jwks_uri` may be plain
/// http to a loopback host (`oidc::outbound`).
pub fn parse_registration(body: &Value, local: bool) -> Result<Client, OAuthError> {
    let obj = body
        .as_object()
        .ok_or_else(|| bad("body", "must be a JSON object"))?;
    if let Some((field, why)) = NOT_YET_SUPPORTED.iter().find(|(f, _)| obj.contains_key(*f)) {
        return Err(bad(field, why));
    }
    if let Some(field) = obj.keys().find(|k| k.contains('#')) {
        return Err(bad(field, "language-tagged metadata is not supported"));
    }
    let mut c = Client {
        // A registered client sends its token parameters in the body, as the RFCs say.
        token_params_in_query: false,
        ..Client::default()
    };
    let str_field = |f: &str| -> Result<Option<&str>, OAuthError> {
        match obj.get(f) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(bad(f, "must be a string")),
        }
    };

    c.application_type = match str_field("application_type")? {
        None | Some("web") => ApplicationType::Web,
        Some("native") => ApplicationType::Native,
        Some(_) => return Err(bad("application_type", "must be web or native")),
    };
    if let Some(m) = str_field("token_endpoint_auth_method")? {
        c.token_endpoint_auth_method = TokenEndpointAuthMethod::parse(m).ok_or_else(|| {
            bad(
                "token_endpoint_auth_method",
                "must be client_secret_basic, client_secret_post, client_secret_jwt, private_key_jwt or none",
            )
        })?;
    }
    if let Some(v) = obj.get("jwks").filter(|v| !v.is_null()) {
        c.jwks = Some(check_jwks(v).map_err(|e| bad("jwks", e))?);
    }
    if let Some(u) = str_field("jwks_uri")? {
        if c.jwks.is_some() {
            return Err(bad("jwks_uri", "register jwks or jwks_uri, not both"));
        }
        check_fetch_url(u, local).map_err(|e| bad("jwks_uri", e))?;
        c.jwks_uri = Some(u.to_string());
    }
    if let Some(a) = str_field("token_endpoint_auth_signing_alg")? {
        c.token_endpoint_auth_signing_alg = Some(
            assertion_alg(c.token_endpoint_auth_method, a)
                .map_err(|e| bad("token_endpoint_auth_signing_alg", e))?,
        );
    }
    if let Some(a) = str_field("request_object_signing_alg")? {
        c.request_object_signing_alg =
            Some(request_object_alg(a).map_err(|e| bad("request_object_signing_alg", e))?);
    }
    if let Some(v) = obj.get("request_uris").filter(|v| !v.is_null()) {
        c.request_uris = request_uri_list(v, local).map_err(|e| bad("request_uris", e))?;
    }
    if c.token_endpoint_auth_method == TokenEndpointAuthMethod::PrivateKeyJwt
        && c.jwks.is_none()
        && c.jwks_uri.is_none()
    {
        return Err(bad(
            "token_endpoint_auth_method",
            "private_key_jwt needs the client's keys: register jwks or jwks_uri",
        ));
    }
    if let Some(s) = str_field("subject_type")? {
        c.subject_type = SubjectType::parse(s)
            .ok_or_else(|| bad("subject_type", "must be public or pairwise"))?;
    }
    if let Some(u) = str_field("sector_identifier_uri")? {
        if !is_sector_identifier_uri(u) {
            return Err(bad(
                "sector_identifier_uri",
                "must be an https URL of a JSON list of the redirect URIs",
            ));
        }
        c.sector_identifier_uri = Some(u.to_string());
    }

    let response_types = match obj.get("response_types") {
        None | Some(Value::Null) => None,
        Some(v) => Some(list_of(v, "response_types", ResponseType::parse)?),
    };
    let grant_types = match obj.get("grant_types") {
        None | Some(Value::Null) => None,
        Some(v) => Some(list_of(v, "grant_types", |g| {
            GrantType::parse(g).filter(|g| REGISTRABLE_GRANT_TYPES.contains(g))
        })?),
    };
    let (grant_types, response_types) = consistent_types(grant_types, response_types)?;
    c.grant_types = grant_types;
    c.response_types = response_types;
    if c.is_public() && c.allows_grant(GrantType::ClientCredentials) {
        return Err(bad("grant_types", "client_credentials needs a confidential client (token_endpoint_auth_method other than none)"));
    }

    let front_channel =
        c.allows_grant(GrantType::AuthorizationCode) || c.allows_grant(GrantType::Implicit);
    c.redirect_uris = uris(
        obj.get("redirect_uris"),
        "redirect_uris",
        c.application_type,
    )?;
    if front_channel && c.redirect_uris.is_empty() {
        return Err(metadata_error(
            ErrorCode::InvalidRedirectUri,
            "redirect_uris",
            "at least one is required for authorization_code or implicit",
        ));
    }
    if c.allows_grant(GrantType::Implicit) && c.application_type == ApplicationType::Web {
        // OIDC Registration §2: a web client using implicit must use https, never localhost.
        if let Some(u) = c.redirect_uris.iter().find(|u| !u.starts_with("https://")) {
            return Err(metadata_error(
                ErrorCode::InvalidRedirectUri,
                "redirect_uris",
                format!("`{u}`: a web client using the implicit grant must use https"),
            ));
        }
    }
    c.post_logout_redirect_uris = uris(
        obj.get("post_logout_redirect_uris"),
        "post_logout_redirect_uris",
        c.application_type,
    )?;

    if let Some(a) = str_field("id_token_signed_response_alg")? {
        c.id_token_signed_response_alg = SigningAlg::parse(a).ok_or_else(|| {
            bad(
                "id_token_signed_response_alg",
                "must be RS256, HS256, ES256, PS256 or EdDSA (unsigned id_tokens are not issued)",
            )
        })?;
        if c.id_token_signed_response_alg == SigningAlg::HS256 && !c.needs_secret() {
            return Err(bad(
                "id_token_signed_response_alg",
                "HS256 needs a client secret; this client is issued none",
            ));
        }
    }
    if let Some(a) = str_field("userinfo_signed_response_alg")? {
        let alg = SigningAlg::parse(a).ok_or_else(|| {
            bad(
                "userinfo_signed_response_alg",
                "must be RS256, HS256, ES256, PS256 or EdDSA (leave it out for plain JSON)",
            )
        })?;
        if alg == SigningAlg::HS256 && c.is_public() {
            return Err(bad(
                "userinfo_signed_response_alg",
                "HS256 needs a client secret; a public client has none",
            ));
        }
        c.userinfo_signed_response_alg = Some(alg);
    }
    if let Some(v) = obj.get("default_acr_values").filter(|v| !v.is_null()) {
        c.default_acr_values = acr_list(v).map_err(|e| bad("default_acr_values", e))?;
    }
    if let Some(n) = str_field("client_name")? {
        let n = n.trim();
        if n.is_empty() || n.chars().count() > 100 {
            return Err(bad("client_name", "must be 1 to 100 characters"));
        }
        c.client_name = Some(n.to_string());
    }
    for field in ["logo_uri", "client_uri", "policy_uri", "tos_uri"] {
        if let Some(u) = str_field(field)? {
            if !is_https_uri(u) {
                return Err(bad(field, "must be an https URI"));
            }
            let slot = match field {
                "logo_uri" => &mut c.logo_uri,
                "client_uri" => &mut c.client_uri,
                "policy_uri" => &mut c.policy_uri,
                _ => &mut c.tos_uri,
            };
            *slot = Some(u.to_string());
        }
    }
    if let Some(v) = obj.get("contacts").filter(|v| !v.is_null()) {
        c.contacts = string_list(v, 10, 254)
            .ok_or_else(|| bad("contacts", "must be a list of at most 10 strings"))?;
    }
    if let Some(v) = obj.get("default_max_age").filter(|v| !v.is_null()) {
        c.default_max_age = Some(
            v.as_u64()
                .ok_or_else(|| bad("default_max_age", "must be a whole number of seconds"))?,
        );
    }
    if let Some(v) = obj.get("require_auth_time").filter(|v| !v.is_null()) {
        c.require_auth_time = v
            .as_bool()
            .ok_or_else(|| bad("require_auth_time", "must be true or false"))?;
    }
    // OIDC Registration §5: which host a pairwise sub is computed for must be clear.
    check_pairwise(&c).map_err(|e| bad("subject_type", e))?;
    if let Some(s) = str_field("scope")? {
        let set = ScopeSet::parse(s);
        if let Some(unknown) = set.iter().find(|t| !SCOPES_SUPPORTED.contains(t)) {
            return Err(bad(
                "scope",
                format!("`{unknown}` is not a scope this issuer grants"),
            ));
        }
        c.scope = Some(set.iter().collect::<Vec<_>>().join(" "));
    }
    for field in ["software_id", "software_version"] {
        if let Some(s) = str_field(field)? {
            if s.is_empty() || s.len() > 200 {
                return Err(bad(field, "must be 1 to 200 bytes"));
            }
            let slot = if field == "software_id" {
                &mut c.software_id
            } else {
                &mut c.software_version
            };
            *slot = Some(s.to_string());
        }
    }
    Ok(c)
}

/// A registered JWK set: 1 to 20 public signing keys of a type Doorward verifies. A private
/// member (`d`, the RSA primes, a symmetric `k`) is refused: the client must keep those.
pub fn check_jwks(v: &Value) -> Result<Value, String> {
    let keys = v
        .get("keys")
        .and_then(Value::as_array)
        .ok_or("must be a JWK set: {\"keys\": [...]}")?;
    if keys.is_empty() || keys.len() > 20 {
        return Err("must hold 1 to 20 keys".into());
    }
    for k in keys {
        let kty = k.get("kty").and_then(Value::as_str).unwrap_or("");
        if !matches!(kty, "RSA" | "EC" | "OKP") {
            return Err(format!(
                "key type `{kty}` is not supported (RSA, EC P-256, OKP Ed25519)"
            ));
        }
        if ["d", "p", "q", "dp", "dq", "qi", "k"]
            .iter()
            .any(|m| k.get(*m).is_some())
        {
            return Err("holds a private key: register public keys only".into());
        }
    }
    Ok(v.clone())
}

/// A registrable `request_object_signing_alg`: `none` or one Doorward verifies.
pub fn request_object_alg(a: &str) -> Result<String, String> {
    if ALGS_SUPPORTED.contains(&a) {
        Ok(a.to_string())
    } else {
        Err(format!("must be one of {}", ALGS_SUPPORTED.join(", ")))
    }
}

/// Registered `request_uri` values: at most 20 URLs Doorward could fetch (a fragment is
/// allowed, and ignored when matching).
pub fn request_uri_list(v: &Value, local: bool) -> Result<Vec<String>, String> {
    let arr = v.as_array().ok_or("must be a list of URLs")?;
    if arr.len() > 20 {
        return Err("at most 20 URLs".into());
    }
    arr.iter()
        .map(|u| {
            let u = u.as_str().ok_or("must be a list of strings")?;
            check_fetch_url(u.split('#').next().unwrap_or(u), local)?;
            Ok(u.to_string())
        })
        .collect()
}

/// The algorithm a client's assertions must use, by its authentication method.
pub fn assertion_alg(method: TokenEndpointAuthMethod, a: &str) -> Result<SigningAlg, String> {
    let alg = SigningAlg::parse(a).ok_or_else(|| format!("`{a}` is not supported"))?;
    match method {
        TokenEndpointAuthMethod::ClientSecretJwt if alg == SigningAlg::HS256 => Ok(alg),
        TokenEndpointAuthMethod::PrivateKeyJwt if alg != SigningAlg::HS256 => Ok(alg),
        TokenEndpointAuthMethod::ClientSecretJwt => {
            Err("client_secret_jwt is signed with HS256".into())
        }
        TokenEndpointAuthMethod::PrivateKeyJwt => {
            Err("private_key_jwt is signed with RS256, PS256, ES256 or EdDSA".into())
        }
        _ => Err("only for client_secret_jwt or private_key_jwt".into()),
    }
}

/// The fields of an RFC 7592 update that describe the registration, to compare with it.
pub fn issued_fields(body: &Value) -> Map<String, Value> {
    body.as_object()
        .map(|o| {
            o.iter()
                .filter(|(k, _)| ISSUED.contains(&k.as_str()))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default()
}

fn list_of<T: PartialEq>(
    v: &Value,
    field: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Vec<T>, OAuthError> {
    let arr = v
        .as_array()
        .ok_or_else(|| bad(field, "must be a list of strings"))?;
    let mut out = Vec::new();
    for item in arr {
        let s = item
            .as_str()
            .ok_or_else(|| bad(field, "must be a list of strings"))?;
        let t = parse(s).ok_or_else(|| bad(field, format!("`{s}` is not supported")))?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// RFC 7591 §2.1: grant types and response types must agree. Either may be left out and is
/// then derived from the other (`code` and `authorization_code` when both are).
fn consistent_types(
    grants: Option<Vec<GrantType>>,
    responses: Option<Vec<ResponseType>>,
) -> Result<(Vec<GrantType>, Vec<ResponseType>), OAuthError> {
    let grants = match (grants, &responses) {
        (Some(g), _) => g,
        (None, Some(rs)) => {
            let mut g = Vec::new();
            for r in rs {
                for need in r.required_grants() {
                    if !g.contains(need) {
                        g.push(*need);
                    }
                }
            }
            g
        }
        (None, None) => vec![GrantType::AuthorizationCode],
    };
    let responses = match responses {
        Some(r) => r,
        None if grants.contains(&GrantType::AuthorizationCode) => vec![ResponseType::Code],
        None if grants.contains(&GrantType::Implicit) => vec![ResponseType::IdToken],
        None => vec![],
    };
    if grants.is_empty() {
        return Err(bad("grant_types", "at least one grant type is required"));
    }
    for r in &responses {
        if let Some(g) = r.required_grants().iter().find(|g| !grants.contains(g)) {
            return Err(bad(
                "grant_types",
                format!(
                    "response type `{}` needs the {} grant",
                    r.as_str(),
                    g.as_str()
                ),
            ));
        }
    }
    for (g, needs) in [
        (
            GrantType::AuthorizationCode,
            ResponseType::has_code as fn(ResponseType) -> bool,
        ),
        (GrantType::Implicit, |r: ResponseType| {
            r.has_id_token() || r.has_token()
        }),
    ] {
        if grants.contains(&g) && !responses.iter().any(|r| needs(*r)) {
            return Err(bad(
                "response_types",
                format!(
                    "the {} grant needs a response type that uses it",
                    g.as_str()
                ),
            ));
        }
    }
    if grants == [GrantType::RefreshToken] {
        return Err(bad(
            "grant_types",
            "refresh_token alone grants nothing: add the grant that issues the first token",
        ));
    }
    Ok((grants, responses))
}

/// Redirect (or post-logout) URIs by the client's `application_type`: a web client uses
/// https (http only to loopback, for development); a native client uses loopback http on
/// any port (RFC 8252 §7.3), a private-use scheme (§7.1) or https (§7.2).
fn uris(v: Option<&Value>, field: &str, kind: ApplicationType) -> Result<Vec<String>, OAuthError> {
    let refuse = |why: String| metadata_error(ErrorCode::InvalidRedirectUri, field, why);
    let Some(v) = v.filter(|v| !v.is_null()) else {
        return Ok(vec![]);
    };
    let arr = v
        .as_array()
        .ok_or_else(|| refuse("must be a list of URIs".into()))?;
    if arr.len() > 20 {
        return Err(refuse("at most 20 URIs".into()));
    }
    let mut out: Vec<String> = Vec::new();
    for item in arr {
        let s = item
            .as_str()
            .ok_or_else(|| refuse("must be a list of strings".into()))?;
        check_redirect_uri(s).map_err(refuse)?;
        let url = Url::parse(s).map_err(|_| refuse(format!("`{s}` is not an absolute URI")))?;
        let ok = match (kind, url.scheme()) {
            (_, "https") => true,
            (_, "http") => is_loopback(&url),
            (ApplicationType::Web, _) => false,
            // A private-use scheme names the app, never a host (RFC 8252 §7.1: `com.example.app:/cb`).
            (ApplicationType::Native, _) => true,
        };
        if !ok {
            return Err(refuse(format!(
                "`{s}`: a web client's redirect URIs use https (http only to a loopback host); register application_type native for a private-use scheme"
            )));
        }
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// The client's registered metadata (RFC 7591 §3.2.1), without what the registration issued.
pub fn registered_metadata(c: &Client) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("redirect_uris".into(), json!(c.redirect_uris));
    m.insert(
        "post_logout_redirect_uris".into(),
        json!(c.post_logout_redirect_uris),
    );
    m.insert(
        "grant_types".into(),
        json!(c.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>()),
    );
    m.insert(
        "response_types".into(),
        json!(c
            .response_types
            .iter()
            .map(|r| r.as_str())
            .collect::<Vec<_>>()),
    );
    m.insert(
        "application_type".into(),
        json!(c.application_type.as_str()),
    );
    m.insert(
        "token_endpoint_auth_method".into(),
        json!(c.token_endpoint_auth_method.as_str()),
    );
    m.insert(
        "id_token_signed_response_alg".into(),
        json!(c.id_token_signed_response_alg.as_str()),
    );
    m.insert("subject_type".into(), json!(c.subject_type.as_str()));
    m.insert("require_auth_time".into(), json!(c.require_auth_time));
    let optional = [
        ("client_name", &c.client_name),
        ("logo_uri", &c.logo_uri),
        ("client_uri", &c.client_uri),
        ("policy_uri", &c.policy_uri),
        ("tos_uri", &c.tos_uri),
        ("scope", &c.scope),
        ("software_id", &c.software_id),
        ("software_version", &c.software_version),
    ];
    for (k, v) in optional {
        if let Some(v) = v {
            m.insert(k.into(), json!(v));
        }
    }
    if !c.contacts.is_empty() {
        m.insert("contacts".into(), json!(c.contacts));
    }
    if let Some(j) = &c.jwks {
        m.insert("jwks".into(), j.clone());
    }
    if let Some(u) = &c.jwks_uri {
        m.insert("jwks_uri".into(), json!(u));
    }
    if let Some(a) = c.token_endpoint_auth_signing_alg {
        m.insert("token_endpoint_auth_signing_alg".into(), json!(a.as_str()));
    }
    if let Some(a) = &c.request_object_signing_alg {
        m.insert("request_object_signing_alg".into(), json!(a));
    }
    if !c.request_uris.is_empty() {
        m.insert("request_uris".into(), json!(c.request_uris));
    }
    if let Some(a) = c.default_max_age {
        m.insert("default_max_age".into(), json!(a));
    }
    if let Some(u) = &c.sector_identifier_uri {
        m.insert("sector_identifier_uri".into(), json!(u));
    }
    if !c.default_acr_values.is_empty() {
        m.insert("default_acr_values".into(), json!(c.default_acr_values));
    }
    if let Some(a) = c.userinfo_signed_response_alg {
        m.insert("userinfo_signed_response_alg".into(), json!(a.as_str()));
    }
    m
}

#[cfg(test)]
#[path = "client_metadata_tests.rs"]
mod tests;
