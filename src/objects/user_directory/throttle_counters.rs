//! The sign-in throttle counters (`oidc::throttle`) of the `UserDirectory`: failures and
//! locks in SQLite, since they must outlive the object; attempts in flight in the object's
//! memory, since they only matter while those attempts run, and the object stays in memory
//! while one does (it is evicted only when idle). A sign-in of a user with nothing against
//! them therefore reads its counters in one `SELECT` and writes nothing at its start or its
//! end: each write is a storage commit, which on this runtime's local host costs about as much
//! CPU as the round trip itself.
//!
//! The stored rows are also kept in memory as they are read and written (`StoredRows`): the
//! object is the only writer of its SQLite, so what it last read or wrote is what is there,
//! and an attempt's end (or the next attempt on the same keys) needs no `SELECT` of the rows
//! its start just read. The memory goes with the instance; a new one reads SQLite again.
//!
//! Rows stored by the release before this one carry their attempts in flight; they are read
//! as none (this object's memory is what counts now), and written back with 0, which that
//! release reads as it always did.

use std::cell::RefCell;
use std::collections::HashMap;

use super::{s, UserDirectory, R};
use crate::oidc::throttle::{self, Counter};
use crate::store::directory::AttemptGate;

/// How long an attempt counts as in flight at most. An attempt takes milliseconds (the hash),
/// but one whose request was cancelled between its start and its end never ends: its slot
/// lapses after this, instead of holding the key's budget for as long as the object lives.
const ATTEMPT_SECS: u64 = 60;

/// The attempts in flight of each key with any: when each started (entries go when empty).
#[derive(Default)]
pub(crate) struct InFlight(RefCell<HashMap<String, Vec<u64>>>);

impl InFlight {
    /// How many of key's attempts are in flight at `now` (lapsed ones are dropped).
    fn get(&self, key: &str, now: u64) -> u32 {
        let mut map = self.0.borrow_mut();
        let Some(started) = map.get_mut(key) else {
            return 0;
        };
        started.retain(|&t| t + ATTEMPT_SECS > now);
        let n = started.len() as u32;
        if n == 0 {
            map.remove(key);
        }
        n
    }

    /// Makes key's count `n`: new attempts started `now`, ended ones the oldest.
    fn set(&self, key: &str, n: u32, now: u64) {
        let mut map = self.0.borrow_mut();
        let started = map.entry(key.to_string()).or_default();
        let n = n as usize;
        if n > started.len() {
            started.resize(n, now);
        } else {
            started.drain(..started.len() - n);
        }
        if started.is_empty() {
            map.remove(key);
        }
    }
}

/// Keys whose stored rows `StoredRows` keeps at most. Throttle keys include the client's
/// address, so a spray of addresses could otherwise grow it without end: past this, it starts
/// over (and the rows are read from SQLite again).
const STORED_ROWS_KEPT: usize = 4_096;

/// Each key's row as this instance last read or wrote it (`None`: the key has no row).
#[derive(Default)]
pub(crate) struct StoredRows(RefCell<HashMap<String, Option<Counter>>>);

impl StoredRows {
    /// The row of `key`, when this instance knows it: `Some(None)` for a key known to have none.
    fn get(&self, key: &str) -> Option<Option<Counter>> {
        self.0.borrow().get(key).cloned()
    }

    /// Remembers `key`'s row as read from SQLite or just written to it.
    fn set(&self, key: &str, row: Option<Counter>) {
        let mut map = self.0.borrow_mut();
        if map.len() >= STORED_ROWS_KEPT && !map.contains_key(key) {
            map.clear();
        }
        map.insert(key.to_string(), row);
    }

    /// Forgets `keys`' rows, for a write made outside `keep` (an administrator's unlock).
    pub(crate) fn forget(&self, keys: &[String]) {
        let mut map = self.0.borrow_mut();
        for k in keys {
            map.remove(k);
        }
    }
}

/// A key's counter as stored (none when the key has no row) and as it stands, with this
/// object's attempts in flight.
struct Read {
    stored: Option<Counter>,
    now: Counter,
}

impl UserDirectory {
    fn read_counters(&self, keys: &[String], now: u64) -> R<Vec<Read>> {
        #[derive(serde::Deserialize)]
        struct Row {
            key: String,
            data: String,
        }
        // Each key's row, from memory where known; the rest in one `SELECT`. The rows are
        // answered from this list, not from `stored_rows` again, which may start over while the
        // rows read are put in (`STORED_ROWS_KEPT`).
        let mut stored: Vec<Option<Option<Counter>>> =
            keys.iter().map(|k| self.stored_rows.get(k)).collect();
        let unknown: Vec<&String> = keys
            .iter()
            .zip(&stored)
            .filter_map(|(k, row)| row.is_none().then_some(k))
            .collect();
        if !unknown.is_empty() {
            let marks = vec!["?"; unknown.len()].join(", ");
            let rows: Vec<Row> = self.rows(
                &format!("SELECT key, data FROM throttle WHERE key IN ({marks})"),
                unknown.iter().map(|k| s(k)).collect(),
            )?;
            for (k, slot) in keys.iter().zip(stored.iter_mut()) {
                if slot.is_some() {
                    continue;
                }
                let row = match rows.iter().find(|r| &r.key == k) {
                    Some(r) => Some(serde_json::from_str::<Counter>(&r.data)?.stored()),
                    None => None,
                };
                self.stored_rows.set(k, row.clone());
                *slot = Some(row);
            }
        }
        Ok(keys
            .iter()
            .zip(stored)
            .map(|(k, row)| {
                let stored = row.flatten();
                let mut current = stored.clone().unwrap_or_default();
                current.inflight = self.inflight.get(k, now);
                Read {
                    stored,
                    now: current,
                }
            })
            .collect())
    }

