//! Effective-configuration resolution for 1,000 and 10,000 Telemetry resources across 1,000
//! namespaces. Run by `cargo xtask bench`; prints one JSON line per figure.

#[path = "bench_resolve/rows.rs"]
mod rows;

fn main() -> anyhow::Result<()> {
    for figure in rows::measure(host_tests::bench::Counts::from_args(rows::FULL))? {
        figure.emit();
    }
    Ok(())
}
