//! The second step of a hosted sign-in (`{issuer}/interaction/{uid}/mfa`): the one-time or
//! recovery code after the password — or, for a step-up, in place of it, the session's
//! password standing — and the enrolment of an authenticator app when the policy demands a
//! second factor the user does not have yet (then `…/continue` after the recovery codes were
//! shown). CSRF-checked like the login page; only a passed step starts (or steps up) the SSO
//! session and hands the request back to `authorization::finish`.

use worker::Request;

use super::authorization::{self, SignInState};
use super::context::Ctx;
use super::interaction::{
    csrf_ok, enrol_account, expired, posted, second_factor_form, style, Posted,
};
use super::respond::{page_csp, redirect_source, HttpError, HttpResult};
use super::second_factor::{self, CodeCheck};
use super::second_factor_page::{self, Form};
use super::sign_in::Via;
use super::{forms, session};
use crate::oidc::acr::{self, Authentication, Factor, Level};
use crate::oidc::audit::AuditEvent;
use crate::oidc::authorize::{AuthorizationRequest, SignedIn};
use crate::oidc::model::Application;
use crate::oidc::records::{Interaction, SecondFactor, SessionRecord};
use crate::store::grants::{Grants, Kind};
use crate::store::placement::{Placement, PoolAt};

pub async fn second_factor(
    ctx: &Ctx,
    mut req: Request,
    app: &Application,
    issuer: &str,
    uid: &str,
) -> HttpResult {
    let Posted {
        form,
        mut rec,
        client,
    } = match posted(ctx, &mut req, app, issuer, uid).await? {
        Ok(p) => p,
        Err(page) => return Ok(page),
    };
    let app = &client;
    let (Some(user_id), Some(step)) = (rec.user_id.clone(), rec.second_factor.clone()) else {
        return expired(ctx, &req, app, issuer).await;
    };
    if !csrf_ok(&rec, &form) {
        return expired(ctx, &req, app, issuer).await;
    }
    let style = style(ctx, &req, app, issuer, &rec).await?;
    let input = forms::first(&form, "code").unwrap_or("").trim().to_string();
    let ip = forms::client_ip(&req);
    let via = Via::LoginPage(app);
    let mut page_form = second_factor_form(issuer, uid, &rec);
    match step {
        SecondFactor::Verify => {
            let refused = match second_factor::check_code(
                ctx,
                PoolAt::of_app(app),
                &user_id,
                &input,
                &ip,
                via,
            )
            .await?
            {
                CodeCheck::Ok(factor) => {
                    return complete(ctx, &req, app, issuer, uid, rec, &user_id, factor).await
                }
                other => refusal(&style, other),
            };
            page_form.passkey_at =
                super::passkeys::second_factor::offer(ctx, app, &user_id, issuer, uid).await?;
            second_factor_page::verify_page(ctx, &style, &page_form, Some(&refused.0), refused.1)
                .await
        }
        SecondFactor::Enrol { sealed_secret } => {
            let secret = second_factor::open_secret(ctx, &sealed_secret).await?;
            let outcome = second_factor::check_enrolment(
                ctx,
                PoolAt::of_app(app),
                &user_id,
                &secret,
                &input,
                &ip,
                via,
            )
            .await?;
            let step = match outcome {
                Ok(step) => step,
                Err(other) => {
                    let (msg, status) = refusal(&style, other);
                    let account = enrol_account(ctx, app, &user_id).await?;
                    return second_factor_page::enrol_page(
                        ctx,
                        &style,
                        &page_form,
                        &secret,
                        app.display_name(),
                        &account,
                        Some(&msg),
                        status,
                    )
                    .await;
                }
            };
            let codes = second_factor::enrol(
                ctx,
                PoolAt::of_app(app),
                &user_id,
                &sealed_secret,
                step,
                |what| AuditEvent::of_app(app, what),
            )
            .await?;
            let amr = acr::combine(&rec.amr, Factor::Totp);
            let Some((_, cookie)) = sign_in_with(ctx, &req, app, &rec, &user_id, &amr).await?
            else {
                return expired(ctx, &req, app, issuer).await;
            };
            // The codes are shown once; the request goes on from the page's Continue.
            rec.second_factor = None;
            rec.amr = amr;
            rec.auth_time = Some(ctx.now);
            Grants::new(&ctx.env, Placement::of_app(app))
                .put(Kind::Interaction, uid, &rec, rec.expires_at)
                .await?;
            let form = Form {
                action: format!("{issuer}/interaction/{uid}/continue"),
                csrf: &rec.csrf,
                csp: page_csp(redirect_source(&rec.request.redirect_uri).as_deref()),
                passkey_at: None,
                carry: None,
            };
            let mut resp =
                second_factor_page::recovery_codes_page(ctx, &style, &form, &codes).await?;
            if let Some(c) = cookie {
                let _ = resp.headers_mut().append("Set-Cookie", &c);
            }
            Ok(resp)
        }
    }
}

