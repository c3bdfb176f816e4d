//! OAuth 2.0 / OIDC protocol errors: one public code and description for the wire, and a
//! private detail that only reaches the logs (node-oidc-provider's `errors.js` split).
//! Runtime-free: no `worker` types here.

use serde::Serialize;

/// RFC 6749 §4.1.2.1, §5.2; OIDC Core §3.1.2.6; RFC 6750 §3.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    InvalidScope,
    AccessDenied,
    ServerError,
    TemporarilyUnavailable,
    LoginRequired,
    ConsentRequired,
    InteractionRequired,
    AccountSelectionRequired,
    InvalidToken,
    InvalidRequestObject,
    RequestNotSupported,
    RequestUriNotSupported,
    /// RFC 7591 §3.2.2.
    InvalidRedirectUri,
    InvalidClientMetadata,
    /// RFC 8707 §2: a `resource` this issuer does not serve.
    InvalidTarget,
    /// OIDC Core §6.2: a `request_uri` that cannot be used.
    InvalidRequestUri,
    /// OpenID Connect Core Unmet Authentication Requirements 1.0 §2: the class the request
    /// (or the application) demands cannot be reached for this user.
    UnmetAuthenticationRequirements,
}

impl ErrorCode {
    /// The wire string and the HTTP status used when the error is returned directly (not by
    /// redirect). Exhaustive on purpose: a new code must choose its status.
    pub fn as_str_and_status(self) -> (&'static str, u16) {
        match self {
            ErrorCode::InvalidRequest => ("invalid_request", 400),
            ErrorCode::InvalidClient => ("invalid_client", 401),
            ErrorCode::InvalidGrant => ("invalid_grant", 400),
            ErrorCode::UnauthorizedClient => ("unauthorized_client", 400),
            ErrorCode::UnsupportedGrantType => ("unsupported_grant_type", 400),
            ErrorCode::UnsupportedResponseType => ("unsupported_response_type", 400),
            ErrorCode::InvalidScope => ("invalid_scope", 400),
            ErrorCode::AccessDenied => ("access_denied", 403),
            ErrorCode::ServerError => ("server_error", 500),
            ErrorCode::TemporarilyUnavailable => ("temporarily_unavailable", 503),
            ErrorCode::LoginRequired => ("login_required", 400),
            ErrorCode::ConsentRequired => ("consent_required", 400),
            ErrorCode::InteractionRequired => ("interaction_required", 400),
            ErrorCode::AccountSelectionRequired => ("account_selection_required", 400),
            ErrorCode::InvalidToken => ("invalid_token", 401),
            ErrorCode::InvalidRequestObject => ("invalid_request_object", 400),
            ErrorCode::RequestNotSupported => ("request_not_supported", 400),
            ErrorCode::RequestUriNotSupported => ("request_uri_not_supported", 400),
            ErrorCode::InvalidRedirectUri => ("invalid_redirect_uri", 400),
            ErrorCode::InvalidClientMetadata => ("invalid_client_metadata", 400),
            ErrorCode::InvalidTarget => ("invalid_target", 400),
            ErrorCode::InvalidRequestUri => ("invalid_request_uri", 400),
            ErrorCode::UnmetAuthenticationRequirements => {
                ("unmet_authentication_requirements", 400)
            }
        }
    }

    pub fn as_str(self) -> &'static str {
        self.as_str_and_status().0
    }

    pub fn status(self) -> u16 {
        self.as_str_and_status().1
    }
}

/// A protocol error: `description` is public, `detail` is for logs only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
    pub detail: Option<String>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        OAuthError {
            code,
            description: description.into(),
            detail: None,
        }
    }

    /// Attach a private detail (logged, never sent).
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    pub fn invalid_request(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, description)
    }

    pub fn invalid_grant(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, description)
    }

    pub fn invalid_client(description: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidClient, description)
    }

    pub fn server_error(detail: impl Into<String>) -> Self {
        Self::new(
            ErrorCode::ServerError,
            "the server could not complete the request",
        )
        .with_detail(detail)
    }

    /// The JSON body of RFC 6749 §5.2.
    pub fn body(&self) -> ErrorBody<'_> {
        ErrorBody {
            error: self.code.as_str(),
            error_description: &self.description,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'static str,
    pub error_description: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_client_is_a_401_and_invalid_grant_a_400() {
        assert_eq!(ErrorCode::InvalidClient.status(), 401);
        assert_eq!(ErrorCode::InvalidGrant.status(), 400);
    }

    #[test]
    fn body_never_carries_the_private_detail() {
        let err = OAuthError::invalid_grant("code is invalid").with_detail("code hash abc");
        let json = serde_json::to_string(&err.body()).unwrap();
        assert!(!json.contains("abc"));
        assert!(json.contains("\"error\":\"invalid_grant\""));
    }
}
