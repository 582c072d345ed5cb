//! The policy core's case corpus (`policy-wasm/tests/cases/*.yaml`) turned into OPA evaluations,
//! each with the answer computed natively: the whole resource text, converted here from YAML to
//! JSON documents, through `telemetry/findings` (expected: the engine's own report on the YAML
//! text, less the line numbers only YAML carries), and every object as an AdmissionRequest through
//! all three entrypoints (expected: `policy_opa::evaluate` run natively). Every host must give the
//! same.

use super::OpaPolicy;
use anyhow::{Context, Result};
use policy_opa::{FINDINGS, RESPONSE, VIOLATION};
use policy_wasm::check::{self, Source};
use policy_wasm::input;
use policy_wasm::json::ToJson;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::path::{Path, PathBuf};

// The engine speaks its own JSON type; this harness speaks serde_json. Text is the bridge.
fn to_serde(value: &policy_wasm::json::Json) -> Value {
    serde_json::from_str(&value.to_string()).expect("the engine writes valid JSON")
}

fn to_core(value: &Value) -> policy_wasm::json::Json {
    policy_wasm::json::parse(&value.to_string()).expect("serde_json writes valid JSON")
}

/// One evaluation and its expected result set.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Evaluation {
    /// `file.yaml#case/what`, for messages.
    pub label: String,
    /// Entrypoint name.
    pub entrypoint: String,
    /// The input document.
    pub input: Value,
    /// The data document.
    pub data: Value,
    /// The result set the native engine gives.
    pub expected: Value,
}

/// The corpus folder of the policy core.
pub fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy-wasm/tests/cases")
}

/// Gatekeeper-style parameters from a case's `options` (the same fields the core's corpus test
/// turns into `Options`).
fn parameters(case: &Value) -> Value {
    let options = case.get("options").cloned().unwrap_or(Value::Null);
    let mut params = Map::new();
    if let Some(scope) = options.get("scope") {
        params.insert("scope".into(), scope.clone());
    }
    if let Some(scope) = options.get("scopeFile") {
        params.insert("scope".into(), scope.clone());
    }
    for key in ["mesh", "revision", "rootNamespace", "workloads"] {
        if let Some(v) = options.get(key) {
            params.insert(key.into(), v.clone());
        }
    }
    if options.get("warningsDeny").and_then(Value::as_bool) == Some(true) {
        params.insert("warnings".into(), "deny".into());
    }
    Value::Object(params)
}

/// An AdmissionRequest for `object`, as the API server sends it for a CREATE.
fn request(uid: &str, object: &Value, namespace: &str) -> Value {
    let api_version = object
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let kind = object.get("kind").cloned().unwrap_or(Value::Null);
    json!({
        "uid": uid,
        "kind": { "group": group, "version": version, "kind": kind },
        "resource": { "group": group, "version": version, "resource": "telemetries" },
        "name": object.pointer("/metadata/name"),
        "namespace": namespace,
        "operation": "CREATE",
        "userInfo": { "username": "kubernetes-admin", "groups": ["system:masters"] },
        "object": object,
        "oldObject": null,
        "dryRun": false,
    })
}

fn expect(entrypoint: &str, input: &Value, data: &Value) -> Value {
    policy_opa::evaluate_named(entrypoint, &to_core(input), &to_core(data))
        .map_or(Value::Null, |v| to_serde(&v))
}

/// A report as JSON without the findings' `line`, which only a YAML text can give.
fn without_lines(mut report: Value) -> Value {
    if let Some(resources) = report.get_mut("resources").and_then(Value::as_array_mut) {
        for finding in resources
            .iter_mut()
            .filter_map(|r| r.get_mut("findings").and_then(Value::as_array_mut))
            .flatten()
        {
            if let Some(finding) = finding.as_object_mut() {
                finding.remove("line");
            }
        }
    }
    report
}

