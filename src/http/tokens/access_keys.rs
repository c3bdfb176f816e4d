//! Programmatic access accounts (AK/SK) as a client authentication method: the access key
//! names its user pool (`ak_{pool}_{random}`), so the token endpoint finds the pool's directory
//! without an index; the secret key is 256 random bits of which only the SHA-256 is kept.

use subtle::ConstantTimeEq;

use crate::crypto::random;
use crate::http::context::Ctx;
use crate::http::respond::HttpError;
use crate::oidc::jws::sha256_b64;
use crate::oidc::model::AccessAccount;
use crate::store::directory::{AccountRecord, Directory, DirectoryCommand};
use crate::store::placement::PoolAt;

/// A new access key of `pool`: `ak_{pool}_{random}`, the random part without `-` or `_` so
/// the pool can be read back from the last `_`.
pub fn new_access_key(pool: &str) -> Result<String, getrandom::Error> {
    Ok(format!(
        "ak_{pool}_{}",
        random::id()?.replace(['-', '_'], "x")
    ))
}

/// The pool named inside an access key, if `client_id` is shaped like one.
pub fn pool_of_access_key(client_id: &str) -> Option<&str> {
    let rest = client_id.strip_prefix("ak_")?;
    let (pool, _) = rest.rsplit_once('_')?;
    (!pool.is_empty()).then_some(pool)
}

/// The enabled account of `pool` whose secret key is `secret`, compared in constant time.
pub async fn authenticate(
    ctx: &Ctx,
    pool: PoolAt<'_>,
    access_key: &str,
    secret: &str,
) -> Result<Option<AccessAccount>, HttpError> {
    let PoolAt { id: pool, at } = pool;
    if pool_of_access_key(access_key) != Some(pool) {
        return Ok(None);
    }
    let rec: Option<AccountRecord> = Directory::new(&ctx.env, pool, at)
        .call(DirectoryCommand::GetAccount {
            access_key: access_key.to_string(),
        })
        .await?;
    let Some(rec) = rec else { return Ok(None) };
    let presented = sha256_b64(secret);
    let matches = bool::from(presented.as_bytes().ct_eq(rec.secret_hash.as_bytes()));
    Ok((matches && !rec.account.disabled).then_some(rec.account))
}
