//! Effective configuration: what istiod computes for one workload and mode from a set of Telemetry
//! resources, ported from istio/istio `pilot/pkg/model/telemetry.go`.

mod applicable;
mod logging;

pub use applicable::{Applicable, applicable_telemetries};
pub use logging::{AccessLogPolicy, merge_access_logging};

use crate::model::{MeshConfig, Telemetry};
use crate::workload::{Mode, Workload};
use alloc::vec::Vec;
use serde::Serialize;

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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Effective {
    /// The mode this was computed for.
    pub mode: Mode,
    /// The resources that contributed, root first.
    pub sources: Vec<alloc::string::String>,
    /// Access logging per provider, sorted by provider name. `None` means no Telemetry configures
    /// logging, so the legacy MeshConfig settings apply.
    pub access_logging: Option<Vec<AccessLogPolicy>>,
}

/// Resolves the effective configuration of `workload` in `mode`.
pub fn resolve(scene: &Scene<'_>, workload: &Workload, mode: Mode) -> Effective {
    let applicable = applicable_telemetries(scene, workload);
    Effective {
        mode,
        sources: applicable.sources(),
        access_logging: merge_access_logging(&applicable, scene.mesh, mode),
    }
}
