//! Sign-in with a passkey on the hosted login page of a pending authorization request:
//! `POST {issuer}/interaction/{uid}/passkey/options` (JSON, the page's CSRF token in
//! `X-CSRF-Token`) issues a challenge for discoverable credentials (no user name needed), and
//! `POST {issuer}/interaction/{uid}/passkey` (the form the script submits) checks the
//! assertion (WebAuthn §7.2) and ends exactly where a password sign-in ends: a new SSO
//! session and the authorization request handed back to `authorization::finish`.

use subtle::ConstantTimeEq;
use worker::Request;

use super::text::t;
use super::{issue_challenge, relying_party, second_factor, signature_ok, take_challenge};
use crate::http::context::Ctx;
use crate::http::forms;
use crate::http::interaction::{
    csrf_ok, expired, first_factor_done, load, login_page, posted, second_factor_form, style,
    FirstFactor, Posted,
};
use crate::http::respond::{json_no_store, HttpError, HttpResult};
use crate::http::{interaction_steps, second_factor_page};
use crate::oidc::acr;
use crate::oidc::audit::{AuditEvent, FailureReason, SignInChannel, SignInMethod, What};
use crate::oidc::error::OAuthError;
use crate::oidc::jws::b64;
use crate::oidc::model::Application;
use crate::oidc::records::{Interaction, SecondFactor};
use crate::oidc::webauthn::assertion::{self, AssertionResponse, StoredCredential};
use crate::oidc::webauthn::credential::ChallengePurpose;
use crate::oidc::webauthn::options::{self, Known};
use crate::oidc::webauthn::WebAuthnError;
use crate::store::directory::Directory;
use crate::store::passkeys::Passkeys;
use crate::store::placement::PoolAt;

/// The CSRF token of a JSON call from the page, in constant time against the interaction's.
fn header_csrf_ok(req: &Request, expected: &str) -> bool {
    let sent = req
        .headers()
        .get("X-CSRF-Token")
        .ok()
        .flatten()
        .unwrap_or_default();
    !sent.is_empty() && bool::from(sent.as_bytes().ct_eq(expected.as_bytes()))
}

pub async fn options(
    ctx: &Ctx,
    req: Request,
    app: &Application,
    issuer: &str,
    uid: &str,
) -> HttpResult {
    let refused = || {
        json_no_store(
            403,
            &OAuthError::invalid_request("this sign-in page has expired; reload it").body(),
        )
    };
    let Some((rec, client)) = load(ctx, &req, app, uid).await? else {
        return refused();
    };
    let Some(step) = step_of(&rec).filter(|_| header_csrf_ok(&req, &rec.csrf)) else {
        return refused();
    };
    let rp = relying_party(ctx, &client, issuer).await?;
    // As the second factor, the user is known: only their credentials are asked for.
    let own = match step {
        Step::Second(user_id) => Passkeys::of_app(&ctx.env, &client).list(user_id).await?,
        Step::First => Vec::new(),
    };
    let ids = second_factor::allowed(&own);
    let allow: Vec<Known<'_>> = ids
        .iter()
        .map(|(id, p)| Known {
            id,
            transports: &p.transports,
        })
        .collect();
    let purpose = ChallengePurpose::SignIn {
        interaction: uid.to_string(),
    };
    let (challenge_id, challenge) = issue_challenge(ctx, PoolAt::of_app(&client), purpose).await?;
    json_no_store(
        200,
        &serde_json::json!({
            "challenge_id": challenge_id,
            "publicKey": options::request(&rp, &challenge, &allow),
        }),
    )
}

/// Which step of the sign-in a passkey answers.
#[derive(Clone, Copy)]
enum Step<'a> {
    /// Sign-in without a user name (discoverable credentials).
    First,
    /// After this user's password, in place of a one-time code.
    Second(&'a str),
}

/// The step the interaction is at, if a passkey may answer it.
fn step_of(rec: &Interaction) -> Option<Step<'_>> {
    match (&rec.user_id, &rec.second_factor) {
        (None, _) => Some(Step::First),
        (Some(user_id), Some(SecondFactor::Verify)) => Some(Step::Second(user_id)),
        (Some(_), _) => None,
    }
}

