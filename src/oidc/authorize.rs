//! The authorization endpoint's request checks (OIDC Core §3.1.2.1–§3.1.2.2, §3.2.2, §3.3.2),
//! in one ordered pipeline like node-oidc-provider's `actions/authorization`: first the checks
//! whose failure must never redirect (client, redirect URI), then the ones whose errors go back
//! to the validated redirect URI. Runtime-free.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::claims_request::ClaimsRequest;
use super::discovery::SCOPES_SUPPORTED;
use super::error::{ErrorCode, OAuthError};
use super::model::{Application, ResponseType};
use super::pkce::{self, CodeChallengeMethod};
use super::redirect_uri::is_registered_redirect;
use super::scope::ScopeSet;

/// Where the authorization response goes (OAuth 2.0 Multiple Response Types §2.1, Form Post).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    Query,
    Fragment,
    FormPost,
}

impl ResponseMode {
    pub fn parse(s: &str) -> Option<ResponseMode> {
        match s {
            "query" => Some(ResponseMode::Query),
            "fragment" => Some(ResponseMode::Fragment),
            "form_post" => Some(ResponseMode::FormPost),
            _ => None,
        }
    }

    /// The default for a response type: `query` for `code`, `fragment` for anything that
    /// returns a token from the authorization endpoint.
    pub fn default_for(rt: ResponseType) -> ResponseMode {
        if rt == ResponseType::Code {
            ResponseMode::Query
        } else {
            ResponseMode::Fragment
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prompt {
    None,
    Login,
    Consent,
    SelectAccount,
}

/// A request that passed every check: only `validate` builds one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_type: ResponseType,
    pub response_mode: ResponseMode,
    /// The scopes to grant: known ones only, `offline_access` already dropped if not earned.
    pub scope: ScopeSet,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<CodeChallengeMethod>,
    pub prompt: Vec<Prompt>,
    pub max_age: Option<u64>,
    pub login_hint: Option<String>,
    pub ui_locales: Option<String>,
    pub id_token_hint: Option<String>,
    /// RFC 8707: the resource server the access token is for (its `aud`); checked against
    /// the pool's resources by the endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    /// OIDC Core §5.5: the claims asked for by name, for the id_token and for userinfo.
    #[serde(default, skip_serializing_if = "ClaimsRequest::is_empty")]
    pub claims: ClaimsRequest,
    /// The classes asked for, in order of preference (OIDC Core §3.1.2.1 `acr_values`, else
    /// an essential `acr` claim's values, else the client's `default_acr_values`; requests
    /// parked before classes existed asked for none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acr_values: Vec<String>,
    /// The sign-in of the account page (`{issuer}/account`), not of a client: once signed in,
    /// the browser goes back to that page and nothing is issued. Never set by `validate`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub for_account: bool,
}

impl AuthorizationRequest {
    pub fn has_prompt(&self, p: Prompt) -> bool {
        self.prompt.contains(&p)
    }

    /// What the user consents to: the granted scopes, plus the scope of each claim asked for
    /// by name (`ClaimsRequest::implied_scopes`), so no claim is released unconsented.
    pub fn consent_scope(&self) -> ScopeSet {
        let mut all = self.scope.to_string();
        for s in self.claims.implied_scopes() {
            all.push(' ');
            all.push_str(s);
        }
        ScopeSet::parse(&all)
    }

    /// Where an error for this request is sent.
    pub fn error_target(&self) -> ErrorTarget {
        ErrorTarget {
            redirect_uri: self.redirect_uri.clone(),
            response_mode: self.response_mode,
            state: self.state.clone(),
        }
    }
}

/// A validated redirect URI, mode and state: errors after the redirect check go here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorTarget {
    pub redirect_uri: String,
    pub response_mode: ResponseMode,
    pub state: Option<String>,
}

/// Why a request failed, and so how the error is shown.
#[derive(Debug, Clone, PartialEq)]
pub enum AuthorizeError {
    /// Client or redirect URI could not be trusted: an error page, never a redirect
    /// (OIDC Core §3.1.2.6, RFC 6749 §4.1.2.1 first paragraph).
    Page(OAuthError),
    /// Returned to the client's validated redirect URI in the request's response mode.
    Redirect(OAuthError, ErrorTarget),
}

/// Raw parameters, merged from the query (GET) or the form body (POST).
pub type Params = BTreeMap<String, String>;

fn get<'a>(p: &'a Params, k: &str) -> Option<&'a str> {
    p.get(k).map(String::as_str).filter(|v| !v.is_empty())
}

