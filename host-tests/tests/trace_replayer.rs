//! The module `bench_filter` subtracts from the filter's time must make the very host calls the
//! filter makes: for every recorded HTTP stream (and the metrics scenario's configuration, which
//! reads properties, headers and metrics), the replay of a traced stream logs the same records
//! and leaves the same metric values as the filter did on the same stream.

use host_tests::fixture::Fixture;
use host_tests::proxy::trace::{HostCall, replayer};
use host_tests::proxy::{MetricKind, ProxyHost, ProxyModule};
use std::path::PathBuf;

#[test]
fn a_traced_stream_replays_to_the_same_host_effects() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = std::fs::read(root.join("envoy/metrics/plugin-config.json")).unwrap();
    let paths = host_tests::fixture::json_files(&root.join("fixtures/envoy")).unwrap();
    let module = host_tests::proxy_filter().unwrap();
    let mut checked = 0;
    for path in paths {
        let fixture = Fixture::load(&path).unwrap();
        if fixture.connection.is_some() {
            continue;
        }
        let mut filter =
            ProxyHost::start(&module, &config, fixture.root_properties.clone()).unwrap();
        filter.replay_http(&fixture).unwrap();
        let defined: Vec<(i32, String)> = filter
            .metrics()
            .defined
            .iter()
            .map(|m| (kind_id(m.kind), m.name.clone()))
            .collect();
        let before = filter.metrics().clone();
        filter.trace_next_stream();
        let logged = filter.replay_http(&fixture).unwrap();
        let (trace, returned) = filter.take_trace().unwrap();
        assert!(
            trace.iter().any(|c| matches!(c, HostCall::Property(_))),
            "{}: no property read traced",
            path.display()
        );
        let wat = replayer(&trace, &defined, returned).unwrap();
        let module_of_calls = ProxyModule::from_bytes(wat.as_bytes()).unwrap();
        let mut calls =
            ProxyHost::start(&module_of_calls, b"{}", fixture.root_properties.clone()).unwrap();
        let replayed = calls.replay_http(&fixture).unwrap();
        let lines = |logs: &[host_tests::proxy::LogRecord]| -> Vec<(u32, Vec<u8>)> {
            logs.iter().map(|l| (l.level, l.message.clone())).collect()
        };
        assert_eq!(
            lines(&replayed),
            lines(&logged),
            "{}: records differ",
            path.display()
        );
        // One stream's worth of increments and samples on the same series.
        let mut expected = before.clone();
        for (m, (now, then)) in expected
            .defined
            .iter_mut()
            .zip(filter.metrics().defined.iter().zip(&before.defined))
        {
            m.value = now.value - then.value;
            m.samples = now.samples[then.samples.len()..].to_vec();
        }
        assert_eq!(
            calls.metrics().defined,
            expected.defined,
            "{}: metrics differ",
            path.display()
        );
        checked += 1;
    }
    println!("{checked} traced streams replay to the filter's records and metric updates");
    assert!(checked >= 40, "only {checked} HTTP fixtures");
}

fn kind_id(kind: MetricKind) -> i32 {
    match kind {
        MetricKind::Counter => 0,
        MetricKind::Gauge => 1,
        MetricKind::Histogram => 2,
    }
}
