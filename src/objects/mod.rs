//! The Durable Object classes (bound in wrangler.toml). Each runs the command enum of its
//! `crate::store` client; the protocol rules they apply come from `crate::oidc`.

/// The JS RPC method `command(text)` of an object class that implements
/// `store::rpc::CommandObject` (called by `store::rpc::call`; `src/entry.js` declares it on
/// the class workerd instantiates, which delegates here).
macro_rules! command_entry {
    ($object:ident) => {
        #[wasm_bindgen::prelude::wasm_bindgen]
        impl $object {
            #[wasm_bindgen(js_name = command)]
            pub async fn command_entry(
                &self,
                text: String,
            ) -> std::result::Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue> {
                crate::store::rpc::answer(self, text).await
            }
        }
    };
}

pub mod audit_log;
pub mod client_registry;
pub mod grant_store;
pub mod key_vault;
pub mod user_directory;
