//! Writes the OPA corpus evaluations with their native answers as JSON, for the SDK hosts that
//! `cargo xtask test` runs (Node, Python): `opa-corpus <out.json>`.

use anyhow::{Context, Result};
use host_tests::opa::corpus;

fn main() -> Result<()> {
    let out = std::env::args()
        .nth(1)
        .context("usage: opa-corpus <out.json>")?;
    let (evaluations, cases) = corpus::evaluations(&corpus::cases_dir())?;
    let doc = serde_json::json!({ "cases": cases, "evaluations": evaluations });
    std::fs::write(&out, serde_json::to_vec(&doc)?).with_context(|| format!("writing {out}"))?;
    eprintln!(
        "opa-corpus: {} evaluations from {cases} cases in {out}",
        evaluations.len()
    );
    Ok(())
}
