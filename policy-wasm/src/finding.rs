//! Findings: severity, stable rule id, field path, message, hint.
