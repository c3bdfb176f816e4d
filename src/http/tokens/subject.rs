//! The `sub` a client is shown for a user — the user's id, or for a pairwise client its
//! pairwise identifier (`oidc::subject`, salted with a key derived from `MASTER_KEY`) — and
//! the sealed user id that an access token of a pairwise client carries instead.
//!
//! Why sealed: an access token is a JWT the client can read, so a plain user id in it would
//! undo the pairwise `sub` (two clients comparing tokens could join their users). Userinfo
//! and introspection still need the user, so the token carries the id sealed with AES-GCM
//! under `MASTER_KEY` (a fresh IV each time: two tokens of one user do not look alike), and
//! only Doorward can open it. Codes, refresh families and sessions keep the real id inside
//! Doorward's own storage; nothing else needs mapping back.

use crate::crypto::secretbox;
use crate::http::context::Ctx;
use crate::http::respond::HttpError;
use crate::oidc::model::Client;
use crate::oidc::subject::{pairwise_salt, subject_for};

/// The sealing purpose: a sealed user id cannot be opened as anything else.
const PURPOSE: &str = "pairwise-user";

/// The user's `sub` as `client` sees it.
pub fn presented(ctx: &Ctx, client: &Client, user_id: &str) -> String {
    if client.subject_type.is_public() {
        return user_id.to_string();
    }
    subject_for(client, user_id, &pairwise_salt(&ctx.settings.master_key))
}

/// The user id sealed for an access token.
pub async fn seal_user(ctx: &Ctx, user_id: &str) -> Result<String, HttpError> {
    Ok(secretbox::seal(&ctx.settings.master_key, PURPOSE, user_id.as_bytes()).await?)
}

/// The user id inside a sealed value; `None` for anything Doorward did not seal.
pub async fn open_user(ctx: &Ctx, sealed: &str) -> Option<String> {
    let raw = secretbox::open_once(&ctx.settings.master_key, PURPOSE, sealed)
        .await
        .ok()?;
    String::from_utf8(raw).ok()
}
