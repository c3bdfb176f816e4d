//! The per-request context: settings read from `Env` once, the clock, and the resolved site.
//! No global state: handlers get everything from here (and the protocol code takes the clock as a value, so tests can fix it).

use std::rc::Rc;

use worker::Env;

use super::respond::HttpError;

/// Typed settings with their sources. Every problem is reported at once.
pub struct Settings {
    /// `BASE_DOMAIN` var: subdomain-style issuers when set.
    pub base_domain: Option<String>,
    /// `MASTER_KEY` secret: 32 bytes, base64url. Seals client secrets and private keys.
    pub master_key: String,
    /// `ADMIN_TOKEN` secret: bearer token of the admin API.
    pub admin_token: String,
}

thread_local! {
    /// Vars and secrets are fixed for an isolate's life (a change deploys a new version), so
    /// they are read and checked once per isolate, not on every request.
    static SETTINGS: std::cell::OnceCell<Rc<Settings>> = const { std::cell::OnceCell::new() };
}

impl Settings {
    /// The isolate's settings, read from `Env` on its first request. A configuration problem
    /// is not cached: every request reports it until the secrets are set.
    pub fn of_isolate(env: &Env) -> Result<Rc<Settings>, HttpError> {
        if let Some(s) = SETTINGS.with(|c| c.get().cloned()) {
            return Ok(s);
        }
        let s = Rc::new(Settings::from_env(env)?);
        SETTINGS.with(|c| {
            let _ = c.set(s.clone());
        });
        Ok(s)
    }

    pub fn from_env(env: &Env) -> Result<Settings, HttpError> {
        let mut problems = Vec::new();
        let base_domain = env
            .var("BASE_DOMAIN")
            .map(|v| v.to_string())
            .ok()
            .map(|v| v.trim().to_lowercase())
            .filter(|v| !v.is_empty());
        let master_key = env
            .secret("MASTER_KEY")
            .map(|v| v.to_string())
            .unwrap_or_default();
        if crate::oidc::jws::b64_decode(master_key.trim()).map(|k| k.len()) != Some(32) {
            problems.push(
                "MASTER_KEY must be set to 32 random bytes in base64url (see scripts/dev.sh)",
            );
        }
        let admin_token = env
            .secret("ADMIN_TOKEN")
            .map(|v| v.to_string())
            .unwrap_or_default();
        if admin_token.len() < 16 {
            problems.push("ADMIN_TOKEN must be set to a random string of at least 16 characters");
        }
        if problems.is_empty() {
            Ok(Settings {
                base_domain,
                master_key: master_key.trim().to_string(),
                admin_token,
            })
        } else {
            Err(HttpError::Config(problems.join("; ")))
        }
    }
}

/// Seconds since the epoch, from the runtime's clock.
pub fn now() -> u64 {
    worker::Date::now().as_millis() / 1000
}

pub struct Ctx {
    pub env: Env,
    pub settings: Rc<Settings>,
    pub now: u64,
}
