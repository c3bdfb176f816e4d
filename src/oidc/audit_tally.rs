//! Machine tokens are counted, not logged one by one. A `client_credentials` token is asked
//! for by a program, often many times a second, names no user, and is not a security event in
//! itself; writing one audit row per token doubled the CPU of the hottest endpoint. So the
//! isolate tallies them per pool, application,
//! client and hour, and hands the tally to the log as one `token_issued` event with a `count`
//! when it is `window` seconds old or `MAX_TALLIED` tokens large — at the first request after
//! that. The charts add counts up (`What::weight`), so they show the same numbers.
//!
//! What that trades: an isolate that the runtime evicts drops what it had tallied (at most
//! `window` seconds of machine tokens), and the tallied event carries no caller address. A
//! window of 0 logs every machine token by itself, as before. Runtime-free.

use super::audit::{AuditEvent, What};

/// A tally is handed over at this size even before its window ends.
pub const MAX_TALLIED: u64 = 1000;

/// What one tallied event stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyKey {
    pub pool_id: String,
    pub application_id: String,
    /// The client, or the access key of an access account.
    pub client_id: String,
    pub grant_type: String,
    /// The hour the tokens were issued in (seconds, a multiple of 3600), so a tally never
    /// spans two of the charts' hours.
    pub hour: u64,
}

#[derive(Debug, Clone, Copy)]
struct Counted {
    count: u64,
    first: u64,
}

/// The tokens counted since the last hand-over.
#[derive(Debug, Default)]
pub struct Tally {
    entries: Vec<(TallyKey, Counted)>,
    since: Option<u64>,
    total: u64,
}

impl Tally {
    /// Counts one token issued at `now` (the key's `hour` is set from it).
    pub fn add(&mut self, mut key: TallyKey, now: u64) {
        key.hour = now - now % 3600;
        self.since.get_or_insert(now);
        self.total += 1;
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some((_, c)) => c.count += 1,
            None => self.entries.push((
                key,
                Counted {
                    count: 1,
                    first: now,
                },
            )),
        }
    }

    /// Whether the tally should be handed to the log now.
    pub fn is_due(&self, now: u64, window: u64) -> bool {
        self.since
            .is_some_and(|s| now.saturating_sub(s) >= window || self.total >= MAX_TALLIED)
    }

    /// The second from which the tally is due (`is_due`), if it holds any token. It can fall
    /// due sooner only through another `add` (reaching `MAX_TALLIED`).
    pub fn due_at(&self, window: u64) -> Option<u64> {
        self.since.map(|s| {
            if self.total >= MAX_TALLIED {
                s
            } else {
                s.saturating_add(window)
            }
        })
    }

    /// The tally as events (one per key, at the time of its first token), emptied.
    pub fn take(&mut self) -> Vec<AuditEvent> {
        self.since = None;
        self.total = 0;
        std::mem::take(&mut self.entries)
            .into_iter()
            .map(|(k, c)| {
                let what = What::TokenIssued {
                    grant_type: k.grant_type,
                    response_type: None,
                    refresh_token_issued: false,
                    count: c.count,
                };
                let mut e =
                    AuditEvent::new(&k.pool_id, what).client(&k.application_id, &k.client_id);
                e.time = c.first;
                e
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(client: &str) -> TallyKey {
        TallyKey {
            pool_id: "p".into(),
            application_id: "app".into(),
            client_id: client.into(),
            grant_type: "client_credentials".into(),
            hour: 0,
        }
    }

    fn counts(events: &[AuditEvent]) -> Vec<(String, u64, u64)> {
        events
            .iter()
            .map(|e| match &e.what {
                What::TokenIssued { count, .. } => {
                    (e.client_id.clone().unwrap_or_default(), *count, e.time)
                }
                other => panic!("not a token event: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn tokens_are_counted_per_client_and_hour_and_handed_over_when_due() {
        let mut t = Tally::default();
        assert!(!t.is_due(10_000, 15), "an empty tally is never due");
        t.add(key("a"), 7_190);
        t.add(key("a"), 7_195);
        t.add(key("b"), 7_199);
        // A new hour starts a new entry for the same client.
        t.add(key("a"), 7_200);
        assert!(!t.is_due(7_204, 15));
        assert!(t.is_due(7_205, 15), "fifteen seconds after the first token");
        let events = t.take();
        assert_eq!(
            counts(&events),
            vec![
                ("a".to_string(), 2, 7_190),
                ("b".to_string(), 1, 7_199),
                ("a".to_string(), 1, 7_200)
            ]
        );
        assert_eq!(events.iter().map(|e| e.what.weight()).sum::<u64>(), 4);
        assert!(
            t.take().is_empty() && !t.is_due(99_999, 15),
            "taken means emptied"
        );
    }

    #[test]
    fn a_window_of_zero_hands_each_token_over_at_once_and_a_full_tally_early() {
        let mut t = Tally::default();
        t.add(key("a"), 100);
        assert!(t.is_due(100, 0));
        let mut t = Tally::default();
        for _ in 0..MAX_TALLIED {
            t.add(key("a"), 100);
        }
        assert!(
            t.is_due(101, 3600),
            "a thousand tokens do not wait for the window"
        );
    }

    /// `due_at` is the first second `is_due` holds: what lets an answer kept outside the
    /// wasm (the hot documents) stop before the request that must hand the tally over.
    #[test]
    fn due_at_is_the_first_second_the_tally_is_due() {
        let mut t = Tally::default();
        assert_eq!(t.due_at(15), None, "an empty tally is never due");
        t.add(key("a"), 1_000);
        t.add(key("b"), 1_004);
        for window in [0, 1, 15, 3600] {
            let at = t.due_at(window).unwrap_or(u64::MAX);
            assert_eq!(at, 1_000 + window);
            for now in 1_000..1_000 + window + 5 {
                assert_eq!(
                    t.is_due(now, window),
                    now >= at,
                    "now {now}, window {window}"
                );
            }
        }
        while t.total < MAX_TALLIED {
            t.add(key("a"), 1_005);
        }
        assert_eq!(t.due_at(3600), Some(1_000), "a full tally is due at once");
        assert!(t.is_due(1_005, 3600));
        t.take();
        assert_eq!(t.due_at(15), None);
    }

    #[test]
    fn a_counted_event_says_its_count_and_a_single_one_reads_as_before() {
        let mut t = Tally::default();
        t.add(key("a"), 50);
        t.add(key("a"), 51);
        let e = &t.take()[0];
        let v = serde_json::to_value(e).unwrap_or_default();
        assert_eq!(v["count"], 2, "{v}");
        assert_eq!(v["kind"], "token_issued");
        // An event written before tallies existed has no count: it stands for one token.
        let old: AuditEvent = serde_json::from_value(serde_json::json!({
            "time": 1, "pool_id": "p", "kind": "token_issued", "grant_type": "password"
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(old.what.weight(), 1);
        assert!(serde_json::to_value(&old)
            .unwrap_or_default()
            .get("count")
            .is_none());
    }
}
