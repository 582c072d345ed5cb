//! A wasm module whose only job is to be measured: built with the `cel` feature it compiles and
//! evaluates a CEL expression through `policy_wasm::cel`; built without, it does the same
//! attribute reads and allocations without CEL. The size difference is what CEL costs a module.

use policy_wasm::attributes::{AttributeSource, Bytes, HeaderMap};

/// An attribute source whose answers depend on the input, so nothing is constant-folded away.
struct Dummy(u8);

impl AttributeSource for Dummy {
    fn property(&self, path: &[&str]) -> Option<Bytes<'_>> {
        (path.len() == usize::from(self.0)).then(|| Bytes::Owned(vec![self.0; 8]))
    }

    fn header(&self, _map: HeaderMap, name: &str) -> Option<Bytes<'_>> {
        Some(Bytes::Owned(name.as_bytes().to_vec()))
    }
}

/// Runs the expression in `ptr[..len]` against a dummy request chosen by `k`: 1 when it is
/// true, 0 when false, 2 when it does not compile, the error column when evaluation fails.
///
/// # Safety
/// `ptr` must point to `len` readable bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn run(ptr: *const u8, len: usize, k: u8) -> u32 {
    // SAFETY: the caller promises `len` readable bytes at `ptr`.
    let bytes = unsafe { core::slice::from_raw_parts(ptr, len) };
    let text = String::from_utf8_lossy(bytes);
    evaluate(&text, &Dummy(k))
}

#[cfg(feature = "cel")]
fn evaluate(text: &str, source: &Dummy) -> u32 {
    use policy_wasm::cel::{Program, Value};
    let Ok(program) = Program::compile(text) else {
        return 2;
    };
    match program.evaluate(source) {
        Ok(value) => u32::from(matches!(value, Value::Bool(true))),
        Err(err) => err.column,
    }
}

#[cfg(not(feature = "cel"))]
fn evaluate(text: &str, source: &Dummy) -> u32 {
    source.property(&[text]).map_or(0, |v| v.len() as u32)
}
