//! Policy evaluation per AdmissionReview: native core, `dist/policy-opa.wasm` in wasmtime, and the
//! Rego baseline in regorus. Run by `cargo xtask bench`; prints one JSON line per figure.

#[path = "bench_policy/rows.rs"]
mod rows;

fn main() -> anyhow::Result<()> {
    for figure in rows::measure(host_tests::bench::Counts::from_args(rows::FULL))? {
        figure.emit();
    }
    Ok(())
}
