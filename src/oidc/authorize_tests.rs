//! Table tests for the authorization request pipeline.

use super::*;
use crate::oidc::discovery::tests::app as make_app;
use crate::oidc::model::{GrantType, ResponseType as RT, TokenEndpointAuthMethod};

const CB: &str = "https://rp.example/cb";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn app() -> Application {
    make_app(
        vec![
            GrantType::AuthorizationCode,
            GrantType::Implicit,
            GrantType::RefreshToken,
        ],
        vec![RT::Code, RT::IdToken, RT::CodeIdToken],
    )
}

fn params(extra: &[(&str, &str)]) -> Params {
    let mut p: Params = [
        ("client_id", "c1"),
        ("redirect_uri", CB),
        ("response_type", "code"),
        ("scope", "openid profile"),
        ("state", "s1"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    for (k, v) in extra {
        if v.is_empty() {
            p.remove(*k);
        } else {
            p.insert(k.to_string(), v.to_string());
        }
    }
    p
}

#[test]
fn a_plain_code_request_passes() {
    let req = validate(&app(), &params(&[])).unwrap();
    assert_eq!(req.response_mode, ResponseMode::Query);
    assert_eq!(req.scope.to_string(), "openid profile");
    assert_eq!(req.state.as_deref(), Some("s1"));
}

#[test]
fn untrusted_client_or_redirect_uri_shows_a_page_never_a_redirect() {
    let cases: &[(&str, &str)] = &[
        ("client_id", ""),
        ("client_id", "someone-else"),
        ("redirect_uri", ""),
        ("redirect_uri", "https://rp.example/cb/"),
        ("redirect_uri", "https://RP.example/cb"),
        ("redirect_uri", "https://rp.example/cb/extra"),
        ("redirect_uri", "https://rp.example/cb?x=1"),
        ("redirect_uri", "https://rp.example:443/cb"),
        ("redirect_uri", "http://rp.example/cb"),
        ("redirect_uri", "https://user@rp.example/cb"),
        ("redirect_uri", "https://evil.example/cb"),
    ];
    for (k, v) in cases {
        let err = validate(&app(), &params(&[(k, v)])).unwrap_err();
        assert!(
            matches!(err, AuthorizeError::Page(_)),
            "{k}={v} must not redirect: {err:?}"
        );
    }
}

#[test]
fn later_errors_redirect_with_the_right_code() {
    use ErrorCode::*;
    let cases: &[(&[(&str, &str)], ErrorCode)] = &[
        (&[("response_type", "")], InvalidRequest),
        (&[("response_type", "token")], UnsupportedResponseType),
        (&[("response_type", "code token")], UnsupportedResponseType),
        (
            &[
                ("response_type", "id_token"),
                ("response_mode", "query"),
                ("nonce", "n"),
            ],
            InvalidRequest,
        ),
        (&[("response_type", "id_token")], InvalidRequest), // no nonce
        (&[("scope", "profile")], InvalidScope),
        (&[("prompt", "none login")], InvalidRequest),
        (&[("prompt", "bogus")], InvalidRequest),
        (&[("max_age", "-1")], InvalidRequest),
        (&[("response_mode", "jwt")], InvalidRequest),
        (&[("code_challenge", "short")], InvalidRequest),
        (
            &[
                ("code_challenge", CHALLENGE),
                ("code_challenge_method", "S512"),
            ],
            InvalidRequest,
        ),
        (&[("code_challenge_method", "S256")], InvalidRequest),
        (&[("request", "eyJ...")], RequestNotSupported),
    ];
    for (extra, code) in cases {
        match validate(&app(), &params(extra)) {
            Err(AuthorizeError::Redirect(e, target)) => {
                assert_eq!(e.code, *code, "{extra:?}");
                assert_eq!(target.redirect_uri, CB);
                assert_eq!(target.state.as_deref(), Some("s1"));
            }
            other => panic!("{extra:?} gave {other:?}"),
        }
    }
}

#[test]
fn hybrid_without_the_implicit_grant_is_unauthorized_client() {
    let mut a = app();
    a.client.grant_types = vec![GrantType::AuthorizationCode];
    let err = validate(
        &a,
        &params(&[("response_type", "code id_token"), ("nonce", "n")]),
    );
    match err {
        Err(AuthorizeError::Redirect(e, t)) => {
            assert_eq!(e.code, ErrorCode::UnauthorizedClient);
            assert_eq!(
                t.response_mode,
                ResponseMode::Fragment,
                "errors travel in the fragment"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn public_clients_need_pkce_and_s256_can_be_required() {
    let mut a = app();
    a.client.token_endpoint_auth_method = TokenEndpointAuthMethod::None;
    assert!(validate(&a, &params(&[])).is_err());
    assert!(validate(
        &a,
        &params(&[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256")
        ])
    )
    .is_ok());
    let mut b = app();
    b.client.require_pkce = true;
    assert!(validate(
        &b,
        &params(&[
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "plain")
        ])
    )
    .is_err());
}

#[test]
fn offline_access_needs_prompt_consent() {
    let without = validate(&app(), &params(&[("scope", "openid offline_access")])).unwrap();
    assert!(!without.scope.contains("offline_access"));
    let with = validate(
        &app(),
        &params(&[("scope", "openid offline_access"), ("prompt", "consent")]),
    )
    .unwrap();
    assert!(with.scope.contains("offline_access"));
}

#[test]
fn next_step_follows_prompt_and_max_age() {
    let req = validate(&app(), &params(&[])).unwrap();
    let s = SignedIn {
        user_id: "u".into(),
        auth_time: 100,
        fresh: false,
    };
    assert_eq!(next_step(&req, None, false, false, 200), Next::Login);
    assert_eq!(next_step(&req, Some(&s), false, false, 200), Next::Consent);
    assert_eq!(next_step(&req, Some(&s), true, false, 200), Next::Issue);
    assert_eq!(
        next_step(&req, Some(&s), false, true, 200),
        Next::Issue,
        "first-party skips consent"
    );

    let none = validate(&app(), &params(&[("prompt", "none")])).unwrap();
    assert_eq!(
        next_step(&none, None, false, false, 200),
        Next::Fail(ErrorCode::LoginRequired)
    );
    assert_eq!(
        next_step(&none, Some(&s), false, false, 200),
        Next::Fail(ErrorCode::ConsentRequired)
    );

    let max0 = validate(&app(), &params(&[("max_age", "0")])).unwrap();
    assert_eq!(next_step(&max0, Some(&s), true, false, 200), Next::Login);
    let fresh = SignedIn {
        fresh: true,
        ..s.clone()
    };
    assert_eq!(
        next_step(&max0, Some(&fresh), true, false, 200),
        Next::Issue
    );

    let login = validate(&app(), &params(&[("prompt", "login")])).unwrap();
    assert_eq!(next_step(&login, Some(&s), true, false, 200), Next::Login);

    let consent = validate(&app(), &params(&[("prompt", "consent")])).unwrap();
    assert_eq!(
        next_step(&consent, Some(&s), true, false, 200),
        Next::Consent
    );
}

#[test]
fn refusing_query_mode_for_tokens_answers_in_the_fragment() {
    match validate(
        &app(),
        &params(&[
            ("response_type", "id_token"),
            ("response_mode", "query"),
            ("nonce", "n"),
        ]),
    ) {
        Err(AuthorizeError::Redirect(e, t)) => {
            assert_eq!(e.code, ErrorCode::InvalidRequest);
            assert_eq!(t.response_mode, ResponseMode::Fragment);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_challenge_without_a_method_is_s256_and_public_clients_may_not_use_plain() {
    let r = validate(&app(), &params(&[("code_challenge", CHALLENGE)])).unwrap();
    assert_eq!(r.code_challenge_method, Some(CodeChallengeMethod::S256));
    let mut public = app();
    public.client.token_endpoint_auth_method = TokenEndpointAuthMethod::None;
    let plain = [
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "plain"),
    ];
    assert!(validate(&public, &params(&plain)).is_err());
    assert!(validate(&public, &params(&[("code_challenge", CHALLENGE)])).is_ok());
    // A confidential client may still ask for plain explicitly.
    assert!(validate(&app(), &params(&plain)).is_ok());
}

#[test]
fn display_claims_and_acr_are_checked_and_refused_by_the_spec_codes() {
    use ErrorCode::*;
    let cases: &[(&[(&str, &str)], ErrorCode)] = &[
        (&[("display", "fullscreen")], InvalidRequest),
        (&[("display", "PAGE")], InvalidRequest),
        (&[("claims", "not json")], InvalidRequest),
        (&[("claims", "[]")], InvalidRequest),
        (&[("claims", r#"{"id_token": []}"#)], InvalidRequest),
        (
            &[("claims", r#"{"userinfo": {"email": {"essential": 1}}}"#)],
            InvalidRequest,
        ),
        (
            &[
                ("response_type", "id_token"),
                ("nonce", "n"),
                ("claims", r#"{"userinfo": {"email": null}}"#),
            ],
            InvalidRequest,
        ),
        (
            &[(
                "claims",
                r#"{"id_token": {"acr": {"essential": true, "values": ["urn:other"]}}}"#,
            )],
            AccessDenied,
        ),
    ];
    for (extra, code) in cases {
        match validate(&app(), &params(extra)) {
            Err(AuthorizeError::Redirect(e, target)) => {
                assert_eq!(e.code, *code, "{extra:?}");
                assert_eq!(target.state.as_deref(), Some("s1"));
            }
            other => panic!("{extra:?} gave {other:?}"),
        }
    }
}

#[test]
fn display_claims_locales_and_voluntary_acr_values_are_accepted() {
    for d in ["page", "popup", "touch", "wap"] {
        assert!(validate(&app(), &params(&[("display", d)])).is_ok(), "{d}");
    }
    for extra in [
        [("claims_locales", "fr-CA ja")],
        [("acr_values", "urn:mace:incommon:iap:silver")],
        [(
            "claims",
            r#"{"id_token": {"acr": {"values": ["urn:other"]}}}"#,
        )],
        [(
            "claims",
            r#"{"id_token": {"acr": {"essential": true, "values": ["urn:doorward:acr:pwd"]}}}"#,
        )],
    ] {
        assert!(validate(&app(), &params(&extra)).is_ok(), "{extra:?}");
    }
}

#[test]
fn claims_asked_for_by_name_are_kept_and_widen_what_is_consented_to() {
    let req = validate(
        &app(),
        &params(&[
            ("scope", "openid"),
            (
                "claims",
                r#"{"id_token": {"email": {"essential": true}}, "userinfo": {"given_name": null}}"#,
            ),
        ]),
    )
    .unwrap();
    assert_eq!(req.claims.id_token_names(), ["email"]);
    assert_eq!(req.claims.userinfo_names(), ["given_name"]);
    assert_eq!(
        req.scope.to_string(),
        "openid",
        "the granted scope is unchanged"
    );
    assert_eq!(req.consent_scope().to_string(), "openid email profile");

    // A client registered with a scope gets no claim outside it.
    let mut limited = app();
    limited.client.scope = Some("openid email".into());
    let req = validate(
        &limited,
        &params(&[(
            "claims",
            r#"{"id_token": {"email": null, "phone_number": null}}"#,
        )]),
    )
    .unwrap();
    assert_eq!(req.claims.id_token_names(), ["email"]);
}

#[test]
fn a_request_without_claims_round_trips_as_it_did_before() {
    let req = validate(&app(), &params(&[])).unwrap();
    let text = serde_json::to_string(&req).unwrap();
    assert!(!text.contains("claims"), "{text}");
    let back: AuthorizationRequest = serde_json::from_str(&text).unwrap();
    assert_eq!(back, req);
}
