//! JSON without serde: a value type, a bounded parser, a writer whose output equals serde_json's,
//! and the [`FromJson`] / [`ToJson`] traits the model implements through field tables.
//!
//! Objects behave like serde_json's default `Map` (a `BTreeMap`): parsed objects have sorted keys
//! and the last duplicate wins, so every output that used to go through serde_json is unchanged.
//! Objects built by [`ToJson`] for a struct keep the struct's field order, as serde's derive did.

mod convert;
mod map;
mod number;
mod parse;
mod value;
mod write;

pub use convert::{
    DecodeError, DecodeInto, FieldKey, FromJson, ToJson, decode_fields, decode_new,
    decode_strict_fields, decode_struct, field, from_str, put, variant,
};
pub use map::Map;
pub use number::Number;
pub use parse::{MAX_DEPTH, ParseError, parse, parse_bytes};
pub use value::Json;
pub use write::{to_string_pretty, write_compact, write_string};
