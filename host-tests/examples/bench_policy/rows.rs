//! Policy evaluation per AdmissionReview (`bench/admission-input.json`, the AKS brief's Telemetry
//! as Gatekeeper input): the native core, `dist/policy-opa.wasm` in the wasmtime OPA host (both ABI
//! paths), and the Rego baseline `bench/telemetry.rego` in regorus. Each figure is ns per
//! evaluation from input JSON text to result; every path must reach the same verdict first.

use anyhow::{Context, Result, anyhow, ensure};
use host_tests::bench::{Counts, Figure, median_ns};
use host_tests::opa::OpaPolicy;
use policy_opa::VIOLATION;
use serde_json::{Value, json};
use std::hint::black_box;
use std::path::{Path, PathBuf};

/// Evaluations per timed run in a full bench.
pub const FULL: Counts = Counts {
    runs: 7,
    iterations: 5_000,
};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// The typical review the bench evaluates, as JSON text.
pub fn input_text() -> Result<String> {
    let path = workspace().join("bench/admission-input.json");
    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
}

/// The Rego baseline, compiled once into a regorus engine.
pub fn rego_engine() -> Result<regorus::Engine> {
    let path = workspace().join("bench/telemetry.rego");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("telemetry.rego".into(), text)
        .map_err(|e| anyhow!("bench/telemetry.rego: {e}"))?;
    Ok(engine)
}

/// The Rego baseline's `violation` set for one Gatekeeper input, as JSON.
pub fn rego_violations(engine: &mut regorus::Engine, input_json: &str) -> Result<Value> {
    engine
        .set_input_json(input_json)
        .map_err(|e| anyhow!("regorus input: {e}"))?;
    let result = engine
        .eval_rule("data.telemetry.violation".into())
        .map_err(|e| anyhow!("regorus evaluation: {e}"))?;
    let text = result
        .to_json_str()
        .map_err(|e| anyhow!("regorus result: {e}"))?;
    serde_json::from_str(&text).context("regorus result is not JSON")
}

/// The native engine's violation set for one Gatekeeper input.
fn native_violations(input_json: &str) -> Result<Value> {
    let set: Value = serde_json::from_str(&native_set(input_json)?.to_string())?;
    Ok(set[0]["result"].clone())
}

/// What the native core answers, in its own JSON type: what the timed loop measures.
fn native_set(input_json: &str) -> Result<policy_wasm::json::Json> {
    let input = policy_wasm::json::parse(input_json).map_err(|e| anyhow!("input: {e}"))?;
    policy_opa::evaluate_named(VIOLATION, &input, &policy_wasm::json::Json::object([]))
        .context("no violation entrypoint")
}

fn count(v: &Value) -> usize {
    v.as_array().map_or(0, Vec::len)
}

/// Measures every path and returns the figures (ns per evaluation).
pub fn measure(counts: Counts) -> Result<Vec<Figure>> {
    let text = input_text()?;
    let bytes = text.as_bytes();
    let native = native_violations(&text)?;

    let policy = OpaPolicy::load(host_tests::dist("policy-opa.wasm"))?;
    let mut instance = policy.instantiate(&json!({}))?;
    let id = instance.entrypoint(VIOLATION)?;
    let wasm = instance.eval_fast(id, bytes)?;
    ensure!(
        wasm[0]["result"] == native,
        "wasmtime and native disagree: {wasm} vs {native}"
    );
    let parsed: Value = serde_json::from_str(&text)?;

    let mut rego = rego_engine()?;
    let baseline = rego_violations(&mut rego, &text)?;
    ensure!(
        count(&baseline) == count(&native),
        "the Rego baseline and the engine disagree on the bench input: {baseline} vs {native}"
    );

    let mut failed = None;
    let mut figures = vec![Figure::new(
        "policy.native",
        median_ns(counts, || {
            black_box(native_set(black_box(&text)).ok());
        }),
        "ns",
        counts.runs,
    )];
    figures.push(Figure::new(
        "policy.wasmtime",
        median_ns(counts, || {
            if let Err(e) = instance.eval_fast(id, black_box(bytes)) {
                failed.get_or_insert(e);
            }
        }),
        "ns",
        counts.runs,
    ));
    figures.push(Figure::new(
        "policy.wasmtime.ctx",
        median_ns(counts, || {
            if let Err(e) = instance.eval_ctx(id, black_box(&parsed)) {
                failed.get_or_insert(e);
            }
        }),
        "ns",
        counts.runs,
    ));
    figures.push(Figure::new(
        "policy.regorus",
        median_ns(counts, || {
            if let Err(e) = rego_violations(&mut rego, black_box(&text)) {
                failed.get_or_insert(e);
            }
        }),
        "ns",
        counts.runs,
    ));
    match failed {
        Some(e) => Err(e.context("an evaluation failed during the timed runs")),
        None => Ok(figures),
    }
}
