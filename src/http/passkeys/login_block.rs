//! The "Sign in with a passkey" part of the hosted login page — and its twin, "Use a passkey
//! instead", on the second-factor page: a form the ceremony script fills and submits, and the
//! script tag with this response's nonce. Built here so those pages only place it; their CSP
//! then admits that one script.

use super::text::t;
use crate::http::assets::PageStyle;
use crate::http::respond::{page_csp_with_script, HttpError};
use crate::oidc::response::html_escape;

pub struct LoginBlock {
    /// Raw HTML, built from escaped parts.
    pub html: String,
    nonce: String,
}

impl LoginBlock {
    /// The login page's CSP: the default page CSP plus this block's script.
    pub fn csp(&self, extra_form_action: Option<&str>) -> String {
        page_csp_with_script(extra_form_action, &self.nonce)
    }

    /// A page's own CSP plus this block's script.
    pub fn csp_over(&self, csp: &str) -> String {
        format!(
            "{csp}; script-src 'nonce-{}'; connect-src 'self'",
            self.nonce
        )
    }
}

/// The login page's block for the interaction `uid`.
pub fn build(
    style: &PageStyle,
    issuer: &str,
    uid: &str,
    csrf: &str,
) -> Result<LoginBlock, HttpError> {
    block(
        style,
        &format!("{issuer}/interaction/{uid}"),
        csrf,
        "sign_in_with_passkey",
    )
}

/// The second-factor page's block (`at` is `{issuer}/interaction/{uid}`): the user's passkey
/// in place of a one-time code.
pub fn second_factor(style: &PageStyle, at: &str, csrf: &str) -> Result<LoginBlock, HttpError> {
    block(style, at, csrf, "use_passkey_instead")
}

fn block(style: &PageStyle, at: &str, csrf: &str, label: &str) -> Result<LoginBlock, HttpError> {
    let nonce = super::nonce()?;
    let e = |s: &str| html_escape(s);
    let html = format!(
        "<div class=\"passkey\" id=\"passkey-sign-in\" data-options=\"{options}\" hidden>\
         <p class=\"or\">{or}</p>\
         <form method=\"post\" action=\"{action}\" id=\"passkey-form\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <input type=\"hidden\" name=\"challenge_id\" value=\"\">\
         <input type=\"hidden\" name=\"credential\" value=\"\">\
         <button type=\"button\" id=\"passkey-button\" class=\"secondary\">{label}</button>\
         </form>\
         <p class=\"error\" id=\"passkey-error\" role=\"alert\" hidden></p>\
         </div>\
         <script src=\"{assets}/passkey.js\" nonce=\"{nonce}\"></script>",
        options = e(&format!("{at}/passkey/options")),
        action = e(&format!("{at}/passkey")),
        csrf = e(csrf),
        or = e(t(style.locale, "or")),
        label = e(t(style.locale, label)),
        assets = e(&style.assets),
        nonce = e(&nonce),
    );
    Ok(LoginBlock { html, nonce })
}
