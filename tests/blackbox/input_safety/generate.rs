//! The fuzz's generator: a seeded xorshift PRNG and the hostile values, parameter lists and
//! bodies it draws. Knows nothing of the endpoints (see `requests`).

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{json, Value};

/// xorshift64* (Vigna): small, fast and good enough to pick test inputs.
pub(super) struct Rng(u64);

impl Rng {
    pub(super) fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub(super) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True `pct` percent of the time.
    pub(super) fn chance(&mut self, pct: u64) -> bool {
        self.next() % 100 < pct
    }

    pub(super) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    pub(super) fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }

    /// 1 to `max` random bytes.
    pub(super) fn some_bytes(&mut self, max: usize) -> Vec<u8> {
        let n = 1 + self.below(max);
        self.bytes(n)
    }
}

pub(super) fn seed() -> u64 {
    match std::env::var("DOORWARD_FUZZ_SEED") {
        Ok(s) => s
            .trim()
            .parse()
            .unwrap_or_else(|e| panic!("DOORWARD_FUZZ_SEED={s:?}: {e}")),
        Err(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    }
}

/// Parameter names the endpoints read, plus a few nobody reads.
#[rustfmt::skip]
pub(super) const NAMES: &[&str] = &[
    "grant_type", "code", "redirect_uri", "client_id", "client_secret", "code_verifier",
    "refresh_token", "scope", "resource", "username", "password", "token", "token_type_hint",
    "access_token", "response_type", "response_mode", "state", "nonce", "prompt", "max_age",
    "login_hint", "id_token_hint", "ui_locales", "code_challenge", "code_challenge_method",
    "claims", "request", "request_uri", "post_logout_redirect_uri", "csrf", "login", "decision",
    "logout", "pool_id", "user_id", "q", "offset", "limit", "x", "", "a[]", "%00",
];

/// A hostile parameter value, as bytes (percent-encoded where it travels in a URL or form).
pub(super) fn value(rng: &mut Rng) -> Vec<u8> {
    let jwtish = |h: Value, c: Value| {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(h.to_string()),
            URL_SAFE_NO_PAD.encode(c.to_string()),
            URL_SAFE_NO_PAD.encode("sig")
        )
    };
    match rng.below(22) {
        0 => Vec::new(),
        1 => format!("v{}", rng.next()).into_bytes(),
        2 => "éééé€😀\u{202e}\u{feff}"
            .repeat(1 + rng.below(8))
            .into_bytes(),
        3 => [0xff, 0xfe, 0xc3, 0x28, 0xa0, 0xa1, 0xe2, 0x28].repeat(1 + rng.below(4)),
        4 => b"a\0b\0\0".to_vec(),
        5 => vec![b'a'; 8 * 1024 + 1 + rng.below(4096)],
        6 => vec![b'z'; 1 + rng.below(2000)],
        7 => b"\r\n\r\nX-Injected: 1\r\n".to_vec(),
        8 => b"../../../../etc/passwd".to_vec(),
        9 => b"<script>alert(1)</script>\"'`".to_vec(),
        10 => b"' OR 1=1; DROP TABLE users; --".to_vec(),
        11 => jwtish(json!({"alg": "none"}), json!({"sub": "x", "aud": "y"})).into_bytes(),
        12 => jwtish(
            json!({"alg": "HS256", "kid": "../".repeat(200), "typ": "JWT"}),
            json!({"iss": 1, "exp": "never", "sid": [1, 2]}),
        )
        .into_bytes(),
        13 => jwtish(json!({"alg": "RS256", "kid": "k".repeat(3000)}), json!("x")).into_bytes(),
        14 => format!("{}.{}", "A".repeat(22), "s".repeat(rng.below(100))).into_bytes(),
        15 => format!("{}..{}", rng.next(), "é").into_bytes(),
        16 => [
            "-1",
            "0",
            "99999999999999999999999",
            "1e309",
            "NaN",
            "true",
            "null",
            "[]",
            "{}",
        ][rng.below(9)]
        .as_bytes()
        .to_vec(),
        17 => rng.some_bytes(64),
        18 => "openid ".repeat(1 + rng.below(2000)).into_bytes(),
        19 => b"https://user@evil.example/*?code=1#f".to_vec(),
        20 => b"%%%%25%zz%".to_vec(),
        _ => b"S256".to_vec(),
    }
}

