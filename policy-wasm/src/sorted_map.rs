//! [`SortedMap`] and [`SortedSet`]: string-keyed collections kept as sorted vectors.
//!
//! They iterate in key order as `BTreeMap<String, V>` does, so every output built from them keeps
//! its order. Keys live in their own `Vec<String>`, so the search is compiled once for all value
//! types instead of a B-tree per value type: the maps here hold a handful of entries, and the B-tree
//! code was tens of kilobytes of the proxy filter.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A map from `String` to `V`, iterated in key order.
#[derive(Clone, PartialEq, Eq)]
pub struct SortedMap<V> {
    keys: Vec<String>,
    values: Vec<V>,
}

/// Where `key` is among the sorted `keys`: `Ok(index)` when present, else `Err(insertion point)`.
#[inline(never)]
fn search(keys: &[String], key: &str) -> Result<usize, usize> {
    keys.binary_search_by(|k| k.as_str().cmp(key))
}

impl<V> Default for SortedMap<V> {
    fn default() -> Self {
        SortedMap {
            keys: Vec::new(),
            values: Vec::new(),
        }
    }
}

impl<V> SortedMap<V> {
    /// An empty map.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when there are no entries.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The value of `key`.
    pub fn get(&self, key: &str) -> Option<&V> {
        search(&self.keys, key).ok().map(|i| &self.values[i])
    }

    /// The value of `key`, mutably.
    pub fn get_mut(&mut self, key: &str) -> Option<&mut V> {
        search(&self.keys, key).ok().map(|i| &mut self.values[i])
    }

    /// True when `key` is present.
    pub fn contains_key(&self, key: &str) -> bool {
        search(&self.keys, key).is_ok()
    }

    /// Sets `key` to `value`; the previous value, if any.
    pub fn insert(&mut self, key: String, value: V) -> Option<V> {
        match search(&self.keys, &key) {
            Ok(i) => Some(core::mem::replace(&mut self.values[i], value)),
            Err(i) => {
                self.keys.insert(i, key);
                self.values.insert(i, value);
                None
            }
        }
    }

    /// The value of `key`, inserted from `make` first when absent (`entry().or_insert_with()`).
    pub fn get_or_insert_with(&mut self, key: &str, make: impl FnOnce() -> V) -> &mut V {
        let i = match search(&self.keys, key) {
            Ok(i) => i,
            Err(i) => {
                self.keys.insert(i, key.into());
                self.values.insert(i, make());
                i
            }
        };
        &mut self.values[i]
    }

    /// Removes `key`; its value, if it was present.
    pub fn remove(&mut self, key: &str) -> Option<V> {
        let i = search(&self.keys, key).ok()?;
        self.keys.remove(i);
        Some(self.values.remove(i))
    }

    /// Entries in key order.
    pub fn iter(&self) -> core::iter::Zip<core::slice::Iter<'_, String>, core::slice::Iter<'_, V>> {
        self.keys.iter().zip(self.values.iter())
    }

    /// Keys in order.
    pub fn keys(&self) -> core::slice::Iter<'_, String> {
        self.keys.iter()
    }

    /// Values in key order.
    pub fn values(&self) -> core::slice::Iter<'_, V> {
        self.values.iter()
    }
}

impl<V: fmt::Debug> fmt::Debug for SortedMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V> FromIterator<(String, V)> for SortedMap<V> {
    /// Entries in any order; for a repeated key the last value wins, as in `BTreeMap`.
    fn from_iter<I: IntoIterator<Item = (String, V)>>(iter: I) -> Self {
        let mut map = SortedMap::new();
        for (key, value) in iter {
            map.insert(key, value);
        }
        map
    }
}

impl<V, const N: usize> From<[(String, V); N]> for SortedMap<V> {
    fn from(entries: [(String, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<V> IntoIterator for SortedMap<V> {
    type Item = (String, V);
    type IntoIter = core::iter::Zip<alloc::vec::IntoIter<String>, alloc::vec::IntoIter<V>>;
    fn into_iter(self) -> Self::IntoIter {
        self.keys.into_iter().zip(self.values)
    }
}

impl<'a, V> IntoIterator for &'a SortedMap<V> {
    type Item = (&'a String, &'a V);
    type IntoIter = core::iter::Zip<core::slice::Iter<'a, String>, core::slice::Iter<'a, V>>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// A set of strings, iterated in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SortedSet {
    keys: Vec<String>,
}

impl SortedSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// True when there are no members.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// True when `key` is a member.
    pub fn contains(&self, key: &str) -> bool {
        search(&self.keys, key).is_ok()
    }

    /// Adds `key`; false when it was already a member.
    pub fn insert(&mut self, key: String) -> bool {
        match search(&self.keys, &key) {
            Ok(_) => false,
            Err(i) => {
                self.keys.insert(i, key);
                true
            }
        }
    }

    /// Removes `key`; false when it was not a member.
    pub fn remove(&mut self, key: &str) -> bool {
        match search(&self.keys, key) {
            Ok(i) => {
                self.keys.remove(i);
                true
            }
            Err(_) => false,
        }
    }

    /// Members in order.
    pub fn iter(&self) -> core::slice::Iter<'_, String> {
        self.keys.iter()
    }
}

impl FromIterator<String> for SortedSet {
    fn from_iter<I: IntoIterator<Item = String>>(iter: I) -> Self {
        let mut set = SortedSet::new();
        for key in iter {
            set.insert(key);
        }
        set
    }
}

impl IntoIterator for SortedSet {
    type Item = String;
    type IntoIter = alloc::vec::IntoIter<String>;
    fn into_iter(self) -> Self::IntoIter {
        self.keys.into_iter()
    }
}
