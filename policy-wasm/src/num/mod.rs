//! Exact conversions between `f64` and decimal text without `core`'s float machinery: its
//! Grisu/Eisel-Lemire paths carry ~15 KB of power-of-ten tables into every wasm module, while
//! numbers are rare on the request path. Everything here is bignum arithmetic, slower but small,
//! and gives the same text and the same values as `core` (proved by `tests/num_props.rs`).

mod big;
mod divide;
mod int;
mod parse;
mod shortest;
mod write;

pub use divide::{div_rem, div_rem_euclid, div_rem_trunc};
pub use int::{parse_i64, parse_u64};
pub use parse::parse_f64;
pub use shortest::Shortest;
pub use write::{debug, display, i128_text, lower_exp};
