//! Documents the test itself serves to the worker, on a loopback port: what a client publishes
//! for Doorward to fetch on its behalf (a sector identifier document, OIDC Registration §5).
//! The local configuration lets the worker fetch plain http from loopback only, so this is all
//! it takes. Depends on nothing else in `support`.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// A document served at `url` until this value is dropped.
pub struct Served {
    pub url: String,
    hits: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Served {
    /// How many requests the document has answered.
    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Serves `body` as `content_type` with `status` at `http://127.0.0.1:{port}{path}` (any path
/// answers the same: the test only hands out the one URL).
pub async fn serve(path: &str, status: u16, content_type: &str, body: String) -> Served {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .unwrap_or_else(|e| panic!("binding a document port: {e}"));
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("document port: {e}"));
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let task = tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let answer = format!("{head}{body}");
            tokio::spawn(async move {
                // Read the request head (it is small); the answer does not depend on it.
                let mut buf = vec![0u8; 8192];
                let mut seen = Vec::new();
                while let Ok(n) = socket.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    seen.extend_from_slice(&buf[..n]);
                    if seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    Served {
        url: format!("http://127.0.0.1:{port}{path}"),
        hits,
        task,
    }
}

/// A sector identifier document (OIDC Registration §5): the JSON list of `redirect_uris`.
pub async fn sector_document(redirect_uris: &[&str]) -> Served {
    let body = serde_json::to_string(redirect_uris).unwrap_or_else(|e| panic!("{e}"));
    serve("/sector.json", 200, "application/json", body).await
}
