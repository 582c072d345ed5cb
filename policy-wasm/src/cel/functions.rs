//! CEL's operators and standard functions over runtime values: checked arithmetic, comparisons,
//! string and bytes functions, conversions, timestamp and duration accessors.

use super::ast::BinOp;
use super::error::ErrorKind;
use super::time::{self, NANOS, NANOS_DIVISOR, TimeError};
use super::value::{MapValue, Type, Value, format_double_go};
use crate::num::{div_rem_euclid, div_rem_trunc};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::cmp::Ordering;

type FResult = Result<Value, ErrorKind>;

/// The "no matching overload" error for `function` applied to `args`.
pub(crate) fn no_overload(function: &str, args: &[&Value]) -> ErrorKind {
    let mut types = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            types.push_str(", ");
        }
        types.push_str(a.type_name());
    }
    ErrorKind::NoMatchingOverload {
        function: function.into(),
        args: types,
    }
}

/// Applies a (strict) binary operator.
pub(crate) fn binary(op: BinOp, l: &Value, r: &Value) -> FResult {
    use Value::*;
    let overflow = || ErrorKind::Overflow(op.symbol());
    Ok(match op {
        BinOp::Eq => Bool(l.equals(r)),
        BinOp::Ne => Bool(!l.equals(r)),
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
            if !l.orderable(r) {
                return Err(no_overload(op.symbol(), &[l, r]));
            }
            Bool(match l.compare(r) {
                None => false, // NaN
                Some(o) => match op {
                    BinOp::Lt => o == Ordering::Less,
                    BinOp::Le => o != Ordering::Greater,
                    BinOp::Gt => o == Ordering::Greater,
                    _ => o != Ordering::Less,
                },
            })
        }
        BinOp::In => return contains_element(r, l, op),
        BinOp::Add => match (l, r) {
            (Int(a), Int(b)) => Int(a.checked_add(*b).ok_or_else(overflow)?),
            (Uint(a), Uint(b)) => Uint(a.checked_add(*b).ok_or_else(overflow)?),
            (Double(a), Double(b)) => Double(a + b),
            (String(a), String(b)) => {
                let mut s = alloc::string::String::with_capacity(a.len() + b.len());
                s.push_str(a);
                s.push_str(b);
                String(Arc::from(s))
            }
            (Bytes(a), Bytes(b)) => Bytes(a.iter().chain(b.iter()).copied().collect()),
            (List(a), List(b)) => List(a.iter().chain(b.iter()).cloned().collect()),
            (Timestamp(t), Duration(d)) | (Duration(d), Timestamp(t)) => {
                timestamp(t.checked_add(*d))?
            }
            (Duration(a), Duration(b)) => duration(a.checked_add(*b))?,
            _ => return Err(no_overload("+", &[l, r])),
        },
        BinOp::Sub => match (l, r) {
            (Int(a), Int(b)) => Int(a.checked_sub(*b).ok_or_else(overflow)?),
            (Uint(a), Uint(b)) => Uint(a.checked_sub(*b).ok_or_else(overflow)?),
            (Double(a), Double(b)) => Double(a - b),
            // cel-go keeps a timestamp difference in int64 nanoseconds (about ±292 years).
            (Timestamp(a), Timestamp(b)) => {
                duration(a.checked_sub(*b).filter(|d| i64::try_from(*d).is_ok()))?
            }
            (Timestamp(t), Duration(d)) => timestamp(t.checked_sub(*d))?,
            (Duration(a), Duration(b)) => duration(a.checked_sub(*b))?,
            _ => return Err(no_overload("-", &[l, r])),
        },
        BinOp::Mul => match (l, r) {
            (Int(a), Int(b)) => Int(a.checked_mul(*b).ok_or_else(overflow)?),
            (Uint(a), Uint(b)) => Uint(a.checked_mul(*b).ok_or_else(overflow)?),
            (Double(a), Double(b)) => Double(a * b),
            _ => return Err(no_overload("*", &[l, r])),
        },
        BinOp::Div => match (l, r) {
            (Int(_), Int(0)) | (Uint(_), Uint(0)) => return Err(ErrorKind::DivisionByZero),
            (Int(a), Int(b)) => Int(a.checked_div(*b).ok_or_else(overflow)?),
            (Uint(a), Uint(b)) => Uint(a / b),
            (Double(a), Double(b)) => Double(a / b),
            _ => return Err(no_overload("/", &[l, r])),
        },
        BinOp::Rem => match (l, r) {
            (Int(_), Int(0)) | (Uint(_), Uint(0)) => return Err(ErrorKind::ModulusByZero),
            (Int(a), Int(b)) => Int(a.checked_rem(*b).ok_or_else(overflow)?),
            (Uint(a), Uint(b)) => Uint(a % b),
            _ => return Err(no_overload("%", &[l, r])),
        },
    })
}

