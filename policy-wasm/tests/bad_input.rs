//! Hostile input gives a finding or a clear error, never a panic, hang or stack overflow.

use policy_wasm::check::{Options, check_text};
use policy_wasm::input::{InputError, decode};
use policy_wasm::scope::Scope;
use std::time::{Duration, Instant};

fn aks() -> Options {
    Options::for_scope(Scope::aks())
}

/// Runs `f` and fails when it takes longer than `limit` (a hang guard for slow debug builds).
fn timed<T>(limit: Duration, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    assert!(start.elapsed() < limit, "took {:?}", start.elapsed());
    out
}

#[test]
fn truncated_yaml_names_line_and_column() {
    let text = "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata:\n  name: x\nspec:\n  accessLogging:\n  - providers: [{name: envoy\n";
    let err = check_text(text, "t.yaml", &aks()).unwrap_err();
    assert!(matches!(err, InputError::Syntax { .. }), "{err}");
    assert!(err.line().is_some_and(|l| l >= 7), "{err}");
    assert!(err.to_string().starts_with("t.yaml:"), "{err}");
}

#[test]
fn truncated_json_names_line_and_column() {
    let text =
        "{\"apiVersion\": \"telemetry.istio.io/v1\",\n \"kind\": \"Telemetry\",\n \"spec\": {";
    let err = check_text(text, "t.json", &aks()).unwrap_err();
    assert!(err.line().is_some(), "{err}");
}

#[test]
fn ten_megabyte_document_is_a_clear_error() {
    let mut text = String::from(
        "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: big}\nspec:\n  accessLogging:\n",
    );
    while text.len() < 10 * 1024 * 1024 {
        text.push_str("  - providers: [{name: envoy}]\n");
    }
    let err = timed(Duration::from_secs(5), || {
        check_text(&text, "big.yaml", &aks())
    })
    .unwrap_err();
    assert!(matches!(err, InputError::TooLarge { .. }), "{err}");
}

#[test]
fn largest_accepted_document_is_checked_in_time() {
    let mut text = String::from(
        "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: big}\nspec:\n  accessLogging:\n",
    );
    while text.len() < policy_wasm::input::MAX_INPUT_BYTES - 64 {
        text.push_str("  - providers: [{name: envoy}]\n");
    }
    let report = timed(Duration::from_secs(120), || {
        check_text(&text, "big.yaml", &aks())
    })
    .unwrap();
    assert_eq!(report.resources.len(), 1);
}

#[test]
fn ten_thousand_deep_nesting_yaml_flow_block_and_json() {
    let flow = format!("spec: {}{}", "[".repeat(10_000), "]".repeat(10_000));
    // Compact block sequences nest one level per `- ` on a single line.
    let block = format!("spec:\n  {}x\n", "- ".repeat(10_000));
    let json = format!("{{\"spec\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
    for text in [flow, block, json] {
        let err = timed(Duration::from_secs(20), || {
            check_text(&text, "deep", &aks())
        })
        .unwrap_err();
        assert!(
            err.to_string().contains("nesting") || err.to_string().contains("recursion"),
            "{err}"
        );
    }
}

#[test]
fn alias_bomb_is_bounded() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let prev = format!("*a{}", i - 1);
        text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    let err = timed(Duration::from_secs(20), || {
        check_text(&text, "bomb.yaml", &aks())
    })
    .unwrap_err();
    assert!(err.to_string().contains("nodes"), "{err}");
}

#[test]
fn invalid_utf8_names_the_position() {
    let bytes = b"apiVersion: telemetry.istio.io/v1\nkind: Tele\xffmetry\n";
    let err = decode(bytes, "bad.yaml").unwrap_err();
    assert_eq!(
        err,
        InputError::Utf8 {
            file: "bad.yaml".into(),
            line: 2,
            column: 11
        }
    );
}

#[test]
fn hundred_thousand_char_filter_gives_a_finding() {
    let mut expr = String::from("response.code >= 400");
    while expr.len() < 100_000 {
        expr.push_str(" || (response.code == 503 && request.url_path.startsWith('/v1'))");
    }
    expr.push_str(" && (");
    let text = format!(
        "apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {{name: f, namespace: ns}}\nspec:\n  accessLogging:\n  - providers: [{{name: envoy}}]\n    filter:\n      expression: \"{expr}\"\n"
    );
    let report = timed(Duration::from_secs(20), || {
        check_text(&text, "f.yaml", &Options::default())
    })
    .unwrap();
    let findings = &report.resources[0].findings;
    assert!(
        findings.iter().any(|f| f.rule == "istio.filter.cel"),
        "{findings:?}"
    );
}

#[test]
fn garbage_is_an_error_or_skipped_never_a_panic() {
    for text in [
        "",
        "---\n---\n",
        "- 1\n- 2",
        "\"just a string\"",
        "{",
        "a: [",
        "? [a]\n: b",
        ": :",
        "\t- x",
        "%YAML 9.9\n---\na",
        "*x",
        "&a [*a]",
        "kind: Telemetry\napiVersion: telemetry.istio.io/v1\nspec: 7",
    ] {
        let _ = check_text(text, "g", &aks());
    }
}
