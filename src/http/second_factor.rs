//! The second-factor check behind the hosted pages and the account page: a one-time code
//! from the user's authenticator app (RFC 6238, HMAC through WebCrypto, the secret opened
//! from its seal) or one of their recovery codes, throttled in the pool's directory like a
//! password (its own per-user counter, and the address's), each step and each recovery code
//! accepted once. Also the enrolment of a new app: a fresh sealed secret, and the code that
//! confirms it. Every outcome goes to the audit log, never the code itself.

use crate::crypto::{random, secretbox, webcrypto};
use crate::oidc::acr::Factor;
use crate::oidc::audit::{AuditEvent, FailureReason, SignInMethod, What};
use crate::oidc::factors::{recovery_codes, UserFactors};
use crate::oidc::throttle;
use crate::oidc::totp::{self, Verdict};
use crate::store::directory::{Directory, DirectoryCommand};
use crate::store::factors::{CheckStart, FactorCommand};
use crate::store::placement::PoolAt;

use super::context::Ctx;
use super::respond::HttpError;
use super::sign_in::{record_locks, Via};

/// The AAD of a sealed TOTP secret: it opens as nothing else.
const SEAL_PURPOSE: &str = "totp";

pub enum CodeCheck {
    Ok(Factor),
    Wrong,
    Replayed,
    Locked(u64),
}

/// A new authenticator-app secret, sealed for the interaction or account page that shows it.
pub async fn new_secret(ctx: &Ctx) -> Result<String, HttpError> {
    let raw = random::bytes::<{ totp::SECRET_LEN }>()?;
    Ok(secretbox::seal(&ctx.settings.master_key, SEAL_PURPOSE, &raw).await?)
}

pub async fn open_secret(ctx: &Ctx, sealed: &str) -> Result<Vec<u8>, HttpError> {
    open_for(ctx, SEAL_PURPOSE, sealed).await
}

/// Opens a secret sealed for `purpose` (the account page binds a secret it hands to the
/// browser to the user it is for).
pub async fn open_for(ctx: &Ctx, purpose: &str, sealed: &str) -> Result<Vec<u8>, HttpError> {
    Ok(secretbox::open_once(&ctx.settings.master_key, purpose, sealed).await?)
}

/// Seals `secret` for `purpose` (`None`: as the directory stores it).
pub async fn seal_for(
    ctx: &Ctx,
    purpose: Option<&str>,
    secret: &[u8],
) -> Result<String, HttpError> {
    let purpose = purpose.unwrap_or(SEAL_PURPOSE);
    Ok(secretbox::seal(&ctx.settings.master_key, purpose, secret).await?)
}

/// What `code` is worth against `secret` now, given the last step accepted.
async fn verdict(
    ctx: &Ctx,
    secret: &[u8],
    code: &str,
    last: Option<u64>,
) -> Result<Verdict, HttpError> {
    let steps = totp::window(ctx.now);
    let messages: Vec<[u8; 8]> = steps.iter().map(|s| totp::message(*s)).collect();
    let macs = webcrypto::hmac_sha1(secret, &messages).await?;
    Ok(totp::verify(code, &steps, &macs, last))
}

/// The step a code proves for a secret being enrolled (no replay guard yet: nothing was
/// accepted for it), or `None` for a wrong code.
pub async fn confirm_new(ctx: &Ctx, secret: &[u8], input: &str) -> Result<Option<u64>, HttpError> {
    let Some(code) = totp::parse_code(input) else {
        return Ok(None);
    };
    Ok(match verdict(ctx, secret, &code, None).await? {
        Verdict::Accepted(step) => Some(step),
        _ => None,
    })
}

/// Throttled like a sign-in code: the first code of an app being enrolled (during sign-in,
/// or on the account page). `Ok` carries the step it proved, to seed the replay guard.
pub async fn check_enrolment(
    ctx: &Ctx,
    pool_at: PoolAt<'_>,
    user_id: &str,
    secret: &[u8],
    input: &str,
    ip: &str,
    via: Via<'_>,
) -> Result<Result<u64, CodeCheck>, HttpError> {
    let (pool, dir) = (pool_at.id, Directory::new(&ctx.env, pool_at.id, pool_at.at));
    let start: CheckStart = dir
        .call(DirectoryCommand::Factors {
            cmd: FactorCommand::BeginCheck {
                user_id: user_id.to_string(),
                ip: ip.to_string(),
                now: ctx.now,
            },
        })
        .await?;
    if !start.gate.allowed {
        return Ok(Err(CodeCheck::Locked(start.gate.retry_after)));
    }
    let step = confirm_new(ctx, secret, input).await?;
    let ended: serde_json::Value = dir
        .call(DirectoryCommand::EndAttempt {
            keys: start.keys,
            success: step.is_some(),
            now: ctx.now,
            session: None,
        })
        .await?;
    record_locks(ctx, pool, via, &ended);
    Ok(step.ok_or(CodeCheck::Wrong))
}

