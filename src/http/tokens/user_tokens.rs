//! The token set a user-facing grant returns (code, refresh, password): an access token, an
//! id_token when `openid` was granted, and a refresh token when earned — rotating into a new
//! family or an existing one. One place, so the grants cannot drift apart.

use super::mint::{self, AccessTokenFor, IdTokenFor, Subject, TokenResponse};
use crate::crypto::random;
use crate::http::context::Ctx;
use crate::http::respond::HttpError;
use crate::oidc::claims_request::ClaimsRequest;
use crate::oidc::error::OAuthError;
use crate::oidc::jws::sha256_b64;
use crate::oidc::model::{Application, GrantType, User};
use crate::oidc::records::{IssuedJti, RefreshFamily};
use crate::oidc::scope::ScopeSet;
use crate::store::grants::{Grants, Kind};
use crate::store::placement::Placement;

pub struct Issue<'a> {
    pub app: &'a Application,
    pub issuer: &'a str,
    pub user: &'a User,
    pub scope: &'a ScopeSet,
    pub auth_time: u64,
    /// RFC 8176 methods of the authentication `auth_time` dates.
    pub amr: &'a [String],
    pub nonce: Option<&'a str>,
    pub session_id: Option<&'a str>,
    /// Start a refresh-token family (when earned and the `refresh_token` grant is ticked).
    pub new_family: bool,
    /// Ids chosen before the tokens exist (the code grant records them when it takes the
    /// code; the refresh grant when it rotates).
    pub preassigned: Option<Preassigned>,
    /// A refresh token already rotated into an existing family (refresh grant).
    pub rotated_refresh: Option<String>,
    /// RFC 8707: the resource server the access token is for; the client itself otherwise.
    pub resource: Option<&'a str>,
    /// OIDC Core §5.5: the claims the grant's request asked for by name (kept by a new
    /// family, so its refreshes release them too).
    pub claims: &'a ClaimsRequest,
}

pub struct Issued {
    pub body: TokenResponse,
    pub jti: IssuedJti,
}

/// The access token's `jti` and the refresh family's id, fixed ahead of issuing.
pub struct Preassigned {
    pub jti: String,
    pub family_id: String,
}

/// A new refresh token `{family_id}.{secret}`: the family id routes to its shard.
pub fn new_refresh_token(family_id: &str) -> Result<String, getrandom::Error> {
    Ok(format!("{family_id}.{}", random::token()?))
}

pub async fn issue(ctx: &Ctx, i: Issue<'_>) -> Result<Issued, HttpError> {
    let scope = i.scope.to_string();
    let (jti, fid) = match &i.preassigned {
        Some(p) => (p.jti.clone(), p.family_id.clone()),
        None => (random::grant_id()?, random::grant_id()?),
    };
    let at = mint::access_token(
        ctx,
        i.app,
        i.issuer,
        &AccessTokenFor {
            jti: &jti,
            subject: Subject::User(&i.user.id),
            audience: i.resource.unwrap_or(&i.app.client.client_id),
            client_id: &i.app.client.client_id,
            scope: &scope,
            userinfo_claims: &i.claims.userinfo_names(),
        },
    )
    .await?;
    let exp = ctx.now + i.app.client.token_lifetimes.access_token;
    let id = if i.scope.contains("openid") {
        Some(
            mint::id_token(
                ctx,
                i.app,
                i.issuer,
                &IdTokenFor {
                    user: i.user,
                    scope: i.scope,
                    requested: &i.claims.id_token_names(),
                    auth_time: i.auth_time,
                    amr: i.amr,
                    nonce: i.nonce,
                    access_token: Some(&at),
                    code: None,
                    session_id: i.session_id,
                    minimal: false,
                },
            )
            .await?,
        )
    } else {
        None
    };
    let refresh = if let Some(rt) = i.rotated_refresh {
        Some(rt)
    } else if i.new_family && i.app.allows_grant(GrantType::RefreshToken) {
        let rt = new_refresh_token(&fid)?;
        let family = RefreshFamily {
            family_id: fid.clone(),
            client_id: i.app.client.client_id.clone(),
            pool_id: i.app.pool_id.clone(),
            user_id: i.user.id.clone(),
            scope: scope.clone(),
            auth_time: i.auth_time,
            session_id: i.session_id.map(str::to_string),
            current_hash: sha256_b64(&rt),
            previous_hash: None,
            rotated_at: ctx.now,
            expires_at: ctx.now + i.app.client.token_lifetimes.refresh_token,
            revoked: false,
            access_jtis: vec![IssuedJti {
                jti: jti.clone(),
                exp,
            }],
            retired: vec![],
            resource: i.resource.map(str::to_string),
            claims: i.claims.clone(),
            amr: i.amr.to_vec(),
        };
        // Created only if absent: a replay of the code that preassigned this id may already
        // have left a revoked record here, and then nothing may be issued.
        let grants = Grants::new(&ctx.env, Placement::of_app(i.app));
        if !grants
            .create(Kind::Family, &fid, &family, family.expires_at)
            .await?
        {
            grants.revoke_jtis(&[IssuedJti { jti, exp }]).await?;
            return Err(HttpError::OAuth(OAuthError::invalid_grant(
                "the authorization code was already used",
            )));
        }
        Some(rt)
    } else {
        None
    };
    let mut body = TokenResponse::bearer(at, i.app.client.token_lifetimes.access_token, scope);
    body.id_token = id;
    body.refresh_token = refresh;
    Ok(Issued {
        body,
        jti: IssuedJti { jti, exp },
    })
}
