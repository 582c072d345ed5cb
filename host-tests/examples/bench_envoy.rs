//! Real Envoy under a loopback load (Debian `wrk`, 8 connections, one Envoy worker): requests per
//! second and p50/p99 latency with (a) no access log, (b) Envoy's native file access log in Istio's
//! TEXT format, (c) meshtel's filter writing the same records. Run by `cargo xtask bench` with
//! `MESHTEL_ENVOY` set; prints a table and writes `target/bench/envoy.json`. Medians of 3 runs.

use host_tests::envoy::{Envoy, ISTIO_LOGS, Setup};
use std::path::PathBuf;
use std::process::Command;

const RUNS: usize = 3;
const SECONDS: u32 = 8;

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

fn wrk(port: u16) -> Figures {
    let out = Command::new("wrk")
        .args([
            "-t1",
            "-c8",
            &format!("-d{SECONDS}s"),
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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let envoy =
        std::env::var_os("MESHTEL_ENVOY").expect("MESHTEL_ENVOY must name the envoy binary");
    let text_provider = r#"{"rootNamespace":"istio-system","telemetry":[{"apiVersion":"telemetry.istio.io/v1","kind":"Telemetry",
        "metadata":{"name":"m","namespace":"istio-system"},"spec":{"accessLogging":[{"providers":[{"name":"envoy"}]}]}}]}"#;
    let filter = Some(host_tests::dist("proxy-filter.wasm"));
    let configs: [(&str, Option<PathBuf>, String); 3] = [
        ("(a) no access log", None, String::new()),
        ("(b) Envoy native TEXT log", None, text_logger()),
        ("(c) meshtel filter TEXT records", filter, String::new()),
    ];
    println!(
        "real Envoy 1.40, 1 worker, wrk 8 connections x {SECONDS}s on /direct, median of {RUNS} runs"
    );
    println!(
        "{:<34} {:>10} {:>9} {:>9}",
        "configuration", "req/s", "p50 ms", "p99 ms"
    );
    let mut rows = Vec::new();
    for (name, filter, logs) in configs {
        let setup = Setup {
            envoy: envoy.clone().into(),
            work_dir: workspace().join("target/envoy-bench"),
            filter,
            plugin_config: text_provider.into(),
            recorder: None,
            outbound_logs: if logs.is_empty() { "[]".into() } else { logs },
            inbound_logs: "[]".into(),
        };
        let (mut rps, mut p50, mut p99) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..RUNS {
            let running = Envoy::start(&setup).unwrap();
            let f = wrk(running.outbound_port());
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
        let (rps, p50, p99) = (median(rps), median(p50), median(p99));
        println!("{name:<34} {rps:>10.0} {p50:>9.2} {p99:>9.2}");
        rows.push((name, rps, p50, p99));
    }
    let ratio = rows[2].1 / rows[1].1;
    println!(
        "(c)/(b) throughput: {:.0}% (goal: at least 90%)",
        ratio * 100.0
    );
    let json: Vec<String> = rows
        .iter()
        .map(|(n, r, a, b)| {
            format!(r#"{{"configuration":"{n}","rps":{r:.0},"p50_ms":{a:.3},"p99_ms":{b:.3}}}"#)
        })
        .collect();
    let dir = workspace().join("target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("envoy.json"), format!("[{}]\n", json.join(","))).unwrap();
}
