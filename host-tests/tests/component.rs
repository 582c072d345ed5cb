//! `dist/policy.component.wasm` under wasmtime's component model gives the same results as the
//! native engine over the whole case corpus (`policy-wasm/tests/cases/*.yaml`): the same report
//! (or the same input error), the same effective configuration for every workload a case names
//! plus a default one in both modes, and the same access-log records for the seed streams.

use host_tests::component::{self, wit};
use host_tests::fixture::Fixture;
use policy_wasm::check::{self, Options, Source};
use policy_wasm::input;
use policy_wasm::json::{FromJson, Json as Value, ToJson};
use policy_wasm::model::Telemetry;
use policy_wasm::plan::Plan;
use policy_wasm::resolve::{self, Scene};
use policy_wasm::scope::Scope;
use policy_wasm::workload::{Mode, Workload};
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The case's options, natively and as WIT (the same reading as `policy-wasm/tests/cases.rs`).
fn options(case: &Value) -> (Options, wit::Options) {
    let o = case.get("options").cloned().unwrap_or(Value::Null);
    let name = o.get("scope").and_then(Value::as_str).unwrap_or("istio");
    let mut native = Options::for_scope(Scope::builtin(name).expect("built-in scope"));
    let mut scope = match name {
        "aks" => wit::Scope::Aks,
        _ => wit::Scope::Istio,
    };
    if let Some(s) = o.get("scopeFile") {
        native.scope = FromJson::from_json(s).expect("scopeFile is a scope");
        scope = wit::Scope::Custom(s.to_string());
    }
    let mut mesh_config = None;
    if let Some(mesh) = o.get("mesh") {
        native.mesh = FromJson::from_json(mesh).expect("mesh parses");
        mesh_config = Some(mesh.to_string());
    }
    native.revision = o
        .get("revision")
        .and_then(Value::as_str)
        .map(str::to_string);
    let root_namespace = o
        .get("rootNamespace")
        .and_then(Value::as_str)
        .map(str::to_string);
    native.root_namespace = root_namespace.clone().unwrap_or_default();
    native.warnings_deny = o
        .get("warningsDeny")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if let Some(w) = o.get("workloads") {
        native.workloads = FromJson::from_json(w).expect("workloads parse");
    }
    let wit = wit::Options {
        scope,
        mesh_config,
        revision: native.revision.clone(),
        root_namespace,
        warnings_deny: native.warnings_deny,
        workloads: native.workloads.iter().map(wit_workload).collect(),
    };
    (native, wit)
}

fn wit_workload(w: &Workload) -> wit::Workload {
    wit::Workload {
        namespace: w.namespace.clone(),
        name: w.name.clone(),
        labels: w
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    }
}

#[derive(Default, Debug)]
struct Counts {
    cases: usize,
    reports: usize,
    input_errors: usize,
    effective: usize,
    record_sets: usize,
    records: usize,
    plan_errors: usize,
}

