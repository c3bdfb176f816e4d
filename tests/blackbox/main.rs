//! The black-box tests: one binary whose every test starts the real worker under `wrangler dev`
//! (own port, own state, own secrets) and talks to it over HTTP like any client would.

mod support;

mod admin_applications;
mod admin_users_and_access;
mod authorization_errors;
mod client_credentials;
mod code_flow;
mod code_redemption;
mod consent_and_prompt;
mod hosted_pages;
mod implicit_hybrid;
mod introspection_revocation;
mod issuers_and_discovery;
mod login_page;
mod logout;
mod password_grant;
mod refresh_tokens;
