//! The metrics plan: which standard metrics a workload reports in each mode and with which labels,
//! compiled once from the effective configuration (overrides applied as Istio's stats filter
//! applies its `MetricConfig`s). The proxy filter runs it per request; tools can preview series.

use super::encode::encode_name;
use super::labels::{
    PEER_LABELS, Peer, STANDARD_LABELS, TCP_LABELS, is_grpc, standard_values, tcp_values,
};
use crate::attributes::{AttributeSource, Path};
use crate::cel::{Program, Value};
use crate::model::{IstioMetric, MeshConfig};
use crate::path;
use crate::quote::Quoted;
use crate::resolve::{MetricsPolicy, ModeMetrics};
use crate::validate::parse_duration_nanos;
use crate::workload::Mode;
use alloc::borrow::Cow;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// `proxy_metric_type_t` of a standard metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Counter.
    Counter,
    /// Histogram.
    Histogram,
}

/// What a metric observes per HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    /// 1 per request.
    One,
    /// `request.duration` in whole milliseconds.
    DurationMs,
    /// `request.total_size`.
    RequestBytes,
    /// `response.total_size`.
    ResponseBytes,
    /// 1 at a connection's first report.
    TcpOpened,
    /// 1 at a connection's last report.
    TcpClosed,
    /// Bytes sent downstream since the last report.
    TcpSent,
    /// Bytes received from downstream since the last report.
    TcpReceived,
    /// gRPC messages the client sent on the stream (Envoy's `grpc_stats` filter state).
    GrpcRequestMessages,
    /// gRPC messages the server sent on the stream.
    GrpcResponseMessages,
}

impl Observation {
    /// True for the gRPC message counters.
    pub fn is_grpc_messages(self) -> bool {
        matches!(
            self,
            Observation::GrpcRequestMessages | Observation::GrpcResponseMessages
        )
    }

    /// True for the TCP connection metrics.
    pub fn is_tcp(self) -> bool {
        matches!(
            self,
            Observation::TcpOpened
                | Observation::TcpClosed
                | Observation::TcpSent
                | Observation::TcpReceived
        )
    }
}

/// What one TCP connection reports: the counts since its previous report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpReport {
    /// First report of the connection.
    pub opened: bool,
    /// Last report of the connection (it closed).
    pub closed: bool,
    /// Bytes sent to downstream (upstream data) since the previous report.
    pub sent: u64,
    /// Bytes received from downstream since the previous report.
    pub received: u64,
}

/// Istio's default TCP reporting interval (the native stats filter's `tcp_reporting_duration`).
pub const DEFAULT_REPORTING_INTERVAL_MS: u32 = 5_000;

/// The four HTTP metrics: selector, short name, kind, observation.
pub const HTTP_METRICS: [(IstioMetric, &str, Kind, Observation); 4] = [
    (
        IstioMetric::RequestCount,
        "requests_total",
        Kind::Counter,
        Observation::One,
    ),
    (
        IstioMetric::RequestDuration,
        "request_duration_milliseconds",
        Kind::Histogram,
        Observation::DurationMs,
    ),
    (
        IstioMetric::RequestSize,
        "request_bytes",
        Kind::Histogram,
        Observation::RequestBytes,
    ),
    (
        IstioMetric::ResponseSize,
        "response_bytes",
        Kind::Histogram,
        Observation::ResponseBytes,
    ),
];

/// The four TCP metrics, in the old stats plugin's order.
pub const TCP_METRICS: [(IstioMetric, &str, Kind, Observation); 4] = [
    (
        IstioMetric::TcpSentBytes,
        "tcp_sent_bytes_total",
        Kind::Counter,
        Observation::TcpSent,
    ),
    (
        IstioMetric::TcpReceivedBytes,
        "tcp_received_bytes_total",
        Kind::Counter,
        Observation::TcpReceived,
    ),
    (
        IstioMetric::TcpOpenedConnections,
        "tcp_connections_opened_total",
        Kind::Counter,
        Observation::TcpOpened,
    ),
    (
        IstioMetric::TcpClosedConnections,
        "tcp_connections_closed_total",
        Kind::Counter,
        Observation::TcpClosed,
    ),
];

/// The two gRPC message counters.
pub const GRPC_METRICS: [(IstioMetric, &str, Kind, Observation); 2] = [
    (
        IstioMetric::GrpcRequestMessages,
        "request_messages_total",
        Kind::Counter,
        Observation::GrpcRequestMessages,
    ),
    (
        IstioMetric::GrpcResponseMessages,
        "response_messages_total",
        Kind::Counter,
        Observation::GrpcResponseMessages,
    ),
];

