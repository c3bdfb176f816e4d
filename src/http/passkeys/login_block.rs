//! The "Sign in with a passkey" part of the hosted login page: a form the ceremony script
//! fills and submits, and the script tag with this response's nonce. Built here so the login
//! page (`interaction`) only places it; the page's CSP then admits that one script.

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
}

pub fn build(
    style: &PageStyle,
    issuer: &str,
    uid: &str,
    csrf: &str,
) -> Result<LoginBlock, HttpError> {
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
        options = e(&format!("{issuer}/interaction/{uid}/passkey/options")),
        action = e(&format!("{issuer}/interaction/{uid}/passkey")),
        csrf = e(csrf),
        or = e(t(style.locale, "or")),
        label = e(t(style.locale, "sign_in_with_passkey")),
        assets = e(&style.assets),
        nonce = e(&nonce),
    );
    Ok(LoginBlock { html, nonce })
}