/// The message and status of a refused code.
fn refusal(style: &super::assets::PageStyle, check: CodeCheck) -> (String, u16) {
    match check {
        CodeCheck::Ok(_) | CodeCheck::Wrong => (style.msg("wrong_code"), 401),
        CodeCheck::Replayed => (style.msg("replayed_code"), 401),
        CodeCheck::Locked(retry) => (
            style
                .msg("locked")
                .replace("{minutes}", &retry.div_ceil(60).max(1).to_string()),
            429,
        ),
    }
}

/// Starts the session (or steps the browser's session up) with these methods, with the
/// cookie to set for a new session; `None` when the session to step up is gone.
async fn sign_in_with(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
    rec: &Interaction,
    user_id: &str,
    amr: &[String],
) -> Result<Option<(SessionRecord, Option<String>)>, HttpError> {
    if rec.step_up {
        let authn = Authentication {
            at: ctx.now,
            amr: amr.to_vec(),
        };
        let s = session::step_up(ctx, req, PoolAt::of_app(app), user_id, authn).await?;
        Ok(s.map(|s| (s, None)))
    } else {
        let (s, cookie) = session::start(ctx, req, PoolAt::of_app(app), user_id, amr).await?;
        Ok(Some((s, Some(cookie))))
    }
}

/// Hands the request back to `authorization::finish` for a session that now stands; the
/// pending sign-in `uid` is spent there (with its code, when one is issued).
#[allow(clippy::too_many_arguments)] // the pieces of one pending sign-in
async fn resume(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    uid: &str,
    request: AuthorizationRequest,
    user_id: &str,
    session: SessionRecord,
    cookie: Option<String>,
) -> HttpResult {
    let state = SignInState {
        signed_in: Some(SignedIn {
            user_id: user_id.to_string(),
            auth_time: ctx.now,
            fresh: true,
        }),
        authentications: session.authentications(),
        session_id: Some(session.session_id),
        set_cookie: cookie,
        user: None,
        factors: None,
        consent: None,
        ending: Some(uid.to_string()),
    };
    authorization::finish(ctx, app, issuer, request, state).await
}

/// The second factor passed: the session gets it and the request goes on (also a passkey
/// given on this page, `passkeys::sign_in`).
#[allow(clippy::too_many_arguments)] // the pieces of one pending sign-in
pub(crate) async fn complete(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
    issuer: &str,
    uid: &str,
    rec: Interaction,
    user_id: &str,
    factor: Factor,
) -> HttpResult {
    let amr = acr::combine(&rec.amr, factor);
    let Some((session, cookie)) = sign_in_with(ctx, req, app, &rec, user_id, &amr).await? else {
        return expired(ctx, req, app, issuer).await;
    };
    resume(ctx, app, issuer, uid, rec.request, user_id, session, cookie).await
}

/// After the recovery codes of an enrolment were shown: the request goes on with the session
/// the enrolment started (or stepped up).
pub async fn continue_after_enrolment(
    ctx: &Ctx,
    mut req: Request,
    app: &Application,
    issuer: &str,
    uid: &str,
) -> HttpResult {
    let Posted { form, rec, client } = match posted(ctx, &mut req, app, issuer, uid).await? {
        Ok(p) => p,
        Err(page) => return Ok(page),
    };
    let app = &client;
    let enrolled = rec.second_factor.is_none() && acr::level_of(&rec.amr) >= Level::Mfa;
    let (Some(user_id), true) = (rec.user_id.clone(), enrolled) else {
        return expired(ctx, &req, app, issuer).await;
    };
    if !csrf_ok(&rec, &form) {
        return expired(ctx, &req, app, issuer).await;
    }
    let Some(session) = session::current(ctx, &req, PoolAt::of_app(app))
        .await?
        .filter(|s| s.user_id == user_id)
    else {
        return expired(ctx, &req, app, issuer).await;
    };
    resume(ctx, app, issuer, uid, rec.request, &user_id, session, None).await
}