/// Where a label's value comes from.
#[derive(Debug, PartialEq)]
pub enum LabelSource {
    /// One of the 25 standard values (index into [`STANDARD_LABELS`]).
    Standard(usize),
    /// A tagOverride UPSERT: CEL evaluated per request; an error gives `unknown`.
    Cel(Program),
}

/// One output label.
#[derive(Debug, PartialEq)]
pub struct Label {
    /// Prometheus label name.
    pub name: String,
    /// Its value source.
    pub source: LabelSource,
}

/// One metric reported in one mode.
#[derive(Debug)]
pub struct MetricPlan {
    /// The standard metric.
    pub metric: IstioMetric,
    /// Name without `istio_` (`requests_total`).
    pub short_name: &'static str,
    /// Counter or histogram.
    pub kind: Kind,
    /// What is recorded.
    pub observation: Observation,
}

/// Metrics of one mode that carry the same labels: one set of label values per request (and,
/// in the filter, one cache lookup) serves them all. Without overrides the four HTTP metrics are
/// one group.
#[derive(Debug)]
pub struct SeriesGroup {
    /// Labels in output order.
    pub labels: Vec<Label>,
    /// The metrics, in the plan's order.
    pub metrics: Vec<MetricPlan>,
}

/// One value to report: the encoded series name, its kind and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Encoded name (`istio_reporter=.=source;.;…requests_total`).
    pub name: String,
    /// Counter (increment by `value`) or histogram (record `value`).
    pub kind: Kind,
    /// The value.
    pub value: u64,
}

/// The metrics of both modes.
#[derive(Debug)]
pub struct MetricsPlan {
    /// Outbound.
    pub client: Vec<SeriesGroup>,
    /// Inbound.
    pub server: Vec<SeriesGroup>,
    /// How often open TCP connections report (Telemetry `reportingInterval`, else 5 s).
    pub reporting_interval_ms: u32,
}

impl Default for MetricsPlan {
    fn default() -> Self {
        MetricsPlan {
            client: Vec::new(),
            server: Vec::new(),
            reporting_interval_ms: DEFAULT_REPORTING_INTERVAL_MS,
        }
    }
}

/// The most metrics a group can hold: every standard metric.
pub const MAX_GROUP: usize = HTTP_METRICS.len() + GRPC_METRICS.len() + TCP_METRICS.len();

impl MetricsPlan {
    /// Builds the plan from the merged metrics policies (`Effective::metrics`, identical for both
    /// modes). Only Prometheus providers produce these metrics; the first one found is used.
    pub fn build(mesh: &MeshConfig, policies: &[MetricsPolicy]) -> Result<MetricsPlan, String> {
        let Some(policy) = policies.iter().find(|p| {
            mesh.provider(&p.provider)
                .is_some_and(|provider| provider.kind() == "prometheus")
        }) else {
            return Ok(MetricsPlan::default());
        };
        let reporting_interval_ms = policy
            .reporting_interval
            .as_deref()
            .and_then(parse_duration_nanos)
            .map(|ns| {
                crate::num::div_rem_trunc(ns, 1_000_000)
                    .0
                    .clamp(1, u32::MAX as i128) as u32
            })
            .unwrap_or(DEFAULT_REPORTING_INTERVAL_MS);
        Ok(MetricsPlan {
            client: group_by_labels(mode_plan(&policy.client, Mode::Client)?),
            server: group_by_labels(mode_plan(&policy.server, Mode::Server)?),
            reporting_interval_ms,
        })
    }

    /// The metric groups of `mode`.
    pub fn groups(&self, mode: Mode) -> &[SeriesGroup] {
        match mode {
            Mode::Client => &self.client,
            Mode::Server => &self.server,
        }
    }

