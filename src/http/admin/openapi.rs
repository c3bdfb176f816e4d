//! The admin API's OpenAPI 3.1 document, served at `/api/v1/openapi.json`. Its text is
//! `openapi.json` beside this file; what the code defines — the wire names of the Rust enums
//! and the limits — fills its `{{name}}` placeholders, so the document cannot miss one. Data,
//! not code: built with `json!` it took about 100 KB of wasm.

use serde_json::Value;

use crate::oidc::acr::ACR_VALUES_SUPPORTED;
use crate::oidc::audit::{EventKind, MAX_RETENTION_DAYS};
use crate::oidc::audit_query::{MAX_EXPORT, MAX_PAGE};
use crate::oidc::model::{
    DynamicRegistration, GrantType, ResponseType, SigningAlg, TokenEndpointAuthMethod,
};
use crate::oidc::subject::SubjectType;

const TEMPLATE: &str = include_str!("openapi.json");

/// A JSON Schema `enum` of wire names, taken from the Rust enum so the document cannot miss one.
fn names<const N: usize>(all: [&'static str; N]) -> Value {
    Value::from(all.to_vec())
}

pub fn document() -> Value {
    // The template is part of the source; a test parses and fills it.
    let mut doc: Value = serde_json::from_str(TEMPLATE).unwrap_or_default();
    fill(&mut doc);
    doc
}

/// What a `{{name}}` placeholder of the template stands for.
fn filling(name: &str) -> Option<Value> {
    Some(match name {
        "grant_types" => names(GrantType::ALL.map(GrantType::as_str)),
        "response_types" => names(ResponseType::ALL.map(ResponseType::as_str)),
        "id_token_algs" => names(SigningAlg::ALL.map(SigningAlg::as_str)),
        "key_algs" => names(SigningAlg::ASYMMETRIC.map(SigningAlg::as_str)),
        "auth_methods" => names(TokenEndpointAuthMethod::ALL.map(TokenEndpointAuthMethod::as_str)),
        "event_kinds" => names(EventKind::ALL.map(EventKind::as_str)),
        "dynamic_registration" => names(DynamicRegistration::ALL.map(DynamicRegistration::as_str)),
        "subject_types" => names(SubjectType::ALL.map(SubjectType::as_str)),
        "acr_values" => Value::from(ACR_VALUES_SUPPORTED.to_vec()),
        "max_retention_days" => MAX_RETENTION_DAYS.into(),
        "max_page" => MAX_PAGE.into(),
        "max_export" => MAX_EXPORT.into(),
        _ => return None,
    })
}

fn placeholder(s: &str) -> Option<&str> {
    s.strip_prefix("{{")?.strip_suffix("}}")
}

fn fill(v: &mut Value) {
    let filled = match v {
        Value::String(s) => placeholder(s).and_then(filling),
        Value::Array(items) => {
            items.iter_mut().for_each(fill);
            None
        }
        Value::Object(members) => {
            members.values_mut().for_each(fill);
            None
        }
        _ => None,
    };
    if let Some(f) = filled {
        *v = f;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_string(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| every_string(x, out)),
            Value::Object(o) => o.values().for_each(|x| every_string(x, out)),
            _ => {}
        }
    }

    #[test]
    fn the_template_parses_and_every_placeholder_is_filled() {
        let template: Value = serde_json::from_str(TEMPLATE).expect("openapi.json is JSON");
        let mut before = Vec::new();
        every_string(&template, &mut before);
        let named: Vec<&str> = before.iter().filter_map(|s| placeholder(s)).collect();
        assert!(named.len() >= 20, "{named:?}");
        for name in &named {
            assert!(
                filling(name).is_some(),
                "unknown placeholder {{{{{name}}}}}"
            );
        }
        let mut after = Vec::new();
        every_string(&document(), &mut after);
        assert!(after.iter().all(|s| placeholder(s).is_none()));
    }

    #[test]
    fn the_document_lists_what_the_code_defines() {
        let doc = document();
        let schemas = &doc["components"]["schemas"];
        let app = &schemas["Application"]["properties"];
        assert_eq!(
            app["grant_types"]["items"]["enum"],
            names(GrantType::ALL.map(GrantType::as_str))
        );
        assert_eq!(
            app["id_token_signed_response_alg"]["enum"],
            names(SigningAlg::ALL.map(SigningAlg::as_str))
        );
        assert_eq!(
            schemas["AuditEvent"]["properties"]["kind"]["enum"],
            names(EventKind::ALL.map(EventKind::as_str))
        );
        assert_eq!(
            schemas["Client"]["properties"]["default_acr_values"]["items"]["enum"],
            Value::from(ACR_VALUES_SUPPORTED.to_vec())
        );
        assert_eq!(
            schemas["Pool"]["properties"]["audit_retention_days"]["maximum"],
            MAX_RETENTION_DAYS
        );
        let limit = |path: &str| {
            doc["paths"][path]["parameters"]
                .as_array()
                .and_then(|ps| ps.iter().find(|p| p["name"] == "limit"))
                .map(|p| p["schema"].clone())
        };
        assert_eq!(limit("/api/v1/audit").unwrap()["maximum"], MAX_PAGE);
        assert_eq!(
            limit("/api/v1/audit/export").unwrap()["default"],
            MAX_EXPORT
        );
        assert_eq!(doc["openapi"], "3.1.0");
        assert!(doc["paths"].as_object().is_some_and(|p| p.len() > 30));
    }
}
