//! The real-Envoy metrics scenario (host-tests/envoy/metrics/README.md): after the request
//! catalogue, Envoy's `/stats/prometheus` must hold exactly the series that Envoy's own native
//! access log implies under Istio's label rules, with and without overrides; the recorded fixtures
//! replayed under wasmtime must render the same series.

use host_tests::envoy::{DEPLOY_ENVOY, Envoy, ISTIO_LOGS, Output, Setup, compare, requests, tcp};
use host_tests::proxy::prometheus::{istio_lines, render, same_line as same, stats_tag_names};
use host_tests::proxy::{MetricKind, Metrics};
use serde_json::Value;
use std::path::PathBuf;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn run_scenario(config: &str, dir: &str) -> Output {
    let envoy =
        std::env::var_os("MESHTEL_ENVOY").expect("MESHTEL_ENVOY must name the envoy binary");
    let logs = format!(
        "{ISTIO_LOGS}\n{}",
        include_str!("../envoy/metrics/logs-metrics.yaml")
    );
    let setup = Setup {
        envoy: envoy.into(),
        work_dir: workspace().join("target").join(dir),
        filter: Some(host_tests::dist("proxy-filter.wasm")),
        plugin_config: std::fs::read_to_string(workspace().join(config)).unwrap(),
        recorder: None,
        outbound_logs: logs.clone(),
        inbound_logs: logs,
    };
    let envoy = Envoy::start(&setup).unwrap();
    for (i, case) in requests::catalogue().iter().enumerate() {
        // A reset or a timeout is a legitimate outcome for some cases; the logs tell the rest.
        let _ = requests::send(case, i, envoy.outbound_port());
    }
    for case in tcp::catalogue() {
        tcp::send(&case, envoy.tcp_port())
            .unwrap_or_else(|e| panic!("TCP case {}: {e}", case.name));
    }
    let out = envoy.stop().unwrap();
    assert!(
        out.wasm_failures.is_empty(),
        "the VM failed:\n{}",
        out.wasm_failures.join("\n")
    );
    // The filter's records, TCP connections included, equal Envoy's own TEXT and JSON lines,
    // except a TCP connection's %DURATION%: Envoy measures it when its tcp_proxy logs, after the
    // filter's on_log, so the filter's value must be a number no larger than Envoy's.
    let (native, native_ms): (Vec<Vec<u8>>, Vec<Option<u64>>) = out
        .native_text
        .iter()
        .chain(&out.native_json)
        .map(|l| split_tcp_duration(l))
        .unzip();
    let (records, record_ms): (Vec<Vec<u8>>, Vec<Option<u64>>) = out
        .filter_records
        .iter()
        .map(|l| split_tcp_duration(l))
        .unzip();
    let (identical, total, first) = compare(&native, &records);
    println!("envoy metrics scenario records: {identical}/{total} identical");
    assert_eq!(
        identical,
        total,
        "records differ:\n{}",
        first.unwrap_or_default()
    );
    let tcp_ms = |v: &[Option<u64>]| v.iter().flatten().sum::<u64>();
    let tcp_lines = |v: &[Option<u64>]| v.iter().flatten().count();
    assert_eq!(tcp_lines(&native_ms), tcp_lines(&record_ms));
    assert!(
        tcp_ms(&record_ms) <= tcp_ms(&native_ms),
        "the filter's TCP durations ({} ms in all) exceed Envoy's ({} ms)",
        tcp_ms(&record_ms),
        tcp_ms(&native_ms)
    );
    println!(
        "TCP records: {} lines, durations {} ms (filter) <= {} ms (Envoy)",
        tcp_lines(&native_ms),
        tcp_ms(&record_ms),
        tcp_ms(&native_ms)
    );
    out
}

/// A TCP line (cluster `…|9000|…`) with its %DURATION% replaced by `D`, and that duration; other
/// lines unchanged.
fn split_tcp_duration(line: &[u8]) -> (Vec<u8>, Option<u64>) {
    let text = String::from_utf8_lossy(line);
    if !text.contains("|9000|") {
        return (line.to_vec(), None);
    }
    if let Some(at) = text.find("\"duration\":") {
        let start = at + "\"duration\":".len();
        let end = start
            + text[start..]
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(0);
        let masked = format!("{}D{}", &text[..start], &text[end..]);
        return (masked.into_bytes(), text[start..end].parse().ok());
    }
    // TEXT: `[start] "- - -" 0 - - - "-" RECEIVED SENT DURATION …`
    let mut fields: Vec<&str> = text.split(' ').collect();
    let ms = fields.get(11).and_then(|f| f.parse().ok());
    if fields.len() > 11 {
        fields[11] = "D";
    }
    (fields.join(" ").into_bytes(), ms)
}