    fn observations(&self, mode: Mode) -> impl Iterator<Item = Observation> + '_ {
        self.groups(mode)
            .iter()
            .flat_map(|g| g.metrics.iter().map(|m| m.observation))
    }

    /// True when nothing is reported in either mode.
    pub fn is_empty(&self) -> bool {
        self.client.is_empty() && self.server.is_empty()
    }

    /// The samples one completed HTTP request produces in `mode`, with encoded series names.
    pub fn http_samples(
        &self,
        mode: Mode,
        attrs: &dyn AttributeSource,
        local: &Peer<'_>,
    ) -> Vec<Sample> {
        let mut out = Vec::new();
        self.report_http(mode, attrs, local, &mut |g, values, observed| {
            out.extend(g.samples(values, observed))
        });
        out
    }

    /// Reports one completed HTTP request in `mode` to `emit`, group by group.
    pub fn report_http(
        &self,
        mode: Mode,
        attrs: &dyn AttributeSource,
        local: &Peer<'_>,
        emit: &mut Emit<'_>,
    ) {
        if !self.observations(mode).any(|o| !o.is_tcp()) {
            return;
        }
        let standard = standard_values(attrs, mode, local);
        // Message counts only for gRPC streams that Envoy's grpc_stats filter counted.
        let messages = if is_grpc(attrs) {
            grpc_message_counts(attrs)
        } else {
            None
        };
        let observe = |o: Observation| match (o, messages) {
            _ if o.is_tcp() => None,
            (Observation::GrpcRequestMessages, Some((request, _))) => Some(request),
            (Observation::GrpcResponseMessages, Some((_, response))) => Some(response),
            (o, None) if o.is_grpc_messages() => None,
            _ => Some(observe_http(o, attrs)),
        };
        report(self.groups(mode), observe, &standard, attrs, emit);
    }

    /// True when `mode` reports any TCP metric.
    pub fn has_tcp(&self, mode: Mode) -> bool {
        self.observations(mode).any(Observation::is_tcp)
    }

    /// The samples one report of a TCP connection produces in `mode`, with encoded series names.
    pub fn tcp_samples(
        &self,
        mode: Mode,
        attrs: &dyn AttributeSource,
        local: &Peer<'_>,
        report: &TcpReport,
    ) -> Vec<Sample> {
        let mut out = Vec::new();
        self.report_tcp(mode, attrs, local, report, &mut |g, values, observed| {
            out.extend(g.samples(values, observed))
        });
        out
    }

    /// Reports one report of a TCP connection in `mode` to `emit`: the byte counters always (a
    /// zero delta keeps the series alive), opened and closed only when `tcp` says so.
    pub fn report_tcp(
        &self,
        mode: Mode,
        attrs: &dyn AttributeSource,
        local: &Peer<'_>,
        tcp: &TcpReport,
        emit: &mut Emit<'_>,
    ) {
        if !self.has_tcp(mode) {
            return;
        }
        let standard = tcp_values(attrs, mode, local);
        let observe = |o: Observation| match o {
            Observation::TcpOpened => tcp.opened.then_some(1),
            Observation::TcpClosed => tcp.closed.then_some(1),
            Observation::TcpSent => Some(tcp.sent),
            Observation::TcpReceived => Some(tcp.received),
            _ => None,
        };
        report(self.groups(mode), observe, &standard, attrs, emit);
    }
}

impl SeriesGroup {
    /// The encoded series name of `metric` (one of this group's) for `values` (the group's label
    /// values, in label order).
    pub fn series_name(&self, metric: &MetricPlan, values: &[&str]) -> String {
        let names = self.labels.iter().map(|l| l.name.as_str());
        encode_name(metric.short_name, names.zip(values.iter().copied()))
    }

    fn samples<'g>(
        &'g self,
        values: &'g [&str],
        observed: &'g [Option<u64>],
    ) -> impl Iterator<Item = Sample> + 'g {
        self.metrics
            .iter()
            .zip(observed)
            .filter_map(move |(m, value)| {
                Some(Sample {
                    name: self.series_name(m, values),
                    kind: m.kind,
                    value: (*value)?,
                })
            })
    }
}

/// Receives one group's report: the group, its label values in label order, and per metric of
/// the group the value to report (`None`: not reported this time, e.g. `closed` on an open
/// connection). The values borrow from the request, so a caller keyed by them allocates nothing
/// on a cache hit and encodes a series name ([`SeriesGroup::series_name`]) only on a miss.
pub type Emit<'e> = dyn FnMut(&SeriesGroup, &[&str], &[Option<u64>]) + 'e;

/// Label values of one group kept on the stack: the standard labels and a few added tags.
const VALUES_ON_STACK: usize = 32;

