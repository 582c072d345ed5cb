//! The network (TCP) stream context: Istio's four TCP metrics, reported on every tick while a
//! connection is open and once more when it closes (as Istio's stats plugin did), and one
//! access-log record per connection under the same Telemetry rules as HTTP.

use crate::abi::{CONTINUE, StreamContext};
use crate::host::StreamAttributes;
use crate::metrics::Reporter;
use policy_wasm::attributes::{AttributeSource, Bytes, HeaderMap, Path};
use policy_wasm::metrics::TcpReport;
use policy_wasm::path;
use policy_wasm::plan::Plan;
use policy_wasm::workload::Mode;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    fn proxy_set_effective_context(context_id: u32) -> u32;
    fn proxy_set_tick_period_milliseconds(period: u32) -> u32;
    fn proxy_get_current_time_nanoseconds(return_time: *mut u64) -> u32;
}

/// A connection's attributes: the host's, with `request.duration` measured up to now when the
/// host has none (Envoy completes no request on a TCP connection, yet its access log prints the
/// connection's duration so far).
struct ConnectionAttributes(StreamAttributes);

impl ConnectionAttributes {
    /// `value` as read, or for an absent `request.duration` the time since `request.time`.
    fn or_duration<'a>(&'a self, value: Option<Bytes<'a>>, is_duration: bool) -> Option<Bytes<'a>> {
        if value.is_some() || !is_duration {
            return value;
        }
        let start = self.0.get_i64(&path!("request", "time"))?;
        let mut now = 0u64;
        // SAFETY: the out-pointer is valid for writes.
        if unsafe { proxy_get_current_time_nanoseconds(&mut now) } != 0 {
            return None;
        }
        let duration = (now as i64).saturating_sub(start).max(0);
        Some(Cow::Owned(duration.to_le_bytes().to_vec()))
    }
}

impl AttributeSource for ConnectionAttributes {
    fn property(&self, path: &[&str]) -> Option<Bytes<'_>> {
        self.or_duration(self.0.property(path), path == ["request", "duration"])
    }

    fn get(&self, path: &Path) -> Option<Bytes<'_>> {
        self.or_duration(self.0.get(path), *path == path!("request", "duration"))
    }

    fn header(&self, map: HeaderMap, name: &str) -> Option<Bytes<'_>> {
        self.0.header(map, name)
    }
}

/// Asks for `on_tick` every `period_ms`; a refusal only means no periodic reports.
pub fn set_tick_period(period_ms: u32) {
    // SAFETY: a plain value; the status is deliberately ignored (the SDK's wrapper panics).
    unsafe {
        proxy_set_tick_period_milliseconds(period_ms);
    }
}

/// What an open connection has not reported yet.
#[derive(Debug, Default, Clone, Copy)]
pub struct Pending {
    /// The connection's first report (with `opened`) is done.
    opened_reported: bool,
    /// Bytes sent downstream (upstream data) since the last report.
    sent: u64,
    /// Bytes received from downstream since the last report.
    received: u64,
}

/// The open connections of one plugin instance in the order they opened, each context id with
/// its unreported counts; shared by the root (ticks) and the connections themselves. A `Vec`
/// rather than a map: a tick walks every entry anyway, and a connection counts its data through
/// its own handle, so only opening and closing touch the list.
pub type Connections = Rc<RefCell<Vec<(u32, Rc<Cell<Pending>>)>>>;

/// One TCP connection.
pub struct Connection {
    id: u32,
    pending: Rc<Cell<Pending>>,
    plan: Option<Rc<Plan>>,
    metrics: Option<Rc<Reporter>>,
    open: Connections,
}

impl Connection {
    /// A connection context registered in `open` until it closes.
    pub fn new(
        id: u32,
        plan: Option<Rc<Plan>>,
        metrics: Option<Rc<Reporter>>,
        open: Connections,
    ) -> Connection {
        let pending = Rc::new(Cell::new(Pending::default()));
        open.borrow_mut().push((id, pending.clone()));
        Connection {
            id,
            pending,
            plan,
            metrics,
            open,
        }
    }

    fn count(&self, add: impl FnOnce(&mut Pending)) {
        let mut pending = self.pending.get();
        add(&mut pending);
        self.pending.set(pending);
    }

    /// Takes the connection out of the open list; false when it was not (or no longer) there.
    fn unregister(&self) -> bool {
        let mut open = self.open.borrow_mut();
        match open.iter().position(|(id, _)| *id == self.id) {
            Some(at) => {
                open.remove(at);
                true
            }
            None => false,
        }
    }
}

/// The connection's direction: 1 inbound (SERVER), else CLIENT.
fn mode(attrs: &dyn AttributeSource) -> Mode {
    Mode::from_listener_direction(
        attrs
            .get_i64(&path!("xds", "listener_direction"))
            .unwrap_or(0),
    )
}

/// Reports what `pending` holds for the current (effective) connection and clears it.
fn report(metrics: &Reporter, pending: &Cell<Pending>, closed: bool) {
    let attrs = StreamAttributes::new();
    let pending_now = pending.get();
    let report = TcpReport {
        opened: !pending_now.opened_reported,
        closed,
        sent: pending_now.sent,
        received: pending_now.received,
    };
    metrics.report_tcp(mode(&attrs), &attrs, &report);
    pending.set(Pending {
        opened_reported: true,
        ..Pending::default()
    });
}

/// The periodic report of every open connection whose upstream is known (before that its
/// destination labels are not), called from the root's tick.
pub fn report_open(metrics: &Reporter, open: &Connections) {
    for (id, pending) in open.borrow().iter() {
        // SAFETY: a plain value; a context that is gone makes the host answer BAD_ARGUMENT.
        if unsafe { proxy_set_effective_context(*id) } != 0 {
            continue;
        }
        if StreamAttributes::new()
            .get(&path!("upstream", "address"))
            .is_none()
        {
            continue;
        }
        report(metrics, pending, false);
    }
}

impl StreamContext for Connection {
    fn on_downstream_data(&mut self, data_size: usize, _end_of_stream: bool) -> u32 {
        self.count(|p| p.received += data_size as u64);
        CONTINUE
    }

    fn on_upstream_data(&mut self, data_size: usize, _end_of_stream: bool) -> u32 {
        self.count(|p| p.sent += data_size as u64);
        CONTINUE
    }

    fn on_log(&mut self) {
        let registered = self.unregister();
        let attrs = ConnectionAttributes(StreamAttributes::new());
        if let Some(plan) = &self.plan {
            crate::stream::write_records(plan, mode(&attrs), &attrs);
        }
        if let (Some(metrics), true) = (&self.metrics, registered) {
            report(metrics, &self.pending, true);
        }
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // A connection deleted without on_log (the VM tearing down) stops being reported.
        self.unregister();
    }
}
