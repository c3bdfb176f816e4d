//! The rules a registered redirect or post-logout URI must meet (RFC 6749 §3.1.2, RFC 9700
//! §4.1, RFC 8252 §7.3 and §8.3), so that exact matching at `/auth` means what it says.
//! Runtime-free.

use url::Url;

use super::client::{ApplicationType, Client};

/// The rules a registered redirect (or post-logout) URI must meet, so that exact matching
/// means what it says (RFC 9700 §4.1, §2.1; RFC 8252 §7.3, §8.3):
/// - absolute, no fragment (RFC 6749 §3.1.2), no control characters, no `*` wildcard;
/// - no userinfo (`https://user@host/` is a classic open-redirect disguise);
/// - no `code`, `state`, `iss` or `error` in its query, which the response itself adds;
/// - no script-capable or local schemes; `http` only to a loopback host (native apps and
///   local development); private-use schemes (`com.example.app:/cb`) for native apps.
pub fn check_redirect_uri(s: &str) -> Result<(), String> {
    if s.chars().any(|c| c.is_control()) {
        return Err(format!("{s:?} contains control characters"));
    }
    if s.contains('*') {
        return Err(format!(
            "`{s}` contains a wildcard; redirect URIs are matched exactly"
        ));
    }
    let url = Url::parse(s).map_err(|_| format!("`{s}` is not an absolute URI"))?;
    if url.fragment().is_some() {
        return Err(format!("`{s}` must not have a fragment"));
    }
    if matches!(
        url.scheme(),
        "javascript" | "data" | "file" | "vbscript" | "blob" | "about"
    ) {
        return Err(format!("`{s}` uses a forbidden scheme"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("`{s}` must not carry a user name or password"));
    }
    if let Some(k) = url
        .query_pairs()
        .map(|(k, _)| k)
        .find(|k| matches!(k.as_ref(), "code" | "state" | "iss" | "error"))
    {
        return Err(format!(
            "`{s}` must not carry `{k}` in its query: the response adds it"
        ));
    }
    match url.scheme() {
        "https" if url.host_str().is_none() => Err(format!("`{s}` has no host")),
        "http" if !is_loopback(&url) => Err(format!(
            "`{s}`: http is only for loopback hosts (localhost, 127.0.0.1, [::1]); use https"
        )),
        _ => Ok(()),
    }
}

/// Whether `given` is one of the client's redirect URIs: exactly, except that a native
/// client's loopback IP redirect matches on any port (RFC 8252 §7.3: the app listens on an
/// ephemeral port it learns only at run time).
pub fn is_registered_redirect(client: &Client, given: &str) -> bool {
    if client.redirect_uris.iter().any(|r| r == given) {
        return true;
    }
    if client.application_type != ApplicationType::Native {
        return false;
    }
    let Ok(given) = Url::parse(given) else {
        return false;
    };
    if given.scheme() != "http" || !is_loopback_ip(&given) {
        return false;
    }
    client.redirect_uris.iter().any(|r| {
        Url::parse(r).is_ok_and(|mut r| {
            r.scheme() == "http"
                && is_loopback_ip(&r)
                && r.set_port(given.port()).is_ok()
                && r == given
        })
    })
}

fn is_loopback_ip(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        // RFC 8252 §8.3 prefers the IP literal, but MCP and CLI clients register `localhost`.
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_native_clients_loopback_redirect_matches_on_any_port_and_nothing_else() {
        let mut c = Client {
            redirect_uris: vec![
                "http://127.0.0.1/cb".into(),
                "http://localhost:3000/cb".into(),
            ],
            application_type: ApplicationType::Native,
            ..Client::default()
        };
        for (given, native, web) in [
            ("http://127.0.0.1/cb", true, true),
            ("http://127.0.0.1:49152/cb", true, false),
            ("http://localhost:5555/cb", true, false),
            ("http://127.0.0.1:49152/other", false, false),
            ("http://127.0.0.1:49152/cb?x=1", false, false),
            ("https://127.0.0.1:49152/cb", false, false),
            ("http://127.0.0.2.evil.example:80/cb", false, false),
        ] {
            c.application_type = ApplicationType::Native;
            assert_eq!(is_registered_redirect(&c, given), native, "native {given}");
            c.application_type = ApplicationType::Web;
            assert_eq!(is_registered_redirect(&c, given), web, "web {given}");
        }
    }

    #[test]
    fn redirect_uris_that_would_weaken_exact_matching_are_refused() {
        let refused = [
            ("relative", "/cb"),
            ("fragment", "https://rp.example/cb#x"),
            ("wildcard", "https://*.rp.example/cb"),
            ("wildcard in path", "https://rp.example/cb/*"),
            ("userinfo", "https://user@rp.example/cb"),
            ("user and password", "https://a:b@rp.example/cb"),
            ("control character", "https://rp.example/c\u{0}b"),
            ("newline", "https://rp.example/cb\n"),
            ("code in the query", "https://rp.example/cb?code=1"),
            ("state in the query", "https://rp.example/cb?x=1&state=2"),
            ("iss in the query", "https://rp.example/cb?iss=x"),
            ("error in the query", "https://rp.example/cb?error=x"),
            ("javascript", "javascript:alert(1)"),
            ("data", "data:text/html,hi"),
            ("file", "file:///etc/passwd"),
            ("http to a public host", "http://rp.example/cb"),
            ("https without a host", "https://"),
        ];
        for (case, uri) in refused {
            assert!(check_redirect_uri(uri).is_err(), "{case}: {uri}");
        }
        let accepted = [
            "https://rp.example/cb",
            "https://rp.example/cb?tenant=a",
            "http://localhost:3000/callback",
            "http://127.0.0.1:8080/cb",
            "http://[::1]/cb",
            "com.example.app:/oauth2redirect",
        ];
        for uri in accepted {
            assert!(
                check_redirect_uri(uri).is_ok(),
                "{uri}: {:?}",
                check_redirect_uri(uri)
            );
        }
    }
}
