//! Parameters (Gatekeeper `input.parameters`) and settings (Kubewarden `data`): one shape, read
//! into the engine's [`Options`].

use alloc::format;
use alloc::string::String;
use policy_wasm::check::Options;
use policy_wasm::json::{DecodeError, FromJson, Json};
use policy_wasm::scope::Scope;
use thiserror::Error;

/// Why parameters could not be used; the policy then fails closed.
#[derive(Debug, Error)]
pub enum ParamError {
    /// The JSON does not have the documented shape.
    #[error("invalid parameters: {0}")]
    Shape(String),
    /// `scope` names no built-in scope.
    #[error("invalid parameters: unknown scope `{0}`: use `aks`, `istio` or an inline scope table")]
    UnknownScope(String),
}

/// Reads parameters; `null` and `{}` mean the defaults (scope `istio`, warnings warn). Unknown
/// keys are ignored because Kubewarden adds its own (`kubernetes`) to the data document.
///
/// Fields are read with the engine's own `FromJson` tables, which keeps the module small.
pub fn options(value: &Json) -> Result<Options, ParamError> {
    if !(value.is_null() || value.is_object()) {
        return Err(ParamError::Shape("expected an object".into()));
    }
    let field = |key: &str| value.get(key).filter(|v| !v.is_null());
    let text = |key: &str| -> Result<Option<String>, ParamError> {
        match field(key) {
            None => Ok(None),
            Some(Json::String(s)) => Ok(Some(s.clone())),
            Some(_) => Err(ParamError::Shape(format!("`{key}` must be a string"))),
        }
    };
    let typed = |key: &str, e: DecodeError| ParamError::Shape(format!("`{key}`: {e}"));
    let scope = match field("scope") {
        None => Scope::istio(),
        Some(Json::String(name)) => {
            Scope::builtin(name).ok_or_else(|| ParamError::UnknownScope(name.clone()))?
        }
        Some(table) => FromJson::from_json(table).map_err(|e| typed("scope", e))?,
    };
    let mut options = Options::for_scope(scope);
    if let Some(mesh) = field("mesh") {
        options.mesh = FromJson::from_json(mesh).map_err(|e| typed("mesh", e))?;
    }
    if let Some(workloads) = field("workloads") {
        options.workloads = FromJson::from_json(workloads).map_err(|e| typed("workloads", e))?;
    }
    options.revision = text("revision")?;
    options.root_namespace = text("rootNamespace")?.unwrap_or_default();
    options.warnings_deny = match text("warnings")?.as_deref() {
        None | Some("warn") => false,
        Some("deny") => true,
        Some(other) => {
            return Err(ParamError::Shape(format!(
                "`warnings` must be `warn` or `deny`, not `{other}`"
            )));
        }
    };
    Ok(options)
}
