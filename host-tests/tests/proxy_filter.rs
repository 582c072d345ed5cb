//! `dist/proxy-filter.wasm` under the wasmtime host: the seed records, configuration handling, and
//! never taking the VM down on odd input.

use host_tests::fixture::Fixture;
use host_tests::proxy::{ProxyHost, ProxyModule};
use host_tests::replay::replay;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn seed(name: &str) -> Fixture {
    Fixture::load(workspace().join("host-tests/fixtures/seed").join(name)).unwrap()
}

fn brief_config() -> Vec<u8> {
    std::fs::read(workspace().join("examples/aks-brief/plugin-config.json")).unwrap()
}

#[test]
fn seed_streams_give_the_briefs_lines() {
    let module = host_tests::proxy_filter().unwrap();
    let streams = [
        seed("sleep-outbound-status-418.json"),
        seed("httpbin-inbound-status-418.json"),
    ];
    let out = replay(&module, &brief_config(), &streams).unwrap();
    let expected =
        std::fs::read_to_string(workspace().join("examples/aks-brief/expected.log")).unwrap();
    let records: Vec<String> = out
        .iter()
        .flat_map(|s| &s.records)
        .map(|r| String::from_utf8(r.clone()).unwrap())
        .collect();
    assert_eq!(records, expected.lines().collect::<Vec<_>>());
    assert!(
        out.iter().all(|s| s.other_logs.is_empty()),
        "unexpected logs: {out:?}"
    );
}

#[test]
fn no_telemetry_means_no_records() {
    let module = host_tests::proxy_filter().unwrap();
    let config = br#"{"rootNamespace": "aks-istio-system", "telemetry": []}"#;
    let out = replay(&module, config, &[seed("sleep-outbound-status-418.json")]).unwrap();
    assert!(out[0].records.is_empty());
}

#[test]
fn mode_match_logs_only_the_matching_direction() {
    let module = host_tests::proxy_filter().unwrap();
    let config = br#"{"rootNamespace": "aks-istio-system", "telemetry": [{"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry",
        "metadata": {"name": "server-only", "namespace": "aks-istio-system"},
        "spec": {"accessLogging": [{"providers": [{"name": "envoy"}], "match": {"mode": "SERVER"}}]}}]}"#;
    let streams = [
        seed("sleep-outbound-status-418.json"),
        seed("httpbin-inbound-status-418.json"),
    ];
    let out = replay(&module, config, &streams).unwrap();
    assert_eq!(out[0].records.len(), 0, "outbound is CLIENT");
    assert_eq!(out[1].records.len(), 1, "inbound is SERVER");
}

#[test]
fn tracing_rules_are_left_to_the_tracer() {
    // The filter does not trace and is built without the engine's `tracing` decoders: a
    // Telemetry's tracing rules, even ones admission would reject, change nothing in-proxy.
    let module = host_tests::proxy_filter().unwrap();
    let config = br#"{"rootNamespace": "aks-istio-system", "telemetry": [{"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry",
        "metadata": {"name": "with-tracing", "namespace": "aks-istio-system"},
        "spec": {"tracing": [{"randomSamplingPercentage": "not a number", "customTags": 7}],
                 "accessLogging": [{"providers": [{"name": "envoy"}]}]}}]}"#;
    let out = replay(&module, config, &[seed("sleep-outbound-status-418.json")]).unwrap();
    assert_eq!(out[0].records.len(), 1, "{out:?}");
    assert!(out[0].other_logs.is_empty(), "{out:?}");
}

#[test]
fn a_bad_configuration_is_refused_with_one_line_naming_the_problem() {
    let module = host_tests::proxy_filter().unwrap();
    let fixture = seed("sleep-outbound-status-418.json");
    let err = ProxyHost::start(
        &module,
        br#"{"telemetry": [{"kind": "Pod"}]}"#,
        fixture.root_properties.clone(),
    )
    .err()
    .expect("configuration must be refused");
    let msg = format!("{err:#}");
    assert!(msg.contains("telemetry[0]"), "{msg}");
}

#[test]
fn reconfiguring_with_a_bad_configuration_keeps_the_previous_one() {
    let module = host_tests::proxy_filter().unwrap();
    let fixture = seed("sleep-outbound-status-418.json");
    let mut host =
        ProxyHost::start(&module, &brief_config(), fixture.root_properties.clone()).unwrap();
    assert!(!host.configure(b"{not json").unwrap());
    let errors: Vec<String> = host
        .logs()
        .iter()
        .filter(|l| l.level == 4)
        .map(|l| String::from_utf8_lossy(&l.message).into_owned())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("plugin configuration is not valid"),
        "{errors:?}"
    );
    let logs = host.replay_http(&fixture).unwrap();
    assert_eq!(
        logs.iter().filter(|l| l.level == 2).count(),
        1,
        "the previous configuration still logs"
    );
}

