//! What the `bench_*` examples share: timed runs reduced to a median, and the one JSON line per
//! figure that `cargo xtask bench` collects from their standard output.

use serde_json::json;

/// A proxy-wasm module whose callbacks do nothing: what a host costs per stream for any filter.
/// It exports the stream callbacks meshtel's filter exports and no others, so a host makes the
/// same callback calls to both.
pub const EMPTY_FILTER: &str = r#"(module
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (global.get $heap))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_log") (param i32))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32)))"#;
use std::time::Instant;

/// How much one producer measures: `runs` timed runs of `iterations` calls each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Timed runs; the figure is their median.
    pub runs: usize,
    /// Calls per run.
    pub iterations: usize,
}

impl Counts {
    /// The counts the process arguments ask for: `--quick` (smoke run) or `--tiny` (the smoke
    /// test: one short run), else `full`.
    pub fn from_args(full: Counts) -> Counts {
        let args: Vec<String> = std::env::args().skip(1).collect();
        Counts::for_mode(full, args.iter().map(String::as_str))
    }

    /// The counts for a list of flags (see [`Counts::from_args`]).
    pub fn for_mode<'a>(full: Counts, flags: impl IntoIterator<Item = &'a str>) -> Counts {
        let mut counts = full;
        for flag in flags {
            counts = match flag {
                "--quick" => Counts {
                    runs: 3,
                    iterations: (full.iterations / 10).max(1),
                },
                "--tiny" => Counts {
                    runs: 1,
                    iterations: 2,
                },
                _ => counts,
            };
        }
        counts
    }
}

/// Median over `counts.runs` runs of the time per call of `call`, in nanoseconds.
pub fn median_ns(counts: Counts, mut call: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..counts.runs.max(1))
        .map(|_| {
            let start = Instant::now();
            for _ in 0..counts.iterations.max(1) {
                call();
            }
            start.elapsed().as_nanos() as f64 / counts.iterations.max(1) as f64
        })
        .collect();
    median(&mut samples)
}

/// The median of `samples` (the upper one of an even count); NaN when empty.
pub fn median(samples: &mut [f64]) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples.get(samples.len() / 2).copied().unwrap_or(f64::NAN)
}

/// One measured figure, as `cargo xtask bench` reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// Stable id the report's rows refer to (`policy.wasmtime`).
    pub id: String,
    /// The median.
    pub value: f64,
    /// Unit of `value`: `ns`, `us`, `ms`, `rps`, `bytes`.
    pub unit: &'static str,
    /// Runs the median is taken over.
    pub runs: usize,
}

impl Figure {
    /// A figure of `value` `unit` over `runs` runs.
    pub fn new(id: impl Into<String>, value: f64, unit: &'static str, runs: usize) -> Figure {
        Figure {
            id: id.into(),
            value,
            unit,
            runs,
        }
    }

    /// The JSON line `cargo xtask bench` parses.
    pub fn line(&self) -> String {
        json!({ "figure": self.id, "value": self.value, "unit": self.unit, "runs": self.runs })
            .to_string()
    }

    /// Prints the line on standard output.
    pub fn emit(&self) {
        println!("{}", self.line());
    }
}
