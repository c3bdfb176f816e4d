//! Reading the worker's JSON answers: a string field, a list of strings (an application's lists
//! and discovery's alike), the `items` of a list page, and the admin API's 400 that names the
//! offending field. Depends only on `worker`.

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use super::worker::Reply;

/// The string `key` of `v`; panics, showing `v`, when it is not there.
#[track_caller]
pub fn field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string `{key}` in {v}"))
}

/// A JSON list of strings.
#[track_caller]
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

/// A JSON list of strings, as a set (for lists whose order means nothing).
#[track_caller]
pub fn str_set(v: &Value) -> BTreeSet<String> {
    str_list(v).into_iter().collect()
}

pub fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The `items` of a list answer (`GET /api/v1/applications`, `/users`, ...).
#[track_caller]
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
