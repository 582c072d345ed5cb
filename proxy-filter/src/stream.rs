//! The HTTP stream context: one access-log record per request, and its metrics.

use crate::abi::HttpContext;
use crate::host::{self, HttpAttributes, LEVEL_INFO};
use crate::metrics::Reporter;
use policy_wasm::attributes::AttributeSource;
use policy_wasm::plan::Plan;
use policy_wasm::workload::Mode;
use std::rc::Rc;

/// One HTTP stream.
pub struct Stream {
    plan: Option<Rc<Plan>>,
    metrics: Option<Rc<Reporter>>,
}

impl Stream {
    /// A stream served by the plan and metrics in force when it started.
    pub fn new(plan: Option<Rc<Plan>>, metrics: Option<Rc<Reporter>>) -> Self {
        Stream { plan, metrics }
    }
}

impl HttpContext for Stream {
    fn on_log(&mut self) {
        let Some(plan) = &self.plan else { return };
        let attrs = HttpAttributes::default();
        // The direction is per listener, so per request: 1 inbound (SERVER), else CLIENT.
        let mode = Mode::from_listener_direction(
            attrs
                .property_i64(&["xds", "listener_direction"])
                .unwrap_or(0),
        );
        for record in plan.records(mode, &attrs) {
            host::log(LEVEL_INFO, &record);
        }
        if let Some(metrics) = &self.metrics {
            metrics.report_http(mode, &attrs);
        }
    }
}
