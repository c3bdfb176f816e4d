//! The black-box tests, one binary: every test starts the real worker under `wrangler dev` (own
//! port, own fresh state, own secrets) and talks to it over HTTP as any client would, so tests
//! share no fixture and run in any order, in parallel. The modules below `support` are named
//! after the behaviour they cover; `support` holds what they share. Depends only on the built
//! bundle (`build/index.js`), never on the crate's internals.

// Test code slicing the worker's answers: a bad slice is a failed test, not an outage, so the
// crate's `string_slice` lint (which guards the worker) does not apply here.
#![allow(clippy::string_slice)]

mod support;

mod account_page;
mod admin_applications;
mod admin_hardening;
mod admin_users_and_access;
mod audit_trail;
mod authentication_context;
mod authorization_errors;
mod blocked_and_locked_accounts;
mod claims_parameter;
mod client_assertions;
mod client_credentials;
mod code_flow;
mod code_redemption;
mod consent_and_prompt;
mod console_sessions;
mod cookies_and_transport;
mod custom_domains;
mod data_placement;
mod dynamic_registration;
mod hosted_pages;
mod hostile_input;
mod hot_documents;
mod implicit_hybrid;
mod input_safety;
mod introspection_revocation;
mod issuers_and_discovery;
mod key_rotation;
mod legacy_query_form;
mod login_page;
mod logout;
mod logout_hints;
mod mcp_client;
mod object_transport;
mod pairwise_subjects;
mod passkey_second_factor;
mod passkeys;
mod password_grant;
mod pkce_defaults;
mod pool_migration;
mod refresh_rotation;
mod refresh_tokens;
mod request_objects;
mod response_headers;
mod revocation_at_once;
mod second_factors;
mod several_clients;
mod shard_layouts;
mod signed_userinfo;
