//! Admin input: the JSON bodies of the admin API parsed into records, with every problem
//! reported by field name at once (400 with `{error, fields: {name: message}}`). Runtime-free.

use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;

use super::client::ApplicationType;
use super::client_metadata::{assertion_alg, check_jwks, request_object_alg, request_uri_list};
use super::grant_policy::refusal_for_public_client;
use super::issuer::{is_valid_subdomain, RESERVED_SUBDOMAINS};
use super::model::{
    Application, Client, DynamicRegistration, GrantType, ResponseType, SigningAlg, StandardClaims,
    TokenEndpointAuthMethod, TokenLifetimes,
};
use super::outbound::check_fetch_url;
use super::redirect_uri::check_redirect_uri;
use super::subject::{check_pairwise, is_sector_identifier_uri, SubjectType};

/// Field name → what is wrong with it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<String, String>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, msg: impl Into<String>) {
        self.0
            .entry(field.to_string())
            .or_insert_with(|| msg.into());
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn into_result<T>(self, v: T) -> Result<T, FieldErrors> {
        if self.is_empty() {
            Ok(v)
        } else {
            Err(self)
        }
    }
}

/// The longest refresh-token grace an application may set: a retry comes within seconds.
pub const MAX_REFRESH_GRACE_SECS: u64 = 60;

impl Default for Client {
    /// A new client: code flow with refresh tokens, RS256, a secret sent by Basic (implicit
    /// and password are off until ticked).
    fn default() -> Self {
        Client {
            client_id: String::new(),
            client_secret_encrypted: String::new(),
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            response_types: vec![ResponseType::Code],
            id_token_signed_response_alg: SigningAlg::RS256,
            access_token_signed_response_alg: SigningAlg::RS256,
            token_endpoint_auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
            require_pkce: false,
            token_lifetimes: TokenLifetimes::default(),
            refresh_token_grace_seconds: 0,
            token_params_in_query: true,
            skip_consent: false,
            permissions: vec![],
            application_type: ApplicationType::Web,
            client_name: None,
            logo_uri: None,
            client_uri: None,
            policy_uri: None,
            tos_uri: None,
            contacts: vec![],
            default_max_age: None,
            require_auth_time: false,
            scope: None,
            software_id: None,
            software_version: None,
            jwks: None,
            jwks_uri: None,
            token_endpoint_auth_signing_alg: None,
            request_object_signing_alg: None,
            request_uris: vec![],
            subject_type: SubjectType::Public,
            sector_identifier_uri: None,
            default_acr_values: vec![],
            userinfo_signed_response_alg: None,
        }
    }
}

/// A new application of `pool_id` (empty name and subdomain, which the body must set).
pub fn new_application(pool_id: &str, client: Client, now: u64) -> Application {
    Application {
        client,
        pool_id: pool_id.to_string(),
        name: String::new(),
        subdomain: String::new(),
        custom_domains: vec![],
        dynamic_registration: DynamicRegistration::Off,
        jurisdiction: None,
        require_mfa: false,
        require_phishing_resistant: false,
        created_at: now,
        updated_at: now,
        primary_client_id: None,
    }
}

/// Fields a client may echo back from GET on an update; they are not changed by it.
const READ_ONLY: &[&str] = &[
    "client_id",
    "client_secret",
    "issuer",
    "custom_issuers",
    "pool_id",
    "jurisdiction",
    "application_id",
    "origin",
    "created_at",
    "updated_at",
];

