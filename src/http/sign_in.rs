//! The password check behind every sign-in (hosted login page, password grant, console):
//! throttled per account and per IP in the pool's directory object, with the same answer and
//! the same work (one hash) whether or not the account exists. Every outcome, and every lock
//! it sets, goes to the pool's audit log — the reason in full, which only administrators read.

use crate::crypto::password;
use crate::oidc::audit::{AuditEvent, FailureReason, LockScope, SignInChannel, SignInMethod, What};
use crate::oidc::model::{Application, User};
use crate::oidc::throttle;
use crate::store::directory::{
    throttled, Directory, DirectoryCommand, LoginRecord, SessionIndex, SignInStart, Throttled,
};
use crate::store::placement::PoolAt;

use super::context::Ctx;
use super::respond::HttpError;

/// The outcome of checking a password, shared with the password grant.
pub enum PasswordCheck {
    /// The right password: the user as the directory holds them.
    Ok(Box<User>),
    Wrong,
    Blocked,
    Locked(u64),
}

/// Where the password is being checked (for the audit log).
#[derive(Clone, Copy)]
pub enum Via<'a> {
    /// The hosted login page, for this client of the application.
    LoginPage(&'a Application),
    PasswordGrant(&'a Application),
    /// The web console (the administrators' pool).
    Console,
}

impl Via<'_> {
    pub(crate) fn event(self, pool: &str, what: What) -> AuditEvent {
        match self {
            Via::LoginPage(app) | Via::PasswordGrant(app) => AuditEvent::of_app(app, what),
            Via::Console => AuditEvent::new(pool, what),
        }
    }

    pub(crate) fn channel(self) -> SignInChannel {
        match self {
            Via::LoginPage(_) => SignInChannel::LoginPage,
            Via::PasswordGrant(_) => SignInChannel::PasswordGrant,
            Via::Console => SignInChannel::Console,
        }
    }
}

/// Throttled password check: the same answer and the same work (one hash) whether or not the
/// account exists; counters in the pool's object so parallel guesses are counted.
pub async fn check_password(
    ctx: &Ctx,
    pool: PoolAt<'_>,
    login: &str,
    pw: &str,
    ip: &str,
    via: Via<'_>,
) -> Result<PasswordCheck, HttpError> {
    match verify(ctx, pool, login, pw, ip, via, false).await? {
        Verified::Done(check) => Ok(check),
        Verified::Checked(attempt) => attempt.end(None).await,
    }
}

/// Where a password check stands after the hash.
pub enum Verified<'a> {
    /// Answered before any hash (a locked account or address).
    Done(PasswordCheck),
    /// Hashed; `Attempt::end` records the outcome.
    Checked(Box<Attempt<'a>>),
}

/// A password attempt that has been checked but not yet recorded: the caller may look at the
/// account (and its factors, if asked for) and have `end` index the session it is about to
/// start in the same directory call.
pub struct Attempt<'a> {
    ctx: &'a Ctx,
    dir: Directory<'a>,
    pool: &'a str,
    via: Via<'a>,
    login: &'a str,
    pw: &'a str,
    start: SignInStart,
    checked: password::Checked,
    blocked: bool,
}

