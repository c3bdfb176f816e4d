//! Which permissions a machine caller gets (RFC 6749 §4.4, RFC 8707): the requested
//! `resource:action` scopes (or, with only `resource`, everything held on it) intersected with
//! what the caller holds. A held `resource:*` covers every action of that resource.
//! Runtime-free.

use super::error::{ErrorCode, OAuthError};
use super::model::Resource;
use super::registration::parse_permission;

/// The outcome: the token's audience (the resource URI) and its scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MachineGrant {
    pub audience: String,
    pub scope: Vec<String>,
}

fn holds(held: &[String], resource: &str, action: &str) -> bool {
    held.iter()
        .filter_map(|h| parse_permission(h))
        .any(|(r, a)| r == resource && (a == action || a == "*"))
}

/// `requested_scope`: the `scope` parameter; `resource_param`: RFC 8707 `resource` (a URI or a
/// resource code); `resources`: the pool's resources.
pub fn decide(
    requested_scope: Option<&str>,
    resource_param: Option<&str>,
    held: &[String],
    resources: &[Resource],
) -> Result<MachineGrant, OAuthError> {
    let target = match resource_param {
        Some(r) => Some(
            resources
                .iter()
                .find(|x| x.uri == r || x.code == r)
                .ok_or_else(|| {
                    OAuthError::new(ErrorCode::InvalidRequest, "the resource is unknown")
                        .with_detail("invalid_target")
                })?,
        ),
        None => None,
    };
    let requested: Vec<(String, String)> =
        match requested_scope.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => s
                .split(' ')
                .filter(|t| !t.is_empty())
                .filter_map(|t| parse_permission(t).map(|(r, a)| (r.to_string(), a.to_string())))
                .collect(),
            None => match target {
                // Only a resource: everything held on it.
                Some(res) => res
                    .actions
                    .iter()
                    .map(|a| (res.code.clone(), a.clone()))
                    .collect(),
                None => {
                    return Err(OAuthError::new(
                        ErrorCode::InvalidScope,
                        "scope or resource is required",
                    ))
                }
            },
        };
    let mut granted: Vec<(String, String)> = Vec::new();
    for (r, a) in requested {
        let Some(res) = resources.iter().find(|x| x.code == r) else {
            continue;
        };
        if target.is_some_and(|t| t.code != res.code) {
            continue;
        }
        if res.actions.contains(&a)
            && holds(held, &r, &a)
            && !granted.contains(&(r.clone(), a.clone()))
        {
            granted.push((r, a));
        }
    }
    let Some((first_resource, _)) = granted.first().cloned() else {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "none of the requested permissions is granted to this caller",
        ));
    };
    // One token, one audience: permissions on several resources need separate requests.
    if granted.iter().any(|(r, _)| *r != first_resource) {
        return Err(OAuthError::new(
            ErrorCode::InvalidScope,
            "request permissions of one resource at a time (use the resource parameter)",
        ));
    }
    let audience = resources
        .iter()
        .find(|x| x.code == first_resource)
        .map(|x| x.uri.clone())
        .unwrap_or_default();
    Ok(MachineGrant {
        audience,
        scope: granted
            .into_iter()
            .map(|(r, a)| format!("{r}:{a}"))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(code: &str, actions: &[&str]) -> Resource {
        Resource {
            pool_id: "p".into(),
            code: code.into(),
            uri: format!("https://api.example/{code}"),
            name: String::new(),
            actions: actions.iter().map(|a| a.to_string()).collect(),
            created_at: 0,
        }
    }

    #[test]
    fn only_the_held_subset_is_granted() {
        let resources = vec![res("orders", &["read", "write", "delete"])];
        let held = vec!["orders:read".to_string(), "orders:write".to_string()];
        let g = decide(
            Some("orders:read orders:delete orders:write"),
            None,
            &held,
            &resources,
        )
        .unwrap();
        assert_eq!(g.scope, vec!["orders:read", "orders:write"]);
        assert_eq!(g.audience, "https://api.example/orders");
    }

    #[test]
    fn nothing_held_is_invalid_scope() {
        let resources = vec![res("orders", &["read"])];
        let e = decide(Some("orders:read"), None, &[], &resources).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScope);
    }

    #[test]
    fn resource_alone_grants_everything_held_on_it_and_wildcards_cover_actions() {
        let resources = vec![res("orders", &["read", "write"]), res("users", &["read"])];
        let held = vec!["orders:*".to_string(), "users:read".to_string()];
        let g = decide(None, Some("https://api.example/orders"), &held, &resources).unwrap();
        assert_eq!(g.scope, vec!["orders:read", "orders:write"]);
    }

    #[test]
    fn unknown_resource_is_refused() {
        assert!(decide(Some("x:y"), Some("https://nope"), &[], &[]).is_err());
    }
}
