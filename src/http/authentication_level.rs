//! Whether a sign-in has reached the class its request needs (`oidc::acr`): the pool's MFA
//! policy, the application's rules and the request's `acr_values` against the user's factors
//! and the session's authentications. The answer says what the flow does next: go on with one
//! of the session's authentications, ask for the second factor, enrol one, or fail.

use crate::http::context::Ctx;
use crate::http::respond::HttpError;
use crate::oidc::acr::{self, AppRule, Authentication, Level, MfaPolicy, Reachable, Requirement};
use crate::oidc::factors::FactorSummary;
use crate::oidc::model::Application;
use crate::store::directory::Directory;

/// What the flow does about the authentication class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// This authentication of the session meets the class: the tokens state it.
    Met(Authentication),
    /// Ask for the user's one-time code or a recovery code (no password again).
    Verify,
    /// The user has no second factor and the pool lets them enrol one now.
    Enrol,
    /// No sign-in of this user can reach the class (`unmet_authentication_requirements`).
    Unmet(String),
}

/// The pool's policy (pools written before policies existed, and the default pool before it
/// is first saved, are `optional`). KV is cached per isolate, so a changed policy reaches
/// every edge within the cache's lifetime.
pub async fn pool_policy(ctx: &Ctx, pool_id: &str) -> Result<MfaPolicy, HttpError> {
    Ok(ctx
        .kv()?
        .pool(pool_id)
        .await?
        .map(|p| p.mfa)
        .unwrap_or_default())
}

/// Whether the user's factors cannot matter: no second factors in the pool, and nothing
/// asked for above a password.
fn factors_irrelevant(policy: MfaPolicy, requirement: &Requirement) -> bool {
    policy == MfaPolicy::Off
        && requirement.floor == Level::Password
        && requirement.preferred.is_empty()
}

/// Whether deciding a request of `app` with `acr_values` needs the user's factors — so the
/// caller can have them read in a directory call it makes anyway (`decide`'s `known`).
pub async fn needs_factors(
    ctx: &Ctx,
    app: &Application,
    acr_values: &[String],
) -> Result<bool, HttpError> {
    let policy = pool_policy(ctx, &app.pool_id).await?;
    Ok(!factors_irrelevant(
        policy,
        &Requirement::new(policy, app_rule(app), acr_values),
    ))
}

fn app_rule(app: &Application) -> AppRule {
    AppRule {
        require_mfa: app.require_mfa,
        require_phishing_resistant: app.require_phishing_resistant,
    }
}

/// The decision; `known` is the user's factor summary (with the passkey count) when the
/// caller read it already, else it is read here if the decision needs it.
pub async fn decide(
    ctx: &Ctx,
    app: &Application,
    acr_values: &[String],
    user_id: &str,
    authentications: &[Authentication],
    known: Option<&FactorSummary>,
) -> Result<Decision, HttpError> {
    let policy = pool_policy(ctx, &app.pool_id).await?;
    let requirement = Requirement::new(policy, app_rule(app), acr_values);
    // In a pool without second factors, nothing asked for can need the user's factors.
    let (summary, has_passkey) = if factors_irrelevant(policy, &requirement) {
        (Default::default(), false)
    } else {
        // One call for the one-time factors and the passkeys, unless the caller made it.
        let summary = match known.filter(|k| k.passkeys.is_some()) {
            Some(k) => k.clone(),
            None => {
                Directory::of_app(&ctx.env, app)
                    .factors_with_passkeys(user_id)
                    .await?
            }
        };
        // A passkey counts as a way up only when this sign-in has not used one yet: asking
        // for the same passkey again adds no factor.
        let used = authentications
            .iter()
            .any(|a| a.amr.iter().any(|m| m == acr::AMR_HWK || m == acr::AMR_SWK));
        let has_passkey = !used && summary.passkeys.unwrap_or(0) > 0;
        (summary, has_passkey)
    };
    let reachable = Reachable {
        one_time_code: summary.has_second_factor(),
        // A passkey reaches the phishing-resistant class (after the password, or alone when
        // the authenticator verified the user).
        passkey: has_passkey,
        can_enrol: policy != MfaPolicy::Off,
        asks_enrolled: policy != MfaPolicy::Off,
    };
    let target = match acr::target(&requirement, reachable) {
        Ok(t) => t,
        Err(acr::Unmet(why)) => return Ok(Decision::Unmet(why)),
    };
    Ok(match acr::standing(authentications, target) {
        acr::Standing::Met(a) => Decision::Met(a.clone()),
        // The second-factor page offers the user's passkey (`passkeys::second_factor`).
        acr::Standing::StepUp if has_passkey => Decision::Verify,
        acr::Standing::StepUp if target == Level::PhishingResistant => Decision::Unmet(
            "a phishing-resistant factor (a passkey) is required and the account has none".into(),
        ),
        acr::Standing::StepUp if !acr::code_reaches(authentications, target) => Decision::Unmet(
            "the passkey did not verify you (no PIN or biometrics): sign in with your password, \
             or let the device verify you"
                .into(),
        ),
        acr::Standing::StepUp if summary.has_second_factor() => Decision::Verify,
        acr::Standing::StepUp => Decision::Enrol,
    })
}
