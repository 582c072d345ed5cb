//! The real-Envoy metrics scenario (host-tests/envoy/metrics/README.md): after the request
//! catalogue, Envoy's `/stats/prometheus` must hold exactly the series that Envoy's own native
//! access log implies under Istio's label rules, with and without overrides; the recorded fixtures
//! replayed under wasmtime must render the same series.

use host_tests::envoy::duration::{check_durations, split_tcp_duration};
use host_tests::envoy::{
    DEPLOY_ENVOY, Envoy, ISTIO_LOGS, Output, Setup, compare, reporting_interval_ms, requests, tcp,
};
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

/// Runs the catalogue (and, with `long_lived`, one connection open across periodic reports)
/// through Envoy with the filter configured by `config`.
fn run_scenario(config: &str, dir: &str, long_lived: bool) -> Output {
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
    let interval = reporting_interval_ms(&setup.plugin_config);
    let long_lived_ms = long_lived.then(|| tcp::long_lived_ms(interval));
    if let Some(open_ms) = long_lived_ms {
        check_periodic_report(&envoy, interval, open_ms);
    }
    let out = envoy.stop().unwrap();
    assert!(
        out.wasm_failures.is_empty(),
        "the VM failed:\n{}",
        out.wasm_failures.join("\n")
    );
    // The filter's records, TCP connections included, equal Envoy's own TEXT and JSON lines,
    // except a TCP connection's %DURATION% (host_tests::envoy::duration says why): Envoy's value
    // is the filter's or at most one ms more.
    let native: Vec<(Vec<u8>, Option<u64>)> = out
        .native_text
        .iter()
        .chain(&out.native_json)
        .map(|l| split_tcp_duration(l))
        .collect();
    let records: Vec<(Vec<u8>, Option<u64>)> = out
        .filter_records
        .iter()
        .map(|l| split_tcp_duration(l))
        .collect();
    let masked =
        |v: &[(Vec<u8>, Option<u64>)]| v.iter().map(|(l, _)| l.clone()).collect::<Vec<_>>();
    let (identical, total, first) = compare(&masked(&native), &masked(&records));
    println!("envoy metrics scenario records: {identical}/{total} identical");
    assert_eq!(
        identical,
        total,
        "records differ:\n{}",
        first.unwrap_or_default()
    );
    let durations = check_durations(&native, &records).unwrap_or_else(|e| panic!("{e}"));
    assert!(durations.pairs > 0, "no TCP records");
    println!(
        "TCP records: {} lines, %DURATION% not larger than Envoy's (Envoy's larger by at most {} ms)",
        durations.pairs, durations.largest_gap
    );
    if let Some(open_ms) = long_lived_ms {
        assert!(
            durations.longest >= open_ms,
            "the long-lived connection stayed open {open_ms} ms, the filter's longest %DURATION% is {} ms",
            durations.longest
        );
    }
    out
}

/// While a connection stays open (the app answers a first line at once and the rest `open_ms`
/// later, more than two reporting intervals),
/// the filter's periodic report must show its bytes before it closes, equal to Envoy's own
/// `tcp.<stat_prefix>.downstream_cx_{rx,tx}_bytes_total` counters for both listeners, and
/// `closed` only after the close.
fn check_periodic_report(envoy: &Envoy, interval_ms: u64, open_ms: u64) {
    let started = std::time::Instant::now();
    let scrape = || Scrape::take(envoy);
    // Earlier connections report at close, which may come after their client saw the end: wait
    // until every one is reported (opened = closed, bytes = Envoy's) before counting from here.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let mut before = scrape();
    while !before.settled() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        before = scrape();
    }
    assert!(
        before.settled(),
        "earlier connections not all reported: {before:?}"
    );
    let connection = tcp::LongLived::open(envoy.tcp_port(), open_ms).unwrap();
    // Two reporting intervals and a margin: at least one tick after the bytes passed.
    std::thread::sleep(std::time::Duration::from_millis(2 * interval_ms + 200));
    let open = scrape().minus(&before);
    let received = connection.finish().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let mut closed = scrape().minus(&before);
    while closed.closed != [1, 1] && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        closed = scrape().minus(&before);
    }
    println!(
        "periodic TCP report ({} ms with the connection, reportingInterval {interval_ms} ms) while open (source, destination): {open:?}",
        started.elapsed().as_millis()
    );
    println!(
        "after close: {closed:?}; the client received {} bytes",
        received.len()
    );
    assert_eq!(open.opened, [1, 1], "opened reported while open");
    assert_eq!(open.closed, [0, 0], "nothing closed while open");
    assert!(
        open.istio_received[0] > 0 && open.istio_sent[0] > 0,
        "bytes both ways reported before close: {open:?}"
    );
    for (when, s) in [("while open", &open), ("after close", &closed)] {
        assert_eq!(
            s.istio_received, s.envoy_rx,
            "{when}: received bytes vs Envoy's rx: {s:?}"
        );
        assert_eq!(
            s.istio_sent, s.envoy_tx,
            "{when}: sent bytes vs Envoy's tx: {s:?}"
        );
    }
    assert_eq!(closed.opened, [1, 1]);
    assert_eq!(closed.closed, [1, 1], "closed reported after close");
    assert!(
        closed.istio_sent[0] > open.istio_sent[0],
        "the last line is counted at close"
    );
}

