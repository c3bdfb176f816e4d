//! Reading a pool's audit log: the list's filters and cursor, and the counts behind the
//! console's charts (grouped per hour or per day in the log's SQL, shaped into series here so
//! the console never downloads raw events to draw them). Parsed from the admin API's query
//! string with field-named errors; runtime-free.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::audit::EventKind;
use super::registration::FieldErrors;

/// A list page holds at most this many events; an export at most `MAX_EXPORT`.
pub const MAX_PAGE: u32 = 500;
pub const DEFAULT_PAGE: u32 = 50;
pub const MAX_EXPORT: u32 = 10_000;
/// The longest id a filter names (no id Doorward makes is longer).
const MAX_ID: usize = 128;
/// At most this many buckets in one stats answer (31 days of hours).
pub const MAX_BUCKETS: u64 = 744;

/// Which events a list or export wants: all of them match, newest first, below `cursor`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub kind: Option<EventKind>,
    pub user_id: Option<String>,
    pub client_id: Option<String>,
    /// `since <= time < until`, epoch seconds.
    pub since: Option<u64>,
    pub until: Option<u64>,
    /// Events with an id below this one (the previous page's `next_cursor`).
    pub cursor: Option<u64>,
    pub limit: u32,
}

fn first<'a>(pairs: &'a [(String, String)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn number(pairs: &[(String, String)], key: &str, e: &mut FieldErrors) -> Option<u64> {
    let v = first(pairs, key)?;
    match v.parse::<u64>() {
        Ok(n) if n <= i64::MAX as u64 => Some(n),
        _ => {
            e.add(key, "must be a whole number (epoch seconds for times)");
            None
        }
    }
}

fn id(pairs: &[(String, String)], key: &str, e: &mut FieldErrors) -> Option<String> {
    let v = first(pairs, key)?;
    if v.len() > MAX_ID {
        e.add(key, format!("must be at most {MAX_ID} characters"));
        return None;
    }
    Some(v.to_string())
}

impl AuditFilter {
    /// The filter of `GET /api/v1/audit` (and `/export`, with `max` as the largest limit).
    pub fn parse(pairs: &[(String, String)], default: u32, max: u32) -> Result<Self, FieldErrors> {
        let mut e = FieldErrors::default();
        let kind = first(pairs, "kind").and_then(|k| {
            let parsed = EventKind::parse(k);
            if parsed.is_none() {
                let names: Vec<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
                e.add("kind", format!("must be one of {}", names.join(", ")));
            }
            parsed
        });
        let since = number(pairs, "since", &mut e);
        let until = number(pairs, "until", &mut e);
        if let (Some(s), Some(u)) = (since, until) {
            if u <= s {
                e.add("until", "must be after since");
            }
        }
        let limit = match number(pairs, "limit", &mut e) {
            None => default,
            Some(n) if (1..=u64::from(max)).contains(&n) => n as u32,
            Some(_) => {
                e.add("limit", format!("must be between 1 and {max}"));
                default
            }
        };
        let filter = AuditFilter {
            kind,
            user_id: id(pairs, "user_id", &mut e),
            client_id: id(pairs, "client_id", &mut e),
            since,
            until,
            cursor: number(pairs, "cursor", &mut e),
            limit,
        };
        e.into_result(filter)
    }
}

/// The width of a chart's bars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bucket {
    Hour,
    Day,
}

impl Bucket {
    pub fn secs(self) -> u64 {
        match self {
            Bucket::Hour => 3600,
            Bucket::Day => 86_400,
        }
    }

    /// How far back a chart looks when `since` is not given: two days of hours, a month of days.
    fn default_span(self) -> u64 {
        match self {
            Bucket::Hour => 48,
            Bucket::Day => 30,
        }
    }
}

/// The question of `GET /api/v1/audit/stats`: buckets of one width from `since` (aligned down
/// to a bucket, UTC) up to `until` (exclusive; just after now by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsQuery {
    pub bucket: Bucket,
    pub since: u64,
    pub until: u64,
}

