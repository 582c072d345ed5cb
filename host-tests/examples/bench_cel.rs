//! CEL evaluation cost: ns per evaluation of the two expressions the Istio docs use most, compiled
//! once and evaluated against a recorded request (native build of the engine core). Run by
//! `cargo xtask bench`; prints a table and writes `target/bench/cel.json`.

use host_tests::fixture::Fixture;
use policy_wasm::cel::{Program, Value};
use std::hint::black_box;
use std::path::PathBuf;
use std::time::Instant;

const EVALUATIONS: usize = 200_000;
const RUNS: usize = 5;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let fixture =
        Fixture::load(root.join("host-tests/fixtures/envoy/00-get-200-outbound.json")).unwrap();
    let expressions = [
        "response.code >= 400",
        "connection.mtls && request.url_path.contains('v1beta3')",
    ];
    println!(
        "CEL, native engine core, {EVALUATIONS} evaluations x {RUNS} runs (median), fixture envoy/00-get-200-outbound"
    );
    println!("{:<60} {:>10} {:>8}", "expression", "ns/eval", "value");
    let mut report = Vec::new();
    for expr in expressions {
        let program = Program::compile(expr).unwrap();
        let value = program.evaluate(&fixture).unwrap();
        assert!(matches!(value, Value::Bool(_)));
        let mut samples: Vec<f64> = (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                for _ in 0..EVALUATIONS {
                    black_box(program.evaluate(black_box(&fixture)).ok());
                }
                start.elapsed().as_nanos() as f64 / EVALUATIONS as f64
            })
            .collect();
        samples.sort_by(f64::total_cmp);
        let ns = samples[RUNS / 2];
        println!("{expr:<60} {ns:>10.0} {value:>8}");
        report.push(format!(
            r#"{{"expression":{},"ns_per_eval":{ns:.0}}}"#,
            serde_json::to_string(expr).unwrap()
        ));
    }
    let dir = root.join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("cel.json"), format!("[{}]\n", report.join(","))).unwrap();
}
