//! Authentication context: the `acr` classes (OIDC Core §2) Doorward signs users in at, the
//! `amr` methods (RFC 8176) a sign-in used, which class a set of methods meets, and which
//! class a request needs (its `acr_values`, the application's requirement, the pool's MFA
//! policy). Runtime-free; the endpoints only carry the answers around.
//!
//! Three classes, ordered: one factor (a password), multi-factor (a password and a one-time
//! code), phishing-resistant (a passkey, whose signature is bound to the issuer's origin so a
//! look-alike site cannot replay it). The URNs are Doorward's own: no registry names these
//! classes for OIDC (the PAPE policy URIs belong to OpenID 2.0 and say nothing of the levels
//! below them), and a level number ("1", "2") would mean nothing to a relying party that has
//! not read this file. `urn:doorward:acr:pwd` is the value every token carried before there
//! was a second factor, so tokens and clients that know it stay valid.

use serde::{Deserialize, Serialize};

/// One factor: a password (or, later, a passkey without user verification).
pub const ACR_PASSWORD: &str = "urn:doorward:acr:pwd";
/// Two factors of different kinds: a password and a one-time code (or recovery code).
pub const ACR_MFA: &str = "urn:doorward:acr:mfa";
/// A phishing-resistant factor: a passkey (WebAuthn), bound to the issuer's origin.
pub const ACR_PHISHING_RESISTANT: &str = "urn:doorward:acr:phishing-resistant";

/// What discovery lists as `acr_values_supported`, lowest first.
pub const ACR_VALUES_SUPPORTED: &[&str] = &[ACR_PASSWORD, ACR_MFA, ACR_PHISHING_RESISTANT];

/// RFC 8176 §2 values Doorward states in `amr`.
pub const AMR_PASSWORD: &str = "pwd";
/// A one-time password: the authenticator app's code, and a recovery code (also a one-time
/// password, RFC 8176 has no value of its own for it).
pub const AMR_OTP: &str = "otp";
/// Proof of possession of a hardware-secured key (a security key, a platform passkey).
pub const AMR_HWK: &str = "hwk";
/// Proof of possession of a software-secured key (a synced passkey).
pub const AMR_SWK: &str = "swk";
/// Multiple-factor authentication: added whenever two kinds of factor were used.
pub const AMR_MFA: &str = "mfa";
/// The user was verified by the authenticator (a passkey's UV flag: PIN or biometrics).
pub const AMR_USER: &str = "user";

/// An authentication class, ordered from weakest to strongest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Password,
    Mfa,
    PhishingResistant,
}

impl Level {
    pub fn acr(self) -> &'static str {
        match self {
            Level::Password => ACR_PASSWORD,
            Level::Mfa => ACR_MFA,
            Level::PhishingResistant => ACR_PHISHING_RESISTANT,
        }
    }

    pub fn from_acr(acr: &str) -> Option<Level> {
        match acr {
            ACR_PASSWORD => Some(Level::Password),
            ACR_MFA => Some(Level::Mfa),
            ACR_PHISHING_RESISTANT => Some(Level::PhishingResistant),
            _ => None,
        }
    }
}

/// A factor a user can hold. A passkey is one more kind: the passkeys code reports the
/// methods of its ceremony (`hwk`/`swk`, plus `user` when the authenticator verified the
/// user) and everything below works unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Factor {
    Password,
    /// RFC 6238 authenticator app.
    Totp,
    /// One of the ten one-use recovery codes.
    RecoveryCode,
    /// A WebAuthn credential; `hardware` picks `hwk` over `swk`, `verified` adds `user`.
    Passkey {
        hardware: bool,
        verified: bool,
    },
}

impl Factor {
    /// The RFC 8176 methods this factor contributes.
    pub fn methods(self) -> Vec<&'static str> {
        match self {
            Factor::Password => vec![AMR_PASSWORD],
            Factor::Totp | Factor::RecoveryCode => vec![AMR_OTP],
            Factor::Passkey { hardware, verified } => {
                let key = if hardware { AMR_HWK } else { AMR_SWK };
                if verified {
                    vec![key, AMR_USER]
                } else {
                    vec![key]
                }
            }
        }
    }
}

fn has(amr: &[String], m: &str) -> bool {
    amr.iter().any(|a| a == m)
}

