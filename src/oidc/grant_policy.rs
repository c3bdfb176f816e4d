//! The token endpoint's grant table: for each grant type, which kinds of caller may use it
//! and how its scope is decided. The pipeline in `http::token` reads this table before any
//! grant runs, so no grant can forget a shared step; the admin API reads it too, so an
//! application can never be saved with a grant its client kind may not use. Runtime-free.

use super::discovery::SCOPES_SUPPORTED;
use super::model::GrantType;
use super::scope::ScopeSet;

/// Who is calling the token endpoint, as client authentication proved it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    /// The application, with its client secret (RFC 6749 §2.1 confidential client).
    Confidential,
    /// The application as a public client: its `client_id` only (RFC 6749 §2.1).
    Public,
    /// A programmatic access account (AK/SK) of the application's user pool.
    AccessAccount,
}

/// How a grant's scope is decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScopeRule {
    /// The scope recorded with the authorization code; a `scope` parameter is ignored
    /// (RFC 6749 §4.1.3 defines none).
    FromCode,
    /// The family's scope, or a narrower one asked for (RFC 6749 §6).
    NarrowsFamily,
    /// The requested OIDC scopes that Doorward knows (`openid` when none is asked for).
    KnownScopes,
    /// The requested `resource:action` permissions the caller holds (RFC 8707 `resource`).
    HeldPermissions,
}

/// The request's `scope` as a grant's rule reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestedScope<'a> {
    /// `FromCode`: the request has no say.
    Recorded,
    /// `NarrowsFamily`: the narrower scope asked for, if any (checked against the family by
    /// its Durable Object, so a refused request rotates nothing).
    Narrower(Option<&'a str>),
    /// `KnownScopes`: what was asked for, less what Doorward does not know.
    Known(ScopeSet),
    /// `HeldPermissions`: the `resource:action` list as sent, decided against what the caller
    /// holds by `oidc::client_credentials`.
    Permissions(Option<&'a str>),
}

impl ScopeRule {
    pub fn read(self, scope: Option<&str>) -> RequestedScope<'_> {
        match self {
            ScopeRule::FromCode => RequestedScope::Recorded,
            ScopeRule::NarrowsFamily => RequestedScope::Narrower(scope.filter(|s| !s.is_empty())),
            ScopeRule::KnownScopes => {
                let mut set = ScopeSet::parse(scope.unwrap_or("openid"));
                set.retain_known(SCOPES_SUPPORTED);
                RequestedScope::Known(set)
            }
            ScopeRule::HeldPermissions => RequestedScope::Permissions(scope),
        }
    }
}

impl RequestedScope<'_> {
    /// The narrower scope a refresh asks for (None for any other rule).
    pub fn narrower(&self) -> Option<&str> {
        match self {
            RequestedScope::Narrower(s) => *s,
            RequestedScope::Recorded
            | RequestedScope::Known(_)
            | RequestedScope::Permissions(_) => None,
        }
    }

    /// The known scopes asked for (empty for any other rule).
    pub fn known(&self) -> ScopeSet {
        match self {
            RequestedScope::Known(s) => s.clone(),
            RequestedScope::Recorded
            | RequestedScope::Narrower(_)
            | RequestedScope::Permissions(_) => ScopeSet::default(),
        }
    }

    /// The permissions asked for (None for any other rule).
    pub fn permissions(&self) -> Option<&str> {
        match self {
            RequestedScope::Permissions(s) => *s,
            RequestedScope::Recorded | RequestedScope::Narrower(_) | RequestedScope::Known(_) => {
                None
            }
        }
    }
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GrantPolicy {
    pub grant: GrantType,
    pub callers: &'static [CallerKind],
    pub scope: ScopeRule,
}

impl GrantPolicy {
    pub fn admits(&self, caller: CallerKind) -> bool {
        self.callers.contains(&caller)
    }
}

/// The grant table. `None`: not a grant of the token endpoint (implicit is served by `/auth`).
/// Exhaustive on purpose: a new grant type must declare its policy here.
pub fn policy(grant: GrantType) -> Option<GrantPolicy> {
    use CallerKind::{AccessAccount, Confidential, Public};
    let row = |callers, scope| {
        Some(GrantPolicy {
            grant,
            callers,
            scope,
        })
    };
    match grant {
        // RFC 6749 §4.1.3; public clients are held to PKCE when the code is issued.
        GrantType::AuthorizationCode => row(&[Confidential, Public], ScopeRule::FromCode),
        // RFC 6749 §6: the family is bound to the client that started it.
        GrantType::RefreshToken => row(&[Confidential, Public], ScopeRule::NarrowsFamily),
        // RFC 6749 §4.4: "MUST only be used by confidential clients".
        GrantType::ClientCredentials => {
            row(&[Confidential, AccessAccount], ScopeRule::HeldPermissions)
        }
        // RFC 6749 §4.3.2: client authentication only "if the client type is confidential".
        GrantType::Password => row(&[Confidential, Public], ScopeRule::KnownScopes),
        GrantType::Implicit => None,
    }
}

/// Why an application's client kind may not tick `grant`, if it may not (admin validation).
pub fn refusal_for_public_client(grant: GrantType) -> Option<String> {
    match policy(grant) {
        Some(p) if !p.admits(CallerKind::Public) => Some(format!(
            "{} needs a confidential client: a public client (token_endpoint_auth_method none) has no secret to prove",
            grant.as_str()
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_credentials_is_for_confidential_clients_and_access_accounts_only() {
        let p = policy(GrantType::ClientCredentials).unwrap();
        assert!(p.admits(CallerKind::Confidential));
        assert!(p.admits(CallerKind::AccessAccount));
        assert!(!p.admits(CallerKind::Public));
        assert!(refusal_for_public_client(GrantType::ClientCredentials).is_some());
    }

    #[test]
    fn user_grants_admit_public_clients_but_never_access_accounts() {
        for g in [
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::Password,
        ] {
            let p = policy(g).unwrap();
            assert!(p.admits(CallerKind::Public), "{g:?}");
            assert!(!p.admits(CallerKind::AccessAccount), "{g:?}");
            assert!(refusal_for_public_client(g).is_none());
        }
    }

    #[test]
    fn each_rule_reads_the_scope_parameter_its_own_way() {
        let code = policy(GrantType::AuthorizationCode).unwrap().scope;
        assert_eq!(code.read(Some("openid email")), RequestedScope::Recorded);
        let refresh = policy(GrantType::RefreshToken).unwrap().scope;
        assert_eq!(refresh.read(Some("")).narrower(), None);
        assert_eq!(refresh.read(Some("openid")).narrower(), Some("openid"));
        let password = policy(GrantType::Password).unwrap().scope;
        assert_eq!(password.read(None).known().to_string(), "openid");
        assert_eq!(
            password.read(Some("openid x:y email")).known().to_string(),
            "openid email"
        );
        let machine = policy(GrantType::ClientCredentials).unwrap().scope;
        assert_eq!(
            machine.read(Some("orders:read")).permissions(),
            Some("orders:read")
        );
    }

    #[test]
    fn implicit_is_not_a_token_endpoint_grant() {
        assert!(policy(GrantType::Implicit).is_none());
        for g in GrantType::ALL {
            if let Some(p) = policy(g) {
                assert_eq!(p.grant, g);
            }
        }
    }
}
