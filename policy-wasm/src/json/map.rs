//! A JSON object: a small vector of entries.
//!
//! Parsed objects are sorted by key with the last duplicate kept (what serde_json's `BTreeMap`
//! gave); [`Map::insert`] keeps that order. Struct encoders append in field order instead
//! ([`Map::push`]), which is why lookups scan rather than binary-search.

use super::Json;
use alloc::string::String;
use alloc::vec::Vec;

/// A JSON object.
#[derive(Debug, Clone, Default)]
pub struct Map {
    entries: Vec<(String, Json)>,
}

impl Map {
    /// An empty object.
    pub fn new() -> Map {
        Map::default()
    }

    /// An object from entries as written, sorted by key with the last duplicate kept.
    pub fn from_entries(mut entries: Vec<(String, Json)>) -> Map {
        // Stable sort keeps duplicates in document order, so the last of each run wins.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(String, Json)> = Vec::with_capacity(entries.len());
        for entry in entries {
            match out.last_mut() {
                Some(last) if last.0 == entry.0 => *last = entry,
                _ => out.push(entry),
            }
        }
        Map { entries: out }
    }

    /// Appends an entry without ordering it (struct encoders: fields in declaration order).
    pub fn push(&mut self, key: impl Into<String>, value: Json) {
        self.entries.push((key.into(), value));
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|(k, _)| k == key)
    }

    /// Sets `key`, replacing and returning an existing value; new keys go in sorted position.
    pub fn insert(&mut self, key: impl Into<String>, value: Json) -> Option<Json> {
        let key = key.into();
        if let Some(i) = self.position(&key) {
            return Some(core::mem::replace(&mut self.entries[i].1, value));
        }
        let at = self.entries.partition_point(|(k, _)| *k < key);
        self.entries.insert(at, (key, value));
        None
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&Json> {
        self.position(key).map(|i| &self.entries[i].1)
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        self.position(key).map(|i| &mut self.entries[i].1)
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    /// Removes `key` and returns its value.
    pub fn remove(&mut self, key: &str) -> Option<Json> {
        self.position(key).map(|i| self.entries.remove(i).1)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True for `{}`.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Entries in order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&String, &Json)> + ExactSizeIterator {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Entries in order, values mutable.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&String, &mut Json)> {
        self.entries.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// Keys in order.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = &String> + ExactSizeIterator {
        self.entries.iter().map(|(k, _)| k)
    }

    /// Values in order.
    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Json> + ExactSizeIterator {
        self.entries.iter().map(|(_, v)| v)
    }
}

impl PartialEq for Map {
    /// Equal members regardless of order (a struct's object and a parsed one may differ in order).
    fn eq(&self, other: &Map) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl IntoIterator for Map {
    type Item = (String, Json);
    type IntoIter = alloc::vec::IntoIter<(String, Json)>;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.into_iter()
    }
}

impl<'a> IntoIterator for &'a Map {
    type Item = (&'a String, &'a Json);
    type IntoIter = core::iter::Map<
        core::slice::Iter<'a, (String, Json)>,
        fn(&'a (String, Json)) -> (&'a String, &'a Json),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

impl FromIterator<(String, Json)> for Map {
    fn from_iter<I: IntoIterator<Item = (String, Json)>>(iter: I) -> Map {
        Map::from_entries(iter.into_iter().collect())
    }
}
