//! What Doorward may fetch on a client's behalf (`jwks_uri`, `request_uri`,
//! `sector_identifier_uri`): https only, no user name or password in the URL, never an IP
//! literal in a private, loopback, link-local or otherwise non-public range. In the local
//! configuration (no `BASE_DOMAIN`) plain http to a loopback host is allowed too, so tests can
//! serve these documents themselves. Runtime-free; `http::outbound` does the fetching.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use url::{Host, Url};

/// The largest document fetched (a JWKS, a request object, a sector's redirect list).
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024;
/// How long a fetch may take before it is abandoned.
pub const FETCH_TIMEOUT_MS: u64 = 5_000;

/// The URL to fetch, or why it may not be fetched.
pub fn check_fetch_url(s: &str, local: bool) -> Result<Url, String> {
    let url = Url::parse(s).map_err(|_| format!("`{s}` is not an absolute URL"))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(format!("`{s}` must not carry a user name or password"));
    }
    let loopback = match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err(format!("`{s}` has no host")),
    };
    match url.scheme() {
        "https" => {}
        "http" if local && loopback => return Ok(url),
        _ => return Err(format!("`{s}` must be https")),
    }
    if loopback && !local {
        return Err(format!("`{s}` names this machine"));
    }
    let ip = match url.host() {
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
        _ => None,
    };
    if let Some(ip) = ip {
        if !(is_public(ip) || (local && loopback)) {
            return Err(format!("`{s}` is a private or reserved address"));
        }
    }
    Ok(url)
}

fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        // 100.64.0.0/10, carrier-grade NAT.
        || (a == 100 && (64..128).contains(&b))
        // 198.18.0.0/15, benchmarking; 240.0.0.0/4, reserved.
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local, 2001:db8::/32 documentation.
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first == 0x2001 && ip.segments()[1] == 0x0db8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_is_fetched_and_loopback_http_only_locally() {
        for (url, local, ok) in [
            ("https://rp.example/jwks", false, true),
            ("https://93.184.216.34/jwks", false, true),
            ("http://rp.example/jwks", false, false),
            ("http://rp.example/jwks", true, false),
            ("http://127.0.0.1:9000/jwks", true, true),
            ("http://localhost:9000/jwks", true, true),
            ("http://127.0.0.1:9000/jwks", false, false),
            ("https://localhost/jwks", false, false),
            ("https://10.0.0.1/jwks", false, false),
            ("https://192.168.1.1/jwks", true, false),
            ("https://169.254.169.254/latest/meta-data", false, false),
            ("https://100.64.0.1/", false, false),
            ("https://[fd00::1]/", false, false),
            ("https://[fe80::1]/", false, false),
            ("https://[::ffff:10.0.0.1]/", false, false),
            ("https://user:pw@rp.example/", false, false),
            ("ftp://rp.example/", false, false),
            ("file:///etc/passwd", true, false),
            ("not a url", false, false),
        ] {
            assert_eq!(
                check_fetch_url(url, local).is_ok(),
                ok,
                "{url} local={local}"
            );
        }
    }
}
