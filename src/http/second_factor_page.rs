//! The script-free second-factor pages: the code page (a one-time code or a recovery code),
//! the authenticator-app enrolment page (the `otpauth://` URI, its key and its QR code drawn
//! as inline SVG, so the secret never leaves Doorward), and the one-time list of recovery
//! codes. The hosted sign-in and the account page both render them; every form carries its
//! page's CSRF token.

use super::assets::{self, PageStyle};
use super::context::Ctx;
use super::respond::{html, HttpError, HttpResult};
use crate::oidc::response::html_escape;
use crate::oidc::totp;

/// Where a page's form goes and what protects it.
pub struct Form<'a> {
    pub action: String,
    pub csrf: &'a str,
    pub csp: String,
    /// `{issuer}/interaction/{uid}` when the code page also offers the user's passkey
    /// (`passkeys::second_factor`); the page then runs the ceremony script under a nonce.
    pub passkey_at: Option<String>,
    /// One more hidden field (the account page's sealed enrolment secret).
    pub carry: Option<(&'a str, String)>,
}

fn carried(form: &Form<'_>) -> String {
    form.carry
        .as_ref()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                html_escape(k),
                html_escape(v)
            )
        })
        .unwrap_or_default()
}

fn error_block(error: Option<&str>) -> String {
    error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", html_escape(e)))
        .unwrap_or_default()
}

pub async fn verify_page(
    ctx: &Ctx,
    style: &PageStyle,
    form: &Form<'_>,
    error: Option<&str>,
    status: u16,
) -> HttpResult {
    let passkey = match &form.passkey_at {
        Some(at) => Some(super::passkeys::login_block::second_factor(
            style, at, form.csrf,
        )?),
        None => None,
    };
    let body = assets::render(
        ctx,
        "second_factor.html",
        style,
        &[
            ("action", form.action.clone()),
            ("csrf", form.csrf.to_string()),
            ("error_block", error_block(error)),
            (
                "passkey_block",
                passkey.as_ref().map(|p| p.html.clone()).unwrap_or_default(),
            ),
        ],
        &["error_block", "passkey_block"],
    )
    .await?;
    let csp = match &passkey {
        Some(p) => p.csp_over(&form.csp),
        None => form.csp.clone(),
    };
    html(status, body, &csp)
}

/// The enrolment page for a secret; `issuer_label` and `account` name the entry the
/// authenticator app shows.
#[allow(clippy::too_many_arguments)] // one page, each value a different part of it
pub async fn enrol_page(
    ctx: &Ctx,
    style: &PageStyle,
    form: &Form<'_>,
    secret: &[u8],
    issuer_label: &str,
    account: &str,
    error: Option<&str>,
    status: u16,
) -> HttpResult {
    let uri = totp::otpauth_uri(issuer_label, account, secret);
    let qr = totp::qr_svg(&uri)
        .ok_or_else(|| HttpError::Runtime("the enrolment URI does not fit a QR code".into()))?;
    let body = assets::render(
        ctx,
        "enrol_totp.html",
        style,
        &[
            ("action", form.action.clone()),
            ("csrf", form.csrf.to_string()),
            ("qr_svg", qr),
            ("secret", totp::base32(secret)),
            ("otpauth_uri", uri),
            ("error_block", error_block(error)),
            ("carry", carried(form)),
        ],
        &["qr_svg", "error_block", "carry"],
    )
    .await?;
    html(status, body, &form.csp)
}

/// The recovery codes, shown this once; the form goes on with the flow.
pub async fn recovery_codes_page(
    ctx: &Ctx,
    style: &PageStyle,
    form: &Form<'_>,
    codes: &[String],
) -> HttpResult {
    let items: String = codes
        .iter()
        .map(|c| format!("<li><code>{}</code></li>", html_escape(c)))
        .collect();
    let body = assets::render(
        ctx,
        "recovery_codes.html",
        style,
        &[
            ("action", form.action.clone()),
            ("csrf", form.csrf.to_string()),
            ("codes", items),
        ],
        &["codes"],
    )
    .await?;
    html(200, body, &form.csp)
}
