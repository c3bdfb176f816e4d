//! Verifying Doorward's own tokens, in one place: access tokens (userinfo, introspection,
//! revocation), refresh tokens (introspection, revocation) and `id_token_hint` (authorization,
//! logout). Anything malformed, foreign, expired or revoked is `None`, never an error.

use super::{client_secret, subject};
use crate::crypto::keys;
use crate::http::context::Ctx;
use crate::http::respond::HttpError;
use crate::oidc::client_jwt::{self, ClientKeys};
use crate::oidc::jws::{self, sha256_b64};
use crate::oidc::model::{Application, SigningAlg};
use crate::oidc::records::{is_grant_id, RefreshFamily};
use crate::oidc::tokens::AccessTokenClaims;
use crate::store::grants::{Grants, Kind};
use crate::store::placement::Placement;

/// A verified, live, unrevoked access token of this issuer: only `access_token` builds it.
pub struct VerifiedAccessToken {
    pub claims: AccessTokenClaims,
    /// Whom the token is about, as Doorward knows them: the user id behind a pairwise `sub`
    /// (opened from the sealed private claim), else `sub` itself.
    pub subject_id: String,
}

/// Checks signature (a published key of the pool), issuer, expiry and the revocation list.
pub async fn access_token(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    token: &str,
) -> Result<Option<VerifiedAccessToken>, HttpError> {
    let Some(claims) = keys::verify_jwt(&ctx.env, &app.pool_id, token).await? else {
        return Ok(None);
    };
    let Ok(claims) = serde_json::from_value::<AccessTokenClaims>(claims) else {
        return Ok(None);
    };
    if claims.iss != issuer || claims.exp <= ctx.now {
        return Ok(None);
    }
    if Grants::new(&ctx.env, Placement::of_app(app))
        .is_revoked(&claims.jti, ctx.now)
        .await?
    {
        return Ok(None);
    }
    let subject_id = match &claims.sealed_user {
        None => claims.sub.clone(),
        Some(sealed) => match subject::open_user(ctx, sealed).await {
            Some(id) => id,
            None => return Ok(None),
        },
    };
    Ok(Some(VerifiedAccessToken { claims, subject_id }))
}

/// Who an `id_token_hint` names: its subject and, when it carries one, its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HintedUser {
    pub sub: String,
    pub sid: Option<String>,
}

/// The user named by an `id_token_hint` that this issuer signed for this client, or None.
/// It must be an id_token (`typ` is not the access token's `at+jwt`), and an HS256 one only
/// from an application whose id_tokens are HS256 — anyone holding the client secret of an
/// RS256 application must not be able to mint hints. An expired hint is still a valid hint
/// (OIDC Core §3.1.2.1): issuer and audience only.
pub async fn id_token_hint(
    ctx: &Ctx,
    app: &Application,
    issuer: &str,
    hint: &str,
) -> Result<Option<HintedUser>, HttpError> {
    let Some((j, alg)) = jws::parse(hint) else {
        return Ok(None);
    };
    if j.header
        .typ
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case("JWT"))
    {
        return Ok(None);
    }
    // The hint comes from the client: verified like every client-supplied JWT, through
    // `jwt-compact` (`oidc::client_jwt`), against the pool's published keys or the secret.
    let claims = match alg {
        SigningAlg::HS256
            if app.client.id_token_signed_response_alg == SigningAlg::HS256
                && app.client.has_secret() =>
        {
            let secret = client_secret::open(ctx, &app.client).await?;
            client_jwt::verify(
                hint,
                &[SigningAlg::HS256],
                ClientKeys::Secret(secret.as_bytes()),
            )
            .ok()
        }
        SigningAlg::HS256 => None,
        SigningAlg::RS256 | SigningAlg::ES256 | SigningAlg::PS256 | SigningAlg::EdDSA => {
            match ctx.kv()?.jwks(&app.pool_id).await? {
                Some(set) => {
                    client_jwt::verify(hint, &SigningAlg::ASYMMETRIC, ClientKeys::Jwks(&set)).ok()
                }
                None => None,
            }
        }
    };
    Ok(claims
        .filter(|c| {
            c.get("iss").and_then(|v| v.as_str()) == Some(issuer)
                && c.get("aud").and_then(|v| v.as_str()) == Some(app.client.client_id.as_str())
        })
        .and_then(|c| {
            Some(HintedUser {
                sub: c["sub"].as_str()?.to_string(),
                sid: c["sid"].as_str().map(str::to_string),
            })
        }))
}

/// A presented token's shape: a JWS (two dots) is an access token, `{family}.{secret}` a
/// refresh token.
pub enum TokenShape<'a> {
    Access,
    Refresh { family_id: &'a str },
    Unknown,
}

/// A refresh token's family id must have the exact random shape before it names a shard.
pub fn shape(token: &str) -> TokenShape<'_> {
    match token.matches('.').count() {
        2 => TokenShape::Access,
        1 => match token.split('.').next() {
            Some(family_id) if is_grant_id(family_id) => TokenShape::Refresh { family_id },
            _ => TokenShape::Unknown,
        },
        _ => TokenShape::Unknown,
    }
}

/// The live family of a refresh token of this client, if the token is its current one.
pub async fn refresh_family(
    ctx: &Ctx,
    app: &Application,
    token: &str,
    family_id: &str,
) -> Result<Option<RefreshFamily>, HttpError> {
    let f: Option<RefreshFamily> = Grants::new(&ctx.env, Placement::of_app(app))
        .get(Kind::Family, family_id, ctx.now)
        .await?;
    Ok(f.filter(|f| {
        f.client_id == app.client.client_id
            && !f.revoked
            && f.expires_at > ctx.now
            && f.current_hash == sha256_b64(token)
    }))
}