    /// One key's counter, with this object's attempts in flight.
    pub(super) fn counter(&self, key: &str, now: u64) -> R<Counter> {
        let mut read = self.read_counters(&[key.to_string()], now)?;
        Ok(read.pop().map(|r| r.now).unwrap_or_default())
    }

    /// Keeps `c` as key's counter: its attempts in flight in memory; in SQLite only what
    /// changed, and no row at all for a clean counter.
    fn keep(&self, key: &str, stored: Option<&Counter>, c: &Counter, now: u64) -> R<()> {
        self.inflight.set(key, c.inflight, now);
        if c.is_clean(now) {
            if stored.is_some() {
                self.sql
                    .exec("DELETE FROM throttle WHERE key = ?", vec![s(key)])?;
                self.stored_rows.set(key, None);
            }
        } else if stored != Some(&c.stored()) {
            self.sql.exec(
                "REPLACE INTO throttle (key, data) VALUES (?, ?)",
                vec![s(key), s(&serde_json::to_string(&c.stored())?)],
            )?;
            self.stored_rows.set(key, Some(c.stored()));
        }
        Ok(())
    }

    /// Starts an attempt on every key: all must admit it, and only then are all charged.
    pub(super) fn charge(&self, keys: &[String], now: u64) -> R<AttemptGate> {
        let mut read = self.read_counters(keys, now)?;
        let mut gate = AttemptGate {
            allowed: true,
            retry_after: 0,
            failures: 0,
        };
        for (k, r) in keys.iter().zip(read.iter_mut()) {
            let (ok, retry) = throttle::begin(&mut r.now, throttle::limit_for(k), now);
            gate.failures = gate.failures.max(r.now.failures);
            if !ok {
                gate.allowed = false;
                gate.retry_after = gate.retry_after.max(retry);
            }
        }
        if gate.allowed {
            for (k, r) in keys.iter().zip(&read) {
                self.keep(k, r.stored.as_ref(), &r.now, now)?;
            }
        }
        Ok(gate)
    }

    /// Ends an attempt `charge` started on `keys`; answers the keys it locked.
    pub(super) fn end_attempt(&self, keys: &[String], success: bool, now: u64) -> R<Vec<String>> {
        let mut read = self.read_counters(keys, now)?;
        let mut locked = Vec::new();
        for (k, r) in keys.iter().zip(read.iter_mut()) {
            let c = &mut r.now;
            let was_locked = c.locked_until > now;
            // An IP's counter is not cleared by one good sign-in (many accounts, one IP).
            if success && k.starts_with("ip:") {
                c.inflight = c.inflight.saturating_sub(1);
            } else {
                throttle::end(c, success, throttle::limit_for(k), now);
            }
            if c.locked_until > now && !was_locked {
                locked.push(k.clone());
            }
            self.keep(k, r.stored.as_ref(), c, now)?;
        }
        Ok(locked)
    }

    /// Counts one wrong answer on a key that names no account (`RecordFailure`).
    pub(super) fn record_failure(&self, key: &str, now: u64) -> R<()> {
        let mut read = self.read_counters(&[key.to_string()], now)?;
        if let Some(r) = read.first_mut() {
            throttle::record_failure(&mut r.now, throttle::limit_for(key), now);
            self.keep(key, r.stored.as_ref(), &r.now, now)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempts_end_oldest_first_and_an_attempt_that_never_ends_lapses() {
        let f = InFlight::default();
        f.set("k", 1, 0);
        f.set("k", 2, 30);
        assert_eq!(f.get("k", 59), 2);
        // The attempt of t=0 never ended (its request was cancelled): it lapses at 60.
        assert_eq!(f.get("k", 60), 1);
        assert_eq!(f.get("k", 90), 0);
        assert!(
            f.0.borrow().is_empty(),
            "no entry is kept for a key with none"
        );
    }

    #[test]
    fn stored_rows_are_known_until_forgotten_and_start_over_when_full() {
        let rows = StoredRows::default();
        assert_eq!(rows.get("k"), None, "an unread key is not known");
        rows.set("k", None);
        assert_eq!(
            rows.get("k"),
            Some(None),
            "a key read without a row is known to have none"
        );
        let c = Counter {
            failures: 2,
            ..Counter::default()
        };
        rows.set("k", Some(c.clone()));
        assert_eq!(rows.get("k"), Some(Some(c)));
        rows.forget(&["k".to_string()]);
        assert_eq!(rows.get("k"), None);
        for i in 0..STORED_ROWS_KEPT {
            rows.set(&format!("ip:{i}"), None);
        }
        rows.set("ip:0", None);
        assert_eq!(
            rows.0.borrow().len(),
            STORED_ROWS_KEPT,
            "a known key is replaced in place"
        );
        rows.set("one-more", None);
        assert_eq!(
            rows.0.borrow().len(),
            1,
            "a new key past the bound starts over"
        );
        assert_eq!(rows.get("one-more"), Some(None));
    }

    #[test]
    fn ending_attempts_drops_the_oldest() {
        let f = InFlight::default();
        f.set("k", 2, 0);
        f.set("k", 3, 50);
        f.set("k", 1, 55);
        // The one left is the newest (started at 50): it lapses at 110, not 60.
        assert_eq!(f.get("k", 100), 1);
        assert_eq!(f.get("k", 110), 0);
        f.set("other", 0, 0);
        assert_eq!(f.get("other", 0), 0);
    }
}
