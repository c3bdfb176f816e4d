//! The authorization response for a signed-in, consenting user: a code, tokens, or both
//! (OIDC Core §3.1.2.5, §3.2.2.5, §3.3.2.5), plus `state` and `iss` (RFC 9207), delivered by
//! redirect (query or fragment) or by the auto-submitting `form_post` page.

use crate::crypto::random;
use crate::http::context::Ctx;
use crate::http::respond::{html, see_other, HttpError, HttpResult};
use crate::http::tokens::mint::{self, AccessTokenFor, IdTokenFor, Subject};
use crate::oidc::acr::Authentication;
use crate::oidc::audit::{AuditEvent, What};
use crate::oidc::authorize::AuthorizationRequest;
use crate::oidc::model::{Application, GrantType, User};
use crate::oidc::records::{CodeRecord, Issued};
use crate::oidc::response::{self, form_post_html, Delivery};
use crate::store::grants::{self, Grants};
use crate::store::placement::Placement;

/// Issues what the response type asks for and says how to deliver it. `ending`: the pending
/// sign-in (interaction id) this response ends, deleted as the code is stored (`put_code`).
#[allow(clippy::too_many_arguments)] // the pieces of one authorization response
pub async fn issue(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    req: &AuthorizationRequest,
    user: &User,
    authn: &Authentication,
    session_id: Option<&str>,
    ending: Option<&str>,
) -> Result<Delivery, HttpError> {
    let rt = req.response_type;
    let auth_time = authn.at;
    let mut params: Vec<(String, String)> = Vec::new();
    let code = if rt.has_code() {
        let code = grants::new_code(ending)?;
        let record = CodeRecord {
            client_id: app.client.client_id.clone(),
            pool_id: app.pool_id.clone(),
            user_id: user.id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            scope: req.scope.to_string(),
            nonce: req.nonce.clone(),
            code_challenge: req.code_challenge.clone(),
            code_challenge_method: req.code_challenge_method.map(|m| m.as_str().to_string()),
            auth_time,
            session_id: session_id.map(str::to_string),
            response_type: rt,
            offline: req.scope.contains("offline_access"),
            expires_at: ctx.now + app.client.token_lifetimes.authorization_code.min(600),
            consumed: false,
            replayed: false,
            issued: Issued::default(),
            resource: req.resource.clone(),
            claims: req.claims.clone(),
            amr: authn.amr.clone(),
        };
        Grants::new(&ctx.env, Placement::of_app(app))
            .put_code(&code, &record, ending)
            .await?;
        params.push(("code".into(), code.clone()));
        Some(code)
    } else {
        None
    };
    let access_token = if rt.has_token() {
        let scope = req.scope.to_string();
        let jti = random::grant_id()?;
        let at = mint::access_token(
            ctx,
            app,
            issuer,
            &AccessTokenFor {
                jti: &jti,
                subject: Subject::User(&user.id),
                audience: req.resource.as_deref().unwrap_or(&app.client.client_id),
                client_id: &app.client.client_id,
                scope: &scope,
                userinfo_claims: &req.claims.userinfo_names(),
            },
        )
        .await?;
        params.push(("access_token".into(), at.clone()));
        params.push(("token_type".into(), "Bearer".into()));
        params.push((
            "expires_in".into(),
            app.client.token_lifetimes.access_token.to_string(),
        ));
        params.push(("scope".into(), scope));
        Some(at)
    } else {
        None
    };
    if rt.has_id_token() {
        let id_token = mint::id_token(
            ctx,
            app,
            issuer,
            &IdTokenFor {
                user,
                scope: &req.scope,
                requested: &req.claims.id_token_names(),
                auth_time,
                amr: &authn.amr,
                nonce: req.nonce.as_deref(),
                access_token: access_token.as_deref(),
                code: code.as_deref(),
                session_id,
                minimal: access_token.is_some(),
            },
        )
        .await?;
        params.push(("id_token".into(), id_token));
    }
    if rt.has_token() || rt.has_id_token() {
        let what = What::TokenIssued {
            grant_type: GrantType::Implicit.as_str().to_string(),
            response_type: Some(rt.as_str().to_string()),
            refresh_token_issued: false,
            count: 1,
        };
        ctx.audit
            .record(AuditEvent::of_app(app, what).user(&user.id));
    }
    if let Some(s) = &req.state {
        params.push(("state".into(), s.clone()));
    }
    params.push(("iss".into(), issuer.to_string()));
    Ok(response::deliver(
        &req.redirect_uri,
        req.response_mode,
        params,
    ))
}

/// Sends a delivery: a 303 redirect, or the auto-submitting form_post page.
pub fn deliver(d: Delivery) -> HttpResult {
    match d {
        Delivery::Redirect(url) => see_other(&url),
        Delivery::FormPost { action, fields } => {
            let nonce = random::id()?;
            let target = url::Url::parse(&action)
                .map(|u| u.origin().ascii_serialization())
                .unwrap_or_default();
            let csp = format!(
                "default-src 'none'; script-src 'nonce-{nonce}'; form-action {target}; frame-ancestors 'none'; base-uri 'none'"
            );
            html(200, form_post_html(&action, &fields, &nonce), &csp)
        }
    }
}