/// Every evaluation of one case file's text.
fn case_evaluations(file: &str, index: usize, case: &Value, out: &mut Vec<Evaluation>) {
    let title = case.get("case").and_then(Value::as_str).unwrap_or("");
    let label = format!("{file}#{index} ({title})");
    let text = case.get("resources").and_then(Value::as_str).unwrap_or("");
    let params = parameters(case);
    // The whole text, through the findings entrypoint: OPA input is JSON, so the documents go as
    // JSON, and the answer must be the engine's own report on the YAML text without its lines.
    // Text that is not YAML goes as text: the module must refuse it as the native adapter does.
    let (input, expected) = match input::parse_documents(text, "case.yaml") {
        Ok(documents) => {
            let options =
                policy_opa::params::options(&to_core(&params)).expect("corpus options are valid");
            let source = Source {
                text,
                name: "case.yaml",
            };
            let expected = match check::check_sources(&[source], &options) {
                Ok(report) => without_lines(to_serde(&report.to_json())),
                Err(e) => json!({ "error": e.to_string() }),
            };
            let documents: Vec<Value> = documents.iter().map(|(doc, _)| to_serde(doc)).collect();
            let input =
                json!({ "resources": documents, "source": "case.yaml", "parameters": params });
            (input, json!([{ "result": expected }]))
        }
        Err(_) => {
            let input = json!({ "resources": text, "source": "case.yaml", "parameters": params });
            let expected = expect(FINDINGS, &input, &json!({}));
            (input, expected)
        }
    };
    out.push(Evaluation {
        label: format!("{label}/resources"),
        entrypoint: FINDINGS.into(),
        input,
        data: json!({}),
        expected,
    });
    // Each object as an admission request, through every entrypoint.
    let Ok(objects) = input::parse(text, "case.yaml") else {
        return;
    };
    for (n, object) in objects.iter().enumerate() {
        let uid = format!("{file}-{index}-{n}");
        let review = request(&uid, &to_serde(&object.value), object.namespace());
        let gatekeeper = json!({ "review": review, "parameters": params });
        let kubewarden = json!({ "request": review });
        for (entrypoint, input, data) in [
            (VIOLATION, &gatekeeper, json!({})),
            (RESPONSE, &kubewarden, params.clone()),
            (FINDINGS, &gatekeeper, json!({})),
        ] {
            out.push(Evaluation {
                label: format!("{label}/object {n}/{entrypoint}"),
                entrypoint: entrypoint.into(),
                input: input.clone(),
                expected: expect(entrypoint, input, &data),
                data,
            });
        }
    }
}

/// Every evaluation of the corpus, with the number of cases it came from.
pub fn evaluations(dir: &Path) -> Result<(Vec<Evaluation>, usize)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    let mut cases = 0;
    for path in &files {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let text = std::fs::read_to_string(path)?;
        let docs = input::parse(&text, &name).map_err(|e| anyhow::anyhow!("{e}"))?;
        for (index, case) in docs.iter().enumerate() {
            case_evaluations(&name, index, &to_serde(&case.value), &mut out);
            cases += 1;
        }
    }
    Ok((out, cases))
}

/// How one host path did on the corpus.
#[derive(Debug, Default)]
pub struct Tally {
    /// Evaluations whose result set equals the native one, on the `opa_eval` path.
    pub fast_identical: usize,
    /// The same on the eval-context path.
    pub ctx_identical: usize,
    /// What differed or failed, one message each.
    pub mismatches: Vec<String>,
}

/// Runs every evaluation through `policy` on both paths and compares with the native results.
pub fn run_in_host(policy: &OpaPolicy, evaluations: &[Evaluation]) -> Result<Tally> {
    let mut instance = policy.instantiate(&json!({}))?;
    let mut data = json!({});
    let mut tally = Tally::default();
    for e in evaluations {
        if e.data != data {
            instance.set_data(&e.data)?;
            data = e.data.clone();
        }
        let id = instance.entrypoint(&e.entrypoint)?;
        let input = serde_json::to_vec(&e.input)?;
        for (path, got) in [
            ("opa_eval", instance.eval_fast(id, &input)),
            ("eval ctx", instance.eval_ctx(id, &e.input)),
        ] {
            match got {
                Ok(got) if got == e.expected => match path {
                    "opa_eval" => tally.fast_identical += 1,
                    _ => tally.ctx_identical += 1,
                },
                Ok(got) => tally.mismatches.push(format!(
                    "{} ({path}):\n got {got}\nwant {}",
                    e.label, e.expected
                )),
                Err(err) => tally
                    .mismatches
                    .push(format!("{} ({path}): {err:#}", e.label)),
            }
        }
    }
    Ok(tally)
}