fn timestamp(ns: Option<i128>) -> FResult {
    match ns {
        Some(ns) if time::timestamp_in_range(ns) => Ok(Value::Timestamp(ns)),
        _ => Err(ErrorKind::Range("timestamp out of range".into())),
    }
}

fn duration(ns: Option<i128>) -> FResult {
    match ns {
        Some(ns) if time::duration_in_range(ns) => Ok(Value::Duration(ns)),
        _ => Err(ErrorKind::Range("duration out of range".into())),
    }
}

/// `elem in container`.
fn contains_element(container: &Value, elem: &Value, op: BinOp) -> FResult {
    match container {
        Value::List(items) => Ok(Value::Bool(items.iter().any(|v| v.equals(elem)))),
        Value::Map(m) => Ok(Value::Bool(map_get(m, elem).is_some())),
        _ => Err(no_overload(op.symbol(), &[elem, container])),
    }
}

/// A map lookup where a double key matches an equal integer key.
pub(crate) fn map_get<'m>(m: &'m MapValue, key: &Value) -> Option<&'m Value> {
    match key {
        Value::Double(_) | Value::Bool(_) | Value::Int(_) | Value::Uint(_) | Value::String(_) => {
            m.get(key)
        }
        _ => None,
    }
}

/// `container[index]`.
pub(crate) fn index(container: &Value, idx: &Value) -> FResult {
    match container {
        Value::List(items) => {
            let i: Option<i128> = match idx {
                Value::Int(i) => Some(i128::from(*i)),
                Value::Uint(u) => Some(i128::from(*u)),
                Value::Double(d) if d.fract() == 0.0 && d.abs() < 1e19 => Some(*d as i128),
                Value::Double(d) => {
                    return Err(ErrorKind::InvalidArgument(format!(
                        "list index {} is not an integer",
                        crate::num::display(*d)
                    )));
                }
                _ => None,
            };
            let Some(i) = i else {
                return Err(ErrorKind::InvalidArgument(format!(
                    "list index of type {}",
                    idx.type_name()
                )));
            };
            usize::try_from(i)
                .ok()
                .and_then(|i| items.get(i))
                .cloned()
                .ok_or_else(|| ErrorKind::IndexOutOfRange {
                    index: crate::num::i128_text(i),
                    len: items.len(),
                })
        }
        Value::Map(m) => map_get(m, idx)
            .cloned()
            .ok_or_else(|| ErrorKind::NoSuchKey(idx.key_text())),
        _ => Err(no_overload("_[_]", &[container, idx])),
    }
}

/// `value.field`.
pub(crate) fn select(v: &Value, field: &str) -> FResult {
    match v {
        Value::Map(m) => m
            .get_str(field)
            .cloned()
            .ok_or_else(|| ErrorKind::NoSuchKey(format!("'{field}'"))),
        _ => Err(ErrorKind::InvalidArgument(format!(
            "type '{}' does not support field selection",
            v.type_name()
        ))),
    }
}

/// `has(value.field)`.
pub(crate) fn has_field(v: &Value, field: &str) -> FResult {
    match v {
        Value::Map(m) => Ok(Value::Bool(m.get_str(field).is_some())),
        _ => Err(ErrorKind::InvalidArgument(format!(
            "type '{}' does not support field selection",
            v.type_name()
        ))),
    }
}

