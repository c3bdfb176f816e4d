//! Reading the admin API's answers (issue 2): the `items` of a list, a 400 that names the
//! offending field, and a JSON list of strings (applications' and discovery's lists alike).
//! Shared by `admin_applications`, `admin_users_and_access` and `issuers_and_discovery`; depends
//! only on the harness.
#![allow(dead_code)] // Each test binary uses a different subset of the helpers.

use reqwest::StatusCode;
use serde_json::Value;

use super::Reply;

pub fn str_list(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected a list, got {v}"))
        .iter()
        .map(|s| {
            s.as_str()
                .unwrap_or_else(|| panic!("expected strings in {v}"))
                .to_string()
        })
        .collect()
}

pub fn items(r: &Reply) -> &Vec<Value> {
    r.json["items"]
        .as_array()
        .unwrap_or_else(|| panic!("expected {{\"items\": [...]}}, got {}", r.excerpt()))
}

/// Asserts a 400 `{"error": "invalid_request", "fields": {field: message}}`.
#[track_caller]
pub fn assert_invalid_field(case: &str, r: &Reply, field: Option<&str>) {
    assert_eq!(
        r.status,
        StatusCode::BAD_REQUEST,
        "{case}: status; body: {}",
        r.excerpt()
    );
    assert_eq!(
        r.json["error"],
        "invalid_request",
        "{case}: error code; body: {}",
        r.excerpt()
    );
    if let Some(field) = field {
        let msg = &r.json["fields"][field];
        assert!(
            msg.as_str().is_some_and(|m| !m.is_empty()),
            "{case}: expected fields.{field} to explain the problem; body: {}",
            r.text
        );
    }
}
