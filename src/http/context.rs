//! The per-request context: settings read from `Env` once, the clock, and the resolved site.
//! No global state: handlers get everything from here (and the protocol code takes the clock as a value, so tests can fix it).

use std::cell::OnceCell;
use std::rc::Rc;

use worker::Env;

use super::audit::{Forwarding, Recorder};
use super::respond::HttpError;
use crate::oidc::key_schedule::RotationPolicy;
use crate::store::kv::Kv;
use crate::store::StoreError;

/// Typed settings with their sources. Every problem is reported at once.
pub struct Settings {
    /// `BASE_DOMAIN` var: subdomain-style issuers when set.
    pub base_domain: Option<String>,
    /// `MASTER_KEY` secret: 32 bytes, base64url. Seals client secrets and private keys.
    pub master_key: String,
    /// `ADMIN_TOKEN` secret: bearer token of the admin API.
    pub admin_token: String,
    /// `KEY_ROTATION_DAYS` var (90 by default, 0 turns it off): how often the cron trigger
    /// rotates each pool's signing keys. `KEY_ROTATION_PERIOD_SECS`, `KEY_PUBLISH_AHEAD_SECS`
    /// and `KEY_RETIRE_AFTER_SECS` set the schedule to the second (tests use short ones).
    pub key_rotation: RotationPolicy,
    /// `AUDIT_LOG_LINES` var (`true` or `false`, off by default): print every audit event as
    /// one JSON log line too, for Workers Logs and Logpush. `AUDIT_TOKEN_TALLY_SECS` (15 by
    /// default, 0 logs each): how long machine tokens are tallied before they are logged.
    /// `AUDIT_BATCH_MS` (100 by default, at most 1,000, 0 appends each request's own): how long
    /// an isolate gathers its requests' events into one append (`http::audit_batch`).
    pub audit: Forwarding,
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

    /// The isolate's settings if an earlier request has read them (`hot_routes`, which has no
    /// `Env`, declines until then).
    pub fn of_isolate_if_read() -> Option<Rc<Settings>> {
        SETTINGS.with(|c| c.get().cloned())
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
        let number = |name: &str| -> Result<Option<u64>, String> {
            match env.var(name).map(|v| v.to_string()) {
                Ok(v) if !v.trim().is_empty() => v
                    .trim()
                    .parse::<u64>()
                    .map(Some)
                    .map_err(|_| format!("{name} must be a whole number")),
                _ => Ok(None),
            }
        };
        let mut key_rotation = RotationPolicy::DEFAULT;
        let mut bad = Vec::new();
        match number("KEY_ROTATION_DAYS") {
            Ok(Some(d)) => key_rotation.period = d.saturating_mul(86_400),
            Ok(None) => {}
            Err(e) => bad.push(e),
        }
        for (name, field) in [
            ("KEY_ROTATION_PERIOD_SECS", &mut key_rotation.period),
            ("KEY_PUBLISH_AHEAD_SECS", &mut key_rotation.publish_ahead),
            ("KEY_RETIRE_AFTER_SECS", &mut key_rotation.retire_after),
        ] {
            match number(name) {
                Ok(Some(n)) => *field = n,
                Ok(None) => {}
                Err(e) => bad.push(e),
            }
        }
        let mut audit = Forwarding::default();
        if let Ok(v) = env.var("AUDIT_LOG_LINES").map(|v| v.to_string()) {
            match v.trim() {
                "true" | "1" => audit.log_lines = true,
                "false" | "0" | "" => {}
                _ => bad.push("AUDIT_LOG_LINES must be true or false".to_string()),
            }
        }
        match number("AUDIT_TOKEN_TALLY_SECS") {
            Ok(Some(secs)) => audit.token_tally_secs = secs,
            Ok(None) => {}
            Err(e) => bad.push(e),
        }
        match number("AUDIT_BATCH_MS") {
            Ok(Some(ms)) => audit.batch_ms = ms.min(super::audit::MAX_BATCH_MS),
            Ok(None) => {}
            Err(e) => bad.push(e),
        }
        if problems.is_empty() && bad.is_empty() {
            Ok(Settings {
                base_domain,
                master_key: master_key.trim().to_string(),
                admin_token,
                key_rotation,
                audit,
            })
        } else {
            let mut all: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
            all.extend(bad);
            Err(HttpError::Config(all.join("; ")))
        }
    }
}

/// Seconds since the epoch, from the runtime's clock.
pub fn now() -> u64 {
    worker::Date::now().as_millis() / 1000
}

/// How the request names its application (`tenant` finds it, `hot_routes` keys by it).
#[derive(Clone, Copy)]
pub enum AppAt<'a> {
    /// `{sub}.{base}` or, in path style, `/{sub}/oidc`.
    Subdomain(&'a str),
    /// A host the application claimed as its own.
    Host(&'a str),
}

pub struct Ctx {
    pub env: Env,
    pub settings: Rc<Settings>,
    pub now: u64,
    /// The audit events this request records; written after the response (`http::handle`).
    pub audit: Recorder,
    /// The KV binding, looked up once per request: `worker`'s `KvStore` makes a `Reflect.get`
    /// for the binding and each of its five methods every time one is made.
    pub(super) kv: OnceCell<Kv>,
    /// The request's URL, parsed once: `worker`'s `Request::url` copies the runtime's string
    /// and parses it again at each call.
    pub url: url::Url,
}

impl Ctx {
    /// This request's KV store (`Ctx::kv`'s one lookup).
    pub fn kv(&self) -> Result<&Kv, StoreError> {
        if let Some(kv) = self.kv.get() {
            return Ok(kv);
        }
        let kv = Kv::new(&self.env)?;
        Ok(self.kv.get_or_init(|| kv))
    }

    /// Whether the request came over https (decides the `Secure` cookie flag and HSTS).
    pub fn https(&self) -> bool {
        self.url.scheme() == "https"
    }
}
