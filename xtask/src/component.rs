//! `dist/policy.component.wasm`: the `policy-component` crate compiled for wasm32-unknown-unknown
//! (wit-bindgen embeds the `meshtel:policy` world's type information in the core module), then
//! wrapped into a component with `wit-component` — no wasip2 target needed.

use crate::artifacts::{Artifact, build_wasm, install_bytes};
use crate::toolchain::Route;
use anyhow::{Context, Result};

/// Builds the core module and encodes it as a component into `dist/`.
pub fn build(route: &Route) -> Result<Artifact> {
    let core = build_wasm(route, "policy-component")?;
    let bytes = std::fs::read(&core).with_context(|| format!("cannot read {}", core.display()))?;
    let bytes = crate::wasm_opt::optimize(&bytes)?;
    let component = wit_component::ComponentEncoder::default()
        .module(&bytes)
        .context("policy-component: the core module carries no usable component type")?
        .validate(true)
        .encode()
        .context("policy-component: cannot encode the component")?;
    install_bytes(&component, "policy.component.wasm")
}
