//! `/api/v1/users`: create, read, search, update (claims, password, block) and delete users of
//! a pool (`?pool_id=`, default pool otherwise). Passwords are hashed here, in the Worker, so
//! the pool's object never spends CPU on hashing; hashes never leave the directory.

use serde_json::{json, Value};
use url::Url;
use worker::{Method, Request};

use super::{body, conflict, invalid, method_not_allowed, no_content, query};
use crate::crypto::{password, random};
use crate::http::context::Ctx;
use crate::http::respond::{json, HttpError, HttpResult};
use crate::http::tokens::user_revocation::{revoke_user, Reach};
use crate::oidc::audit::{Action, AuditEvent, RevocationReason, Revoked, Target, What};
use crate::oidc::model::{StandardClaims, User};
use crate::oidc::registration::{check_user_fields, FieldErrors, NewUser};
use crate::store::directory::{Directory, DirectoryCommand, LockState, UserPage, WriteOutcome};
use crate::store::placement::PoolAt;

pub async fn route(
    ctx: &Ctx,
    mut req: Request,
    method: Method,
    rest: &[&str],
    url: &Url,
    pool: PoolAt<'_>,
) -> HttpResult {
    let PoolAt { id: pool, at } = pool;
    let dir = Directory::new(&ctx.env, pool, at);
    match (rest, method) {
        ([], Method::Get) => {
            let offset = query(url, "offset")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            let limit = query(url, "limit")
                .and_then(|v| v.parse().ok())
                .unwrap_or(50);
            let q = query(url, "q");
            // A search is a name, an email or a phone number: far below SQLite's LIKE limit.
            if q.as_ref().is_some_and(|q| q.len() > 256) {
                return field_error("q", "a search is at most 256 characters");
            }
            let page: UserPage = dir
                .call(DirectoryCommand::ListUsers { q, offset, limit })
                .await?;
            json(
                200,
                &json!({"items": page.items, "total": page.total, "offset": offset, "limit": limit}),
            )
        }
        ([], Method::Post) => {
            let b = body(&mut req).await?;
            create(ctx, &dir, pool, b).await
        }
        ([id], Method::Get) => {
            let user: Option<User> = dir
                .call(DirectoryCommand::GetUser { id: id.to_string() })
                .await?;
            json(200, &user.ok_or(HttpError::NotFound)?)
        }
        ([id], Method::Patch) => {
            let b = body(&mut req).await?;
            update(ctx, &dir, PoolAt { id: pool, at }, id, b).await
        }
        ([id], Method::Delete) => {
            let before = dir.user(id).await?.map(|u| user_view(&u));
            let existed: bool = dir
                .call(DirectoryCommand::DeleteUser { id: id.to_string() })
                .await?;
            if existed {
                changed(
                    ctx,
                    pool,
                    Target::User,
                    id,
                    Action::Delete,
                    before.as_ref(),
                    None,
                );
                revoke_user(ctx, PoolAt { id: pool, at }, id, Reach::Everything).await?;
                let reason = RevocationReason::UserDeleted;
                ctx.audit.revoked(pool, id, Revoked::AllOfUser, reason);
                no_content()
            } else {
                Err(HttpError::NotFound)
            }
        }
        // A user's passkeys (`admin::passkeys`).
        ([id, "passkeys", rest @ ..], m) => {
            super::passkeys::route(ctx, m, id, rest, PoolAt { id: pool, at }).await
        }
        // A user's remembered consents, and withdrawing one (the next sign-in asks again).
        ([id, "consents"], Method::Get) => {
            let items: Value = dir
                .call(DirectoryCommand::ListConsents {
                    user_id: id.to_string(),
                })
                .await?;
            json(200, &json!({"items": items}))
        }
        ([id, "consents", client_id], Method::Delete) => {
            let _: Value = dir
                .call(DirectoryCommand::DeleteConsent {
                    user_id: id.to_string(),
                    client_id: client_id.to_string(),
                })
                .await?;
            revoke_user(ctx, PoolAt { id: pool, at }, id, Reach::Client(client_id)).await?;
            let withdrawn = AuditEvent::new(pool, What::ConsentWithdrawn).user(id);
            ctx.audit.record(withdrawn.client_id(client_id));
            let reason = RevocationReason::ConsentWithdrawn;
            ctx.audit.record(
                AuditEvent::new(
                    pool,
                    What::TokenRevoked {
                        revoked: Revoked::UserClientTokens,
                        reason,
                    },
                )
                .user(id)
                .client_id(client_id),
            );
            no_content()
        }
        // The sign-in lock (5 failures lock an account for 15 minutes): see it, clear it.
        ([id, "lock"], Method::Get | Method::Delete) if dir.user(id).await?.is_none() => {
            Err(HttpError::NotFound)
        }
        ([id, "lock"], Method::Get) => {
            let lock: LockState = dir
                .call(DirectoryCommand::GetLock {
                    user_id: id.to_string(),
                    now: ctx.now,
                })
                .await?;
            json(200, &lock)
        }
        ([id, "lock"], Method::Delete) => {
            let _: Value = dir
                .call(DirectoryCommand::ClearLock {
                    user_id: id.to_string(),
                })
                .await?;
            changed(ctx, pool, Target::Lock, id, Action::Clear, None, None);
            no_content()
        }
        ([id, "factors", more @ ..], m) => {
            super::user_factors::route(ctx, m, id, more, PoolAt { id: pool, at }).await
        }
        ([], _) => method_not_allowed("GET, POST"),
        ([_], _) => method_not_allowed("GET, PATCH, DELETE"),
        ([_, "lock"], _) => method_not_allowed("GET, DELETE"),
        ([_, "consents"], _) => method_not_allowed("GET"),
        ([_, "consents", _], _) => method_not_allowed("DELETE"),
        _ => Err(HttpError::NotFound),
    }
}

