//! The request's audit recorder and the write that follows the response. Emitters call
//! `ctx.audit.record(…)` (no await, nothing that can fail); `http::handle` forwards what was
//! recorded at once (`forward`: one JSON log line per event with `AUDIT_LOG_LINES`, for
//! Workers Logs and Logpush, and Workers Analytics Engine when an `AUDIT_ANALYTICS` dataset is
//! bound) and hands it to `audit_batch`, which `append`s it through a request's `waitUntil`:
//! the log's Durable Object is written after the answer has left, and a failed write is
//! logged, never shown to the user.

use std::cell::RefCell;

use worker::{AnalyticsEngineDataPointBuilder, Env};

use crate::oidc::audit::{
    Action, AuditEvent, RevocationReason, Revoked, Target, What, DEFAULT_RETENTION_DAYS,
};
use crate::oidc::audit_tally::{Tally, TallyKey};
use crate::oidc::model::Application;
use crate::store::audit::{self, AuditCommand};
use crate::store::kv::Kv;
use crate::store::placement::Placement;

/// The Analytics Engine dataset binding events go to when it is bound (optional).
pub const ANALYTICS_BINDING: &str = "AUDIT_ANALYTICS";

/// What one request records; stamped with the request's facts as it is recorded.
pub struct Recorder {
    now: u64,
    ip: String,
    user_agent: Option<String>,
    actor: RefCell<Option<String>>,
    events: RefCell<Vec<AuditEvent>>,
}

impl Recorder {
    pub fn new(now: u64, ip: String, user_agent: Option<String>) -> Recorder {
        Recorder {
            now,
            ip,
            user_agent,
            actor: RefCell::new(None),
            events: RefCell::new(Vec::new()),
        }
    }

    /// The administrator every later event of this request is done by (the admin API).
    pub fn set_actor(&self, actor: &str) {
        *self.actor.borrow_mut() = Some(actor.to_string());
    }

    pub fn record(&self, event: AuditEvent) {
        let actor = self.actor.borrow().clone();
        let e = event.stamped(
            self.now,
            &self.ip,
            self.user_agent.as_deref(),
            actor.as_deref(),
        );
        self.events.borrow_mut().push(e);
    }

    /// Everything recorded so far (emptied).
    pub fn take(&self) -> Vec<AuditEvent> {
        std::mem::take(&mut *self.events.borrow_mut())
    }

    /// The user allowed `app`'s client the scope on the consent page.
    pub fn consent_given(&self, app: &Application, user_id: &str, scope: &impl ToString) {
        let scope = scope.to_string();
        self.record(AuditEvent::of_app(app, What::ConsentGiven { scope }).user(user_id));
    }

    /// An administrator's change to `target_id` in `pool` (before/after redacted and cut to
    /// what changed by `What::admin_change`).
    pub fn admin_change(
        &self,
        pool: &str,
        target: Target,
        target_id: &str,
        action: Action,
        before: Option<&serde_json::Value>,
        after: Option<&serde_json::Value>,
    ) {
        let what = What::admin_change(target, target_id, action, before, after);
        self.record(AuditEvent::new(pool, what));
    }

    /// What a user held was revoked.
    pub fn revoked(&self, pool: &str, user_id: &str, revoked: Revoked, reason: RevocationReason) {
        self.record(AuditEvent::new(pool, What::TokenRevoked { revoked, reason }).user(user_id));
    }
}

/// Whether events are also printed as log lines (`AUDIT_LOG_LINES`), how long machine tokens
/// are tallied before they are logged (`AUDIT_TOKEN_TALLY_SECS`, `oidc::audit_tally`), and how
/// long an isolate gathers its requests' events into one append (`AUDIT_BATCH_MS`,
/// `audit_batch`).
#[derive(Debug, Clone, Copy)]
pub struct Forwarding {
    pub log_lines: bool,
    pub token_tally_secs: u64,
    pub batch_ms: u64,
}

impl Default for Forwarding {
    fn default() -> Self {
        Forwarding {
            log_lines: false,
            token_tally_secs: DEFAULT_TOKEN_TALLY_SECS,
            batch_ms: DEFAULT_BATCH_MS,
        }
    }
}

/// `AUDIT_TOKEN_TALLY_SECS` unless set.
pub const DEFAULT_TOKEN_TALLY_SECS: u64 = 15;

/// `AUDIT_BATCH_MS` unless set (`audit_batch`).
pub const DEFAULT_BATCH_MS: u64 = 100;
/// The longest batch window accepted: events should reach the log within a second.
pub const MAX_BATCH_MS: u64 = 1_000;

thread_local! {
    /// The isolate's tally of machine tokens (`oidc::audit_tally`).
    static MACHINE_TOKENS: RefCell<Tally> = RefCell::new(Tally::default());
}

