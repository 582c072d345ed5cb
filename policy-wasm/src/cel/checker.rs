//! Admission-time checks of an expression against the attribute vocabulary.

use alloc::string::String;
use alloc::vec::Vec;

/// Where an expression is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// `accessLogging.filter.expression`.
    Filter,
    /// A `tagOverrides` value.
    TagValue,
}

/// Severity of a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Error.
    Error,
    /// Warning.
    Warning,
}

/// One finding about an expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Severity.
    pub severity: Severity,
    /// Column.
    pub column: u32,
    /// Message.
    pub message: String,
    /// Hint.
    pub hint: Option<String>,
}

/// Checks.
pub fn check(_expr: &str, _context: Context) -> Vec<Diagnostic> {
    Vec::new()
}