/// Runs every check, in order, for the tenant's application `app`.
pub fn validate(
    app: &Application,
    params: &Params,
) -> Result<AuthorizationRequest, AuthorizeError> {
    use AuthorizeError::Page;
    let page = |d: &str| Page(OAuthError::invalid_request(d.to_string()));

    // 1. The client: it must be this issuer's application (a client id from another issuer
    //    is as unknown here as a made-up one).
    let client_id = get(params, "client_id").ok_or_else(|| page("client_id is missing"))?;
    if client_id != app.client.client_id {
        return Err(Page(OAuthError::invalid_client("the client is unknown")));
    }
    // 2. The redirect URI: required (OIDC Core §3.1.2.1) and matched exactly, byte for byte,
    //    against the registered list — no prefix, case, port or trailing-slash leniency.
    let redirect_uri =
        get(params, "redirect_uri").ok_or_else(|| page("redirect_uri is missing"))?;
    if !is_registered_redirect(&app.client, redirect_uri) {
        return Err(page("redirect_uri is not registered for this client"));
    }
    let state = get(params, "state").map(str::to_string);

    // 3. From here on, errors go back to the client. First settle the response mode so the
    //    error itself travels the right way.
    let response_type_raw = get(params, "response_type");
    let parsed_rt = response_type_raw.and_then(ResponseType::parse);
    let mode_raw = get(params, "response_mode");
    let mode = match mode_raw.map(ResponseMode::parse) {
        Some(Some(m)) => Some(m),
        Some(None) => None,
        None => Some(ResponseMode::default_for(
            parsed_rt.unwrap_or(ResponseType::Code),
        )),
    };
    let default_mode = ResponseMode::default_for(parsed_rt.unwrap_or(ResponseType::Code));
    // A token-bearing type never answers in the query, not even to refuse query mode.
    let error_mode = match mode {
        Some(ResponseMode::Query) if default_mode == ResponseMode::Fragment => default_mode,
        Some(m) => m,
        None => default_mode,
    };
    let target = ErrorTarget {
        redirect_uri: redirect_uri.to_string(),
        response_mode: error_mode,
        state: state.clone(),
    };
    let fail = |code: ErrorCode, d: &str| {
        Err(AuthorizeError::Redirect(
            OAuthError::new(code, d.to_string()),
            target.clone(),
        ))
    };
    let Some(response_mode) = mode else {
        return fail(ErrorCode::InvalidRequest, "response_mode is not supported");
    };

    // 4. Request objects are not supported (OIDC Core §6).
    if params.contains_key("request") {
        return fail(
            ErrorCode::RequestNotSupported,
            "request objects are not supported",
        );
    }
    if params.contains_key("request_uri") {
        return fail(
            ErrorCode::RequestUriNotSupported,
            "request_uri is not supported",
        );
    }

    // 5. The response type: known, ticked for this application, with its grants ticked.
    let Some(raw_rt) = response_type_raw else {
        return fail(ErrorCode::InvalidRequest, "response_type is missing");
    };
    let Some(response_type) = ResponseType::parse(raw_rt) else {
        return fail(
            ErrorCode::UnsupportedResponseType,
            "response_type is not supported",
        );
    };
    if !app.client.response_types.contains(&response_type) {
        return fail(
            ErrorCode::UnsupportedResponseType,
            "response_type is not enabled for this client",
        );
    }
    if !response_type
        .required_grants()
        .iter()
        .all(|g| app.allows_grant(*g))
    {
        return fail(
            ErrorCode::UnauthorizedClient,
            "the client is not allowed to use this response_type",
        );
    }
    // 6. Tokens must never travel in the query (Multiple Response Types §5).
    if response_type != ResponseType::Code && response_mode == ResponseMode::Query {
        return fail(
            ErrorCode::InvalidRequest,
            "response_mode query is not allowed for this response_type",
        );
    }

    // 7. Scope: an OpenID request, unknown scopes dropped.
    let mut scope = ScopeSet::parse(get(params, "scope").unwrap_or(""));
    if !scope.contains("openid") {
        return fail(ErrorCode::InvalidScope, "scope must contain openid");
    }
    scope.retain_known(SCOPES_SUPPORTED);
    // A client registered with a `scope` (RFC 7591 §2) is granted no other.
    if let Some(registered) = &app.client.scope {
        let registered: Vec<&str> = registered.split(' ').collect();
        scope.retain_known(&registered);
    }

    // 8. Prompt (OIDC Core §3.1.2.1): `none` stands alone.
    let mut prompt = Vec::new();
    for p in get(params, "prompt")
        .unwrap_or("")
        .split(' ')
        .filter(|p| !p.is_empty())
    {
        let v = match p {
            "none" => Prompt::None,
            "login" => Prompt::Login,
            "consent" => Prompt::Consent,
            "select_account" => Prompt::SelectAccount,
            _ => return fail(ErrorCode::InvalidRequest, "prompt has an unsupported value"),
        };
        if !prompt.contains(&v) {
            prompt.push(v);
        }
    }
    if prompt.contains(&Prompt::None) && prompt.len() > 1 {
        return fail(
            ErrorCode::InvalidRequest,
            "prompt=none cannot be combined with other values",
        );
    }
    // The hosted service's rule: a refresh token needs `offline_access` AND `prompt=consent`
    // (OIDC Core §11), and never from an implicit response.
    if !prompt.contains(&Prompt::Consent) || !response_type.has_code() {
        scope.remove("offline_access");
    }

    // 9. Nonce: required whenever an id_token comes from this endpoint (OIDC Core §3.2.2.1).
    let nonce = get(params, "nonce").map(str::to_string);
    if response_type.has_id_token() && nonce.is_none() {
        return fail(
            ErrorCode::InvalidRequest,
            "nonce is required for this response_type",
        );
    }

    // 10. max_age (the client's registered `default_max_age` when the request has none).
    let max_age = match get(params, "max_age") {
        None => app.client.default_max_age,
        Some(v) => match v.parse::<u64>() {
            Ok(n) => Some(n),
            Err(_) => {
                return fail(
                    ErrorCode::InvalidRequest,
                    "max_age must be a non-negative integer",
                )
            }
        },
    };

    // 11. PKCE (RFC 7636 §4.3): required for public clients, S256-only for them (RFC 9700
    // §2.1.1) and where the app says so. A missing method means S256, not RFC 7636's `plain`:
    // a challenge is never taken as its own verifier unless the client asks for that.
    let code_challenge = get(params, "code_challenge").map(str::to_string);
    let method_raw = get(params, "code_challenge_method");
    let code_challenge_method = match (&code_challenge, method_raw) {
        (None, Some(_)) => {
            return fail(
                ErrorCode::InvalidRequest,
                "code_challenge_method without code_challenge",
            )
        }
        (None, None) => None,
        (Some(c), m) => {
            let Some(method) = CodeChallengeMethod::parse(m.unwrap_or("S256")) else {
                return fail(
                    ErrorCode::InvalidRequest,
                    "code_challenge_method is not supported",
                );
            };
            if !pkce::is_valid_challenge(c) {
                return fail(ErrorCode::InvalidRequest, "code_challenge is malformed");
            }
            Some(method)
        }
    };
    if response_type.has_code() {
        if app.is_public() && code_challenge.is_none() {
            return fail(
                ErrorCode::InvalidRequest,
                "PKCE code_challenge is required for public clients",
            );
        }
        if app.is_public() && code_challenge_method == Some(CodeChallengeMethod::Plain) {
            return fail(
                ErrorCode::InvalidRequest,
                "PKCE plain is not accepted from public clients; use S256",
            );
        }
        if app.client.require_pkce && code_challenge_method != Some(CodeChallengeMethod::S256) {
            return fail(
                ErrorCode::InvalidRequest,
                "PKCE with S256 is required for this client",
            );
        }
    }

    // 12. RFC 8707 §2: a resource is an absolute URI without a fragment.
    let resource = match get(params, "resource") {
        None => None,
        Some(r) if is_resource_indicator(r) => Some(r.to_string()),
        Some(_) => {
            return fail(
                ErrorCode::InvalidTarget,
                "resource must be an absolute URI without a fragment",
            )
        }
    };

    // 13. display (OIDC Core §3.1.2.1): one of the four values. The hosted pages are
    //     responsive, so every value gets the same page.
    if let Some(d) = get(params, "display") {
        if !DISPLAY_VALUES.contains(&d) {
            return fail(
                ErrorCode::InvalidRequest,
                "display must be page, popup, touch or wap",
            );
        }
    }
    // `claims_locales` (§5.2) is accepted and ignored: a user's claims are stored in one
    // language, untagged, and §5.2 lets the OP return what it has.

    // 14. The claims parameter (§5.5).
    let mut claims = match get(params, "claims") {
        None => ClaimsRequest::default(),
        Some(raw) => match ClaimsRequest::parse(raw) {
            Ok(c) => c,
            Err(why) => return fail(ErrorCode::InvalidRequest, &why),
        },
    };
    // §5.5: "When the userinfo member is used, the request MUST also use a response_type
    // value that results in an Access Token being issued to the Client".
    if !claims.userinfo.is_empty() && response_type == ResponseType::IdToken {
        return fail(
            ErrorCode::InvalidRequest,
            "claims.userinfo needs a response_type that issues an access token",
        );
    }
    if let Some(registered) = &app.client.scope {
        let registered: Vec<&str> = registered.split(' ').collect();
        claims.retain_scopes(&registered);
    }
    // 15. acr (§3.1.2.1, §5.5.1.1). `acr_values` (else an essential `acr` claim, else the
    //     client's `default_acr_values`) is a preference list of classes, weighed against
    //     the user's factors once the user is known (`oidc::acr::target`). An essential
    //     `acr` naming no class of this issuer can never be met and is refused now.
    if claims.essential_acr_unmet() {
        return fail(
            ErrorCode::AccessDenied,
            &format!(
                "the essential acr requested cannot be met: this issuer signs in at {}",
                super::acr::ACR_VALUES_SUPPORTED.join(", ")
            ),
        );
    }
    let acr_values: Vec<String> = match get(params, "acr_values") {
        Some(v) => v
            .split(' ')
            .filter(|a| !a.is_empty())
            .take(8)
            .map(str::to_string)
            .collect(),
        None => {
            let essential = claims.essential_acr_values();
            if essential.is_empty() {
                app.client.default_acr_values.clone()
            } else {
                essential
            }
        }
    };

    Ok(AuthorizationRequest {
        client_id: client_id.to_string(),
        redirect_uri: redirect_uri.to_string(),
        response_type,
        response_mode,
        scope,
        state,
        nonce,
        code_challenge,
        code_challenge_method,
        prompt,
        max_age,
        login_hint: get(params, "login_hint").map(str::to_string),
        ui_locales: get(params, "ui_locales").map(str::to_string),
        id_token_hint: get(params, "id_token_hint").map(str::to_string),
        resource,
        claims,
        acr_values,
        for_account: false,
    })
}