/// Applies a JSON object of changes onto an application: its own fields (name, subdomain,
/// custom domains, dynamic registration) and its primary client's (create = defaults + body;
/// PATCH = current + body). Unknown fields are refused so a typo is not silently ignored.
pub fn apply_application(
    mut app: Application,
    body: &Value,
    creating: bool,
) -> Result<Application, FieldErrors> {
    let mut errs = FieldErrors::default();
    let Some(obj) = body.as_object() else {
        errs.add("body", "must be a JSON object");
        return Err(errs);
    };
    for (k, v) in obj {
        match k.as_str() {
            "name" => match display_name(v) {
                Some(n) => app.name = n,
                None => errs.add(
                    "name",
                    "must be a non-empty string of at most 100 characters",
                ),
            },
            "subdomain" => match v.as_str() {
                Some(d) if is_valid_subdomain(d) && !RESERVED_SUBDOMAINS.contains(&d) => {
                    app.subdomain = d.to_string()
                }
                _ => errs.add(
                    "subdomain",
                    "must be a lower-case DNS label (a-z, 0-9, -), not reserved",
                ),
            },
            "custom_domains" => match host_list(v) {
                Ok(l) => app.custom_domains = l,
                Err(e) => errs.add("custom_domains", e),
            },
            "dynamic_registration" => match v.as_str().and_then(DynamicRegistration::parse) {
                Some(d) => app.dynamic_registration = d,
                None => errs.add(
                    k,
                    format!(
                        "must be {}",
                        one_of(DynamicRegistration::ALL.map(DynamicRegistration::as_str))
                    ),
                ),
            },
            "require_mfa" | "require_phishing_resistant" => match v.as_bool() {
                Some(b) if k == "require_mfa" => app.require_mfa = b,
                Some(b) => app.require_phishing_resistant = b,
                None => errs.add(k, "must be true or false"),
            },
            "pool_id" if creating => {}
            key if !creating && READ_ONLY.contains(&key) => {}
            _ => client_field(&mut app.client, k, v, &mut errs),
        }
    }
    if app.name.is_empty() {
        errs.add("name", "is required");
    }
    if app.subdomain.is_empty() {
        errs.add("subdomain", "is required");
    }
    check_client(&app.client, &mut errs);
    errs.into_result(app)
}

/// Applies a JSON object of changes onto a client of an application (the admin API's
/// `…/clients` endpoints): the primary client's fields plus the metadata of RFC 7591 §2.
pub fn apply_client(mut c: Client, body: &Value, creating: bool) -> Result<Client, FieldErrors> {
    let mut errs = FieldErrors::default();
    let Some(obj) = body.as_object() else {
        errs.add("body", "must be a JSON object");
        return Err(errs);
    };
    for (k, v) in obj {
        match k.as_str() {
            key if !creating && READ_ONLY.contains(&key) => {}
            _ => client_field(&mut c, k, v, &mut errs),
        }
    }
    check_client(&c, &mut errs);
    errs.into_result(c)
}

fn display_name(v: &Value) -> Option<String> {
    v.as_str()
        .map(str::trim)
        .filter(|n| !n.is_empty() && n.chars().count() <= 100)
        .map(str::to_string)
}

