//! Finishing an authorization request, for `/auth` and for the login and consent pages alike:
//! look up consent, let `oidc::authorize::next_step` decide, then issue the response
//! (`response`), fail back to the client, or park the request for a page (`pending`).

pub mod pending;
pub mod response;

use crate::http::authentication_level::{self as level, Decision};
use crate::http::context::Ctx;
use crate::http::respond::{HttpError, HttpResult};
use crate::http::second_factor;
use crate::http::tokens::subject;
use crate::oidc::acr::Authentication;
use crate::oidc::authorize::{self, AuthorizationRequest, Next, Prompt, SignedIn};
use crate::oidc::error::{ErrorCode, OAuthError};
use crate::oidc::factors::FactorSummary;
use crate::oidc::model::{Application, User};
use crate::oidc::records::SecondFactor;
use crate::oidc::response as front_channel;
use crate::oidc::scope::ScopeSet;
use crate::store::directory::{Directory, DirectoryCommand, UserAndConsent};
use crate::store::grants::{Grants, Kind};
use crate::store::placement::Placement;
use pending::Pending;

/// Who is signed in for this request, and the cookie a fresh sign-in must set.
pub struct SignInState {
    pub signed_in: Option<SignedIn>,
    pub session_id: Option<String>,
    /// `Set-Cookie` of a session started by this very request (the login page).
    pub set_cookie: Option<String>,
    /// The session's authentications (`SessionRecord::authentications`), newest last.
    pub authentications: Vec<Authentication>,
    /// The signed-in user as the directory answered a moment ago in this request (the
    /// password check), so issuing does not ask again.
    pub user: Option<User>,
    /// Their factors, when read already in this request (`authentication_level::decide`).
    pub factors: Option<FactorSummary>,
    /// The scope they consented to for this client, when read already in this request with
    /// `user` (`Some(None)`: no consent), so `finish` does not ask the directory again.
    pub consent: Option<Option<String>>,
    /// The pending sign-in (interaction id) this request completes: spent whatever the
    /// outcome — as the code is stored when one is issued (one commit), by itself otherwise.
    pub ending: Option<String>,
}

/// Decides and acts: issue, fail back to the client, or open an interaction page. The
/// pending sign-in the request completes is spent either way.
pub async fn finish(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    request: AuthorizationRequest,
    mut state: SignInState,
) -> HttpResult {
    let mut ending = state.ending.take();
    let outcome = decide_and_act(ctx, app, issuer, request, state, &mut ending).await;
    // Not taken by a code stored beside it: spent by itself (before the answer, which may
    // already be a new interaction's page).
    let spent = match ending {
        Some(uid) => {
            Grants::new(&ctx.env, Placement::of_app(app))
                .delete(Kind::Interaction, &uid)
                .await
        }
        None => Ok(()),
    };
    let resp = outcome?;
    spent?;
    Ok(resp)
}