#[test]
fn odd_property_values_never_crash_the_vm() {
    let module = host_tests::proxy_filter().unwrap();
    let mut fixture = seed("sleep-outbound-status-418.json");
    let weird: [(&[&str], Vec<u8>); 6] = [
        (&["response", "code"], vec![0xff, 0x01]), // wrong size for an int
        (&["request", "time"], vec![]),            // empty
        (&["request", "duration"], vec![0xff; 8]), // negative duration
        (&["response", "flags"], vec![0xff; 8]),   // every bit
        (&["upstream", "address"], vec![0xc3, 0x28, 0xa0]), // not UTF-8
        (&["xds", "listener_direction"], b"outbound".to_vec()), // string where an int belongs
    ];
    for (path, value) in weird {
        fixture
            .properties
            .insert(path.iter().map(|s| s.to_string()).collect(), value);
    }
    fixture.headers[0].push(("user-agent".into(), vec![0xe9, 0x74, 0xe9])); // Latin-1 "été"
    fixture.headers[0].retain(|(k, _)| k != ":method");
    let out = replay(&module, &brief_config(), &[fixture.clone(), fixture]).unwrap();
    for stream in &out {
        assert_eq!(stream.records.len(), 1);
        let record = &stream.records[0];
        assert!(
            record.starts_with(b"[-] \"- /status/418 HTTP/1.1\" 0 LH,UH,"),
            "{}",
            String::from_utf8_lossy(record)
        );
        assert!(
            record.windows(3).any(|w| w == [0xc3, 0x28, 0xa0]),
            "bytes are passed through unchanged"
        );
    }
}

/// Values larger than the filter's arena chunks (16 KB, doubling, kept up to 256 KB) come through
/// whole, and streams of them, mixed with small ones, do not make the VM's memory grow.
#[test]
fn huge_values_pass_through_whole_and_memory_stays_flat() {
    let module = host_tests::proxy_filter().unwrap();
    let small = seed("sleep-outbound-status-418.json");
    let mut huge = small.clone();
    let agent: Vec<u8> = (0..40_000).map(|i| b'a' + (i % 26) as u8).collect();
    let route: Vec<u8> = (0..300_000).map(|i| b'A' + (i % 26) as u8).collect();
    huge.headers[0].retain(|(k, _)| k != "user-agent");
    huge.headers[0].push(("user-agent".into(), agent.clone()));
    huge.properties
        .insert(vec!["xds".into(), "route_name".into()], route.clone());
    let mut host =
        ProxyHost::start(&module, &brief_config(), small.root_properties.clone()).unwrap();
    let check = |host: &mut ProxyHost| {
        for fixture in [&huge, &small, &huge] {
            let logs = host.replay_http(fixture).unwrap();
            assert_eq!(logs.len(), 1, "one record per stream");
        }
        let record = &host.replay_http(&huge).unwrap()[0].message;
        let quoted_agent = [b"\"".as_slice(), &agent, b"\""].concat();
        assert!(
            record
                .windows(quoted_agent.len())
                .any(|w| w == quoted_agent)
        );
        assert!(
            record.ends_with(&route),
            "the route name ends the record whole"
        );
    };
    check(&mut host);
    let after_first = host.memory_size();
    for _ in 0..20 {
        check(&mut host);
    }
    assert_eq!(
        host.memory_size(),
        after_first,
        "memory grew across huge streams"
    );
}

#[test]
fn unimplemented_host_calls_fail_loudly() {
    let wat = r#"(module
        (import "env" "proxy_http_call" (func $call (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (func (export "proxy_abi_version_0_2_1"))
        (func (export "malloc") (param i32) (result i32) (i32.const 1024))
        (func (export "proxy_on_configure") (param i32 i32) (result i32)
            (drop (call $call (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)
                              (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0)))
            (i32.const 1)))"#;
    let module = ProxyModule::from_bytes(wat.as_bytes()).unwrap();
    let err = ProxyHost::start(&module, b"{}", Default::default())
        .err()
        .expect("must fail");
    assert!(
        format!("{err:#}").contains("host call env.proxy_http_call is not implemented"),
        "{err:#}"
    );
}
