//! Guards that keep the floors honest, read from the source text: `oidc` uses no runtime
//! type; no two files under `src/http/` import each other in a circle; grants import neither
//! endpoints nor the admin API; the token layer imports no endpoint, grant or admin module.
//! A failure names the file and the import, so the fix is to move code, not to silence this.

// Test code reading the project's own sources: a bad slice is a failed test, not an outage.
#![allow(clippy::string_slice)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The module path of a file: `src/http/tokens/mint.rs` → `http::tokens::mint`.
fn module_of(file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src()).unwrap_or(file);
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts.last().is_some_and(|l| l == "mod" || l == "lib") {
        parts.pop();
    }
    parts
}

/// The code of a file without comments, string literals' contents and its `#[cfg(test)]`
/// module (whose `super` is the file itself), so that only real imports count.
fn code_of(text: &str) -> String {
    let text = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut out = String::new();
    for line in text.lines() {
        let code = match line.find("//") {
            Some(i) => &line[..i],
            None => line,
        };
        let mut in_str = false;
        for c in code.chars() {
            if c == '"' {
                in_str = !in_str;
                out.push(c);
            } else if !in_str {
                out.push(c);
            }
        }
        out.push('\n');
    }
    out
}

/// Expands `a::{b, c::{d, e}}` into `a::b`, `a::c::d`, `a::c::e`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else {
        return vec![tree];
    };
    let prefix = &tree[..open];
    let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0, 0);
    for (i, c) in inner.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[start..]);
    parts
        .into_iter()
        .filter(|p| !p.is_empty())
        .flat_map(|p| expand(p).into_iter().map(move |q| format!("{prefix}{q}")))
        .collect()
}

/// Every module path a file names: its `use` trees and inline `crate::…`/`super::…` paths.
fn named_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    let mut rest = code;
    while let Some(i) = rest.find("use ") {
        let before_ok = i == 0
            || !rest[..i]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_');
        let after = &rest[i + 4..];
        let end = after.find(';').unwrap_or(after.len());
        if before_ok {
            paths.extend(expand(&after[..end]));
        }
        rest = &after[end.min(after.len())..];
    }
    for start in ["crate::", "super::"] {
        let mut from = 0;
        while let Some(i) = code[from..].find(start) {
            let at = from + i;
            let tail: String = code[at..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            paths.push(tail);
            from = at + start.len();
        }
    }
    paths
}

/// Resolves a path named in `module` to the source file it lands in, if any.
fn resolve(module: &[String], path: &str, files: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
    let mut abs: Vec<String> = match segs.first() {
        Some(&"crate") => Vec::new(),
        Some(&"super") => {
            let mut m = module.to_vec();
            m.pop();
            m
        }
        Some(&"self") => module.to_vec(),
        // A child module named by its bare name (`use pending::Pending;` in `mod.rs`).
        Some(child) => {
            let mut m = module.to_vec();
            m.push(child.to_string());
            if !files.contains(&m) {
                return None;
            }
            module.to_vec()
        }
        None => return None,
    };
    let mut i = usize::from(matches!(segs.first(), Some(&"crate" | &"super" | &"self")));
    while i > 0 && segs.get(i) == Some(&"super") {
        abs.pop();
        i += 1;
    }
    abs.extend(segs[i..].iter().map(|s| s.to_string()));
    (1..=abs.len())
        .rev()
        .map(|n| abs[..n].to_vec())
        .find(|prefix| files.contains(prefix))
}

/// The import graph of the crate's files, by module path.
fn graph() -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut files = Vec::new();
    rust_files(&src(), &mut files);
    let modules: BTreeSet<Vec<String>> = files.iter().map(|f| module_of(f)).collect();
    let mut g = BTreeMap::new();
    for f in &files {
        let m = module_of(f);
        let code = code_of(&fs::read_to_string(f).unwrap_or_default());
        let edges: BTreeSet<Vec<String>> = named_paths(&code)
            .iter()
            .filter_map(|p| resolve(&m, p, &modules))
            .filter(|t| *t != m)
            .collect();
        g.insert(m, edges);
    }
    g
}

fn name(m: &[String]) -> String {
    m.join("::")
}

