//! The `claims` request parameter (OIDC Core §5.5): which claims the client asks for by name,
//! in the id_token and at userinfo, beside (and independent of) what its scopes release.
//! Runtime-free.
//!
//! Doorward's choices where the spec leaves them to the OP:
//! - A claim the user has no value for is left out, `essential` or not: §5.5.1, "the
//!   Authorization Server MUST NOT generate an error when Claims are not returned, whether
//!   they are Essential or Voluntary, unless otherwise specified in the description of the
//!   specific claim" (only `acr` is, §5.5.1.1).
//! - `value` and `values` are requests, not filters (§5.5.1: the OP "MAY" honour them): a
//!   claim is released with the user's real value or not at all, never a different or a
//!   made-up one — except for `sub` and `acr`, where the spec makes them binding: a `sub` with
//!   a value must be the signed-in user's (§5.5.1), and an essential `acr` with values must be
//!   met or the request fails (§5.5.1.1). Only for those two are the values kept.
//! - Names Doorward does not know are ignored, as §5.5 requires of claims it does not
//!   understand; so is any member of the object other than `id_token` and `userinfo`.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

use super::acr;
use super::discovery::CLAIMS_SUPPORTED;
use super::scope::scope_for_claim;

/// The claims a request names for each place, known names only.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub id_token: BTreeMap<String, Requested>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub userinfo: BTreeMap<String, Requested>,
}

/// One claim's request (OIDC Core §5.5.1): `null` or `{essential, value, values}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requested {
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub essential: bool,
    /// `value` and `values` together, kept only for `sub` and `acr` (see the module comment).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
}

/// At most this many values are kept for `sub` or `acr`, each at most `MAX_VALUE_LEN` bytes.
const MAX_VALUES: usize = 16;
const MAX_VALUE_LEN: usize = 255;

/// Claims whose requested values bind the answer.
fn values_bind(name: &str) -> bool {
    matches!(name, "sub" | "acr")
}

impl ClaimsRequest {
    /// Parses the parameter's JSON. Anything that is not the shape of §5.5 (not an object, a
    /// member that is not an object, `essential` that is not a boolean, `values` that is not
    /// a list, a `sub` or `acr` value that is not a string) is `Err` with a description for
    /// the client's `invalid_request`.
    pub fn parse(raw: &str) -> Result<ClaimsRequest, String> {
        let v: Value =
            serde_json::from_str(raw).map_err(|_| "claims is not valid JSON".to_string())?;
        let obj = v
            .as_object()
            .ok_or_else(|| "claims must be a JSON object".to_string())?;
        let mut out = ClaimsRequest::default();
        for (member, slot) in [
            ("id_token", &mut out.id_token),
            ("userinfo", &mut out.userinfo),
        ] {
            match obj.get(member) {
                None | Some(Value::Null) => {}
                Some(Value::Object(claims)) => {
                    for (name, spec) in claims {
                        let requested = parse_one(member, name, spec)?;
                        if CLAIMS_SUPPORTED.contains(&name.as_str()) {
                            slot.insert(name.clone(), requested);
                        }
                    }
                }
                Some(_) => return Err(format!("claims.{member} must be a JSON object")),
            }
        }
        Ok(out)
    }

    pub fn is_empty(&self) -> bool {
        self.id_token.is_empty() && self.userinfo.is_empty()
    }

    /// The names asked for in the id_token.
    pub fn id_token_names(&self) -> Vec<String> {
        self.id_token.keys().cloned().collect()
    }

    /// The names asked for at userinfo.
    pub fn userinfo_names(&self) -> Vec<String> {
        self.userinfo.keys().cloned().collect()
    }

    /// OIDC Core §5.5.1: "If the sub (subject) Claim is requested with a specific value for the
    /// ID Token, the OP MUST only send a positive response if the End-User identified by that
    /// sub value has an active session … or has been Authenticated as a result of the
    /// request." `subject` is the user's `sub` as this client sees it.
    pub fn allows_subject(&self, subject: &str) -> bool {
        self.id_token
            .get("sub")
            .is_none_or(|r| r.values.is_empty() || r.values.iter().any(|v| v == subject))
    }

