//! Revoking what a user holds, at once: when an administrator resets a password, blocks or
//! deletes a user, every refresh family of that user (with the access tokens issued from it)
//! is revoked and every SSO session ended; when a consent is withdrawn, the families of that
//! client are. The pool's directory keeps the per-user index this needs; families issued
//! before the index existed are not in it and live on until they expire or are revoked.

use crate::http::context::Ctx;
use crate::http::respond::HttpError;
use crate::store::directory::{Directory, DirectoryCommand, UserGrants};
use crate::store::grants::{Grants, Kind};
use crate::store::placement::PoolAt;

/// What to revoke.
pub enum Reach<'a> {
    /// Everything: all families and all SSO sessions (password reset, block, deletion).
    Everything,
    /// The families one client holds (consent withdrawn); sessions stay.
    Client(&'a str),
}

/// Revokes and returns how many families and sessions were ended.
pub async fn revoke_user(
    ctx: &Ctx,
    pool: PoolAt<'_>,
    user_id: &str,
    reach: Reach<'_>,
) -> Result<(usize, usize), HttpError> {
    let PoolAt { id: pool, at } = pool;
    let (client_id, sessions) = match reach {
        Reach::Everything => (None, true),
        Reach::Client(c) => (Some(c.to_string()), false),
    };
    let taken: UserGrants = Directory::new(&ctx.env, pool, at)
        .call(DirectoryCommand::TakeUserGrants {
            user_id: user_id.to_string(),
            client_id,
            sessions,
        })
        .await?;
    let grants = Grants::new(&ctx.env, at);
    for family_id in &taken.family_ids {
        if let Some(f) = grants.revoke_family(family_id, ctx.now).await? {
            grants.revoke_jtis(&f.access_jtis).await?;
        }
    }
    for key_hash in &taken.session_key_hashes {
        grants.delete(Kind::session_of_pool(pool), key_hash).await?;
    }
    Ok((taken.family_ids.len(), taken.session_key_hashes.len()))
}
