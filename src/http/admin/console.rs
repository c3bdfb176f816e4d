//! The web console's sign-in (`/api/v1/console/...`). Administrators are users of the
//! reserved `__admins` pool; the first one is created with the `ADMIN_TOKEN`. A signed-in
//! console holds an HttpOnly, SameSite=Strict cookie and sends the session's CSRF token in an
//! `X-CSRF-Token` header on every API call, so another site can neither read nor forge calls.

use serde_json::{json, Value};
use subtle::ConstantTimeEq;
use worker::{Method, Request, Response};

use super::{body, conflict, invalid};
use crate::crypto::{password, random};
use crate::http::api_error::AdminError;
use crate::http::context::Ctx;
use crate::http::forms;
use crate::http::respond::{json, json_no_store, HttpError, HttpResult};
use crate::http::sign_in::{check_password, PasswordCheck, Via};
use crate::oidc::audit::{Action, Target};
use crate::oidc::model::User;
use crate::oidc::registration::{check_user_fields, FieldErrors};
use crate::store::directory::{Directory, DirectoryCommand, SessionIndex, UserPage, WriteOutcome};
use crate::store::grants::{Grants, Kind};
use crate::store::placement::{Placement, PoolAt};
use crate::store::shards::token_key;

pub use crate::oidc::model::ADMIN_POOL;
const COOKIE: &str = "dw_admin";
const SESSION_SECS: u64 = 8 * 3600;

#[derive(serde::Serialize, serde::Deserialize)]
pub struct AdminSession {
    pub username: String,
    pub csrf: String,
    /// The administrator's user id. Sessions written before it was recorded carry none and
    /// are no longer accepted: the administrator signs in again.
    #[serde(default)]
    pub user_id: Option<String>,
    /// Its row in the administrators' session index.
    #[serde(default)]
    pub session_id: Option<String>,
}

/// The console session of a request, if its cookie is live and its administrator still
/// exists and is not blocked — checked on every request, so a block, a deletion or a password
/// reset (which also ends the indexed sessions) takes effect at once.
pub async fn current(ctx: &Ctx, req: &Request) -> Result<Option<AdminSession>, HttpError> {
    let Some(token) = forms::cookie(req, COOKIE) else {
        return Ok(None);
    };
    let session: Option<AdminSession> = Grants::new(&ctx.env, Placement::GLOBAL)
        .get(Kind::AdminSession, &token_key(&token), ctx.now)
        .await?;
    let Some(session) = session else {
        return Ok(None);
    };
    let Some(user_id) = session.user_id.as_deref() else {
        return Ok(None);
    };
    let admin = Directory::new(&ctx.env, ADMIN_POOL, Placement::GLOBAL)
        .user(user_id)
        .await?;
    Ok(admin.filter(|a| !a.blocked).map(|_| session))
}

/// Cookie plus a matching `X-CSRF-Token` header: the administrator's username.
pub async fn authorized(ctx: &Ctx, req: &Request) -> Result<Option<String>, HttpError> {
    let Some(s) = current(ctx, req).await? else {
        return Ok(None);
    };
    let sent = req
        .headers()
        .get("X-CSRF-Token")
        .ok()
        .flatten()
        .unwrap_or_default();
    let ok = !sent.is_empty() && bool::from(sent.as_bytes().ct_eq(s.csrf.as_bytes()));
    Ok(ok.then_some(s.username))
}

fn cookie(ctx: &Ctx, value: &str, max_age: u64) -> String {
    let secure = if ctx.https() { "; Secure" } else { "" };
    format!("{COOKIE}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}")
}

async fn initialized(ctx: &Ctx) -> Result<bool, HttpError> {
    let page: UserPage = Directory::new(&ctx.env, ADMIN_POOL, Placement::GLOBAL)
        .call(DirectoryCommand::ListUsers {
            q: None,
            offset: 0,
            limit: 1,
        })
        .await?;
    Ok(page.total > 0)
}

