//! One audit-log append for the events of an isolate's requests close in time. Each request's
//! events used to be one call to the pool's `AuditLog` object, so a sign-in (its login POST and
//! its token request) cost two calls and two storage commits besides its own. Now the first
//! request with events opens a batch: its `waitUntil` waits `AUDIT_BATCH_MS` (100 by default),
//! then appends everything the isolate's requests handed over meanwhile, one call per pool;
//! the requests in between only add to it. Under load that is one append for many sign-ins;
//! alone, a request's events reach the log that much later.
//!
//! Durability is what it was: events wait in this isolate's memory, as they waited in each
//! request's `waitUntil` future before, and the request that opened the batch keeps the
//! isolate's work alive until the append is done (the runtime gives `waitUntil` work 30 s).
//! Should that request's `waitUntil` be cut short, the batch is not stranded: a batch still
//! open 5 s after it opened is taken over by the next request with events.
//! With `AUDIT_BATCH_MS=0` each request appends its own events at once, as before.

use std::cell::{Cell, RefCell};
use std::time::Duration;

use worker::{Context, Env};

use super::audit;
use crate::oidc::audit::AuditEvent;

/// A batch still open this long after it opened lost the request that was to append it (its
/// `waitUntil` was cut short): the next request takes it over, so its events still go.
const ABANDONED_AFTER_MS: u64 = 5_000;

/// The events waiting for an append, and when the batch opened (ms).
struct Batch {
    opened_at: u64,
    events: Vec<AuditEvent>,
}

thread_local! {
    /// The open batch; `None` when no batch is open.
    static OPEN: RefCell<Option<Batch>> = const { RefCell::new(None) };
    /// Appends made and events handed over, by this isolate (the debug probe `audit-batches`).
    static APPENDS: Cell<u64> = const { Cell::new(0) };
    static EVENTS: Cell<u64> = const { Cell::new(0) };
}

/// Hands a request's `events` to the log: into the open batch, or into a new one that this
/// request's `waitUntil` appends after `batch_ms`.
pub fn hand_over(env: &Env, wctx: &Context, events: Vec<AuditEvent>, batch_ms: u64) {
    EVENTS.with(|n| n.set(n.get() + events.len() as u64));
    if batch_ms == 0 {
        APPENDS.with(|n| n.set(n.get() + 1));
        let env = env.clone();
        wctx.wait_until(async move { audit::append(&env, events).await });
        return;
    }
    let now = worker::Date::now().as_millis();
    let opened = OPEN.with(|open| {
        let mut open = open.borrow_mut();
        match open.as_mut() {
            Some(batch) if now < batch.opened_at + ABANDONED_AFTER_MS => {
                batch.events.extend(events);
                false
            }
            // None open, or one whose appender is gone: this request appends it.
            _ => {
                let mut waiting = open.take().map(|b| b.events).unwrap_or_default();
                waiting.extend(events);
                *open = Some(Batch {
                    opened_at: now,
                    events: waiting,
                });
                true
            }
        }
    });
    if opened {
        let env = env.clone();
        wctx.wait_until(async move {
            worker::Delay::from(Duration::from_millis(batch_ms)).await;
            let events = OPEN
                .with(|open| open.borrow_mut().take())
                .map(|b| b.events)
                .unwrap_or_default();
            if events.is_empty() {
                return;
            }
            APPENDS.with(|n| n.set(n.get() + 1));
            audit::append(&env, events).await;
        });
    }
}

/// (appends made, events handed over) by this isolate so far.
pub fn counts() -> (u64, u64) {
    (APPENDS.with(Cell::get), EVENTS.with(Cell::get))
}
