//! The SSO session cookie: HttpOnly, SameSite=Lax, Secure over https, scoped to the user pool
//! (one cookie name per pool; in subdomain style shared across the base domain so every
//! application of the pool sees it). A new random session id at every sign-in; only the
//! SHA-256 of the cookie is stored, in a `GrantStore` shard.

use worker::Request;

use super::context::Ctx;
use super::forms;
use super::respond::HttpError;
use crate::crypto::random;
use crate::oidc::jws::sha256_b64;
use crate::oidc::records::SessionRecord;
use crate::store::grants::{Grants, Kind};

/// How long an SSO session lasts.
pub const SESSION_SECS: u64 = 8 * 3600;

fn cookie_name(pool: &str) -> String {
    format!("dw_session_{pool}")
}

/// The session the request carries, if it is live and of this pool.
pub async fn current(ctx: &Ctx, req: &Request, pool: &str) -> Result<Option<SessionRecord>, HttpError> {
    let Some(token) = forms::cookie(req, &cookie_name(pool)) else { return Ok(None) };
    let rec: Option<SessionRecord> = Grants::new(&ctx.env).get(Kind::Session, &sha256_b64(&token), ctx.now).await?;
    Ok(rec.filter(|r| r.pool_id == pool))
}

/// Starts a new session (ending the one the request carried) and returns the Set-Cookie value.
pub async fn start(ctx: &Ctx, req: &Request, pool: &str, user_id: &str) -> Result<(SessionRecord, String), HttpError> {
    let grants = Grants::new(&ctx.env);
    if let Some(old) = forms::cookie(req, &cookie_name(pool)) {
        grants.delete(Kind::Session, &sha256_b64(&old)).await?;
    }
    let token = random::token()?;
    let rec = SessionRecord {
        session_id: random::id()?,
        pool_id: pool.to_string(),
        user_id: user_id.to_string(),
        auth_time: ctx.now,
        expires_at: ctx.now + SESSION_SECS,
    };
    grants.put(Kind::Session, &sha256_b64(&token), &rec, rec.expires_at).await?;
    Ok((rec, set_cookie(ctx, req, &cookie_name(pool), &token, SESSION_SECS, "/")))
}

/// Ends the request's session; returns the Set-Cookie that clears it.
pub async fn end(ctx: &Ctx, req: &Request, pool: &str) -> Result<String, HttpError> {
    if let Some(token) = forms::cookie(req, &cookie_name(pool)) {
        Grants::new(&ctx.env).delete(Kind::Session, &sha256_b64(&token)).await?;
    }
    Ok(set_cookie(ctx, req, &cookie_name(pool), "", 0, "/"))
}

pub fn set_cookie(ctx: &Ctx, req: &Request, name: &str, value: &str, max_age: u64, path: &str) -> String {
    let mut c = format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax");
    if forms::is_https(req) {
        c.push_str("; Secure");
    }
    if let Some(base) = &ctx.settings.base_domain {
        c.push_str(&format!("; Domain=.{base}"));
    }
    c
}
