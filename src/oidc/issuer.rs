//! Which site a request is for: the console (admin API and web console) or one application's
//! issuer, in one of two styles (README "Issuers and endpoints"). Runtime-free: takes the URL parts, not a `Request`.

/// Where a request goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Site {
    /// The console host: `/api/v1/...`, `/healthz`, the web console.
    Console { path: String },
    /// An application's issuer; `path` is relative to the issuer (`/auth`, `/.well-known/...`).
    Tenant {
        subdomain: String,
        issuer: String,
        path: String,
    },
    /// A host outside the base domain: an application's own host, if one claimed it (a KV
    /// lookup decides); `path` is relative to the issuer `{scheme}://{host}/oidc`.
    CustomHost {
        host: String,
        issuer: String,
        path: String,
    },
    /// An unknown host: a 404, never another application's data.
    Unknown,
}

/// Path segments that can never be a subdomain in path style, because the console owns them.
pub const RESERVED_SUBDOMAINS: &[&str] = &[
    "api",
    "healthz",
    "console",
    "assets",
    "static",
    "www",
    "admin",
    "oidc",
    "favicon.ico",
];

/// Resolves the site from the request's scheme, `Host` (with port) and path.
///
/// With `base_domain` (production), `{sub}.{base}` is a tenant whose issuer is
/// `{scheme}://{sub}.{base}/oidc` and the apex is the console. Without it (local default), the
/// issuer is `{origin}/{sub}/oidc`, because `*.localhost` does not resolve for most clients.
pub fn resolve(scheme: &str, host: &str, path: &str, base_domain: Option<&str>) -> Site {
    // RFC 8414 §3 (and OIDC Discovery for path issuers, as MCP clients try it): the metadata
    // of issuer `{origin}/{path}` is also at `{origin}/.well-known/{document}/{path}`.
    for document in WELL_KNOWN_DOCUMENTS {
        let prefix = format!("/.well-known/{document}/");
        if let Some(issuer_path) = path.strip_prefix(&prefix) {
            let well_known = format!("/.well-known/{document}");
            return match resolve(scheme, host, &format!("/{issuer_path}"), base_domain) {
                Site::Tenant {
                    subdomain,
                    issuer,
                    path,
                } if path == "/" => Site::Tenant {
                    subdomain,
                    issuer,
                    path: well_known,
                },
                Site::CustomHost { host, issuer, path } if path == "/" => Site::CustomHost {
                    host,
                    issuer,
                    path: well_known,
                },
                _ => Site::Unknown,
            };
        }
    }
    let host = host.to_ascii_lowercase();
    match base_domain {
        Some(base) => {
            let host_no_port = host.split(':').next().unwrap_or("");
            let base = base.to_ascii_lowercase();
            if host_no_port == base {
                return Site::Console {
                    path: path.to_string(),
                };
            }
            let Some(sub) = host_no_port.strip_suffix(&format!(".{base}")) else {
                return match strip_segment(path, "oidc") {
                    Some(rest) if super::registration::is_valid_host(host_no_port) => {
                        Site::CustomHost {
                            host: host_no_port.to_string(),
                            issuer: format!("{scheme}://{host}/oidc"),
                            path: rest.to_string(),
                        }
                    }
                    _ => Site::Unknown,
                };
            };
            if !is_valid_subdomain(sub) {
                return Site::Unknown;
            }
            let Some(rest) = strip_segment(path, "oidc") else {
                return Site::Unknown;
            };
            Site::Tenant {
                subdomain: sub.to_string(),
                issuer: format!("{scheme}://{host}/oidc"),
                path: rest.to_string(),
            }
        }
        None => {
            let trimmed = path.trim_start_matches('/');
            let first = trimmed.split('/').next().unwrap_or("");
            if first.is_empty()
                || RESERVED_SUBDOMAINS.contains(&first)
                || !is_valid_subdomain(first)
            {
                return Site::Console {
                    path: path.to_string(),
                };
            }
            let after_sub = trimmed.strip_prefix(first).unwrap_or("");
            let Some(rest) = strip_segment(after_sub, "oidc") else {
                return Site::Unknown;
            };
            Site::Tenant {
                subdomain: first.to_string(),
                issuer: format!("{scheme}://{host}/{first}/oidc"),
                path: rest.to_string(),
            }
        }
    }
}

/// The metadata documents also served at the path-inserted location.
const WELL_KNOWN_DOCUMENTS: [&str; 2] = ["oauth-authorization-server", "openid-configuration"];

/// `/oidc/x` → `/x`; `/oidc` → `/`; anything else → None.
fn strip_segment<'a>(path: &'a str, segment: &str) -> Option<&'a str> {
    let rest = path.strip_prefix('/')?.strip_prefix(segment)?;
    if rest.is_empty() {
        Some("/")
    } else if rest.starts_with('/') {
        Some(rest)
    } else {
        None
    }
}

