//! The admin API's one error shape (`/api/v1/...` on the console host):
//! `{"error": code, "error_description": text, "fields": {name: problem}}`, `fields` only for
//! validation. The code → (string, status) match is exhaustive, so a new error must choose
//! both; handlers return these through `HttpError::Admin` and `respond::failure` renders them.

use serde_json::{json, Map, Value};

use crate::oidc::registration::FieldErrors;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// Validation failed; every problem is named by field.
    #[error("invalid fields")]
    InvalidFields(FieldErrors),
    /// Missing or wrong credentials (admin token, administrator sign-in).
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// A unique value is taken: `field` names it.
    #[error("{field} already exists")]
    AlreadyExists { field: String, what: String },
    /// The method is not one this path serves; the ones it does, for `Allow`.
    #[error("method not allowed")]
    MethodNotAllowed(&'static str),
    /// Too many failed sign-in attempts.
    #[error("too many attempts")]
    TooManyAttempts,
}

impl AdminError {
    /// One invalid field.
    pub fn field(field: &str, problem: impl Into<String>) -> AdminError {
        let mut e = FieldErrors::default();
        e.add(field, problem);
        AdminError::InvalidFields(e)
    }

    pub fn code_and_status(&self) -> (&'static str, u16) {
        match self {
            AdminError::InvalidFields(_) => ("invalid_request", 400),
            AdminError::Unauthorized(_) => ("unauthorized", 401),
            AdminError::AlreadyExists { .. } => ("already_exists", 409),
            AdminError::MethodNotAllowed(_) => ("method_not_allowed", 405),
            AdminError::TooManyAttempts => ("too_many_attempts", 429),
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let (code, _) = self.code_and_status();
        let (description, fields): (String, Option<Map<String, Value>>) = match self {
            AdminError::InvalidFields(f) => (
                "some fields are invalid".into(),
                Some(f.0.iter().map(|(k, v)| (k.clone(), json!(v))).collect()),
            ),
            AdminError::Unauthorized(why) => ((*why).into(), None),
            AdminError::AlreadyExists { field, what } => {
                let text = format!("{what} is already taken");
                let mut m = Map::new();
                m.insert(field.clone(), json!(text));
                (text, Some(m))
            }
            AdminError::MethodNotAllowed(_) => ("this method is not allowed here".into(), None),
            AdminError::TooManyAttempts => {
                ("too many failed attempts; try again later".into(), None)
            }
        };
        let mut body = json!({"error": code, "error_description": description});
        if let Some(f) = fields {
            body["fields"] = Value::Object(f);
        }
        body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_admin_error_has_a_code_a_status_and_a_description() {
        let all = [
            AdminError::field("name", "is required"),
            AdminError::Unauthorized("a valid admin bearer token is required"),
            AdminError::AlreadyExists {
                field: "subdomain".into(),
                what: "subdomain".into(),
            },
            AdminError::MethodNotAllowed("GET"),
            AdminError::TooManyAttempts,
        ];
        for e in all {
            let (code, status) = e.code_and_status();
            let b = e.body();
            assert_eq!(b["error"], code);
            assert!((400..500).contains(&status));
            assert!(!b["error_description"].as_str().unwrap_or("").is_empty());
        }
        let b = AdminError::field("name", "is required").body();
        assert_eq!(b["fields"]["name"], "is required");
    }
}
