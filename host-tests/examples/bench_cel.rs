//! CEL evaluation cost: ns per evaluation of the two expressions the Istio docs use most, compiled
//! once and evaluated against a recorded request (native build of the engine core). Run by
//! `cargo xtask bench`; prints one JSON line per figure (`cel.status`, `cel.mtls_path`).

use host_tests::bench::{Counts, Figure, median_ns};
use host_tests::fixture::Fixture;
use policy_wasm::cel::{Program, Value};
use std::hint::black_box;
use std::path::PathBuf;

const FULL: Counts = Counts {
    runs: 5,
    iterations: 200_000,
};

fn main() {
    let counts = Counts::from_args(FULL);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf();
    let fixture =
        Fixture::load(root.join("host-tests/fixtures/envoy/00-get-200-outbound.json")).unwrap();
    let expressions = [
        ("cel.status", "response.code >= 400"),
        (
            "cel.mtls_path",
            "connection.mtls && request.url_path.contains('v1beta3')",
        ),
    ];
    for (id, expr) in expressions {
        let program = Program::compile(expr).unwrap();
        let value = program.evaluate(&fixture).unwrap();
        assert!(matches!(value, Value::Bool(_)), "{expr} gave {value}");
        let ns = median_ns(counts, || {
            black_box(program.evaluate(black_box(&fixture)).ok());
        });
        Figure::new(id, ns, "ns", counts.runs).emit();
    }
}
