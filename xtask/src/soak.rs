//! `cargo xtask soak`: long runs through the built artifacts, with their figures printed
//! (`host-tests/examples/soak.rs` and `soak_opa.rs` do the work). `cargo xtask test` runs a short
//! version.

use anyhow::Result;

/// Request counts of one soak.
pub struct Counts {
    /// Streams through the filter under the wasmtime host.
    pub wasmtime: usize,
    /// Requests through the real Envoy with the filter.
    pub envoy: usize,
    /// Evaluations through `dist/policy-opa.wasm` under the wasmtime OPA host.
    pub opa: usize,
}

/// What `cargo xtask soak` runs.
pub const FULL: Counts = Counts {
    wasmtime: 1_000_000,
    envoy: 100_000,
    opa: 1_000_000,
};

/// What `cargo xtask test` runs.
pub const SHORT: Counts = Counts {
    wasmtime: 20_000,
    envoy: 5_000,
    opa: 20_000,
};

/// Runs the soaks; `release` builds the drivers optimised (the full soak), else the test profile.
pub fn run(counts: &Counts, release: bool) -> Result<()> {
    let example = |name: &str, args: &[String]| -> Result<()> {
        let mut cmd = crate::cargo();
        cmd.args([
            "run",
            "--quiet",
            "--package",
            "host-tests",
            "--example",
            name,
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
    example("soak", &["wasmtime".into(), counts.wasmtime.to_string()])?;
    example("soak", &["envoy".into(), counts.envoy.to_string()])?;
    example("soak_opa", &[counts.opa.to_string()])
}
