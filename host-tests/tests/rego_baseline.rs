//! The Rego baseline of `cargo xtask bench` (`bench/telemetry.rego`, evaluated by regorus) must
//! reach the engine's verdicts, or the speed comparison would be against a policy that does less.
//! On every Gatekeeper evaluation of the case corpus whose error findings all come from rules the
//! Rego implements, both must report the same (rule, path) pairs.

#[allow(dead_code)] // shared with the bench example; the test uses only the Rego helpers
#[path = "../examples/bench_policy/rows.rs"]
mod policy_rows;

use host_tests::opa::corpus::{cases_dir, evaluations};
use serde_json::Value;

/// The rules `bench/telemetry.rego` implements.
const IMPLEMENTED: [&str; 6] = [
    "aks.blocked",
    "mesh.provider.unknown",
    "istio.provider.empty-name",
    "istio.target.exclusive",
    "crd.target.exclusive",
    "istio.filter.cel",
];

/// (rule, path) pairs of a violation set, sorted.
fn pairs(set: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = set
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|v| {
            let field = |k: &str| v["details"][k].as_str().unwrap_or_default().to_string();
            (field("rule"), field("path"))
        })
        .collect();
    out.sort();
    out
}

/// The Rego cannot parse CEL: it implements `istio.filter.cel` only for an empty expression.
fn rego_can_find(input: &Value, rule: &str, path: &str) -> bool {
    if rule != "istio.filter.cel" {
        return IMPLEMENTED.contains(&rule);
    }
    let index = path
        .strip_prefix("spec.accessLogging[")
        .and_then(|rest| rest.split(']').next())
        .and_then(|i| i.parse::<usize>().ok());
    index.is_some_and(|i| {
        input.pointer(&format!(
            "/review/object/spec/accessLogging/{i}/filter/expression"
        )) == Some(&Value::String(String::new()))
    })
}

/// A scope the Rego knows: AKS, or Istio's (no scope findings), named or defaulted.
fn known_scope(input: &Value) -> bool {
    matches!(
        input.pointer("/parameters/scope"),
        None | Some(Value::Null) | Some(Value::String(_))
    ) && input
        .pointer("/parameters/scope")
        .and_then(Value::as_str)
        .is_none_or(|s| s == "aks" || s == "istio")
}

#[test]
fn rego_baseline_agrees_with_the_engine_on_the_corpus() {
    let (all, _) = evaluations(&cases_dir()).unwrap();
    let mut engine = policy_rows::rego_engine().unwrap();
    let (mut covered, mut denied, mut skipped) = (0, 0, 0);
    let mut mismatches = Vec::new();
    for e in all.iter().filter(|e| e.entrypoint == policy_opa::VIOLATION) {
        let native = pairs(&e.expected[0]["result"]);
        let implemented = native.iter().all(|(r, p)| rego_can_find(&e.input, r, p));
        if !implemented || !known_scope(&e.input) {
            skipped += 1;
            continue;
        }
        covered += 1;
        denied += usize::from(!native.is_empty());
        let text = serde_json::to_string(&e.input).unwrap();
        let rego = pairs(&policy_rows::rego_violations(&mut engine, &text).unwrap());
        if rego != native {
            mismatches.push(format!(
                "{}\n  rego   {rego:?}\n  engine {native:?}",
                e.label
            ));
        }
    }
    println!(
        "Rego baseline: {covered} evaluations covered ({denied} denials), {skipped} outside its rules"
    );
    assert!(
        mismatches.is_empty(),
        "{} disagree:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(
        covered >= 40 && denied >= 10,
        "too little of the corpus covered: {covered} evaluations, {denied} denials"
    );
}
