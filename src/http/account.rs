//! `{issuer}/account`: the signed-in user's own page, on every application's issuer, with the
//! pool's SSO session. Without a session the page signs the user in first through the hosted
//! login (an internal authorization request that returns here and issues nothing — what
//! Keycloak's account console does with its own client), second factor included. Every form
//! is CSRF-protected (a token in the form and in a host-only cookie) and script-free; every
//! change takes effect at once: a new password ends the user's other sessions and refresh
//! families, a removed app or an ended session is gone on the next request.

use subtle::ConstantTimeEq;
use worker::Request;

use super::assets::{self, PageStyle};
use super::authorization::pending::{self, Pending};
use super::context::Ctx;
use super::respond::{html, page_csp, see_other, HttpError, HttpResult};
use super::second_factor::{self, CodeCheck};
use super::second_factor_page::{self, Form};
use super::sign_in::{check_password, PasswordCheck, Via};
use super::tokens::user_revocation::{revoke_user, Reach};
use super::{authentication_level, forms, i18n, session};
use crate::crypto::{password, random};
use crate::oidc::acr::{self, Authentication, MfaPolicy};
use crate::oidc::audit::{AuditEvent, RevocationReason, Revoked, What};
use crate::oidc::authorize::{AuthorizationRequest, ResponseMode};
use crate::oidc::dates::utc;
use crate::oidc::model::{Application, ResponseType, User};
use crate::oidc::records::SessionRecord;
use crate::oidc::response::html_escape;
use crate::oidc::scope::ScopeSet;
use crate::store::directory::{Directory, DirectoryCommand};
use crate::store::factors::FactorCommand;
use crate::store::placement::PoolAt;

/// The page's CSRF cookie (`__Host-` prefixed over https).
const CSRF_COOKIE: &str = "dw_account";
const CSRF_SECS: u64 = 3600;
/// The messages a finished action may show (`?done=`), and nothing else.
const NOTICES: &[&str] = &["password_changed", "totp_removed"];

fn style_locale(req: &Request) -> i18n::Locale {
    let accept = req.headers().get("Accept-Language").ok().flatten();
    i18n::negotiate(None, accept.as_deref())
}

/// The account page's own sign-in request: nothing is issued from it.
fn sign_in_request(app: &Application, issuer: &str) -> AuthorizationRequest {
    AuthorizationRequest {
        client_id: app.client.client_id.clone(),
        redirect_uri: format!("{issuer}/account"),
        response_type: ResponseType::Code,
        response_mode: ResponseMode::Query,
        scope: ScopeSet::parse("openid"),
        state: None,
        nonce: None,
        code_challenge: None,
        code_challenge_method: None,
        prompt: vec![],
        max_age: None,
        login_hint: None,
        ui_locales: None,
        id_token_hint: None,
        resource: None,
        claims: Default::default(),
        acr_values: vec![],
        for_account: true,
    }
}

/// The request's session, with the user it belongs to, if live and not blocked.
async fn signed_in(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
) -> Result<Option<(SessionRecord, User)>, HttpError> {
    let Some(s) = session::current(ctx, req, PoolAt::of_app(app)).await? else {
        return Ok(None);
    };
    let user = Directory::of_app(&ctx.env, app).user(&s.user_id).await?;
    Ok(user.filter(|u| !u.blocked).map(|u| (s, u)))
}

pub async fn route(
    ctx: &Ctx,
    req: Request,
    app: &Application,
    issuer: &str,
    rest: &[&str],
) -> HttpResult {
    let get = req.method() == worker::Method::Get;
    match (rest, get) {
        ([], true) => show(ctx, req, app, issuer).await,
        ([action], false) => act(ctx, req, app, issuer, action).await,
        ([], false) | ([_], true) => Err(HttpError::NotFound),
        _ => Err(HttpError::NotFound),
    }
}

async fn show(ctx: &Ctx, req: Request, app: &Application, issuer: &str) -> HttpResult {
    let Some((session, user)) = signed_in(ctx, &req, app).await? else {
        let request = sign_in_request(app, issuer);
        return pending::park(ctx, app, issuer, request, Pending::nobody()).await;
    };
    let style = PageStyle::for_app(ctx, app, issuer, style_locale(&req)).await?;
    let notice = forms::query_pairs(&ctx.url)
        .ok()
        .and_then(|q| forms::first(&q, "done").map(str::to_string))
        .filter(|n| NOTICES.contains(&n.as_str()));
    let csrf = random::token()?;
    let cookie = session::set_csrf_cookie(ctx, CSRF_COOKIE, &csrf, CSRF_SECS, issuer);
    let mut resp = page(ctx, app, issuer, &style, &session, &user, &csrf, notice).await?;
    let _ = resp.headers_mut().append("Set-Cookie", &cookie);
    Ok(resp)
}

