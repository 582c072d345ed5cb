//! Control-plane revision names (`asm-1-22`, `1-22-3`, `default`) and their order.

use alloc::string::String;
use alloc::vec::Vec;

/// A revision as its prefix and numeric parts: `asm-1-22` is (`asm`, [1, 22]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// Text before the first number (`asm-`).
    pub prefix: String,
    /// The numbers in order.
    pub numbers: Vec<u64>,
}

impl Revision {
    /// Parses a revision; `None` when it has no version numbers (`default`, `canary`).
    pub fn parse(text: &str) -> Option<Revision> {
        let start = text.find(|c: char| c.is_ascii_digit())?;
        let numbers = text[start..]
            .split(|c: char| !c.is_ascii_digit())
            .filter(|part| !part.is_empty())
            .map(|part| crate::num::parse_u64(part, 10))
            .collect::<Option<Vec<u64>>>()?;
        Some(Revision {
            prefix: text[..start].into(),
            numbers,
        })
    }
}

impl PartialOrd for Revision {
    /// Only revisions with the same prefix are ordered (`asm-1-21` < `asm-1-22`).
    fn partial_cmp(&self, other: &Self) -> Option<core::cmp::Ordering> {
        (self.prefix == other.prefix).then(|| self.numbers.cmp(&other.numbers))
    }
}