/// A user as the log shows it (the directory never hands out the password hash).
fn user_view(u: &User) -> Value {
    serde_json::to_value(u).unwrap_or(Value::Null)
}

fn changed(
    ctx: &Ctx,
    pool: &str,
    target: Target,
    id: &str,
    action: Action,
    before: Option<&Value>,
    after: Option<&Value>,
) {
    ctx.audit
        .admin_change(pool, target, id, action, before, after);
}

fn field_error(field: &str, msg: &str) -> HttpResult {
    let mut e = FieldErrors::default();
    e.add(field, msg);
    invalid(e)
}

async fn create(ctx: &Ctx, dir: &Directory<'_>, pool: &str, b: Value) -> HttpResult {
    let new: NewUser = match serde_json::from_value(b) {
        Ok(n) => n,
        Err(e) => {
            // serde names the first offending field in its message.
            let msg = e.to_string();
            let field = ["username", "password"]
                .into_iter()
                .find(|f| msg.contains(f))
                .unwrap_or("body");
            return field_error(field, &msg);
        }
    };
    let mut errs = check_user_fields(
        Some(&new.username),
        new.password.as_deref(),
        new.email.as_deref(),
        new.phone_number.as_deref(),
    );
    match (&new.password, &new.password_hash) {
        (None, None) => errs.add("password", "is required (or password_hash, to import one)"),
        (Some(_), Some(_)) => errs.add("password_hash", "send password or password_hash, not both"),
        (None, Some(h)) => {
            if let Err(e) = password::check_importable(h) {
                errs.add("password_hash", e);
            }
        }
        (Some(_), None) => {}
    }
    if !errs.is_empty() {
        return invalid(errs);
    }
    let user = User {
        id: random::id()?,
        username: new.username,
        email: new.email,
        email_verified: new.email_verified,
        phone_number: new.phone_number,
        phone_number_verified: new.phone_number_verified,
        claims: new.claims,
        custom_attributes: new.custom_attributes,
        blocked: new.blocked,
        created_at: ctx.now,
        updated_at: ctx.now,
    };
    let hash = match (&new.password, new.password_hash) {
        (Some(p), _) => password::hash(p).await?,
        (None, Some(h)) => h,
        (None, None) => return field_error("password", "is required"),
    };
    let out: WriteOutcome<User> = dir
        .call(DirectoryCommand::CreateUser {
            user,
            password_hash: hash,
        })
        .await?;
    match out {
        WriteOutcome::Ok { value } => {
            let after = user_view(&value);
            changed(
                ctx,
                pool,
                Target::User,
                &value.id,
                Action::Create,
                None,
                Some(&after),
            );
            json(201, &value)
        }
        WriteOutcome::Conflict { field } => conflict(&field, &field),
        WriteOutcome::NotFound => Err(HttpError::NotFound),
    }
}