/// Percent-encodes every byte outside the unreserved set (RFC 3986 §2.3).
pub(super) fn encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (*b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `k=v&k=v...`: random names (repeats included) with hostile values, sometimes thousands.
pub(super) fn pairs(rng: &mut Rng, fixed: &[(&str, String)]) -> String {
    let n = match rng.below(10) {
        0 => 1000 + rng.below(3000),
        1 => 65 + rng.below(30),
        _ => rng.below(12),
    };
    let mut out: Vec<String> = fixed
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k.as_bytes()), encode(v.as_bytes())))
        .collect();
    for _ in 0..n {
        let name = if rng.chance(85) {
            rng.pick(NAMES).as_bytes().to_vec()
        } else {
            value(rng)
        };
        let v = if n > 100 { b"x".to_vec() } else { value(rng) };
        out.push(format!("{}={}", encode(&name), encode(&v)));
    }
    if rng.chance(10) {
        out.push("novalue&&=&==&%".to_string());
    }
    out.join("&")
}

/// `pairs` cut at the last `&` before `max` bytes.
pub(super) fn within(mut q: String, max: usize) -> String {
    if q.len() > max {
        let cut = q.get(..max).and_then(|h| h.rfind('&')).unwrap_or(0);
        q.truncate(cut);
    }
    q
}

/// A hostile JSON value: nested at most `depth` deep.
pub(super) fn json_value(rng: &mut Rng, depth: usize) -> Value {
    match rng.below(if depth == 0 { 5 } else { 8 }) {
        0 => Value::Null,
        1 => json!(rng.chance(50)),
        2 => json!(rng.next() as i64),
        3 => json!(-1.5e300),
        4 => json!(String::from_utf8_lossy(&value(rng))),
        5 => Value::Array(
            (0..rng.below(5))
                .map(|_| json_value(rng, depth - 1))
                .collect(),
        ),
        _ => {
            let mut m = serde_json::Map::new();
            for _ in 0..rng.below(6) {
                let k = rng.pick(ADMIN_FIELDS).to_string();
                m.insert(k, json_value(rng, depth - 1));
            }
            Value::Object(m)
        }
    }
}

/// Fields the admin API's bodies read.
#[rustfmt::skip]
pub(super) const ADMIN_FIELDS: &[&str] = &[
    "name", "subdomain", "redirect_uris", "post_logout_redirect_uris", "grant_types",
    "response_types", "id_token_signed_response_alg", "access_token_signed_response_alg",
    "token_endpoint_auth_method", "require_pkce", "skip_consent", "token_lifetimes",
    "refresh_token_grace_seconds", "token_params_in_query", "permissions", "pool_id", "username",
    "password", "email", "phone_number", "email_verified", "blocked", "custom_attributes",
    "address", "given_name", "id", "branding", "code", "actions", "display_name", "enabled",
    "admin_token", "access_key", "secret_key", "__proto__", "",
];

/// A body for a JSON endpoint or a form endpoint alike: either shape, or neither.
pub(super) fn body(
    rng: &mut Rng,
    form_fixed: &[(&str, String)],
) -> (Option<&'static str>, Vec<u8>) {
    const TYPES: &[&str] = &[
        "application/x-www-form-urlencoded",
        "application/x-www-form-urlencoded; charset=utf-16",
        "application/json",
        "application/json; charset=latin1",
        "text/plain",
        "multipart/form-data; boundary=xyz",
        "application/xml",
        "application/x-www-form-urlencoded, application/json",
        "",
    ];
    let ct = Some(*rng.pick(TYPES));
    let bytes = match rng.below(12) {
        0 => Vec::new(),
        1..=3 => pairs(rng, form_fixed).into_bytes(),
        4 => format!("pad={}", "a".repeat(64 * 1024 + rng.below(8000))).into_bytes(),
        5 => rng.some_bytes(4000),
        6 => json_value(rng, 4).to_string().into_bytes(),
        7 => {
            let full = json!({"name": "x", "subdomain": "y", "redirect_uris": ["https://a/b"],
                "nested": json_value(rng, 3)})
            .to_string();
            let cut = rng.below(full.len());
            full.as_bytes()[..cut].to_vec()
        }
        8 => {
            let depth = 100 + rng.below(60_000);
            let mut s = "[".repeat(depth);
            if rng.chance(50) {
                s.push_str(&"]".repeat(depth));
            }
            s.into_bytes()
        }
        9 => {
            let depth = 200 + rng.below(5000);
            format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth)).into_bytes()
        }
        10 => br#"{"name":"\u0000\ud800","username":"a\u0000b","password":"\udfff"}"#.to_vec(),
        _ => format!(
            "{{\"name\":\"{}\"}}",
            "x".repeat(256 * 1024 + rng.below(1000))
        )
        .into_bytes(),
    };
    (ct, bytes)
}

/// Bytes a header value may hold (no CR, LF or NUL: the client refuses those, the raw
/// socket requests send them).
pub(super) fn header_safe(mut v: Vec<u8>) -> Vec<u8> {
    for b in &mut v {
        if (*b < 0x20 && *b != b'\t') || *b == 0x7f {
            *b = b'x';
        }
    }
    v
}
