//! Writes the OPA corpus evaluations with their native answers as JSON, for the SDK hosts that
//! `cargo xtask test` runs (Node, Python), and first runs them through `dist/policy-opa.wasm` in
//! the strict wasmtime host on both paths: `opa-corpus <out.json>`.

use anyhow::{Context, Result, bail};
use host_tests::opa::{OpaPolicy, corpus};

fn main() -> Result<()> {
    let out = std::env::args()
        .nth(1)
        .context("usage: opa-corpus <out.json>")?;
    let (evaluations, cases) = corpus::evaluations(&corpus::cases_dir())?;
    let doc = serde_json::json!({ "cases": cases, "evaluations": evaluations });
    std::fs::write(&out, serde_json::to_vec(&doc)?).with_context(|| format!("writing {out}"))?;
    let policy = OpaPolicy::load(host_tests::dist("policy-opa.wasm"))?;
    let tally = corpus::run_in_host(&policy, &evaluations)?;
    let n = evaluations.len();
    println!(
        "opa-wasm wasmtime opa_eval: {}/{n} identical ({cases} cases)",
        tally.fast_identical
    );
    println!(
        "opa-wasm wasmtime eval ctx: {}/{n} identical ({cases} cases)",
        tally.ctx_identical
    );
    if !tally.mismatches.is_empty() {
        bail!(
            "{}",
            tally.mismatches[..tally.mismatches.len().min(5)].join("\n")
        );
    }
    Ok(())
}
