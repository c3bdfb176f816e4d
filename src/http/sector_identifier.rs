//! A client's `sector_identifier_uri` (OIDC Registration §5), checked whenever it is set or
//! the redirect URIs it must cover change — at dynamic registration and in the admin API: the
//! document is fetched on the client's behalf (`outbound`: https only, public addresses,
//! bounded) and must be a JSON list holding every redirect URI. A failure is the caller's
//! `invalid_client_metadata` (or the admin API's field error), never a 500.

use super::context::Ctx;
use super::outbound::fetch_document;
use crate::oidc::model::Client;
use crate::oidc::subject::{check_sector_document, sector_check_needed};

/// Checks `after`'s sector document if the change from `before` (none when creating) calls
/// for it. The error names the problem for the client.
pub async fn check(ctx: &Ctx, before: Option<&Client>, after: &Client) -> Result<(), String> {
    if !sector_check_needed(before, after) {
        return Ok(());
    }
    let Some(uri) = &after.sector_identifier_uri else {
        return Ok(());
    };
    let body = fetch_document(ctx, uri, "application/json")
        .await
        .map_err(|f| f.0)?;
    check_sector_document(&body, &after.redirect_uris)
}
