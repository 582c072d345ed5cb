//! `validateTelemetryAccessLogging`: provider names and the filter's CEL parse.

use super::{cel_rules, check_provider_names, entries};
use crate::finding::Finding;
use crate::input::key_path;
use crate::json::Json;
use alloc::vec::Vec;

pub(super) fn check(spec: &Json, findings: &mut Vec<Finding>) {
    for (path, entry) in entries(spec, "accessLogging", "spec") {
        if !entry.is_object() {
            continue;
        }
        if let Some(expression) = entry.get("filter").and_then(|f| f.get("expression")) {
            let text = expression.as_str().unwrap_or("");
            let at = key_path(&key_path(&path, "filter"), "expression");
            findings.extend(cel_rules::check_filter(text, &at));
        }
        check_provider_names(entry, &path, findings);
    }
}