#[allow(clippy::too_many_arguments)] // one page, each value a different part of it
async fn page(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    style: &PageStyle,
    session: &SessionRecord,
    user: &User,
    csrf: &str,
    notice: Option<String>,
) -> HttpResult {
    let dir = Directory::of_app(&ctx.env, app);
    let base = format!("{issuer}/account");
    let hidden = format!(
        "<input type=\"hidden\" name=\"csrf\" value=\"{}\">",
        html_escape(csrf)
    );
    let button = |action: &str, label: &str, extra: &str| {
        format!(
            "<form method=\"post\" action=\"{base}/{action}\">{hidden}{extra}<button type=\"submit\">{}</button></form>",
            html_escape(&style.msg(label))
        )
    };
    let password_field = format!(
        "<label>{} <input type=\"password\" name=\"current_password\" autocomplete=\"current-password\" required></label>",
        html_escape(&style.msg("current_password"))
    );
    let policy = authentication_level::pool_policy(ctx, &app.pool_id).await?;
    let factors = dir.factor_summary(&user.id).await?;
    let authenticator = if policy == MfaPolicy::Off && !factors.totp {
        format!("<p>{}</p>", html_escape(&style.msg("mfa_off_pool")))
    } else if factors.totp {
        format!(
            "<p id=\"totp-state\" data-enrolled=\"true\">{}</p>{}<p id=\"recovery-left\">{}</p>{}",
            html_escape(&style.msg("authenticator_on")),
            button("totp-remove", "remove", &password_field),
            html_escape(
                &style
                    .msg("recovery_left")
                    .replace("{n}", &factors.recovery_codes_left.to_string())
            ),
            button("recovery-codes", "regenerate_codes", &password_field),
        )
    } else {
        format!(
            "<p id=\"totp-state\" data-enrolled=\"false\">{}</p>{}",
            html_escape(&style.msg("authenticator_off")),
            button("totp", "set_up", "")
        )
    };
    let sessions: Vec<serde_json::Value> = dir
        .call(DirectoryCommand::ListSessions {
            user_id: Some(user.id.clone()),
            now: ctx.now,
        })
        .await?;
    let sessions_block: String = sessions
        .iter()
        .filter_map(|s| {
            let id = s["session_id"].as_str()?;
            let created = s["created_at"].as_f64().unwrap_or(0.0) as u64;
            let this = if id == session.session_id {
                format!(" ({})", html_escape(&style.msg("this_session")))
            } else {
                String::new()
            };
            let field = format!(
                "<input type=\"hidden\" name=\"session_id\" value=\"{}\">",
                html_escape(id)
            );
            Some(format!(
                "<li data-session=\"{}\">{}{this}{}</li>",
                html_escape(id),
                utc(created),
                button("end-session", "end_session", &field)
            ))
        })
        .collect();
    // Rows as the object answers them (its numbers are SQLite reals).
    let consents: Vec<serde_json::Value> = dir
        .call(DirectoryCommand::ListConsents {
            user_id: user.id.clone(),
        })
        .await?;
    let consents_block: String = consents
        .iter()
        .filter_map(|c| {
            let client_id = c["client_id"].as_str()?;
            let field = format!(
                "<input type=\"hidden\" name=\"client_id\" value=\"{}\">",
                html_escape(client_id)
            );
            Some(format!(
                "<li data-client=\"{}\">{} — {}{}</li>",
                html_escape(client_id),
                html_escape(client_id),
                html_escape(c["scope"].as_str().unwrap_or_default()),
                button("withdraw", "withdraw", &field)
            ))
        })
        .collect();
    let none = format!("<li>{}</li>", html_escape(&style.msg("nothing_here")));
    let notice_block = notice
        .map(|n| {
            format!(
                "<p class=\"notice\" role=\"status\">{}</p>",
                html_escape(&style.msg(&n))
            )
        })
        .unwrap_or_default();
    let body = assets::render(
        ctx,
        "account.html",
        style,
        &[
            ("username", user.username.clone()),
            ("base", base.clone()),
            ("csrf", csrf.to_string()),
            ("notice_block", notice_block),
            ("authenticator_block", authenticator),
            (
                "sessions_block",
                if sessions_block.is_empty() {
                    none.clone()
                } else {
                    sessions_block
                },
            ),
            (
                "consents_block",
                if consents_block.is_empty() {
                    none
                } else {
                    consents_block
                },
            ),
        ],
        &[
            "notice_block",
            "authenticator_block",
            "sessions_block",
            "consents_block",
        ],
    )
    .await?;
    html(200, body, &page_csp(None))
}

