//! Runs the row producers of `cargo xtask bench` once on tiny counts, so the bench code cannot rot
//! unseen. Timings are never asserted; only that each producer yields its figures.

#[path = "../examples/bench_policy/rows.rs"]
mod policy_rows;
#[path = "../examples/bench_resolve/rows.rs"]
mod resolve_rows;

use host_tests::bench::{Counts, Figure};

fn tiny(full: Counts) -> Counts {
    Counts::for_mode(full, ["--tiny"])
}

fn ids(figures: &[Figure]) -> Vec<&str> {
    figures.iter().map(|f| f.id.as_str()).collect()
}

#[test]
fn policy_producer_yields_every_path() {
    let figures = policy_rows::measure(tiny(policy_rows::FULL)).unwrap();
    assert_eq!(
        ids(&figures),
        [
            "policy.native",
            "policy.wasmtime",
            "policy.wasmtime.ctx",
            "policy.regorus"
        ]
    );
    assert!(figures.iter().all(|f| f.value.is_finite() && f.value > 0.0));
}

#[test]
fn resolve_producer_yields_both_sizes() {
    let figures = resolve_rows::measure(tiny(resolve_rows::FULL)).unwrap();
    assert_eq!(ids(&figures), ["resolve.1000", "resolve.10000"]);
}

#[test]
fn figure_lines_are_what_xtask_parses() {
    let line = Figure::new("x.y", 1.5, "ns", 3).line();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["figure"], "x.y");
    assert_eq!(v["value"], 1.5);
}
