//! CEL (Common Expression Language) for Telemetry `accessLogging.filter` expressions and
//! `tagOverrides` values: a parser, a checker over the Envoy/Istio attribute vocabulary, and an
//! evaluator that reads request attributes lazily through [`AttributeSource`].
//!
//! Compile once with [`Program::compile`], evaluate per request with [`Program::evaluate`];
//! check at admission with [`check`].

mod ast;
mod checker;
mod error;
mod eval;
mod functions;
mod lexer;
mod parser;
pub mod regex;
mod sort;
mod source;
mod time;
mod value;
mod vocabulary;

#[cfg(test)]
mod tests;

pub use checker::{Context, Diagnostic, Severity, check};
pub use error::{ErrorKind, EvalError, ParseError};
pub use eval::{Activation, Lookup};
pub use value::{MapValue, Type, Value};

use crate::attributes::AttributeSource;
use alloc::boxed::Box;
use alloc::string::String;
use ast::{Expr, Kind};

/// A parsed expression, ready to evaluate any number of times.
#[derive(Debug, Clone)]
pub struct Program {
    source: Box<str>,
    root: Expr,
}

/// Programs compiled from the same text are the same program.
impl PartialEq for Program {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Program {
    /// Parses `expr`. Errors carry the 1-based column and a short reason; over-long or too deeply
    /// nested expressions are errors too.
    pub fn compile(expr: &str) -> Result<Program, ParseError> {
        let mut root = parser::parse(expr).map_err(|e| parse_error(expr, e.pos, e.reason))?;
        precompile(&mut root);
        Ok(Program {
            source: expr.into(),
            root,
        })
    }

    /// The source text.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Evaluates against a request's attributes. Errors follow CEL: an error is the result
    /// unless `&&`, `||` or a macro absorbs it.
    pub fn evaluate(&self, attrs: &dyn AttributeSource) -> Result<Value, EvalError> {
        self.evaluate_with(&source::Attributes { source: attrs })
    }

    /// Evaluates against any name resolver (test variables, a playground's bindings).
    pub fn evaluate_with(&self, activation: &dyn Activation) -> Result<Value, EvalError> {
        eval::Evaluator::new(activation)
            .eval(&self.root)
            .map_err(|mut e| {
                e.column = position(&self.source, e.offset).1;
                e
            })
    }
}

/// (line, column), both 1-based, of a byte offset; the column counts characters.
pub(crate) fn position(src: &str, offset: u32) -> (u32, u32) {
    let offset = (offset as usize).min(src.len());
    let mut line = 1u32;
    let mut col = 1u32;
    for (i, c) in src.char_indices() {
        if i >= offset {
            break;
        }
        if c == '\n' {
            line += 1;
            col = 1;
        } else {
            col += 1;
        }
    }
    (line, col)
}

fn parse_error(src: &str, offset: u32, reason: String) -> ParseError {
    let (line, column) = position(src, offset);
    ParseError {
        line,
        column,
        reason,
    }
}

/// Compile-time work that saves per-request work: literal regular expressions.
fn precompile(e: &mut Expr) {
    if let Kind::Call { name, target, args } = &mut e.kind
        && &**name == "matches"
    {
        let subject = match (target.take(), args.len()) {
            (Some(t), 1) => Some(t),
            (None, 2) => Some(Box::new(args.remove(0))),
            (t, _) => {
                *target = t;
                None
            }
        };
        if let Some(subject) = subject {
            let compiled = match args.first().map(|a| &a.kind) {
                Some(Kind::Lit(Value::String(p))) => functions::compile_regex(p).ok(),
                _ => None,
            };
            match compiled {
                Some(re) => e.kind = Kind::Matches(subject, Box::new(re)),
                // A bad literal pattern stays a call, so the error surfaces at evaluation.
                None => *target = Some(subject),
            }
        }
    }
    let _ = e.kind.try_for_each_child(&mut |child| {
        precompile(child);
        Ok(())
    });
}
