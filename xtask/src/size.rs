//! What CEL adds to a wasm module, measured with the probe crate `xtask/probes/cel-size`: the
//! same cdylib built with and without its `cel` feature, in release for wasm32, through the same
//! route and `wasm-opt` pass as the shipped artifacts.

use crate::artifacts::build_wasm_features;
use crate::toolchain::Route;
use anyhow::{Context, Result};
use std::path::Path;

/// Issue #4: the CEL part adds at most 150 KB to a wasm module.
pub const CEL_BUDGET: u64 = 150_000;

const PROBE: &str = "cel-size-probe";

/// Builds the probe twice, prints "CEL adds N bytes (budget 150 KB)" and returns N.
pub fn report_cel(route: &Route) -> Result<u64> {
    // Build the larger variant last so the probe's output path ends up holding it.
    let without = optimized_size(&build_wasm_features(route, PROBE, &[])?)?;
    let with = optimized_size(&build_wasm_features(route, PROBE, &["cel"])?)?;
    let added = with.saturating_sub(without);
    let verdict = if added > CEL_BUDGET {
        ", OVER BUDGET"
    } else {
        ""
    };
    println!("CEL adds {added} bytes (budget {CEL_BUDGET}{verdict}; probe {without} -> {with})");
    Ok(added)
}

fn optimized_size(path: &Path) -> Result<u64> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(crate::wasm_opt::optimize(&bytes)?.len() as u64)
}
