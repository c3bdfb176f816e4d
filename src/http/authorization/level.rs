//! Whether a sign-in has reached the class its request needs (`oidc::acr`): the pool's MFA
//! policy, the application's rules and the request's `acr_values` against the user's factors
//! and the session's authentications. The answer says what the flow does next: go on with one
//! of the session's authentications, ask for the second factor, enrol one, or fail.

use crate::http::context::Ctx;
use crate::http::respond::HttpError;
use crate::oidc::acr::{self, AppRule, Authentication, Level, MfaPolicy, Reachable, Requirement};
use crate::oidc::model::Application;
use crate::store::directory::Directory;
use crate::store::kv::Kv;

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
    Ok(Kv::new(&ctx.env)?
        .pool(pool_id)
        .await?
        .map(|p| p.mfa)
        .unwrap_or_default())
}

pub async fn decide(
    ctx: &Ctx,
    app: &Application,
    acr_values: &[String],
    user_id: &str,
    authentications: &[Authentication],
) -> Result<Decision, HttpError> {
    let policy = pool_policy(ctx, &app.pool_id).await?;
    let rule = AppRule {
        require_mfa: app.require_mfa,
        require_phishing_resistant: app.require_phishing_resistant,
    };
    let requirement = Requirement::new(policy, rule, acr_values);
    // In a pool without second factors, nothing asked for can need the user's factors.
    let summary = if policy == MfaPolicy::Off
        && requirement.floor == Level::Password
        && requirement.preferred.is_empty()
    {
        Default::default()
    } else {
        Directory::new(&ctx.env, &app.pool_id)
            .factor_summary(user_id)
            .await?
    };
    let reachable = Reachable {
        one_time_code: summary.has_second_factor(),
        // Passkeys are counted by their own code once it lands; until then no user can reach
        // the phishing-resistant class, and a request that needs it fails (never downgrades).
        passkey: false,
        can_enrol: policy != MfaPolicy::Off,
        asks_enrolled: policy != MfaPolicy::Off,
    };
    let target = match acr::target(&requirement, reachable) {
        Ok(t) => t,
        Err(acr::Unmet(why)) => return Ok(Decision::Unmet(why)),
    };
    Ok(match acr::standing(authentications, target) {
        acr::Standing::Met(a) => Decision::Met(a.clone()),
        acr::Standing::StepUp if target == Level::PhishingResistant => Decision::Unmet(
            "a phishing-resistant factor (a passkey) is required and the account has none".into(),
        ),
        acr::Standing::StepUp if summary.has_second_factor() => Decision::Verify,
        acr::Standing::StepUp => Decision::Enrol,
    })
}
