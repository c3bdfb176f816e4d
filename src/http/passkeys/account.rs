//! `{issuer}/account/passkeys`: the signed-in user's passkeys (SSO session of the pool) —
//! the list with names and created / last-used times, add (the ceremony script calls the two
//! JSON endpoints), rename and remove (plain forms). Every change carries the page's CSRF
//! token, double-submitted in a host-only cookie: in the form, or in `X-CSRF-Token` for JSON.

use subtle::ConstantTimeEq;
use worker::Request;

use super::text::t;
use super::{issue_challenge, key_imports, relying_party, take_challenge};
use crate::crypto::random;
use crate::http::assets::{self, PageStyle};
use crate::http::context::Ctx;
use crate::http::i18n::{self, Locale};
use crate::http::respond::{
    html, json_no_store, page_csp, page_csp_with_script, see_other, HttpError, HttpResult,
};
use crate::http::{forms, session};
use crate::oidc::audit::{AuditEvent, What};
use crate::oidc::dates::utc;
use crate::oidc::error::OAuthError;
use crate::oidc::jws::b64;
use crate::oidc::model::{Application, User};
use crate::oidc::response::html_escape;
use crate::oidc::webauthn::credential::{clean_name, ChallengePurpose, PasskeyRecord};
use crate::oidc::webauthn::options::{self, Known, UserEntity};
use crate::oidc::webauthn::registration::{self, RegistrationResponse};
use crate::store::directory::Directory;
use crate::store::passkeys::{Created, Passkeys};
use crate::store::placement::PoolAt;

const CSRF_COOKIE: &str = "dw_account_csrf";

/// The signed-in user of this pool, if any (a blocked user counts as nobody).
async fn signed_in_user(
    ctx: &Ctx,
    req: &Request,
    app: &Application,
) -> Result<Option<User>, HttpError> {
    let Some(s) = session::current(ctx, req, PoolAt::of_app(app)).await? else {
        return Ok(None);
    };
    let user = Directory::of_app(&ctx.env, app).user(&s.user_id).await?;
    Ok(user.filter(|u| !u.blocked))
}

fn csrf_cookie(ctx: &Ctx, req: &Request) -> Option<String> {
    forms::cookie(req, &session::csrf_cookie_name(ctx, CSRF_COOKIE)).filter(|c| c.len() >= 32)
}

fn csrf_matches(ctx: &Ctx, req: &Request, sent: &str) -> bool {
    csrf_cookie(ctx, req)
        .is_some_and(|c| !sent.is_empty() && bool::from(c.as_bytes().ct_eq(sent.as_bytes())))
}

fn header_csrf(req: &Request) -> String {
    req.headers()
        .get("X-CSRF-Token")
        .ok()
        .flatten()
        .unwrap_or_default()
}

fn locale(req: &Request) -> Locale {
    let accept = req.headers().get("Accept-Language").ok().flatten();
    i18n::negotiate(None, accept.as_deref())
}

fn page_url(issuer: &str) -> String {
    format!("{issuer}/account/passkeys")
}

