//! `cargo xtask soak`: long runs through the built artifacts, with their figures printed
//! (`host-tests/examples/soak.rs` does the work). `cargo xtask test` runs a short version.

use crate::root;
use anyhow::Result;

/// Request counts of one soak.
pub struct Counts {
    /// Streams through the filter under the wasmtime host.
    pub wasmtime: usize,
    /// Requests through the real Envoy with the filter.
    pub envoy: usize,
}

/// What `cargo xtask soak` runs.
pub const FULL: Counts = Counts {
    wasmtime: 1_000_000,
    envoy: 100_000,
};

/// What `cargo xtask test` runs.
pub const SHORT: Counts = Counts {
    wasmtime: 20_000,
    envoy: 2_000,
};

/// Runs the soaks; `release` builds the driver optimised (the full soak), else the test profile.
pub fn run(counts: &Counts, release: bool) -> Result<()> {
    let example = |args: &[String]| -> Result<()> {
        let mut cmd = crate::cargo();
        cmd.args([
            "run",
            "--quiet",
            "--package",
            "host-tests",
            "--example",
            "soak",
        ]);
        if release {
            cmd.arg("--release");
        }
        cmd.arg("--").args(args);
        if args[0] == "envoy" {
            cmd.env("MESHTEL_ENVOY", crate::suites::envoy::envoy_binary()?);
        }
        crate::run(&mut cmd)
    };
    example(&["wasmtime".into(), counts.wasmtime.to_string()])?;
    example(&["envoy".into(), counts.envoy.to_string()])?;
    if root().join("dist/policy-opa.wasm").exists() {
        println!(
            "soak: dist/policy-opa.wasm is present but its soak is not written yet (no OPA host in this branch)"
        );
    } else {
        println!("soak: dist/policy-opa.wasm is not built in this branch: OPA soak skipped");
    }
    Ok(())
}
