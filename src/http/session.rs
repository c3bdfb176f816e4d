//! The SSO session cookie: HttpOnly, SameSite=Lax, Secure over https, scoped to the user pool
//! (one cookie name per pool; in subdomain style shared across the base domain so every
//! application of the pool sees it). A new random session id at every sign-in; only the
//! SHA-256 of the cookie is stored.
//!
//! Where: a session started since this release is held by the pool's `UserDirectory`, in its
//! index row (`objects::user_directory::sessions`), so the sign-in's last directory call stores
//! it and a signed-in request reads it from the object it asks about the user anyway. Its
//! cookie has [`DIRECTORY_COOKIE_LEN`] characters. A cookie of any other length (44 or 43: the
//! releases before) names a record in a `GrantStore` shard, read, stepped up and ended there
//! until it expires.

use worker::Request;

use super::context::Ctx;
use super::forms;
use super::respond::HttpError;
use crate::crypto::random;
use crate::oidc::acr::{self, Authentication};
use crate::oidc::records::SessionRecord;
use crate::store::directory::{
    Directory, DirectoryCommand, EndedSession, SessionAndUser, SessionIndex, UserAndConsent,
};
use crate::store::grants::{Grants, Kind};
use crate::store::placement::PoolAt;
use crate::store::shards::token_key;

/// How long an SSO session lasts.
pub const SESSION_SECS: u64 = 8 * 3600;

/// Length of the cookies of sessions the pool's directory holds (`random::session_token`).
pub const DIRECTORY_COOKIE_LEN: usize = 46;

/// Which store holds the session a cookie names, and its key there (the cookie's hash).
enum Held {
    Directory(String),
    Shard(String),
}

fn held(token: &str) -> Held {
    let key_hash = token_key(token);
    if token.len() == DIRECTORY_COOKIE_LEN {
        Held::Directory(key_hash)
    } else {
        Held::Shard(key_hash)
    }
}

fn cookie_name(pool: &str) -> String {
    format!("dw_session_{pool}")
}

/// The session the request carries, if it is live and of this pool.
pub async fn current(
    ctx: &Ctx,
    req: &Request,
    pool: PoolAt<'_>,
) -> Result<Option<SessionRecord>, HttpError> {
    let PoolAt { id: pool, at } = pool;
    let Some(token) = forms::cookie(req, &cookie_name(pool)) else {
        return Ok(None);
    };
    let rec: Option<SessionRecord> = match held(&token) {
        Held::Directory(key_hash) => {
            Directory::new(&ctx.env, pool, at)
                .call(DirectoryCommand::GetSession {
                    key_hash,
                    now: ctx.now,
                })
                .await?
        }
        Held::Shard(key_hash) => {
            Grants::new(&ctx.env, at)
                .get(Kind::Session, &key_hash, ctx.now)
                .await?
        }
    };
    Ok(rec.filter(|r| r.pool_id == pool))
}

/// Whether the request carries a session cookie of this pool (live or not).
pub fn carried(req: &Request, pool: &str) -> bool {
    forms::cookie(req, &cookie_name(pool)).is_some()
}

/// The session the request carries and, for one the directory holds, its user's consent for
/// `client_id` and (when `factors`) their factors, read in the same call — what a signed-in
/// `/auth` needs (`authorization::finish`). `None` for the user part means "not read".
pub async fn current_with_user(
    ctx: &Ctx,
    req: &Request,
    pool: PoolAt<'_>,
    client_id: &str,
    factors: bool,
) -> Result<(Option<SessionRecord>, Option<UserAndConsent>), HttpError> {
    let PoolAt { id: pool_id, at } = pool;
    let Some(token) = forms::cookie(req, &cookie_name(pool_id)) else {
        return Ok((None, None));
    };
    match held(&token) {
        Held::Directory(key_hash) => {
            let both: SessionAndUser = Directory::new(&ctx.env, pool_id, at)
                .call(DirectoryCommand::GetSessionAndUser {
                    key_hash,
                    now: ctx.now,
                    client_id: client_id.to_string(),
                    factors,
                })
                .await?;
            match both.session.filter(|r| r.pool_id == pool_id) {
                Some(r) => Ok((Some(r), both.found)),
                None => Ok((None, None)),
            }
        }
        Held::Shard(_) => Ok((current(ctx, req, pool).await?, None)),
    }
}

