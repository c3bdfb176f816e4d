//! Where a Durable Object call goes. A pool pinned to a jurisdiction (`Pool::jurisdiction`)
//! has every object it owns — its directory, key vault, audit log, its applications' client
//! registries and the `GrantStore` shards of its codes, sessions and refresh families — in
//! that jurisdiction's sub-namespace (`namespace.jurisdiction("eu")`), which Cloudflare keeps
//! inside it. The same name in another jurisdiction is another object, so a read must use the
//! placement its write used: every store client takes one, and nothing reaches an object
//! without it.
//!
//! Local `workerd` does not implement jurisdictions ("Jurisdiction restrictions are not
//! implemented in workerd"). With the `DURABLE_OBJECT_JURISDICTIONS = "emulated"` var (set in
//! `wrangler.toml` for local development and tests, never in production), a pinned object is
//! the global object named `{jurisdiction}~{name}` instead: a separate object as in
//! production, so a call that loses its placement finds nothing and the tests see it.

use wasm_bindgen::{JsCast, JsValue};
use worker::{Env, ObjectNamespace, Stub};

use super::StoreError;
use crate::oidc::model::{Application, Jurisdiction, Pool};

/// The jurisdiction of the objects a call addresses; `GLOBAL` for none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Placement(pub Option<Jurisdiction>);

impl Placement {
    /// Cloudflare chooses where the object runs: the console's own pool, and pools that are
    /// not pinned.
    pub const GLOBAL: Placement = Placement(None);

    pub fn of_app(app: &Application) -> Placement {
        Placement(app.jurisdiction)
    }

    pub fn of_pool(pool: &Pool) -> Placement {
        Placement(pool.jurisdiction)
    }
}

/// The var that turns the local stand-in on (see the module header).
const EMULATION_VAR: &str = "DURABLE_OBJECT_JURISDICTIONS";

fn emulated(env: &Env) -> bool {
    env.var(EMULATION_VAR)
        .map(|v| v.to_string() == "emulated")
        .unwrap_or(false)
}

fn runtime(what: &str, e: JsValue) -> StoreError {
    StoreError::Runtime(format!("{what}: {e:?}"))
}

/// The stub of object `name` of namespace `binding`, placed as `at` says.
pub fn stub(env: &Env, binding: &str, at: Placement, name: &str) -> Result<Stub, StoreError> {
    let ns = env.durable_object(binding)?;
    let Some(jurisdiction) = at.0 else {
        return Ok(ns.get_by_name(name)?);
    };
    if emulated(env) {
        return Ok(ns.get_by_name(&format!("{}~{name}", jurisdiction.as_str()))?);
    }
    // `DurableObjectNamespace.jurisdiction(name)` returns the sub-namespace; the `worker`
    // crate has no binding for it yet, so it is called by name on the JavaScript object.
    let ns_js: &JsValue = ns.as_ref();
    let method = js_sys::Reflect::get(ns_js, &JsValue::from_str("jurisdiction"))
        .map_err(|e| runtime("jurisdiction", e))?
        .dyn_into::<js_sys::Function>()
        .map_err(|e| runtime("jurisdiction is not a function", e))?;
    let sub = method
        .call1(ns_js, &JsValue::from_str(jurisdiction.as_str()))
        .map_err(|e| {
            runtime(
                &format!("{binding}.jurisdiction({})", jurisdiction.as_str()),
                e,
            )
        })?;
    Ok(ObjectNamespace::unchecked_from_js(sub).get_by_name(name)?)
}

/// A pool by id with its placement, for interfaces that take both together.
#[derive(Debug, Clone, Copy)]
pub struct PoolAt<'a> {
    pub id: &'a str,
    pub at: Placement,
}

impl<'a> PoolAt<'a> {
    pub fn of_app(app: &'a Application) -> PoolAt<'a> {
        PoolAt {
            id: &app.pool_id,
            at: Placement::of_app(app),
        }
    }

    pub fn of_pool(pool: &'a Pool) -> PoolAt<'a> {
        PoolAt {
            id: &pool.id,
            at: Placement::of_pool(pool),
        }
    }
}
