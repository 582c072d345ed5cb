//! Inputs the fuzz targets (`fuzz/`) found crashing, replayed as plain tests. Each input file under
//! `tests/fuzz-regressions/` is in the fuzz input format (`fuzz/src/lib.rs`) and goes through the
//! same calls as its target.

#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod meshtel_fuzz;

use meshtel_fuzz::Input;
use policy_wasm::accesslog::{JsonFormatter, TextFormatter, parse};
use policy_wasm::attributes::{AttributeSource, Bytes, HeaderMap};
use std::path::PathBuf;

fn input(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What the `accesslog` target does with one input.
fn accesslog_target(data: &[u8]) {
    let input = Input::decode(data);
    if parse(&input.text).is_err() {
        return;
    }
    let mut out = Vec::new();
    for omit in [false, true] {
        if let Ok(f) = TextFormatter::new(&input.text, omit) {
            out.clear();
            f.render(&input, &mut out);
        }
        if let Ok(f) = JsonFormatter::new(
            &[("k", input.text.as_str()), ("start_time", "%START_TIME%")],
            omit,
        ) {
            out.clear();
            f.render(&input, &mut out);
            serde_json::from_slice::<serde_json::Value>(&out).expect("a JSON record");
        }
    }
}

/// `%BYTES_RECEIVED%` subtracted `request.headers_bytes` from `request.total_size` after checking
/// only `total >= headers`: an unsigned headers size past `i64::MAX` reads as negative, and the
/// subtraction overflowed (a panic with overflow checks, a wrong number without).
#[test]
fn accesslog_bytes_received_with_headers_bytes_past_i64_max() {
    accesslog_target(&input("accesslog-bytes-received-overflow"));

    struct Sizes;
    impl AttributeSource for Sizes {
        fn property(&self, path: &[&str]) -> Option<Bytes<'_>> {
            let value = match path {
                ["request", "total_size"] => i64::MAX.to_le_bytes().to_vec(),
                ["request", "headers_bytes"] => (u64::MAX - 1).to_le_bytes().to_vec(),
                ["request", "size"] => 7i64.to_le_bytes().to_vec(),
                _ => return None,
            };
            Some(Bytes::Owned(value))
        }
        fn header(&self, _: HeaderMap, _: &str) -> Option<Bytes<'_>> {
            None
        }
    }
    let mut out = Vec::new();
    TextFormatter::new("%BYTES_RECEIVED%", false)
        .unwrap()
        .render(&Sizes, &mut out);
    // A nonsensical headers size falls back to the body size, as a missing one does.
    assert_eq!(out, b"7");
}