    /// OIDC Core §5.5.1.1: an essential `acr` none of whose values is a class of this
    /// issuer. The spec says to "treat that outcome as a failed authentication attempt"; no
    /// sign-in could ever meet it, so the request is refused at once with `access_denied`
    /// (RFC 6749 §4.1.2.1) rather than after a pointless login. An essential `acr` with a
    /// class Doorward has is a requirement (`essential_acr_values`).
    pub fn essential_acr_unmet(&self) -> bool {
        self.id_token.get("acr").is_some_and(|r| {
            r.essential && !r.values.is_empty() && !r.values.iter().any(|v| acr::is_supported(v))
        })
    }

    /// The classes an essential `acr` request accepts (empty when there is none).
    pub fn essential_acr_values(&self) -> Vec<String> {
        self.id_token
            .get("acr")
            .filter(|r| r.essential)
            .map(|r| r.values.clone())
            .unwrap_or_default()
    }

    /// The scopes whose consent covers the claims asked for by name: a claim released through
    /// this parameter is shown and consented to as the scope that would release it (asking
    /// for `email` alone asks for what `scope=email` would).
    pub fn implied_scopes(&self) -> Vec<&'static str> {
        let mut out: Vec<&'static str> = Vec::new();
        for name in self.id_token.keys().chain(self.userinfo.keys()) {
            if let Some(s) = scope_for_claim(name) {
                if !out.contains(&s) {
                    out.push(s);
                }
            }
        }
        out
    }

    /// Drops the claims whose scope is not in `allowed` (a client registered with a `scope`,
    /// RFC 7591 §2, gets no claim that scope would not release either).
    pub fn retain_scopes(&mut self, allowed: &[&str]) {
        let keep = |name: &String| scope_for_claim(name).is_none_or(|s| allowed.contains(&s));
        self.id_token.retain(|n, _| keep(n));
        self.userinfo.retain(|n, _| keep(n));
    }
}

