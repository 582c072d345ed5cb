//! Guest time per request of `dist/proxy-filter.wasm` under the wasmtime host. Run by
//! `cargo xtask bench`; prints a table and writes `target/bench/filter.json`.
//!
//! Each case's time is split in two: what the host spends serving the filter's calls, measured
//! by replaying a trace of those very calls from a module that does nothing else
//! (`host_tests::proxy::trace`), and the rest, the filter's own (guest) time. A module with empty
//! callbacks shows the host's fixed cost of a stream.

use host_tests::bench::EMPTY_FILTER;
use host_tests::fixture::Fixture;
use host_tests::proxy::trace::replayer;
use host_tests::proxy::{MetricKind, ProxyHost, ProxyModule};
use std::path::PathBuf;
use std::time::Instant;

const REQUESTS: usize = 10_000;
const RUNS: usize = 9;

/// Streams per run: `MESHTEL_BENCH_REQUESTS` (e.g. a small count under `valgrind`), else
/// [`REQUESTS`].
fn requests() -> usize {
    std::env::var("MESHTEL_BENCH_REQUESTS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(REQUESTS)
}

/// One case's figures, ns per request (medians).
struct Figures {
    /// The whole stream.
    total: f64,
    /// The host serving the same calls (the trace replayer's whole stream).
    host_calls: f64,
    /// The filter's own time: the median of `total - host_calls` over runs side by side.
    guest: f64,
    /// Host calls per stream.
    calls: usize,
}

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

/// ns per stream of one run of `requests()` streams through `host`.
fn time_streams(host: &mut ProxyHost, fixture: &Fixture) -> f64 {
    let requests = requests();
    let start = Instant::now();
    for _ in 0..requests {
        host.replay_http(fixture).unwrap();
        // Keeps the host's log from growing by a record per stream over the whole run.
        host.clear_logs();
    }
    start.elapsed().as_nanos() as f64 / requests as f64
}

fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

/// Times the filter and the replay of its host calls in alternating runs, so that both see the
/// same machine (a build on the other core slows both alike): medians of the filter's runs, of
/// the replayer's, and of the differences between runs side by side (the guest time).
fn time_pair(filter: &mut ProxyHost, calls: &mut ProxyHost, fixture: &Fixture) -> Figures {
    let (mut totals, mut host_calls, mut guest) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        let total = time_filter(filter, fixture);
        let host = time_calls(calls, fixture);
        totals.push(total);
        host_calls.push(host);
        guest.push(total - host);
    }
    Figures {
        total: median(totals),
        host_calls: median(host_calls),
        guest: median(guest),
        calls: 0,
    }
}

/// The case `config` on `fixture`: checks that a stream writes `expect_records` records and
/// reports `expect_series` series, then times the filter and the replay of its host calls.
fn measure(
    module: &ProxyModule,
    config: &[u8],
    fixture: &Fixture,
    expect_records: usize,
    expect_series: usize,
) -> Figures {
    let records =
        |logs: &[host_tests::proxy::LogRecord]| logs.iter().filter(|l| l.level == 2).count();
    let mut host = ProxyHost::start(module, config, fixture.root_properties.clone()).unwrap();
    let logs = host.replay_http(fixture).unwrap();
    assert_eq!(records(&logs), expect_records, "unexpected record count");
    let defined = &host.metrics().defined;
    assert_eq!(
        defined.len(),
        expect_series,
        "unexpected metric series count"
    );
    let metrics: Vec<(i32, String)> = defined
        .iter()
        .map(|m| (kind_id(m.kind), m.name.clone()))
        .collect();
    // The second stream is the steady state: every series already defined.
    host.trace_next_stream();
    host.replay_http(fixture).unwrap();
    let (trace, returned) = host.take_trace().unwrap();
    let wat = replayer(&trace, &metrics, returned).unwrap();
    let module_of_calls = ProxyModule::from_bytes(wat.as_bytes()).unwrap();
    let mut calls_host =
        ProxyHost::start(&module_of_calls, b"{}", fixture.root_properties.clone()).unwrap();
    let logs = calls_host.replay_http(fixture).unwrap();
    assert_eq!(
        records(&logs),
        expect_records,
        "the replayer logs as the filter does"
    );
    assert_eq!(calls_host.metrics().defined.len(), expect_series);
    Figures {
        calls: trace.len(),
        ..time_pair(&mut host, &mut calls_host, fixture)
    }
}

