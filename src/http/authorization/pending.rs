//! Parking an authorization request for the hosted login or consent page: the request waits
//! in a `GrantStore` record for ten minutes under a random id, and its CSRF token goes both
//! into the page's form and into an HttpOnly cookie (double submit), so a form posted from
//! another site or another browser is refused.

use crate::crypto::random;
use crate::http::context::Ctx;
use crate::http::respond::{see_other_with, HttpResult};
use crate::http::session;
use crate::oidc::authorize::AuthorizationRequest;
use crate::oidc::model::Application;
use crate::oidc::records::{Interaction, SecondFactor};
use crate::store::grants::{Grants, Kind};
use crate::store::placement::Placement;

pub const INTERACTION_SECS: u64 = 600;
/// The cookie that carries the pending request's CSRF token (`__Host-` prefixed over https).
pub const CSRF_COOKIE: &str = "dw_interaction";

/// Who the page is for: nobody yet (login), or a signed-in user (consent).
pub struct Pending {
    pub user_id: Option<String>,
    pub auth_time: Option<u64>,
    /// The methods done so far (for a second-factor step: the password's).
    pub amr: Vec<String>,
    pub second_factor: Option<SecondFactor>,
    pub step_up: bool,
}

impl Pending {
    /// Nobody yet: the login page.
    pub fn nobody() -> Pending {
        Pending {
            user_id: None,
            auth_time: None,
            amr: vec![],
            second_factor: None,
            step_up: false,
        }
    }
}

/// Stores the request and sends the browser to its page.
pub async fn park(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    request: AuthorizationRequest,
    pending: Pending,
) -> HttpResult {
    let uid = random::grant_id()?;
    let csrf = random::token()?;
    let record = Interaction {
        client_id: app.client.client_id.clone(),
        request,
        csrf: csrf.clone(),
        user_id: pending.user_id,
        auth_time: pending.auth_time,
        expires_at: ctx.now + INTERACTION_SECS,
        amr: pending.amr,
        second_factor: pending.second_factor,
        step_up: pending.step_up,
    };
    Grants::new(&ctx.env, Placement::of_app(app))
        .put(Kind::Interaction, &uid, &record, record.expires_at)
        .await?;
    let cookie = session::set_csrf_cookie(ctx, CSRF_COOKIE, &csrf, INTERACTION_SECS, issuer);
    see_other_with(
        &format!("{issuer}/interaction/{uid}"),
        &[("Set-Cookie", &cookie)],
    )
}
