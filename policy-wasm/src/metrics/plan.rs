//! The metrics plan: which standard metrics a workload reports in each mode and with which labels,
//! compiled once from the effective configuration (overrides applied as Istio's stats filter
//! applies its `MetricConfig`s). The proxy filter runs it per request; tools can preview series.

use super::encode::encode_name;
use super::labels::{
    PEER_LABELS, Peer, STANDARD_LABELS, TCP_LABELS, is_grpc, standard_values, tcp_values,
};
use crate::attributes::AttributeSource;
use crate::cel::{Program, Value};
use crate::model::{IstioMetric, MeshConfig};
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
#[derive(Debug)]
pub enum LabelSource {
    /// One of the 25 standard values (index into [`STANDARD_LABELS`]).
    Standard(usize),
    /// A tagOverride UPSERT: CEL evaluated per request; an error gives `unknown`.
    Cel(Program),
}

/// One output label.
#[derive(Debug)]
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
    /// Labels in output order.
    pub labels: Vec<Label>,
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
    pub client: Vec<MetricPlan>,
    /// Inbound.
    pub server: Vec<MetricPlan>,
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
            .map(|ns| (ns / 1_000_000).clamp(1, u32::MAX as i128) as u32)
            .unwrap_or(DEFAULT_REPORTING_INTERVAL_MS);
        Ok(MetricsPlan {
            client: mode_plan(&policy.client, Mode::Client)?,
            server: mode_plan(&policy.server, Mode::Server)?,
            reporting_interval_ms,
        })
    }

    /// The metrics of `mode`.
    pub fn metrics(&self, mode: Mode) -> &[MetricPlan] {
        match mode {
            Mode::Client => &self.client,
            Mode::Server => &self.server,
        }
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
        local: &Peer,
    ) -> Vec<Sample> {
        let mut out = Vec::new();
        self.report_http(mode, attrs, local, &mut |m, values, value| {
            out.push(m.sample(values, value))
        });
        out
    }

    /// Reports one completed HTTP request in `mode` to `emit`, series by series.
    pub fn report_http(
        &self,
        mode: Mode,
        attrs: &dyn AttributeSource,
        local: &Peer,
        emit: &mut Emit<'_>,
    ) {
        let metrics = self.metrics(mode);
        if !metrics.iter().any(|m| !m.observation.is_tcp()) {
            return;
        }
        let standard = standard_values(attrs, mode, local);
        // Message counts only for gRPC streams that Envoy's grpc_stats filter counted.
        let messages = if is_grpc(attrs) {
            grpc_message_counts(attrs)
        } else {
            None
        };
        let http = |o: Observation| !o.is_tcp() && (!o.is_grpc_messages() || messages.is_some());
        let value = |o| match (o, messages) {
            (Observation::GrpcRequestMessages, Some((request, _))) => request,
            (Observation::GrpcResponseMessages, Some((_, response))) => response,
            _ => observe(o, attrs),
        };
        report(metrics, http, &standard, attrs, value, emit);
    }

    /// True when `mode` reports any TCP metric.
    pub fn has_tcp(&self, mode: Mode) -> bool {
        self.metrics(mode).iter().any(|m| m.observation.is_tcp())
    }

    /// The samples one report of a TCP connection produces in `mode`, with encoded series names.
    pub fn tcp_samples(
        &self,
        mode: Mode,
        attrs: &dyn AttributeSource,
        local: &Peer,
        report: &TcpReport,
    ) -> Vec<Sample> {
        let mut out = Vec::new();
        self.report_tcp(mode, attrs, local, report, &mut |m, values, value| {
            out.push(m.sample(values, value))
        });
        out
    }

    /// Reports one report of a TCP connection in `mode` to `emit`: the byte counters always (a
    /// zero delta keeps the series alive), opened and closed only when `tcp` says so.
    pub fn report_tcp(
        &self,
        mode: Mode,
        attrs: &dyn AttributeSource,
        local: &Peer,
        tcp: &TcpReport,
        emit: &mut Emit<'_>,
    ) {
        if !self.has_tcp(mode) {
            return;
        }
        let standard = tcp_values(attrs, mode, local);
        let include = |o: Observation| match o {
            Observation::TcpOpened => tcp.opened,
            Observation::TcpClosed => tcp.closed,
            o => o.is_tcp(),
        };
        let value = |o| match o {
            Observation::TcpOpened | Observation::TcpClosed => 1,
            Observation::TcpSent => tcp.sent,
            _ => tcp.received,
        };
        report(self.metrics(mode), include, &standard, attrs, value, emit);
    }
}

