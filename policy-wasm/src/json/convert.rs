//! [`FromJson`] / [`ToJson`]: typed views of JSON, implemented for structs through the field
//! tables of [`json_struct!`](crate::json_struct) and enums through
//! [`json_enum!`](crate::json_enum), so each struct costs a few calls, not a deserializer.
//!
//! Decoding fills values in place ([`DecodeInto`]) starting from their empty (`Default`) value:
//! a struct's fields are decoded straight into it, so no struct is built, moved out of a
//! `Result` and dropped on error at each level of nesting.

use super::{Json, Map, ParseError};
use crate::sorted_map::SortedMap;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// Why a JSON value does not have the expected shape; the path says where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Field path from the value decoded (`spec.tracing[0].providers`); empty for the value itself.
    pub path: String,
    /// What is wrong, in serde's words (`invalid type: string "x", expected a boolean`).
    pub message: String,
}

impl DecodeError {
    /// An error about the value itself.
    pub fn new(message: impl Into<String>) -> DecodeError {
        DecodeError {
            path: String::new(),
            message: message.into(),
        }
    }

    /// `value` is not `expected` (`a string`, `struct Telemetry`).
    pub fn invalid(value: &Json, expected: &str) -> DecodeError {
        let found = match value {
            Json::Null => "null".to_string(),
            Json::Bool(b) => format!("boolean `{b}`"),
            Json::Number(n) if n.is_f64() => format!("floating point `{n}`"),
            Json::Number(n) => format!("integer `{n}`"),
            Json::String(s) => format!("string {}", crate::quote::Quoted(s)),
            Json::Array(_) => "sequence".to_string(),
            Json::Object(_) => "map".to_string(),
        };
        DecodeError::new(format!("invalid type: {found}, expected {expected}"))
    }

    /// A required field is absent.
    pub fn missing(key: &str) -> DecodeError {
        DecodeError::new(format!("missing field `{key}`"))
    }

    /// This error, seen from one level up (`key` is `name` or `[3]`).
    fn within(mut self, key: &str) -> DecodeError {
        self.path = match (self.path.is_empty(), key.starts_with('[')) {
            (true, _) => key.to_string(),
            (false, true) => format!("{key}{}", self.path),
            (false, false) if self.path.starts_with('[') => format!("{key}{}", self.path),
            (false, false) => format!("{key}.{}", self.path),
        };
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{} at `{}`", self.message, self.path)
        }
    }
}

impl core::error::Error for DecodeError {}

impl From<ParseError> for DecodeError {
    fn from(e: ParseError) -> DecodeError {
        DecodeError::new(e.to_string())
    }
}

/// A type that can be read from a JSON value.
pub trait FromJson: Sized {
    /// Reads `value`; unknown object members are ignored unless the type says otherwise.
    fn from_json(value: &Json) -> Result<Self, DecodeError>;
}

/// Reads a `T` whole by decoding into its empty value: the [`FromJson`] of types decoded in place.
pub fn decode_new<T: DecodeInto + Default>(value: &Json) -> Result<T, DecodeError> {
    let mut out = T::default();
    out.decode_into(value)?;
    Ok(out)
}

/// A type that can be written as a JSON value.
pub trait ToJson {
    /// The value as JSON.
    fn to_json(&self) -> Json;

    /// True when a struct field holding this value is left out where the table marks it
    /// optional (empty `Option`, `Vec`, map or string).
    fn is_absent(&self) -> bool {
        false
    }
}

/// Parses `text` and reads a `T` from it.
pub fn from_str<T: FromJson>(text: &str) -> Result<T, DecodeError> {
    T::from_json(&super::parse(text)?)
}

/// The members of `value`, which must be an object (`what` names the type for the message).
pub fn decode_fields<'a>(value: &'a Json, what: &str) -> Result<&'a Map, DecodeError> {
    value
        .as_object()
        .ok_or_else(|| DecodeError::invalid(value, &format!("struct {what}")))
}

/// Like [`decode_fields`], rejecting members not in the field table `known` (serde's
/// `deny_unknown_fields`).
pub fn decode_strict_fields<'a>(
    value: &'a Json,
    what: &str,
    known: &[FieldKey],
) -> Result<&'a Map, DecodeError> {
    let map = decode_fields(value, what)?;
    if let Some(unknown) = map.keys().find(|k| !known.iter().any(|(key, _)| key == k)) {
        let expected: Vec<String> = known.iter().map(|(k, _)| format!("`{k}`")).collect();
        return Err(DecodeError::new(format!(
            "unknown field `{unknown}`, expected one of {}",
            expected.join(", ")
        )));
    }
    Ok(map)
}

