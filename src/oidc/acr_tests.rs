//! Unit tests of the authentication classes and methods (`oidc::acr`).

use super::*;

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn at(t: u64, amr: &[&str]) -> Authentication {
    Authentication { at: t, amr: s(amr) }
}

#[test]
fn the_classes_are_advertised_lowest_first_and_keep_the_password_urn() {
    assert_eq!(ACR_VALUES_SUPPORTED[0], "urn:doorward:acr:pwd");
    for (i, a) in ACR_VALUES_SUPPORTED.iter().enumerate() {
        let l = Level::from_acr(a).unwrap();
        assert_eq!(l.acr(), *a);
        assert!(is_supported(a));
        if i > 0 {
            assert!(Level::from_acr(ACR_VALUES_SUPPORTED[i - 1]).unwrap() < l);
        }
    }
    assert!(!is_supported("urn:mace:incommon:iap:silver"));
}

#[test]
fn methods_map_to_the_class_they_meet() {
    let cases: &[(&[Factor], &[&str], Level)] = &[
        (&[Factor::Password], &["pwd"], Level::Password),
        (
            &[Factor::Password, Factor::Totp],
            &["pwd", "otp", "mfa"],
            Level::Mfa,
        ),
        (
            &[Factor::Password, Factor::RecoveryCode],
            &["pwd", "otp", "mfa"],
            Level::Mfa,
        ),
        (
            &[
                Factor::Password,
                Factor::Passkey {
                    hardware: true,
                    verified: false,
                },
            ],
            &["pwd", "hwk", "mfa"],
            Level::PhishingResistant,
        ),
        (
            &[Factor::Passkey {
                hardware: false,
                verified: true,
            }],
            &["swk", "user", "mfa"],
            Level::PhishingResistant,
        ),
        (
            &[Factor::Passkey {
                hardware: true,
                verified: false,
            }],
            &["hwk"],
            Level::Password,
        ),
        (&[Factor::Totp], &["otp"], Level::Password),
    ];
    for (factors, amr, level) in cases {
        let got = amr_of(factors);
        assert_eq!(got, s(amr), "{factors:?}");
        assert_eq!(level_of(&got), *level, "{factors:?}");
    }
}

#[test]
fn an_authentication_recorded_before_methods_were_is_a_password() {
    assert_eq!(level_of(&[]), Level::Password);
    assert_eq!(stated_amr(&[]), ["pwd"]);
    assert_eq!(
        stated_amr(&s(&["pwd", "otp", "mfa"])),
        ["pwd", "otp", "mfa"]
    );
}

#[test]
fn a_session_keeps_the_latest_authentication_per_class() {
    let mut list = vec![];
    remember(&mut list, at(10, &["pwd"]));
    remember(&mut list, at(20, &["pwd", "otp", "mfa"]));
    remember(&mut list, at(30, &["pwd"]));
    assert_eq!(list.len(), 2);
    assert_eq!(last_meeting(&list, Level::Password).unwrap().at, 30);
    assert_eq!(last_meeting(&list, Level::Mfa).unwrap().at, 20);
    assert!(last_meeting(&list, Level::PhishingResistant).is_none());
    assert_eq!(standing(&list, Level::PhishingResistant), Standing::StepUp);
    remember(&mut list, at(40, &["pwd", "otp", "mfa"]));
    assert_eq!(list.len(), 2);
    assert_eq!(
        standing(&list, Level::Password),
        Standing::Met(&at(40, &["pwd", "otp", "mfa"]))
    );
}

fn req(policy: MfaPolicy, rule: AppRule, acr: &[&str]) -> Requirement {
    Requirement::new(policy, rule, &s(acr))
}

const NOTHING: Reachable = Reachable {
    one_time_code: false,
    passkey: false,
    can_enrol: false,
    asks_enrolled: true,
};

