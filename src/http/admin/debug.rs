//! `/api/v1/debug/codes`: admin-only probes of the single-use store, so black-box tests can
//! race N takes of one code through the real Durable Object (issue 2). They store a dummy
//! code record that no token endpoint accepts (its client id is empty).

use serde_json::{json, Value};
use worker::{Method, Request};

use super::body;
use crate::crypto::random;
use crate::http::context::Ctx;
use crate::http::respond::{json, HttpError, HttpResult};
use crate::oidc::jws::sha256_b64;
use crate::oidc::model::ResponseType;
use crate::oidc::records::{CodeRecord, CodeTake, Issued};
use crate::store::grants::{Grants, Kind};

pub async fn route(ctx: &Ctx, mut req: Request, method: Method, rest: &[&str]) -> HttpResult {
    match (rest, method) {
        (["codes"], Method::Post) => {
            let code = random::token()?;
            let record = CodeRecord {
                client_id: String::new(),
                pool_id: String::new(),
                user_id: String::new(),
                redirect_uri: String::new(),
                scope: String::new(),
                nonce: None,
                code_challenge: None,
                code_challenge_method: None,
                auth_time: ctx.now,
                session_id: None,
                response_type: ResponseType::Code,
                offline: false,
                expires_at: ctx.now + 60,
                consumed: false,
                replayed: false,
                issued: Issued::default(),
            };
            let hash = sha256_b64(&code);
            Grants::new(&ctx.env).put(Kind::Code, &hash, &record, record.expires_at).await?;
            json(201, &json!({"code": code}))
        }
        (["codes", "take"], Method::Post) => {
            let b = match body(&mut req).await {
                Ok(b) => b,
                Err(r) => return r,
            };
            let code = b.get("code").and_then(Value::as_str).unwrap_or("");
            match Grants::new(&ctx.env).take_code(&sha256_b64(code), ctx.now).await? {
                CodeTake::Fresh { .. } => json(200, &json!({"taken": true})),
                CodeTake::Replayed { .. } | CodeTake::Missing => json(409, &json!({"taken": false})),
            }
        }
        _ => Err(HttpError::NotFound),
    }
}
