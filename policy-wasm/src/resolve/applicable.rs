//! Which Telemetry resources apply to a workload, in override order (istiod's `applicableTelemetries`).

use super::Scene;
use crate::model::Telemetry;
use crate::workload::Workload;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// The resources that apply to one workload: root, namespace, workload level (each optional).
#[derive(Debug, Clone, Default)]
pub struct Applicable<'a> {
    /// Levels in override order; later entries override earlier ones.
    pub levels: Vec<&'a Telemetry>,
}

impl Applicable<'_> {
    /// `namespace/name` of each contributing resource, root first.
    pub fn sources(&self) -> Vec<String> {
        self.levels
            .iter()
            .map(|t| format!("{}/{}", t.metadata.namespace, t.metadata.name))
            .collect()
    }
}

/// True when the resource has neither selector labels nor target references (istiod's test).
fn is_namespace_wide(t: &Telemetry) -> bool {
    !t.has_selector() && !has_target_refs(t)
}

fn has_target_refs(t: &Telemetry) -> bool {
    t.spec.target_ref.is_some() || t.spec.target_refs.as_ref().is_some_and(|r| !r.is_empty())
}

/// The first namespace-wide Telemetry of `namespace` (Istio keeps the oldest one).
fn namespace_wide<'a>(scene: &Scene<'a>, namespace: &str) -> Option<&'a Telemetry> {
    scene
        .telemetries
        .iter()
        .find(|t| t.metadata.namespace == namespace && is_namespace_wide(t))
}

/// Collects root → namespace → matching workload selectors, as istiod does for a sidecar.
pub fn applicable_telemetries<'a>(scene: &Scene<'a>, workload: &Workload) -> Applicable<'a> {
    let mut levels = Vec::new();
    if !scene.root_namespace.is_empty() {
        levels.extend(namespace_wide(scene, scene.root_namespace));
    }
    if workload.namespace != scene.root_namespace {
        levels.extend(namespace_wide(scene, &workload.namespace));
    }
    // Every matching selector policy is appended, oldest first (istiod's `applicableTelemetries`
    // loop); two of them is undefined behaviour that the analysis reports (IST0159). Policies with
    // target references attach to gateways and waypoints, never to sidecars.
    let selected = scene.telemetries.iter().filter(|t| {
        t.metadata.namespace == workload.namespace
            && !is_namespace_wide(t)
            && !has_target_refs(t)
            && t.spec
                .selector
                .as_ref()
                .is_none_or(|s| workload.matches(&s.match_labels))
    });
    levels.extend(selected);
    Applicable { levels }
}
