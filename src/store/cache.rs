//! A per-isolate read cache in front of KV for the records read on nearly every request
//! (application by subdomain, pool, JWKS). KV itself already serves edge-cached values for up
//! to about a minute in production, so holding them here for `TTL_MS` adds no new staleness
//! there; writes made through this isolate (the admin API, the key vault) drop their entry at
//! once, so locally a change is still seen on the next request.
//!
//! Every write bumps the isolate's version (`store::isolate_version`), so an answer built from
//! its entries (the hot documents kept in `src/entry.js`) can tell in one comparison that none
//! of them changed.

use std::cell::RefCell;
use std::collections::HashMap;

const TTL_MS: f64 = 10_000.0;

thread_local! {
    static ENTRIES: RefCell<HashMap<String, (f64, Option<String>)>> = RefCell::new(HashMap::new());
}

/// Until when (ms since the epoch, the runtime's clock) `key`'s entry stays fresh, if it is.
pub fn fresh_until(key: &str) -> Option<f64> {
    let now = now_ms();
    ENTRIES.with(|e| {
        e.borrow()
            .get(key)
            .map(|(at, _)| at + TTL_MS)
            .filter(|until| now < *until)
    })
}

fn now_ms() -> f64 {
    worker::Date::now().as_millis() as f64
}

/// `Some(value)` when cached and fresh (the value itself may be "not found").
pub fn get(key: &str) -> Option<Option<String>> {
    let now = now_ms();
    ENTRIES.with(|e| {
        e.borrow()
            .get(key)
            .filter(|(at, _)| now - at < TTL_MS)
            .map(|(_, v)| v.clone())
    })
}

pub fn put(key: &str, value: Option<String>) {
    let now = now_ms();
    ENTRIES.with(|e| {
        let mut map = e.borrow_mut();
        // Bounded: an isolate serving many tenants drops stale entries as it goes.
        if map.len() > 10_000 {
            map.retain(|_, (at, _)| now - *at < TTL_MS);
        }
        map.insert(key.to_string(), (now, value));
    });
    super::isolate_version::bump();
}

pub fn forget(key: &str) {
    ENTRIES.with(|e| {
        e.borrow_mut().remove(key);
    });
    super::isolate_version::bump();
}