async fn decide_and_act(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    request: AuthorizationRequest,
    state: SignInState,
    ending: &mut Option<String>,
) -> HttpResult {
    let SignInState {
        signed_in,
        session_id,
        set_cookie,
        authentications,
        user: known_user,
        factors: known_factors,
        consent: known_consent,
        ending: _,
    } = state;
    // OIDC Core §5.5.1: a `sub` asked for with a value names the only user who may be
    // answered for; anyone else signed in counts as nobody (so the login page, or
    // `login_required` under prompt=none).
    let signed_in = signed_in.filter(|s| {
        request
            .claims
            .allows_subject(&subject::presented(ctx, &app.client, &s.user_id))
    });
    // One directory call for the user, their consent and (when the class may depend on them)
    // their factors; a first-party application never asks for consent, so without factors
    // to read it makes the call only to issue.
    let dir = Directory::of_app(&ctx.env, app);
    // A consent read with the session came with the factors if the class needs them
    // (`authorize`): asking `needs_factors` again would only repeat that answer.
    let want_factors = signed_in.is_some()
        && known_factors.is_none()
        && known_consent.is_none()
        && level::needs_factors(ctx, app, &request.acr_values).await?;
    let consented_to = |scope: Option<String>| {
        scope.is_some_and(|g| request.consent_scope().is_subset_of(&ScopeSet::parse(&g)))
    };
    let read_with_session = known_consent.filter(|_| {
        let same = |s: &SignedIn| known_user.as_ref().is_some_and(|u| u.id == s.user_id);
        signed_in.as_ref().is_some_and(same)
    });
    let (user, consented, factors) = match (&signed_in, read_with_session) {
        // Read with the session (`session::current_with_user`): no second call.
        (Some(_), Some(consent)) => (Some(known_user.clone()), consented_to(consent), None),
        (Some(s), None) if !app.client.skip_consent || want_factors => {
            let both: UserAndConsent = dir
                .call(DirectoryCommand::GetUserAndConsent {
                    id: s.user_id.clone(),
                    client_id: app.client.client_id.clone(),
                    factors: want_factors,
                })
                .await?;
            let consented = consented_to(both.consent);
            (Some(both.user), consented, both.factors)
        }
        _ => (None, false, None),
    };
    let factors = known_factors.or(factors);
    let step = authorize::next_step(
        &request,
        signed_in.as_ref(),
        consented,
        app.client.skip_consent,
        ctx.now,
    );
    // The class (`oidc::acr`), once the user is known and no login page comes first: a
    // session below it is stepped up by the second factor only, never by the password again.
    let decision = match (&step, &signed_in) {
        (Next::Issue | Next::Consent, Some(s)) => {
            let acr_values = &request.acr_values;
            let known = factors.as_ref();
            Some(level::decide(ctx, app, acr_values, &s.user_id, &authentications, known).await?)
        }
        _ => None,
    };
    let met = match (decision, &signed_in) {
        (Some(Decision::Met(a)), _) => Some(a),
        (Some(Decision::Unmet(why)), _) => {
            let e = OAuthError::new(ErrorCode::UnmetAuthenticationRequirements, why);
            let resp =
                response::deliver(front_channel::error(&request.error_target(), &e, issuer))?;
            return Ok(with_cookie(resp, set_cookie));
        }
        // OIDC Core §3.1.2.6: the step-up is an interaction prompt=none cannot have.
        (Some(_), _) if request.has_prompt(Prompt::None) => {
            let e = OAuthError::new(
                ErrorCode::InteractionRequired,
                "a second factor is required for this request",
            );
            let resp =
                response::deliver(front_channel::error(&request.error_target(), &e, issuer))?;
            return Ok(with_cookie(resp, set_cookie));
        }
        (Some(d @ (Decision::Verify | Decision::Enrol)), Some(s)) => {
            let second_factor = match d {
                Decision::Enrol => SecondFactor::Enrol {
                    sealed_secret: second_factor::new_secret(ctx).await?,
                },
                _ => SecondFactor::Verify,
            };
            let latest = authentications.last();
            let who = Pending {
                user_id: Some(s.user_id.clone()),
                auth_time: Some(latest.map_or(s.auth_time, |a| a.at)),
                amr: latest.map(|a| a.amr.clone()).unwrap_or_default(),
                second_factor: Some(second_factor),
                step_up: true,
            };
            let resp = pending::park(ctx, app, issuer, request, who).await?;
            return Ok(with_cookie(resp, set_cookie));
        }
        _ => None,
    };
    // The account page's own sign-in: back to the page, nothing issued, no consent.
    if request.for_account && met.is_some() {
        let resp = crate::http::respond::see_other(&format!("{issuer}/account"))?;
        return Ok(with_cookie(resp, set_cookie));
    }
    let resp = match step {
        Next::Issue => {
            let Some(s) = signed_in else {
                return Err(HttpError::Runtime("issue without a user".into()));
            };
            let known_user = known_user.filter(|u| u.id == s.user_id);
            let user = match (user, known_user) {
                (Some(looked_up), _) => looked_up,
                (None, Some(known)) => Some(known),
                (None, None) => dir.user(&s.user_id).await?,
            };
            match user {
                Some(u) if !u.blocked => {
                    let latest = met.unwrap_or(Authentication {
                        at: s.auth_time,
                        amr: vec![],
                    });
                    // A code carries the spent sign-in into its own commit.
                    let ends = match request.response_type.has_code() {
                        true => ending.take(),
                        false => None,
                    };
                    response::deliver(
                        response::issue(
                            ctx,
                            app,
                            issuer,
                            &request,
                            &u,
                            &latest,
                            session_id.as_deref(),
                            ends.as_deref(),
                        )
                        .await?,
                    )
                }
                _ => {
                    let e =
                        OAuthError::new(ErrorCode::LoginRequired, "the user must sign in again");
                    response::deliver(front_channel::error(&request.error_target(), &e, issuer))
                }
            }
        }
        Next::Fail(code) => {
            let e = OAuthError::new(code, "user interaction is required");
            response::deliver(front_channel::error(&request.error_target(), &e, issuer))
        }
        Next::Login => pending::park(ctx, app, issuer, request, Pending::nobody()).await,
        Next::Consent => {
            let who = Pending {
                user_id: signed_in.as_ref().map(|s| s.user_id.clone()),
                auth_time: signed_in.as_ref().map(|s| s.auth_time),
                ..Pending::nobody()
            };
            pending::park(ctx, app, issuer, request, who).await
        }
    }?;
    Ok(with_cookie(resp, set_cookie))
}

fn with_cookie(mut resp: worker::Response, set_cookie: Option<String>) -> worker::Response {
    if let Some(c) = set_cookie {
        let _ = resp.headers_mut().append("Set-Cookie", &c);
    }
    resp
}
