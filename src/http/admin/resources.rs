//! `/api/v1/resources`: the APIs machine callers get tokens for, each with a code, a URI (the
//! RFC 8707 resource indicator and the tokens' `aud`) and its actions.

use serde_json::{json, Value};
use worker::{Method, Request};

use super::{body, conflict, invalid, method_not_allowed, no_content};
use crate::http::context::Ctx;
use crate::http::respond::{json, HttpError, HttpResult};
use crate::oidc::audit::{Action, Target};
use crate::oidc::model::Resource;
use crate::oidc::registration::{parse_permission, FieldErrors};

pub async fn route(
    ctx: &Ctx,
    mut req: Request,
    method: Method,
    rest: &[&str],
    pool: &str,
) -> HttpResult {
    let kv = ctx.kv()?;
    match (rest, method) {
        ([], Method::Get) => json(200, &json!({"items": kv.list_resources(pool).await?})),
        ([], Method::Post) => {
            let b = body(&mut req).await?;
            let r = match parse_resource(&b, pool, ctx.now) {
                Ok(r) => r,
                Err(e) => return invalid(e),
            };
            if kv.resource(pool, &r.code).await?.is_some() {
                return conflict("code", "code");
            }
            kv.put_resource(&r).await?;
            let after = serde_json::to_value(&r).unwrap_or_default();
            ctx.audit.admin_change(
                pool,
                Target::Resource,
                &r.code,
                Action::Create,
                None,
                Some(&after),
            );
            json(201, &r)
        }
        ([code], Method::Get) => json(
            200,
            &kv.resource(pool, code).await?.ok_or(HttpError::NotFound)?,
        ),
        ([code], Method::Delete) => {
            let r = kv.resource(pool, code).await?.ok_or(HttpError::NotFound)?;
            kv.delete_resource(pool, code).await?;
            let before = serde_json::to_value(&r).unwrap_or_default();
            ctx.audit.admin_change(
                pool,
                Target::Resource,
                code,
                Action::Delete,
                Some(&before),
                None,
            );
            no_content()
        }
        ([], _) => method_not_allowed("GET, POST"),
        ([_], _) => method_not_allowed("GET, DELETE"),
        _ => Err(HttpError::NotFound),
    }
}

fn parse_resource(b: &Value, pool: &str, now: u64) -> Result<Resource, FieldErrors> {
    let mut e = FieldErrors::default();
    let code = b["code"].as_str().unwrap_or("").to_string();
    if parse_permission(&format!("{code}:x")).is_none() || code.contains('*') || code.len() > 64 {
        e.add(
            "code",
            "is required: at most 64 letters, digits, '-', '_' or '.'",
        );
    }
    let uri = b["uri"].as_str().unwrap_or("").to_string();
    if url::Url::parse(&uri).is_err() {
        e.add("uri", "must be an absolute URI");
    }
    let actions: Vec<String> = match b["actions"].as_array() {
        Some(a) if !a.is_empty() => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        _ => vec![],
    };
    if actions.is_empty()
        || actions
            .iter()
            .any(|a| parse_permission(&format!("x:{a}")).is_none() || a.contains('*'))
    {
        e.add("actions", "must be a non-empty list of action names");
    }
    for k in b
        .as_object()
        .map(|o| o.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        if !["code", "uri", "name", "actions", "pool_id"].contains(&k.as_str()) {
            e.add(&k, "is not a known field");
        }
    }
    e.into_result(Resource {
        pool_id: pool.to_string(),
        code,
        uri,
        name: b["name"].as_str().unwrap_or("").to_string(),
        actions,
        created_at: now,
    })
}