/// The user a posted form acts for: signed in, with the page's CSRF token in form and cookie.
async fn authorised(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
    form: &[(String, String)],
) -> Result<Option<(SessionRecord, User)>, HttpError> {
    let cookie =
        forms::cookie(req, &session::csrf_cookie_name(ctx, CSRF_COOKIE)).unwrap_or_default();
    let sent = forms::first(form, "csrf").unwrap_or("");
    if cookie.is_empty() || !bool::from(sent.as_bytes().ct_eq(cookie.as_bytes())) {
        return Ok(None);
    }
    signed_in(ctx, req, app).await
}

fn refused(status: u16, why: &str) -> HttpResult {
    let body = format!(
        "<!doctype html><meta charset=\"utf-8\"><title>{0}</title><p class=\"error\" role=\"alert\">{0}</p>",
        html_escape(why)
    );
    html(status, body, &page_csp(None))
}

async fn act(
    ctx: &Ctx,
    mut req: Request,
    app: &Application,
    issuer: &str,
    action: &str,
) -> HttpResult {
    let form = match forms::form_pairs(&mut req).await {
        Ok(f) => f,
        Err(HttpError::OAuth(e)) => return refused(400, &e.description),
        Err(other) => return Err(other),
    };
    let Some((session, user)) = authorised(ctx, &req, app, &form).await? else {
        // No session, or a form from another page: start over from the page.
        return see_other(&format!("{issuer}/account"));
    };
    let style = PageStyle::for_app(ctx, app, issuer, style_locale(&req)).await?;
    let field = |k: &str| forms::first(&form, k).unwrap_or("").to_string();
    let csrf = field("csrf");
    let back = |done: Option<&str>| match done {
        Some(d) => see_other(&format!("{issuer}/account?done={d}")),
        None => see_other(&format!("{issuer}/account")),
    };
    let dir = Directory::of_app(&ctx.env, app);
    let ip = forms::client_ip(&req);
    let via = Via::LoginPage(app);
    let changed = |change: &str| {
        ctx.audit.record(
            AuditEvent::of_app(
                app,
                What::MfaChanged {
                    change: change.into(),
                },
            )
            .user(&user.id),
        )
    };
    // The current password, for the changes a stolen session alone must not make.
    let password_ok = || async {
        let current = field("current_password");
        if current.is_empty() {
            return Ok::<_, HttpError>(Err(refused(401, &style.msg("wrong_password"))));
        }
        Ok(
            match check_password(ctx, PoolAt::of_app(app), &user.username, &current, &ip, via)
                .await?
            {
                PasswordCheck::Ok(found) if found.id == user.id => Ok(()),
                PasswordCheck::Locked(retry) => Err(refused(
                    429,
                    &style
                        .msg("locked")
                        .replace("{minutes}", &retry.div_ceil(60).max(1).to_string()),
                )),
                _ => Err(refused(401, &style.msg("wrong_password"))),
            },
        )
    };
    match action {
        "password" => {
            if let Err(r) = password_ok().await? {
                return r;
            }
            let new = field("new_password");
            if new.chars().count() < 8 || new.len() > 256 {
                return refused(400, &style.msg("password_rules"));
            }
            let hash = password::hash(&new).await?;
            let _: serde_json::Value = dir
                .call(DirectoryCommand::UpdateUser {
                    user: user.clone(),
                    password_hash: Some(hash),
                })
                .await?;
            // Every session and refresh family ends, this browser's too; this browser gets a
            // new session at once, keeping the second factor it gave before.
            revoke_user(ctx, PoolAt::of_app(app), &user.id, Reach::Everything).await?;
            let reason = RevocationReason::PasswordChanged;
            ctx.audit
                .revoked(&app.pool_id, &user.id, Revoked::AllOfUser, reason);
            let mut list = session.authentications();
            acr::remember(
                &mut list,
                Authentication {
                    at: ctx.now,
                    amr: acr::amr_of(&[acr::Factor::Password]),
                },
            );
            let (_, cookie) =
                session::start_with(ctx, &req, PoolAt::of_app(app), &user.id, list).await?;
            let mut resp = back(Some("password_changed"))?;
            let _ = resp.headers_mut().append("Set-Cookie", &cookie);
            Ok(resp)
        }
        "totp" => {
            if authentication_level::pool_policy(ctx, &app.pool_id).await? == MfaPolicy::Off {
                return refused(403, &style.msg("mfa_off_pool"));
            }
            // Replacing an enrolled app goes through its removal, which asks for the password.
            if dir.factor_summary(&user.id).await?.totp {
                return refused(409, &style.msg("authenticator_on"));
            }
            let raw = random::bytes::<{ crate::oidc::totp::SECRET_LEN }>()?;
            let sealed = second_factor::seal_for(ctx, Some(&enrol_purpose(&user)), &raw).await?;
            enrol_form(
                ctx, &style, issuer, app, &user, &csrf, &raw, sealed, None, 200,
            )
            .await
        }
        "totp-confirm" => {
            if dir.factor_summary(&user.id).await?.totp {
                return refused(409, &style.msg("authenticator_on"));
            }
            let sealed = field("enrolment");
            let Ok(raw) = second_factor::open_for(ctx, &enrol_purpose(&user), &sealed).await else {
                return back(None);
            };
            let outcome = second_factor::check_enrolment(
                ctx,
                PoolAt::of_app(app),
                &user.id,
                &raw,
                &field("code"),
                &ip,
                via,
            )
            .await?;
            let step = match outcome {
                Ok(step) => step,
                Err(check) => {
                    let (msg, status) = match check {
                        CodeCheck::Locked(_) => {
                            (style.msg("locked").replace("{minutes}", "15"), 429)
                        }
                        _ => (style.msg("wrong_code"), 401),
                    };
                    return enrol_form(
                        ctx,
                        &style,
                        issuer,
                        app,
                        &user,
                        &csrf,
                        &raw,
                        sealed,
                        Some(&msg),
                        status,
                    )
                    .await;
                }
            };
            let stored = second_factor::seal_for(ctx, None, &raw).await?;
            let codes =
                second_factor::enrol(ctx, PoolAt::of_app(app), &user.id, &stored, step, |w| {
                    AuditEvent::of_app(app, w)
                })
                .await?;
            codes_page(ctx, &style, issuer, &csrf, &codes).await
        }
        "totp-remove" => {
            if let Err(r) = password_ok().await? {
                return r;
            }
            let had: bool = dir
                .call_factors(FactorCommand::RemoveTotp {
                    user_id: user.id.clone(),
                })
                .await?;
            if had {
                changed("totp_removed");
            }
            back(Some("totp_removed"))
        }
        "recovery-codes" => {
            if let Err(r) = password_ok().await? {
                return r;
            }
            let (codes, hashes) = second_factor::new_recovery_codes(&user.id)?;
            let _: bool = dir
                .call_factors(FactorCommand::SetRecovery {
                    user_id: user.id.clone(),
                    hashes,
                    now: ctx.now,
                })
                .await?;
            changed("recovery_codes_regenerated");
            codes_page(ctx, &style, issuer, &csrf, &codes).await
        }
        "end-session" => {
            let target = field("session_id");
            let mine: Vec<serde_json::Value> = dir
                .call(DirectoryCommand::ListSessions {
                    user_id: Some(user.id.clone()),
                    now: ctx.now,
                })
                .await?;
            if mine
                .iter()
                .any(|s| s["session_id"].as_str() == Some(target.as_str()))
            {
                session::revoke(ctx, PoolAt::of_app(app), &target).await?;
                let reason = RevocationReason::ClientRequest;
                ctx.audit
                    .revoked(&app.pool_id, &user.id, Revoked::SsoSession, reason);
            }
            back(None)
        }
        "withdraw" => {
            let client_id = field("client_id");
            let _: serde_json::Value = dir
                .call(DirectoryCommand::DeleteConsent {
                    user_id: user.id.clone(),
                    client_id: client_id.clone(),
                })
                .await?;
            revoke_user(
                ctx,
                PoolAt::of_app(app),
                &user.id,
                Reach::Client(&client_id),
            )
            .await?;
            let withdrawn = AuditEvent::new(&app.pool_id, What::ConsentWithdrawn).user(&user.id);
            ctx.audit.record(withdrawn.client_id(&client_id));
            back(None)
        }
        "back" => back(None),
        _ => Err(HttpError::NotFound),
    }
}

