//! The `meshtel` commands as users run them: output shapes and exit codes (0 allowed, 1 denied,
//! 2 could not run).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn meshtel(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_meshtel"))
        .args(args)
        .current_dir(workspace())
        .output()
        .unwrap()
}

/// Exit code 0, or a failure that shows what the command printed on stderr.
fn assert_succeeded(out: &Output) {
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn check_allows_the_brief_with_a_warning_and_exits_0() {
    let out = meshtel(&[
        "check",
        "--scope",
        "aks",
        "-o",
        "json",
        "examples/aks-brief/mesh-logging-default.yaml",
    ]);
    assert_succeeded(&out);
    let report = json(&out);
    let resource = &report["resources"][0];
    assert_eq!(resource["verdict"], "warn");
    assert_eq!(resource["name"], "mesh-logging-default");
    assert_eq!(resource["findings"][0]["rule"], "aks.allowed");
    assert_eq!(
        resource["findings"][0]["path"],
        "spec.accessLogging[0].providers[0].name"
    );
    assert_eq!(report["summary"]["warned"], 1);
}

#[test]
fn check_denies_a_blocked_field_and_exits_1() {
    let out = meshtel(&[
        "check",
        "--scope",
        "aks",
        "-o",
        "json",
        "examples/aks-brief/blocked-filter.yaml",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["resources"][0]["verdict"], "deny");
    assert_eq!(report["summary"]["denied"], 1);
}

#[test]
fn check_reads_folders_and_counts_skipped_objects() {
    let out = meshtel(&[
        "check",
        "--scope",
        "aks",
        "-o",
        "json",
        "examples/aks-brief",
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the folder holds a blocked resource"
    );
    let report = json(&out);
    assert_eq!(report["summary"]["resources"], 2);
}

#[test]
fn check_reads_stdin() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshtel"))
        .args(["check", "--scope", "istio", "-o", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let yaml = std::fs::read(workspace().join("examples/aks-brief/blocked-filter.yaml")).unwrap();
    child.stdin.take().unwrap().write_all(&yaml).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "upstream Istio allows accessLogging.filter"
    );
    assert_eq!(json(&out)["resources"][0]["verdict"], "allow");
}

#[test]
fn check_exits_2_when_it_cannot_run() {
    assert_eq!(
        meshtel(&["check", "no/such/file.yaml"]).status.code(),
        Some(2)
    );
    assert_eq!(
        meshtel(&["check", "--no-such-flag", "x.yaml"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        meshtel(&[
            "check",
            "--scope",
            "no/such/scope.yaml",
            "examples/aks-brief"
        ])
        .status
        .code(),
        Some(2)
    );
}

#[test]
fn effective_shows_the_brief_turning_envoy_logs_on() {
    let out = meshtel(&[
        "effective",
        "--namespace",
        "default",
        "--labels",
        "app=sleep",
        "--mode",
        "client",
        "--scope",
        "aks",
        "-o",
        "json",
        "examples/aks-brief/mesh-logging-default.yaml",
    ]);
    assert_succeeded(&out);
    let effective = json(&out);
    assert_eq!(effective[0]["mode"], "CLIENT");
    assert_eq!(effective[0]["accessLogging"][0]["provider"], "envoy");
    assert_eq!(
        effective[0]["sources"][0],
        "aks-istio-system/mesh-logging-default"
    );
}

#[test]
fn replay_prints_the_records_of_recorded_streams() {
    let out = meshtel(&[
        "replay",
        "--config",
        "examples/aks-brief/plugin-config.json",
        "host-tests/fixtures/seed/sleep-outbound-status-418.json",
        "host-tests/fixtures/seed/httpbin-inbound-status-418.json",
    ]);
    assert_succeeded(&out);
    let expected = std::fs::read(workspace().join("examples/aks-brief/expected.log")).unwrap();
    assert_eq!(out.stdout, expected);
}

#[test]
fn replay_with_metrics_prints_the_prometheus_text() {
    let dir = workspace().join("host-tests/fixtures/metrics");
    let mut args = vec![
        "replay".to_string(),
        "--metrics".into(),
        "--config".into(),
        "host-tests/envoy/metrics/plugin-config.json".into(),
    ];
    let mut fixtures: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| p.display().to_string())
        .collect();
    fixtures.sort();
    args.extend(fixtures);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = meshtel(&args);
    assert_succeeded(&out);
    let text = String::from_utf8(out.stdout).unwrap();
    // The hand-derived series of the fixtures, label order as deploy/envoy.yaml's stats_tags.
    let expected = std::fs::read_to_string(dir.join("expected.prom")).unwrap();
    let want: Vec<&str> = expected.lines().filter(|l| !l.starts_with('#')).collect();
    for line in &want {
        assert!(text.lines().any(|l| l == *line), "missing: {line}");
    }
    let counted = text
        .lines()
        .filter(|l| l.starts_with("istio_") && !l.contains("_bucket{") && !l.contains("_sum{"))
        .count();
    assert_eq!(counted, want.len(), "{text}");
    assert!(text.contains("# TYPE istio_tcp_sent_bytes_total counter\n"));
    // Only the Prometheus text: no access-log record.
    assert!(
        !text
            .lines()
            .any(|l| l.starts_with('[') || l.starts_with('{'))
    );
}