/// What the overrides scenario changes (mirrors plugin-config-overrides.json).
#[derive(Clone, Copy)]
struct Overrides {
    /// request_protocol removed, request_method added (CEL `request.method`).
    tags: bool,
    /// REQUEST_DURATION disabled for CLIENT.
    no_client_duration: bool,
    /// ALL_METRICS disabled for SERVER.
    no_server: bool,
}

/// Istio's labels for one native log line, written out from istio-metrics.md §3 for this suite's
/// node (sleep, default, Kubernetes, app=sleep, version=v1), its clusters and no peer metadata.
/// `keep` is how many leading standard labels the metric carries (25 HTTP, 23 TCP, 20 gRPC
/// message counters).
fn labels(
    line: &Value,
    outbound: bool,
    tcp: bool,
    keep: usize,
    o: Overrides,
) -> Vec<(&'static str, String)> {
    let f = |k: &str| text(&line[k]);
    let unknown = || "unknown".to_string();
    let local = [
        "sleep".to_string(),
        "default".into(),
        unknown(),
        "sleep".into(),
        "v1".into(),
        "sleep".into(),
        "latest".into(),
        "Kubernetes".into(),
    ];
    let peer = [
        unknown(),
        unknown(),
        unknown(),
        unknown(),
        unknown(),
        unknown(),
        "latest".into(),
        unknown(),
    ];
    let (source, destination) = if outbound {
        (local.clone(), peer.clone())
    } else {
        (peer.clone(), local.clone())
    };
    let cluster = f("upstream_cluster");
    let (service, name, namespace) =
        if cluster == "outbound|8000||httpbin.default.svc.cluster.local" {
            // The clusters with istio service metadata in suite.yaml.
            (
                "httpbin.default.svc.cluster.local".to_string(),
                "httpbin".to_string(),
                "default".to_string(),
            )
        } else if cluster == "outbound|9080||reviews.default.svc.cluster.local" {
            (
                "reviews.default.svc.cluster.local".to_string(),
                "reviews".to_string(),
                "default".to_string(),
            )
        } else if cluster == "outbound|9000||tcp-echo.default.svc.cluster.local" {
            (
                "tcp-echo.default.svc.cluster.local".to_string(),
                "tcp-echo".to_string(),
                "default".to_string(),
            )
        } else if outbound {
            let host = f("authority");
            let name = host.split('.').next().unwrap_or_default().to_string();
            (host, name, unknown())
        } else {
            ("sleep".into(), "sleep".into(), "default".into())
        };
    let grpc = f("content_type").starts_with("application/grpc");
    let or_unknown = |s: String| {
        if s.is_empty() || s == "-" {
            unknown()
        } else {
            s
        }
    };
    let mut out: Vec<(&'static str, String)> = vec![
        (
            "reporter",
            if outbound { "source" } else { "destination" }.into(),
        ),
        ("source_workload", source[0].clone()),
        ("source_workload_namespace", source[1].clone()),
        ("source_principal", source[2].clone()),
        ("source_app", source[3].clone()),
        ("source_version", source[4].clone()),
        ("source_canonical_service", source[5].clone()),
        ("source_canonical_revision", source[6].clone()),
        ("source_cluster", source[7].clone()),
        ("destination_workload", destination[0].clone()),
        ("destination_workload_namespace", destination[1].clone()),
        ("destination_principal", destination[2].clone()),
        ("destination_app", destination[3].clone()),
        ("destination_version", destination[4].clone()),
        ("destination_service", or_unknown(service)),
        ("destination_service_name", or_unknown(name)),
        ("destination_service_namespace", namespace),
        ("destination_canonical_service", destination[5].clone()),
        ("destination_canonical_revision", destination[6].clone()),
        ("destination_cluster", destination[7].clone()),
        (
            "request_protocol",
            if tcp {
                "tcp"
            } else if grpc {
                "grpc"
            } else {
                "http"
            }
            .into(),
        ),
        ("response_flags", f("response_flags")),
        (
            "connection_security_policy",
            if outbound { "unknown" } else { "none" }.into(),
        ),
        ("response_code", f("response_code")),
        (
            "grpc_response_status",
            if grpc {
                f("grpc_status")
            } else {
                String::new()
            },
        ),
    ];
    out.truncate(keep);
    if o.tags {
        out.retain(|(k, _)| *k != "request_protocol");
        // CEL `request.method` fails when the request has no method (protocol errors): `unknown`.
        out.push(("request_method", or_unknown(f("method"))));
    }
    out
}

