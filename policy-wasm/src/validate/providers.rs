//! Provider references against the mesh config: existence (istiod's case-insensitive
//! `fetchProvider`), and the istioctl analyze provider checks IST0157 and IST0002.

use super::entries;
use crate::finding::Finding;
use crate::input::key_path;
use crate::json::Json;
use crate::model::MeshConfig;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Findings for the providers `spec` names, given `mesh` (built-in providers included).
pub fn check_providers(spec: &Json, mesh: &MeshConfig) -> Vec<Finding> {
    let mut findings = Vec::new();
    let known: Vec<&str> = mesh
        .extension_providers
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    for section in ["accessLogging", "metrics", "tracing"] {
        for (path, entry) in entries(spec, section, "spec") {
            for (ppath, provider) in entries(entry, "providers", &path) {
                let Some(name) = provider
                    .get("name")
                    .and_then(Json::as_str)
                    .filter(|n| !n.is_empty())
                else {
                    continue;
                };
                let npath = key_path(&ppath, "name");
                match mesh.provider(name) {
                    None => findings.push(unknown(name, &npath, &known)),
                    Some(p) if section == "tracing" && p.kind() == "lightstep" => findings.push(
                        Finding::warning(
                            "istio.analyze.deprecated",
                            npath,
                            format!("IST0002: The Lightstep provider {name} is deprecated, please migrate to OpenTelemetry provider."),
                        )
                        .with_hint("define an `opentelemetry` extension provider and point tracing at it"),
                    ),
                    Some(_) => {}
                }
            }
        }
    }
    if mesh.default_providers.access_logging.is_empty() {
        for (path, entry) in entries(spec, "accessLogging", "spec") {
            let disabled = entry.get("disabled").and_then(Json::as_bool) == Some(true);
            let providers = entry
                .get("providers")
                .and_then(Json::as_array)
                .map_or(0, Vec::len);
            if !disabled && providers == 0 {
                findings.push(
                    Finding::warning(
                        "istio.analyze.empty-providers",
                        path,
                        "IST0157: the accessLogging entry has no providers and MeshConfig has no \
                         defaultProviders.accessLogging, so it will be ignored (unless an earlier entry \
                         or a parent level names providers it inherits)",
                    )
                    .with_hint("add `providers: [{name: envoy}]` to the entry (a filter must sit in the same entry as its providers)"),
                );
            }
        }
    }
    findings
}

fn unknown(name: &str, path: &str, known: &[&str]) -> Finding {
    let mut hint =
        String::from("define it in MeshConfig `extensionProviders` (pass it with --mesh-config)");
    if let Some(best) = crate::schema::did_you_mean(name, known.iter().copied()) {
        hint = format!("did you mean `{best}`? Otherwise {hint}");
    }
    Finding::error(
        "mesh.provider.unknown",
        path,
        format!(
            "provider `{name}` is not defined in the mesh config (known: {}); istiod ignores it",
            known.join(", ")
        ),
    )
    .with_hint(hint)
}
