//! Tracing merge (istiod's `Telemetries.Tracing`): a shallow, field-by-field override.

use crate::model::{CustomTag, MeshConfig, Tracing, WorkloadMode};
use crate::sorted_map::SortedMap;
use crate::workload::Mode;
use alloc::string::String;

/// Tracing for one mode after the merge.
#[derive(Debug, Clone, PartialEq)]
pub struct TracingPolicy {
    /// The provider as MeshConfig names it; `None` when no provider is set or it does not exist.
    pub provider: Option<String>,
    /// True when spans are not reported (explicitly, or because there is no provider).
    pub disabled: bool,
    /// Sampling percentage; `None` keeps the proxy's default.
    pub random_sampling_percentage: Option<f64>,
    /// Custom tags, replaced whole by the last entry that sets them.
    pub custom_tags: Option<SortedMap<CustomTag>>,
    /// Use the request id for the sampling decision.
    pub use_request_id_for_trace_sampling: bool,
    /// Add Istio's span tags.
    pub enable_istio_tags: bool,
    /// Stop forwarding trace context headers.
    pub disable_context_propagation: bool,
}

/// Merges tracing entries (flattened in override order) for `mode`. `None` when no entry and no
/// `defaultProviders.tracing` configure tracing (Istio then falls back to MeshConfig tracing).
pub fn merge_tracing(entries: &[&Tracing], mesh: &MeshConfig, mode: Mode) -> Option<TracingPolicy> {
    let defaults = &mesh.default_providers.tracing;
    if entries.is_empty() && defaults.is_empty() {
        return None;
    }
    let fetch = |name: &str| mesh.provider(name).map(|p| p.name.clone());
    let mut spec = TracingPolicy {
        provider: defaults.first().and_then(|d| fetch(d)),
        disabled: false,
        random_sampling_percentage: None,
        custom_tags: None,
        use_request_id_for_trace_sampling: true,
        enable_istio_tags: true,
        disable_context_propagation: false,
    };
    for entry in entries {
        let applies = match entry.match_.as_ref().map(|m| m.mode) {
            None | Some(WorkloadMode::ClientAndServer) => true,
            Some(WorkloadMode::Client) => mode == Mode::Client,
            Some(WorkloadMode::Server) => mode == Mode::Server,
        };
        if !applies {
            continue;
        }
        // Only the first provider of an entry is used.
        if let Some(first) = entry.providers.first() {
            spec.provider = fetch(&first.name);
        }
        if let Some(v) = entry.disable_span_reporting {
            spec.disabled = v;
        }
        if let Some(tags) = &entry.custom_tags {
            spec.custom_tags = Some(tags.clone());
        }
        if let Some(v) = entry.random_sampling_percentage {
            spec.random_sampling_percentage = Some(v);
        }
        if let Some(v) = entry.use_request_id_for_trace_sampling {
            spec.use_request_id_for_trace_sampling = v;
        }
        if let Some(v) = entry.enable_istio_tags {
            spec.enable_istio_tags = v;
        }
        if let Some(v) = entry.disable_context_propagation {
            spec.disable_context_propagation = v;
        }
    }
    if spec.provider.is_none() {
        spec.disabled = true;
    }
    Some(spec)
}

crate::json_struct!(encode TracingPolicy {
    "provider" => provider, "disabled" => disabled,
    "randomSamplingPercentage" => random_sampling_percentage [optional],
    "customTags" => custom_tags [optional],
    "useRequestIdForTraceSampling" => use_request_id_for_trace_sampling,
    "enableIstioTags" => enable_istio_tags,
    "disableContextPropagation" => disable_context_propagation,
});
