//! The workload a configuration is resolved for, and the traffic direction of a request.

use crate::sorted_map::SortedMap;
use alloc::string::String;

/// A workload: where it runs and which labels it carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Workload {
    /// Kubernetes namespace of the workload.
    pub namespace: String,
    /// Workload name (informational; resolution uses namespace and labels).
    pub name: String,
    /// Pod labels.
    pub labels: SortedMap<String>,
}

/// The side of a request a proxy sits on, as Istio's `WorkloadMode` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// The workload is the source: outbound sidecar listener, gateways.
    Client,
    /// The workload is the destination: inbound sidecar listener.
    Server,
}

impl Mode {
    /// Both modes, client first.
    pub const BOTH: [Mode; 2] = [Mode::Client, Mode::Server];

    /// The mode of a request from Envoy's `xds.listener_direction` (1 inbound, 2 outbound).
    /// Istio treats anything that is not inbound as CLIENT.
    pub fn from_listener_direction(direction: i64) -> Mode {
        if direction == 1 {
            Mode::Server
        } else {
            Mode::Client
        }
    }

    /// Lower-case name (`client` / `server`).
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Client => "client",
            Mode::Server => "server",
        }
    }
}

impl Workload {
    /// True when every label of `selector` is on this workload with the same value.
    pub fn matches(&self, selector: &SortedMap<String>) -> bool {
        selector.iter().all(|(k, v)| self.labels.get(k) == Some(v))
    }
}

crate::json_struct!(decode Workload { "namespace" => namespace, "name" => name, "labels" => labels });
crate::json_struct!(encode Workload {
    "namespace" => namespace, "name" => name [optional], "labels" => labels,
});
crate::json_enum!(Mode { "CLIENT" => Client, "SERVER" => Server });
