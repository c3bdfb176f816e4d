//! RFC 6238 time-based one-time passwords as authenticator apps compute them: HMAC-SHA-1,
//! 6 digits, 30-second steps, one step of tolerance each way for clock drift (§5.2). The HMAC
//! itself is computed by the caller (WebCrypto in the worker); this file owns the arithmetic
//! around it, the replay rule, the `otpauth://` enrolment URI and its QR code. Runtime-free.

use subtle::ConstantTimeEq;

/// RFC 4226 §4 R6: at least 128 bits, 160 recommended; 20 bytes is what apps expect.
pub const SECRET_LEN: usize = 20;
/// RFC 6238 §5.2: "We RECOMMEND a default time-step size of 30 seconds."
pub const STEP_SECS: u64 = 30;
pub const DIGITS: u32 = 6;
/// RFC 6238 §5.2: "at most one time step is allowed as the network delay".
pub const DRIFT_STEPS: u64 = 1;

/// RFC 6238 §4.2: T = floor((now - T0) / X), T0 = 0.
pub fn step_at(now: u64) -> u64 {
    now / STEP_SECS
}

/// The steps a code is checked against at `now`: the current one and one each way.
pub fn window(now: u64) -> Vec<u64> {
    let t = step_at(now);
    (t.saturating_sub(DRIFT_STEPS)..=t + DRIFT_STEPS).collect()
}

/// RFC 4226 §5.2: the HMAC message is the counter as 8 big-endian bytes.
pub fn message(step: u64) -> [u8; 8] {
    step.to_be_bytes()
}

/// RFC 4226 §5.3 dynamic truncation of an HMAC-SHA-1 value to a `DIGITS`-digit code.
pub fn truncate(mac: &[u8]) -> Option<String> {
    let offset = (*mac.last()? & 0x0f) as usize;
    let b = mac.get(offset..offset + 4)?;
    let bin = (u32::from(b[0] & 0x7f) << 24)
        | (u32::from(b[1]) << 16)
        | (u32::from(b[2]) << 8)
        | u32::from(b[3]);
    Some(format!(
        "{:0width$}",
        bin % 10u32.pow(DIGITS),
        width = DIGITS as usize
    ))
}

/// A code as typed: digits only once spaces are dropped, exactly `DIGITS` of them.
pub fn parse_code(input: &str) -> Option<String> {
    let c: String = input.chars().filter(|c| !c.is_whitespace()).collect();
    (c.len() == DIGITS as usize && c.bytes().all(|b| b.is_ascii_digit())).then_some(c)
}

/// What a presented code is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It matches this step, later than any accepted before: accept and record the step.
    Accepted(u64),
    /// It matches a step already used (or older): the same code, seen twice, is refused.
    Replayed,
    Wrong,
}