impl Attempt<'_> {
    /// The account, when the password was right for it (and it is not blocked).
    pub fn signed_in(&self) -> Option<&LoginRecord> {
        self.start
            .found
            .as_ref()
            .filter(|_| self.checked.ok && !self.blocked)
    }

    /// Ends the attempt in the directory (counters, and `session`'s index row when the
    /// password was right), records it in the audit log, and answers.
    pub async fn end(self, session: Option<SessionIndex>) -> Result<PasswordCheck, HttpError> {
        let Attempt {
            ctx,
            dir,
            pool,
            via,
            login,
            pw,
            start,
            checked,
            blocked,
        } = self;
        let SignInStart { gate, keys, found } = start;
        let ok = checked.ok;
        let ended: serde_json::Value = dir
            .call(DirectoryCommand::EndAttempt {
                keys,
                success: ok,
                now: ctx.now,
                session: session.filter(|_| ok),
            })
            .await?;
        let user_id = found.as_ref().map(|f| f.user.id.as_str());
        let failed = |reason: FailureReason, user: Option<&str>| {
            let what = What::sign_in_failed(via.channel(), reason, login);
            ctx.audit.record(via.event(pool, what).user_if(user));
        };
        match (ok, blocked) {
            (true, _) => ctx.audit.record(
                via.event(
                    pool,
                    What::SignInSucceeded {
                        method: SignInMethod::Password,
                        channel: via.channel(),
                    },
                )
                .user_if(user_id),
            ),
            (false, true) => failed(FailureReason::Blocked, user_id),
            (false, false) if user_id.is_some() => failed(FailureReason::WrongPassword, user_id),
            (false, false) => failed(FailureReason::UnknownUser, None),
        }
        record_locks(ctx, pool, via, &ended);
        if blocked {
            return Ok(PasswordCheck::Blocked);
        }
        match found {
            Some(f) if ok => {
                if checked.rehash {
                    rehash(&dir, f.user.clone(), pw).await;
                }
                Ok(PasswordCheck::Ok(Box::new(f.user)))
            }
            _ => {
                let delay = throttle::failure_delay_ms(gate.failures + 1);
                if delay > 0 {
                    worker::Delay::from(std::time::Duration::from_millis(delay)).await;
                }
                Ok(PasswordCheck::Wrong)
            }
        }
    }
}

/// Starts a throttled attempt and checks the password (`factors`: have the account's factors
/// read in the same call, `LoginRecord::factors`).
pub async fn verify<'a>(
    ctx: &'a Ctx,
    pool: PoolAt<'a>,
    login: &'a str,
    pw: &'a str,
    ip: &str,
    via: Via<'a>,
    factors: bool,
) -> Result<Verified<'a>, HttpError> {
    let dir = Directory::new(&ctx.env, pool.id, pool.at);
    let pool = pool.id;
    let start: SignInStart = dir
        .call(DirectoryCommand::BeginSignIn {
            login: login.to_string(),
            ip: ip.to_string(),
            now: ctx.now,
            factors,
        })
        .await?;
    if !start.gate.allowed {
        let user = start.keys.iter().find_map(|k| match throttled(k) {
            Throttled::User(id) => Some(id),
            _ => None,
        });
        let what = What::sign_in_failed(via.channel(), FailureReason::Locked, login);
        ctx.audit.record(via.event(pool, what).user_if(user));
        return Ok(Verified::Done(PasswordCheck::Locked(
            start.gate.retry_after,
        )));
    }
    // A blocked account is refused before its password is checked: answering "blocked" only
    // to the right password would tell a guesser that the guess was right.
    let blocked = start.found.as_ref().is_some_and(|f| f.user.blocked);
    let checked = if blocked {
        password::Checked {
            ok: false,
            rehash: false,
        }
    } else {
        password::check(pw, start.found.as_ref().map(|f| f.password_hash.as_str())).await?
    };
    Ok(Verified::Checked(Box::new(Attempt {
        ctx,
        dir,
        pool,
        via,
        login,
        pw,
        start,
        checked,
        blocked,
    })))
}

/// An `account_locked` event for each key the attempt locked (the directory's answer).
pub(crate) fn record_locks(ctx: &Ctx, pool: &str, via: Via<'_>, locked: &serde_json::Value) {
    let until = ctx.now + throttle::LOCK_SECS;
    for key in locked
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|k| k.as_str())
    {
        let (lock, user) = match throttled(key) {
            Throttled::User(id) => (LockScope::Account, Some(id)),
            Throttled::UnknownLogin => (LockScope::Account, None),
            Throttled::Address => (LockScope::Address, None),
        };
        let e = via.event(pool, What::AccountLocked { lock, until });
        ctx.audit.record(e.user_if(user));
    }
}

/// Replaces an imported (or weaker) hash with one of Doorward's once the password is known to
/// be right. A failure leaves the old hash, which still verifies: logged, never the user's
/// problem.
async fn rehash(dir: &Directory<'_>, user: crate::oidc::model::User, pw: &str) {
    let result = async {
        let hash = password::hash(pw).await?;
        let _: serde_json::Value = dir
            .call(DirectoryCommand::UpdateUser {
                user,
                password_hash: Some(hash),
            })
            .await?;
        Ok::<(), HttpError>(())
    }
    .await;
    if let Err(e) = result {
        worker::console_warn!("re-hashing an imported password failed: {e}");
    }
}
