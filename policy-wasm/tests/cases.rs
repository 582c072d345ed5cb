//! Data-driven corpus: every `tests/cases/*.yaml` document is one case (a resource set, options and
//! the expected verdicts, findings and effective configuration). See `tests/cases/README.md`.

use policy_wasm::check::{self, Options, Source};
use policy_wasm::input;
use policy_wasm::json::{FromJson, Json as Value, ToJson};
use policy_wasm::model::Telemetry;
use policy_wasm::resolve::{self, Scene};
use policy_wasm::scope::Scope;
use policy_wasm::workload::{Mode, Workload};
use std::collections::BTreeSet;
use std::path::Path;

fn options(case: &Value) -> Options {
    let o = case.get("options").cloned().unwrap_or(Value::Null);
    let scope = match o.get("scope").and_then(Value::as_str) {
        None => Scope::istio(),
        Some(name) => Scope::builtin(name).unwrap_or_else(|| panic!("unknown scope {name}")),
    };
    let mut options = Options::for_scope(scope);
    if let Some(s) = o.get("scopeFile") {
        options.scope = FromJson::from_json(s).expect("scopeFile is a scope");
    }
    if let Some(mesh) = o.get("mesh") {
        options.mesh = FromJson::from_json(mesh).expect("mesh parses");
    }
    options.revision = o
        .get("revision")
        .and_then(Value::as_str)
        .map(str::to_string);
    if let Some(root) = o.get("rootNamespace").and_then(Value::as_str) {
        options.root_namespace = root.to_string();
    }
    options.warnings_deny = o
        .get("warningsDeny")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if let Some(w) = o.get("workloads") {
        options.workloads = FromJson::from_json(w).expect("workloads parse");
    }
    options
}

/// `actual` contains `expected`: objects by key, arrays element by element with equal length.
fn contains(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e.iter().all(|(k, ev)| match a.get(k) {
            Some(av) => contains(av, ev),
            None => ev.is_null(),
        }),
        (Value::Array(a), Value::Array(e)) => {
            a.len() == e.len() && a.iter().zip(e).all(|(x, y)| contains(x, y))
        }
        (Value::Number(a), Value::Number(e)) => a.as_f64() == e.as_f64(),
        _ => actual == expected,
    }
}

fn run_case(case: &Value, label: &str) {
    let options = options(case);
    let text = case.get("resources").and_then(Value::as_str).unwrap_or("");
    let result = check::check_sources(
        &[Source {
            text,
            name: "case.yaml",
        }],
        &options,
    );
    if let Some(err) = case.get("inputError") {
        let e = result.expect_err(&format!("{label}: expected an input error"));
        if let Some(line) = err.get("line").and_then(Value::as_u64) {
            assert_eq!(e.line(), Some(line as usize), "{label}: error line of {e}");
        }
        if let Some(text) = err.get("contains").and_then(Value::as_str) {
            assert!(e.to_string().contains(text), "{label}: {e} lacks {text:?}");
        }
        return;
    }
    let report = result.unwrap_or_else(|e| panic!("{label}: {e}"));
    let json = report.to_json();
    for expect in case
        .get("expect")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = expect["name"].as_str().expect("expect.name");
        let resource = report
            .resources
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("{label}: no resource {name} in {json:#}"));
        let got_json = resource.to_json();
        if let Some(v) = expect.get("verdict").and_then(Value::as_str) {
            assert_eq!(
                got_json["verdict"], v,
                "{label}/{name}: verdict; report {got_json:#}"
            );
        }
        if let Some(findings) = expect.get("findings").and_then(Value::as_array) {
            let want: BTreeSet<(String, String)> = findings
                .iter()
                .map(|f| {
                    (
                        f["rule"].as_str().unwrap().to_string(),
                        f["path"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect();
            let got: BTreeSet<(String, String)> = resource
                .findings
                .iter()
                .map(|f| (f.rule.clone(), f.path.clone()))
                .collect();
            let extra: Vec<_> = got.difference(&want).collect();
            let missing: Vec<_> = want.difference(&got).collect();
            assert!(
                extra.is_empty() && missing.is_empty(),
                "{label}/{name}: unexpected findings {extra:?}, missing {missing:?}"
            );
            for f in findings {
                let actual = resource
                    .findings
                    .iter()
                    .find(|g| {
                        g.rule == f["rule"].as_str().unwrap()
                            && g.path == f["path"].as_str().unwrap_or("")
                    })
                    .unwrap();
                let actual = actual.to_json();
                for key in ["severity", "line"] {
                    if let Some(v) = f.get(key) {
                        assert_eq!(&actual[key], v, "{label}/{name}: {key} of {actual}");
                    }
                }
                if let Some(s) = f.get("message").and_then(Value::as_str) {
                    assert!(
                        actual["message"].as_str().unwrap().contains(s),
                        "{label}/{name}: message {actual}"
                    );
                }
            }
        }
    }
    if let Some(summary) = case.get("summary") {
        assert!(
            contains(&json["summary"], summary),
            "{label}: summary {} vs {summary}",
            json["summary"]
        );
    }
    if let Some(effective) = case.get("effective").and_then(Value::as_array) {
        let (checked, _) = check::check_resources(
            &[Source {
                text,
                name: "case.yaml",
            }],
            &options,
        )
        .unwrap();
        let mut telemetries: Vec<Telemetry> = checked.into_iter().map(|c| c.telemetry).collect();
        resolve::sort_like_istiod(&mut telemetries);
        let mesh = options.mesh_with_builtins();
        let scene = Scene {
            telemetries: &telemetries,
            mesh: &mesh,
            root_namespace: options.root_namespace(),
        };
        for (i, e) in effective.iter().enumerate() {
            let workload: Workload = FromJson::from_json(&e["workload"]).expect("workload");
            let mode: Mode = FromJson::from_json(&e["mode"]).expect("mode CLIENT|SERVER");
            let got = resolve::resolve(&scene, &workload, mode).to_json();
            assert!(
                contains(&got, &e["expect"]),
                "{label}: effective[{i}]\n got {got:#}\nwant {:#}",
                e["expect"]
            );
        }
    }
}

#[test]
fn corpus() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut count = 0;
    for file in files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "yaml"))
    {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let cases = input::parse(&text, &name).unwrap_or_else(|e| panic!("{e}"));
        for (i, case) in cases.iter().enumerate() {
            let title = case
                .value
                .get("case")
                .and_then(Value::as_str)
                .unwrap_or("?");
            run_case(&case.value, &format!("{name}[{i}] {title}"));
            count += 1;
        }
    }
    println!(
        "policy-wasm corpus: {count} cases passed in {} files",
        files.len()
    );
    assert!(count > 0);
}
