//! Istio's validation of Telemetry resources (ValidateTelemetry and the CRD's CEL rules).
//!
//! Rules work on the JSON form of `spec` rather than the typed model because several of Istio's
//! checks are about presence and `null` (a `null` override, an empty `customMetric`), which the
//! typed model cannot tell apart. Type errors are the schema walk's job (`crate::schema`); here a
//! value of the wrong type is simply skipped.

pub mod cel_rules;
mod duration;
mod logging;
mod metrics;
mod providers;
mod target;
mod tracing;

pub use duration::parse_duration_nanos;
pub use providers::check_providers;

use crate::finding::Finding;
use crate::input::index_path;
use crate::json::Json;
use alloc::vec::Vec;

/// All of Istio's per-resource rules for one Telemetry `spec`.
pub fn validate(spec: &Json) -> Vec<Finding> {
    let mut findings = Vec::new();
    target::check(spec, &mut findings);
    metrics::check(spec, &mut findings);
    tracing::check(spec, &mut findings);
    logging::check(spec, &mut findings);
    findings
}

/// The entries of the list `spec.<key>` with their paths; nothing when it is not a list.
pub(crate) fn entries<'v>(
    parent: &'v Json,
    key: &str,
    path: &str,
) -> Vec<(alloc::string::String, &'v Json)> {
    let base = crate::input::key_path(path, key);
    match parent.get(key) {
        Some(Json::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| (index_path(&base, i), v))
            .collect(),
        _ => Vec::new(),
    }
}

/// Istio's `validateTelemetryProviders`: the first provider without a name is an error.
pub(crate) fn check_provider_names(entry: &Json, path: &str, findings: &mut Vec<Finding>) {
    for (p, provider) in entries(entry, "providers", path) {
        let name = provider.get("name").and_then(Json::as_str).unwrap_or("");
        if name.is_empty() {
            let at = if provider.is_object() {
                crate::input::key_path(&p, "name")
            } else {
                p
            };
            findings.push(
                Finding::error("istio.provider.empty-name", at, "providers.name may not be empty")
                    .with_hint("name a provider from MeshConfig `extensionProviders` (or `envoy`, `prometheus`)"),
            );
            // Istio returns after the first empty name of a list.
            return;
        }
    }
}