/// The `amr` of an authentication made of these factors: their methods, each once, and `mfa`
/// when more than one kind of factor was used (RFC 8176 §2: "mfa ... MAY be included").
pub fn amr_of(factors: &[Factor]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in factors.iter().flat_map(|f| f.methods()) {
        if !has(&out, m) {
            out.push(m.to_string());
        }
    }
    if factor_kinds(&out) >= 2 && !has(&out, AMR_MFA) {
        out.push(AMR_MFA.to_string());
    }
    out
}

/// Kinds of factor in `amr`: knowledge (`pwd`), possession (`otp`, `hwk`, `swk`) and the
/// authenticator's own user verification (`user`, a PIN or biometrics on the device).
fn factor_kinds(amr: &[String]) -> usize {
    let knowledge = has(amr, AMR_PASSWORD);
    let possession = has(amr, AMR_OTP) || has(amr, AMR_HWK) || has(amr, AMR_SWK);
    let verified = has(amr, AMR_USER);
    [knowledge, possession, verified]
        .into_iter()
        .filter(|k| *k)
        .count()
}

/// The class an authentication with these methods meets. An empty list is an
/// authentication recorded before methods were (a password, the only factor then).
pub fn level_of(amr: &[String]) -> Level {
    if amr.is_empty() {
        return Level::Password;
    }
    let passkey = has(amr, AMR_HWK) || has(amr, AMR_SWK);
    let multi = factor_kinds(amr) >= 2 || has(amr, AMR_MFA);
    match (passkey, multi) {
        (true, true) => Level::PhishingResistant,
        (false, true) => Level::Mfa,
        _ => Level::Password,
    }
}

/// The `amr` of a step-up: the methods that stand (a session's, or this sign-in's password)
/// plus the second factor just given, with `mfa` when that makes two kinds.
pub fn combine(prior: &[String], factor: Factor) -> Vec<String> {
    let mut out = stated_amr(prior);
    out.retain(|m| m != AMR_MFA);
    for m in factor.methods() {
        if !has(&out, m) {
            out.push(m.to_string());
        }
    }
    if factor_kinds(&out) >= 2 {
        out.push(AMR_MFA.to_string());
    }
    out
}

/// The `amr` as tokens state it: what is recorded, or `pwd` for records from before.
pub fn stated_amr(amr: &[String]) -> Vec<String> {
    if amr.is_empty() {
        vec![AMR_PASSWORD.to_string()]
    } else {
        amr.to_vec()
    }
}

/// One authentication of a session: when, and with which methods.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Authentication {
    pub at: u64,
    pub amr: Vec<String>,
}

impl Authentication {
    pub fn level(&self) -> Level {
        level_of(&self.amr)
    }
}

/// Records a new authentication in a session's list, keeping for each class only the latest
/// authentication that reached it (so the list never holds more than three entries).
pub fn remember(list: &mut Vec<Authentication>, a: Authentication) {
    let level = a.level();
    list.retain(|old| old.level() != level);
    list.push(a);
    list.sort_by_key(|x| x.at);
}

/// OIDC Core §2 `auth_time`: the latest authentication that met `level`, if any.
pub fn last_meeting(list: &[Authentication], level: Level) -> Option<&Authentication> {
    list.iter()
        .filter(|a| a.level() >= level)
        .max_by_key(|a| a.at)
}

/// A pool's MFA policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MfaPolicy {
    /// No second factor in this pool: no enrolment, only passwords (and passkeys).
    Off,
    /// Users may enrol a second factor, and a user who has one is asked for it at sign-in.
    #[default]
    Optional,
    /// Every sign-in needs a second factor; a user without one enrols during sign-in.
    Required,
}

impl MfaPolicy {
    pub fn parse(s: &str) -> Option<MfaPolicy> {
        match s {
            "off" => Some(MfaPolicy::Off),
            "optional" => Some(MfaPolicy::Optional),
            "required" => Some(MfaPolicy::Required),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MfaPolicy::Off => "off",
            MfaPolicy::Optional => "optional",
            MfaPolicy::Required => "required",
        }
    }
}

/// What a request asks for, before the user is known: the floor the policies set and the
/// request's own preference list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// The lowest class any answer may carry (the pool's and the application's rules).
    pub floor: Level,
    /// OIDC Core §3.1.2.1 `acr_values`, in order of preference, unknown values dropped.
    pub preferred: Vec<Level>,
}

