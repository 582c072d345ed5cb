//! Byte comparisons for the per-request path.

/// Byte equality eight bytes at a time. In wasm, `==` on slices calls compiler-builtins'
/// `memcmp`, which goes byte by byte; header names and series label values are compared on
/// every request.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut at = 0;
    while at + 8 <= a.len() {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    a[at..].iter().zip(&b[at..]).all(|(x, y)| x == y)
}

/// The eight bytes of `s` at `at`, which the caller keeps in bounds.
#[inline(always)]
fn word(s: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&s[at..at + 8]);
    u64::from_le_bytes(w)
}