/// Why a passkey sign-in was refused: what the audit log says, and what the user is told.
enum Refusal {
    Expired,
    Failed(FailureReason, Option<String>, &'static str),
    Blocked(String),
}

pub async fn verify(
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
    let Some(step) = step_of(&rec).filter(|_| csrf_ok(&rec, &form)) else {
        return expired(ctx, &req, app, issuer).await;
    };
    let expected = match step {
        Step::First => None,
        Step::Second(user_id) => Some(user_id.to_string()),
    };
    let outcome = check(ctx, app, issuer, uid, &form, expected.as_deref()).await?;
    let (user_id, factor) = match outcome {
        Ok(found) => found,
        Err(refusal) => return refuse(ctx, &req, app, issuer, uid, &rec, refusal).await,
    };
    ctx.audit.record(
        AuditEvent::of_app(
            app,
            What::SignInSucceeded {
                method: SignInMethod::Passkey,
                channel: SignInChannel::LoginPage,
            },
        )
        .user(&user_id),
    );
    if expected.is_some() {
        // The second factor: the password stands, the passkey joins it.
        return interaction_steps::complete(ctx, &req, app, issuer, uid, rec, &user_id, factor)
            .await;
    }
    // From here on, the same steps as a password sign-in: the class the request needs, a
    // second factor if the passkey alone does not meet it, then the session.
    let done = FirstFactor {
        user_id,
        factor,
        user: None,
        factors: None,
        decision: None,
        indexed_session: None,
    };
    first_factor_done(ctx, &req, app, issuer, uid, rec, done).await
}

/// Every check of a passkey sign-in; answers the user it signs in and the factor it was (a
/// backup-eligible credential is a synced passkey, software-secured: `swk`; one that cannot
/// leave its authenticator is `hwk`; `user` when the authenticator verified the user).
async fn check(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    uid: &str,
    form: &[(String, String)],
    expected_user: Option<&str>,
) -> Result<Result<(String, acr::Factor), Refusal>, HttpError> {
    let invalid = |e: WebAuthnError, user: Option<String>| {
        worker::console_warn!("passkey sign-in refused: {e}");
        let reason = match e {
            WebAuthnError::CounterRegressed { .. } => FailureReason::PasskeyCounterRegressed,
            _ => FailureReason::InvalidPasskey,
        };
        Ok(Err(Refusal::Failed(reason, user, "passkey_failed")))
    };
    let purpose = ChallengePurpose::SignIn {
        interaction: uid.to_string(),
    };
    let challenge_id = forms::first(form, "challenge_id").unwrap_or("");
    let Some(challenge) = take_challenge(ctx, PoolAt::of_app(app), challenge_id, &purpose).await?
    else {
        return Ok(Err(Refusal::Expired));
    };
    let Ok(resp) =
        serde_json::from_str::<AssertionResponse>(forms::first(form, "credential").unwrap_or(""))
    else {
        return invalid(WebAuthnError::Malformed("credential"), None);
    };
    let credential_id = match resp.credential_id() {
        Ok(id) => id,
        Err(e) => return invalid(e, None),
    };
    let passkeys = Passkeys::of_app(&ctx.env, app);
    let Some(stored) = passkeys.find(&b64(&credential_id)).await? else {
        return Ok(Err(Refusal::Failed(
            FailureReason::UnknownPasskey,
            None,
            "passkey_failed",
        )));
    };
    // As the second factor, the passkey must be the signed-in user's own: a credential of
    // another user proves nothing about this one.
    if expected_user.is_some_and(|u| u != stored.user_id) {
        worker::console_warn!("passkey sign-in refused: a credential of another user");
        let user = expected_user.map(str::to_string);
        return Ok(Err(Refusal::Failed(
            FailureReason::InvalidPasskey,
            user,
            "passkey_failed",
        )));
    }
    let user = Directory::of_app(&ctx.env, app)
        .user(&stored.user_id)
        .await?;
    let Some(user) = user else {
        return Ok(Err(Refusal::Failed(
            FailureReason::UnknownPasskey,
            None,
            "passkey_failed",
        )));
    };
    if user.blocked {
        return Ok(Err(Refusal::Blocked(user.id)));
    }
    let rp = relying_party(ctx, app, issuer).await?;
    let checked = match assertion::check(
        &resp,
        &challenge,
        &rp,
        &StoredCredential {
            credential_id: &credential_id,
            user_handle: user.id.as_bytes(),
            alg: stored.alg,
            sign_count: stored.sign_count,
            backup_eligible: stored.backup_eligible,
        },
    ) {
        Ok(c) => c,
        Err(e) => return invalid(e, Some(user.id)),
    };
    if !signature_ok(
        stored.alg,
        &stored.public_key,
        &checked.signature,
        &checked.signed_data,
    )
    .await
    {
        return invalid(
            WebAuthnError::Malformed("signature does not verify"),
            Some(user.id),
        );
    }
    let accepted = match checked.accept() {
        Ok(a) => a,
        Err(e) => return invalid(e, Some(user.id)),
    };
    passkeys
        .used(
            &stored.credential_id,
            accepted.sign_count,
            accepted.backed_up,
            ctx.now,
        )
        .await?;
    let factor = acr::Factor::Passkey {
        hardware: !stored.backup_eligible,
        verified: accepted.user_verified,
    };
    Ok(Ok((user.id, factor)))
}

async fn refuse(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
    issuer: &str,
    uid: &str,
    rec: &Interaction,
    refusal: Refusal,
) -> HttpResult {
    let style = style(ctx, req, app, issuer, rec).await?;
    let failed = |reason: FailureReason, user: Option<&str>| {
        let what = What::SignInFailed {
            method: SignInMethod::Passkey,
            channel: SignInChannel::LoginPage,
            reason,
            login: None,
        };
        ctx.audit
            .record(AuditEvent::of_app(app, what).user_if(user));
    };
    let (msg, status) = match refusal {
        Refusal::Expired => (t(style.locale, "passkey_expired").to_string(), 400),
        Refusal::Failed(reason, user, key) => {
            failed(reason, user.as_deref());
            (t(style.locale, key).to_string(), 401)
        }
        Refusal::Blocked(user) => {
            failed(FailureReason::Blocked, Some(&user));
            (style.msg("blocked"), 403)
        }
    };
    match (&rec.user_id, step_of(rec)) {
        (Some(user_id), Some(Step::Second(_))) => {
            let mut form = second_factor_form(issuer, uid, rec);
            form.passkey_at = second_factor::offer(ctx, app, user_id, issuer, uid).await?;
            second_factor_page::verify_page(ctx, &style, &form, Some(&msg), status).await
        }
        _ => login_page(ctx, &style, issuer, uid, rec, Some(&msg), status).await,
    }
}
