//! The hosted login and consent pages of a pending authorization request
//! (`{issuer}/interaction/{uid}`), parked by `authorization::pending`. A form is accepted only
//! with the CSRF token of its page in both the form and the cookie (double submit); a
//! completed page hands the request back to `authorization::finish`.

use subtle::ConstantTimeEq;
use worker::Request;

use super::assets::PageStyle;
use super::authentication_level::{self as level, Decision};
use super::authorization::pending::CSRF_COOKIE;
use super::authorization::response::deliver;
use super::authorization::{self, SignInState};
use super::context::Ctx;
use super::error_page::error_page;
use super::respond::{html, page_csp, redirect_source, HttpError, HttpResult};
use super::sign_in::{verify, PasswordCheck, Verified};
use super::{assets, forms, i18n, second_factor, second_factor_page, session};
use crate::oidc::acr;
use crate::oidc::authorize::{Prompt, SignedIn};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::factors::FactorSummary;
use crate::oidc::model::{Application, User};
use crate::oidc::records::{is_grant_id, Interaction, SecondFactor};
use crate::oidc::response::{self, html_escape};
use crate::oidc::scope;
use crate::store::clients;
use crate::store::directory::{Directory, DirectoryCommand};
use crate::store::grants::{Grants, Kind};
use crate::store::placement::{Placement, PoolAt};

/// Loads the interaction and checks that this browser started it, with the application as
/// the requesting client sees it.
pub(crate) async fn load(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
    uid: &str,
) -> Result<Option<(Interaction, Application)>, HttpError> {
    if !is_grant_id(uid) {
        return Ok(None);
    }
    let rec: Option<Interaction> = Grants::new(&ctx.env, Placement::of_app(app))
        .get(Kind::Interaction, uid, ctx.now)
        .await?;
    let cookie =
        forms::cookie(req, &session::csrf_cookie_name(ctx, CSRF_COOKIE)).unwrap_or_default();
    let Some(rec) = rec.filter(|r| bool::from(r.csrf.as_bytes().ct_eq(cookie.as_bytes()))) else {
        return Ok(None);
    };
    // The interaction belongs to one client of this application (and to no other issuer).
    Ok(clients::resolve(&ctx.env, app, &rec.client_id)
        .await?
        .map(|client| (rec, client)))
}

/// A form posted to a page of a pending sign-in, with the interaction and the application as
/// the interaction's client sees it.
pub(crate) struct Posted {
    pub form: Vec<(String, String)>,
    pub rec: Interaction,
    pub client: Application,
}

/// Reads the posted form and loads the pending sign-in `uid`, or gives the page to answer
/// instead: the error page for a form that cannot be read, the expired page for a sign-in
/// that is gone. Every POST of the hosted pages starts here.
pub(crate) async fn posted(
    ctx: &Ctx,
    req: &mut Request,
    app: &Application,
    issuer: &str,
    uid: &str,
) -> Result<Result<Posted, worker::Response>, HttpError> {
    let form = match forms::form_pairs(req).await {
        Ok(f) => f,
        Err(HttpError::OAuth(e)) => {
            return error_page(ctx, req, app, issuer, &e, 400).await.map(Err)
        }
        Err(other) => return Err(other),
    };
    match load(ctx, req, app, uid).await? {
        Some((rec, client)) => Ok(Ok(Posted { form, rec, client })),
        None => expired(ctx, req, app, issuer).await.map(Err),
    }
}

pub(crate) async fn expired(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
    issuer: &str,
) -> HttpResult {
    let e = OAuthError::invalid_request(
        "This sign-in page has expired or was opened in another browser. Go back to the application and start again.",
    );
    error_page(ctx, req, app, issuer, &e, 400).await
}

/// The page language: the request's `ui_locales`, then the browser's `Accept-Language`.
pub(crate) async fn style(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
    issuer: &str,
    rec: &Interaction,
) -> Result<PageStyle, HttpError> {
    let accept = req.headers().get("Accept-Language").ok().flatten();
    let locale = i18n::negotiate(rec.request.ui_locales.as_deref(), accept.as_deref());
    PageStyle::for_app(ctx, app, issuer, locale).await
}

