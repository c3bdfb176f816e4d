//! Scopes: parsing the space-delimited `scope` parameter into a set, and which standard claims
//! each scope releases (OIDC Core §5.4). Runtime-free.

use serde::{Deserialize, Serialize};

/// An ordered, de-duplicated set of scope tokens (RFC 6749 §3.3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScopeSet(Vec<String>);

impl ScopeSet {
    /// Linear in the input: duplicates are found through a set, not by rescanning the list
    /// (a scope is parsed before the caller is authenticated, and inside a refresh family's
    /// Durable Object, where a slow parse would block the whole shard).
    pub fn parse(s: &str) -> ScopeSet {
        let mut seen = std::collections::HashSet::new();
        let out = s
            .split(' ')
            .filter(|t| !t.is_empty() && seen.insert(*t))
            .map(str::to_string)
            .collect();
        ScopeSet(out)
    }

    pub fn contains(&self, scope: &str) -> bool {
        self.0.iter().any(|s| s == scope)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn remove(&mut self, scope: &str) {
        self.0.retain(|s| s != scope);
    }

    /// Keeps only the scopes also in `allowed`.
    pub fn retain_known(&mut self, allowed: &[&str]) {
        self.0.retain(|s| allowed.contains(&s.as_str()));
    }

    /// True when every scope here is also in `other` (a refresh may only narrow).
    pub fn is_subset_of(&self, other: &ScopeSet) -> bool {
        let theirs: std::collections::HashSet<&str> = other.iter().collect();
        self.iter().all(|s| theirs.contains(s))
    }
}

impl std::fmt::Display for ScopeSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.join(" "))
    }
}

/// OIDC Core §5.4: the claims each standard scope releases.
pub fn claims_for_scope(scope: &str) -> &'static [&'static str] {
    match scope {
        "profile" => &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
        "email" => &["email", "email_verified"],
        "phone" => &["phone_number", "phone_number_verified"],
        "address" => &["address"],
        _ => &[],
    }
}

/// The standard scope that releases `claim` (OIDC Core §5.4), if any.
pub fn scope_for_claim(claim: &str) -> Option<&'static str> {
    ["profile", "email", "phone", "address"]
        .into_iter()
        .find(|s| claims_for_scope(s).contains(&claim))
}

/// Plain words for the consent page.
pub fn describe(scope: &str) -> Option<&'static str> {
    match scope {
        "openid" => Some("Sign you in with your account"),
        "profile" => Some("See your name, nickname, picture and other profile details"),
        "email" => Some("See your email address"),
        "phone" => Some("See your phone number"),
        "address" => Some("See your postal address"),
        "offline_access" => Some("Stay signed in and access your data while you are away"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_dedupes_and_keeps_order() {
        let s = ScopeSet::parse("openid  email openid profile");
        assert_eq!(s.to_string(), "openid email profile");
    }

    #[test]
    fn each_standard_claim_has_the_scope_that_releases_it() {
        assert_eq!(scope_for_claim("email_verified"), Some("email"));
        assert_eq!(scope_for_claim("given_name"), Some("profile"));
        assert_eq!(scope_for_claim("address"), Some("address"));
        assert_eq!(scope_for_claim("sub"), None);
        assert_eq!(scope_for_claim("acr"), None);
    }

    #[test]
    fn subset_checks_narrowing() {
        let wide = ScopeSet::parse("openid email profile");
        assert!(ScopeSet::parse("openid email").is_subset_of(&wide));
        assert!(!ScopeSet::parse("openid phone").is_subset_of(&wide));
    }
}