/// The global functions, found by name in [`GLOBALS`].
#[derive(Clone, Copy)]
enum Global {
    Size,
    Matches,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    Bool,
    Timestamp,
    Duration,
    Type,
    Dyn,
}

/// Global function names: one table to search instead of a string `match` per overload.
const GLOBALS: [(&str, Global); 12] = [
    ("size", Global::Size),
    ("matches", Global::Matches),
    ("int", Global::Int),
    ("uint", Global::Uint),
    ("double", Global::Double),
    ("string", Global::String),
    ("bytes", Global::Bytes),
    ("bool", Global::Bool),
    ("timestamp", Global::Timestamp),
    ("duration", Global::Duration),
    ("type", Global::Type),
    ("dyn", Global::Dyn),
];

/// The methods, found by name in [`METHODS`].
#[derive(Clone, Copy)]
enum Method {
    Size,
    Contains,
    StartsWith,
    EndsWith,
    Matches,
    Time(TimeField),
}

/// The calendar and clock accessors of timestamps (and the clock ones of durations).
#[derive(Clone, Copy, PartialEq, Eq)]
enum TimeField {
    FullYear,
    Month,
    Date,
    DayOfMonth,
    DayOfWeek,
    DayOfYear,
    Hours,
    Minutes,
    Seconds,
    Milliseconds,
}

/// Method names.
const METHODS: [(&str, Method); 15] = [
    ("size", Method::Size),
    ("contains", Method::Contains),
    ("startsWith", Method::StartsWith),
    ("endsWith", Method::EndsWith),
    ("matches", Method::Matches),
    ("getFullYear", Method::Time(TimeField::FullYear)),
    ("getMonth", Method::Time(TimeField::Month)),
    ("getDate", Method::Time(TimeField::Date)),
    ("getDayOfMonth", Method::Time(TimeField::DayOfMonth)),
    ("getDayOfWeek", Method::Time(TimeField::DayOfWeek)),
    ("getDayOfYear", Method::Time(TimeField::DayOfYear)),
    ("getHours", Method::Time(TimeField::Hours)),
    ("getMinutes", Method::Time(TimeField::Minutes)),
    ("getSeconds", Method::Time(TimeField::Seconds)),
    ("getMilliseconds", Method::Time(TimeField::Milliseconds)),
];

/// The entry of `name` in a name table.
fn lookup<T: Copy>(table: &[(&str, T)], name: &str) -> Option<T> {
    table.iter().find(|(n, _)| *n == name).map(|(_, id)| *id)
}

/// Calls the function `name` on an optional receiver and arguments (all already evaluated).
pub(crate) fn call(name: &str, target: Option<&Value>, args: &[Value]) -> FResult {
    if let Some(t) = target {
        return method(name, t, args);
    }
    let Some(function) = lookup(&GLOBALS, name) else {
        return Err(ErrorKind::UnknownFunction(name.into()));
    };
    match (function, args) {
        (Global::Size, [v]) => size(v),
        (Global::Matches, [s, p]) => matches_dyn(s, p),
        (Global::Int, [v]) => to_int(v),
        (Global::Uint, [v]) => to_uint(v),
        (Global::Double, [v]) => to_double(v),
        (Global::String, [v]) => to_string(v),
        (Global::Bytes, [v]) => to_bytes(v),
        (Global::Bool, [v]) => to_bool(v),
        (Global::Timestamp, [v]) => to_timestamp(v),
        (Global::Duration, [v]) => to_duration(v),
        (Global::Type, [v]) => Ok(Value::Type(v.type_of())),
        (Global::Dyn, [v]) => Ok(v.clone()),
        _ => Err(no_overload(name, &args.iter().collect::<Vec<_>>())),
    }
}