/// Reports every group that has a metric `observe` gives a value for, labels from `standard`.
fn report(
    groups: &[SeriesGroup],
    observe: impl Fn(Observation) -> Option<u64>,
    standard: &[Cow<'_, str>],
    attrs: &dyn AttributeSource,
    emit: &mut Emit<'_>,
) {
    for group in groups {
        let mut observed = [None; MAX_GROUP];
        for (slot, m) in observed.iter_mut().zip(&group.metrics) {
            *slot = observe(m.observation);
        }
        let observed = &observed[..group.metrics.len().min(MAX_GROUP)];
        if observed.iter().all(Option::is_none) {
            continue;
        }
        // Tag overrides are evaluated first, so that every value can borrow.
        let mut computed = Vec::new();
        for label in &group.labels {
            if let LabelSource::Cel(program) = &label.source {
                computed.push(cel_value(program, attrs));
            }
        }
        let mut computed = computed.iter();
        // On the stack unless overrides add many tags.
        let (mut stack, mut heap) = ([""; VALUES_ON_STACK], Vec::new());
        let values: &mut [&str] = match group.labels.len() {
            n if n <= VALUES_ON_STACK => &mut stack[..n],
            n => {
                heap.resize(n, "");
                &mut heap
            }
        };
        for (at, label) in group.labels.iter().enumerate() {
            values[at] = match label.source {
                LabelSource::Standard(i) => &standard[i],
                LabelSource::Cel(_) => computed.next().map_or("unknown", String::as_str),
            };
        }
        emit(group, values, observed);
    }
}

/// Gathers metrics with identical labels (same names, same sources, same order) into groups,
/// keeping the plan's order of first appearance.
fn group_by_labels(metrics: Vec<(MetricPlan, Vec<Label>)>) -> Vec<SeriesGroup> {
    let mut groups: Vec<SeriesGroup> = Vec::new();
    for (metric, labels) in metrics {
        match groups.iter_mut().find(|g| g.labels == labels) {
            Some(group) => group.metrics.push(metric),
            None => groups.push(SeriesGroup {
                labels,
                metrics: alloc::vec![metric],
            }),
        }
    }
    groups
}

/// (request, response) message counts from Envoy's grpc_stats filter state, which a proxy-wasm
/// host serializes as text `<request>,<response>` (observed on Envoy 1.40).
fn grpc_message_counts(attrs: &dyn AttributeSource) -> Option<(u64, u64)> {
    let bytes = attrs.get(&path!("filter_state", "envoy.filters.http.grpc_stats"))?;
    let text = core::str::from_utf8(&bytes).ok()?;
    let (request, response) = text.split_once(',')?;
    let count = |text: &str| crate::num::parse_u64(text.trim(), 10);
    Some((count(request)?, count(response)?))
}

fn cel_value(program: &Program, attrs: &dyn AttributeSource) -> String {
    match program.evaluate(attrs) {
        Ok(Value::String(s)) => s.to_string(),
        Ok(Value::Int(i)) => i.to_string(),
        Ok(Value::Uint(u)) => u.to_string(),
        Ok(Value::Bool(b)) => b.to_string(),
        Ok(Value::Double(d)) => crate::num::display(d),
        Ok(Value::Bytes(b)) => String::from_utf8_lossy(&b).into_owned(),
        _ => "unknown".to_string(),
    }
}

fn observe_http(observation: Observation, attrs: &dyn AttributeSource) -> u64 {
    let read = |path: &Path| attrs.get_i64(path).unwrap_or(0).max(0) as u64;
    match observation {
        Observation::One => 1,
        Observation::DurationMs => read(&path!("request", "duration")) / 1_000_000,
        Observation::RequestBytes => read(&path!("request", "total_size")),
        Observation::ResponseBytes => read(&path!("response", "total_size")),
        // TCP values come from the connection's report, never from here.
        _ => 0,
    }
}

fn mode_plan(policy: &ModeMetrics, mode: Mode) -> Result<Vec<(MetricPlan, Vec<Label>)>, String> {
    if policy.disabled {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let all = HTTP_METRICS
        .into_iter()
        .chain(GRPC_METRICS)
        .chain(TCP_METRICS);
    for (metric, short_name, kind, observation) in all {
        let label_count = if observation.is_tcp() {
            TCP_LABELS
        } else if observation.is_grpc_messages() {
            PEER_LABELS
        } else {
            STANDARD_LABELS.len()
        };
        let o = policy.overrides.iter().find(|o| o.name == metric.name());
        if o.is_some_and(|o| o.disabled) {
            continue;
        }
        let mut labels: Vec<Label> = STANDARD_LABELS[..label_count]
            .iter()
            .enumerate()
            .map(|(i, name)| Label {
                name: name.to_string(),
                source: LabelSource::Standard(i),
            })
            .collect();
        for tag in o.map(|o| o.tags.as_slice()).unwrap_or_default() {
            if tag.remove {
                labels.retain(|l| l.name != tag.name);
                continue;
            }
            let expr = tag.value.as_deref().unwrap_or_default();
            let program = Program::compile(expr).map_err(|e| {
                format!(
                    "metric {} ({} mode): tag {} expression {} does not parse at column {}: {}",
                    metric.name(),
                    mode.as_str(),
                    Quoted(&tag.name),
                    Quoted(expr),
                    e.column,
                    e.reason
                )
            })?;
            match labels.iter_mut().find(|l| l.name == tag.name) {
                Some(label) => label.source = LabelSource::Cel(program),
                // A new tag goes after the standard ones (tags arrive sorted by name).
                None => labels.push(Label {
                    name: tag.name.clone(),
                    source: LabelSource::Cel(program),
                }),
            }
        }
        let plan = MetricPlan {
            metric,
            short_name,
            kind,
            observation,
        };
        out.push((plan, labels));
    }
    Ok(out)
}
