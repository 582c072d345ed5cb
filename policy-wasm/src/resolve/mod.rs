//! Effective configuration: what istiod computes for one workload and mode from a set of Telemetry
//! resources, ported from istio/istio `pilot/pkg/model/telemetry.go` (checked against master of
//! 2026-08-22, 1.31.0-alpha).

mod applicable;
mod logging;
mod metrics;
mod tracing;

pub use applicable::{Applicable, applicable_telemetries};
pub use logging::{AccessLogPolicy, merge_access_logging};
pub use metrics::{MetricOverride, MetricsPolicy, ModeMetrics, TagPolicy, merge_metrics};
pub use tracing::{TracingPolicy, merge_tracing};

use crate::model::{MeshConfig, Metrics, Telemetry, Tracing};
use crate::workload::{Mode, Workload};
use alloc::vec::Vec;

/// Everything resolution needs besides the workload.
#[derive(Debug, Clone, Copy)]
pub struct Scene<'a> {
    /// All Telemetry resources of the mesh (any namespace), oldest first.
    pub telemetries: &'a [Telemetry],
    /// The mesh config, with the built-in providers included.
    pub mesh: &'a MeshConfig,
    /// The root namespace (`istio-system` upstream, `aks-istio-system` on AKS).
    pub root_namespace: &'a str,
}

/// The configuration one workload ends up with in one mode.
#[derive(Debug, Clone, PartialEq)]
pub struct Effective {
    /// The mode this was computed for.
    pub mode: Mode,
    /// The resources that contributed, root first.
    pub sources: Vec<alloc::string::String>,
    /// Access logging per provider, sorted by provider name. `None` means no Telemetry configures
    /// logging, so the legacy MeshConfig settings apply.
    pub access_logging: Option<Vec<AccessLogPolicy>>,
    /// Metrics per provider (both modes, as istiod computes them), sorted by provider name.
    pub metrics: Vec<MetricsPolicy>,
    /// Tracing for this mode; `None` means MeshConfig's legacy tracing applies.
    pub tracing: Option<TracingPolicy>,
}

/// Resolves the effective configuration of `workload` in `mode`.
pub fn resolve(scene: &Scene<'_>, workload: &Workload, mode: Mode) -> Effective {
    let applicable = applicable_telemetries(scene, workload);
    let tracing: Vec<&Tracing> = applicable
        .levels
        .iter()
        .flat_map(|t| t.spec.tracing.iter())
        .collect();
    Effective {
        mode,
        sources: applicable.sources(),
        access_logging: merge_access_logging(&applicable, scene.mesh, mode),
        metrics: resolve_metrics(&applicable, scene.mesh),
        tracing: merge_tracing(&tracing, scene.mesh, mode),
    }
}

/// The metrics part of [`resolve`] (both modes at once, as istiod computes them), for callers that
/// need nothing else.
pub fn resolve_metrics(applicable: &Applicable<'_>, mesh: &MeshConfig) -> Vec<MetricsPolicy> {
    let entries: Vec<&Metrics> = applicable
        .levels
        .iter()
        .flat_map(|t| t.spec.metrics.iter())
        .collect();
    merge_metrics(&entries, mesh)
}

/// Sorts resources as istiod does: by creation time, then name, then namespace.
pub fn sort_like_istiod(telemetries: &mut [Telemetry]) {
    telemetries.sort_by(|a, b| {
        a.metadata
            .creation_timestamp
            .cmp(&b.metadata.creation_timestamp)
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
            .then_with(|| a.metadata.namespace.cmp(&b.metadata.namespace))
    });
}

crate::json_struct!(encode Effective {
    "mode" => mode, "sources" => sources, "accessLogging" => access_logging,
    "metrics" => metrics, "tracing" => tracing,
});