pub async fn page(ctx: &Ctx, req: Request, app: &Application, issuer: &str) -> HttpResult {
    let style = PageStyle::for_app(ctx, app, issuer, locale(&req)).await?;
    let l = style.locale;
    let Some(user) = signed_in_user(ctx, &req, app).await? else {
        let body = assets::render(
            ctx,
            "account_passkeys.html",
            &style,
            &[
                ("title", t(l, "passkeys_title").into()),
                (
                    "content",
                    // `{issuer}/account` signs the user in and links back here.
                    format!(
                        "<p class=\"error\" role=\"alert\">{}</p>\
                         <p><a id=\"sign-in\" href=\"{}\">{}</a></p>",
                        html_escape(t(l, "not_signed_in")),
                        html_escape(&format!("{issuer}/account")),
                        html_escape(t(l, "sign_in_link")),
                    ),
                ),
            ],
            &["content"],
        )
        .await?;
        return html(401, body, &page_csp(None));
    };
    let csrf = match csrf_cookie(ctx, &req) {
        Some(c) => c,
        None => random::token()?,
    };
    let list = Passkeys::of_app(&ctx.env, app).list(&user.id).await?;
    let e = |s: &str| html_escape(s);
    let base = page_url(issuer);
    let items: String = list
        .iter()
        .map(|p| {
            let last = p.last_used_at.map(utc).unwrap_or_else(|| t(l, "never").into());
            let id = e(&p.credential_id);
            format!(
                "<li class=\"passkey-item\" data-credential=\"{id}\">\
                 <strong class=\"passkey-name\">{name}</strong> \
                 <span class=\"muted\">{created_l} {created} · {last_l} {last}</span>\
                 <form method=\"post\" action=\"{base}/{id}/rename\" class=\"inline\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <label>{name_l} <input type=\"text\" name=\"name\" value=\"{name}\" maxlength=\"64\" required></label> \
                 <button type=\"submit\" class=\"secondary\">{rename}</button></form>\
                 <form method=\"post\" action=\"{base}/{id}/delete\" class=\"inline\">\
                 <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
                 <button type=\"submit\" class=\"secondary\">{remove}</button></form></li>",
                name = e(&p.name),
                created_l = e(t(l, "created")),
                created = e(&utc(p.created_at)),
                last_l = e(t(l, "last_used")),
                last = e(&last),
                base = e(&base),
                csrf = e(&csrf),
                name_l = e(t(l, "name_label")),
                rename = e(t(l, "rename")),
                remove = e(t(l, "remove")),
            )
        })
        .collect();
    let list_html = if list.is_empty() {
        format!(
            "<p class=\"muted\" id=\"no-passkeys\">{}</p>",
            e(t(l, "no_passkeys"))
        )
    } else {
        format!("<ul class=\"passkeys\">{items}</ul>")
    };
    let nonce = super::nonce()?;
    let content = format!(
        "<p class=\"muted\">{signed_in} <strong id=\"username\">{username}</strong></p>{list_html}\
         <div id=\"passkey-add\" data-options=\"{base}/options\" data-register=\"{base}\" data-csrf=\"{csrf}\" \
         data-unsupported=\"{unsupported}\" hidden>\
         <div class=\"field\"><label for=\"passkey-name\">{name_l}</label>\
         <input type=\"text\" id=\"passkey-name\" maxlength=\"64\" value=\"{default_name}\"></div>\
         <div class=\"actions\"><button type=\"button\" id=\"passkey-add-button\">{add}</button></div>\
         <p class=\"error\" id=\"passkey-error\" role=\"alert\" hidden></p></div>\
         <script src=\"{assets}/passkey.js\" nonce=\"{nonce}\"></script>",
        signed_in = e(t(l, "signed_in_as")),
        username = e(&user.username),
        base = e(&base),
        csrf = e(&csrf),
        unsupported = e(t(l, "unsupported")),
        name_l = e(t(l, "name_label")),
        default_name = e(t(l, "default_name")),
        add = e(t(l, "add_passkey")),
        assets = e(&style.assets),
        nonce = e(&nonce),
    );
    let body = assets::render(
        ctx,
        "account_passkeys.html",
        &style,
        &[
            ("title", t(l, "passkeys_title").into()),
            ("content", content),
        ],
        &["content"],
    )
    .await?;
    let mut resp = html(200, body, &page_csp_with_script(None, &nonce))?;
    let cookie = session::set_csrf_cookie(ctx, CSRF_COOKIE, &csrf, session::SESSION_SECS, issuer);
    resp.headers_mut().append("Set-Cookie", &cookie)?;
    Ok(resp)
}

fn json_error(status: u16, description: &str) -> HttpResult {
    json_no_store(status, &OAuthError::invalid_request(description).body())
}

/// `POST {issuer}/account/passkeys/options`: creation options for a new passkey.
pub async fn registration_options(
    ctx: &Ctx,
    req: Request,
    app: &Application,
    issuer: &str,
) -> HttpResult {
    let Some(user) = signed_in_user(ctx, &req, app).await? else {
        return json_error(401, "not signed in");
    };
    if !csrf_matches(ctx, &req, &header_csrf(&req)) {
        return json_error(403, "the page has expired; reload it");
    }
    let rp = relying_party(ctx, app, issuer).await?;
    let existing = Passkeys::of_app(&ctx.env, app).list(&user.id).await?;
    let ids: Vec<Vec<u8>> = existing
        .iter()
        .filter_map(|p| crate::oidc::jws::b64_decode(&p.credential_id))
        .collect();
    let known: Vec<Known<'_>> = ids
        .iter()
        .zip(&existing)
        .map(|(id, p)| Known {
            id,
            transports: &p.transports,
        })
        .collect();
    let purpose = ChallengePurpose::Register {
        user_id: user.id.clone(),
    };
    let (challenge_id, challenge) = issue_challenge(ctx, PoolAt::of_app(app), purpose).await?;
    let display = user
        .claims
        .name
        .clone()
        .unwrap_or_else(|| user.username.clone());
    let entity = UserEntity {
        id: user.id.as_bytes(),
        name: &user.username,
        display_name: &display,
    };
    let opts = options::creation(&rp, app.display_name(), &entity, &challenge, &known);
    json_no_store(
        200,
        &serde_json::json!({"challenge_id": challenge_id, "publicKey": opts}),
    )
}