/// Starts a new session (ending the one the request carried) and returns the Set-Cookie value.
pub async fn start(
    ctx: &Ctx,
    req: &Request,
    pool_at: PoolAt<'_>,
    user_id: &str,
    amr: &[String],
) -> Result<(SessionRecord, String), HttpError> {
    let now = Authentication {
        at: ctx.now,
        amr: amr.to_vec(),
    };
    start_with(ctx, req, pool_at, user_id, vec![now]).await
}

/// A session minted before it is known whom it is for: the login page mints it before the
/// password is checked, so the check's last directory call indexes it (`Seed::index`,
/// `sign_in::check_password`) instead of a call of its own; `open` stores it.
pub struct Seed {
    token: String,
    session_id: String,
    key_hash: String,
    created_at: u64,
}

impl Seed {
    pub fn new(ctx: &Ctx) -> Result<Seed, HttpError> {
        let token = random::session_token()?;
        Ok(Seed {
            key_hash: token_key(&token),
            token,
            session_id: random::id()?,
            created_at: ctx.now,
        })
    }

    /// The session, once it is `user_id`'s of `pool`, authenticated so.
    pub fn record(
        &self,
        pool: &str,
        user_id: &str,
        authentications: Vec<Authentication>,
    ) -> SessionRecord {
        SessionRecord {
            session_id: self.session_id.clone(),
            pool_id: pool.to_string(),
            user_id: user_id.to_string(),
            auth_time: self.created_at,
            expires_at: self.created_at + SESSION_SECS,
            authentications,
        }
    }

    /// The directory's row of this session, holding `record` (`Seed::record`).
    pub fn index(&self, record: SessionRecord) -> SessionIndex {
        SessionIndex {
            session_id: self.session_id.clone(),
            user_id: record.user_id.clone(),
            key_hash: self.key_hash.clone(),
            created_at: self.created_at,
            expires_at: record.expires_at,
            record: Some(record),
        }
    }
}

/// Starts a new session that keeps earlier authentications too (a password changed on the
/// account page starts a new session, and the second factor given before still stands).
pub async fn start_with(
    ctx: &Ctx,
    req: &Request,
    pool_at: PoolAt<'_>,
    user_id: &str,
    authentications: Vec<Authentication>,
) -> Result<(SessionRecord, String), HttpError> {
    open(
        ctx,
        req,
        pool_at,
        Seed::new(ctx)?,
        false,
        user_id,
        authentications,
    )
    .await
}

/// Stores a minted session for `user_id` in the pool's directory (ending the one the request
/// carried) unless the directory holds it already (`indexed`: stored by the call that ended
/// the sign-in's attempt, `Seed::index`); returns the record and the Set-Cookie value.
pub async fn open(
    ctx: &Ctx,
    req: &Request,
    pool_at: PoolAt<'_>,
    seed: Seed,
    indexed: bool,
    user_id: &str,
    authentications: Vec<Authentication>,
) -> Result<(SessionRecord, String), HttpError> {
    let PoolAt { id: pool, at } = pool_at;
    if forms::cookie(req, &cookie_name(pool)).is_some() {
        end(ctx, req, pool_at).await?;
    }
    let rec = seed.record(pool, user_id, authentications);
    if !indexed {
        let _: serde_json::Value = Directory::new(&ctx.env, pool, at)
            .call(DirectoryCommand::RegisterSession {
                session: seed.index(rec.clone()),
            })
            .await?;
    }
    Ok((
        rec,
        set_cookie(
            ctx,
            &cookie_name(pool),
            &seed.token,
            SESSION_SECS,
            "/",
            CookieScope::Pool,
        ),
    ))
}

/// Adds an authentication to the request's session (a step-up by a second factor: no new
/// session, the cookie stays), if the session is live and the user's. `None` otherwise.
pub async fn step_up(
    ctx: &Ctx,
    req: &Request,
    pool: PoolAt<'_>,
    user_id: &str,
    authn: Authentication,
) -> Result<Option<SessionRecord>, HttpError> {
    let PoolAt { id: pool, at } = pool;
    let Some(token) = forms::cookie(req, &cookie_name(pool)) else {
        return Ok(None);
    };
    let key_hash = match held(&token) {
        Held::Directory(key_hash) => {
            let rec: Option<SessionRecord> = Directory::new(&ctx.env, pool, at)
                .call(DirectoryCommand::AddAuthentication {
                    key_hash,
                    user_id: user_id.to_string(),
                    authentication: authn,
                    now: ctx.now,
                })
                .await?;
            return Ok(rec.filter(|r| r.pool_id == pool));
        }
        Held::Shard(key_hash) => key_hash,
    };
    let grants = Grants::new(&ctx.env, at);
    let rec: Option<SessionRecord> = grants.get(Kind::Session, &key_hash, ctx.now).await?;
    let Some(mut rec) = rec.filter(|r| r.pool_id == pool && r.user_id == user_id) else {
        return Ok(None);
    };
    let mut list = rec.authentications();
    acr::remember(&mut list, authn);
    rec.authentications = list;
    grants
        .put(Kind::Session, &key_hash, &rec, rec.expires_at)
        .await?;
    Ok(Some(rec))
}