pub async fn show(
    ctx: &Ctx,
    req: Request,
    app: &Application,
    issuer: &str,
    uid: &str,
) -> HttpResult {
    let Some((rec, client)) = load(ctx, &req, app, uid).await? else {
        return expired(ctx, &req, app, issuer).await;
    };
    let app = &client;
    let style = style(ctx, &req, app, issuer, &rec).await?;
    match (&rec.user_id, &rec.second_factor) {
        (Some(user_id), Some(step)) => {
            let mut form = second_factor_form(issuer, uid, &rec);
            match step {
                SecondFactor::Verify => {
                    form.passkey_at =
                        super::passkeys::second_factor::offer(ctx, app, user_id, issuer, uid)
                            .await?;
                    second_factor_page::verify_page(ctx, &style, &form, None, 200).await
                }
                SecondFactor::Enrol { sealed_secret } => {
                    let account = enrol_account(ctx, app, user_id).await?;
                    let secret = second_factor::open_secret(ctx, sealed_secret).await?;
                    second_factor_page::enrol_page(
                        ctx,
                        &style,
                        &form,
                        &secret,
                        app.display_name(),
                        &account,
                        None,
                        200,
                    )
                    .await
                }
            }
        }
        (None, _) => login_page(ctx, &style, issuer, uid, &rec, None, 200).await,
        (Some(user_id), None) => consent_page(ctx, &style, app, issuer, uid, &rec, user_id).await,
    }
}

/// The second-factor form of a pending sign-in.
pub(crate) fn second_factor_form<'a>(
    issuer: &str,
    uid: &str,
    rec: &'a Interaction,
) -> second_factor_page::Form<'a> {
    second_factor_page::Form {
        action: format!("{issuer}/interaction/{uid}/mfa"),
        csrf: &rec.csrf,
        csp: page_csp(redirect_source(&rec.request.redirect_uri).as_deref()),
        passkey_at: None,
        carry: None,
    }
}

/// The account name an authenticator app shows beside the issuer's.
pub(crate) async fn enrol_account(
    ctx: &Ctx,
    app: &Application,
    user_id: &str,
) -> Result<String, HttpError> {
    let user = Directory::of_app(&ctx.env, app).user(user_id).await?;
    Ok(user.map(|u| u.username).unwrap_or_default())
}

pub(crate) async fn login_page(
    ctx: &Ctx,
    style: &PageStyle,
    issuer: &str,
    uid: &str,
    rec: &Interaction,
    error: Option<&str>,
    status: u16,
) -> HttpResult {
    let error_block = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", html_escape(e)))
        .unwrap_or_default();
    let passkey = super::passkeys::login_block::build(style, issuer, uid, &rec.csrf)?;
    let body = assets::render(
        ctx,
        "login.html",
        style,
        &[
            ("action", format!("{issuer}/interaction/{uid}/login")),
            ("csrf", rec.csrf.clone()),
            (
                "login_hint",
                rec.request.login_hint.clone().unwrap_or_default(),
            ),
            ("error_block", error_block),
            ("passkey_block", passkey.html.clone()),
        ],
        &["error_block", "passkey_block"],
    )
    .await?;
    html(
        status,
        body,
        &passkey.csp(redirect_source(&rec.request.redirect_uri).as_deref()),
    )
}

async fn consent_page(
    ctx: &Ctx,
    style: &PageStyle,
    app: &Application,
    issuer: &str,
    uid: &str,
    rec: &Interaction,
    user_id: &str,
) -> HttpResult {
    let user = Directory::of_app(&ctx.env, app).user(user_id).await?;
    let username = user.map(|u| u.username).unwrap_or_default();
    let scopes: String = rec
        .request
        .consent_scope()
        .iter()
        .filter(|s| scope::describe(s).is_some())
        .map(|s| {
            format!(
                "<li data-scope=\"{}\">{}</li>",
                html_escape(s),
                html_escape(&style.msg(&format!("scope_{s}")))
            )
        })
        .collect();
    let body = assets::render(
        ctx,
        "consent.html",
        style,
        &[
            ("username", username),
            ("scopes", scopes),
            ("client_links", client_links(style, app)),
            ("action", format!("{issuer}/interaction/{uid}/consent")),
            ("csrf", rec.csrf.clone()),
        ],
        &["scopes", "client_links"],
    )
    .await?;
    html(
        200,
        body,
        &page_csp(redirect_source(&rec.request.redirect_uri).as_deref()),
    )
}