impl StatsQuery {
    pub fn parse(pairs: &[(String, String)], now: u64) -> Result<StatsQuery, FieldErrors> {
        let mut e = FieldErrors::default();
        let bucket = match first(pairs, "bucket") {
            None | Some("hour") => Bucket::Hour,
            Some("day") => Bucket::Day,
            Some(_) => {
                e.add("bucket", "must be hour or day");
                Bucket::Hour
            }
        };
        let w = bucket.secs();
        // Exclusive: by default the current second is in (events of this second count).
        let until = number(pairs, "until", &mut e).unwrap_or(now + 1);
        let since = number(pairs, "since", &mut e)
            .unwrap_or_else(|| (until / w).saturating_sub(bucket.default_span() - 1) * w);
        let since = since - since % w;
        if until <= since {
            e.add("since", "must be before until");
        } else if (until - since).div_ceil(w) > MAX_BUCKETS {
            e.add(
                "since",
                format!("at most {MAX_BUCKETS} buckets: choose a later since or bucket=day"),
            );
        }
        e.into_result(StatsQuery {
            bucket,
            since,
            until,
        })
    }

    /// The start of every bucket, oldest first.
    pub fn starts(&self) -> Vec<u64> {
        let w = self.bucket.secs();
        (0..(self.until.saturating_sub(self.since)).div_ceil(w))
            .map(|i| self.since + i * w)
            .collect()
    }
}

/// One count from the log: events of `kind` in the bucket starting at `t`, for one
/// application ("" when none) and one label ("" when none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountRow {
    pub t: u64,
    pub kind: String,
    pub application_id: String,
    pub label: String,
    pub n: u64,
}

/// Distinct users seen (signed in or issued a token) in the bucket starting at `t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveRow {
    pub t: u64,
    pub n: u64,
}

/// The kinds the charts count.
pub const CHARTED: [EventKind; 4] = [
    EventKind::SignInSucceeded,
    EventKind::SignInFailed,
    EventKind::AccountLocked,
    EventKind::TokenIssued,
];

/// Kinds whose `user_id` makes a user active.
pub const ACTIVE: [EventKind; 2] = [EventKind::SignInSucceeded, EventKind::TokenIssued];

/// Series of counts, one number per bucket, by series name.
pub type Series = BTreeMap<String, Vec<u64>>;

/// What the overview's charts draw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub bucket: Bucket,
    pub since: u64,
    pub until: u64,
    /// The start of each bucket; every series has one number per entry.
    pub buckets: Vec<u64>,
    /// Successful sign-ins by application id ("" for sign-ins without one: the console).
    pub sign_ins: Series,
    /// Failed sign-ins by reason.
    pub failures: Series,
    /// Locks by scope (`account`, `address`).
    pub lockouts: Series,
    /// Issued tokens by grant type.
    pub tokens_issued: Series,
    pub active_users: Vec<u64>,
}

/// Lays the log's counts out as series over every bucket of `q` (empty buckets are 0).
pub fn shape(q: &StatsQuery, counts: &[CountRow], active: &[ActiveRow]) -> Stats {
    let buckets = q.starts();
    let len = buckets.len();
    let index = |t: u64| -> Option<usize> {
        let i = t.checked_sub(q.since)? / q.bucket.secs();
        (i < len as u64).then_some(i as usize)
    };
    let mut stats = Stats {
        bucket: q.bucket,
        since: q.since,
        until: q.until,
        sign_ins: Series::new(),
        failures: Series::new(),
        lockouts: Series::new(),
        tokens_issued: Series::new(),
        active_users: vec![0; len],
        buckets,
    };
    for row in counts {
        let Some(i) = index(row.t) else { continue };
        let (series, key) = match EventKind::parse(&row.kind) {
            Some(EventKind::SignInSucceeded) => (&mut stats.sign_ins, &row.application_id),
            Some(EventKind::SignInFailed) => (&mut stats.failures, &row.label),
            Some(EventKind::AccountLocked) => (&mut stats.lockouts, &row.label),
            Some(EventKind::TokenIssued) => (&mut stats.tokens_issued, &row.label),
            _ => continue,
        };
        let counts = series.entry(key.clone()).or_insert_with(|| vec![0; len]);
        if let Some(c) = counts.get_mut(i) {
            *c += row.n;
        }
    }
    for row in active {
        if let Some(c) = index(row.t).and_then(|i| stats.active_users.get_mut(i)) {
            *c += row.n;
        }
    }
    stats
}

