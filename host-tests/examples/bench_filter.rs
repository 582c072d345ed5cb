//! Guest time per request of `dist/proxy-filter.wasm` under the wasmtime host, next to a module
//! whose callbacks do nothing (the host's own cost of replaying a stream). Run by
//! `cargo xtask bench`; prints a table and writes `target/bench/filter.json`.

use host_tests::fixture::Fixture;
use host_tests::proxy::{ProxyHost, ProxyModule};
use std::path::PathBuf;
use std::time::Instant;

const REQUESTS: usize = 20_000;
const RUNS: usize = 5;

/// A proxy-wasm module with empty callbacks: what the host costs per stream. It exports the
/// stream callbacks the filter exports and no others, so the host makes the same calls to both.
const BASELINE: &str = r#"(module
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 1024))
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (global.get $heap))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_log") (param i32))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32)))"#;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn config(providers: &str, rule: &str) -> Vec<u8> {
    config_with(providers, "", rule)
}

/// `default_providers` is a `meshConfig.defaultProviders` member (with its leading comma) or "".
fn config_with(providers: &str, default_providers: &str, rule: &str) -> Vec<u8> {
    format!(
        r#"{{"rootNamespace":"istio-system","meshConfig":{{"extensionProviders":[{providers}]{default_providers}}},
        "telemetry":[{{"apiVersion":"telemetry.istio.io/v1","kind":"Telemetry","metadata":{{"name":"m","namespace":"istio-system"}},
        "spec":{{"accessLogging":[{rule}]}}}}]}}"#
    )
    .into_bytes()
}

/// Median ns per request over `RUNS` runs of `REQUESTS` streams.
fn measure(module: &ProxyModule, config: &[u8], fixture: &Fixture, expect_records: usize) -> f64 {
    measure_with_metrics(module, config, fixture, expect_records, 0)
}

/// As [`measure`], checking first that one stream reports `expect_series` metric series.
fn measure_with_metrics(
    module: &ProxyModule,
    config: &[u8],
    fixture: &Fixture,
    expect_records: usize,
    expect_series: usize,
) -> f64 {
    let mut host = ProxyHost::start(module, config, fixture.root_properties.clone()).unwrap();
    let logs = host.replay_http(fixture).unwrap();
    assert_eq!(
        logs.iter().filter(|l| l.level == 2).count(),
        expect_records,
        "unexpected record count"
    );
    assert_eq!(
        host.metrics().defined.len(),
        expect_series,
        "unexpected metric series count"
    );
    let mut samples = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        for _ in 0..REQUESTS {
            host.replay_http(fixture).unwrap();
            // Keeps the host's log from growing by a record per stream over the whole run.
            host.clear_logs();
        }
        samples.push(start.elapsed().as_nanos() as f64 / REQUESTS as f64);
    }
    samples.sort_by(f64::total_cmp);
    samples[RUNS / 2]
}

fn main() {
    // `MESHTEL_BENCH_ONLY="filter, TEXT record"` measures only that case (and the host's own
    // cost), for profiling one case with `perf record`.
    let only = std::env::var("MESHTEL_BENCH_ONLY").ok();
    let wanted =
        |name: &str| name.starts_with("host only") || only.as_deref().is_none_or(|o| o == name);
    let fixture =
        Fixture::load(workspace().join("host-tests/fixtures/envoy/00-get-200-outbound.json"))
            .unwrap();
    let filter = host_tests::proxy_filter().unwrap();
    let baseline = ProxyModule::from_bytes(BASELINE.as_bytes()).unwrap();
    let text = r#"{"name":"text","envoyFileAccessLog":{"path":"/dev/stdout"}}"#;
    let json =
        r#"{"name":"json","envoyFileAccessLog":{"path":"/dev/stdout","logFormat":{"labels":{}}}}"#;
    let disabled = config(text, r#"{"providers":[{"name":"text"}],"disabled":true}"#);
    let text_config = config(text, r#"{"providers":[{"name":"text"}]}"#);
    let json_config = config(json, r#"{"providers":[{"name":"json"}]}"#);
    let cel_config = config(
        text,
        r#"{"providers":[{"name":"text"}],"filter":{"expression":"response.code < 400 && request.url_path.startsWith('/status')"}}"#,
    );
    let metrics_config = config_with(
        text,
        r#","defaultProviders":{"metrics":["prometheus"]}"#,
        r#"{"providers":[{"name":"text"}]}"#,
    );
    type Case<'c> = (&'static str, Box<dyn Fn() -> f64 + 'c>);
    let cases: Vec<Case<'_>> = vec![
        (
            "host only (empty callbacks)",
            Box::new(|| measure(&baseline, b"{}", &fixture, 0)),
        ),
        (
            "filter, no access log",
            Box::new(|| measure(&filter, &disabled, &fixture, 0)),
        ),
        (
            "filter, TEXT record",
            Box::new(|| measure(&filter, &text_config, &fixture, 1)),
        ),
        (
            "filter, JSON record",
            Box::new(|| measure(&filter, &json_config, &fixture, 1)),
        ),
        (
            "filter, CEL filter + TEXT record",
            Box::new(|| measure(&filter, &cel_config, &fixture, 1)),
        ),
        (
            "filter, TEXT record + 4 HTTP metrics",
            Box::new(|| measure_with_metrics(&filter, &metrics_config, &fixture, 1, 4)),
        ),
    ];
    let rows: Vec<(&str, f64)> = cases
        .iter()
        .filter(|(name, _)| wanted(name))
        .map(|(name, run)| (*name, run()))
        .collect();
    let host = rows[0].1;
    println!(
        "proxy filter under wasmtime 48 ({REQUESTS} streams x {RUNS} runs, median; fixture envoy/00-get-200-outbound)"
    );
    println!(
        "{:<36} {:>14} {:>18}",
        "case", "ns/request", "guest ns/request"
    );
    let mut report = Vec::new();
    for (name, ns) in rows {
        println!("{name:<36} {ns:>14.0} {:>18.0}", ns - host);
        report.push(format!(
            r#"{{"case":"{name}","ns_per_request":{ns:.0},"guest_ns_per_request":{:.0}}}"#,
            ns - host
        ));
    }
    let dir = workspace().join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("filter.json"), format!("[{}]\n", report.join(","))).unwrap();
}
