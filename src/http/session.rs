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
use crate::store::directory::{Directory, DirectoryCommand, SessionIndex};
use crate::store::grants::{Grants, Kind};

/// How long an SSO session lasts.
pub const SESSION_SECS: u64 = 8 * 3600;

fn cookie_name(pool: &str) -> String {
    format!("dw_session_{pool}")
}

/// The session the request carries, if it is live and of this pool.
pub async fn current(
    ctx: &Ctx,
    req: &Request,
    pool: &str,
) -> Result<Option<SessionRecord>, HttpError> {
    let Some(token) = forms::cookie(req, &cookie_name(pool)) else {
        return Ok(None);
    };
    let rec: Option<SessionRecord> = Grants::new(&ctx.env)
        .get(Kind::Session, &sha256_b64(&token), ctx.now)
        .await?;
    Ok(rec.filter(|r| r.pool_id == pool))
}

/// Starts a new session (ending the one the request carried) and returns the Set-Cookie value.
pub async fn start(
    ctx: &Ctx,
    req: &Request,
    pool: &str,
    user_id: &str,
) -> Result<(SessionRecord, String), HttpError> {
    let grants = Grants::new(&ctx.env);
    if forms::cookie(req, &cookie_name(pool)).is_some() {
        end(ctx, req, pool).await?;
    }
    let token = random::token()?;
    let rec = SessionRecord {
        session_id: random::id()?,
        pool_id: pool.to_string(),
        user_id: user_id.to_string(),
        auth_time: ctx.now,
        expires_at: ctx.now + SESSION_SECS,
    };
    let key_hash = sha256_b64(&token);
    grants
        .put(Kind::Session, &key_hash, &rec, rec.expires_at)
        .await?;
    let index = SessionIndex {
        session_id: rec.session_id.clone(),
        user_id: user_id.to_string(),
        key_hash,
        created_at: ctx.now,
        expires_at: rec.expires_at,
    };
    let _: serde_json::Value = Directory::new(&ctx.env, pool)
        .call(DirectoryCommand::RegisterSession { session: index })
        .await?;
    Ok((
        rec,
        set_cookie(ctx, req, &cookie_name(pool), &token, SESSION_SECS, "/"),
    ))
}

/// Revokes a session by id (console): drops the index row and the session record.
pub async fn revoke(ctx: &Ctx, pool: &str, session_id: &str) -> Result<bool, HttpError> {
    let key_hash: Option<String> = Directory::new(&ctx.env, pool)
        .call(DirectoryCommand::UnregisterSession {
            session_id: session_id.to_string(),
        })
        .await?;
    match key_hash {
        Some(h) => {
            Grants::new(&ctx.env)
                .delete(Kind::session_of_pool(pool), &h)
                .await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Ends the request's session; returns the Set-Cookie that clears it.
pub async fn end(ctx: &Ctx, req: &Request, pool: &str) -> Result<String, HttpError> {
    if let Some(token) = forms::cookie(req, &cookie_name(pool)) {
        let grants = Grants::new(&ctx.env);
        let key_hash = sha256_b64(&token);
        let rec: Option<SessionRecord> = grants.get(Kind::Session, &key_hash, ctx.now).await?;
        grants.delete(Kind::Session, &key_hash).await?;
        if let Some(r) = rec {
            let _: Option<String> = Directory::new(&ctx.env, pool)
                .call(DirectoryCommand::UnregisterSession {
                    session_id: r.session_id,
                })
                .await?;
        }
    }
    Ok(set_cookie(ctx, req, &cookie_name(pool), "", 0, "/"))
}

/// The path part of an issuer: the `Path` of cookies that belong to one application's pages.
pub fn issuer_path(issuer: &str) -> String {
    url::Url::parse(issuer)
        .map(|u| u.path().to_string())
        .unwrap_or_else(|_| "/".into())
}

pub fn set_cookie(
    ctx: &Ctx,
    req: &Request,
    name: &str,
    value: &str,
    max_age: u64,
    path: &str,
) -> String {
    let mut c = format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax");
    if forms::is_https(req) {
        c.push_str("; Secure");
    }
    if let Some(base) = &ctx.settings.base_domain {
        c.push_str(&format!("; Domain=.{base}"));
    }
    c
}
