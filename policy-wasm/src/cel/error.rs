//! The errors of compiling and evaluating an expression.

use alloc::string::String;
use thiserror::Error;

/// Why an expression does not parse.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("syntax error at column {column}: {reason}")]
pub struct ParseError {
    /// 1-based line of the error (expressions are usually one line).
    pub line: u32,
    /// 1-based column of the error within its line, counted in characters.
    pub column: u32,
    /// What is wrong, in a few words.
    pub reason: String,
}

/// An evaluation error and where in the expression it happened. Errors are values in CEL:
/// `&&`, `||` and the `all`/`exists` macros absorb them when the other side decides the result.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("{kind} (column {column})")]
pub struct EvalError {
    /// 1-based column of the sub-expression that failed.
    pub column: u32,
    /// What went wrong.
    pub kind: ErrorKind,
    /// Byte offset of the sub-expression (turned into `column` before the error is returned).
    pub(crate) offset: u32,
}

impl EvalError {
    pub(crate) fn at(offset: u32, kind: ErrorKind) -> EvalError {
        EvalError {
            column: 0,
            kind,
            offset,
        }
    }
}

/// The kinds of evaluation error.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ErrorKind {
    /// A known attribute has no value for this request (e.g. `request.useragent` on TCP).
    #[error("no such attribute '{0}'")]
    NoSuchAttribute(String),
    /// A name that is neither an attribute the source knows nor a variable.
    #[error("unknown attribute or variable '{0}'")]
    UnknownName(String),
    /// A map has no entry under the key (or a value has no such field).
    #[error("no such key: {0}")]
    NoSuchKey(String),
    /// A list index outside the list.
    #[error("index {index} out of range for a list of {len} elements")]
    IndexOutOfRange {
        /// The index asked for.
        index: String,
        /// The list length.
        len: usize,
    },
    /// An operator or function applied to argument types it has no overload for.
    #[error("no matching overload for '{function}' applied to ({args})")]
    NoMatchingOverload {
        /// The function or operator.
        function: String,
        /// The argument types, comma-separated.
        args: String,
    },
    /// A function this implementation does not have.
    #[error("unknown function '{0}'")]
    UnknownFunction(String),
    /// Integer division by zero.
    #[error("division by zero")]
    DivisionByZero,
    /// Integer modulus by zero.
    #[error("modulus by zero")]
    ModulusByZero,
    /// Integer arithmetic overflowed 64 bits.
    #[error("integer overflow in '{0}'")]
    Overflow(&'static str),
    /// A conversion or timestamp/duration result outside its type's range.
    #[error("range error: {0}")]
    Range(String),
    /// A conversion whose input has the wrong form (e.g. `int('abc')`).
    #[error("conversion error: {0}")]
    Conversion(String),
    /// An argument with the right type but an unusable value (bad regex, unknown time zone).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A map literal with a key that is not bool, int, uint or string, or a repeated key.
    #[error("invalid map key: {0}")]
    InvalidMapKey(String),
    /// The attribute source returned bytes that do not decode as the attribute's type.
    #[error("attribute '{0}' has a malformed value")]
    MalformedAttribute(String),
    /// The evaluation took more steps than its budget (runaway comprehensions).
    #[error("evaluation exceeded its budget of {0} steps")]
    Budget(u64),
}
