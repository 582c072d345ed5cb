//! Conformance suites that `cargo xtask test` runs after the workspace tests: each checks the built
//! artifacts against a real peer (Envoy, the OPA SDKs, a browser). Each suite is one file.

mod browser;
pub mod envoy;
pub mod opa_hosts;

use anyhow::Result;

/// A named suite.
pub struct Suite {
    /// Shown before it runs.
    pub name: &'static str,
    /// Runs it; an error fails `cargo xtask test`.
    pub run: fn() -> Result<()>,
}

/// Every suite, in the order `cargo xtask test` runs them.
pub fn all() -> Vec<Suite> {
    vec![
        Suite {
            name: "OPA SDKs (npm @open-policy-agent/opa-wasm, PyPI opa-py-wasm) on the case corpus",
            run: opa_hosts::run_suite,
        },
        Suite {
            name: "playground in headless Chromium (playwright-core) against the proxy filter's records",
            run: browser::run_suite,
        },
        Suite {
            name: "real Envoy: access-log records and metrics",
            run: envoy::run,
        },
    ]
}