/// A secret handed to the browser for enrolment opens only for the user it was made for.
fn enrol_purpose(user: &User) -> String {
    format!("totp-enrol:{}", user.id)
}

#[allow(clippy::too_many_arguments)] // one page, each value a different part of it
async fn enrol_form(
    ctx: &Ctx,
    style: &PageStyle,
    issuer: &str,
    app: &Application,
    user: &User,
    csrf: &str,
    raw: &[u8],
    sealed: String,
    error: Option<&str>,
    status: u16,
) -> HttpResult {
    let form = Form {
        action: format!("{issuer}/account/totp-confirm"),
        csrf,
        csp: page_csp(None),
        passkey_at: None,
        carry: Some(("enrolment", sealed)),
    };
    second_factor_page::enrol_page(
        ctx,
        style,
        &form,
        raw,
        app.display_name(),
        &user.username,
        error,
        status,
    )
    .await
}

async fn codes_page(
    ctx: &Ctx,
    style: &PageStyle,
    issuer: &str,
    csrf: &str,
    codes: &[String],
) -> HttpResult {
    // Continue is a plain link back to the page (no state changes on it).
    let form = Form {
        action: format!("{issuer}/account/back"),
        csrf,
        csp: page_csp(None),
        passkey_at: None,
        carry: None,
    };
    second_factor_page::recovery_codes_page(ctx, style, &form, codes).await
}