/// [`time_streams`] of the filter: a function of its own so that
/// `valgrind --tool=callgrind --toggle-collect=*time_filter*` counts only its instructions.
#[inline(never)]
fn time_filter(host: &mut ProxyHost, fixture: &Fixture) -> f64 {
    // Different bodies, or the linker folds the two functions into one.
    std::hint::black_box(1);
    time_streams(host, fixture)
}

/// [`time_streams`] of the trace replayer (`--toggle-collect=*time_calls*`).
#[inline(never)]
fn time_calls(host: &mut ProxyHost, fixture: &Fixture) -> f64 {
    std::hint::black_box(2);
    time_streams(host, fixture)
}

fn kind_id(kind: MetricKind) -> i32 {
    match kind {
        MetricKind::Counter => 0,
        MetricKind::Gauge => 1,
        MetricKind::Histogram => 2,
    }
}

fn main() {
    // `MESHTEL_BENCH_ONLY="filter, TEXT record"` measures only that case, for profiling one
    // case with `perf record`.
    let only = std::env::var("MESHTEL_BENCH_ONLY").ok();
    let fixture =
        Fixture::load(workspace().join("host-tests/fixtures/envoy/00-get-200-outbound.json"))
            .unwrap();
    // `MESHTEL_BENCH_FILTER=path.wasm` measures another build (an unstripped one for `perf`).
    let filter = match std::env::var_os("MESHTEL_BENCH_FILTER") {
        Some(path) => ProxyModule::load(path).unwrap(),
        None => host_tests::proxy_filter().unwrap(),
    };
    let empty = ProxyModule::from_bytes(EMPTY_FILTER.as_bytes()).unwrap();
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
    type Case<'c> = (&'static str, Box<dyn Fn() -> Figures + 'c>);
    let cases: Vec<Case<'_>> = vec![
        (
            "filter, no access log",
            Box::new(|| measure(&filter, &disabled, &fixture, 0, 0)),
        ),
        (
            "filter, TEXT record",
            Box::new(|| measure(&filter, &text_config, &fixture, 1, 0)),
        ),
        (
            "filter, JSON record",
            Box::new(|| measure(&filter, &json_config, &fixture, 1, 0)),
        ),
        (
            "filter, CEL filter + TEXT record",
            Box::new(|| measure(&filter, &cel_config, &fixture, 1, 0)),
        ),
        (
            "filter, TEXT record + 4 HTTP metrics",
            Box::new(|| measure(&filter, &metrics_config, &fixture, 1, 4)),
        ),
    ];
    let mut empty_host = ProxyHost::start(&empty, b"{}", fixture.root_properties.clone()).unwrap();
    let empty_ns = median(
        (0..RUNS)
            .map(|_| time_streams(&mut empty_host, &fixture))
            .collect(),
    );
    let rows: Vec<(&str, Figures)> = cases
        .iter()
        .filter(|(name, _)| only.as_deref().is_none_or(|o| o == *name))
        .map(|(name, run)| (*name, run()))
        .collect();
    println!(
        "proxy filter under wasmtime 48 ({} streams x {RUNS} runs, median; fixture envoy/00-get-200-outbound)",
        requests()
    );
    println!("host's fixed cost of a stream (module with empty callbacks): {empty_ns:.0} ns");
    println!(
        "{:<36} {:>10} {:>11} {:>15} {:>12}",
        "case", "ns/stream", "host calls", "host ns (calls)", "guest ns"
    );
    let mut report = Vec::new();
    for (name, f) in rows {
        let guest = f.guest;
        println!(
            "{name:<36} {:>10.0} {:>11} {:>15.0} {guest:>12.0}",
            f.total, f.calls, f.host_calls
        );
        report.push(format!(
            r#"{{"case":"{name}","ns_per_request":{:.0},"host_calls":{},"host_ns_per_request":{:.0},"guest_ns_per_request":{guest:.0},"runs":{RUNS}}}"#,
            f.total, f.calls, f.host_calls
        ));
    }
    let dir = workspace().join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("filter.json"), format!("[{}]\n", report.join(","))).unwrap();
}
