//! `/api/v1/audit`: a pool's audit log (`?pool_id=`): the list with its filters and cursor,
//! the export as JSON lines, and the per-hour or per-day counts the console's overview draws.
//! Events hold no secret by construction (`oidc::audit`), so they are served as stored.

use serde_json::{json, Value};
use url::Url;
use worker::{Method, Response};

use super::{invalid, method_not_allowed};
use crate::http::context::Ctx;
use crate::http::respond::{json_no_store, HttpError, HttpResult};
use crate::oidc::audit::DEFAULT_RETENTION_DAYS;
use crate::oidc::audit_query::{
    shape, AuditFilter, StatsQuery, DEFAULT_PAGE, MAX_EXPORT, MAX_PAGE,
};
use crate::oidc::limits::MAX_PARAMS;
use crate::store::audit::{self, AuditCommand, StatsRows};
use crate::store::placement::PoolAt;

/// An export reads the log in pages of this many events.
const EXPORT_PAGE: u32 = 500;

pub async fn route(
    ctx: &Ctx,
    method: Method,
    rest: &[&str],
    url: &Url,
    pool: PoolAt<'_>,
) -> HttpResult {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .take(MAX_PARAMS)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    match (rest, method) {
        ([], Method::Get) => list(ctx, &pairs, pool).await,
        (["export"], Method::Get) => export(ctx, &pairs, url, pool).await,
        (["stats"], Method::Get) => stats(ctx, &pairs, pool).await,
        ([] | ["export"] | ["stats"], _) => method_not_allowed("GET"),
        _ => Err(HttpError::NotFound),
    }
}

async fn list(ctx: &Ctx, pairs: &[(String, String)], pool: PoolAt<'_>) -> HttpResult {
    let PoolAt { id: pool, at } = pool;
    let filter = match AuditFilter::parse(pairs, DEFAULT_PAGE, MAX_PAGE) {
        Ok(f) => f,
        Err(e) => return invalid(e),
    };
    let page = audit::list(&ctx.env, pool, at, filter).await?;
    let retention = ctx
        .kv()?
        .pool(pool)
        .await?
        .map(|p| p.audit_retention_days)
        .unwrap_or(DEFAULT_RETENTION_DAYS);
    json_no_store(
        200,
        &json!({
            "items": page.items,
            "next_cursor": page.next_cursor.map(|c| c.to_string()),
            "pool_id": pool,
            "retention_days": retention,
        }),
    )
}

/// JSON lines (`application/x-ndjson`), newest first, at most `limit` (10,000) events; when
/// more match, a `Link: <…&cursor=…>; rel="next"` header (RFC 8288) continues the export.
async fn export(ctx: &Ctx, pairs: &[(String, String)], url: &Url, pool: PoolAt<'_>) -> HttpResult {
    let PoolAt { id: pool, at } = pool;
    let mut filter = match AuditFilter::parse(pairs, MAX_EXPORT, MAX_EXPORT) {
        Ok(f) => f,
        Err(e) => return invalid(e),
    };
    let mut left = filter.limit;
    let mut body = String::new();
    let mut next = None;
    while left > 0 {
        filter.limit = left.min(EXPORT_PAGE);
        let page = audit::list(&ctx.env, pool, at, filter.clone()).await?;
        left -= page.items.len() as u32;
        for e in &page.items {
            body.push_str(&serde_json::to_string(e).map_err(crate::store::StoreError::from)?);
            body.push('\n');
        }
        next = page.next_cursor;
        match next {
            Some(c) if left > 0 => filter.cursor = Some(c),
            _ => break,
        }
    }
    let headers = worker::Headers::new();
    headers.set("Content-Type", "application/x-ndjson; charset=utf-8")?;
    headers.set("Cache-Control", "no-store")?;
    let file = format!("doorward-audit-{}.jsonl", file_safe(pool));
    headers.set(
        "Content-Disposition",
        &format!("attachment; filename=\"{file}\""),
    )?;
    if let Some(cursor) = next {
        let mut link = url.clone();
        let kept: Vec<(String, String)> = pairs
            .iter()
            .filter(|(k, _)| k != "cursor")
            .cloned()
            .collect();
        link.query_pairs_mut()
            .clear()
            .extend_pairs(kept)
            .append_pair("cursor", &cursor.to_string());
        let target = match link.query() {
            Some(q) => format!("{}?{q}", link.path()),
            None => link.path().to_string(),
        };
        headers.set("Link", &format!("<{target}>; rel=\"next\""))?;
    }
    Ok(Response::ok(body)?.with_headers(headers))
}

/// The pool id as it may appear in a file name.
fn file_safe(pool: &str) -> String {
    pool.chars()
        .map(|c| match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' | '_' => c,
            _ => '_',
        })
        .collect()
}

async fn stats(ctx: &Ctx, pairs: &[(String, String)], pool: PoolAt<'_>) -> HttpResult {
    let PoolAt { id: pool, at } = pool;
    let query = match StatsQuery::parse(pairs, ctx.now) {
        Ok(q) => q,
        Err(e) => return invalid(e),
    };
    let rows: StatsRows = audit::call(&ctx.env, pool, at, AuditCommand::Stats { query }).await?;
    let stats = shape(&query, &rows.counts, &rows.active);
    let mut v = serde_json::to_value(&stats).unwrap_or(Value::Null);
    v["pool_id"] = Value::from(pool);
    json_no_store(200, &v)
}
