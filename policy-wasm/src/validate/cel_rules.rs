//! CEL checks for `accessLogging[].filter.expression` and tag-override values: the parse check
//! Istio makes (an error, with Istio's message), then meshtel's checker over the Envoy/Istio
//! attribute vocabulary (a filter must be boolean, unknown attributes, HTTP-only attributes in
//! expressions that also run for TCP).

use crate::cel::{self, Context, Diagnostic, Program};
use crate::finding::Finding;
use alloc::format;
use alloc::vec::Vec;

/// Checker diagnostics become warnings: Istio admits any expression that parses, and admission
/// stays exactly as strict as Istio; the warning says what will go wrong in the proxy.
fn to_findings(diagnostics: Vec<Diagnostic>, rule: &'static str, path: &str) -> Vec<Finding> {
    diagnostics
        .into_iter()
        .map(|d| {
            let message = format!("column {}: {}", d.column, d.message);
            let finding = Finding::warning(rule, path, message);
            match d.hint {
                Some(hint) => finding.with_hint(hint),
                None => finding,
            }
        })
        .collect()
}

/// Istio's `validateTelemetryFilter` (the filter must parse as CEL), then meshtel's checker.
pub fn check_filter(expression: &str, path: &str) -> Vec<Finding> {
    if let Err(e) = Program::compile(expression) {
        return alloc::vec![
            Finding::error(
                "istio.filter.cel",
                path,
                format!(
                    "must be a valid CEL expression, ERROR: <input>:{}:{}: Syntax error: {}",
                    e.line, e.column, e.reason
                ),
            )
            .with_hint("write a boolean CEL expression such as `response.code >= 400`")
        ];
    }
    to_findings(cel::check(expression, Context::Filter), "cel.filter", path)
}

/// A tag-override value must be CEL giving a string (or a value Istio converts). Istio does not
/// check it at admission, so a syntax error is a warning: the proxy would report `unknown`.
pub fn check_tag_value(expression: &str, path: &str) -> Vec<Finding> {
    if let Err(e) = Program::compile(expression) {
        return alloc::vec![
            Finding::warning(
                "cel.tag-value.syntax",
                path,
                format!("tag value is not a valid CEL expression (column {}): {}; Istio admits it but the proxy cannot evaluate it", e.column, e.reason),
            )
            .with_hint("write a CEL expression such as `request.host` or `string(destination.port)`; quote literal strings: `'v1'`")
        ];
    }
    to_findings(
        cel::check(expression, Context::TagValue),
        "cel.tag-value",
        path,
    )
}

#[cfg(test)]
mod tests {
    use super::check_filter;

    fn parse_errors(expr: &str) -> usize {
        check_filter(expr, "f")
            .iter()
            .filter(|f| f.rule == "istio.filter.cel")
            .count()
    }

    #[test]
    fn istio_vectors() {
        for ok in [
            "response.code >= 400",
            "connection.mtls && request.url_path.contains('v1beta3')",
            "response.code",
            "!has(request.useragent) || !(request.useragent.startsWith(\"Amazon-Route53-Health-Check-Service\"))",
            "response.code >= 400 || xds.cluster_name == 'BlackHoleCluster' || xds.cluster_name == 'PassthroughCluster'",
        ] {
            assert_eq!(parse_errors(ok), 0, "{ok}");
        }
        for bad in [")++++", "", "a &&", "(a", "'open", "a == = b", "&& a"] {
            assert_eq!(parse_errors(bad), 1, "{bad}");
        }
    }
}