/// A JSON log field as text (Envoy writes numbers as numbers, absent values as null).
fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// The series Envoy's native lines imply, as a host metric store (names encoded by this test).
fn expected(native: &[Vec<u8>], outbound_port: u16, tcp_ports: [u16; 2], o: Overrides) -> Metrics {
    let mut metrics = Metrics::default();
    for raw in native {
        let Ok(line) = serde_json::from_slice::<Value>(raw) else {
            continue; // a TEXT line
        };
        if line.get("listener_port").is_none() {
            continue; // one of the Istio-format lines
        }
        let port = text(&line["listener_port"]);
        let tcp = tcp_ports.iter().any(|p| p.to_string() == port);
        let outbound = port == outbound_port.to_string() || port == tcp_ports[0].to_string();
        if !outbound && o.no_server {
            continue;
        }
        let n = |k: &str| text(&line[k]).parse::<u64>().unwrap_or(0);
        let encode = |keep: usize| -> String {
            labels(&line, outbound, tcp, keep, o)
                .iter()
                .map(|(k, v)| format!("{k}=.={v};.;"))
                .collect()
        };
        let tags = encode(if tcp { 23 } else { 25 });
        let mut series = vec![
            ("requests_total", MetricKind::Counter, 1),
            (
                "request_duration_milliseconds",
                MetricKind::Histogram,
                n("duration"),
            ),
            (
                "request_bytes",
                MetricKind::Histogram,
                n("request_headers_bytes") + n("bytes_received"),
            ),
            (
                "response_bytes",
                MetricKind::Histogram,
                n("response_headers_bytes") + n("bytes_sent") + n("response_trailers_bytes"),
            ),
        ];
        if outbound && o.no_client_duration {
            series.retain(|s| s.0 != "request_duration_milliseconds");
        }
        if tcp {
            // One connection: opened and closed once, bytes as Envoy counted them.
            series = vec![
                ("tcp_connections_opened_total", MetricKind::Counter, 1),
                ("tcp_connections_closed_total", MetricKind::Counter, 1),
                ("tcp_sent_bytes_total", MetricKind::Counter, n("bytes_sent")),
                (
                    "tcp_received_bytes_total",
                    MetricKind::Counter,
                    n("bytes_received"),
                ),
            ];
        }
        // gRPC message counters from Envoy's grpc_stats filter state, first 20 labels.
        let grpc_stats = &line["grpc_stats"];
        let count = |k: &str| text(&grpc_stats[k]).parse::<u64>().unwrap_or(0);
        let mut tagged: Vec<(String, &str, MetricKind, u64)> = series
            .into_iter()
            .map(|(short, kind, value)| (tags.clone(), short, kind, value))
            .collect();
        if grpc_stats.is_object() && text(&line["content_type"]).starts_with("application/grpc") {
            tagged.push((
                encode(20),
                "request_messages_total",
                MetricKind::Counter,
                count("request_message_count"),
            ));
            tagged.push((
                encode(20),
                "response_messages_total",
                MetricKind::Counter,
                count("response_message_count"),
            ));
        }
        for (tags, short, kind, value) in tagged {
            let id = metrics.define(kind, format!("istio_{tags}{short}"));
            match kind {
                MetricKind::Counter => metrics.increment(id, value as i64),
                _ => metrics.record(id, value),
            };
        }
    }
    metrics
}

fn check(out: &Output, o: Overrides) -> (usize, usize) {
    let tags = stats_tag_names(DEPLOY_ENVOY);
    let want = istio_lines(&render(
        &expected(&out.native_all, out.outbound_port, out.tcp_ports, o),
        &tags,
    ));
    let got = istio_lines(&out.prometheus);
    let missing: Vec<&String> = want
        .iter()
        .filter(|l| !got.iter().any(|g| same(l, g)))
        .collect();
    let extra: Vec<&String> = got
        .iter()
        .filter(|l| !want.iter().any(|w| same(w, l)))
        .collect();
    let dump = |v: &[&String]| v.iter().map(|s| format!("{s}\n")).collect::<String>();
    let dir = workspace().join("target/envoy-metrics-diff");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("missing.txt"), dump(&missing));
    let _ = std::fs::write(dir.join("unexpected.txt"), dump(&extra));
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} expected lines missing, {} unexpected; first missing:\n{}\nfirst unexpected:\n{}",
        missing.len(),
        extra.len(),
        missing.first().map_or("-", |s| s.as_str()),
        extra.first().map_or("-", |s| s.as_str()),
    );
    (want.len(), got.len())
}

#[test]
#[ignore = "needs a real Envoy: run through `cargo xtask test`"]
fn standard_metrics_equal_expected_series() {
    let out = run_scenario(
        "host-tests/envoy/metrics/plugin-config.json",
        "envoy-metrics",
    );
    let o = Overrides {
        tags: false,
        no_client_duration: false,
        no_server: false,
    };
    let (want, got) = check(&out, o);
    println!("envoy metrics (no overrides): {got}/{want} Prometheus lines identical");
}

#[test]
#[ignore = "needs a real Envoy: run through `cargo xtask test`"]
fn metric_overrides_equal_expected_series() {
    let out = run_scenario(
        "host-tests/envoy/metrics/plugin-config-overrides.json",
        "envoy-metrics-overrides",
    );
    let o = Overrides {
        tags: true,
        no_client_duration: true,
        no_server: true,
    };
    let (want, got) = check(&out, o);
    println!("envoy metrics (overrides): {got}/{want} Prometheus lines identical");
}
