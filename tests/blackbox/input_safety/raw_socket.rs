//! Requests the HTTP client would never send, written to a socket byte by byte: a path that is
//! not UTF-8, NULs and raw latin-1 bytes in header values, chunked bodies (one past the form
//! limit without a `Content-Length`, one with a malformed chunk size), folded and colon-less
//! header lines, both framings at once.
//!
//! Judged like the client's requests, with one allowance: when the framing itself is broken,
//! the local runtime (miniflare's entry worker, in front of the worker) may answer its own 500
//! "Network connection lost" — the body stream it hands on fails. The edge refuses such a
//! request before any worker runs, so that answer is the runtime's, not Doorward's.

use std::time::Instant;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::generate::{header_safe, Rng};
use super::requests::Shape;
use super::{Known, DEADLINE};

pub(super) struct RawCase {
    pub label: String,
    pub bytes: Vec<u8>,
    pub shape: Shape,
    /// The HTTP framing is broken (see the module comment).
    pub framing_broken: bool,
}

const TARGETS: &[(&str, Shape)] = &[
    ("/token", Shape::Json),
    ("/token/introspection", Shape::Json),
    ("/me", Shape::Json),
    ("/.well-known/openid-configuration", Shape::Json),
    ("/auth", Shape::Page),
    ("/session/end", Shape::Page),
];

pub(super) fn raw_case(rng: &mut Rng, k: &Known) -> RawCase {
    let issuer_path = url::Url::parse(&k.rp.issuer)
        .map(|u| u.path().to_string())
        .unwrap_or_default();
    let &(target, shape) = rng.pick(TARGETS);
    let path = format!("{issuer_path}{target}");
    let host = format!("Host: {}\r\n", k.origin.trim_start_matches("http://"));
    let form_type = "Content-Type: application/x-www-form-urlencoded\r\n";
    let close = "Connection: close\r\n";
    let form = b"grant_type=password&username=x&password=y";
    let (label, framing_broken, bytes): (&str, bool, Vec<u8>) = match rng.below(8) {
        0 => {
            let line = [
                format!("GET {path}/").as_bytes(),
                b"\xff?a=\xff\xfe\x00&\xc3=1 HTTP/1.1\r\n",
            ]
            .concat();
            let rest = format!("{host}{close}\r\n").into_bytes();
            (
                "a path and query that are not UTF-8",
                false,
                [line, rest].concat(),
            )
        }
        1 => {
            let head = format!("POST {path} HTTP/1.1\r\n{host}{form_type}{close}");
            let bad = b"Authorization: Basic \x00\xe9\xe9\r\nAccept-Language: \xff\xfe\r\n";
            let length = format!("Content-Length: {}\r\n\r\n", form.len());
            let bytes = [head.as_bytes(), bad, length.as_bytes(), form].concat();
            ("a NUL and latin-1 bytes in header values", false, bytes)
        }
        2 => {
            let mut b =
                format!("POST {path} HTTP/1.1\r\n{host}{form_type}Transfer-Encoding: chunked\r\n{close}\r\n")
                    .into_bytes();
            b.extend(b"4\r\npad=\r\n");
            for _ in 0..5 {
                b.extend(format!("{:x}\r\n", 16 * 1024).into_bytes());
                b.extend(vec![b'a'; 16 * 1024]);
                b.extend(b"\r\n");
            }
            b.extend(b"0\r\n\r\n");
            (
                "a chunked form body past 64 KiB without Content-Length",
                false,
                b,
            )
        }
        3 => {
            let b = format!(
                "POST {path} HTTP/1.1\r\n{host}{form_type}Transfer-Encoding: chunked\r\n{close}\r\nzz\r\nabc\r\n0\r\n\r\n"
            );
            ("a malformed chunk size", true, b.into_bytes())
        }
        4 => {
            let b = format!(
                "GET {path} HTTP/1.1\r\n{host}Authorization: Bearer\r\n abc\r\n{close}\r\n"
            );
            ("an obsolete folded header", false, b.into_bytes())
        }
        5 => {
            let big = "b".repeat(20_000);
            let b =
                format!("GET {path} HTTP/1.1\r\n{host}NoColonHere\r\nX-Big: {big}\r\n{close}\r\n");
            (
                "a header line without a colon and a 20 KB header",
                false,
                b.into_bytes(),
            )
        }
        6 => {
            let b = format!(
                "POST {path} HTTP/1.1\r\n{host}{form_type}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n{close}\r\n0\r\n\r\n"
            );
            (
                "both Content-Length and Transfer-Encoding",
                true,
                b.into_bytes(),
            )
        }
        _ => {
            let head = format!("POST {path} HTTP/1.1\r\n{host}{close}").into_bytes();
            let junk = header_safe(rng.bytes(200));
            (
                "random bytes among the headers",
                false,
                [head, junk, b"\r\n\r\n".to_vec()].concat(),
            )
        }
    };
    RawCase {
        label: format!("raw: {label} at {target}"),
        bytes,
        shape,
        framing_broken,
    }
}

/// Sends the bytes and judges the status line and headers of the answer.
pub(super) async fn run_raw(port: u16, case: &RawCase) -> Option<String> {
    let started = Instant::now();
    let exchange = async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        s.write_all(&case.bytes)
            .await
            .map_err(|e| format!("write: {e}"))?;
        let mut out = Vec::new();
        s.read_to_end(&mut out)
            .await
            .map_err(|e| format!("read: {e}"))?;
        Ok::<Vec<u8>, String>(out)
    };
    let out = match tokio::time::timeout(DEADLINE, exchange).await {
        Err(_) => return Some(format!("no answer within {DEADLINE:?}")),
        // A server that closes the connection on a malformed request has refused it.
        Ok(Err(e)) if e.starts_with("read") || e.starts_with("write") => return None,
        Ok(Err(e)) => return Some(e),
        Ok(Ok(out)) if out.is_empty() => return None,
        Ok(Ok(out)) => out,
    };
    let text = String::from_utf8_lossy(&out);
    let cut = |s: &str| s.chars().take(300).collect::<String>();
    let Some(status) = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
    else {
        return Some(format!("not an HTTP answer: {}", cut(&text)));
    };
    let (head, rest) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let lower = head.to_ascii_lowercase();
    if status >= 500 && !(case.framing_broken && rest.contains("Network connection lost")) {
        return Some(format!("answered {status}: {}", cut(rest)));
    }
    if started.elapsed() > DEADLINE {
        return Some(format!("took {:?}", started.elapsed()));
    }
    // The worker's own answers carry nosniff; the runtime's refusals of bad framing do not.
    let from_worker = lower.contains("x-content-type-options: nosniff");
    let json = lower.contains("content-type: application/json");
    if case.shape == Shape::Json && from_worker && (400..500).contains(&status) && !json {
        return Some(format!(
            "answered {status} without a JSON body: {}",
            cut(head)
        ));
    }
    None
}
