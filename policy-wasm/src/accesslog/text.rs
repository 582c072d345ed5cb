//! TEXT records: the format string's literal text with each operator's value spliced in.

use super::format::{FormatError, Piece, parse};
use super::render::{Value, evaluate, put};
use crate::attributes::AttributeSource;
use alloc::vec::Vec;

/// A compiled TEXT formatter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextFormatter {
    pieces: Vec<Piece>,
    omit_empty_values: bool,
}

impl TextFormatter {
    /// Compiles `format`; a trailing newline is dropped (the proxy log adds its own line break).
    pub fn new(format: &str, omit_empty_values: bool) -> Result<Self, FormatError> {
        let format = format.strip_suffix('\n').unwrap_or(format);
        Ok(TextFormatter {
            pieces: parse(format)?,
            omit_empty_values,
        })
    }

    /// Istio's default TEXT formatter.
    pub fn istio_default() -> Self {
        Self::istio_default_with(false)
    }

    /// Istio's default TEXT formatter with `omitEmptyValues` as given.
    pub fn istio_default_with(omit_empty_values: bool) -> Self {
        Self::new(super::ISTIO_TEXT_FORMAT, omit_empty_values).unwrap_or(TextFormatter {
            pieces: Vec::new(),
            omit_empty_values,
        })
    }

    /// Renders one record for the request behind `src`, appending to `out`.
    pub fn render(&self, src: &dyn AttributeSource, out: &mut Vec<u8>) {
        render_pieces(&self.pieces, src, self.omit_empty_values, out);
    }

    /// The number of command operators (for tests and diagnostics).
    pub fn operator_count(&self) -> usize {
        self.pieces
            .iter()
            .filter(|p| matches!(p, Piece::Command(_)))
            .count()
    }
}

/// Renders pieces as text: unset values print `-` (or nothing with `omit_empty_values`).
pub fn render_pieces(
    pieces: &[Piece],
    src: &dyn AttributeSource,
    omit_empty_values: bool,
    out: &mut Vec<u8>,
) {
    for piece in pieces {
        match piece {
            Piece::Literal(text) => put(out, text),
            Piece::Command(cmd) => {
                let start = out.len();
                if evaluate(&cmd.operator, src, out) == Value::Absent && !omit_empty_values {
                    out.push(b'-');
                }
                if let Some(max) = cmd.max_len {
                    out.truncate(start + max.min(out.len() - start));
                }
            }
        }
    }
}
