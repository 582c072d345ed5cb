//! The HTTP stream context: one access-log record per request, and its metrics.

use crate::abi::HttpContext;
use crate::host::{self, LEVEL_INFO, StreamAttributes};
use crate::metrics::Reporter;
use policy_wasm::attributes::AttributeSource;
use policy_wasm::path;
use policy_wasm::plan::Plan;
use policy_wasm::workload::Mode;
use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    /// The record being written, kept between requests so that a record allocates nothing.
    static RECORD: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A record buffer grown past this by one huge request is given back afterwards.
const RECORD_KEPT: usize = 64 * 1024;

/// Writes the records `plan` has for one request (or connection) in `mode` to the proxy log.
pub fn write_records(plan: &Plan, mode: Mode, attrs: &dyn AttributeSource) {
    RECORD.with(|buffer| {
        let Ok(mut buffer) = buffer.try_borrow_mut() else {
            return;
        };
        plan.for_each_record(mode, attrs, &mut buffer, |record| {
            host::log(LEVEL_INFO, record)
        });
        if buffer.capacity() > RECORD_KEPT {
            *buffer = Vec::new();
        }
    });
}

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
        let attrs = StreamAttributes::new();
        // The direction is per listener, so per request: 1 inbound (SERVER), else CLIENT.
        let mode = Mode::from_listener_direction(
            attrs
                .get_i64(&path!("xds", "listener_direction"))
                .unwrap_or(0),
        );
        write_records(plan, mode, &attrs);
        if let Some(metrics) = &self.metrics {
            metrics.report_http(mode, &attrs);
        }
    }
}
