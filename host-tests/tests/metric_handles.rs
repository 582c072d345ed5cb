//! Metric handles are cached per series: replaying the recorded corpus a second time through the
//! same VM defines nothing new, and every series is defined exactly once.

use host_tests::fixture::Fixture;
use host_tests::proxy::ProxyHost;
use std::path::PathBuf;

#[test]
fn steady_traffic_defines_no_new_metrics() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let config = std::fs::read(root.join("envoy/metrics/plugin-config.json")).unwrap();
    let paths = host_tests::fixture::json_files(&root.join("fixtures/envoy")).unwrap();
    let fixtures: Vec<Fixture> = paths.iter().map(|p| Fixture::load(p).unwrap()).collect();
    let module = host_tests::proxy_filter().unwrap();
    let mut host = ProxyHost::start(&module, &config, fixtures[0].root_properties.clone()).unwrap();
    for f in &fixtures {
        host.replay_http(f).unwrap();
    }
    let first = host.metrics().define_calls;
    assert_eq!(
        first as usize,
        host.metrics().defined.len(),
        "a series was defined twice"
    );
    assert!(first > 0, "no metric was defined");
    for f in &fixtures {
        host.replay_http(f).unwrap();
    }
    println!(
        "{} streams twice: {first} proxy_define_metric calls, none on the second pass",
        fixtures.len()
    );
    assert_eq!(host.metrics().define_calls, first);
}
