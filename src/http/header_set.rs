//! The constant headers of a kind of response (every page's security headers, a token's
//! `no-store`), built once per isolate as a JavaScript `Headers` and copied into each response
//! by one `new Headers(template)`: one call into the runtime instead of one `set` per header,
//! each with its name and value copied out of the wasm. A response gets its own copy, so
//! what a handler adds (a cookie, a challenge, the page's CSP) never reaches the template.

use std::cell::OnceCell;

use worker::Headers;

/// Which template.
#[derive(Clone, Copy)]
pub enum Kind {
    /// A JSON answer never to be cached (tokens, introspection, OAuth errors).
    JsonNoStore,
    /// An HTML page (`respond::html`, which adds the page's CSP).
    Page,
    /// A 303 (`respond::see_other`, which adds the `Location`): never cached, and the URL
    /// it leaves (an interaction's, a callback's with its code) not sent on as a referrer.
    Redirect,
}

impl Kind {
    fn pairs(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::JsonNoStore => &[
                ("Content-Type", "application/json"),
                ("Cache-Control", "no-store"),
                ("Pragma", "no-cache"),
            ],
            Kind::Page => &[
                ("Content-Type", "text/html; charset=utf-8"),
                ("X-Frame-Options", "DENY"),
                ("X-Content-Type-Options", "nosniff"),
                ("Referrer-Policy", "no-referrer"),
                ("Cache-Control", "no-store"),
                ("Pragma", "no-cache"),
            ],
            Kind::Redirect => &[
                ("Cache-Control", "no-store"),
                ("Referrer-Policy", "no-referrer"),
            ],
        }
    }

    fn index(self) -> usize {
        match self {
            Kind::JsonNoStore => 0,
            Kind::Page => 1,
            Kind::Redirect => 2,
        }
    }
}

thread_local! {
    /// The templates, by `Kind::index`, each built at its first use in this isolate.
    static TEMPLATES: [OnceCell<web_sys::Headers>; 3] =
        const { [OnceCell::new(), OnceCell::new(), OnceCell::new()] };
}

fn build(kind: Kind) -> worker::Result<web_sys::Headers> {
    let headers = Headers::new();
    for (name, value) in kind.pairs() {
        headers.set(name, value)?;
    }
    Ok(headers.0)
}

/// A fresh `Headers` holding `kind`'s headers, the response's own to add to.
pub fn copy(kind: Kind) -> worker::Result<Headers> {
    TEMPLATES.with(|templates| {
        let cell = &templates[kind.index()];
        let template = match cell.get() {
            Some(t) => t,
            None => {
                let built = build(kind)?;
                cell.get_or_init(|| built)
            }
        };
        Ok(Headers(web_sys::Headers::new_with_headers(template)?))
    })
}
