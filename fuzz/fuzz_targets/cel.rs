//! CEL: parse, check and evaluate an arbitrary expression against arbitrary attribute bytes.
//! Input format: `meshtel_fuzz::Input` (chunk 0 is the expression).
#![no_main]

use libfuzzer_sys::fuzz_target;
use meshtel_fuzz::Input;
use policy_wasm::cel::{self, Context, Program};

fuzz_target!(|data: &[u8]| {
    let input = Input::decode(data);
    let _ = cel::check(&input.text, Context::Filter);
    let _ = cel::check(&input.text, Context::TagValue);
    if let Ok(program) = Program::compile(&input.text) {
        let _ = program.evaluate(&input);
    }
});