/// The client's own logo and links (RFC 7591 §2: `logo_uri`, `client_uri`, `policy_uri`,
/// `tos_uri`), each https by registration, escaped, opening nothing but the link itself.
fn client_links(style: &PageStyle, app: &Application) -> String {
    let c = &app.client;
    let mut out = String::new();
    if let Some(logo) = &c.logo_uri {
        out.push_str(&format!(
            "<img class=\"client-logo\" src=\"{}\" alt=\"\">",
            html_escape(logo)
        ));
    }
    let links: Vec<String> = [
        (&c.client_uri, "client_uri"),
        (&c.policy_uri, "policy_uri"),
        (&c.tos_uri, "tos_uri"),
    ]
    .into_iter()
    .filter_map(|(uri, key)| {
        uri.as_ref().map(|u| {
            format!(
                "<a href=\"{}\" rel=\"noopener noreferrer\" target=\"_blank\">{}</a>",
                html_escape(u),
                html_escape(&style.msg(key))
            )
        })
    })
    .collect();
    if !links.is_empty() {
        out.push_str(&format!(
            "<p class=\"client-links\">{}</p>",
            links.join(" · ")
        ));
    }
    out
}

/// Checks the form's CSRF token against the record (the cookie was checked by `load`).
pub(crate) fn csrf_ok(rec: &Interaction, form: &[(String, String)]) -> bool {
    let sent = forms::first(form, "csrf").unwrap_or("");
    bool::from(sent.as_bytes().ct_eq(rec.csrf.as_bytes()))
}

/// Who the first factor of a pending sign-in proved, and what the check left ready.
pub(crate) struct FirstFactor {
    pub user_id: String,
    pub factor: acr::Factor,
    /// The user as the check read them (the password check), if it did.
    pub user: Option<User>,
    /// Their factors, if the check read them (`sign_in::verify`).
    pub factors: Option<FactorSummary>,
    /// The class decided already, from the same facts.
    pub decision: Option<Decision>,
    /// The session minted for a `Met` decision and indexed by the check (`Attempt::end`).
    pub indexed_session: Option<session::Seed>,
}

/// The class a right password reaches for this request, and the session it lets start (minted
/// now, so the call that ends the attempt can index it).
async fn plan_session(
    ctx: &Ctx,
    app: &Application,
    rec: &Interaction,
    user_id: &str,
    known: Option<&FactorSummary>,
) -> Result<(Decision, Option<session::Seed>), HttpError> {
    let auth = [acr::Authentication {
        at: ctx.now,
        amr: acr::amr_of(&[acr::Factor::Password]),
    }];
    let acr_values = &rec.request.acr_values;
    let decision = level::decide(ctx, app, acr_values, user_id, &auth, known).await?;
    let seed = match decision {
        Decision::Met(_) => Some(session::Seed::new(ctx)?),
        _ => None,
    };
    Ok((decision, seed))
}