/// The per-application rules (`require_mfa`, `require_phishing_resistant`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AppRule {
    pub require_mfa: bool,
    pub require_phishing_resistant: bool,
}

impl Requirement {
    /// The request's requirement from the pool's policy, the application's rules and the
    /// `acr_values` the request sent (or the client's `default_acr_values`).
    pub fn new(policy: MfaPolicy, app: AppRule, acr_values: &[String]) -> Requirement {
        let mut floor = Level::Password;
        if policy == MfaPolicy::Required || app.require_mfa {
            floor = Level::Mfa;
        }
        if app.require_phishing_resistant {
            floor = Level::PhishingResistant;
        }
        let preferred = acr_values
            .iter()
            .filter_map(|a| Level::from_acr(a))
            .collect();
        Requirement { floor, preferred }
    }
}

/// What a known user could reach in this sign-in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reachable {
    /// An authenticator app or unused recovery codes.
    pub one_time_code: bool,
    /// A passkey (counted by the passkeys code).
    pub passkey: bool,
    /// The pool lets a user without a second factor enrol one during sign-in.
    pub can_enrol: bool,
    /// The pool asks every user who has a second factor for it (`optional` and `required`).
    pub asks_enrolled: bool,
}

impl Reachable {
    fn highest(self) -> Level {
        if self.passkey {
            Level::PhishingResistant
        } else if self.one_time_code || self.can_enrol {
            Level::Mfa
        } else {
            Level::Password
        }
    }
}

/// Why no sign-in of this user can meet the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmet(pub String);

/// The class this sign-in must reach: the first preferred class the user's factors reach
/// (else the first one an enrolment would reach), never below the floor; with no preference, the floor — raised to MFA for a user who holds a
/// second factor in a pool that asks for it. `acr_values` is a preference list, so a request
/// that prefers MFA but also lists the password class gets the password class from a user
/// with no second factor; a request whose every acceptable class is out of reach is `Unmet`
/// (never a silent downgrade).
pub fn target(req: &Requirement, user: Reachable) -> Result<Level, Unmet> {
    let highest = user.highest();
    let mut candidates: Vec<Level> = req.preferred.iter().map(|l| (*l).max(req.floor)).collect();
    if candidates.is_empty() {
        let enrolled = user.asks_enrolled && (user.one_time_code || user.passkey);
        candidates.push(if enrolled {
            req.floor.max(Level::Mfa)
        } else {
            req.floor
        });
    }
    // What the factors held reach comes first: enrolling a new one is the last resort, for
    // a request none of whose classes can be met otherwise.
    let without_enrolment = Reachable {
        can_enrol: false,
        ..user
    }
    .highest();
    candidates
        .iter()
        .find(|l| **l <= without_enrolment)
        .or_else(|| candidates.iter().find(|l| **l <= highest))
        .copied()
        .ok_or_else(|| Unmet(unmet_reason(&candidates)))
}

fn unmet_reason(candidates: &[Level]) -> String {
    let lowest = candidates.iter().min().copied().unwrap_or(Level::Password);
    match lowest {
        Level::PhishingResistant => {
            "a phishing-resistant factor (a passkey) is required and the account has none".into()
        }
        _ => "a second factor is required and none is available for this account".into(),
    }
}

/// How a session stands against the class a request must reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing<'a> {
    /// An authentication of the session meets it: the token states this one.
    Met(&'a Authentication),
    /// The session is below it: a second factor (only) brings it up.
    StepUp,
}

/// Whether a one-time code given after one of these authentications reaches `level`. Not
/// after a passkey that did not verify the user (its `swk`/`hwk` alone): a code is possession
/// too, and two possession factors are one kind, so asking for it would ask forever.
pub fn code_reaches(list: &[Authentication], level: Level) -> bool {
    list.is_empty()
        || list
            .iter()
            .any(|a| level_of(&combine(&a.amr, Factor::Totp)) >= level)
}

pub fn standing(list: &[Authentication], level: Level) -> Standing<'_> {
    match last_meeting(list, level) {
        Some(a) => Standing::Met(a),
        None => Standing::StepUp,
    }
}

pub fn is_supported(acr: &str) -> bool {
    ACR_VALUES_SUPPORTED.contains(&acr)
}

#[cfg(test)]
#[path = "acr_tests.rs"]
mod tests;