/// Enrols the app whose first code proved `step`, with ten new recovery codes (returned to
/// be shown once), and logs the change.
pub async fn enrol(
    ctx: &Ctx,
    pool_at: PoolAt<'_>,
    user_id: &str,
    sealed: &str,
    step: u64,
    event: impl Fn(What) -> AuditEvent,
) -> Result<Vec<String>, HttpError> {
    let dir = Directory::new(&ctx.env, pool_at.id, pool_at.at);
    let _: bool = dir
        .call(DirectoryCommand::Factors {
            cmd: FactorCommand::EnrolTotp {
                user_id: user_id.to_string(),
                sealed_secret: sealed.to_string(),
                step,
                now: ctx.now,
            },
        })
        .await?;
    let (codes, hashes) = new_recovery_codes(user_id)?;
    let _: bool = dir
        .call(DirectoryCommand::Factors {
            cmd: FactorCommand::SetRecovery {
                user_id: user_id.to_string(),
                hashes,
                now: ctx.now,
            },
        })
        .await?;
    ctx.audit.record(
        event(What::MfaChanged {
            change: "totp_enrolled".into(),
        })
        .user(user_id),
    );
    Ok(codes)
}

/// Ten fresh recovery codes: the codes to show once, and the hashes to keep.
pub fn new_recovery_codes(user_id: &str) -> Result<(Vec<String>, Vec<String>), HttpError> {
    let mut codes = Vec::with_capacity(recovery_codes::COUNT);
    for _ in 0..recovery_codes::COUNT {
        codes.push(recovery_codes::format(&random::bytes::<
            { recovery_codes::BYTES },
        >()?));
    }
    let hashes = codes
        .iter()
        .filter_map(|c| recovery_codes::normalize(c))
        .map(|n| recovery_codes::hash(user_id, &n))
        .collect();
    Ok((codes, hashes))
}

/// Throttled check of a one-time or recovery code for a user whose password (or session)
/// already stands.
pub async fn check_code(
    ctx: &Ctx,
    pool_at: PoolAt<'_>,
    user_id: &str,
    input: &str,
    ip: &str,
    via: Via<'_>,
) -> Result<CodeCheck, HttpError> {
    let (pool, dir) = (pool_at.id, Directory::new(&ctx.env, pool_at.id, pool_at.at));
    let start: CheckStart = dir
        .call(DirectoryCommand::Factors {
            cmd: FactorCommand::BeginCheck {
                user_id: user_id.to_string(),
                ip: ip.to_string(),
                now: ctx.now,
            },
        })
        .await?;
    let failed = |method: SignInMethod, reason: FailureReason| {
        let what = What::SignInFailed {
            method,
            channel: via.channel(),
            reason,
            login: None,
        };
        ctx.audit.record(via.event(pool, what).user(user_id));
    };
    if !start.gate.allowed {
        failed(SignInMethod::Totp, FailureReason::Locked);
        return Ok(CodeCheck::Locked(start.gate.retry_after));
    }
    let factors = start.factors.unwrap_or_default();
    let outcome = match_code(ctx, &dir, user_id, &factors, input).await?;
    let ok = matches!(outcome, CodeCheck::Ok(_));
    let ended: serde_json::Value = dir
        .call(DirectoryCommand::EndAttempt {
            keys: start.keys,
            success: ok,
            now: ctx.now,
            session: None,
        })
        .await?;
    let method = |f: Factor| match f {
        Factor::RecoveryCode => SignInMethod::RecoveryCode,
        _ => SignInMethod::Totp,
    };
    match &outcome {
        CodeCheck::Ok(f) => ctx.audit.record(
            via.event(
                pool,
                What::SignInSucceeded {
                    method: method(*f),
                    channel: via.channel(),
                },
            )
            .user(user_id),
        ),
        CodeCheck::Replayed => failed(SignInMethod::Totp, FailureReason::ReplayedCode),
        _ => failed(SignInMethod::Totp, FailureReason::WrongCode),
    }
    record_locks(ctx, pool, via, &ended);
    if !ok {
        let delay = throttle::failure_delay_ms(start.gate.failures + 1);
        if delay > 0 {
            worker::Delay::from(std::time::Duration::from_millis(delay)).await;
        }
    }
    Ok(outcome)
}

async fn match_code(
    ctx: &Ctx,
    dir: &Directory<'_>,
    user_id: &str,
    factors: &UserFactors,
    input: &str,
) -> Result<CodeCheck, HttpError> {
    if let (Some(code), Some(app)) = (totp::parse_code(input), &factors.totp) {
        let secret = open_secret(ctx, &app.sealed_secret).await?;
        return Ok(
            match verdict(ctx, &secret, &code, Some(app.last_step)).await? {
                Verdict::Accepted(step) => {
                    // The object decides: of two sign-ins racing with one code, one wins.
                    let fresh: bool = dir
                        .call(DirectoryCommand::Factors {
                            cmd: FactorCommand::AcceptStep {
                                user_id: user_id.to_string(),
                                step,
                                now: ctx.now,
                            },
                        })
                        .await?;
                    if fresh {
                        CodeCheck::Ok(Factor::Totp)
                    } else {
                        CodeCheck::Replayed
                    }
                }
                Verdict::Replayed => CodeCheck::Replayed,
                Verdict::Wrong => CodeCheck::Wrong,
            },
        );
    }
    if let Some(n) = recovery_codes::normalize(input) {
        let spent: bool = dir
            .call(DirectoryCommand::Factors {
                cmd: FactorCommand::UseRecovery {
                    user_id: user_id.to_string(),
                    hash: recovery_codes::hash(user_id, &n),
                },
            })
            .await?;
        if spent {
            return Ok(CodeCheck::Ok(Factor::RecoveryCode));
        }
    }
    Ok(CodeCheck::Wrong)
}