/// Compares `code` with the code of each step (`macs[i]` is the HMAC of `steps[i]`), every
/// comparison in constant time and all of them made, then applies the replay guard: only a
/// step after `last_step` is accepted (RFC 6238 §5.2: "the verifier MUST NOT accept the
/// second attempt of the OTP after the successful validation has been issued for the first").
pub fn verify(code: &str, steps: &[u64], macs: &[Vec<u8>], last_step: Option<u64>) -> Verdict {
    let mut matched: Option<u64> = None;
    for (step, mac) in steps.iter().zip(macs) {
        let expected = truncate(mac).unwrap_or_default();
        let equal: bool = expected.as_bytes().ct_eq(code.as_bytes()).into();
        if equal {
            matched = Some(matched.map_or(*step, |m| m.max(*step)));
        }
    }
    match (matched, last_step) {
        (None, _) => Verdict::Wrong,
        (Some(s), Some(last)) if s <= last => Verdict::Replayed,
        (Some(s), _) => Verdict::Accepted(s),
    }
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 §6 base32 without padding: how `otpauth://` URIs carry the secret.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(B32[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(B32[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The key-uri format authenticator apps scan: `otpauth://totp/{issuer}:{account}?…` with
/// the issuer repeated as a parameter, and the algorithm, digits and period stated.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    // A path segment: `+` would be read as itself, so spaces are %20.
    let label = format!("{}:{}", enc(issuer), enc(account)).replace('+', "%20");
    format!(
        "otpauth://totp/{label}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        base32(secret),
        enc(issuer).replace('+', "%20"),
    )
}

/// The URI as an SVG QR code, drawn here so no outside service ever sees the secret.
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(uri, qrcode::EcLevel::M).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .quiet_zone(true)
        .build();
    // Inline in a page: the XML declaration has no place there.
    let start = svg.find("<svg")?;
    svg.get(start..).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;
    use hmac::{Hmac, Mac};

    fn hmac_sha1(key: &[u8], msg: &[u8]) -> Vec<u8> {
        let mut m = Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
        m.update(msg);
        m.finalize().into_bytes().to_vec()
    }

    /// RFC 6238 Appendix B, SHA-1 rows (8 digits there; an app shows the last 6).
    #[test]
    fn rfc_6238_appendix_b_vectors() {
        let key = b"12345678901234567890";
        for (t, eight) in [
            (59u64, "94287082"),
            (1111111109, "07081804"),
            (1111111111, "14050471"),
            (1234567890, "89005924"),
            (2000000000, "69279037"),
            (20000000000, "65353130"),
        ] {
            let mac = hmac_sha1(key, &message(step_at(t)));
            assert_eq!(truncate(&mac).unwrap(), eight.get(2..).unwrap(), "T={t}");
        }
    }

    fn macs(key: &[u8], steps: &[u64]) -> Vec<Vec<u8>> {
        steps.iter().map(|s| hmac_sha1(key, &message(*s))).collect()
    }

    #[test]
    fn a_code_is_accepted_one_step_either_side_and_never_twice() {
        let key = b"12345678901234567890";
        let now = 1111111111;
        let steps = window(now);
        assert_eq!(steps, [step_at(now) - 1, step_at(now), step_at(now) + 1]);
        let m = macs(key, &steps);
        for s in &steps {
            let code = truncate(&hmac_sha1(key, &message(*s))).unwrap();
            assert_eq!(verify(&code, &steps, &m, None), Verdict::Accepted(*s));
            assert_eq!(verify(&code, &steps, &m, Some(*s)), Verdict::Replayed);
        }
        let old = truncate(&hmac_sha1(key, &message(step_at(now) - 2))).unwrap();
        assert_eq!(verify(&old, &steps, &m, None), Verdict::Wrong);
        assert_eq!(verify("000000x", &steps, &m, None), Verdict::Wrong);
        // A code of the next step is refused once the step after it was used.
        let next = truncate(&hmac_sha1(key, &message(step_at(now) + 1))).unwrap();
        assert_eq!(
            verify(&next, &steps, &m, Some(step_at(now) + 2)),
            Verdict::Replayed
        );
    }

    #[test]
    fn codes_are_six_digits_spaces_allowed() {
        assert_eq!(parse_code(" 123 456 ").as_deref(), Some("123456"));
        for bad in ["", "12345", "1234567", "12345a", "١٢٣٤٥٦"] {
            assert_eq!(parse_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn base32_follows_rfc_4648() {
        // RFC 4648 §10 test vectors, padding dropped.
        for (raw, enc) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(raw.as_bytes()), enc);
        }
    }

    #[test]
    fn the_enrolment_uri_names_issuer_account_and_parameters() {
        let uri = otpauth_uri("My Shop", "alice@example.com", b"12345678901234567890");
        assert_eq!(
            uri,
            "otpauth://totp/My%20Shop:alice%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=My%20Shop&algorithm=SHA1&digits=6&period=30"
        );
        let svg = qr_svg(&uri).unwrap();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(!svg.contains("href"), "nothing is fetched");
    }
}