#[test]
fn the_target_class_follows_policy_rules_and_preferences() {
    let none = AppRule::default();
    let mfa_app = AppRule {
        require_mfa: true,
        require_phishing_resistant: false,
    };
    let phr_app = AppRule {
        require_mfa: false,
        require_phishing_resistant: true,
    };
    let otp = Reachable {
        one_time_code: true,
        ..NOTHING
    };
    let enrol = Reachable {
        can_enrol: true,
        ..NOTHING
    };
    let passkey = Reachable {
        passkey: true,
        ..NOTHING
    };
    let table: &[(Requirement, Reachable, Result<Level, ()>)] = &[
        (
            req(MfaPolicy::Optional, none, &[]),
            NOTHING,
            Ok(Level::Password),
        ),
        // An enrolled user in a pool that asks is asked for the second factor.
        (req(MfaPolicy::Optional, none, &[]), otp, Ok(Level::Mfa)),
        (
            req(MfaPolicy::Optional, none, &[]),
            Reachable {
                asks_enrolled: false,
                ..otp
            },
            Ok(Level::Password),
        ),
        (req(MfaPolicy::Required, none, &[]), enrol, Ok(Level::Mfa)),
        // A list that accepts the password class does not force an enrolment.
        (
            req(MfaPolicy::Optional, none, &[ACR_MFA, ACR_PASSWORD]),
            enrol,
            Ok(Level::Password),
        ),
        (
            req(MfaPolicy::Optional, none, &[ACR_MFA]),
            enrol,
            Ok(Level::Mfa),
        ),
        (req(MfaPolicy::Required, none, &[]), NOTHING, Err(())),
        (req(MfaPolicy::Optional, mfa_app, &[]), otp, Ok(Level::Mfa)),
        (req(MfaPolicy::Optional, phr_app, &[]), otp, Err(())),
        (
            req(MfaPolicy::Optional, phr_app, &[]),
            passkey,
            Ok(Level::PhishingResistant),
        ),
        // acr_values is a preference list: the first reachable class wins.
        (
            req(MfaPolicy::Optional, none, &[ACR_MFA, ACR_PASSWORD]),
            NOTHING,
            Ok(Level::Password),
        ),
        (
            req(MfaPolicy::Optional, none, &[ACR_MFA, ACR_PASSWORD]),
            otp,
            Ok(Level::Mfa),
        ),
        (req(MfaPolicy::Optional, none, &[ACR_MFA]), NOTHING, Err(())),
        (
            req(MfaPolicy::Optional, none, &[ACR_PHISHING_RESISTANT]),
            otp,
            Err(()),
        ),
        (
            req(MfaPolicy::Optional, none, &["urn:unknown", ACR_MFA]),
            otp,
            Ok(Level::Mfa),
        ),
        // A listed class below the floor is raised to it, never below.
        (
            req(MfaPolicy::Required, none, &[ACR_PASSWORD]),
            otp,
            Ok(Level::Mfa),
        ),
        (
            req(MfaPolicy::Optional, mfa_app, &[ACR_PASSWORD]),
            NOTHING,
            Err(()),
        ),
    ];
    for (i, (r, u, want)) in table.iter().enumerate() {
        let got = target(r, *u).map_err(|_| ());
        assert_eq!(got, *want, "row {i}: {r:?} {u:?}");
    }
}

#[test]
fn an_unmet_phishing_resistant_requirement_says_a_passkey_is_needed() {
    let r = req(
        MfaPolicy::Optional,
        AppRule {
            require_mfa: false,
            require_phishing_resistant: true,
        },
        &[],
    );
    let Err(Unmet(why)) = target(&r, NOTHING) else {
        panic!("met")
    };
    assert!(why.contains("passkey"), "{why}");
}

#[test]
fn policies_parse_and_print_their_wire_names() {
    for p in [MfaPolicy::Off, MfaPolicy::Optional, MfaPolicy::Required] {
        assert_eq!(MfaPolicy::parse(p.as_str()), Some(p));
        let json = serde_json::to_value(p).unwrap();
        assert_eq!(json, p.as_str());
    }
    assert_eq!(MfaPolicy::parse("sometimes"), None);
    assert_eq!(MfaPolicy::default(), MfaPolicy::Optional);
}

#[test]
fn a_step_up_adds_the_second_factor_to_the_methods_that_stand() {
    assert_eq!(combine(&s(&["pwd"]), Factor::Totp), ["pwd", "otp", "mfa"]);
    assert_eq!(combine(&[], Factor::RecoveryCode), ["pwd", "otp", "mfa"]);
    assert_eq!(
        combine(&s(&["pwd", "otp", "mfa"]), Factor::Totp),
        ["pwd", "otp", "mfa"]
    );
    assert_eq!(level_of(&combine(&s(&["pwd"]), Factor::Totp)), Level::Mfa);
}

#[test]
fn a_code_after_an_unverified_passkey_adds_no_kind_of_factor() {
    // Two possession factors are one kind: the code would be asked for again and again.
    assert!(!code_reaches(&[at(1, &["swk"])], Level::Mfa));
    assert!(!code_reaches(&[at(1, &["hwk"])], Level::Mfa));
    // After a password it makes two kinds; a verified passkey already has them.
    assert!(code_reaches(&[at(1, &["pwd"])], Level::Mfa));
    assert!(code_reaches(
        &[at(1, &["swk"]), at(2, &["pwd"])],
        Level::Mfa
    ));
    assert!(code_reaches(&[at(1, &["swk", "user"])], Level::Mfa));
    // A code never makes a sign-in phishing-resistant without a passkey.
    assert!(!code_reaches(&[at(1, &["pwd"])], Level::PhishingResistant));
    // No authentication recorded (records from before methods): as a password.
    assert!(code_reaches(&[], Level::Mfa));
}
