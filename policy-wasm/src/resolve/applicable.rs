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

/// The first selector-less Telemetry of `namespace` (Istio keeps the oldest one).
fn namespace_wide<'a>(scene: &Scene<'a>, namespace: &str) -> Option<&'a Telemetry> {
    scene
        .telemetries
        .iter()
        .find(|t| t.metadata.namespace == namespace && !t.has_selector())
}

/// Collects root → namespace → first matching workload selector, as istiod does.
pub fn applicable_telemetries<'a>(scene: &Scene<'a>, workload: &Workload) -> Applicable<'a> {
    let mut levels = Vec::new();
    if !scene.root_namespace.is_empty() {
        levels.extend(namespace_wide(scene, scene.root_namespace));
    }
    if workload.namespace != scene.root_namespace {
        levels.extend(namespace_wide(scene, &workload.namespace));
    }
    let selected = scene.telemetries.iter().find(|t| {
        t.metadata.namespace == workload.namespace
            && t.spec
                .selector
                .as_ref()
                .is_some_and(|s| !s.match_labels.is_empty() && workload.matches(&s.match_labels))
    });
    levels.extend(selected);
    Applicable { levels }
}
