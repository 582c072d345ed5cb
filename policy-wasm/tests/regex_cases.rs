//! Data-driven edge cases of the CEL regular-expression matcher: every row of
//! `tests/regex-cases.tsv` (pattern, input, expected, note; format in the file's header) is run
//! through `policy_wasm::cel::regex` and, unless noted as a known RE2/regex-lite difference,
//! cross-checked against the `regex-lite` crate.

use policy_wasm::cel::regex::Regex;
use std::path::PathBuf;

fn unescape(input: &str) -> String {
    let mut out = String::new();
    let mut chars = input.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('v') => out.push('\x0b'),
            Some('\\') => out.push('\\'),
            other => panic!("unknown escape \\{other:?} in input {input:?}"),
        }
    }
    out
}

/// What a row runs to, printed in the file's `expected` syntax.
fn outcome(pattern: &str, input: &str) -> String {
    match Regex::new(pattern) {
        Ok(re) => re.is_match(input).to_string(),
        Err(e) => format!("error {} {}", e.column, e.reason),
    }
}

#[test]
fn regex_cases() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/regex-cases.tsv");
    let text = std::fs::read_to_string(&path).expect("regex-cases.tsv is readable");
    let mut failures = Vec::new();
    let mut rows = 0;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        let [pattern, input, expected, rest @ ..] = &fields[..] else {
            panic!(
                "line {}: want pattern, input, expected[, note]: {line:?}",
                n + 1
            );
        };
        rows += 1;
        let note = rest.first().copied().unwrap_or("");
        let (pattern, expected) = (*pattern, *expected);
        let input = unescape(input);
        let got = outcome(pattern, &input);
        if got != expected {
            failures.push(format!(
                "line {}: {pattern:?} on {input:?}: expected {expected}, got {got}",
                n + 1
            ));
        }
        if note.starts_with("re2:") || note.starts_with("ours:") {
            continue;
        }
        let reference = match regex_lite::Regex::new(pattern) {
            Ok(re) => re.is_match(&input).to_string(),
            Err(_) => "error".to_string(),
        };
        let ours = expected.split(' ').next().unwrap_or_default();
        if reference != ours && (expected.starts_with("error") || reference != "error") {
            failures.push(format!(
                "line {}: {pattern:?} on {input:?}: regex-lite says {reference}, the file {expected} (add a `re2:` note if RE2 agrees with the file)",
                n + 1
            ));
        }
    }
    assert!(rows > 50, "only {rows} rows read");
    assert!(
        failures.is_empty(),
        "{} failing rows:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
