//! CEL runtime values, their equality and ordering, and their display as CEL-ish literals.

use super::time;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;

/// A CEL value. Strings, bytes, lists and maps are reference-counted so that copying a value out
/// of a compiled program (a literal) costs no allocation.
#[derive(Debug, Clone)]
pub enum Value {
    /// `null`.
    Null,
    /// `bool`.
    Bool(bool),
    /// `int` (64-bit signed).
    Int(i64),
    /// `uint` (64-bit unsigned).
    Uint(u64),
    /// `double`.
    Double(f64),
    /// `string` (UTF-8).
    String(Arc<str>),
    /// `bytes`.
    Bytes(Arc<[u8]>),
    /// `list`.
    List(Arc<[Value]>),
    /// `map` with `bool`, `int`, `uint` or `string` keys, in insertion order.
    Map(Arc<MapValue>),
    /// `google.protobuf.Timestamp`, nanoseconds since the Unix epoch (years 1 to 9999).
    Timestamp(i128),
    /// `google.protobuf.Duration`, nanoseconds (about ±10,000 years).
    Duration(i128),
    /// A type value such as `int` (what `type(1)` returns).
    Type(Type),
}

/// The CEL types a value can have (the runtime types; parameterised types are not tracked).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    /// `null_type`.
    Null,
    /// `bool`.
    Bool,
    /// `int`.
    Int,
    /// `uint`.
    Uint,
    /// `double`.
    Double,
    /// `string`.
    String,
    /// `bytes`.
    Bytes,
    /// `list`.
    List,
    /// `map`.
    Map,
    /// `google.protobuf.Timestamp`.
    Timestamp,
    /// `google.protobuf.Duration`.
    Duration,
    /// `type`.
    Type,
}

impl Type {
    /// The CEL name of the type (`int`, `google.protobuf.Timestamp`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Type::Null => "null_type",
            Type::Bool => "bool",
            Type::Int => "int",
            Type::Uint => "uint",
            Type::Double => "double",
            Type::String => "string",
            Type::Bytes => "bytes",
            Type::List => "list",
            Type::Map => "map",
            Type::Timestamp => "google.protobuf.Timestamp",
            Type::Duration => "google.protobuf.Duration",
            Type::Type => "type",
        }
    }

    /// The type denoted by a (qualified) identifier, such as `int` or `google.protobuf.Duration`.
    pub fn from_name(name: &str) -> Option<Type> {
        Some(match name {
            "null_type" => Type::Null,
            "bool" => Type::Bool,
            "int" => Type::Int,
            "uint" => Type::Uint,
            "double" => Type::Double,
            "string" => Type::String,
            "bytes" => Type::Bytes,
            "list" => Type::List,
            "map" => Type::Map,
            "google.protobuf.Timestamp" => Type::Timestamp,
            "google.protobuf.Duration" => Type::Duration,
            "type" => Type::Type,
            _ => return None,
        })
    }
}

/// A CEL map: entries in insertion order, keys unique under CEL equality.
#[derive(Debug, Clone, Default)]
pub struct MapValue {
    entries: Vec<(Value, Value)>,
}

impl MapValue {
    /// Builds a map from entries, rejecting keys that are not `bool`/`int`/`uint`/`string` and
    /// repeated keys (`1` and `1u` are the same key).
    pub fn from_entries(entries: Vec<(Value, Value)>) -> Result<MapValue, MapKeyError> {
        // Normalise keys so that `1` and `1u` collide, then sort to find repeats in O(n log n).
        #[derive(PartialEq, Eq, PartialOrd, Ord)]
        enum Norm<'a> {
            Bool(bool),
            Num(i128),
            Str(&'a str),
        }
        let mut norms = Vec::with_capacity(entries.len());
        for (k, _) in &entries {
            norms.push(match k {
                Value::Bool(b) => Norm::Bool(*b),
                Value::Int(i) => Norm::Num(i128::from(*i)),
                Value::Uint(u) => Norm::Num(i128::from(*u)),
                Value::String(s) => Norm::Str(s),
                other => return Err(MapKeyError::Unsupported(other.type_name())),
            });
        }
        super::sort::heapsort(&mut norms);
        if norms.windows(2).any(|w| w.first() == w.get(1)) {
            return Err(MapKeyError::Repeated);
        }
        drop(norms);
        Ok(MapValue { entries })
    }

    /// Builds a map from string pairs whose keys are already known to be unique.
    pub(crate) fn from_unique_entries(entries: Vec<(Value, Value)>) -> MapValue {
        MapValue { entries }
    }