/// One client field from an admin body; an unknown key is named as such.
fn client_field(c: &mut Client, k: &str, v: &Value, errs: &mut FieldErrors) {
    match k {
        "redirect_uris" => match uri_list(v, false) {
            Ok(l) => c.redirect_uris = l,
            Err(e) => errs.add("redirect_uris", e),
        },
        "post_logout_redirect_uris" => match uri_list(v, true) {
            Ok(l) => c.post_logout_redirect_uris = l,
            Err(e) => errs.add("post_logout_redirect_uris", e),
        },
        "grant_types" => match enum_list(v, GrantType::parse) {
            Some(l) => c.grant_types = l,
            None => errs.add(
                "grant_types",
                format!(
                    "must be a list of {}",
                    one_of(GrantType::ALL.map(GrantType::as_str))
                ),
            ),
        },
        "response_types" => match enum_list(v, ResponseType::parse) {
            Some(l) => c.response_types = l,
            None => errs.add(
                "response_types",
                format!(
                    "must be a list of {}",
                    one_of(ResponseType::ALL.map(ResponseType::as_str))
                ),
            ),
        },
        "id_token_signed_response_alg" => match v.as_str().and_then(SigningAlg::parse) {
            Some(a) => c.id_token_signed_response_alg = a,
            None => errs.add(
                k,
                format!(
                    "must be one of {}",
                    one_of(SigningAlg::ALL.map(SigningAlg::as_str))
                ),
            ),
        },
        "access_token_signed_response_alg" => {
            match v
                .as_str()
                .and_then(SigningAlg::parse)
                .filter(|a| *a != SigningAlg::HS256)
            {
                Some(a) => c.access_token_signed_response_alg = a,
                None => errs.add(
                    k,
                    format!(
                        "must be one of {}",
                        one_of(SigningAlg::ASYMMETRIC.map(SigningAlg::as_str))
                    ),
                ),
            }
        }
        "token_endpoint_auth_method" => match v.as_str().and_then(TokenEndpointAuthMethod::parse) {
            Some(m) => c.token_endpoint_auth_method = m,
            None => errs.add(
                k,
                format!(
                    "must be one of {}",
                    one_of(TokenEndpointAuthMethod::ALL.map(TokenEndpointAuthMethod::as_str))
                ),
            ),
        },
        "require_pkce" | "skip_consent" | "token_params_in_query" | "require_auth_time" => {
            match v.as_bool() {
                Some(b) if k == "require_pkce" => c.require_pkce = b,
                Some(b) if k == "token_params_in_query" => c.token_params_in_query = b,
                Some(b) if k == "require_auth_time" => c.require_auth_time = b,
                Some(b) => c.skip_consent = b,
                None => errs.add(k, "must be true or false"),
            }
        }
        "token_lifetimes" => match serde_json::from_value::<TokenLifetimes>(v.clone()) {
            Ok(t) if valid_lifetimes(&t) => c.token_lifetimes = t,
            _ => errs.add(
                k,
                "must be {access_token, id_token, refresh_token, authorization_code} in seconds \
                 (60..=86400 for tokens, 30..=600 for codes, refresh up to a year)",
            ),
        },
        "refresh_token_grace_seconds" => match v.as_u64() {
            Some(n) if n <= MAX_REFRESH_GRACE_SECS => c.refresh_token_grace_seconds = n,
            _ => errs.add(
                k,
                format!(
                    "must be a whole number of seconds from 0 (off) to {MAX_REFRESH_GRACE_SECS}"
                ),
            ),
        },
        "permissions" => {
            match v.as_array().map(|a| {
                a.iter()
                    .map(|p| {
                        p.as_str()
                            .filter(|p| parse_permission(p).is_some())
                            .map(str::to_string)
                    })
                    .collect::<Option<Vec<_>>>()
            }) {
                Some(Some(p)) => c.permissions = p,
                _ => errs.add(k, "must be a list of resource:action strings"),
            }
        }
        "application_type" => match v.as_str() {
            Some("web") => c.application_type = ApplicationType::Web,
            Some("native") => c.application_type = ApplicationType::Native,
            _ => errs.add(k, "must be web or native"),
        },
        "client_name" => match v {
            Value::Null => c.client_name = None,
            _ => match display_name(v) {
                Some(n) => c.client_name = Some(n),
                None => errs.add(k, "must be a non-empty string of at most 100 characters"),
            },
        },
        "logo_uri" | "client_uri" | "policy_uri" | "tos_uri" => {
            let slot = match k {
                "logo_uri" => &mut c.logo_uri,
                "client_uri" => &mut c.client_uri,
                "policy_uri" => &mut c.policy_uri,
                _ => &mut c.tos_uri,
            };
            match v {
                Value::Null => *slot = None,
                _ => match v.as_str().filter(|u| is_https_uri(u)) {
                    Some(u) => *slot = Some(u.to_string()),
                    None => errs.add(k, "must be an https URI (it is shown on the consent page)"),
                },
            }
        }
        "contacts" => match string_list(v, 10, 254) {
            Some(l) => c.contacts = l,
            None => errs.add(k, "must be a list of at most 10 strings"),
        },
        "default_max_age" => match v {
            Value::Null => c.default_max_age = None,
            _ => match v.as_u64() {
                Some(n) => c.default_max_age = Some(n),
                None => errs.add(k, "must be a whole number of seconds"),
            },
        },
        "jwks" => match v {
            Value::Null => c.jwks = None,
            _ => match check_jwks(v) {
                Ok(set) => c.jwks = Some(set),
                Err(e) => errs.add(k, e),
            },
        },
        // The fetch itself applies the deployment's rules (`oidc::outbound`); here the URL
        // is only checked to be one it could ever fetch.
        "jwks_uri" => match v {
            Value::Null => c.jwks_uri = None,
            _ => match v.as_str().map(|u| (u, check_fetch_url(u, true))) {
                Some((u, Ok(_))) => c.jwks_uri = Some(u.to_string()),
                Some((_, Err(e))) => errs.add(k, e),
                None => errs.add(k, "must be an https URL"),
            },
        },
        "token_endpoint_auth_signing_alg" => match v {
            Value::Null => c.token_endpoint_auth_signing_alg = None,
            _ => match v
                .as_str()
                .map(|a| assertion_alg(c.token_endpoint_auth_method, a))
            {
                Some(Ok(a)) => c.token_endpoint_auth_signing_alg = Some(a),
                Some(Err(e)) => errs.add(k, e),
                None => errs.add(k, "must be an algorithm name"),
            },
        },
        "request_object_signing_alg" => match v {
            Value::Null => c.request_object_signing_alg = None,
            _ => match v.as_str().map(request_object_alg) {
                Some(Ok(a)) => c.request_object_signing_alg = Some(a),
                Some(Err(e)) => errs.add(k, e),
                None => errs.add(k, "must be an algorithm name"),
            },
        },
        "request_uris" => match request_uri_list(v, true) {
            Ok(l) => c.request_uris = l,
            Err(e) => errs.add(k, e),
        },
        "subject_type" => match v.as_str().and_then(SubjectType::parse) {
            Some(t) => c.subject_type = t,
            None => errs.add(
                k,
                format!(
                    "must be {}",
                    one_of(SubjectType::ALL.map(SubjectType::as_str))
                ),
            ),
        },
        "sector_identifier_uri" => match v {
            Value::Null => c.sector_identifier_uri = None,
            _ => match v.as_str().filter(|u| is_sector_identifier_uri(u)) {
                Some(u) => c.sector_identifier_uri = Some(u.to_string()),
                None => errs.add(
                    k,
                    "must be an https URL of a JSON list of the redirect URIs",
                ),
            },
        },
        "default_acr_values" => match v {
            Value::Null => c.default_acr_values = vec![],
            _ => match acr_list(v) {
                Ok(l) => c.default_acr_values = l,
                Err(e) => errs.add(k, e),
            },
        },
        "userinfo_signed_response_alg" => match v {
            Value::Null => c.userinfo_signed_response_alg = None,
            _ => match v.as_str().and_then(SigningAlg::parse) {
                Some(a) => c.userinfo_signed_response_alg = Some(a),
                None => errs.add(
                    k,
                    format!(
                        "must be null (plain JSON) or one of {}",
                        one_of(SigningAlg::ALL.map(SigningAlg::as_str))
                    ),
                ),
            },
        },
        other => errs.add(other, "is not a known field"),
    }
}

