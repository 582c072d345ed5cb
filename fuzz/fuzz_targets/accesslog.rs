//! Access-log format strings: parse an arbitrary format, then render it as a TEXT line and as a
//! JSON label (with and without omitEmptyValues) against arbitrary attribute bytes.
//! Input format: `meshtel_fuzz::Input` (chunk 0 is the format string).
#![no_main]

use libfuzzer_sys::fuzz_target;
use meshtel_fuzz::Input;
use policy_wasm::accesslog::{JsonFormatter, TextFormatter, parse};

fuzz_target!(|data: &[u8]| {
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
            // A JSON record must be valid JSON whatever the attribute bytes are.
            if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out) {
                panic!(
                    "invalid JSON record {:?}: {e}",
                    String::from_utf8_lossy(&out)
                );
            }
        }
    }
    for f in [
        TextFormatter::istio_default_with(false),
        TextFormatter::istio_default_with(true),
    ] {
        out.clear();
        f.render(&input, &mut out);
    }
    out.clear();
    JsonFormatter::istio_default(false).render(&input, &mut out);
    if let Err(e) = serde_json::from_slice::<serde_json::Value>(&out) {
        panic!(
            "invalid Istio JSON record {:?}: {e}",
            String::from_utf8_lossy(&out)
        );
    }
});