fn method(name: &str, t: &Value, args: &[Value]) -> FResult {
    let Some(method) = lookup(&METHODS, name) else {
        return Err(ErrorKind::UnknownFunction(name.into()));
    };
    match (method, t, args) {
        (Method::Size, v, []) => size(v),
        (Method::Contains, Value::String(s), [Value::String(x)]) => {
            Ok(Value::Bool(s.contains(&**x)))
        }
        (Method::StartsWith, Value::String(s), [Value::String(x)]) => {
            Ok(Value::Bool(s.starts_with(&**x)))
        }
        (Method::EndsWith, Value::String(s), [Value::String(x)]) => {
            Ok(Value::Bool(s.ends_with(&**x)))
        }
        (Method::Matches, s, [p]) => matches_dyn(s, p),
        (Method::Time(field), Value::Timestamp(ns), tz) => timestamp_field(name, field, *ns, tz),
        (
            Method::Time(
                field @ (TimeField::Hours
                | TimeField::Minutes
                | TimeField::Seconds
                | TimeField::Milliseconds),
            ),
            Value::Duration(ns),
            [],
        ) => {
            // Truncating like `/` and `%` on the nanoseconds, without 128-bit division.
            let secs = div_rem_trunc(*ns, NANOS_DIVISOR).0;
            let v = match field {
                TimeField::Hours => div_rem_trunc(secs, 3600).0,
                TimeField::Minutes => div_rem_trunc(secs, 60).0,
                TimeField::Seconds => secs,
                _ => i128::from(div_rem_trunc(div_rem_trunc(*ns, 1_000_000).0, 1000).1),
            };
            Ok(Value::Int(v as i64))
        }
        _ => Err(no_overload(
            name,
            &core::iter::once(t).chain(args).collect::<Vec<_>>(),
        )),
    }
}

fn size(v: &Value) -> FResult {
    let n = match v {
        Value::String(s) => s.chars().count(),
        Value::Bytes(b) => b.len(),
        Value::List(l) => l.len(),
        Value::Map(m) => m.len(),
        _ => return Err(no_overload("size", &[v])),
    };
    Ok(Value::Int(n as i64))
}

fn matches_dyn(s: &Value, p: &Value) -> FResult {
    match (s, p) {
        (Value::String(s), Value::String(p)) => {
            let re = compile_regex(p)?;
            Ok(Value::Bool(re.is_match(s)))
        }
        _ => Err(no_overload("matches", &[s, p])),
    }
}

/// Compiles an RE2-syntax pattern with the linear-time matcher of [`super::regex`].
pub(crate) fn compile_regex(pattern: &str) -> Result<super::regex::Regex, ErrorKind> {
    super::regex::Regex::new(pattern).map_err(|e| ErrorKind::InvalidArgument(format!("{e}")))
}

fn timestamp_field(name: &str, field: TimeField, ns: i128, tz: &[Value]) -> FResult {
    let offset = match tz {
        [] => 0,
        [Value::String(z)] => time::parse_offset(z)
            .ok_or_else(|| ErrorKind::InvalidArgument(format!("unsupported time zone '{z}'")))?,
        _ => {
            let ts = Value::Timestamp(ns);
            let mut all = alloc::vec![&ts];
            all.extend(tz);
            return Err(no_overload(name, &all));
        }
    };
    let c = time::civil(ns, offset);
    let v: i64 = match field {
        TimeField::FullYear => c.year,
        TimeField::Month => i64::from(c.month) - 1,
        TimeField::Date => i64::from(c.day),
        TimeField::DayOfMonth => i64::from(c.day) - 1,
        TimeField::DayOfWeek => i64::from(c.weekday),
        TimeField::DayOfYear => i64::from(c.yday),
        TimeField::Hours => i64::from(c.hms.0),
        TimeField::Minutes => i64::from(c.hms.1),
        TimeField::Seconds => i64::from(c.hms.2),
        TimeField::Milliseconds => i64::from(c.millis),
    };
    Ok(Value::Int(v))
}

/// 2^63 as a double, the first value past `i64::MAX`.
const TWO_63: f64 = 9_223_372_036_854_775_808.0;
/// 2^64 as a double, the first value past `u64::MAX`.
const TWO_64: f64 = 18_446_744_073_709_551_616.0;

fn range(what: &str) -> ErrorKind {
    ErrorKind::Range(format!("{what} out of range"))
}

