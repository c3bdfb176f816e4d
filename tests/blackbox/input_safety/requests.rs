//! The fuzz's requests through the HTTP client: the endpoint table, and a request drawn for one
//! endpoint — hostile query, headers and body, with just enough real values (the application's
//! client id and credentials, a pending sign-in, the admin token) to get past the first check.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::header::{HeaderName, HeaderValue};
use reqwest::Method;

use super::generate::{body, encode, header_safe, pairs, value, within, Rng};
use super::{Known, MAX_QUERY};

/// Whether the endpoint answers its errors as JSON (the hosted pages answer HTML).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Shape {
    Json,
    Page,
}

/// One request to send.
pub(super) struct Spec {
    pub label: &'static str,
    pub method: Method,
    /// Absolute URL on the loopback origin (path-style issuers), query included.
    pub url: String,
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub body: Option<Vec<u8>>,
    pub shape: Shape,
}

/// What the run may still spend on answers that lock things (see `WRONG_ADMIN_TOKENS` and
/// `FAILED_SIGN_INS`).
pub(super) struct Budgets {
    pub wrong_admin_tokens: u32,
    pub failed_sign_ins: u32,
}

/// (label, method, path template, shape). `{issuer}` and `{origin}` are the issuer and the
/// console origin; `{app}`, `{user}` and `{uid}` are the spare application, the spare user and
/// the pending sign-in, or a hostile segment; `{seg}` is always a hostile segment. Repeated rows
/// weigh more.
#[rustfmt::skip]
const ENDPOINTS: &[(&str, &str, &str, Shape)] = &[
    ("discovery", "GET", "{issuer}/.well-known/openid-configuration", Shape::Json),
    ("jwks", "GET", "{issuer}/.well-known/jwks.json", Shape::Json),
    ("auth", "GET", "{issuer}/auth", Shape::Page),
    ("auth", "GET", "{issuer}/auth", Shape::Page),
    ("auth", "POST", "{issuer}/auth", Shape::Page),
    ("token", "POST", "{issuer}/token", Shape::Json),
    ("token", "POST", "{issuer}/token", Shape::Json),
    ("token", "POST", "{issuer}/token", Shape::Json),
    ("token", "POST", "{issuer}/token", Shape::Json),
    ("me", "GET", "{issuer}/me", Shape::Json),
    ("me", "POST", "{issuer}/me", Shape::Json),
    ("introspection", "POST", "{issuer}/token/introspection", Shape::Json),
    ("revocation", "POST", "{issuer}/token/revocation", Shape::Json),
    ("logout", "GET", "{issuer}/session/end", Shape::Page),
    ("logout", "POST", "{issuer}/session/end", Shape::Page),
    ("logout confirm", "POST", "{issuer}/session/end/confirm", Shape::Page),
    ("interaction", "GET", "{issuer}/interaction/{uid}", Shape::Page),
    ("interaction login", "POST", "{issuer}/interaction/{uid}/login", Shape::Page),
    ("interaction consent", "POST", "{issuer}/interaction/{uid}/consent", Shape::Page),
    ("admin", "GET", "{origin}/api/v1/applications", Shape::Json),
    ("admin", "POST", "{origin}/api/v1/applications", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/applications/{app}", Shape::Json),
    ("admin", "PATCH", "{origin}/api/v1/applications/{app}", Shape::Json),
    ("admin", "DELETE", "{origin}/api/v1/applications/{app}", Shape::Json),
    ("admin", "POST", "{origin}/api/v1/applications/{app}/secret", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/users", Shape::Json),
    ("admin", "POST", "{origin}/api/v1/users", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/users/{user}", Shape::Json),
    ("admin", "PATCH", "{origin}/api/v1/users/{user}", Shape::Json),
    ("admin", "DELETE", "{origin}/api/v1/users/{user}", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/users/{user}/lock", Shape::Json),
    ("admin", "DELETE", "{origin}/api/v1/users/{user}/lock", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/users/{user}/consents", Shape::Json),
    ("admin", "DELETE", "{origin}/api/v1/users/{user}/consents/{app}", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/resources", Shape::Json),
    ("admin", "POST", "{origin}/api/v1/resources", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/resources/{seg}", Shape::Json),
    ("admin", "DELETE", "{origin}/api/v1/resources/{seg}", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/access-accounts", Shape::Json),
    ("admin", "POST", "{origin}/api/v1/access-accounts", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/access-accounts/{seg}", Shape::Json),
    ("admin", "PATCH", "{origin}/api/v1/access-accounts/{seg}", Shape::Json),
    ("admin", "DELETE", "{origin}/api/v1/access-accounts/{seg}", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/keys", Shape::Json),
    ("admin", "POST", "{origin}/api/v1/keys/rotate", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/sessions", Shape::Json),
    ("admin", "DELETE", "{origin}/api/v1/sessions/{seg}", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/pools", Shape::Json),
    ("admin", "POST", "{origin}/api/v1/pools", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/pools/{seg}", Shape::Json),
    ("admin", "PATCH", "{origin}/api/v1/pools/{seg}", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/audit", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/audit/export", Shape::Json),
    ("admin", "GET", "{origin}/api/v1/audit/stats", Shape::Json),
    ("console setup", "POST", "{origin}/api/v1/console/setup", Shape::Json),
    ("console login", "POST", "{origin}/api/v1/console/login", Shape::Json),
    ("console", "GET", "{origin}/api/v1/console/me", Shape::Json),
    ("console", "GET", "{origin}/api/v1/console/status", Shape::Json),
    ("console", "POST", "{origin}/api/v1/console/logout", Shape::Json),
];

/// Path segments that are not ids: bytes that are not UTF-8 or not ASCII, traversal, a NUL,
/// one longer than any store key.
fn hostile_segment(rng: &mut Rng) -> String {
    match rng.below(6) {
        0 => "x".into(),
        1 => encode(&[0xff, 0xfe]),
        2 => encode("é".as_bytes()),
        3 => "..%2F..%2F".into(),
        4 => "a".repeat(600),
        _ => "%00".into(),
    }
}

/// Draws one request.
pub(super) fn spec(rng: &mut Rng, k: &Known, budgets: &mut Budgets) -> Spec {
    let (label, method, template, shape) = loop {
        let &row = rng.pick(ENDPOINTS);
        // A setup call without the right admin token counts toward the lock too.
        if row.0 != "console setup" || budgets.wrong_admin_tokens > 0 {
            break row;
        }
    };
    let fill = |real: &str, rng: &mut Rng, pct: u64| {
        if rng.chance(pct) {
            real.to_string()
        } else {
            hostile_segment(rng)
        }
    };
    let uid = fill(&k.uid, rng, 60);
    let url = template
        .replace("{issuer}", &k.rp.issuer)
        .replace("{origin}", &k.origin)
        .replace("{app}", &fill(&k.spare_app.client_id, rng, 50))
        .replace("{user}", &fill(&k.spare_user.id, rng, 50))
        .replace("{uid}", &uid)
        .replace("{seg}", &fill("", rng, 0));
    let admin = url.starts_with(&format!("{}/api/v1/", k.origin));
    let mut method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
    if rng.chance(5) {
        method = rng
            .pick(&[
                Method::PUT,
                Method::DELETE,
                Method::PATCH,
                Method::HEAD,
                Method::OPTIONS,
            ])
            .clone();
    }

    // Parameters with meaning for the endpoint, so a request reaches past its first check.
    let mut fixed: Vec<(&str, String)> = Vec::new();
    let mut real_client = false;
    if rng.chance(60) {
        match label {
            "auth" => {
                fixed.push(("client_id", k.rp.client_id.clone()));
                fixed.push(("redirect_uri", k.rp.redirect_uri.clone()));
                let types = ["code", "id_token", "code id_token token", "token", "x"];
                fixed.push(("response_type", rng.pick(&types).to_string()));
                let scopes = ["openid", "openid offline_access", "", "profile"];
                fixed.push(("scope", rng.pick(&scopes).to_string()));
            }
            "token" => {
                let grant = *rng.pick(&[
                    "authorization_code",
                    "refresh_token",
                    "password",
                    "client_credentials",
                    "implicit",
                    "urn:ietf:params:oauth:grant-type:jwt-bearer",
                    "",
                ]);
                real_client = rng.chance(50);
                // A password grant by the real client is a password check that may fail.
                if grant == "password" && real_client {
                    real_client = budgets.failed_sign_ins > 0;
                    budgets.failed_sign_ins = budgets.failed_sign_ins.saturating_sub(1);
                }
                fixed.push(("grant_type", grant.to_string()));
            }
            "logout" => fixed.push(("post_logout_redirect_uri", k.post_logout_uri.clone())),
            "interaction login" | "interaction consent"
                if uid == k.uid && budgets.failed_sign_ins > 0 =>
            {
                budgets.failed_sign_ins -= 1;
                fixed.push(("csrf", k.interaction_csrf.clone()));
                fixed.push(("login", format!("nobody-{}", rng.next())));
            }
            _ => {}
        }
    }

    let mut url = url;
    if rng.chance(50) {
        let in_query = if method == Method::GET {
            fixed.clone()
        } else {
            Vec::new()
        };
        url = format!("{url}?{}", within(pairs(rng, &in_query), MAX_QUERY));
    } else if admin && rng.chance(30) {
        url = format!("{url}?pool_id={}", encode(&value(rng)));
    }

    let mut headers = Vec::new();
    let mut push = |name: &'static str, v: Vec<u8>| {
        if let Ok(v) = HeaderValue::from_bytes(&header_safe(v)) {
            headers.push((HeaderName::from_static(name), v));
        }
    };
    if admin {
        // Every wrong admin token counts toward the address's lock, and so does every setup
        // call without the right one; the budget keeps the lock away.
        let counted = label == "console setup" || !label.starts_with("console");
        if counted && budgets.wrong_admin_tokens > 0 && rng.chance(15) {
            budgets.wrong_admin_tokens -= 1;
            push("authorization", hostile_authorization(rng, k));
        } else if label == "console setup" {
            budgets.wrong_admin_tokens = budgets.wrong_admin_tokens.saturating_sub(1);
        } else if counted {
            push(
                "authorization",
                format!("Bearer {}", k.admin_token).into_bytes(),
            );
        } else if rng.chance(30) {
            push("authorization", hostile_authorization(rng, k));
        }
        if rng.chance(20) {
            push("x-csrf-token", value(rng));
        }
    } else if real_client {
        let basic = STANDARD.encode(format!("{}:{}", k.rp.client_id, k.rp.client_secret));
        push("authorization", format!("Basic {basic}").into_bytes());
    } else if rng.chance(50) {
        push("authorization", hostile_authorization(rng, k));
    }
    if rng.chance(40) {
        push("cookie", hostile_cookie(rng, k));
    }
    for (name, pct) in [
        ("accept-language", 25),
        ("cf-connecting-ip", 15),
        ("origin", 10),
    ] {
        if rng.chance(pct) {
            push(name, value(rng));
        }
    }
    if rng.chance(10) {
        push("content-encoding", b"gzip".to_vec());
    }

    let mut sent = None;
    if method != Method::GET && method != Method::HEAD && rng.chance(85) {
        let (content_type, bytes) = body(rng, &fixed);
        if let Some(ct) = content_type.filter(|c| !c.is_empty()) {
            push("content-type", ct.as_bytes().to_vec());
        }
        sent = Some(bytes);
    }
    Spec {
        label,
        method,
        url,
        headers,
        body: sent,
        shape,
    }
}

fn hostile_authorization(rng: &mut Rng, k: &Known) -> Vec<u8> {
    match rng.below(9) {
        0 => [b"a".as_slice(), "éééé".as_bytes()].concat(),
        1 => [b"Basic ".as_slice(), "é".repeat(10).as_bytes()].concat(),
        2 => [b"Bearer ".as_slice(), &value(rng)].concat(),
        3 => format!("Basic {}", STANDARD.encode(rng.some_bytes(40))).into_bytes(),
        4 => format!("Basic {}", STANDARD.encode(b":")).into_bytes(),
        5 => b"Basic".to_vec(),
        6 => format!("Bearer {}", "t".repeat(9000)).into_bytes(),
        7 => {
            let creds = [k.rp.client_id.as_bytes(), b":\xff\xfe"].concat();
            format!("Basic {}", STANDARD.encode(creds)).into_bytes()
        }
        _ => rng.some_bytes(30),
    }
}

fn hostile_cookie(rng: &mut Rng, k: &Known) -> Vec<u8> {
    match rng.below(5) {
        0 => format!("dw_interaction={}", k.interaction_cookie).into_bytes(),
        1 => [b"dw_session_default=".as_slice(), &value(rng)].concat(),
        2 => "a=b; ".repeat(1 + rng.below(500)).into_bytes(),
        3 => format!("dw_admin={}; dw_logout=x", "c".repeat(rng.below(5000))).into_bytes(),
        _ => value(rng),
    }
}
