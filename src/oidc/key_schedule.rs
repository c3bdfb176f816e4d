//! Scheduled signing-key rotation, as a pure function of the keys' times: a new key is
//! published in the JWKS `publish_ahead` before it starts signing (so caches have it before
//! the first token signed with it), the key it replaces stays published `retire_after` (the
//! longest a token it signed can live), and then it is removed. Deciding from stored times
//! only makes the schedule idempotent: a retried or doubled run changes nothing. Runtime-free.

use serde::{Deserialize, Serialize};

/// How often keys rotate. Zero `period` turns scheduled rotation off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RotationPolicy {
    pub period: u64,
    pub publish_ahead: u64,
    pub retire_after: u64,
}

impl RotationPolicy {
    /// Every 90 days, the next key published a day ahead, the old one kept a day and an hour
    /// (the longest access or id token lifetime an application may set is a day).
    pub const DEFAULT: RotationPolicy = RotationPolicy {
        period: 90 * 86_400,
        publish_ahead: 86_400,
        retire_after: 86_400 + 3_600,
    };
}

/// A key's place in its life, as the schedule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyState {
    /// Published, not signing yet; signs from `activates_at`.
    Next,
    /// Signing.
    Active,
    /// Published so tokens it signed still verify; removed after `retire_after`.
    Retired,
}

/// The times the schedule decides from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyTimes {
    pub state: KeyState,
    pub created_at: u64,
    /// When it started signing (keys written before this was recorded: `created_at`).
    pub activated_at: Option<u64>,
    pub activates_at: Option<u64>,
    pub retired_at: Option<u64>,
}

/// What to do to one algorithm's keys (indices into the slice given to `plan`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// Publish a new key that signs from this time.
    pub publish_next: Option<u64>,
    /// The next key (index) becomes active and the active one retires, now.
    pub promote: Option<(usize, usize)>,
    /// Retired keys that never recorded when they retired: they retire now (a migration of
    /// keys written before the schedule existed).
    pub mark_retired: Vec<usize>,
    /// Retired keys old enough to go.
    pub remove: Vec<usize>,
}

impl Plan {
    pub fn is_empty(&self) -> bool {
        *self == Plan::default()
    }
}

/// The plan for one algorithm's keys at `now`.
pub fn plan(keys: &[KeyTimes], now: u64, policy: RotationPolicy) -> Plan {
    let mut p = Plan::default();
    for (i, k) in keys.iter().enumerate() {
        if k.state == KeyState::Retired {
            match k.retired_at {
                None => p.mark_retired.push(i),
                Some(at) if now >= at.saturating_add(policy.retire_after) => p.remove.push(i),
                Some(_) => {}
            }
        }
    }
    if policy.period == 0 {
        return p;
    }
    let active = keys
        .iter()
        .enumerate()
        .filter(|(_, k)| k.state == KeyState::Active)
        .max_by_key(|(_, k)| k.activated_at.unwrap_or(k.created_at));
    let next = keys
        .iter()
        .enumerate()
        .find(|(_, k)| k.state == KeyState::Next);
    let Some((ai, a)) = active else {
        // No key signs yet: the first one is made on first use, not by the schedule.
        return p;
    };
    let due = a
        .activated_at
        .unwrap_or(a.created_at)
        .saturating_add(policy.period);
    match next {
        Some((ni, n)) if now >= n.activates_at.unwrap_or(due) => p.promote = Some((ni, ai)),
        Some(_) => {}
        None if now.saturating_add(policy.publish_ahead) >= due => {
            p.publish_next = Some(due.max(now.saturating_add(policy.publish_ahead)));
        }
        None => {}
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: RotationPolicy = RotationPolicy {
        period: 100,
        publish_ahead: 10,
        retire_after: 30,
    };

    fn active(created: u64) -> KeyTimes {
        KeyTimes {
            state: KeyState::Active,
            created_at: created,
            activated_at: None,
            activates_at: None,
            retired_at: None,
        }
    }

    #[test]
    fn a_new_key_is_published_ahead_of_the_period_and_not_before() {
        assert!(plan(&[active(0)], 89, P).is_empty());
        assert_eq!(plan(&[active(0)], 90, P).publish_next, Some(100));
        // A run that comes late still publishes ahead of use.
        assert_eq!(plan(&[active(0)], 150, P).publish_next, Some(160));
    }

    #[test]
    fn the_next_key_takes_over_at_its_time_and_the_old_one_retires() {
        let next = KeyTimes {
            state: KeyState::Next,
            created_at: 90,
            activated_at: None,
            activates_at: Some(100),
            retired_at: None,
        };
        let keys = [active(0), next];
        assert!(
            plan(&keys, 95, P).is_empty(),
            "a rerun before its time does nothing"
        );
        assert_eq!(plan(&keys, 100, P).promote, Some((1, 0)));
    }

    #[test]
    fn retired_keys_stay_until_every_token_they_signed_has_expired() {
        let retired = KeyTimes {
            state: KeyState::Retired,
            created_at: 0,
            activated_at: Some(0),
            activates_at: None,
            retired_at: Some(100),
        };
        let mut fresh = active(100);
        fresh.activated_at = Some(100);
        assert!(plan(&[retired, fresh], 129, P).remove.is_empty());
        assert_eq!(plan(&[retired, fresh], 130, P).remove, vec![0]);
    }

    #[test]
    fn keys_written_before_the_schedule_retire_now_and_off_means_no_rotation() {
        let old = KeyTimes {
            state: KeyState::Retired,
            created_at: 0,
            activated_at: None,
            activates_at: None,
            retired_at: None,
        };
        let off = RotationPolicy { period: 0, ..P };
        let p = plan(&[old, active(0)], 1_000, off);
        assert_eq!(p.mark_retired, vec![0]);
        assert_eq!(p.publish_next, None);
    }
}
