//! Encoding an authorization response (success or error) in its response mode: query,
//! fragment (OAuth 2.0 Multiple Response Types §2) or an auto-submitting form (OAuth 2.0 Form
//! Post Response Mode). Every response carries `iss` (RFC 9207). Runtime-free.

use url::Url;

use super::authorize::{ErrorTarget, ResponseMode};
use super::error::OAuthError;

/// How the response reaches the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// A 303 to this URL.
    Redirect(String),
    /// An HTML page that posts `fields` to `action`.
    FormPost {
        action: String,
        fields: Vec<(String, String)>,
    },
}

/// Builds the delivery for `params` (already including `state` where present).
pub fn deliver(redirect_uri: &str, mode: ResponseMode, params: Vec<(String, String)>) -> Delivery {
    match mode {
        ResponseMode::FormPost => Delivery::FormPost {
            action: redirect_uri.to_string(),
            fields: params,
        },
        ResponseMode::Query => {
            // The redirect URI was matched against the registered list, so it parses; fall back
            // to plain concatenation rather than panic if it somehow does not.
            match Url::parse(redirect_uri) {
                Ok(mut url) => {
                    {
                        let mut q = url.query_pairs_mut();
                        for (k, v) in &params {
                            q.append_pair(k, v);
                        }
                    }
                    Delivery::Redirect(url.to_string())
                }
                Err(_) => Delivery::Redirect(format!("{redirect_uri}?{}", encode(&params))),
            }
        }
        ResponseMode::Fragment => {
            let base = redirect_uri.split('#').next().unwrap_or(redirect_uri);
            Delivery::Redirect(format!("{base}#{}", encode(&params)))
        }
    }
}

/// An error for a validated target (RFC 6749 §4.1.2.1), with `state` and `iss`.
pub fn error(target: &ErrorTarget, err: &OAuthError, issuer: &str) -> Delivery {
    let mut params = vec![
        ("error".to_string(), err.code.as_str().to_string()),
        ("error_description".to_string(), err.description.clone()),
    ];
    if let Some(s) = &target.state {
        params.push(("state".into(), s.clone()));
    }
    params.push(("iss".into(), issuer.to_string()));
    deliver(&target.redirect_uri, target.response_mode, params)
}

fn encode(params: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish()
}

/// Escapes text for HTML element content and double-quoted attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// The form_post page: submits itself with a script allowed only by `csp_nonce`; a button
/// covers browsers with scripts off.
pub fn form_post_html(action: &str, fields: &[(String, String)], csp_nonce: &str) -> String {
    let inputs: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
                html_escape(k),
                html_escape(v)
            )
        })
        .collect();
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Submitting…</title></head>\
<body><form method=\"post\" action=\"{}\">{inputs}<noscript><button type=\"submit\">Continue</button></noscript></form>\
<script nonce=\"{}\">document.forms[0].submit();</script></body></html>",
        html_escape(action),
        html_escape(csp_nonce)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::error::ErrorCode;

    fn p(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn query_keeps_the_registered_query_and_appends() {
        let d = deliver(
            "https://rp/cb?a=1",
            ResponseMode::Query,
            p(&[("code", "x y")]),
        );
        assert_eq!(d, Delivery::Redirect("https://rp/cb?a=1&code=x+y".into()));
    }

    #[test]
    fn fragment_puts_params_after_the_hash() {
        let d = deliver(
            "https://rp/cb",
            ResponseMode::Fragment,
            p(&[("id_token", "a.b.c")]),
        );
        assert_eq!(d, Delivery::Redirect("https://rp/cb#id_token=a.b.c".into()));
    }

    #[test]
    fn errors_carry_state_and_iss() {
        let t = ErrorTarget {
            redirect_uri: "https://rp/cb".into(),
            response_mode: ResponseMode::Fragment,
            state: Some("s".into()),
        };
        let e = OAuthError::new(ErrorCode::LoginRequired, "login required");
        let Delivery::Redirect(u) = error(&t, &e, "https://i/oidc") else {
            panic!()
        };
        assert!(u.starts_with("https://rp/cb#error=login_required"));
        assert!(u.contains("state=s") && u.contains("iss=https%3A%2F%2Fi%2Foidc"));
    }

    #[test]
    fn form_post_escapes_values() {
        let html = form_post_html("https://rp/cb", &p(&[("state", "\"><script>")]), "n1");
        assert!(html.contains("&quot;&gt;&lt;script&gt;"));
        assert!(html.contains("nonce=\"n1\""));
    }
}
