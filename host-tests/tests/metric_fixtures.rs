//! Replays the hand-written streams of `host-tests/fixtures/metrics/` (TCP connections with ticks,
//! peer metadata from filter state and from upstream host metadata, gRPC) through
//! `dist/proxy-filter.wasm` under the wasmtime host: the Prometheus text it renders must hold
//! exactly the counters and histogram counts of `expected.prom`, derived by hand from Istio's
//! label rules.

use host_tests::envoy::DEPLOY_ENVOY;
use host_tests::fixture::Fixture;
use host_tests::proxy::prometheus::{render, stats_tag_names};
use host_tests::replay::replay_with_metrics;
use std::path::PathBuf;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A series line with its labels sorted, so label order (Envoy's tag order) does not matter.
fn normalized(line: &str) -> String {
    let Some((head, rest)) = line.split_once('{') else {
        return line.to_string();
    };
    let Some((labels, value)) = rest.rsplit_once('}') else {
        return line.to_string();
    };
    let mut labels: Vec<&str> = labels.split("\",").collect();
    for l in labels.iter_mut() {
        *l = l.trim_end_matches('"');
    }
    labels.sort_unstable();
    format!("{head}{{{}\"}}{value}", labels.join("\","))
}

/// Counter and histogram `_count` lines of the Istio metrics.
fn checked_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("istio_") && !l.contains("_bucket{") && !l.contains("_sum{"))
        .map(normalized)
        .collect();
    lines.sort();
    lines
}

#[test]
fn hand_written_streams_render_the_expected_series() {
    let dir = workspace().join("host-tests/fixtures/metrics");
    let config =
        std::fs::read(workspace().join("host-tests/envoy/metrics/plugin-config.json")).unwrap();
    let paths = host_tests::fixture::json_files(&dir).unwrap();
    let fixtures: Vec<Fixture> = paths.iter().map(|p| Fixture::load(p).unwrap()).collect();
    let module = host_tests::proxy_filter().unwrap();
    let (streams, metrics) = replay_with_metrics(&module, &config, &fixtures).unwrap();
    for stream in &streams {
        // Istio's TEXT and JSON providers: two records per stream, TCP connections included.
        assert_eq!(
            stream.records.len(),
            2,
            "{}: {:?}",
            stream.fixture.display(),
            stream.other_logs
        );
    }
    let got = checked_lines(&render(&metrics, &stats_tag_names(DEPLOY_ENVOY)));
    let want = checked_lines(&std::fs::read_to_string(dir.join("expected.prom")).unwrap());
    let missing: Vec<&String> = want.iter().filter(|l| !got.contains(l)).collect();
    let extra: Vec<&String> = got.iter().filter(|l| !want.contains(l)).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing:\n{}\nunexpected:\n{}",
        missing.iter().map(|s| format!("{s}\n")).collect::<String>(),
        extra.iter().map(|s| format!("{s}\n")).collect::<String>()
    );
    println!(
        "hand-written metric fixtures: {}/{} series lines equal ({} streams)",
        got.len(),
        want.len(),
        streams.len()
    );
}