/// Revokes a session by id (console, account page): drops its row, and with it the record
/// the directory held, or the record in its `GrantStore` shard.
pub async fn revoke(ctx: &Ctx, pool: PoolAt<'_>, session_id: &str) -> Result<bool, HttpError> {
    let PoolAt { id: pool, at } = pool;
    let ended: EndedSession = Directory::new(&ctx.env, pool, at)
        .call(DirectoryCommand::EndSession {
            session_id: session_id.to_string(),
        })
        .await?;
    if let Some(h) = &ended.grant_key {
        Grants::new(&ctx.env, at)
            .delete(Kind::session_of_pool(pool), h)
            .await?;
    }
    Ok(ended.found)
}

/// Ends the request's session; returns the Set-Cookie that clears it and whose session it
/// was, if one was live.
pub async fn end(
    ctx: &Ctx,
    req: &Request,
    pool: PoolAt<'_>,
) -> Result<(String, Option<String>), HttpError> {
    let PoolAt { id: pool, at } = pool;
    let mut ended = None;
    if let Some(token) = forms::cookie(req, &cookie_name(pool)) {
        let dir = Directory::new(&ctx.env, pool, at);
        match held(&token) {
            Held::Directory(key_hash) => {
                ended = dir
                    .call(DirectoryCommand::EndSessionByKey { key_hash })
                    .await?;
            }
            Held::Shard(key_hash) => {
                let grants = Grants::new(&ctx.env, at);
                let rec: Option<SessionRecord> =
                    grants.get(Kind::Session, &key_hash, ctx.now).await?;
                grants.delete(Kind::Session, &key_hash).await?;
                if let Some(r) = rec {
                    let _: Option<String> = dir
                        .call(DirectoryCommand::UnregisterSession {
                            session_id: r.session_id,
                        })
                        .await?;
                    ended = Some(r.user_id);
                }
            }
        }
    }
    let clear = set_cookie(ctx, &cookie_name(pool), "", 0, "/", CookieScope::Pool);
    Ok((clear, ended))
}

/// The path part of an issuer: the `Path` of cookies that belong to one application's pages.
pub fn issuer_path(issuer: &str) -> String {
    url::Url::parse(issuer)
        .map(|u| u.path().to_string())
        .unwrap_or_else(|_| "/".into())
}

/// Who may see a cookie.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieScope {
    /// Every application of the pool: in subdomain style, the whole base domain (the SSO
    /// session, which is what single sign-on shares).
    Pool,
    /// Only the host that set it (CSRF cookies of one page of one tenant).
    Host,
}

pub fn set_cookie(
    ctx: &Ctx,
    name: &str,
    value: &str,
    max_age: u64,
    path: &str,
    scope: CookieScope,
) -> String {
    let mut c = format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax");
    if ctx.https() {
        c.push_str("; Secure");
    }
    if let (CookieScope::Pool, Some(base)) = (scope, &ctx.settings.base_domain) {
        c.push_str(&format!("; Domain=.{base}"));
    }
    c
}

/// A CSRF cookie's name: over https with the `__Host-` prefix, which browsers accept only
/// from that very host, Secure, with `Path=/` and no `Domain` — so no sibling subdomain can
/// plant or overwrite it. Plain http (local development) cannot carry the prefix.
pub fn csrf_cookie_name(ctx: &Ctx, base: &str) -> String {
    if ctx.https() {
        format!("__Host-{base}")
    } else {
        base.to_string()
    }
}

/// Sets a CSRF cookie scoped to this host (and, over plain http, to the issuer's path).
pub fn set_csrf_cookie(ctx: &Ctx, base: &str, value: &str, max_age: u64, issuer: &str) -> String {
    let path = if ctx.https() {
        "/".to_string()
    } else {
        issuer_path(issuer)
    };
    set_cookie(
        ctx,
        &csrf_cookie_name(ctx, base),
        value,
        max_age,
        &path,
        CookieScope::Host,
    )
}