/// The member `key` of `map` read as `T`; `None` when absent.
pub fn field<T: FromJson>(map: &Map, key: &str) -> Result<Option<T>, DecodeError> {
    map.get(key)
        .map(|v| T::from_json(v).map_err(|e| e.within(key)))
        .transpose()
}

/// A place a JSON value is decoded into, behind one non-generic interface: struct decoders walk a
/// table of these instead of compiling a body per struct and per field type.
pub trait DecodeInto {
    /// Fills `self`, which holds its type's empty (`Default`) value, from `value`. After an error
    /// `self` may be partly filled; callers discard it.
    fn decode_into(&mut self, value: &Json) -> Result<(), DecodeError>;
}

/// One row of a struct's field table: the JSON name, and whether the member must be present.
pub type FieldKey = (&'static str, bool);

/// Fills each of `slots` from the member of `map` that `keys` names at the same index, in table
/// order; the first error wins.
#[inline(never)]
pub fn decode_struct(
    map: &Map,
    keys: &[FieldKey],
    slots: &mut [&mut dyn DecodeInto],
) -> Result<(), DecodeError> {
    for (&(key, required), slot) in keys.iter().zip(slots) {
        match map.get(key) {
            Some(v) => slot.decode_into(v).map_err(|e| e.within(key))?,
            None if required => return Err(DecodeError::missing(key)),
            None => {}
        }
    }
    Ok(())
}

/// Calls `each` on every element of the array `value`, naming the index of a failing one.
#[inline(never)]
fn decode_items(
    value: &Json,
    each: &mut dyn FnMut(&Json) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let items = value
        .as_array()
        .ok_or_else(|| DecodeError::invalid(value, "a sequence"))?;
    for (i, item) in items.iter().enumerate() {
        each(item).map_err(|e| e.within(&format!("[{i}]")))?;
    }
    Ok(())
}

/// Calls `each` on every member of the object `value`, naming the key of a failing one.
#[inline(never)]
fn decode_members(
    value: &Json,
    each: &mut dyn FnMut(&String, &Json) -> Result<(), DecodeError>,
) -> Result<(), DecodeError> {
    let map = value
        .as_object()
        .ok_or_else(|| DecodeError::invalid(value, "a map"))?;
    for (key, item) in map {
        each(key, item).map_err(|e| e.within(key))?;
    }
    Ok(())
}

/// Appends `key` to a struct's object unless `optional` and the value is absent.
pub fn put<T: ToJson + ?Sized>(map: &mut Map, key: &str, value: &T, optional: bool) {
    if !(optional && value.is_absent()) {
        map.push(key, value.to_json());
    }
}

/// Reads a string that must be one of `names`; the index of the match.
pub fn variant(value: &Json, names: &[&str]) -> Result<usize, DecodeError> {
    let Json::String(s) = value else {
        return Err(DecodeError::invalid(value, "a variant name"));
    };
    names.iter().position(|n| n == s).ok_or_else(|| {
        let expected: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
        DecodeError::new(format!(
            "unknown variant `{s}`, expected one of {}",
            expected.join(", ")
        ))
    })
}

/// Implements [`FromJson`] and/or [`ToJson`] for a struct from a table of `"jsonName" => field`.
///
/// `decode` reads into `Default::default()`; a field marked `[required]` must be present. `encode`
/// writes the fields in table order; a field marked `[optional]` is left out when empty. `decode_strict` also
/// rejects unknown members.
#[macro_export]
macro_rules! json_struct {
    (decode $ty:ident { $($key:literal => $field:ident $([$req:ident])?),* $(,)? }) => {
        impl $crate::json::DecodeInto for $ty {
            fn decode_into(&mut self, value: &$crate::json::Json) -> Result<(), $crate::json::DecodeError> {
                let map = $crate::json::decode_fields(value, stringify!($ty))?;
                $crate::json_struct!(@fields self, map, { $($key => $field $([$req])?),* })
            }
        }
        $crate::json_struct!(@whole $ty);
    };
    (decode_strict $ty:ident { $($key:literal => $field:ident $([$req:ident])?),* $(,)? }) => {
        impl $crate::json::DecodeInto for $ty {
            fn decode_into(&mut self, value: &$crate::json::Json) -> Result<(), $crate::json::DecodeError> {
                const KEYS: &[$crate::json::FieldKey] = $crate::json_struct!(@keys { $($key $([$req])?),* });
                let map = $crate::json::decode_strict_fields(value, stringify!($ty), KEYS)?;
                $crate::json_struct!(@fields self, map, { $($key => $field $([$req])?),* })
            }
        }
        $crate::json_struct!(@whole $ty);
    };
    (@whole $ty:ty) => {
        impl $crate::json::FromJson for $ty {
            fn from_json(value: &$crate::json::Json) -> Result<Self, $crate::json::DecodeError> {
                $crate::json::decode_new(value)
            }
        }
    };
    (@keys { $($key:literal $([$req:ident])?),* }) => {
        &[$(($key, false $(|| { let _ = stringify!($req); true })?)),*]
    };
    (@fields $self:ident, $map:ident, { $($key:literal => $field:ident $([$req:ident])?),* }) => {{
        const KEYS: &[$crate::json::FieldKey] = $crate::json_struct!(@keys { $($key $([$req])?),* });
        let slots: &mut [&mut dyn $crate::json::DecodeInto] = &mut [$(&mut $self.$field),*];
        $crate::json::decode_struct($map, KEYS, slots)
    }};
    (encode $ty:ident { $($key:literal => $field:ident $([$opt:ident])?),* $(,)? }) => {
        impl $crate::json::ToJson for $ty {
            fn to_json(&self) -> $crate::json::Json {
                let mut map = $crate::json::Map::new();
                $( $crate::json::put(&mut map, $key, &self.$field, false $(|| { let _ = stringify!($opt); true })?); )*
                $crate::json::Json::Object(map)
            }
        }
    };
}

/// Implements [`FromJson`], [`DecodeInto`] and [`ToJson`] for a fieldless enum from
/// `"NAME" => Variant` pairs.
#[macro_export]
macro_rules! json_enum {
    ($ty:ident { $($name:literal => $variant:ident),* $(,)? }) => {
        impl $crate::json::FromJson for $ty {
            fn from_json(value: &$crate::json::Json) -> Result<Self, $crate::json::DecodeError> {
                const ALL: &[$ty] = &[$($ty::$variant),*];
                $crate::json::variant(value, &[$($name),*]).map(|i| ALL[i])
            }
        }
        impl $crate::json::DecodeInto for $ty {
            fn decode_into(&mut self, value: &$crate::json::Json) -> Result<(), $crate::json::DecodeError> {
                *self = <$ty as $crate::json::FromJson>::from_json(value)?;
                Ok(())
            }
        }
        impl $crate::json::ToJson for $ty {
            fn to_json(&self) -> $crate::json::Json {
                $crate::json::Json::String(match self { $($ty::$variant => $name),* }.into())
            }
        }
    };
}

impl FromJson for Json {
    fn from_json(value: &Json) -> Result<Self, DecodeError> {
        decode_new(value)
    }
}

impl DecodeInto for Json {
    fn decode_into(&mut self, value: &Json) -> Result<(), DecodeError> {
        *self = value.clone();
        Ok(())
    }
}

impl ToJson for Json {
    fn to_json(&self) -> Json {
        self.clone()
    }
}

impl FromJson for Map {
    fn from_json(value: &Json) -> Result<Self, DecodeError> {
        decode_new(value)
    }
}

impl DecodeInto for Map {
    fn decode_into(&mut self, value: &Json) -> Result<(), DecodeError> {
        *self = value
            .as_object()
            .cloned()
            .ok_or_else(|| DecodeError::invalid(value, "a map"))?;
        Ok(())
    }
}

impl ToJson for Map {
    fn to_json(&self) -> Json {
        Json::Object(self.clone())
    }
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}

impl FromJson for String {
    fn from_json(value: &Json) -> Result<Self, DecodeError> {
        decode_new(value)
    }
}

impl DecodeInto for String {
    fn decode_into(&mut self, value: &Json) -> Result<(), DecodeError> {
        // `self` is empty: appending is assigning, without dropping the old string.
        let text = value
            .as_str()
            .ok_or_else(|| DecodeError::invalid(value, "a string"))?;
        self.push_str(text);
        Ok(())
    }
}

impl ToJson for String {
    fn to_json(&self) -> Json {
        Json::String(self.clone())
    }
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}

impl ToJson for str {
    fn to_json(&self) -> Json {
        Json::String(self.into())
    }
}

impl FromJson for bool {
    fn from_json(value: &Json) -> Result<Self, DecodeError> {
        decode_new(value)
    }
}

impl DecodeInto for bool {
    fn decode_into(&mut self, value: &Json) -> Result<(), DecodeError> {
        *self = value
            .as_bool()
            .ok_or_else(|| DecodeError::invalid(value, "a boolean"))?;
        Ok(())
    }
}

impl ToJson for bool {
    fn to_json(&self) -> Json {
        Json::Bool(*self)
    }
}

impl FromJson for f64 {
    fn from_json(value: &Json) -> Result<Self, DecodeError> {
        decode_new(value)
    }
}

impl DecodeInto for f64 {
    fn decode_into(&mut self, value: &Json) -> Result<(), DecodeError> {
        *self = value
            .as_f64()
            .ok_or_else(|| DecodeError::invalid(value, "f64"))?;
        Ok(())
    }
}

impl ToJson for f64 {
    fn to_json(&self) -> Json {
        Json::from(*self)
    }
}

impl FromJson for usize {
    fn from_json(value: &Json) -> Result<Self, DecodeError> {
        decode_new(value)
    }
}

impl DecodeInto for usize {
    fn decode_into(&mut self, value: &Json) -> Result<(), DecodeError> {
        *self = value
            .as_u64()
            .and_then(|u| usize::try_from(u).ok())
            .ok_or_else(|| DecodeError::invalid(value, "usize"))?;
        Ok(())
    }
}

impl ToJson for usize {
    fn to_json(&self) -> Json {
        Json::from(*self)
    }
}

impl<T: DecodeInto + Default> FromJson for Option<T> {
    fn from_json(value: &Json) -> Result<Self, DecodeError> {
        decode_new(value)
    }
}

impl<T: DecodeInto + Default> DecodeInto for Option<T> {
    fn decode_into(&mut self, value: &Json) -> Result<(), DecodeError> {
        // `self` is `None`, the empty value: null leaves it so, nothing old needs dropping.
        match value {
            Json::Null => Ok(()),
            v => self.get_or_insert_with(T::default).decode_into(v),
        }
    }
}

impl<T: ToJson> ToJson for Option<T> {
    fn to_json(&self) -> Json {
        self.as_ref().map_or(Json::Null, T::to_json)
    }
    fn is_absent(&self) -> bool {
        self.is_none()
    }
}

impl<T: DecodeInto + Default> FromJson for Vec<T> {
    fn from_json(value: &Json) -> Result<Self, DecodeError> {
        decode_new(value)
    }
}

impl<T: DecodeInto + Default> DecodeInto for Vec<T> {
    fn decode_into(&mut self, value: &Json) -> Result<(), DecodeError> {
        decode_items(value, &mut |v| {
            // Each item is decoded where it ends up, like a struct field.
            self.push(T::default());
            self.last_mut().map_or(Ok(()), |item| item.decode_into(v))
        })
    }
}

impl<T: ToJson> ToJson for Vec<T> {
    fn to_json(&self) -> Json {
        Json::Array(self.iter().map(T::to_json).collect())
    }
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}

impl<T: FromJson> FromJson for BTreeMap<String, T> {
    fn from_json(value: &Json) -> Result<Self, DecodeError> {
        decode_new(value)
    }
}

impl<T: FromJson> DecodeInto for BTreeMap<String, T> {
    fn decode_into(&mut self, value: &Json) -> Result<(), DecodeError> {
        decode_members(value, &mut |k, v| {
            self.insert(k.clone(), T::from_json(v)?);
            Ok(())
        })
    }
}

impl<T: ToJson> ToJson for BTreeMap<String, T> {
    fn to_json(&self) -> Json {
        Json::Object(Map::from_entries(
            self.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
        ))
    }
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}

impl<T: DecodeInto + Default> FromJson for SortedMap<T> {
    fn from_json(value: &Json) -> Result<Self, DecodeError> {
        decode_new(value)
    }
}

impl<T: DecodeInto + Default> DecodeInto for SortedMap<T> {
    fn decode_into(&mut self, value: &Json) -> Result<(), DecodeError> {
        // A parsed object has each key once: every member gets a fresh empty value to fill.
        decode_members(value, &mut |k, v| {
            self.get_or_insert_with(k, T::default).decode_into(v)
        })
    }
}

impl<T: ToJson> ToJson for SortedMap<T> {
    fn to_json(&self) -> Json {
        Json::Object(Map::from_entries(
            self.iter().map(|(k, v)| (k.clone(), v.to_json())).collect(),
        ))
    }
    fn is_absent(&self) -> bool {
        self.is_empty()
    }
}
