//! The cost of one signature per algorithm inside the worker, through the one signing
//! interface the token code uses (`crypto::keys::sign_jwt`: WebCrypto for RS256, PS256, ES256
//! and EdDSA, HMAC for HS256), keys imported once per isolate. A Worker's clock does not
//! advance while it computes, so the time is taken from outside: the debug probe signs
//! `COUNT` tokens in one request, and the median of that request's latency minus the median
//! of an empty one (`count: 0`), over `COUNT`, is the cost of one signature.
//! Run with `bash bench/signing.sh`.

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::Instant;

use serde_json::json;

async fn median_ms(app: &common::TestApp, alg: &str, count: u64, rounds: usize) -> f64 {
    let mut times = Vec::new();
    for _ in 0..rounds {
        let t0 = Instant::now();
        let r = app
            .admin()
            .post("/api/v1/debug/sign", &json!({"alg": alg, "count": count}))
            .await;
        assert_eq!(r.status.as_u16(), 200, "sign probe: {}", r.text);
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    times[times.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let count: u64 = std::env::var("COUNT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let app = common::TestApp::spawn().await;
    let mut rows = String::new();
    for alg in ["RS256", "PS256", "ES256", "EdDSA", "HS256"] {
        // Warm up: creates the pool key and imports it into this isolate.
        median_ms(&app, alg, 2, 2).await;
        let empty = median_ms(&app, alg, 0, 9).await;
        let full = median_ms(&app, alg, count, 9).await;
        let per = (full - empty).max(0.0) / count as f64;
        rows.push_str(&format!(
            "| {alg} | {per:.3} | {:.0} |\n",
            if per > 0.0 {
                1000.0 / per
            } else {
                f64::INFINITY
            }
        ));
    }
    let report = format!(
        "# Signature cost inside the worker\n\n{count} signatures per request, median of 9 requests minus an empty one.\n\n\
| alg | ms per signature | signatures/s on one core |\n|---|---|---|\n{rows}\n\
Reference (TOOLCHAIN.md): RS256 ≈ 1.0 ms through WebCrypto, 20–28 ms in pure Rust; ES256 ≈ 0.1–0.2 ms.\n"
    );
    println!("{report}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/results");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("signing.md"), report);
}