/// PATCH: any of username, password, email, phone_number, *_verified, blocked,
/// custom_attributes and the standard claims; `null` clears an optional field.
async fn update(
    ctx: &Ctx,
    dir: &Directory<'_>,
    pool_at: PoolAt<'_>,
    id: &str,
    b: Value,
) -> HttpResult {
    let PoolAt { id: pool, at } = pool_at;
    let current: Option<User> = dir
        .call(DirectoryCommand::GetUser { id: id.to_string() })
        .await?;
    let mut user = current.ok_or(HttpError::NotFound)?;
    let mut before = user_view(&user);
    let was_blocked = user.blocked;
    let obj = b.as_object().cloned().unwrap_or_default();
    let mut errs = FieldErrors::default();
    let mut new_password = None;
    let mut claims = serde_json::to_value(&user.claims).unwrap_or(json!({}));
    for (k, v) in &obj {
        match k.as_str() {
            "username" => match v.as_str() {
                Some(s) => user.username = s.to_string(),
                None => errs.add(k, "must be a string"),
            },
            "password" => match v.as_str() {
                Some(s) => new_password = Some(s.to_string()),
                None => errs.add(k, "must be a string"),
            },
            "email" => user.email = v.as_str().map(str::to_string),
            "phone_number" => user.phone_number = v.as_str().map(str::to_string),
            "email_verified" | "phone_number_verified" | "blocked" => match v.as_bool() {
                Some(x) if k == "email_verified" => user.email_verified = x,
                Some(x) if k == "phone_number_verified" => user.phone_number_verified = x,
                Some(x) => user.blocked = x,
                None => errs.add(k, "must be true or false"),
            },
            "custom_attributes" => match v.as_object() {
                Some(m) => user.custom_attributes = m.clone().into_iter().collect(),
                None => errs.add(k, "must be an object"),
            },
            "id" | "created_at" | "updated_at" => {}
            other => {
                if crate::oidc::discovery::CLAIMS_SUPPORTED.contains(&other) || other == "address" {
                    claims[other] = v.clone();
                } else {
                    errs.add(other, "is not a known field");
                }
            }
        }
    }
    match serde_json::from_value::<StandardClaims>(claims) {
        Ok(c) => user.claims = c,
        Err(e) => errs.add("claims", e.to_string()),
    }
    let checks = check_user_fields(
        Some(&user.username),
        new_password.as_deref(),
        user.email.as_deref(),
        user.phone_number.as_deref(),
    );
    for (k, v) in checks.0 {
        errs.add(&k, v);
    }
    if !errs.is_empty() {
        return invalid(errs);
    }
    user.updated_at = ctx.now;
    // A new password or a block ends what the user holds (RFC 9700 §4.14: refresh tokens are
    // revoked when the credentials that earned them change).
    let revokes = new_password.is_some() || (user.blocked && !was_blocked);
    let reason = match new_password.is_some() {
        true => RevocationReason::PasswordChanged,
        false => RevocationReason::UserBlocked,
    };
    // The log says the password changed, never what to.
    if new_password.is_some() {
        before["password_changed"] = json!(false);
    }
    let password_hash = match new_password {
        Some(p) => Some(password::hash(&p).await?),
        None => None,
    };
    let password_hash_set = password_hash.is_some();
    let out: WriteOutcome<User> = dir
        .call(DirectoryCommand::UpdateUser {
            user,
            password_hash,
        })
        .await?;
    match out {
        WriteOutcome::Ok { value } => {
            let mut after = user_view(&value);
            if password_hash_set {
                after["password_changed"] = json!(true);
            }
            changed(
                ctx,
                pool,
                Target::User,
                id,
                Action::Update,
                Some(&before),
                Some(&after),
            );
            if revokes {
                revoke_user(ctx, PoolAt { id: pool, at }, id, Reach::Everything).await?;
                ctx.audit.revoked(pool, id, Revoked::AllOfUser, reason);
            }
            json(200, &value)
        }
        WriteOutcome::Conflict { field } => conflict(&field, &field),
        WriteOutcome::NotFound => Err(HttpError::NotFound),
    }
}
