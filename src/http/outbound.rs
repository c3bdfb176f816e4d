//! Fetching a document on a client's behalf (`jwks_uri`, `request_uri`,
//! `sector_identifier_uri`) under the rules of `oidc::outbound`: the URL checked first, no
//! redirects followed, abandoned after `FETCH_TIMEOUT_MS`, refused above `MAX_DOCUMENT_BYTES`.
//! A failure is the caller's protocol error, never a 500.

use std::time::Duration;

use futures_util::future::{select, Either};
use worker::{AbortController, Delay, Fetch, Method, Request, RequestInit, RequestRedirect};

use super::context::Ctx;
use crate::oidc::outbound::{check_fetch_url, FETCH_TIMEOUT_MS, MAX_DOCUMENT_BYTES};

/// Why a document could not be had; the text is safe to show the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchFailed(pub String);

/// GETs `url` and returns its body.
pub async fn fetch_document(ctx: &Ctx, url: &str, accept: &str) -> Result<Vec<u8>, FetchFailed> {
    let local = ctx.settings.base_domain.is_none();
    let url = check_fetch_url(url, local).map_err(FetchFailed)?;
    let failed = |why: &str| FetchFailed(format!("`{url}`: {why}"));
    let mut init = RequestInit::new();
    init.with_method(Method::Get)
        .with_redirect(RequestRedirect::Manual);
    let req = Request::new_with_init(url.as_str(), &init).map_err(|_| failed("bad request"))?;
    let _ = req.headers().set("Accept", accept);
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(req);
    let sent = Box::pin(fetch.send_with_signal(&signal));
    let timeout = Delay::from(Duration::from_millis(FETCH_TIMEOUT_MS));
    let mut resp = match select(sent, timeout).await {
        Either::Left((Ok(r), _)) => r,
        Either::Left((Err(_), _)) => return Err(failed("could not be fetched")),
        Either::Right(_) => {
            controller.abort();
            return Err(failed("took too long to answer"));
        }
    };
    if resp.status_code() != 200 {
        return Err(failed(&format!("answered {}", resp.status_code())));
    }
    let declared = resp
        .headers()
        .get("Content-Length")
        .ok()
        .flatten()
        .and_then(|l| l.parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_DOCUMENT_BYTES) {
        return Err(failed("is too large"));
    }
    let body = resp
        .bytes()
        .await
        .map_err(|_| failed("could not be read"))?;
    if body.len() > MAX_DOCUMENT_BYTES {
        return Err(failed("is too large"));
    }
    Ok(body)
}