    /// The value under `key` (numeric keys match across `int`, `uint` and integral `double`).
    pub fn get(&self, key: &Value) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| k.equals(key))
            .map(|(_, v)| v)
    }

    /// The value under a string key.
    pub fn get_str(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|(k, _)| matches!(k, Value::String(s) if &**s == key))
            .map(|(_, v)| v)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the map has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = &(Value, Value)> {
        self.entries.iter()
    }
}

/// Why a map could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapKeyError {
    /// A key of a type maps cannot be keyed by.
    Unsupported(&'static str),
    /// The same key twice.
    Repeated,
}

impl Value {
    /// Shorthand for a string value.
    pub fn string(s: &str) -> Value {
        Value::String(Arc::from(s))
    }

    /// The runtime type of the value.
    pub fn type_of(&self) -> Type {
        match self {
            Value::Null => Type::Null,
            Value::Bool(_) => Type::Bool,
            Value::Int(_) => Type::Int,
            Value::Uint(_) => Type::Uint,
            Value::Double(_) => Type::Double,
            Value::String(_) => Type::String,
            Value::Bytes(_) => Type::Bytes,
            Value::List(_) => Type::List,
            Value::Map(_) => Type::Map,
            Value::Timestamp(_) => Type::Timestamp,
            Value::Duration(_) => Type::Duration,
            Value::Type(_) => Type::Type,
        }
    }

    /// The key as a map-miss error shows it: as `Display` writes the map key types (bool, int,
    /// uint, double, string), and any other value by its type's name, since no map holds one.
    /// Kept apart from `Display` so that evaluating does not link the printing of lists, maps,
    /// bytes and times into the proxy filter.
    pub(crate) fn key_text(&self) -> String {
        match self {
            Value::Bool(b) => if *b { "true" } else { "false" }.into(),
            Value::Int(i) => crate::num::i128_text(i128::from(*i)),
            Value::Uint(u) => {
                let mut text = crate::num::i128_text(i128::from(*u));
                text.push('u');
                text
            }
            Value::Double(d) if d.is_finite() => crate::num::debug(*d),
            Value::String(s) => {
                let mut text = String::new();
                let _ = crate::quote::write_quoted(&mut text, s, crate::quote::Controls::Cel);
                text
            }
            other => other.type_name().into(),
        }
    }

    /// The CEL name of the value's type (`int`, `string`, `google.protobuf.Timestamp`, ...).
    pub fn type_name(&self) -> &'static str {
        self.type_of().name()
    }

    /// CEL equality: numbers compare by value across `int`, `uint` and `double`; values of
    /// different types are unequal; NaN is unequal to everything.
    pub fn equals(&self, other: &Value) -> bool {
        use Value::*;
        match (self, other) {
            (Null, Null) => true,
            (Bool(a), Bool(b)) => a == b,
            (String(a), String(b)) => a == b,
            (Bytes(a), Bytes(b)) => a == b,
            (Timestamp(a), Timestamp(b)) | (Duration(a), Duration(b)) => a == b,
            (Type(a), Type(b)) => a == b,
            (List(a), List(b)) => {
                a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x.equals(y))
            }
            (Map(a), Map(b)) => {
                a.len() == b.len() && a.iter().all(|(k, v)| b.get(k).is_some_and(|w| v.equals(w)))
            }
            _ => numeric_cmp(self, other) == Some(Ordering::Equal),
        }
    }

    /// CEL ordering for `<`, `<=`, `>`, `>=`: numbers across types, and strings, bytes, bools,
    /// timestamps and durations against their own type. `None` when the pair is not ordered
    /// (different types, lists, maps, null) — and also when a NaN is involved, which the caller
    /// tells apart with [`Value::orderable`].
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        use Value::*;
        match (self, other) {
            (Bool(a), Bool(b)) => Some(a.cmp(b)),
            (String(a), String(b)) => Some(a.cmp(b)),
            (Bytes(a), Bytes(b)) => Some(a.cmp(b)),
            (Timestamp(a), Timestamp(b)) | (Duration(a), Duration(b)) => Some(a.cmp(b)),
            _ => numeric_cmp(self, other),
        }
    }

    /// Whether `<` and friends have an overload for this pair of values.
    pub fn orderable(&self, other: &Value) -> bool {
        use Value::*;
        matches!(
            (self, other),
            (Bool(_), Bool(_))
                | (String(_), String(_))
                | (Bytes(_), Bytes(_))
                | (Timestamp(_), Timestamp(_))
                | (Duration(_), Duration(_))
        ) || (self.is_number() && other.is_number())
    }

    fn is_number(&self) -> bool {
        matches!(self, Value::Int(_) | Value::Uint(_) | Value::Double(_))
    }
}