#[test]
fn oidc_uses_no_runtime_type() {
    let mut files = Vec::new();
    rust_files(&src().join("oidc"), &mut files);
    let forbidden = [
        "worker::",
        "use worker",
        "web_sys",
        "js_sys",
        "wasm_bindgen",
        "crate::http",
        "crate::store",
        "crate::crypto",
        "crate::objects",
    ];
    let mut found = Vec::new();
    for f in &files {
        let code = code_of(&fs::read_to_string(f).unwrap_or_default());
        for bad in forbidden {
            if code.contains(bad) {
                found.push(format!("{} uses {bad}", f.display()));
            }
        }
    }
    assert!(found.is_empty(), "oidc must stay runtime-free: {found:#?}");
}

#[test]
fn no_import_circle_among_http_files() {
    let g = graph();
    let http: Vec<&Vec<String>> = g
        .keys()
        .filter(|m| m.first().is_some_and(|s| s == "http"))
        .collect();
    // Depth-first search with colours; the stack is the circle when a grey node is met again.
    fn visit<'a>(
        m: &'a Vec<String>,
        g: &'a BTreeMap<Vec<String>, BTreeSet<Vec<String>>>,
        state: &mut BTreeMap<&'a Vec<String>, u8>,
        stack: &mut Vec<&'a Vec<String>>,
    ) -> Option<Vec<String>> {
        state.insert(m, 1);
        stack.push(m);
        for t in g.get(m).into_iter().flatten() {
            if t.first().map(String::as_str) != Some("http") {
                continue;
            }
            match state.get(t).copied().unwrap_or(0) {
                1 => {
                    let from = stack.iter().position(|s| *s == t).unwrap_or(0);
                    let mut circle: Vec<String> = stack[from..].iter().map(|s| name(s)).collect();
                    circle.push(name(t));
                    return Some(circle);
                }
                0 => {
                    if let Some(c) = visit(t, g, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(m, 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in http {
        if state.get(m).copied().unwrap_or(0) == 0 {
            let mut stack = Vec::new();
            if let Some(c) = visit(m, &g, &mut state, &mut stack) {
                panic!("import circle: {}", c.join(" -> "));
            }
        }
    }
}

/// Files of `layer` must not import any module under one of `forbidden`.
fn assert_layer_does_not_import(layer: &[&str], forbidden: &[&[&str]]) {
    let g = graph();
    let mut found = Vec::new();
    for (m, edges) in &g {
        if !m.starts_with(&layer.iter().map(|s| s.to_string()).collect::<Vec<_>>()) {
            continue;
        }
        for t in edges {
            for f in forbidden {
                let f: Vec<String> = f.iter().map(|s| s.to_string()).collect();
                if t.starts_with(&f) {
                    found.push(format!("{} imports {}", name(m), name(t)));
                }
            }
        }
    }
    assert!(found.is_empty(), "{found:#?}");
}

const ENDPOINTS: &[&[&str]] = &[
    &["http", "token"],
    &["http", "authorize"],
    &["http", "authorization"],
    &["http", "interaction"],
    &["http", "userinfo"],
    &["http", "introspection"],
    &["http", "revocation"],
    &["http", "logout"],
    &["http", "registration"],
    &["http", "tenant"],
    &["http", "discovery"],
    &["http", "admin"],
];

#[test]
fn grants_import_neither_endpoints_nor_the_admin_api() {
    assert_layer_does_not_import(&["http", "grants"], ENDPOINTS);
}

#[test]
fn the_token_layer_imports_no_endpoint_grant_or_admin_module() {
    let mut forbidden = ENDPOINTS.to_vec();
    forbidden.push(&["http", "grants"]);
    forbidden.push(&["http", "sign_in"]);
    assert_layer_does_not_import(&["http", "tokens"], &forbidden);
}

#[test]
fn the_guard_sees_imports_in_every_form() {
    let code = "use super::{a, b::{c, d}};\nuse crate::http::tokens::mint;\nlet x = crate::store::kv::Kv::new();\n// use crate::http::admin;\n";
    let paths = named_paths(&code_of(code));
    for want in [
        "super::a",
        "super::b::c",
        "super::b::d",
        "crate::http::tokens::mint",
        "crate::store::kv::Kv::new",
    ] {
        assert!(paths.iter().any(|p| p == want), "{want} in {paths:?}");
    }
    assert!(
        !paths.iter().any(|p| p.contains("admin")),
        "comments are not imports"
    );
}
