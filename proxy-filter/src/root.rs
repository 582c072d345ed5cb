//! The root context: configuration, and the stream contexts it creates. A plugin whose root id
//! ends in `tcp` (Istio: a NETWORK `WasmPlugin` named so) serves TCP connections
//! ([`crate::tcp`]) instead of HTTP streams ([`crate::stream`]).

use crate::abi::{HttpContext, RootContext, StreamContext};
use crate::arena::Scope;
use crate::config;
use crate::host::{self, LEVEL_ERROR, LEVEL_WARN, StreamAttributes};
use crate::metrics::Reporter;
use crate::stream::Stream;
use crate::tcp::{Connection, Connections, report_open};
use policy_wasm::attributes::decode_pairs;
use policy_wasm::metrics::{MetricsPlan, Peer};
use policy_wasm::plan::Plan;
use policy_wasm::resolve::{Scene, applicable_telemetries, resolve_metrics};
use policy_wasm::workload::Workload;
use std::rc::Rc;

/// The plugin's root context: holds the plan built at configure time.
#[derive(Default)]
pub struct Root {
    plan: Option<Rc<Plan>>,
    metrics: Option<Rc<Reporter>>,
    /// Serves TCP connections (root id ending in `tcp`) rather than HTTP streams.
    tcp: bool,
    /// Open TCP connections, reported on each tick.
    connections: Connections,
}

/// Envoy's `root_id` of this plugin instance (Istio: the WasmPlugin's `pluginName`).
fn serves_tcp() -> bool {
    host::property_owned(&["plugin_root_id"]).is_some_and(|id| id.ends_with(b"tcp"))
}

impl RootContext for Root {
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        match build_plan() {
            Ok((plan, metrics)) => {
                self.tcp = serves_tcp();
                if self.tcp && metrics.has_tcp() {
                    crate::tcp::set_tick_period(metrics.reporting_interval_ms());
                }
                self.metrics = Some(Rc::new(metrics));
                for warning in &plan.warnings {
                    host::log(LEVEL_WARN, format!("meshtel: {warning}").as_bytes());
                }
                self.plan = Some(Rc::new(plan));
                true
            }
            Err(reason) => {
                // One line that says what is wrong; a previous plan, if any, stays in force.
                host::log(
                    LEVEL_ERROR,
                    format!("meshtel: configuration rejected: {reason}").as_bytes(),
                );
                false
            }
        }
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        if self.tcp {
            return None;
        }
        Some(Box::new(Stream::new(
            self.plan.clone(),
            self.metrics.clone(),
        )))
    }

    fn create_stream_context(&self, context_id: u32) -> Option<Box<dyn StreamContext>> {
        Some(Box::new(Connection::new(
            context_id,
            self.plan.clone(),
            self.metrics.clone(),
            self.connections.clone(),
        )))
    }

    fn on_tick(&mut self) {
        if let Some(metrics) = &self.metrics {
            report_open(metrics, &self.connections);
        }
    }
}

fn build_plan() -> Result<(Plan, Reporter), String> {
    let scope = Scope::enter();
    let parsed = config::parse(host::plugin_configuration(&scope).unwrap_or_default())?;
    let workload = match &parsed.workload {
        Some(w) => w.clone(),
        None => workload_from_node()?,
    };
    let scene = Scene {
        telemetries: &parsed.telemetries,
        mesh: &parsed.mesh,
        root_namespace: &parsed.root_namespace,
    };
    let plan = Plan::build(&scene, &workload)?;
    let policies = resolve_metrics(&applicable_telemetries(&scene, &workload), &parsed.mesh);
    let metrics = MetricsPlan::build(&parsed.mesh, &policies)?;
    let local = Peer::from_node(&StreamAttributes::new());
    Ok((plan, Reporter::new(metrics, local)))
}

/// Istio sidecars carry their workload in node metadata (`NAMESPACE`, `WORKLOAD_NAME`, `LABELS`).
fn workload_from_node() -> Result<Workload, String> {
    let text = |key: &str| {
        host::property_owned(&["xds", "node", "metadata", key])
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let namespace = text("NAMESPACE").filter(|n| !n.is_empty()).ok_or_else(|| {
        "no workload in the plugin configuration and no xds.node.metadata.NAMESPACE to read it from".to_string()
    })?;
    let labels = host::property_owned(&["xds", "node", "metadata", "LABELS"])
        .and_then(|b| decode_pairs(&b))
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| {
            (
                String::from_utf8_lossy(&k).into_owned(),
                String::from_utf8_lossy(&v).into_owned(),
            )
        })
        .collect();
    Ok(Workload {
        namespace,
        name: text("WORKLOAD_NAME").unwrap_or_default(),
        labels,
    })
}