/// An RFC 1035 label in lower case: 1–63 of `a-z0-9-`, not starting or ending with `-`.
pub fn is_valid_subdomain(s: &str) -> bool {
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// The issuer an application gets, as the admin API reports it.
pub fn issuer_for(console_origin: &str, subdomain: &str, base_domain: Option<&str>) -> String {
    match base_domain {
        Some(base) => {
            let scheme = console_origin.split("://").next().unwrap_or("https");
            format!("{scheme}://{subdomain}.{base}/oidc")
        }
        None => format!("{}/{subdomain}/oidc", console_origin.trim_end_matches('/')),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_style_finds_the_tenant_and_its_issuer() {
        let site = resolve(
            "http",
            "127.0.0.1:8787",
            "/myapp/oidc/.well-known/jwks.json",
            None,
        );
        assert_eq!(
            site,
            Site::Tenant {
                subdomain: "myapp".into(),
                issuer: "http://127.0.0.1:8787/myapp/oidc".into(),
                path: "/.well-known/jwks.json".into(),
            }
        );
    }

    #[test]
    fn metadata_is_found_at_the_path_inserted_location_too() {
        let tenant = |p: &str| Site::Tenant {
            subdomain: "shop".into(),
            issuer: "http://h:8787/shop/oidc".into(),
            path: p.into(),
        };
        assert_eq!(
            resolve(
                "http",
                "h:8787",
                "/.well-known/oauth-authorization-server/shop/oidc",
                None
            ),
            tenant("/.well-known/oauth-authorization-server")
        );
        assert_eq!(
            resolve(
                "http",
                "h:8787",
                "/.well-known/openid-configuration/shop/oidc",
                None
            ),
            tenant("/.well-known/openid-configuration")
        );
        // Only the issuer itself, nothing below it or beside it.
        for p in [
            "/.well-known/oauth-authorization-server/shop/oidc/token",
            "/.well-known/oauth-authorization-server/shop",
            "/.well-known/oauth-authorization-server/api",
            "/.well-known/oauth-authorization-server/",
        ] {
            assert_eq!(resolve("http", "h:8787", p, None), Site::Unknown, "{p}");
        }
        assert_eq!(
            resolve(
                "https",
                "shop.id.example",
                "/.well-known/oauth-authorization-server/oidc",
                Some("id.example")
            ),
            Site::Tenant {
                subdomain: "shop".into(),
                issuer: "https://shop.id.example/oidc".into(),
                path: "/.well-known/oauth-authorization-server".into(),
            }
        );
        assert!(matches!(
            resolve(
                "https",
                "login.shop.example",
                "/.well-known/oauth-authorization-server/oidc",
                Some("id.example")
            ),
            Site::CustomHost { .. }
        ));
    }

    #[test]
    fn path_style_sends_api_and_root_to_the_console() {
        for p in ["/api/v1/applications", "/", "/healthz"] {
            assert_eq!(
                resolve("http", "h", p, None),
                Site::Console { path: p.into() }
            );
        }
    }

    #[test]
    fn path_style_without_oidc_segment_is_unknown() {
        assert_eq!(resolve("http", "h", "/myapp/other", None), Site::Unknown);
        assert_eq!(
            resolve("http", "h", "/myapp/oidcx/auth", None),
            Site::Unknown
        );
    }

    #[test]
    fn subdomain_style_uses_the_host() {
        let site = resolve(
            "https",
            "shop.id.example.com",
            "/oidc/auth",
            Some("id.example.com"),
        );
        assert_eq!(
            site,
            Site::Tenant {
                subdomain: "shop".into(),
                issuer: "https://shop.id.example.com/oidc".into(),
                path: "/auth".into(),
            }
        );
        assert_eq!(
            resolve(
                "https",
                "id.example.com",
                "/api/v1/users",
                Some("id.example.com")
            ),
            Site::Console {
                path: "/api/v1/users".into()
            }
        );
    }

    #[test]
    fn subdomain_style_rejects_nested_hosts_and_leaves_foreign_ones_to_the_host_index() {
        for host in ["a.b.id.example.com", "-x.id.example.com"] {
            assert_eq!(
                resolve("https", host, "/oidc/auth", Some("id.example.com")),
                Site::Unknown
            );
        }
        // A host outside the base domain can only be an application's own: the KV index of
        // claimed hosts decides (an unclaimed one is a 404 there).
        for host in ["evil.com", "shopid.example.com"] {
            assert_eq!(
                resolve("https", host, "/oidc/auth", Some("id.example.com")),
                Site::CustomHost {
                    host: host.into(),
                    issuer: format!("https://{host}/oidc"),
                    path: "/auth".into()
                }
            );
        }
        assert_eq!(
            resolve("https", "evil.com", "/api/v1/users", Some("id.example.com")),
            Site::Unknown,
            "a foreign host is never the console"
        );
    }

    #[test]
    fn subdomain_labels_follow_rfc_1035() {
        assert!(is_valid_subdomain("my-app1"));
        assert!(!is_valid_subdomain("My"));
        assert!(!is_valid_subdomain("a_b"));
        assert!(!is_valid_subdomain(&"a".repeat(64)));
    }
}
