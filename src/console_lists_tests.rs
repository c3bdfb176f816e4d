//! The console's pick lists are checked against the Rust enums they stand for, so a grant
//! type, response type, algorithm, authentication method or audit event kind added to `oidc`
//! cannot be forgotten in the console (the OpenAPI document and the admin API's error messages are
//! built from the enums themselves).

// Test code reading the project's own sources: a bad slice is a failed test, not an outage.
#![allow(clippy::string_slice)]

use std::collections::BTreeSet;

use crate::oidc::audit::EventKind;
use crate::oidc::model::{GrantType, ResponseType, SigningAlg, TokenEndpointAuthMethod};

const APPS_JS: &str = include_str!("../assets/console/views/apps.js");
const KEYS_JS: &str = include_str!("../assets/console/views/keys.js");
const AUDIT_JS: &str = include_str!("../assets/console/views/audit.js");

/// The first element of each `['value', 'label']` pair in `const NAME = [...];`.
fn list_values(js: &str, name: &str) -> BTreeSet<String> {
    let start = js
        .find(&format!("{name} = ["))
        .unwrap_or_else(|| panic!("{name} not found"));
    let body = &js[start..];
    let end = body.find("];").unwrap_or(body.len());
    body[..end]
        .split("['")
        .skip(1)
        .filter_map(|item| item.split('\'').next())
        .map(str::to_string)
        .collect()
}

fn set<const N: usize>(names: [&str; N]) -> BTreeSet<String> {
    names.iter().map(|s| s.to_string()).collect()
}

#[test]
fn console_lists_match_the_enums() {
    assert_eq!(
        list_values(APPS_JS, "GRANT_TYPES"),
        set(GrantType::ALL.map(GrantType::as_str))
    );
    assert_eq!(
        list_values(APPS_JS, "RESPONSE_TYPES"),
        set(ResponseType::ALL.map(ResponseType::as_str))
    );
    assert_eq!(
        list_values(APPS_JS, "ALGS"),
        set(SigningAlg::ALL.map(SigningAlg::as_str))
    );
    assert_eq!(
        list_values(APPS_JS, "AUTH_METHODS"),
        set(TokenEndpointAuthMethod::ALL.map(TokenEndpointAuthMethod::as_str))
    );
    assert_eq!(
        list_values(KEYS_JS, "ALGS"),
        set(SigningAlg::ASYMMETRIC.map(SigningAlg::as_str))
    );
    assert_eq!(
        list_values(AUDIT_JS, "EVENT_KINDS"),
        set(EventKind::ALL.map(EventKind::as_str))
    );
}
