//! Sign-in throttling rules (per account and per IP), shared by the hosted login page and the
//! password grant. The counters live in the pool's `UserDirectory` object, which applies these
//! functions atomically, so parallel guesses are counted as they start: of 20 parallel wrong
//! passwords at most `limit` are even checked. Runtime-free.

use serde::{Deserialize, Serialize};

/// Failures before an account is locked.
pub const ACCOUNT_LIMIT: u32 = 5;
/// Failures from one IP before it is locked (many accounts from one place).
pub const IP_LIMIT: u32 = 20;
/// Failures are counted over this window (seconds)...
pub const WINDOW_SECS: u64 = 15 * 60;
/// ...and a lock lasts this long.
pub const LOCK_SECS: u64 = 15 * 60;

/// The bucket an address is counted in: an IPv4 address alone, an IPv6 address by its /64 —
/// one subscriber usually holds a whole /64, so counting single IPv6 addresses would give
/// each of them 2^64 budgets.
pub fn ip_bucket(ip: &str) -> String {
    match ip.trim().parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(std::net::IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.trim().to_string(),
    }
}

pub fn limit_for(key: &str) -> u32 {
    if key.starts_with("ip:") {
        IP_LIMIT
    } else {
        ACCOUNT_LIMIT
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counter {
    pub failures: u32,
    /// Attempts started and not yet finished: they count against the limit.
    pub inflight: u32,
    pub window_start: u64,
    pub locked_until: u64,
}

impl Counter {
    /// Starts a new window once the last one is over and no lock holds. Attempts in flight
    /// are still in flight.
    fn refresh(&mut self, now: u64) {
        if self.locked_until <= now && now.saturating_sub(self.window_start) > WINDOW_SECS {
            *self = Counter {
                window_start: now,
                inflight: self.inflight,
                ..Counter::default()
            };
        }
    }

    /// Whether nothing but attempts in flight is counted: no failure and no lock. Such a
    /// counter need not be stored (the `UserDirectory` keeps attempts in flight in memory),
    /// and reads the same as none at all.
    pub fn is_clean(&self, now: u64) -> bool {
        self.failures == 0 && self.locked_until <= now
    }

    /// What is stored of the counter: everything but the attempts in flight, which live in
    /// the object's memory. (Written as 0, so a release that stored them reads it.)
    pub fn stored(&self) -> Counter {
        Counter {
            inflight: 0,
            ..self.clone()
        }
    }
}

/// Starts an attempt: refused while locked or while the attempts in flight would pass the limit.
/// Returns (allowed, retry_after).
pub fn begin(c: &mut Counter, limit: u32, now: u64) -> (bool, u64) {
    c.refresh(now);
    if c.locked_until > now {
        return (false, c.locked_until - now);
    }
    if c.failures + c.inflight >= limit {
        return (false, LOCK_SECS);
    }
    c.inflight += 1;
    (true, 0)
}

/// Finishes an attempt. A success clears the counter; a failure counts and may lock.
pub fn end(c: &mut Counter, success: bool, limit: u32, now: u64) {
    c.inflight = c.inflight.saturating_sub(1);
    if success {
        *c = Counter {
            window_start: now,
            inflight: c.inflight,
            ..Counter::default()
        };
        return;
    }
    // The window `begin` opened may not have been stored (a clean counter is not).
    c.refresh(now);
    c.failures += 1;
    if c.failures >= limit {
        c.locked_until = now + LOCK_SECS;
    }
}

/// For secrets that name no account (the admin token): whether the key is locked now, and
/// the seconds left. Nothing is charged, so any number of parallel right answers passes;
/// wrong ones are counted afterwards with `record_failure`.
pub fn locked_for(c: &mut Counter, now: u64) -> Option<u64> {
    c.refresh(now);
    (c.locked_until > now).then(|| c.locked_until - now)
}

/// Counts one wrong answer; the limit locks the key.
pub fn record_failure(c: &mut Counter, limit: u32, now: u64) {
    c.refresh(now);
    c.failures += 1;
    if c.failures >= limit {
        c.locked_until = now + LOCK_SECS;
    }
}

/// The growing delay before answering a failed attempt (milliseconds): slows online guessing
/// without holding CPU (the Worker awaits a timer).
pub fn failure_delay_ms(failures: u32) -> u64 {
    (u64::from(failures.saturating_sub(1)) * 200).min(1_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_without_an_account_locks_after_its_limit_of_failures_only() {
        let mut c = Counter::default();
        for _ in 0..IP_LIMIT - 1 {
            record_failure(&mut c, IP_LIMIT, 100);
        }
        assert_eq!(locked_for(&mut c, 100), None);
        record_failure(&mut c, IP_LIMIT, 100);
        assert_eq!(locked_for(&mut c, 100), Some(LOCK_SECS));
        assert_eq!(locked_for(&mut c, 100 + LOCK_SECS + WINDOW_SECS + 1), None);
    }

    #[test]
    fn ipv6_addresses_are_counted_by_their_64() {
        assert_eq!(
            ip_bucket("2001:db8:1:2:aaaa::1"),
            ip_bucket("2001:db8:1:2:ffff:1:2:3")
        );
        assert_ne!(ip_bucket("2001:db8:1:2::1"), ip_bucket("2001:db8:1:3::1"));
        assert_eq!(ip_bucket("203.0.113.7"), "203.0.113.7");
        assert_eq!(ip_bucket("::ffff:203.0.113.7"), "203.0.113.7");
        assert_eq!(ip_bucket("local"), "local");
    }

    #[test]
    fn five_failures_lock_the_account() {
        let mut c = Counter::default();
        for i in 0..ACCOUNT_LIMIT {
            assert!(begin(&mut c, ACCOUNT_LIMIT, 100 + u64::from(i)).0);
            end(&mut c, false, ACCOUNT_LIMIT, 100 + u64::from(i));
        }
        let (allowed, retry) = begin(&mut c, ACCOUNT_LIMIT, 110);
        assert!(!allowed);
        assert!(retry > 0);
        assert!(
            begin(&mut c, ACCOUNT_LIMIT, 110 + LOCK_SECS + WINDOW_SECS).0,
            "the lock lifts"
        );
    }

    #[test]
    fn parallel_attempts_count_while_in_flight() {
        let mut c = Counter::default();
        let started = (0..20)
            .filter(|_| begin(&mut c, ACCOUNT_LIMIT, 1).0)
            .count();
        assert_eq!(started, ACCOUNT_LIMIT as usize);
    }

    #[test]
    fn a_success_or_a_new_window_keeps_the_other_attempts_in_flight() {
        let mut c = Counter::default();
        for _ in 0..3 {
            assert!(begin(&mut c, ACCOUNT_LIMIT, 1).0);
        }
        end(&mut c, true, ACCOUNT_LIMIT, 2);
        assert_eq!(c.inflight, 2);
        let later = 2 + WINDOW_SECS + 1;
        assert!(begin(&mut c, ACCOUNT_LIMIT, later).0);
        assert_eq!((c.inflight, c.window_start), (3, later));
    }

    #[test]
    fn a_failure_whose_window_was_never_stored_opens_one() {
        // A clean counter is not stored at `begin`: the failure reads a default counter.
        let now = 10 * WINDOW_SECS;
        let mut c = Counter::default();
        end(&mut c, false, ACCOUNT_LIMIT, now);
        assert_eq!((c.failures, c.window_start), (1, now));
        let mut again = c.stored();
        assert!(begin(&mut again, ACCOUNT_LIMIT, now + 1).0);
        assert_eq!(again.failures, 1, "the failure still counts in its window");
    }

    #[test]
    fn only_failures_and_locks_make_a_counter_worth_storing() {
        let mut c = Counter::default();
        assert!(begin(&mut c, ACCOUNT_LIMIT, 5 * WINDOW_SECS).0);
        assert!(c.is_clean(5 * WINDOW_SECS));
        assert_eq!(c.stored().inflight, 0);
        end(&mut c, false, ACCOUNT_LIMIT, 5 * WINDOW_SECS);
        assert!(!c.is_clean(5 * WINDOW_SECS));
    }

    #[test]
    fn success_resets() {
        let mut c = Counter::default();
        begin(&mut c, 5, 1);
        end(&mut c, false, 5, 1);
        begin(&mut c, 5, 2);
        end(&mut c, true, 5, 2);
        assert_eq!(c.failures, 0);
    }
}
