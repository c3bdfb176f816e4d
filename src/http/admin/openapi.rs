//! The admin API's OpenAPI 3.1 document, served at `/api/v1/openapi.json`.

use serde_json::{json, Value};

use crate::oidc::acr::ACR_VALUES_SUPPORTED;
use crate::oidc::audit::{EventKind, MAX_RETENTION_DAYS};
use crate::oidc::audit_query::{MAX_EXPORT, MAX_PAGE};
use crate::oidc::model::{
    DynamicRegistration, GrantType, ResponseType, SigningAlg, TokenEndpointAuthMethod,
};
use crate::oidc::subject::SubjectType;

/// A JSON Schema `enum` of wire names, taken from the Rust enum so the document cannot miss one.
fn names<const N: usize>(all: [&'static str; N]) -> Value {
    Value::from(all.to_vec())
}

fn op(summary: &str, ok: &str, body: Option<&str>) -> Value {
    let mut o = json!({
        "summary": summary,
        "security": [{"bearer": []}],
        "responses": {
            ok: {"description": "success"},
            "400": {"$ref": "#/components/responses/Invalid"},
            "401": {"description": "missing or wrong admin token"},
            "404": {"description": "not found"}
        }
    });
    if let Some(schema) = body {
        o["requestBody"] = json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}});
    }
    o
}