/// A page of the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub items: Vec<super::audit::AuditEvent>,
    /// Pass as `cursor` for the next (older) page; `None` on the last page.
    pub next_cursor: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(q: &str) -> Vec<(String, String)> {
        url::form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect()
    }

    #[test]
    fn a_filter_reads_every_parameter_and_names_each_bad_one() {
        let f = AuditFilter::parse(
            &pairs(
                "kind=sign_in_failed&user_id=u1&client_id=c1&since=10&until=20&cursor=7&limit=5",
            ),
            DEFAULT_PAGE,
            MAX_PAGE,
        )
        .unwrap();
        assert_eq!(f.kind, Some(EventKind::SignInFailed));
        assert_eq!(
            (f.user_id.as_deref(), f.client_id.as_deref()),
            (Some("u1"), Some("c1"))
        );
        assert_eq!(
            (f.since, f.until, f.cursor, f.limit),
            (Some(10), Some(20), Some(7), 5)
        );
        assert_eq!(
            AuditFilter::parse(&[], DEFAULT_PAGE, MAX_PAGE)
                .unwrap()
                .limit,
            DEFAULT_PAGE
        );
        let bad = AuditFilter::parse(
            &pairs(&format!(
                "kind=nope&since=x&limit=0&user_id={}&cursor=-1",
                "u".repeat(200)
            )),
            DEFAULT_PAGE,
            MAX_PAGE,
        )
        .unwrap_err();
        for f in ["kind", "since", "limit", "user_id", "cursor"] {
            assert!(bad.0.contains_key(f), "{f}: {:?}", bad.0);
        }
        let backwards = AuditFilter::parse(&pairs("since=20&until=10"), 1, 1).unwrap_err();
        assert!(backwards.0.contains_key("until"));
        assert!(AuditFilter::parse(&pairs("limit=501"), DEFAULT_PAGE, MAX_PAGE).is_err());
        assert!(AuditFilter::parse(&pairs("limit=99999999999999999999999"), 1, 1).is_err());
    }

    #[test]
    fn stats_default_to_two_days_of_hours_or_a_month_of_days_aligned_to_buckets() {
        let now = 1_700_000_123;
        let q = StatsQuery::parse(&[], now).unwrap();
        assert_eq!(q.bucket, Bucket::Hour);
        assert_eq!(q.since % 3600, 0);
        assert_eq!(q.starts().len(), 48);
        assert!(q
            .starts()
            .last()
            .is_some_and(|t| *t <= now && now < t + 3600));
        let d = StatsQuery::parse(&pairs("bucket=day"), now).unwrap();
        assert_eq!(d.starts().len(), 30);
        assert!(StatsQuery::parse(&pairs("bucket=week"), now).is_err());
        assert!(
            StatsQuery::parse(&pairs("since=0"), now).is_err(),
            "too many buckets"
        );
        assert!(StatsQuery::parse(&pairs(&format!("since={}", now + 3700)), now).is_err());
    }

    #[test]
    fn counts_become_series_over_every_bucket() {
        let q = StatsQuery {
            bucket: Bucket::Hour,
            since: 7200,
            until: 7200 + 3 * 3600,
        };
        let row = |t: u64, kind: &str, app: &str, label: &str, n: u64| CountRow {
            t,
            kind: kind.into(),
            application_id: app.into(),
            label: label.into(),
            n,
        };
        let counts = [
            row(7200, "sign_in_succeeded", "a", "password", 2),
            row(10800, "sign_in_succeeded", "a", "password", 1),
            row(10800, "sign_in_succeeded", "b", "password", 4),
            row(14400, "sign_in_failed", "a", "wrong_password", 3),
            row(14400, "account_locked", "", "account", 1),
            row(7200, "token_issued", "a", "authorization_code", 5),
            row(3600, "token_issued", "a", "password", 9),
            row(7200, "consent_given", "a", "", 1),
        ];
        let s = shape(&q, &counts, &[ActiveRow { t: 10800, n: 2 }]);
        assert_eq!(s.buckets, vec![7200, 10800, 14400]);
        assert_eq!(s.sign_ins["a"], vec![2, 1, 0]);
        assert_eq!(s.sign_ins["b"], vec![0, 4, 0]);
        assert_eq!(s.failures["wrong_password"], vec![0, 0, 3]);
        assert_eq!(s.lockouts["account"], vec![0, 0, 1]);
        assert_eq!(s.tokens_issued["authorization_code"], vec![5, 0, 0]);
        assert!(
            !s.tokens_issued.contains_key("password"),
            "outside the range"
        );
        assert_eq!(s.active_users, vec![0, 2, 0]);
    }
}