/// TCP counters read from Envoy's admin pages, for the outbound (`source`) and inbound
/// (`destination`) listeners.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Scrape {
    opened: [u64; 2],
    closed: [u64; 2],
    istio_received: [u64; 2],
    istio_sent: [u64; 2],
    envoy_rx: [u64; 2],
    envoy_tx: [u64; 2],
}

impl Scrape {
    fn take(envoy: &Envoy) -> Scrape {
        let page = envoy.admin_page("/stats/prometheus").unwrap();
        let stats = envoy.admin_page("/stats?filter=%5Etcp%5C.").unwrap();
        let istio = |metric: &str| {
            ["source", "destination"].map(|reporter| istio_sum(&page, metric, reporter))
        };
        let prefixes = [
            "outbound|9000||tcp-echo.default.svc.cluster.local",
            "inbound|9000||",
        ];
        let envoy_stat =
            |stat: &str| prefixes.map(|p| stat_value(&stats, &format!("tcp.{p}.{stat}")));
        Scrape {
            opened: istio("istio_tcp_connections_opened_total"),
            closed: istio("istio_tcp_connections_closed_total"),
            istio_received: istio("istio_tcp_received_bytes_total"),
            istio_sent: istio("istio_tcp_sent_bytes_total"),
            envoy_rx: envoy_stat("downstream_cx_rx_bytes_total"),
            envoy_tx: envoy_stat("downstream_cx_tx_bytes_total"),
        }
    }

    /// Every connection so far closed and reported, with Envoy's byte counts.
    fn settled(&self) -> bool {
        self.opened == self.closed
            && self.istio_received == self.envoy_rx
            && self.istio_sent == self.envoy_tx
    }

    fn minus(&self, before: &Scrape) -> Scrape {
        let d = |a: [u64; 2], b: [u64; 2]| [a[0] - b[0], a[1] - b[1]];
        Scrape {
            opened: d(self.opened, before.opened),
            closed: d(self.closed, before.closed),
            istio_received: d(self.istio_received, before.istio_received),
            istio_sent: d(self.istio_sent, before.istio_sent),
            envoy_rx: d(self.envoy_rx, before.envoy_rx),
            envoy_tx: d(self.envoy_tx, before.envoy_tx),
        }
    }
}

/// The sum of a Prometheus counter's series with `reporter="…"`.
fn istio_sum(page: &str, metric: &str, reporter: &str) -> u64 {
    let label = format!("reporter=\"{reporter}\"");
    page.lines()
        .filter(|l| l.starts_with(&format!("{metric}{{")) && l.contains(&label))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// A counter of Envoy's `/stats` text (`name: value`), 0 when absent.
fn stat_value(stats: &str, name: &str) -> u64 {
    stats
        .lines()
        .find_map(|l| {
            l.strip_prefix(name)?
                .strip_prefix(": ")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap_or(0)
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
        true,
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
        false,
    );
    let o = Overrides {
        tags: true,
        no_client_duration: true,
        no_server: true,
    };
    let (want, got) = check(&out, o);
    println!("envoy metrics (overrides): {got}/{want} Prometheus lines identical");
}
