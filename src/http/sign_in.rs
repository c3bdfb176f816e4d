//! The password check behind every sign-in (hosted login page, password grant, console):
//! throttled per account and per IP in the pool's directory object, with the same answer and
//! the same work (one hash) whether or not the account exists.

use crate::crypto::password;
use crate::oidc::throttle;
use crate::store::directory::{Directory, DirectoryCommand, SignInStart};

use super::context::Ctx;
use super::respond::HttpError;

/// The outcome of checking a password, shared with the password grant.
pub enum PasswordCheck {
    Ok(String),
    Wrong,
    Blocked,
    Locked(u64),
}

/// Throttled password check: the same answer and the same work (one hash) whether or not the
/// account exists; counters in the pool's object so parallel guesses are counted.
pub async fn check_password(
    ctx: &Ctx,
    pool: &str,
    login: &str,
    pw: &str,
    ip: &str,
) -> Result<PasswordCheck, HttpError> {
    let dir = Directory::new(&ctx.env, pool);
    let start: SignInStart = dir
        .call(DirectoryCommand::BeginSignIn {
            login: login.to_string(),
            ip: ip.to_string(),
            now: ctx.now,
        })
        .await?;
    let (gate, keys, found) = (start.gate, start.keys, start.found);
    if !gate.allowed {
        return Ok(PasswordCheck::Locked(gate.retry_after));
    }
    // A blocked account is refused before its password is checked: answering "blocked" only
    // to the right password would tell a guesser that the guess was right.
    let blocked = found.as_ref().is_some_and(|f| f.user.blocked);
    let checked = if blocked {
        password::Checked {
            ok: false,
            rehash: false,
        }
    } else {
        password::check(pw, found.as_ref().map(|f| f.password_hash.as_str())).await?
    };
    let ok = checked.ok;
    let _: serde_json::Value = dir
        .call(DirectoryCommand::EndAttempt {
            keys,
            success: ok,
            now: ctx.now,
        })
        .await?;
    if blocked {
        return Ok(PasswordCheck::Blocked);
    }
    match found {
        Some(f) if ok => {
            if checked.rehash {
                rehash(&dir, f.user.clone(), pw).await;
            }
            Ok(PasswordCheck::Ok(f.user.id))
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