/// OIDC Registration §2 `default_acr_values`: classes this issuer achieves, nothing else (a
/// default no sign-in could meet would only mislead the client).
pub fn acr_list(v: &Value) -> Result<Vec<String>, String> {
    let supported = super::acr::ACR_VALUES_SUPPORTED.join(", ");
    let list = string_list(v, 10, 255)
        .ok_or_else(|| format!("must be a list of acr values ({supported})"))?;
    match list.iter().find(|a| !super::acr::is_supported(a)) {
        Some(a) => Err(format!(
            "`{a}` is not an acr value of this issuer ({supported})"
        )),
        None => {
            let mut out: Vec<String> = Vec::new();
            for a in list {
                if !out.contains(&a) {
                    out.push(a);
                }
            }
            Ok(out)
        }
    }
}

/// The rules across a client's fields, on create and update alike.
fn check_client(c: &Client, errs: &mut FieldErrors) {
    let front_channel =
        c.allows_grant(GrantType::AuthorizationCode) || c.allows_grant(GrantType::Implicit);
    if front_channel && c.redirect_uris.is_empty() {
        errs.add(
            "redirect_uris",
            "at least one is required for authorization_code or implicit",
        );
    }
    if c.grant_types.is_empty() {
        errs.add("grant_types", "at least one grant type is required");
    }
    if c.token_endpoint_auth_method == TokenEndpointAuthMethod::PrivateKeyJwt
        && c.jwks.is_none()
        && c.jwks_uri.is_none()
    {
        errs.add(
            "token_endpoint_auth_method",
            "private_key_jwt needs the client's keys: set jwks or jwks_uri",
        );
    }
    if c.is_public() && c.id_token_signed_response_alg == SigningAlg::HS256 {
        errs.add(
            "id_token_signed_response_alg",
            "HS256 needs a client secret; a public client has none",
        );
    }
    if c.is_public() && c.userinfo_signed_response_alg == Some(SigningAlg::HS256) {
        errs.add(
            "userinfo_signed_response_alg",
            "HS256 needs a client secret; a public client has none",
        );
    }
    if let Err(e) = check_pairwise(c) {
        errs.add("subject_type", e);
    }
    if c.is_public() {
        // The grant table decides which grants a public client may use (RFC 6749 §4.4).
        if let Some(why) = c
            .grant_types
            .iter()
            .find_map(|g| refusal_for_public_client(*g))
        {
            errs.add("grant_types", why);
        }
    }
}