fn to_int(v: &Value) -> FResult {
    Ok(Value::Int(match v {
        Value::Int(i) => *i,
        Value::Uint(u) => i64::try_from(*u).map_err(|_| range("int"))?,
        Value::Double(d) => {
            if d.is_nan() || *d <= -TWO_63 || *d >= TWO_63 {
                return Err(range("int"));
            }
            *d as i64
        }
        Value::String(s) => crate::num::parse_i64(s)
            .ok_or_else(|| ErrorKind::Conversion(format!("cannot convert '{s}' to int")))?,
        Value::Timestamp(ns) => div_rem_euclid(*ns, NANOS_DIVISOR).0 as i64,
        _ => return Err(no_overload("int", &[v])),
    }))
}

fn to_uint(v: &Value) -> FResult {
    Ok(Value::Uint(match v {
        Value::Uint(u) => *u,
        Value::Int(i) => u64::try_from(*i).map_err(|_| range("uint"))?,
        Value::Double(d) => {
            if d.is_nan() || *d <= -1.0 || *d >= TWO_64 {
                return Err(range("uint"));
            }
            *d as u64
        }
        Value::String(s) => crate::num::parse_u64(s, 10)
            .ok_or_else(|| ErrorKind::Conversion(format!("cannot convert '{s}' to uint")))?,
        _ => return Err(no_overload("uint", &[v])),
    }))
}

fn to_double(v: &Value) -> FResult {
    Ok(Value::Double(match v {
        Value::Double(d) => *d,
        Value::Int(i) => *i as f64,
        Value::Uint(u) => *u as f64,
        Value::String(s) => parse_double(s)
            .ok_or_else(|| ErrorKind::Conversion(format!("cannot convert '{s}' to double")))?,
        _ => return Err(no_overload("double", &[v])),
    }))
}

fn parse_double(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Inf" | "+Inf" | "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Inf" | "-Infinity" => Some(f64::NEG_INFINITY),
        _ if s
            .bytes()
            .any(|c| c.is_ascii_alphabetic() && c != b'e' && c != b'E') =>
        {
            None
        }
        _ => crate::num::parse_f64(s),
    }
}

fn to_string(v: &Value) -> FResult {
    Ok(match v {
        Value::String(_) => v.clone(),
        Value::Int(i) => Value::string(&i.to_string()),
        Value::Uint(u) => Value::string(&u.to_string()),
        Value::Double(d) => Value::string(&format_double_go(*d)),
        Value::Bool(b) => Value::string(if *b { "true" } else { "false" }),
        Value::Bytes(b) => match core::str::from_utf8(b) {
            Ok(s) => Value::string(s),
            Err(_) => return Err(ErrorKind::Conversion("bytes are not valid UTF-8".into())),
        },
        Value::Timestamp(ns) => {
            Value::string(&time::format_timestamp(*ns).ok_or_else(|| range("timestamp"))?)
        }
        Value::Duration(ns) => Value::string(&time::format_duration(*ns)),
        Value::Type(t) => Value::string(t.name()),
        _ => return Err(no_overload("string", &[v])),
    })
}

fn to_bytes(v: &Value) -> FResult {
    match v {
        Value::Bytes(_) => Ok(v.clone()),
        Value::String(s) => Ok(Value::Bytes(Arc::from(s.as_bytes()))),
        _ => Err(no_overload("bytes", &[v])),
    }
}

fn to_bool(v: &Value) -> FResult {
    match v {
        Value::Bool(_) => Ok(v.clone()),
        Value::String(s) => match &**s {
            "1" | "t" | "true" | "TRUE" | "True" => Ok(Value::Bool(true)),
            "0" | "f" | "false" | "FALSE" | "False" => Ok(Value::Bool(false)),
            _ => Err(ErrorKind::Conversion(format!(
                "cannot convert '{s}' to bool"
            ))),
        },
        _ => Err(no_overload("bool", &[v])),
    }
}

fn time_error(e: TimeError, what: &str, text: &str) -> ErrorKind {
    match e {
        TimeError::Range => range(what),
        TimeError::Syntax => ErrorKind::Conversion(format!("cannot parse '{text}' as a {what}")),
    }
}