/// Compares two numbers exactly, whatever their types; `None` for non-numbers and NaN.
fn numeric_cmp(a: &Value, b: &Value) -> Option<Ordering> {
    use Value::*;
    match (a, b) {
        (Int(x), Int(y)) => Some(x.cmp(y)),
        (Uint(x), Uint(y)) => Some(x.cmp(y)),
        (Double(x), Double(y)) => x.partial_cmp(y),
        (Int(x), Uint(y)) => Some(if *x < 0 {
            Ordering::Less
        } else {
            (*x as u64).cmp(y)
        }),
        (Uint(_), Int(_)) => numeric_cmp(b, a).map(Ordering::reverse),
        (Int(x), Double(y)) => cmp_i64_f64(*x, *y),
        (Double(_), Int(_)) => numeric_cmp(b, a).map(Ordering::reverse),
        (Uint(x), Double(y)) => cmp_u64_f64(*x, *y),
        (Double(_), Uint(_)) => numeric_cmp(b, a).map(Ordering::reverse),
        _ => None,
    }
}

/// Compares an integer with a double the way cel-go does: the integer converted to double.
fn cmp_i64_f64(x: i64, y: f64) -> Option<Ordering> {
    (x as f64).partial_cmp(&y)
}

/// Compares an unsigned integer with a double through the integer's double value.
fn cmp_u64_f64(x: u64, y: f64) -> Option<Ordering> {
    (x as f64).partial_cmp(&y)
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        self.equals(other)
    }
}

impl fmt::Display for Value {
    /// Prints the value as a CEL literal would be written (`1u`, `"text"`, `b"\x00"`, ...).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Uint(u) => write!(f, "{u}u"),
            Value::Double(d) => write_double_literal(f, *d),
            Value::String(s) => crate::quote::write_quoted(f, s, crate::quote::Controls::Cel),
            Value::Bytes(b) => {
                f.write_str("b\"")?;
                for &c in b.iter() {
                    match c {
                        b'"' => f.write_str("\\\"")?,
                        b'\\' => f.write_str("\\\\")?,
                        0x20..=0x7e => write!(f, "{}", c as char)?,
                        _ => write!(f, "\\x{c:02x}")?,
                    }
                }
                f.write_str("\"")
            }
            Value::List(items) => {
                f.write_str("[")?;
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{v}")?;
                }
                f.write_str("]")
            }
            Value::Map(m) => {
                f.write_str("{")?;
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_str("}")
            }
            Value::Timestamp(ns) => match time::format_timestamp(*ns) {
                Some(s) => write!(f, "timestamp(\"{s}\")"),
                None => write!(f, "timestamp({}ns)", crate::num::i128_text(*ns)),
            },
            Value::Duration(ns) => write!(f, "duration(\"{}\")", time::format_duration(*ns)),
            Value::Type(t) => f.write_str(t.name()),
        }
    }
}

fn write_double_literal(f: &mut fmt::Formatter<'_>, d: f64) -> fmt::Result {
    if d.is_nan() {
        f.write_str("double(\"NaN\")")
    } else if d.is_infinite() {
        f.write_str(if d > 0.0 {
            "double(\"Infinity\")"
        } else {
            "double(\"-Infinity\")"
        })
    } else {
        // `{:?}`'s text: the shortest round-trip form with ".0" on integral values below 1e16
        // (from 1e16 on "1e16"), written by our own small formatter (core's links big tables).
        f.write_str(&crate::num::debug(d))
    }
}

/// Formats a double the way Go's `%g` does (what `string(double)` returns in cel-go).
pub(crate) fn format_double_go(d: f64) -> String {
    use alloc::format;
    if d.is_nan() {
        return "NaN".into();
    }
    if d.is_infinite() {
        return if d > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    if d == 0.0 {
        return if d.is_sign_negative() {
            "-0".into()
        } else {
            "0".into()
        };
    }
    // `lower_exp` gives the shortest round-trip digits: "-1.2345e-7".
    let sci = crate::num::lower_exp(d);
    let (mantissa, _) = sci.split_once('e').unwrap_or((&sci, ""));
    let exp = crate::num::Shortest::of(d).map_or(0, |s| i32::from(s.exp) - 1);
    // Go switches to exponent form below 1e-4 and from 1e6 on ("shortest" uses precision 6).
    if !(-4..6).contains(&exp) {
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.unsigned_abs());
    }
    crate::num::display(d)
}

#[cfg(test)]
mod tests {
    use super::Value;
    use alloc::string::ToString;

    #[test]
    fn key_text_is_display_for_every_map_key_type() {
        let keys = [
            Value::Bool(true),
            Value::Int(-7),
            Value::Uint(7),
            Value::Double(1.5),
            Value::Double(1e20),
            Value::string("a\"b\\c\u{1}é"),
        ];
        for key in keys {
            assert_eq!(key.key_text(), key.to_string());
        }
        assert_eq!(Value::Null.key_text(), "null_type");
    }
}
