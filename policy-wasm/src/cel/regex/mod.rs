//! A small linear-time regular-expression matcher for CEL `matches` (RE2 syntax).
//!
//! The pattern is parsed into a [`Node`](parse::Node) tree, compiled into a Thompson NFA
//! program and run as a Pike VM without capture slots: CEL only asks *whether* a string
//! matches, so a set of program counters per input position is enough and the running time is
//! O(pattern × input). Lazy and greedy repetitions therefore compile the same.
//!
//! Semantics follow RE2 where it matters for CEL: the input is a sequence of Unicode code
//! points (`.` is one code point), `\d \w \s \b` are ASCII, `$` without `(?m)` matches only at
//! the very end. Deliberate gaps, each rejected as an error rather than silently misread:
//! Unicode classes (`\p{..}`), `\Q..\E`, octal escapes and backreferences. Case-insensitive
//! matching folds ASCII letters only (like `regex-lite`, which this replaced), so that the
//! module does not carry Unicode case tables.

mod compile;
mod parse;
mod pike;

use alloc::boxed::Box;
use thiserror::Error;

/// Why a pattern does not compile.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("regular expression error at column {column}: {reason}")]
pub struct RegexError {
    /// 1-based column in the pattern, counted in characters.
    pub column: u32,
    /// What is wrong, in a few words.
    pub reason: &'static str,
}

/// A compiled pattern; [`Regex::is_match`] searches for it anywhere in a string.
#[derive(Debug, Clone)]
pub struct Regex {
    pattern: Box<str>,
    program: compile::Program,
}

impl Regex {
    /// Compiles an RE2-syntax pattern, rejecting patterns past the size and nesting limits.
    pub fn new(pattern: &str) -> Result<Regex, RegexError> {
        let tree = parse::parse(pattern)?;
        let program = compile::compile(&tree).map_err(|reason| RegexError { column: 1, reason })?;
        Ok(Regex {
            pattern: pattern.into(),
            program,
        })
    }

    /// Whether the pattern matches some substring of `text`.
    pub fn is_match(&self, text: &str) -> bool {
        pike::is_match(&self.program, text)
    }

    /// The source pattern.
    pub fn as_str(&self) -> &str {
        &self.pattern
    }
}