/// The first factor of a pending sign-in is done (a password, or a passkey on the login
/// page): the class the request needs decides what follows — a second factor (the
/// interaction keeps who signed in and how, and no session starts yet), a refusal
/// (`unmet_authentication_requirements`), or the session and the authorization request.
/// (The check stores the session a `Met` class lets start with the attempt's end, in the
/// pool's directory; `session::open` then only sets its cookie.)
pub(crate) async fn first_factor_done(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
    issuer: &str,
    uid: &str,
    mut rec: Interaction,
    done: FirstFactor,
) -> HttpResult {
    let FirstFactor {
        user_id,
        factor,
        user,
        factors,
        decision,
        indexed_session,
    } = done;
    let amr = acr::amr_of(&[factor]);
    let now_auth = [acr::Authentication {
        at: ctx.now,
        amr: amr.clone(),
    }];
    let grants = Grants::new(&ctx.env, Placement::of_app(app));
    let acr_values = &rec.request.acr_values;
    let decision = match decision {
        Some(d) => d,
        None => level::decide(ctx, app, acr_values, &user_id, &now_auth, factors.as_ref()).await?,
    };
    let step = match decision {
        Decision::Met(_) => None,
        Decision::Verify => Some(SecondFactor::Verify),
        Decision::Enrol => Some(SecondFactor::Enrol {
            sealed_secret: second_factor::new_secret(ctx).await?,
        }),
        Decision::Unmet(why) => {
            grants.delete(Kind::Interaction, uid).await?;
            let e = OAuthError::new(ErrorCode::UnmetAuthenticationRequirements, why);
            return deliver(response::error(&rec.request.error_target(), &e, issuer));
        }
    };
    if let Some(step) = step {
        // The first factor stands; no session until the second does too.
        rec.user_id = Some(user_id);
        rec.auth_time = Some(ctx.now);
        rec.amr = amr;
        rec.second_factor = Some(step);
        grants
            .put(Kind::Interaction, uid, &rec, rec.expires_at)
            .await?;
        return super::respond::see_other(&format!("{issuer}/interaction/{uid}"));
    }
    let indexed = indexed_session.is_some();
    let seed = match indexed_session {
        Some(seed) => seed,
        None => session::Seed::new(ctx)?,
    };
    let authentications = now_auth.to_vec();
    let (session, cookie) = session::open(
        ctx,
        req,
        PoolAt::of_app(app),
        seed,
        indexed,
        &user_id,
        authentications,
    )
    .await?;
    let state = SignInState {
        user,
        factors,
        signed_in: Some(SignedIn {
            user_id,
            auth_time: session.auth_time,
            fresh: true,
        }),
        authentications: session.authentications(),
        session_id: Some(session.session_id),
        set_cookie: Some(cookie),
        // Spent as its code is stored (or by itself, `authorization::finish`).
        consent: None,
        ending: Some(uid.to_string()),
    };
    authorization::finish(ctx, app, issuer, rec.request, state).await
}

/// The login page shown again with a message: only then is the page's style (its pool's
/// branding) read, since a right password redirects instead.
struct Again<'a> {
    ctx: &'a Ctx,
    req: &'a Request,
    app: &'a Application,
    issuer: &'a str,
    uid: &'a str,
    message: &'static str,
    status: u16,
}

impl Again<'_> {
    async fn show(self, rec: &Interaction) -> HttpResult {
        let style = style(self.ctx, self.req, self.app, self.issuer, rec).await?;
        let msg = style.msg(self.message);
        login_page(
            self.ctx,
            &style,
            self.issuer,
            self.uid,
            rec,
            Some(&msg),
            self.status,
        )
        .await
    }
}

