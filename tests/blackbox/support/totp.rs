//! What an authenticator app does with an enrolled secret (RFC 6238: HMAC-SHA-1, 6 digits,
//! 30 s), computed here from the key the enrolment page shows, and the hosted second-factor
//! pages read as a test needs them: the key, the recovery codes, the form's action.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};

use super::browser::{resolve, Outcome};
use super::html::{html_unescape, Form};
use super::worker::Reply;

/// RFC 4648 base32 without padding, as `otpauth://` carries it.
pub fn base32_decode(s: &str) -> Vec<u8> {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut buf, mut bits, mut out) = (0u32, 0u32, Vec::new());
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = A
            .iter()
            .position(|a| *a == c.to_ascii_uppercase())
            .unwrap_or_else(|| panic!("not base32: {s}")) as u32;
        buf = (buf << 5) | v;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
        }
    }
    out
}

pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// The 6-digit code of `secret` (base32) at time `t`.
pub fn code_at(secret: &str, t: u64) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&base32_decode(secret))
        .unwrap_or_else(|e| panic!("hmac key: {e}"));
    mac.update(&(t / 30).to_be_bytes());
    let h = mac.finalize().into_bytes();
    let o = (h[19] & 0x0f) as usize;
    let bin = (u32::from(h[o] & 0x7f) << 24)
        | (u32::from(h[o + 1]) << 16)
        | (u32::from(h[o + 2]) << 8)
        | u32::from(h[o + 3]);
    format!("{:06}", bin % 1_000_000)
}

/// A second-factor page (code, enrolment or recovery codes) where the browser stopped.
pub struct StepPage {
    pub url: String,
    pub reply: Reply,
    pub form: Form,
}

impl StepPage {
    #[track_caller]
    pub fn from(outcome: Outcome) -> StepPage {
        let (url, reply) = match outcome {
            Outcome::Stopped { url, reply } => (url, reply),
            other => panic!("expected a second-factor page, got {}", other.describe()),
        };
        let form = Form::parse(&reply.text)
            .unwrap_or_else(|| panic!("no form at {url}: {}", reply.excerpt()));
        StepPage { url, reply, form }
    }

    pub fn action(&self) -> String {
        resolve(&self.url, &self.form.action)
    }

    /// The key an enrolment page shows (`<code id="totp-secret">`).
    #[track_caller]
    pub fn secret(&self) -> String {
        let t = &self.reply.text;
        let start = t
            .find("id=\"totp-secret\">")
            .unwrap_or_else(|| panic!("no key on the page: {}", self.reply.excerpt()))
            + "id=\"totp-secret\">".len();
        let end = t[start..].find('<').map_or(t.len(), |e| start + e);
        html_unescape(&t[start..end])
    }

    /// The recovery codes a page lists (`<ul class="recovery-codes"><li><code>…`).
    pub fn recovery_codes(&self) -> Vec<String> {
        let t = &self.reply.text;
        let Some(list) = t.find("class=\"recovery-codes\"") else {
            return vec![];
        };
        t[list..]
            .split("<code>")
            .skip(1)
            .filter_map(|p| p.split("</code>").next())
            .map(html_unescape)
            .collect()
    }
}