fn parse_one(member: &str, name: &str, spec: &Value) -> Result<Requested, String> {
    let at = || format!("claims.{member}.{name}");
    let spec = match spec {
        Value::Null => return Ok(Requested::default()),
        Value::Object(o) => o,
        _ => return Err(format!("{} must be null or a JSON object", at())),
    };
    let essential = match spec.get("essential") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(format!("{}.essential must be true or false", at())),
    };
    let mut raw: Vec<&Value> = Vec::new();
    if let Some(v) = spec.get("value").filter(|v| !v.is_null()) {
        raw.push(v);
    }
    match spec.get("values") {
        None | Some(Value::Null) => {}
        Some(Value::Array(list)) => raw.extend(list.iter()),
        Some(_) => return Err(format!("{}.values must be a list", at())),
    }
    let mut values = Vec::new();
    if values_bind(name) {
        if raw.len() > MAX_VALUES {
            return Err(format!("{}: at most {MAX_VALUES} values", at()));
        }
        for v in raw {
            match v.as_str() {
                Some(s) if s.len() <= MAX_VALUE_LEN => values.push(s.to_string()),
                _ => {
                    return Err(format!(
                        "{}: each value must be a string of at most {MAX_VALUE_LEN} bytes",
                        at()
                    ))
                }
            }
        }
    }
    Ok(Requested { essential, values })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_member_names_its_own_claims_and_unknown_names_are_ignored() {
        let c = ClaimsRequest::parse(
            r#"{"id_token": {"email": {"essential": true}, "favourite_colour": null},
                "userinfo": {"name": null, "phone_number": {"value": "+1"}},
                "vendor_extension": {"anything": 1}}"#,
        )
        .unwrap();
        assert_eq!(c.id_token_names(), ["email"]);
        assert_eq!(c.userinfo_names(), ["name", "phone_number"]);
        assert!(c.id_token["email"].essential);
        assert!(
            c.userinfo["phone_number"].values.is_empty(),
            "values are kept only where they bind"
        );
    }

    #[test]
    fn malformed_requests_are_refused_with_a_reason() {
        for bad in [
            "",
            "not json",
            "[]",
            "\"id_token\"",
            r#"{"id_token": []}"#,
            r#"{"userinfo": "email"}"#,
            r#"{"id_token": {"email": true}}"#,
            r#"{"id_token": {"email": {"essential": "yes"}}}"#,
            r#"{"userinfo": {"email": {"values": "a@b"}}}"#,
            r#"{"id_token": {"sub": {"value": 42}}}"#,
            r#"{"id_token": {"acr": {"values": ["a", 1]}}}"#,
        ] {
            assert!(ClaimsRequest::parse(bad).is_err(), "{bad}");
        }
        let many: Vec<String> = (0..17).map(|i| format!("\"v{i}\"")).collect();
        let too_many = format!(
            r#"{{"id_token": {{"acr": {{"values": [{}]}}}}}}"#,
            many.join(",")
        );
        assert!(ClaimsRequest::parse(&too_many).is_err());
    }

    #[test]
    fn an_empty_request_or_empty_members_ask_for_nothing() {
        for ok in [
            "{}",
            r#"{"id_token": null}"#,
            r#"{"id_token": {}, "userinfo": {}}"#,
        ] {
            assert!(ClaimsRequest::parse(ok).unwrap().is_empty(), "{ok}");
        }
    }

    #[test]
    fn a_sub_value_binds_the_subject() {
        let c = ClaimsRequest::parse(r#"{"id_token": {"sub": {"value": "u1"}}}"#).unwrap();
        assert!(c.allows_subject("u1"));
        assert!(!c.allows_subject("u2"));
        let any = ClaimsRequest::parse(r#"{"id_token": {"sub": null}}"#).unwrap();
        assert!(any.allows_subject("u2"));
        // At userinfo a sub value binds nothing here: it is the id_token's that decides.
        let ui = ClaimsRequest::parse(r#"{"userinfo": {"sub": {"value": "u1"}}}"#).unwrap();
        assert!(ui.allows_subject("u2"));
    }

    #[test]
    fn only_an_essential_acr_with_unmet_values_fails() {
        let cases = [
            (
                r#"{"id_token": {"acr": {"essential": true, "values": ["urn:x"]}}}"#,
                true,
            ),
            (
                r#"{"id_token": {"acr": {"essential": true, "value": "urn:x"}}}"#,
                true,
            ),
            (
                r#"{"id_token": {"acr": {"essential": true, "values": ["urn:x", "urn:doorward:acr:pwd"]}}}"#,
                false,
            ),
            (r#"{"id_token": {"acr": {"essential": true}}}"#, false),
            (r#"{"id_token": {"acr": {"values": ["urn:x"]}}}"#, false),
            (
                r#"{"userinfo": {"acr": {"essential": true, "values": ["urn:x"]}}}"#,
                false,
            ),
        ];
        for (raw, unmet) in cases {
            assert_eq!(
                ClaimsRequest::parse(raw).unwrap().essential_acr_unmet(),
                unmet,
                "{raw}"
            );
        }
    }

    #[test]
    fn claims_imply_the_scopes_that_would_release_them() {
        let mut c = ClaimsRequest::parse(
            r#"{"id_token": {"email": null, "acr": null}, "userinfo": {"given_name": null, "email_verified": null}}"#,
        )
        .unwrap();
        assert_eq!(c.implied_scopes(), ["email", "profile"]);
        c.retain_scopes(&["openid", "email"]);
        assert_eq!(c.userinfo_names(), ["email_verified"]);
        assert_eq!(c.id_token_names(), ["acr", "email"], "acr needs no scope");
    }

    #[test]
    fn a_stored_request_round_trips() {
        let c = ClaimsRequest::parse(
            r#"{"id_token": {"sub": {"value": "u1", "essential": true}}, "userinfo": {"email": null}}"#,
        )
        .unwrap();
        let text = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<ClaimsRequest>(&text).unwrap(), c);
        assert_eq!(
            serde_json::from_str::<ClaimsRequest>("{}").unwrap(),
            ClaimsRequest::default()
        );
    }
}