pub async fn login(
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
    if !csrf_ok(&rec, &form) {
        return expired(ctx, &req, app, issuer).await;
    }
    let login = forms::first(&form, "login")
        .unwrap_or("")
        .trim()
        .to_string();
    let pw = forms::first(&form, "password").unwrap_or("");
    let again = |message, status| Again {
        ctx,
        req: &req,
        app,
        issuer,
        uid,
        message,
        status,
    };
    if login.is_empty() || pw.is_empty() {
        return again("enter_credentials", 400).show(&rec).await;
    }
    let via = super::sign_in::Via::LoginPage(app);
    // The class the request needs may depend on the user's factors: read them with the account.
    let factors = level::needs_factors(ctx, app, &rec.request.acr_values).await?;
    let ip = forms::client_ip(&req);
    let pool = PoolAt::of_app(app);
    let mut prepared = None;
    let check = match verify(ctx, pool, &login, pw, &ip, via, factors).await? {
        Verified::Done(check) => check,
        Verified::Checked(attempt) => {
            // A right password: the class is decided now, from what the check read, so a
            // session it lets start is indexed by the call that ends the attempt.
            let planned = match attempt.signed_in() {
                Some(found) => {
                    let known = found.factors.clone();
                    let user_id = found.user.id.clone();
                    let planned = plan_session(ctx, app, &rec, &user_id, known.as_ref()).await;
                    Some((planned, known, user_id))
                }
                None => None,
            };
            let index = match &planned {
                Some((Ok((_, Some(seed))), _, user_id)) => {
                    // The session the password starts, stored with the attempt's end.
                    let password_now = vec![acr::Authentication {
                        at: ctx.now,
                        amr: acr::amr_of(&[acr::Factor::Password]),
                    }];
                    Some(seed.index(seed.record(pool.id, user_id, password_now)))
                }
                _ => None,
            };
            // The attempt is ended whatever happened, so its counters never stay open.
            let ended = attempt.end(index).await?;
            if let Some((planned, known, _)) = planned {
                let (decision, seed) = planned?;
                prepared = Some((decision, seed, known));
            }
            ended
        }
    };
    match check {
        PasswordCheck::Ok(user) => {
            let (decision, indexed_session, factors) = match prepared {
                Some((d, s, f)) => (Some(d), s, f),
                None => (None, None, None),
            };
            let done = FirstFactor {
                user_id: user.id.clone(),
                factor: acr::Factor::Password,
                user: Some(*user),
                factors,
                decision,
                indexed_session,
            };
            first_factor_done(ctx, &req, app, issuer, uid, rec, done).await
        }
        PasswordCheck::Wrong => again("wrong_password", 401).show(&rec).await,
        PasswordCheck::Blocked => again("blocked", 403).show(&rec).await,
        PasswordCheck::Locked(retry) => {
            let style = style(ctx, &req, app, issuer, &rec).await?;
            let minutes = retry.div_ceil(60).max(1);
            let msg = style
                .msg("locked")
                .replace("{minutes}", &minutes.to_string());
            login_page(ctx, &style, issuer, uid, &rec, Some(&msg), 429).await
        }
    }
}

pub async fn consent(
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
    let (Some(user_id), Some(auth_time)) = (rec.user_id.clone(), rec.auth_time) else {
        return expired(ctx, &req, app, issuer).await;
    };
    // A password alone never reaches consent while a second factor is owed.
    if rec.second_factor.is_some() {
        return expired(ctx, &req, app, issuer).await;
    }
    if !csrf_ok(&rec, &form) {
        return expired(ctx, &req, app, issuer).await;
    }
    if forms::first(&form, "decision") != Some("allow") {
        Grants::new(&ctx.env, Placement::of_app(app))
            .delete(Kind::Interaction, uid)
            .await?;
        let e = OAuthError::new(ErrorCode::AccessDenied, "the user denied the request");
        return deliver(response::error(&rec.request.error_target(), &e, issuer));
    }
    Directory::of_app(&ctx.env, app)
        .call::<serde_json::Value>(DirectoryCommand::PutConsent {
            user_id: user_id.clone(),
            client_id: app.client.client_id.clone(),
            scope: rec.request.consent_scope().to_string(),
            now: ctx.now,
        })
        .await?;
    ctx.audit.consent_given(app, &user_id, &rec.request.scope);
    let session = session::current(ctx, &req, PoolAt::of_app(app)).await?;
    let mut request = rec.request;
    // Consent was just given: don't ask again in this request.
    request.prompt.retain(|p| *p != Prompt::Consent);
    let signed_in = SignedIn {
        user_id,
        auth_time,
        fresh: true,
    };
    let state = SignInState {
        signed_in: Some(signed_in),
        authentications: session
            .as_ref()
            .map(|s| s.authentications())
            .unwrap_or_default(),
        session_id: session.map(|s| s.session_id),
        set_cookie: None,
        user: None,
        factors: None,
        consent: None,
        ending: Some(uid.to_string()),
    };
    authorization::finish(ctx, app, issuer, request, state).await
}