/// OIDC Core §3.1.2.1 `display`.
pub const DISPLAY_VALUES: &[&str] = &["page", "popup", "touch", "wap"];

/// RFC 8707 §2: `resource` is an absolute URI and must not include a fragment.
pub fn is_resource_indicator(r: &str) -> bool {
    r.len() <= 2048 && url::Url::parse(r).is_ok_and(|u| u.fragment().is_none() && u.has_host())
}

/// The signed-in state the endpoint knows about when deciding what to do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedIn {
    pub user_id: String,
    pub auth_time: u64,
    /// The user signed in during this very interaction (so `prompt=login` is satisfied).
    pub fresh: bool,
}

/// What the endpoint does after validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Show the login page.
    Login,
    /// Show the consent page for these scopes.
    Consent,
    /// Issue the response.
    Issue,
    /// `prompt=none` and user interaction would be needed (OIDC Core §3.1.2.6).
    Fail(ErrorCode),
}

/// Decides between login, consent and issuing (OIDC Core §3.1.2.3–§3.1.2.4).
/// `consented` is true when the user already granted every requested scope to this client.
///
/// With `prompt=none` (§3.1.2.6) a needed login is `login_required` and a needed consent
/// `consent_required`. Doorward's only interactions are those two pages, so no case is left
/// for the generic `interaction_required`: account selection is a login (`select_account`),
/// and an `acr` no sign-in can meet is refused by `validate` whatever the prompt.
pub fn next_step(
    req: &AuthorizationRequest,
    signed_in: Option<&SignedIn>,
    consented: bool,
    skip_consent: bool,
    now: u64,
) -> Next {
    let prompt_none = req.has_prompt(Prompt::None);
    let needs_login = match signed_in {
        None => true,
        Some(s) => {
            // A sign-in during this very interaction satisfies any max_age, including 0.
            let too_old = !s.fresh
                && req
                    .max_age
                    .is_some_and(|m| m == 0 || now.saturating_sub(s.auth_time) > m);
            let forced = (req.has_prompt(Prompt::Login) || req.has_prompt(Prompt::SelectAccount))
                && !s.fresh;
            too_old || forced
        }
    };
    if needs_login {
        return if prompt_none {
            Next::Fail(ErrorCode::LoginRequired)
        } else {
            Next::Login
        };
    }
    let needs_consent = !skip_consent && (!consented || req.has_prompt(Prompt::Consent));
    if needs_consent {
        return if prompt_none {
            Next::Fail(ErrorCode::ConsentRequired)
        } else {
            Next::Consent
        };
    }
    Next::Issue
}

#[cfg(test)]
#[path = "authorize_tests.rs"]
mod tests;