fn to_timestamp(v: &Value) -> FResult {
    match v {
        Value::Timestamp(_) => Ok(v.clone()),
        Value::String(s) => time::parse_timestamp(s)
            .map(Value::Timestamp)
            .map_err(|e| time_error(e, "timestamp", s)),
        // |secs| < 2^63, so the product stays far inside i128: no overflow check needed.
        Value::Int(secs) => timestamp(Some(i128::from(*secs) * NANOS)),
        _ => Err(no_overload("timestamp", &[v])),
    }
}

fn to_duration(v: &Value) -> FResult {
    match v {
        Value::Duration(_) => Ok(v.clone()),
        Value::String(s) => time::parse_duration(s)
            .map(Value::Duration)
            .map_err(|e| time_error(e, "duration", s)),
        _ => Err(no_overload("duration", &[v])),
    }
}

/// A protobuf message literal. Only the wrapper and time types have a CEL value here.
pub(crate) fn message(name: &str, fields: &[(&str, Value)]) -> FResult {
    let short = name.strip_prefix("google.protobuf.").unwrap_or("");
    let field = |want: &str| fields.iter().find(|(n, _)| *n == want).map(|(_, v)| v);
    let unknown_field = fields.iter().find(|(n, _)| {
        !matches!(
            (short, *n),
            (_, "value") | ("Timestamp" | "Duration", "seconds" | "nanos")
        )
    });
    if let Some((n, _)) = unknown_field {
        return Err(ErrorKind::NoSuchKey(format!("field '{n}' in {name}")));
    }
    let typed = |want: Type, default: Value| -> FResult {
        match field("value") {
            None => Ok(default),
            Some(v) if v.type_of() == want => Ok(v.clone()),
            Some(v) => Err(no_overload(name, &[v])),
        }
    };
    match short {
        "BoolValue" => typed(Type::Bool, Value::Bool(false)),
        "BytesValue" => typed(Type::Bytes, Value::Bytes(Arc::from(&[][..]))),
        "DoubleValue" => typed(Type::Double, Value::Double(0.0)),
        "FloatValue" => match typed(Type::Double, Value::Double(0.0))? {
            Value::Double(d) => Ok(Value::Double(f64::from(d as f32))),
            v => Ok(v),
        },
        "Int64Value" => typed(Type::Int, Value::Int(0)),
        "Int32Value" => match typed(Type::Int, Value::Int(0))? {
            Value::Int(i) if i32::try_from(i).is_err() => Err(range("int32")),
            v => Ok(v),
        },
        "UInt64Value" => typed(Type::Uint, Value::Uint(0)),
        "UInt32Value" => match typed(Type::Uint, Value::Uint(0))? {
            Value::Uint(u) if u32::try_from(u).is_err() => Err(range("uint32")),
            v => Ok(v),
        },
        "StringValue" => typed(Type::String, Value::string("")),
        "Value" if fields.is_empty() => Ok(Value::Null),
        "Timestamp" | "Duration" => {
            let int = |n: &str| match field(n) {
                None => Ok(0i128),
                Some(Value::Int(i)) => Ok(i128::from(*i)),
                Some(v) => Err(no_overload(name, &[v])),
            };
            let ns = int("seconds")? * NANOS + int("nanos")?;
            if short == "Timestamp" {
                timestamp(Some(ns))
            } else {
                duration(Some(ns))
            }
        }
        _ => Err(ErrorKind::UnknownName(format!("message type '{name}'"))),
    }
}

/// Builds a map value from evaluated entries.
pub(crate) fn make_map(entries: Vec<(Value, Value)>) -> FResult {
    MapValue::from_entries(entries)
        .map(|m| Value::Map(Arc::new(m)))
        .map_err(|e| match e {
            super::value::MapKeyError::Unsupported(t) => {
                ErrorKind::InvalidMapKey(format!("unsupported key type {t}"))
            }
            super::value::MapKeyError::Repeated => {
                ErrorKind::InvalidMapKey("repeated key in map literal".into())
            }
        })
}
