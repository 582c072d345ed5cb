//! Access-logging rules under the wasmtime host: each case in `host-tests/rules/*.json` gives
//! Telemetry resources and providers, streams recorded from Envoy, and which providers must write
//! a record for each stream (worked out from Istio's merge rules; records start with the
//! provider's name). One runner reads them all.

use host_tests::fixture::Fixture;
use host_tests::replay::replay;
use serde_json::{Value, json};
use std::path::PathBuf;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Every provider writes `<name> <code>` so records name their provider.
fn providers(names: &[&str]) -> Value {
    let list: Vec<Value> = names
        .iter()
        .map(|n| json!({"name": n, "envoyFileAccessLog": {"path": "/dev/stdout", "logFormat": {"text": format!("{n} %RESPONSE_CODE%")}}}))
        .collect();
    Value::Array(list)
}

#[test]
fn access_logging_rules() {
    let dir = workspace().join("host-tests/rules");
    let paths = host_tests::fixture::json_files(&dir).unwrap();
    assert!(!paths.is_empty());
    let module = host_tests::proxy_filter().unwrap();
    let mut failures = Vec::new();
    for path in &paths {
        let case: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let names: Vec<&str> = case["providers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let config = json!({
            "rootNamespace": "istio-system",
            "meshConfig": {"extensionProviders": providers(&names)},
            "telemetry": case["telemetry"],
        });
        let streams = case["streams"].as_array().unwrap();
        let fixtures: Vec<Fixture> = streams
            .iter()
            .map(|s| {
                Fixture::load(
                    workspace()
                        .join("host-tests/fixtures")
                        .join(s["fixture"].as_str().unwrap()),
                )
                .unwrap()
            })
            .collect();
        let out = replay(&module, config.to_string().as_bytes(), &fixtures).unwrap();
        for (stream, result) in streams.iter().zip(&out) {
            let mut want: Vec<String> = stream["logs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            let mut got: Vec<String> = result
                .records
                .iter()
                .map(|r| {
                    String::from_utf8_lossy(r)
                        .split(' ')
                        .next()
                        .unwrap_or_default()
                        .to_string()
                })
                .collect();
            want.sort();
            got.sort();
            if want != got {
                failures.push(format!(
                    "{} / {}: expected {want:?}, got {got:?}",
                    path.display(),
                    stream["fixture"]
                ));
            }
        }
    }
    println!(
        "access-logging rules: {} cases, {} failures",
        paths.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
