//! wasmtime hosts that load meshtel's built `.wasm` files exactly as real hosts do, the recorded
//! request fixtures they replay, and the conformance tests.

pub mod bench;
pub mod component;
pub mod envoy;
pub mod fixture;
pub mod opa;
pub mod proxy;
pub mod replay;

use std::path::PathBuf;

/// The path of a built artifact in the workspace's `dist/` (built by `cargo xtask build`).
pub fn dist(name: &str) -> PathBuf {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|p| p.to_path_buf())
        .unwrap_or_default();
    root.join("dist").join(name)
}

/// Loads `dist/proxy-filter.wasm`, saying how to build it when it is missing.
pub fn proxy_filter() -> anyhow::Result<proxy::ProxyModule> {
    let path = dist("proxy-filter.wasm");
    if !path.exists() {
        anyhow::bail!(
            "{} is missing: run `cargo xtask build` (cargo xtask test does)",
            path.display()
        );
    }
    proxy::ProxyModule::load(path)
}
