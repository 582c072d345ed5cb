//! Findings: severity, stable rule id, field path, message, hint.

use alloc::string::String;

/// How bad a finding is: errors deny admission, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Istio (or the support scope) rejects the resource.
    Error,
    /// Admitted, but probably not what the author meant.
    Warning,
}

impl Severity {
    /// Lower-case name (`error` / `warning`).
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// One problem found in one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// `error` or `warning`.
    pub severity: Severity,
    /// Stable id such as `istio.selector.wildcard` or `aks.blocked`.
    pub rule: String,
    /// Field path such as `spec.accessLogging[0].filter.expression`; empty for the whole resource.
    pub path: String,
    /// What is wrong, in words an operator can act on.
    pub message: String,
    /// How to fix it, when known.
    pub hint: Option<String>,
    /// 1-based line of `path` in the input, when the input had positions (YAML).
    pub line: Option<usize>,
}

impl Finding {
    /// A finding of `severity` without hint or line.
    pub fn new(
        severity: Severity,
        rule: impl Into<String>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            severity,
            rule: rule.into(),
            path: path.into(),
            message: message.into(),
            hint: None,
            line: None,
        }
    }

    /// An error finding.
    pub fn error(
        rule: impl Into<String>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Error, rule, path, message)
    }

    /// A warning finding.
    pub fn warning(
        rule: impl Into<String>,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Self::new(Severity::Warning, rule, path, message)
    }

    /// This finding with a hint.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

crate::json_enum!(Severity { "error" => Error, "warning" => Warning });
crate::json_struct!(encode Finding {
    "severity" => severity, "rule" => rule, "path" => path, "message" => message,
    "hint" => hint, "line" => line [optional],
});