/// Counts a machine token in the isolate's tally instead of logging it by itself; with a
/// window of 0, records it as an event of this request.
pub fn machine_token(recorder: &Recorder, window: u64, event: AuditEvent) {
    if window == 0 {
        recorder.record(event);
        return;
    }
    let key = TallyKey {
        pool_id: event.pool_id.clone(),
        application_id: event.application_id.clone().unwrap_or_default(),
        client_id: event.client_id.clone().unwrap_or_default(),
        grant_type: event.what.label().unwrap_or_default().to_string(),
        hour: 0,
    };
    MACHINE_TOKENS.with(|t| t.borrow_mut().add(key, recorder.now));
    // An answer kept outside the wasm while the tally was not due (`hot_routes`) must be
    // looked at again: this token may make it due sooner.
    crate::store::isolate_version::bump();
}

/// The second from which the tally is due, if it holds any token (`Tally::due_at`).
pub fn tally_due_at(window: u64) -> Option<u64> {
    MACHINE_TOKENS.with(|t| t.borrow().due_at(window))
}

/// The tally as events when it is due (at most `window` seconds old otherwise), else none.
pub fn due_tally(now: u64, window: u64) -> Vec<AuditEvent> {
    if !tally_due(now, window) {
        return Vec::new();
    }
    MACHINE_TOKENS.with(|t| t.borrow_mut().take())
}

/// Whether the next request hands the machine-token tally to the log (`due_tally`).
pub fn tally_due(now: u64, window: u64) -> bool {
    MACHINE_TOKENS.with(|t| t.borrow().is_due(now, window))
}

/// Forwards `events` at once, from the request that recorded them: one JSON log line each
/// (`AUDIT_LOG_LINES`) and a data point each to Analytics Engine when a dataset is bound.
/// Neither waits on anything.
pub fn forward(env: &Env, events: &[AuditEvent], forwarding: Forwarding) {
    if forwarding.log_lines {
        for e in events {
            worker::console_log!("{}", e.log_line());
        }
    }
    let Some(dataset) = env.analytics_engine(ANALYTICS_BINDING).ok() else {
        return;
    };
    for e in events {
        let point = AnalyticsEngineDataPointBuilder::new()
            .indexes([e.pool_id.as_str()])
            .add_blob(e.kind().as_str())
            .add_blob(e.application_id.as_deref().unwrap_or(""))
            .add_blob(e.client_id.as_deref().unwrap_or(""))
            .add_blob(e.what.label().unwrap_or(""))
            .add_blob(e.user_id.as_deref().unwrap_or(""))
            .add_double(1)
            .build();
        if let Err(err) = dataset.write_data_point(&point) {
            worker::console_error!("audit: analytics engine: {err}");
        }
    }
}

/// Writes `events` to their pools' logs, one call per pool. Runs after the response
/// (`audit_batch`): every failure is logged and dropped.
pub async fn append(env: &Env, events: Vec<AuditEvent>) {
    let mut pools: Vec<(String, Vec<AuditEvent>)> = Vec::new();
    for e in events {
        match pools.iter_mut().find(|(p, _)| *p == e.pool_id) {
            Some((_, list)) => list.push(e),
            None => pools.push((e.pool_id.clone(), vec![e])),
        }
    }
    for (pool, events) in pools {
        let now = events.iter().map(|e| e.time).max().unwrap_or(0);
        // Without the pool's record its placement is unknown, and a pinned pool's events
        // must not land outside its jurisdiction: the batch is dropped (and logged).
        let Some((retention_days, at)) = log_settings(env, &pool).await else {
            continue;
        };
        let written: Result<serde_json::Value, _> = audit::call(
            env,
            &pool,
            at,
            AuditCommand::Append {
                events,
                retention_days,
                now,
            },
        )
        .await;
        if let Err(err) = written {
            worker::console_error!("audit: writing the log of pool {pool} failed: {err}");
        }
    }
}

/// The pool's retention and placement (its KV record, cached per isolate); the defaults when
/// it has none; `None` when the record cannot be read.
async fn log_settings(env: &Env, pool: &str) -> Option<(u32, Placement)> {
    let found = match Kv::new(env) {
        Ok(kv) => kv.pool(pool).await,
        Err(e) => Err(e),
    };
    match found {
        Ok(Some(p)) => Some((p.audit_retention_days, Placement::of_pool(&p))),
        Ok(None) => Some((DEFAULT_RETENTION_DAYS, Placement::GLOBAL)),
        Err(e) => {
            worker::console_error!("audit: reading pool {pool}, its events are dropped: {e}");
            None
        }
    }
}
