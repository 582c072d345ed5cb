//! `meshtel demo` prints the AKS brief's two access-log lines byte for byte, produced by
//! `dist/proxy-filter.wasm` under the wasmtime host.

use std::path::Path;
use std::process::Command;

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
}

#[test]
fn demo_prints_the_briefs_two_lines_exactly() {
    let expected = std::fs::read(workspace().join("examples/aks-brief/expected.log")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_meshtel"))
        .arg("demo")
        .current_dir(workspace())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "demo failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let records: Vec<&[u8]> = out
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| l.first() == Some(&b'['))
        .collect();
    let expected: Vec<&[u8]> = expected
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(records, expected);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("warn  aks-istio-system/mesh-logging-default"),
        "{text}"
    );
    assert!(
        text.contains("warning aks.allowed spec.accessLogging[0].providers[0].name"),
        "{text}"
    );
    assert!(
        text.contains("deny  aks-istio-system/errors-only"),
        "{text}"
    );
    assert!(
        text.contains("error aks.blocked spec.accessLogging[0].filter"),
        "{text}"
    );
}

/// `examples/aks-brief/expected.log` is the brief's text, not our output: check it against the
/// brief itself where the shared reference folder is present.
#[test]
fn expected_lines_are_the_briefs() {
    let brief = workspace().join("../shared/reference/aks-istio-telemetry.md");
    let Ok(brief) = std::fs::read_to_string(&brief) else {
        eprintln!("skipped: {} not present", brief.display());
        return;
    };
    let expected =
        std::fs::read_to_string(workspace().join("examples/aks-brief/expected.log")).unwrap();
    let brief_lines: Vec<&str> = brief
        .lines()
        .filter(|l| l.starts_with("[2024-08-13T"))
        .collect();
    assert_eq!(brief_lines, expected.lines().collect::<Vec<_>>());
}
