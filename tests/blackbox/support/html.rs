//! Just enough HTML to read the hosted pages and the form_post pages: start tags and their
//! attributes, and a page's first form with its hidden fields. Depends on nothing else in
//! `support`.

use std::collections::BTreeMap;

/// Undoes the escapes `html_escape` and common HTML writers produce.
pub fn html_unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The attributes of a start tag body (`input type="hidden" name="a" value="b"`).
fn attributes(tag: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = tag;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq]
            .split_whitespace()
            .last()
            .unwrap_or("")
            .to_ascii_lowercase();
        let after = rest[eq + 1..].trim_start();
        let (value, tail) = match after.chars().next() {
            Some(q @ ('"' | '\'')) => match after[1..].find(q) {
                Some(end) => (&after[1..1 + end], &after[2 + end..]),
                None => (&after[1..], ""),
            },
            _ => {
                let end = after.find(char::is_whitespace).unwrap_or(after.len());
                (&after[..end], &after[end..])
            }
        };
        if !name.is_empty() {
            out.insert(name, html_unescape(value));
        }
        rest = tail;
    }
    out
}

/// Every start tag `<{name} ...>` in `html`, as attribute maps.
pub fn tags(html: &str, name: &str) -> Vec<BTreeMap<String, String>> {
    let open = format!("<{name}");
    let lower = html.to_ascii_lowercase();
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open) {
        let start = from + i + open.len();
        let next = lower[start..].chars().next();
        if next.is_some_and(|c| c.is_whitespace() || c == '>' || c == '/') {
            let end = html[start..]
                .find('>')
                .map(|e| start + e)
                .unwrap_or(html.len());
            out.push(attributes(&html[start..end]));
            from = end;
        } else {
            from = start;
        }
    }
    out
}

/// The first `<form>` of a page: its action and its hidden inputs (a form_post response, or a
/// hosted page's CSRF field).
#[derive(Debug, Clone)]
pub struct Form {
    pub action: String,
    pub method: String,
    pub hidden: Vec<(String, String)>,
}

impl Form {
    pub fn parse(html: &str) -> Option<Form> {
        let form = tags(html, "form").into_iter().next()?;
        let hidden = tags(html, "input")
            .into_iter()
            .filter(|a| {
                a.get("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("hidden"))
            })
            .filter_map(|a| {
                Some((
                    a.get("name")?.clone(),
                    a.get("value").cloned().unwrap_or_default(),
                ))
            })
            .collect();
        Some(Form {
            action: form.get("action").cloned().unwrap_or_default(),
            method: form
                .get("method")
                .cloned()
                .unwrap_or_else(|| "get".into())
                .to_ascii_lowercase(),
            hidden,
        })
    }

    pub fn field(&self, name: &str) -> Option<&str> {
        self.hidden
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}
