//! Real Envoy under a loopback load (Debian `wrk`, 8 connections, one Envoy worker): requests per
//! second and p50/p99 latency with (a) no access log, (b) Envoy's native file access log in Istio's
//! TEXT format, (c) meshtel's filter writing the same records, (d) the filter writing them and
//! reporting Istio's four standard HTTP metrics, (e) a wasm filter whose callbacks do nothing
//! (what any proxy-wasm filter costs Envoy per request). Run by `cargo xtask bench` with `MESHTEL_ENVOY`
//! set; prints one JSON line per figure (`envoy.c.rps`), medians of 3 runs of 8 s (`--quick`: 3 of
//! 1 s).

use host_tests::bench::{Counts, EMPTY_FILTER, Figure, median};
use host_tests::envoy::{Envoy, ISTIO_LOGS, Setup};
use std::path::PathBuf;
use std::process::Command;

/// Runs, and seconds of load per run.
const FULL: Counts = Counts {
    runs: 3,
    iterations: 8,
};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Istio's native TEXT logger only (the first entry of `logs-istio.yaml`).
fn text_logger() -> String {
    let mut out = String::new();
    for (i, entry) in ISTIO_LOGS.split("\n- ").enumerate() {
        if i == 1 {
            out = format!("- {entry}\n");
        }
    }
    out
}

struct Figures {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
}

fn parse_ms(value: &str) -> f64 {
    let (number, unit) = value.split_at(
        value
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(value.len()),
    );
    let n: f64 = number.parse().unwrap_or(f64::NAN);
    match unit {
        "us" => n / 1000.0,
        "ms" => n,
        "s" => n * 1000.0,
        _ => f64::NAN,
    }
}

fn wrk(port: u16, seconds: usize) -> Figures {
    let out = Command::new("wrk")
        .args([
            "-t1",
            "-c8",
            &format!("-d{seconds}s"),
            "--latency",
            "-H",
            "Host: httpbin:8000",
        ])
        .arg(format!("http://127.0.0.1:{port}/direct"))
        .output()
        .expect("wrk is installed by cargo xtask bench");
    let text = String::from_utf8_lossy(&out.stdout);
    let find = |key: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_string()))
    };
    Figures {
        rps: find("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(f64::NAN),
        p50_ms: find("50%").map(|v| parse_ms(&v)).unwrap_or(f64::NAN),
        p99_ms: find("99%").map(|v| parse_ms(&v)).unwrap_or(f64::NAN),
    }
}

/// The filter's configuration: Istio's TEXT record through the `envoy` provider, and with
/// `metrics` the built-in `prometheus` provider as the default metrics provider.
fn plugin_config(metrics: bool) -> String {
    let mesh = if metrics {
        r#""meshConfig":{"defaultProviders":{"metrics":["prometheus"]}},"#
    } else {
        ""
    };
    format!(
        r#"{{"rootNamespace":"istio-system",{mesh}"telemetry":[{{"apiVersion":"telemetry.istio.io/v1","kind":"Telemetry",
        "metadata":{{"name":"m","namespace":"istio-system"}},"spec":{{"accessLogging":[{{"providers":[{{"name":"envoy"}}]}}]}}}}]}}"#
    )
}

fn main() {
    let counts = Counts::from_args(FULL);
    let seconds = counts.iterations;
    let envoy =
        std::env::var_os("MESHTEL_ENVOY").expect("MESHTEL_ENVOY must name the envoy binary");
    let filter = Some(host_tests::dist("proxy-filter.wasm"));
    let empty = workspace().join("target/bench/empty-filter.wasm");
    std::fs::create_dir_all(empty.parent().unwrap()).unwrap();
    std::fs::write(&empty, wat::parse_str(EMPTY_FILTER).unwrap()).unwrap();
    let configs: [(&str, Option<PathBuf>, String, String); 5] = [
        ("a", None, String::new(), plugin_config(false)),
        ("b", None, text_logger(), plugin_config(false)),
        ("c", filter.clone(), String::new(), plugin_config(false)),
        ("d", filter, String::new(), plugin_config(true)),
        ("e", Some(empty), String::new(), plugin_config(false)),
    ];
    for (name, filter, logs, plugin_config) in configs {
        let setup = Setup {
            envoy: envoy.clone().into(),
            work_dir: workspace().join("target/envoy-bench"),
            filter,
            plugin_config,
            recorder: None,
            outbound_logs: if logs.is_empty() { "[]".into() } else { logs },
            inbound_logs: "[]".into(),
        };
        let (mut rps, mut p50, mut p99) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..counts.runs {
            let running = Envoy::start(&setup).unwrap();
            let f = wrk(running.outbound_port(), seconds);
            let out = running.stop().unwrap();
            assert!(
                out.wasm_failures.is_empty(),
                "the VM failed: {:?}",
                out.wasm_failures
            );
            rps.push(f.rps);
            p50.push(f.p50_ms);
            p99.push(f.p99_ms);
        }
        for (what, samples, unit) in [
            ("rps", &mut rps, "rps"),
            ("p50", &mut p50, "ms"),
            ("p99", &mut p99, "ms"),
        ] {
            Figure::new(
                format!("envoy.{name}.{what}"),
                median(samples),
                unit,
                counts.runs,
            )
            .emit();
        }
    }
}