#[derive(serde::Deserialize)]
struct RegisterBody {
    challenge_id: String,
    credential: RegistrationResponse,
    #[serde(default)]
    name: String,
}

/// `POST {issuer}/account/passkeys`: verifies the new credential (WebAuthn §7.1) and keeps it.
pub async fn register(ctx: &Ctx, mut req: Request, app: &Application, issuer: &str) -> HttpResult {
    let Some(user) = signed_in_user(ctx, &req, app).await? else {
        return json_error(401, "not signed in");
    };
    if !csrf_matches(ctx, &req, &header_csrf(&req)) {
        return json_error(403, "the page has expired; reload it");
    }
    let bytes = forms::body_bytes(&mut req, crate::oidc::limits::MAX_FORM_BODY).await?;
    let Ok(body) = serde_json::from_slice::<RegisterBody>(&bytes) else {
        return json_error(400, "body: must be {challenge_id, credential, name}");
    };
    let purpose = ChallengePurpose::Register {
        user_id: user.id.clone(),
    };
    let Some(challenge) =
        take_challenge(ctx, PoolAt::of_app(app), &body.challenge_id, &purpose).await?
    else {
        return json_error(400, "the challenge has expired or was used; try again");
    };
    let rp = relying_party(ctx, app, issuer).await?;
    let cred = match registration::verify(&body.credential, &challenge, &rp) {
        Ok(c) => c,
        Err(e) => {
            worker::console_warn!("passkey registration refused: {e}");
            return json_error(400, &format!("the passkey was refused: {e}"));
        }
    };
    if !key_imports(cred.public_key.alg, &cred.public_key.jwk).await {
        return json_error(400, "the passkey was refused: the public key is not valid");
    }
    let record = PasskeyRecord {
        credential_id: b64(&cred.credential_id),
        user_id: user.id.clone(),
        alg: cred.public_key.alg,
        public_key: cred.public_key.jwk,
        sign_count: cred.sign_count,
        transports: cred.transports,
        backup_eligible: cred.backup_eligible,
        backed_up: cred.backed_up,
        name: clean_name(&body.name, t(locale(&req), "default_name")),
        created_at: ctx.now,
        last_used_at: None,
    };
    match Passkeys::of_app(&ctx.env, app)
        .create(record.clone())
        .await?
    {
        Created::Created => {}
        Created::Taken => return json_error(409, "this passkey is already registered"),
        Created::Full => {
            return json_error(409, "you have the most passkeys one may; remove one first")
        }
        Created::NoUser => return json_error(401, "not signed in"),
    }
    ctx.audit.record(
        AuditEvent::of_app(
            app,
            What::MfaChanged {
                change: "passkey_added".into(),
            },
        )
        .user(&user.id),
    );
    json_no_store(201, &view(&record))
}

/// What the user's and the administrator's lists show of a passkey (never the key itself).
pub fn view(p: &PasskeyRecord) -> serde_json::Value {
    serde_json::json!({
        "credential_id": p.credential_id,
        "name": p.name,
        "created_at": p.created_at,
        "last_used_at": p.last_used_at,
        "transports": p.transports,
        "backup_eligible": p.backup_eligible,
        "backed_up": p.backed_up,
        "sign_count": p.sign_count,
    })
}

/// `POST {issuer}/account/passkeys/{id}/rename` and `…/delete` (forms; back to the list).
pub async fn change(
    ctx: &Ctx,
    mut req: Request,
    app: &Application,
    issuer: &str,
    credential_id: &str,
    action: &str,
) -> HttpResult {
    let form = forms::form_pairs(&mut req).await?;
    let Some(user) = signed_in_user(ctx, &req, app).await? else {
        return page(ctx, req, app, issuer).await;
    };
    if !csrf_matches(ctx, &req, forms::first(&form, "csrf").unwrap_or("")) {
        return Err(OAuthError::invalid_request("the page has expired; reload it").into());
    }
    let passkeys = Passkeys::of_app(&ctx.env, app);
    let found = match action {
        "rename" => {
            let name = clean_name(
                forms::first(&form, "name").unwrap_or(""),
                t(locale(&req), "default_name"),
            );
            passkeys.rename(&user.id, credential_id, &name).await?
        }
        _ => {
            let removed = passkeys.delete(&user.id, credential_id).await?.is_some();
            if removed {
                ctx.audit.record(
                    AuditEvent::of_app(
                        app,
                        What::MfaChanged {
                            change: "passkey_removed".into(),
                        },
                    )
                    .user(&user.id),
                );
            }
            removed
        }
    };
    if !found {
        return Err(HttpError::NotFound);
    }
    see_other(&page_url(issuer))
}