pub fn document() -> Value {
    let grant_types = names(GrantType::ALL.map(GrantType::as_str));
    let response_types = names(ResponseType::ALL.map(ResponseType::as_str));
    let id_token_algs = names(SigningAlg::ALL.map(SigningAlg::as_str));
    let key_algs = names(SigningAlg::ASYMMETRIC.map(SigningAlg::as_str));
    let auth_methods = names(TokenEndpointAuthMethod::ALL.map(TokenEndpointAuthMethod::as_str));
    let pool = json!({"name": "pool_id", "in": "query", "required": false, "schema": {"type": "string", "default": "default"}});
    let kinds = names(EventKind::ALL.map(EventKind::as_str));
    let time = |name: &str, what: &str| json!({"name": name, "in": "query", "schema": {"type": "integer", "minimum": 0}, "description": what});
    let filters = json!([
        pool.clone(),
        {"name": "kind", "in": "query", "schema": {"enum": kinds.clone()}},
        {"name": "user_id", "in": "query", "schema": {"type": "string"}},
        {"name": "client_id", "in": "query", "schema": {"type": "string"}},
        time("since", "events at or after this time (epoch seconds)"),
        time("until", "events before this time (epoch seconds)"),
        {"name": "cursor", "in": "query", "schema": {"type": "string"}, "description": "the previous page's next_cursor"}
    ]);
    let with_limit = |max: u32, default: u32| {
        let mut p = filters.as_array().cloned().unwrap_or_default();
        p.push(json!({"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": max, "default": default}}));
        Value::from(p)
    };
    let mut export = op("Export matching events as JSON lines, newest first (a Link rel=next header continues past the limit)", "200", None);
    export["responses"]["200"] = json!({"description": "one event per line", "content": {"application/x-ndjson": {"schema": {"$ref": "#/components/schemas/AuditEvent"}}}});
    let mut doc = json!({
        "openapi": "3.1.0",
        "info": {"title": "Doorward admin API", "version": "1.0.0",
                 "description": "Manage applications, users, resources, programmatic access accounts and signing keys. Authenticate with `Authorization: Bearer {ADMIN_TOKEN}`. Changes are visible to the OIDC endpoints at once locally; in production KV-backed records (applications, resources, JWKS) can take up to about a minute to reach every edge."},
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {"Invalid": {"description": "validation failed", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/FieldErrors"}}}}},
            "schemas": {
                "FieldErrors": {"type": "object", "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}, "fields": {"type": "object", "additionalProperties": {"type": "string"}}}},
                "Application": {"type": "object", "required": ["name", "subdomain"], "properties": {
                    "name": {"type": "string"}, "subdomain": {"type": "string", "pattern": "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"},
                    "custom_domains": {"type": "array", "maxItems": 5, "items": {"type": "string", "format": "hostname"},
                        "description": "Hosts of the application's own, each an issuer https://{host}/oidc (Cloudflare for SaaS custom hostnames)"},
                    "redirect_uris": {"type": "array", "items": {"type": "string", "format": "uri"}},
                    "post_logout_redirect_uris": {"type": "array", "items": {"type": "string", "format": "uri"}},
                    "grant_types": {"type": "array", "items": {"enum": grant_types}},
                    "response_types": {"type": "array", "items": {"enum": response_types}},
                    "id_token_signed_response_alg": {"enum": id_token_algs},
                    "access_token_signed_response_alg": {"enum": key_algs.clone()},
                    "token_endpoint_auth_method": {"enum": auth_methods},
                    "require_pkce": {"type": "boolean"}, "skip_consent": {"type": "boolean"},
                    "token_params_in_query": {"type": "boolean", "default": true,
                        "description": "Accept token-endpoint parameters in the query string (the legacy form; secrets in URLs reach logs)"},
                    "refresh_token_grace_seconds": {"type": "integer", "minimum": 0, "maximum": 60, "default": 0,
                        "description": "How long a rotated-out refresh token is honoured once more (0: any reuse revokes the family)"},
                    "token_lifetimes": {"type": "object", "properties": {"access_token": {"type": "integer"}, "id_token": {"type": "integer"}, "refresh_token": {"type": "integer"}, "authorization_code": {"type": "integer"}}},
                    "dynamic_registration": {"enum": names(DynamicRegistration::ALL.map(DynamicRegistration::as_str)), "default": "off",
                        "description": "Whether {issuer}/reg accepts RFC 7591 registrations: off, open to anyone (rate-limited per source), or with an initial access token"},
                    "require_mfa": {"type": "boolean", "default": false,
                        "description": "Every sign-in needs a second factor (acr urn:doorward:acr:mfa or higher)"},
                    "require_phishing_resistant": {"type": "boolean", "default": false,
                        "description": "Every sign-in needs a passkey (acr urn:doorward:acr:phishing-resistant); a user without one gets unmet_authentication_requirements"},
                    "pool_id": {"type": "string"}}},
                "Client": {"type": "object", "description": "A client of an application: the client fields of Application, plus RFC 7591 metadata and `disabled`", "properties": {
                    "client_name": {"type": "string"}, "application_type": {"enum": ["web", "native"]},
                    "redirect_uris": {"type": "array", "items": {"type": "string", "format": "uri"}},
                    "post_logout_redirect_uris": {"type": "array", "items": {"type": "string", "format": "uri"}},
                    "grant_types": {"type": "array", "items": {"enum": grant_types.clone()}},
                    "response_types": {"type": "array", "items": {"enum": response_types.clone()}},
                    "token_endpoint_auth_method": {"enum": auth_methods.clone()},
                    "logo_uri": {"type": "string", "format": "uri"}, "client_uri": {"type": "string", "format": "uri"},
                    "policy_uri": {"type": "string", "format": "uri"}, "tos_uri": {"type": "string", "format": "uri"},
                    "contacts": {"type": "array", "items": {"type": "string"}},
                    "default_max_age": {"type": "integer", "minimum": 0}, "require_auth_time": {"type": "boolean"},
                    "subject_type": {"enum": names(SubjectType::ALL.map(SubjectType::as_str)), "default": "public",
                        "description": "pairwise: each sector (the redirect URIs' host, or the sector_identifier_uri's) sees its own sub (OIDC Core 8.1)"},
                    "sector_identifier_uri": {"type": "string", "format": "uri",
                        "description": "An https JSON list of the client's redirect URIs, fetched and checked when set or when the redirect URIs change"},
                    "default_acr_values": {"type": "array", "items": {"enum": ACR_VALUES_SUPPORTED}},
                    "userinfo_signed_response_alg": {"enum": id_token_algs.clone(),
                        "description": "Userinfo answers as application/jwt signed with this algorithm; plain JSON when absent or null"},
                    "disabled": {"type": "boolean", "description": "A disabled client is refused everywhere until enabled (not the primary client)"}}},
                "InitialAccessToken": {"type": "object", "properties": {
                    "expires_in": {"type": "integer", "minimum": 60, "maximum": 2_592_000, "default": 86_400},
                    "uses": {"type": "integer", "minimum": 1, "description": "registrations it may make; unlimited until it expires when absent"}}},
                "User": {"type": "object", "required": ["username"], "properties": {
                    "username": {"type": "string"}, "password": {"type": "string", "minLength": 8, "writeOnly": true},
                    "password_hash": {"type": "string", "writeOnly": true, "description": "instead of password: a hash from another system (bcrypt $2a$/$2b$/$2y$, $argon2id$ PHC, $pbkdf2-sha256$ or $pbkdf2-sha512$ PHC), verified at the next sign-in and then re-hashed"},
                    "email": {"type": "string"}, "email_verified": {"type": "boolean"}, "phone_number": {"type": "string"},
                    "phone_number_verified": {"type": "boolean"}, "blocked": {"type": "boolean"}, "name": {"type": "string"},
                    "given_name": {"type": "string"}, "family_name": {"type": "string"}, "custom_attributes": {"type": "object"}}},
                "Resource": {"type": "object", "required": ["code", "uri", "actions"], "properties": {"code": {"type": "string"}, "uri": {"type": "string"}, "name": {"type": "string"}, "actions": {"type": "array", "items": {"type": "string"}}}},
                "AccessAccount": {"type": "object", "properties": {"description": {"type": "string"}, "permissions": {"type": "array", "items": {"type": "string", "pattern": "^[^:]+:[^:]+$"}}, "disabled": {"type": "boolean"}}},
                "Rotate": {"type": "object", "properties": {"alg": {"enum": key_algs}}},
                "Pool": {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}, "branding": {"type": "object"},
                    "audit_retention_days": {"type": "integer", "minimum": 1, "maximum": MAX_RETENTION_DAYS, "default": 90, "description": "How long the pool's audit log keeps an event"},
                    "jurisdiction": {"enum": ["eu", "fedramp", "fedramp-high", null], "description": "Durable Object jurisdiction the pool's users, sessions, codes, keys and audit log stay in; set at creation, fixed after"},
                    "passkey_user_verification": {"type": "string", "enum": ["preferred", "required"], "default": "preferred", "description": "WebAuthn user verification asked of passkeys; required refuses a passkey that did not verify the user"},
                    "mfa": {"enum": ["off", "optional", "required"], "default": "optional",
                        "description": "off: no second factors; optional: users may enrol one and are then asked for it; required: every sign-in needs one (enrolment during sign-in)"}}},
                "Passkey": {"type": "object", "description": "A user's passkey as listed (never its key)", "properties": {"credential_id": {"type": "string", "description": "base64url"}, "name": {"type": "string"},
                    "created_at": {"type": "integer"}, "last_used_at": {"type": ["integer", "null"]}, "transports": {"type": "array", "items": {"type": "string"}},
                    "backup_eligible": {"type": "boolean"}, "backed_up": {"type": "boolean"}, "sign_count": {"type": "integer"}}}
            }
        },
        "paths": {
            "/api/v1/applications": {"get": op("List applications", "200", None), "post": op("Create an application (returns client_secret once)", "201", Some("Application"))},
            "/api/v1/applications/{client_id}": {"get": op("Get an application", "200", None), "patch": op("Change an application", "200", Some("Application")), "delete": op("Delete an application", "204", None)},
            "/api/v1/applications/{client_id}/secret": {"get": op("Show the current client secret", "200", None), "post": op("Rotate the client secret (returns the new one)", "200", None)},
            "/api/v1/applications/{client_id}/clients": {"get": op("List an application's clients (the primary one first)", "200", None), "post": op("Add a client (returns client_secret once)", "201", Some("Client"))},
            "/api/v1/applications/{client_id}/clients/{id}": {"get": op("Get a client", "200", None), "patch": op("Change, disable or enable a client", "200", Some("Client")), "delete": op("Delete a client (not the primary one)", "204", None)},
            "/api/v1/applications/{client_id}/clients/{id}/secret": {"get": op("Show a client's secret", "200", None), "post": op("Rotate a client's secret (returns the new one)", "200", None)},
            "/api/v1/applications/{client_id}/initial-access-tokens": {"get": op("List live initial access tokens (never the tokens)", "200", None), "post": op("Mint an initial access token for dynamic registration (returned once)", "201", Some("InitialAccessToken"))},
            "/api/v1/applications/{client_id}/initial-access-tokens/{id}": {"delete": op("Revoke an initial access token", "204", None)},
            "/api/v1/users": {"parameters": [pool.clone(), {"name": "q", "in": "query", "schema": {"type": "string"}}], "get": op("Search users", "200", None), "post": op("Create a user", "201", Some("User"))},
            "/api/v1/users/{id}": {"parameters": [pool.clone()], "get": op("Get a user", "200", None), "patch": op("Change claims, password or blocked flag", "200", Some("User")), "delete": op("Delete a user", "204", None)},
            "/api/v1/users/{id}/lock": {"parameters": [pool.clone()], "get": op("See a user's sign-in lock (locked, retry_after, failures)", "200", None), "delete": op("Clear a user's sign-in lock", "204", None)},
            "/api/v1/users/{id}/factors": {"parameters": [pool.clone()], "get": op("List a user's second factors (kind, created_at, last_used_at, recovery codes remaining; never a secret)", "200", None), "delete": op("Reset MFA: remove every second factor of the user", "204", None)},
            "/api/v1/users/{id}/factors/totp": {"parameters": [pool.clone()], "delete": op("Remove the user's authenticator app", "204", None)},
            "/api/v1/pools/{id}/factors": {"get": op("Count the pool's users per second factor (users, totp, recovery_codes)", "200", None)},
            "/api/v1/users/{id}/consents": {"parameters": [pool.clone()], "get": op("List the consents a user has given", "200", None)},
            "/api/v1/users/{id}/passkeys": {"parameters": [pool.clone()], "get": op("List a user's passkeys (items: Passkey)", "200", None)},
            "/api/v1/users/{id}/passkeys/{credential_id}": {"parameters": [pool.clone()], "delete": op("Remove a user's passkey (it no longer signs in)", "204", None)},
            "/api/v1/users/{id}/consents/{client_id}": {"parameters": [pool.clone()], "delete": op("Withdraw a user's consent to an application", "204", None)},
            "/api/v1/sessions": {"parameters": [pool.clone(), {"name": "user_id", "in": "query", "schema": {"type": "string"}}], "get": op("List live SSO sessions", "200", None)},
            "/api/v1/sessions/{session_id}": {"parameters": [pool.clone()], "delete": op("Revoke an SSO session", "204", None)},
            "/api/v1/pools": {"get": op("List user pools", "200", None), "post": op("Create a user pool", "201", Some("Pool"))},
            "/api/v1/pools/{id}/export": {"get": op("Export a pool as one JSON document (users with password hashes, applications and clients with their secrets, resources, access accounts): as sensitive as the database", "200", None)},
            "/api/v1/pools/{id}/import": {"post": op("Import a pool export (additive: what exists is skipped and reported)", "200", None)},
            "/api/v1/pools/{id}": {"get": op("Get a user pool", "200", None), "patch": op("Rename or brand a user pool, or set its audit retention", "200", Some("Pool"))},
            "/api/v1/resources": {"parameters": [pool.clone()], "get": op("List resources", "200", None), "post": op("Create a resource", "201", Some("Resource"))},
            "/api/v1/resources/{code}": {"parameters": [pool.clone()], "get": op("Get a resource", "200", None), "delete": op("Delete a resource", "204", None)},
            "/api/v1/access-accounts": {"parameters": [pool.clone()], "get": op("List programmatic access accounts", "200", None), "post": op("Create an AK/SK account (secret_key returned once)", "201", Some("AccessAccount"))},
            "/api/v1/access-accounts/{access_key}": {"parameters": [pool.clone()], "get": op("Get an account", "200", None), "patch": op("Change permissions or disable", "200", Some("AccessAccount")), "delete": op("Delete an account", "204", None)},
            "/api/v1/keys": {"parameters": [pool.clone()], "get": op("List signing keys", "200", None)},
            "/api/v1/keys/rotate": {"parameters": [pool], "post": op("Rotate the signing key of one algorithm", "201", Some("Rotate"))}
        }
    });
    doc["components"]["schemas"]["AuditEvent"] = audit_event_schema(kinds.clone());
    doc["components"]["schemas"]["AuditStats"] = audit_stats_schema();
    let paths = json!({
        "/api/v1/audit": {"parameters": with_limit(MAX_PAGE, 50), "get": op("List a pool's audit events, newest first (next_cursor pages on)", "200", None)},
        "/api/v1/audit/export": {"parameters": with_limit(MAX_EXPORT, MAX_EXPORT), "get": export},
        "/api/v1/audit/stats": {"parameters": [pool.clone(),
            {"name": "bucket", "in": "query", "schema": {"enum": ["hour", "day"], "default": "hour"}},
            time("since", "start (aligned down to a bucket; 48 hours or 30 days back by default)"),
            time("until", "end (now by default)")],
            "get": {"summary": "Counts for the overview's charts: sign-ins per application, failures, lockouts, tokens per grant, active users", "security": [{"bearer": []}],
                "responses": {"200": {"description": "success", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/AuditStats"}}}}, "400": {"$ref": "#/components/responses/Invalid"}, "401": {"description": "missing or wrong admin token"}}}}
    });
    if let (Some(all), Value::Object(audit)) = (doc["paths"].as_object_mut(), paths) {
        all.extend(audit);
    }
    doc
}

fn audit_event_schema(kinds: Value) -> Value {
    json!({"type": "object", "required": ["id", "time", "pool_id", "kind"], "description": "A security event. Never holds a password, secret, code or token; admin changes carry before/after of the changed settings with secret fields removed.", "properties": {
        "id": {"type": "integer"}, "time": {"type": "integer", "description": "epoch seconds"}, "pool_id": {"type": "string"},
        "kind": {"enum": kinds},
        "application_id": {"type": "string"}, "client_id": {"type": "string"}, "user_id": {"type": "string"},
        "actor": {"type": "string", "description": "the administrator's username, or `admin token`"},
        "ip": {"type": "string", "description": "the caller's address (IPv6 by its /64)"}, "user_agent": {"type": "string"},
        "method": {"enum": ["password", "admin_token"]}, "channel": {"enum": ["login_page", "password_grant", "console", "admin_api"]},
        "reason": {"type": "string", "description": "sign_in_failed: unknown_user, wrong_password, blocked, locked, wrong_token; token_revoked: client_request, admin, password_changed, user_blocked, user_deleted, consent_withdrawn, signed_out"},
        "login": {"type": "string", "description": "sign_in_failed of an unknown user: the login name tried"},
        "lock": {"enum": ["account", "address"]}, "until": {"type": "integer"}, "scope": {"type": "string"},
        "revoked": {"enum": ["access_token", "refresh_token", "sso_session", "all_of_user", "user_client_tokens"]},
        "origin": {"enum": ["admin", "dynamic"]},
        "target": {"type": "string"}, "target_id": {"type": "string"}, "action": {"type": "string"},
        "before": {"type": "object"}, "after": {"type": "object"},
        "grant_type": {"type": "string"}, "response_type": {"type": "string"}, "refresh_token_issued": {"type": "boolean"}}})
}

fn audit_stats_schema() -> Value {
    json!({"type": "object", "description": "Counts per bucket: every series has one number per entry of buckets", "properties": {
        "bucket": {"enum": ["hour", "day"]}, "since": {"type": "integer"}, "until": {"type": "integer"},
        "buckets": {"type": "array", "items": {"type": "integer"}},
        "sign_ins": {"type": "object", "description": "by application id", "additionalProperties": {"type": "array", "items": {"type": "integer"}}},
        "failures": {"type": "object", "description": "by reason", "additionalProperties": {"type": "array", "items": {"type": "integer"}}},
        "lockouts": {"type": "object", "description": "by lock scope", "additionalProperties": {"type": "array", "items": {"type": "integer"}}},
        "tokens_issued": {"type": "object", "description": "by grant type", "additionalProperties": {"type": "array", "items": {"type": "integer"}}},
        "active_users": {"type": "array", "items": {"type": "integer"}}}})
}