fn seed_streams() -> Vec<Fixture> {
    let dir = workspace().join("host-tests/fixtures/seed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files.iter().map(|f| Fixture::load(f).unwrap()).collect()
}

/// The workload a seed stream's sidecar serves (node metadata), as the filter reads it.
fn stream_workload(f: &Fixture) -> Workload {
    let text = |k: &str| {
        f.root_properties
            .get(&["xds", "node", "metadata", k].map(String::from)[..])
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    let labels = f
        .root_properties
        .get(&["xds", "node", "metadata", "LABELS"].map(String::from)[..])
        .and_then(|b| policy_wasm::attributes::decode_pairs(b))
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            (
                String::from_utf8_lossy(&k).into_owned(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect();
    Workload {
        namespace: text("NAMESPACE"),
        name: text("WORKLOAD_NAME"),
        labels,
    }
}

fn run_case(
    instance: &mut component::Instance,
    case: &Value,
    label: &str,
    streams: &[Fixture],
    counts: &mut Counts,
) {
    let (native_options, wit_options) = options(case);
    let text = case.get("resources").and_then(Value::as_str).unwrap_or("");
    let sources = [Source {
        text,
        name: "case.yaml",
    }];
    let wit_sources = [wit::Source {
        name: "case.yaml".into(),
        text: text.into(),
    }];
    let native = check::check_sources(&sources, &native_options);
    let got = instance
        .check(&wit_sources, &wit_options)
        .unwrap_or_else(|e| panic!("{label}: component trapped in check: {e:?}"));
    match (native, got) {
        (Ok(want), Ok(got)) => {
            let want = want.to_json();
            let got = component::native_report(got).to_json();
            assert_eq!(got, want, "{label}: component report differs");
            counts.reports += 1;
        }
        (Err(want), Err(wit::Error::Input(got))) => {
            assert_eq!(got.message, want.to_string(), "{label}: input error");
            assert_eq!(got.line.map(|l| l as usize), want.line(), "{label}: line");
            counts.input_errors += 1;
            return;
        }
        (want, got) => panic!("{label}: native {want:?}, component {got:?}"),
    }

    let (checked, _) = check::check_resources(&sources, &native_options).unwrap();
    let mut telemetries: Vec<Telemetry> = checked.into_iter().map(|c| c.telemetry).collect();
    resolve::sort_like_istiod(&mut telemetries);
    let mesh = native_options.mesh_with_builtins();
    let scene = Scene {
        telemetries: &telemetries,
        mesh: &mesh,
        root_namespace: native_options.root_namespace(),
    };
    let mut workloads: Vec<Workload> = case
        .get("effective")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| FromJson::from_json(&e["workload"]).expect("workload"))
        .collect();
    workloads.extend(native_options.workloads.iter().cloned());
    workloads.push(Workload {
        namespace: "default".into(),
        ..Workload::default()
    });
    workloads.extend(streams.iter().map(stream_workload));
    for workload in &workloads {
        let wit_w = wit_workload(workload);
        for mode in Mode::BOTH {
            let want = resolve::resolve(&scene, workload, mode).to_json();
            let got = instance
                .effective(
                    &wit_sources,
                    &wit_options,
                    &wit_w,
                    component::wit_mode(mode),
                )
                .unwrap_or_else(|e| panic!("{label}: component trapped in effective: {e:?}"))
                .unwrap_or_else(|e| panic!("{label}: effective failed: {e:?}"));
            let got = component::native_effective(got).to_json();
            assert_eq!(got, want, "{label}: effective for {workload:?} {mode:?}");
            counts.effective += 1;
        }
        let plan = Plan::build(&scene, workload);
        for stream in streams {
            let request = component::wit_request(stream);
            let got = instance
                .format_records(&wit_sources, &wit_options, &wit_w, &request)
                .unwrap_or_else(|e| panic!("{label}: component trapped in format-records: {e:?}"));
            match (&plan, got) {
                (Ok(plan), Ok(got)) => {
                    let mode = Mode::from_listener_direction(stream.direction().unwrap_or(0));
                    let want = plan.records(mode, stream);
                    assert_eq!(got, want, "{label}: records for {workload:?}");
                    counts.records += want.len();
                    counts.record_sets += 1;
                }
                (Err(want), Err(wit::Error::Plan(got))) => {
                    assert_eq!(&got, want, "{label}: plan error");
                    counts.plan_errors += 1;
                }
                (want, got) => panic!("{label}: native plan {want:?}, component {got:?}"),
            }
        }
    }
}

#[test]
fn component_equals_native_engine_on_the_corpus() {
    let policy = component::from_dist().unwrap();
    let dir = workspace().join("policy-wasm/tests/cases");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    let streams = seed_streams();
    let mut counts = Counts::default();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        let cases = input::parse(&text, &name).unwrap_or_else(|e| panic!("{e}"));
        for (i, case) in cases.iter().enumerate() {
            let title = case
                .value
                .get("case")
                .and_then(Value::as_str)
                .unwrap_or("?");
            // A fresh instance per case, as an embedder calling once would have.
            let mut instance = policy.instantiate().unwrap();
            run_case(
                &mut instance,
                &case.value,
                &format!("{name}[{i}] {title}"),
                &streams,
                &mut counts,
            );
            counts.cases += 1;
        }
    }
    println!(
        "component vs native over {} files: {} cases equal ({} reports, {} input errors), {} effective configurations equal, {} record sets equal ({} records, {} plan errors equal)",
        files.len(),
        counts.cases,
        counts.reports,
        counts.input_errors,
        counts.effective,
        counts.record_sets,
        counts.records,
        counts.plan_errors
    );
    assert!(counts.cases > 0 && counts.reports > 0 && counts.records > 0);
}

#[test]
fn component_renders_the_briefs_lines() {
    let policy = component::from_dist().unwrap();
    let mut instance = policy.instantiate().unwrap();
    let yaml =
        std::fs::read_to_string(workspace().join("examples/aks-brief/mesh-logging-default.yaml"))
            .unwrap();
    let sources = [wit::Source {
        name: "mesh-logging-default.yaml".into(),
        text: yaml,
    }];
    let options = wit::Options {
        scope: wit::Scope::Aks,
        mesh_config: None,
        revision: Some("asm-1-22".into()),
        root_namespace: None,
        warnings_deny: false,
        workloads: vec![],
    };
    let expected =
        std::fs::read_to_string(workspace().join("examples/aks-brief/expected.log")).unwrap();
    let mut lines = Vec::new();
    for stream in seed_order() {
        let w = wit_workload(&stream_workload(&stream));
        let records = instance
            .format_records(&sources, &options, &w, &component::wit_request(&stream))
            .unwrap()
            .unwrap();
        lines.extend(records.into_iter().map(|r| String::from_utf8(r).unwrap()));
    }
    assert_eq!(lines, expected.lines().collect::<Vec<_>>());
    let report = instance.check(&sources, &options).unwrap().unwrap();
    assert_eq!(report.resources[0].verdict, wit::Verdict::Warn);
}

fn seed_order() -> Vec<Fixture> {
    [
        "sleep-outbound-status-418.json",
        "httpbin-inbound-status-418.json",
    ]
    .iter()
    .map(|n| Fixture::load(workspace().join("host-tests/fixtures/seed").join(n)).unwrap())
    .collect()
}
