//! CEL checks for `accessLogging[].filter.expression` and tag-override values.
//!
//! This is the single point where validation meets CEL: when the CEL checker of issue 4
//! (`crate::cel::check`) lands, these two functions should call it instead of [`syntax_error`],
//! which only makes the parse-level check Istio itself makes (balanced brackets and quotes, no
//! dangling operators) and is not a CEL parser.

use crate::finding::Finding;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Istio's `validateTelemetryFilter`: the filter must parse as CEL (an error when it does not).
pub fn check_filter(expression: &str, path: &str) -> Vec<Finding> {
    match syntax_error(expression) {
        None => Vec::new(),
        Some((column, message)) => alloc::vec![
            Finding::error(
                "istio.filter.cel",
                path,
                format!("must be a valid CEL expression, ERROR: <input>:1:{column}: Syntax error: {message}"),
            )
            .with_hint("write a boolean CEL expression such as `response.code >= 400`")
        ],
    }
}

/// A tag-override value must parse as CEL; Istio does not check it, so this is a warning.
pub fn check_tag_value(expression: &str, path: &str) -> Vec<Finding> {
    match syntax_error(expression) {
        None => Vec::new(),
        Some((column, message)) => alloc::vec![
            Finding::warning(
                "cel.tag-value.syntax",
                path,
                format!("tag value is not a valid CEL expression (column {column}): {message}; Istio admits it but the proxy cannot evaluate it"),
            )
            .with_hint("write a CEL expression such as `request.host` or `string(destination.port)`; quote literal strings: `'v1'`")
        ],
    }
}

/// Operators that need an operand on both sides.
const BINARY: [&str; 15] = [
    "&&", "||", "==", "!=", "<=", ">=", "<", ">", "+", "*", "/", "%", "?", ":", ".",
];

/// A parse-level problem: the 1-based column and what is wrong. Linear in the input length.
pub fn syntax_error(expression: &str) -> Option<(usize, String)> {
    let chars: Vec<char> = expression.chars().collect();
    if chars.iter().all(|c| c.is_whitespace()) {
        return Some((
            1,
            "mismatched input '<EOF>': the expression is empty".into(),
        ));
    }
    let mut stack: Vec<(char, usize)> = Vec::new();
    // True when the previous token leaves the expression wanting an operand.
    let mut want_operand = true;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let column = i + 1;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '\'' || c == '"' {
            let close = string_end(&chars, i)?;
            if close.is_none() {
                return Some((column, "unterminated string literal".into()));
            }
            i = close.unwrap_or(i) + 1;
            want_operand = false;
            continue;
        }
        match c {
            '(' | '[' | '{' => {
                stack.push((c, column));
                want_operand = true;
            }
            ')' | ']' | '}' => {
                let open = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                match stack.pop() {
                    Some((o, _)) if o == open => {}
                    _ => return Some((column, format!("extraneous input '{c}'"))),
                }
                want_operand = false;
            }
            ',' => {
                if want_operand {
                    return Some((column, "unexpected ','".into()));
                }
                want_operand = true;
            }
            '!' if chars.get(i + 1) != Some(&'=') => want_operand = true,
            '-' if want_operand => {}
            '-' => want_operand = true,
            _ => {
                let rest: String = chars[i..chars.len().min(i + 2)].iter().collect();
                if let Some(op) = BINARY.iter().find(|op| rest.starts_with(**op)) {
                    if want_operand {
                        return Some((column, format!("mismatched input '{op}'")));
                    }
                    want_operand = true;
                    i += op.len();
                    continue;
                }
                if c == '=' || c == '&' || c == '|' {
                    return Some((column, format!("token recognition error at: '{c}'")));
                }
                // An identifier or number literal: consume it whole.
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                if i == column - 1 {
                    return Some((column, format!("token recognition error at: '{c}'")));
                }
                want_operand = false;
                continue;
            }
        }
        i += 1;
    }
    if let Some((open, column)) = stack.pop() {
        return Some((column, format!("missing closing bracket for '{open}'")));
    }
    if want_operand {
        return Some((chars.len() + 1, "mismatched input '<EOF>'".into()));
    }
    None
}

/// Index of the quote closing the string that starts at `start`; `Some(None)` when unterminated.
fn string_end(chars: &[char], start: usize) -> Option<Option<usize>> {
    let quote = chars[start];
    let mut i = start + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            c if c == quote => return Some(Some(i)),
            _ => i += 1,
        }
    }
    Some(None)
}

#[cfg(test)]
mod tests {
    use super::syntax_error;

    #[test]
    fn istio_vectors() {
        for ok in [
            "response.code >= 400",
            "connection.mtls && request.url_path.contains('v1beta3')",
            "response.code",
            "!has(request.useragent) || !(request.useragent.startsWith(\"Amazon-Route53-Health-Check-Service\"))",
            "response.code >= 400 || xds.cluster_name == 'BlackHoleCluster' || xds.cluster_name == 'PassthroughCluster'",
            "-1 < x",
            "a[0] in [1, 2]",
            "{'a': 1}.a == 1",
        ] {
            assert_eq!(syntax_error(ok), None, "{ok}");
        }
        for bad in [")++++", "", "a &&", "(a", "'open", "a == = b", "&& a"] {
            assert!(syntax_error(bad).is_some(), "{bad}");
        }
    }
}