pub async fn route(ctx: &Ctx, mut req: Request, method: Method, rest: &[&str]) -> HttpResult {
    match (rest, method) {
        (["status"], Method::Get) => json(200, &json!({"initialized": initialized(ctx).await?})),
        (["setup"], Method::Post) => {
            let b = body(&mut req).await?;
            let token = b["admin_token"].as_str().unwrap_or("");
            if !super::admin_token_presented(ctx, &req, token).await? {
                return Err(AdminError::Unauthorized("the admin token is wrong").into());
            }
            if initialized(ctx).await? {
                return conflict("admin_token", "the console's first administrator");
            }
            let username = b["username"].as_str().unwrap_or("").to_string();
            let pw = b["password"].as_str().unwrap_or("").to_string();
            let errs = check_user_fields(Some(&username), Some(&pw), None, None);
            if username.is_empty() || !errs.is_empty() {
                let mut e = errs;
                if username.is_empty() {
                    e.add("username", "is required");
                }
                return invalid(e);
            }
            let user = User {
                id: random::id()?,
                username,
                email: None,
                email_verified: false,
                phone_number: None,
                phone_number_verified: false,
                claims: Default::default(),
                custom_attributes: Default::default(),
                blocked: false,
                created_at: ctx.now,
                updated_at: ctx.now,
            };
            let hash = password::hash(&pw).await?;
            let out: WriteOutcome<User> = Directory::new(&ctx.env, ADMIN_POOL, Placement::GLOBAL)
                .call(DirectoryCommand::CreateUser {
                    user,
                    password_hash: hash,
                })
                .await?;
            match out {
                WriteOutcome::Ok { value } => {
                    ctx.audit.set_actor(super::ADMIN_TOKEN_ACTOR);
                    let after = serde_json::to_value(&value).unwrap_or_default();
                    ctx.audit.admin_change(
                        ADMIN_POOL,
                        Target::Administrator,
                        &value.id,
                        Action::Create,
                        None,
                        Some(&after),
                    );
                    json(201, &json!({"username": value.username}))
                }
                _ => conflict("username", "username"),
            }
        }
        (["login"], Method::Post) => {
            let b = body(&mut req).await?;
            login(ctx, &req, &b).await
        }
        (["me"], Method::Get) => match current(ctx, &req).await? {
            Some(s) => json_no_store(200, &json!({"username": s.username, "csrf": s.csrf})),
            None => Err(AdminError::Unauthorized("no administrator is signed in").into()),
        },
        (["logout"], Method::Post) => {
            if let Some(token) = forms::cookie(&req, COOKIE) {
                let key_hash = token_key(&token);
                let grants = Grants::new(&ctx.env, Placement::GLOBAL);
                let session: Option<AdminSession> =
                    grants.get(Kind::AdminSession, &key_hash, ctx.now).await?;
                grants.delete(Kind::AdminSession, &key_hash).await?;
                if let Some(session_id) = session.and_then(|s| s.session_id) {
                    let _: Option<String> = Directory::new(&ctx.env, ADMIN_POOL, Placement::GLOBAL)
                        .call(DirectoryCommand::UnregisterSession { session_id })
                        .await?;
                }
            }
            let headers = worker::Headers::new();
            headers.set("Set-Cookie", &cookie(ctx, "", 0))?;
            Ok(Response::empty()?.with_status(204).with_headers(headers))
        }
        _ => Err(HttpError::NotFound),
    }
}

async fn login(ctx: &Ctx, req: &Request, b: &Value) -> HttpResult {
    let username = b["username"].as_str().unwrap_or("").trim().to_string();
    let pw = b["password"].as_str().unwrap_or("");
    let refused = || Err(AdminError::Unauthorized("wrong username or password").into());
    if username.is_empty() || pw.is_empty() {
        let mut e = FieldErrors::default();
        e.add("username", "username and password are required");
        return invalid(e);
    }
    let user_id = match check_password(
        ctx,
        PoolAt {
            id: ADMIN_POOL,
            at: Placement::GLOBAL,
        },
        &username,
        pw,
        &forms::client_ip(req),
        Via::Console,
    )
    .await?
    {
        PasswordCheck::Ok(user) => user.id,
        PasswordCheck::Locked(_) => return Err(AdminError::TooManyAttempts.into()),
        PasswordCheck::Wrong | PasswordCheck::Blocked => return refused(),
    };
    let admin: Option<User> = Directory::new(&ctx.env, ADMIN_POOL, Placement::GLOBAL)
        .call(DirectoryCommand::GetUser { id: user_id })
        .await?;
    let Some(admin) = admin else { return refused() };
    let token = random::grant_token()?;
    let session_id = random::id()?;
    let session = AdminSession {
        username: admin.username.clone(),
        csrf: random::token()?,
        user_id: Some(admin.id.clone()),
        session_id: Some(session_id.clone()),
    };
    let key_hash = token_key(&token);
    Grants::new(&ctx.env, Placement::GLOBAL)
        .put(
            Kind::AdminSession,
            &key_hash,
            &session,
            ctx.now + SESSION_SECS,
        )
        .await?;
    // Indexed like SSO sessions, so `GET /api/v1/sessions?pool_id=__admins` lists them and a
    // revocation (one session, or all of an administrator's) ends them.
    let _: Value = Directory::new(&ctx.env, ADMIN_POOL, Placement::GLOBAL)
        .call(DirectoryCommand::RegisterSession {
            session: SessionIndex {
                session_id,
                user_id: admin.id.clone(),
                key_hash,
                created_at: ctx.now,
                expires_at: ctx.now + SESSION_SECS,
                // A console session's record stays in its `GrantStore` shard.
                record: None,
            },
        })
        .await?;
    let mut resp = json_no_store(
        200,
        &json!({"username": session.username, "csrf": session.csrf}),
    )?;
    resp.headers_mut()
        .append("Set-Cookie", &cookie(ctx, &token, SESSION_SECS))?;
    Ok(resp)
}
