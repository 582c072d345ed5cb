//! Replays every stream recorded from the real Envoy (`host-tests/fixtures/envoy/*.json`) through
//! `dist/proxy-filter.wasm` under the wasmtime host: the records must equal, byte for byte, the
//! lines Envoy's native logger wrote for that stream (`*.expected`, TEXT then JSON), and the
//! metrics they report must render as the Istio series of Envoy's `/stats/prometheus` from the
//! same run (`prometheus.txt`). A TCP connection's records must equal Envoy's lines except
//! `%DURATION%`, which must not be larger than Envoy's (`host_tests::envoy::duration` says why).

use host_tests::envoy::DEPLOY_ENVOY;
use host_tests::envoy::duration::{check_durations, mask_duration};
use host_tests::envoy::{reporting_interval_ms, tcp};
use host_tests::fixture::Fixture;
use host_tests::proxy::prometheus::{istio_lines, render, same_line, stats_tag_names};
use host_tests::replay::{replay, replay_with_metrics};
use std::path::PathBuf;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn recorded() -> (PathBuf, Vec<PathBuf>) {
    let dir = workspace().join("host-tests/fixtures/envoy");
    let paths = host_tests::fixture::json_files(&dir).unwrap();
    (dir, paths)
}

#[test]
fn recorded_streams_replay_to_envoys_prometheus_series() {
    let (dir, paths) = recorded();
    let config =
        std::fs::read(workspace().join("host-tests/envoy/metrics/plugin-config.json")).unwrap();
    let fixtures: Vec<Fixture> = paths.iter().map(|p| Fixture::load(p).unwrap()).collect();
    let module = host_tests::proxy_filter().unwrap();
    let (_, metrics) = replay_with_metrics(&module, &config, &fixtures).unwrap();
    let got = istio_lines(&render(&metrics, &stats_tag_names(DEPLOY_ENVOY)));
    let want = istio_lines(&std::fs::read_to_string(dir.join("prometheus.txt")).unwrap());
    let missing: Vec<&String> = want
        .iter()
        .filter(|w| !got.iter().any(|g| same_line(w, g)))
        .collect();
    let extra: Vec<&String> = got
        .iter()
        .filter(|g| !want.iter().any(|w| same_line(w, g)))
        .collect();
    println!(
        "replay of recorded Envoy streams: {}/{} Prometheus lines equal to Envoy's",
        want.len() - missing.len(),
        want.len()
    );
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{} of Envoy's lines missing, {} unexpected; first missing:\n{}\nfirst unexpected:\n{}",
        missing.len(),
        extra.len(),
        missing.first().map_or("-", |s| s.as_str()),
        extra.first().map_or("-", |s| s.as_str()),
    );
}

#[test]
fn recorded_streams_replay_to_envoys_own_lines() {
    let (dir, paths) = recorded();
    let config = std::fs::read(workspace().join("host-tests/envoy/plugin-config.json")).unwrap();
    assert!(
        paths.len() >= 40,
        "only {} recorded streams in {}",
        paths.len(),
        dir.display()
    );
    let fixtures: Vec<Fixture> = paths.iter().map(|p| Fixture::load(p).unwrap()).collect();
    let module = host_tests::proxy_filter().unwrap();
    let replayed = replay(&module, &config, &fixtures).unwrap();
    let (mut identical, mut total, mut failures) = (0, 0, Vec::new());
    let (mut connections, mut largest_gap, mut longest) = (0, 0, 0);
    for ((path, stream), fixture) in paths.iter().zip(&replayed).zip(&fixtures) {
        let expected = std::fs::read(path.with_extension("expected")).unwrap();
        let tcp = fixture.connection.is_some();
        // A connection's %DURATION% is compared apart (masked here, bounded below).
        let split = |l: &[u8]| {
            if tcp {
                mask_duration(l)
            } else {
                (l.to_vec(), None)
            }
        };
        let want: Vec<(Vec<u8>, Option<u64>)> = expected
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(split)
            .collect();
        let got: Vec<(Vec<u8>, Option<u64>)> = stream.records.iter().map(|l| split(l)).collect();
        let mut want_lines: Vec<&[u8]> = want.iter().map(|(l, _)| l.as_slice()).collect();
        let mut got_lines: Vec<&[u8]> = got.iter().map(|(l, _)| l.as_slice()).collect();
        want_lines.sort();
        got_lines.sort();
        total += want_lines.len();
        let durations = if tcp {
            connections += 1;
            check_durations(&want, &got).map(|d| {
                largest_gap = largest_gap.max(d.largest_gap);
                longest = longest.max(d.longest);
            })
        } else {
            Ok(())
        };
        if want_lines == got_lines && durations.is_ok() {
            identical += want_lines.len();
        } else {
            failures.push(format!(
                "{}: {}\n  Envoy:   {}\n  meshtel: {}",
                path.display(),
                durations.err().unwrap_or_default(),
                want_lines
                    .iter()
                    .map(|l| String::from_utf8_lossy(l))
                    .collect::<Vec<_>>()
                    .join("\n           "),
                got_lines
                    .iter()
                    .map(|l| String::from_utf8_lossy(l))
                    .collect::<Vec<_>>()
                    .join("\n           ")
            ));
        }
    }
    println!(
        "replay of recorded Envoy streams: {identical}/{total} records identical ({} streams, {connections} of them TCP connections: %DURATION% not larger than Envoy's, Envoy's larger by at most {largest_gap} ms)",
        paths.len()
    );
    // The recorded long-lived connection was held open by the app for this long (the recording
    // ran with the metrics configuration).
    let metrics_config =
        std::fs::read_to_string(workspace().join("host-tests/envoy/metrics/plugin-config.json"))
            .unwrap();
    let open_ms = tcp::long_lived_ms(reporting_interval_ms(&metrics_config));
    assert!(
        longest >= open_ms,
        "the long-lived connection stayed open {open_ms} ms, the replayed longest %DURATION% is {longest} ms"
    );
    assert!(
        connections >= 8,
        "only {connections} recorded TCP connections in {}",
        dir.display()
    );
    assert!(
        failures.is_empty(),
        "{} streams differ; first:\n{}",
        failures.len(),
        failures[0]
    );
}