/// An absolute https URI with a host (for URIs shown to users or fetched).
pub fn is_https_uri(s: &str) -> bool {
    s.len() <= 2048
        && url::Url::parse(s)
            .is_ok_and(|u| u.scheme() == "https" && u.host_str().is_some_and(|h| !h.is_empty()))
}

/// A list of at most `max` strings, each at most `len` bytes and not empty.
pub fn string_list(v: &Value, max: usize, len: usize) -> Option<Vec<String>> {
    let arr = v.as_array()?;
    if arr.len() > max {
        return None;
    }
    arr.iter()
        .map(|x| {
            x.as_str()
                .filter(|s| !s.is_empty() && s.len() <= len)
                .map(str::to_string)
        })
        .collect()
}

/// `a, b or c`: the wire names of an enum, for an error message that cannot go stale.
fn one_of<const N: usize>(names: [&str; N]) -> String {
    match names.split_last() {
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn valid_lifetimes(t: &TokenLifetimes) -> bool {
    (60..=86_400).contains(&t.access_token)
        && (60..=86_400).contains(&t.id_token)
        && (60..=365 * 86_400).contains(&t.refresh_token)
        && (30..=600).contains(&t.authorization_code)
}

fn enum_list<T: PartialEq>(v: &Value, parse: fn(&str) -> Option<T>) -> Option<Vec<T>> {
    let mut out = Vec::new();
    for item in v.as_array()? {
        let t = parse(item.as_str()?)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Some(out)
}

/// Absolute http(s) URIs without a fragment (RFC 6749 §3.1.2); at most 20. Custom schemes
/// (`com.example.app:/cb`) are allowed for native apps, `javascript:`/`data:` never.
/// At most this many hosts of its own per application.
pub const MAX_CUSTOM_DOMAINS: usize = 5;

/// Whether `host` is a fully qualified DNS name in lower case: two or more RFC 1035 labels,
/// no port, no trailing dot, at most 253 characters.
pub fn is_valid_host(host: &str) -> bool {
    host.len() <= 253 && host.split('.').count() >= 2 && host.split('.').all(is_valid_subdomain)
}

fn host_list(v: &Value) -> Result<Vec<String>, String> {
    let arr = v.as_array().ok_or("must be a list of host names")?;
    if arr.len() > MAX_CUSTOM_DOMAINS {
        return Err(format!("at most {MAX_CUSTOM_DOMAINS} hosts"));
    }
    let mut out: Vec<String> = Vec::new();
    for item in arr {
        let h = item.as_str().ok_or("must be a list of strings")?;
        if !is_valid_host(h) {
            return Err(format!(
                "`{h}` is not a host name in lower case (like login.shop.example, no scheme or port)"
            ));
        }
        if !out.iter().any(|o| o == h) {
            out.push(h.to_string());
        }
    }
    Ok(out)
}

fn uri_list(v: &Value, allow_empty: bool) -> Result<Vec<String>, String> {
    let arr = v.as_array().ok_or("must be a list of URIs")?;
    if arr.is_empty() && !allow_empty {
        return Err("must not be empty".into());
    }
    if arr.len() > 20 {
        return Err("at most 20 URIs".into());
    }
    let mut out = Vec::new();
    for item in arr {
        let s = item.as_str().ok_or("must be a list of strings")?;
        check_redirect_uri(s)?;
        if !out.iter().any(|o: &String| o == s) {
            out.push(s.to_string());
        }
    }
    Ok(out)
}

/// A new user from the admin API.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    pub username: String,
    /// The password; or, for a user brought in from another provider, `password_hash`.
    #[serde(default)]
    pub password: Option<String>,
    /// A hash from another system (bcrypt, Argon2id, PBKDF2 — `crypto::imported_hash`),
    /// verified in its own format at the user's next sign-in, then replaced by Doorward's.
    #[serde(default)]
    pub password_hash: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub email_verified: bool,
    #[serde(default)]
    pub phone_number: Option<String>,
    #[serde(default)]
    pub phone_number_verified: bool,
    #[serde(default)]
    pub blocked: bool,
    #[serde(default)]
    pub custom_attributes: BTreeMap<String, Value>,
    #[serde(flatten)]
    pub claims: StandardClaims,
}

/// Checks the fields shared by create and update.
pub fn check_user_fields(
    username: Option<&str>,
    password: Option<&str>,
    email: Option<&str>,
    phone: Option<&str>,
) -> FieldErrors {
    let mut errs = FieldErrors::default();
    if let Some(u) = username {
        let ok = (1..=64).contains(&u.chars().count())
            && u.chars()
                .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-'))
            && !u.contains('@');
        if !ok {
            errs.add("username", "1-64 letters, digits, '.', '_' or '-'");
        }
    }
    if let Some(p) = password {
        if p.chars().count() < 8 || p.len() > 256 {
            errs.add("password", "must be 8 to 256 characters");
        }
    }
    if let Some(e) = email {
        let ok = e.len() <= 254
            && e.split_once('@')
                .is_some_and(|(l, d)| !l.is_empty() && d.contains('.') && !d.contains('@'));
        if !ok {
            errs.add("email", "is not an email address");
        }
    }
    if let Some(p) = phone {
        let digits = p.strip_prefix('+').unwrap_or(p);
        if !(4..=20).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            errs.add("phone_number", "must be digits with an optional leading +");
        }
    }
    errs
}

/// `resource:action` permission syntax.
pub fn parse_permission(p: &str) -> Option<(&str, &str)> {
    let (r, a) = p.split_once(':')?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'*'))
    };
    (ok(r) && ok(a)).then_some((r, a))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn blank() -> Application {
        new_application("default", Client::default(), 0)
    }

    #[test]
    fn a_minimal_application_gets_the_documented_defaults() {
        let s = apply_application(
            blank(),
            &json!({"name": "Shop", "subdomain": "shop", "redirect_uris": ["https://shop.example/cb"]}),
            true,
        )
        .unwrap();
        assert_eq!(
            s.client.grant_types,
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
        );
        assert_eq!(s.client.response_types, vec![ResponseType::Code]);
        assert_eq!(s.client.id_token_signed_response_alg, SigningAlg::RS256);
    }

    #[test]
    fn every_bad_field_is_named() {
        let e = apply_application(
            blank(),
            &json!({"name": "", "subdomain": "Bad_Sub", "redirect_uris": ["/relative", "https://x/#f"],
                    "grant_types": ["magic"], "colour": "red"}),
            true,
        )
        .unwrap_err();
        for f in [
            "name",
            "subdomain",
            "redirect_uris",
            "grant_types",
            "colour",
        ] {
            assert!(e.0.contains_key(f), "{f} missing from {e:?}");
        }
    }

    #[test]
    fn a_public_client_may_not_tick_client_credentials_on_create_or_update() {
        let public_cc = json!({"name": "x", "subdomain": "x", "redirect_uris": ["https://x/cb"],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code", "client_credentials"]});
        let e = apply_application(blank(), &public_cc, true).unwrap_err();
        assert!(e.0["grant_types"].contains("confidential"), "{e:?}");
        // PATCH: a confidential machine client turned public is refused too.
        let machine = apply_application(
            blank(),
            &json!({"name": "m", "subdomain": "m", "grant_types": ["client_credentials"]}),
            true,
        )
        .unwrap();
        let e = apply_application(
            machine,
            &json!({"token_endpoint_auth_method": "none"}),
            false,
        )
        .unwrap_err();
        assert!(e.0.contains_key("grant_types"), "{e:?}");
        // A public client with the code flow alone is fine.
        let ok = json!({"name": "p", "subdomain": "p", "redirect_uris": ["https://x/cb"],
            "token_endpoint_auth_method": "none"});
        assert!(apply_application(blank(), &ok, true).is_ok());
    }

    #[test]
    fn enum_error_messages_name_every_wire_value() {
        let e = apply_application(
            blank(),
            &json!({"name": "x", "subdomain": "x", "grant_types": ["magic"], "response_types": ["x"],
                    "id_token_signed_response_alg": "none", "token_endpoint_auth_method": "x"}),
            true,
        )
        .unwrap_err();
        for g in GrantType::ALL {
            assert!(e.0["grant_types"].contains(g.as_str()), "{g:?}");
        }
        for r in ResponseType::ALL {
            assert!(e.0["response_types"].contains(r.as_str()), "{r:?}");
        }
        for a in SigningAlg::ALL {
            assert!(
                e.0["id_token_signed_response_alg"].contains(a.as_str()),
                "{a:?}"
            );
        }
        for m in TokenEndpointAuthMethod::ALL {
            assert!(
                e.0["token_endpoint_auth_method"].contains(m.as_str()),
                "{m:?}"
            );
        }
    }

    #[test]
    fn custom_domains_are_host_names() {
        let base =
            json!({"name": "x", "subdomain": "x", "redirect_uris": ["https://x.example/cb"]});
        let with = |hosts: Value| {
            let mut b = base.clone();
            b["custom_domains"] = hosts;
            apply_application(blank(), &b, true)
        };
        assert_eq!(
            with(json!(["login.shop.example", "login.shop.example"]))
                .unwrap()
                .custom_domains,
            vec!["login.shop.example"]
        );
        for bad in [
            json!(["https://login.shop.example"]),
            json!(["login.shop.example:8443"]),
            json!(["Login.Shop.Example"]),
            json!(["localhost"]),
            json!(["a..b"]),
            json!([
                "x.example",
                "y.example",
                "z.example",
                "u.example",
                "v.example",
                "w.example"
            ]),
            json!("login.shop.example"),
        ] {
            assert!(
                with(bad.clone())
                    .unwrap_err()
                    .0
                    .contains_key("custom_domains"),
                "{bad}"
            );
        }
    }

    #[test]
    fn subject_acr_and_userinfo_fields_are_checked_by_name() {
        let base =
            || json!({"name": "x", "subdomain": "x", "redirect_uris": ["https://a.example/cb"]});
        let with = |k: &str, v: Value| {
            let mut b = base();
            b[k] = v;
            apply_application(blank(), &b, true)
        };
        let cases: Vec<(&str, Value, &str)> = vec![
            ("subject_type", json!("ephemeral"), "subject_type"),
            ("subject_type", json!(null), "subject_type"),
            (
                "sector_identifier_uri",
                json!("/sector.json"),
                "sector_identifier_uri",
            ),
            ("sector_identifier_uri", json!(5), "sector_identifier_uri"),
            (
                "default_acr_values",
                json!(["urn:other"]),
                "default_acr_values",
            ),
            (
                "default_acr_values",
                json!("urn:doorward:acr:pwd"),
                "default_acr_values",
            ),
            (
                "userinfo_signed_response_alg",
                json!("none"),
                "userinfo_signed_response_alg",
            ),
            (
                "redirect_uris",
                json!(["https://a.example/cb", "https://b.example/cb"]),
                "subject_type",
            ),
        ];
        for (k, v, field) in cases {
            let mut b = base();
            b[k] = v.clone();
            if field == "subject_type" && k == "redirect_uris" {
                b["subject_type"] = json!("pairwise");
            }
            let e = apply_application(blank(), &b, true).unwrap_err();
            assert!(e.0.contains_key(field), "{k}={v}: {e:?}");
        }
        let public_hs = json!({"name": "x", "subdomain": "x", "redirect_uris": ["https://a.example/cb"],
            "token_endpoint_auth_method": "none", "userinfo_signed_response_alg": "HS256"});
        assert!(apply_application(blank(), &public_hs, true)
            .unwrap_err()
            .0
            .contains_key("userinfo_signed_response_alg"));

        let ok = with("subject_type", json!("pairwise")).unwrap();
        assert_eq!(ok.client.subject_type, SubjectType::Pairwise);
        let ok = with(
            "default_acr_values",
            json!(["urn:doorward:acr:pwd", "urn:doorward:acr:pwd"]),
        )
        .unwrap();
        assert_eq!(ok.client.default_acr_values, ["urn:doorward:acr:pwd"]);
        let ok = with("userinfo_signed_response_alg", json!("ES256")).unwrap();
        assert_eq!(
            ok.client.userinfo_signed_response_alg,
            Some(SigningAlg::ES256)
        );
        // null clears, on PATCH.
        let cleared =
            apply_application(ok, &json!({"userinfo_signed_response_alg": null}), false).unwrap();
        assert_eq!(cleared.client.userinfo_signed_response_alg, None);
        let sector = with(
            "sector_identifier_uri",
            json!("https://rp.example/sector.json"),
        )
        .unwrap();
        let moved = apply_application(
            sector,
            &json!({"subject_type": "pairwise", "redirect_uris": ["https://a.example/cb", "https://b.example/cb"]}),
            false,
        );
        assert!(
            moved.is_ok(),
            "a sector document covers several hosts: {moved:?}"
        );
    }

    #[test]
    fn reserved_subdomains_are_refused() {
        let e = apply_application(
            blank(),
            &json!({"name": "x", "subdomain": "api", "redirect_uris": ["https://x/cb"]}),
            true,
        );
        assert!(e.unwrap_err().0.contains_key("subdomain"));
    }

    #[test]
    fn user_fields_are_checked() {
        let e = check_user_fields(Some("a b"), Some("short"), Some("nope"), Some("12ab"));
        assert_eq!(e.0.len(), 4);
        assert!(check_user_fields(
            Some("alice"),
            Some("longenough"),
            Some("a@b.co"),
            Some("+15551234")
        )
        .is_empty());
    }

    #[test]
    fn permissions_are_resource_colon_action() {
        assert_eq!(parse_permission("orders:read"), Some(("orders", "read")));
        assert_eq!(parse_permission("orders"), None);
        assert_eq!(parse_permission(":read"), None);
    }
}