impl MetricPlan {
    /// The encoded series name for `values` (this metric's label values, in label order).
    pub fn series_name(&self, values: &[&str]) -> String {
        let names = self.labels.iter().map(|l| l.name.as_str());
        encode_name(self.short_name, names.zip(values.iter().copied()))
    }

    fn sample(&self, values: &[&str], value: u64) -> Sample {
        Sample {
            name: self.series_name(values),
            kind: self.kind,
            value,
        }
    }
}

/// Receives one series' report: its metric, label values in the metric's label order, and the
/// value. The values borrow from the request, so a caller keyed by them allocates nothing on a
/// cache hit and encodes a series name ([`MetricPlan::series_name`]) only on a miss.
pub type Emit<'e> = dyn FnMut(&MetricPlan, &[&str], u64) + 'e;

/// Reports the `metrics` whose observation is `included`, labels from `standard`.
fn report(
    metrics: &[MetricPlan],
    included: impl Fn(Observation) -> bool,
    standard: &[Cow<'_, str>],
    attrs: &dyn AttributeSource,
    value: impl Fn(Observation) -> u64,
    emit: &mut Emit<'_>,
) {
    for m in metrics.iter().filter(|m| included(m.observation)) {
        let computed: Vec<String> = m
            .labels
            .iter()
            .filter_map(|l| match &l.source {
                LabelSource::Cel(program) => Some(cel_value(program, attrs)),
                LabelSource::Standard(_) => None,
            })
            .collect();
        let mut computed = computed.iter();
        let values: Vec<&str> = m
            .labels
            .iter()
            .map(|l| match l.source {
                LabelSource::Standard(i) => &*standard[i],
                LabelSource::Cel(_) => computed.next().map_or("unknown", String::as_str),
            })
            .collect();
        emit(m, &values, value(m.observation));
    }
}

/// The grpc_stats filter state's key.
const GRPC_STATS: &str = "envoy.filters.http.grpc_stats";

/// (request, response) message counts from Envoy's grpc_stats filter state, which a proxy-wasm
/// host serializes as text `<request>,<response>` (observed on Envoy 1.40).
fn grpc_message_counts(attrs: &dyn AttributeSource) -> Option<(u64, u64)> {
    let bytes = attrs.property(&["filter_state", GRPC_STATS])?;
    let text = core::str::from_utf8(&bytes).ok()?;
    let (request, response) = text.split_once(',')?;
    Some((request.trim().parse().ok()?, response.trim().parse().ok()?))
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

fn observe(observation: Observation, attrs: &dyn AttributeSource) -> u64 {
    let read = |path: &[&str]| attrs.property_i64(path).unwrap_or(0).max(0) as u64;
    match observation {
        Observation::One => 1,
        Observation::DurationMs => read(&["request", "duration"]) / 1_000_000,
        Observation::RequestBytes => read(&["request", "total_size"]),
        Observation::ResponseBytes => read(&["response", "total_size"]),
        // TCP values come from the connection's report, never from here.
        _ => 0,
    }
}

fn mode_plan(policy: &ModeMetrics, mode: Mode) -> Result<Vec<MetricPlan>, String> {
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
        out.push(MetricPlan {
            metric,
            short_name,
            kind,
            observation,
            labels,
        });
    }
    Ok(out)
}
