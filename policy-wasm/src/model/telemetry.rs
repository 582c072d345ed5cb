//! The `Telemetry` resource of `telemetry.istio.io` (`v1`, `v1beta1`, `v1alpha1` share one schema).
//!
//! Field presence matters for Istio's merge rules (a `BoolValue` that is absent is not the same as
//! `false`), so wrapper types are `Option`s. Unknown fields are ignored here; the schema walk in
//! `crate::schema` reports them with their path.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

/// The API group every Telemetry version belongs to.
pub const GROUP: &str = "telemetry.istio.io";
/// The API versions that serve the Telemetry schema.
pub const VERSIONS: [&str; 3] = ["v1", "v1beta1", "v1alpha1"];

/// A Kubernetes object's identity, as far as Telemetry resolution needs it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectMeta {
    /// Object name.
    pub name: String,
    /// Object namespace (empty when the input did not say).
    pub namespace: String,
    /// Object labels (the `istio.io/rev` label selects a control-plane revision).
    pub labels: BTreeMap<String, String>,
    /// RFC 3339 creation time; Istio orders resources by it.
    pub creation_timestamp: Option<String>,
}

/// A whole `Telemetry` object.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Telemetry {
    /// `telemetry.istio.io/v1` and friends.
    pub api_version: String,
    /// Always `Telemetry`.
    pub kind: String,
    /// Name, namespace, labels.
    pub metadata: ObjectMeta,
    /// The telemetry configuration.
    pub spec: TelemetrySpec,
}

/// `istio.telemetry.v1alpha1.Telemetry` (the spec).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TelemetrySpec {
    /// Workload selector; absent means every workload of the namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub selector: Option<WorkloadSelector>,
    /// Single policy target (hidden from the docs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_ref: Option<PolicyTargetReference>,
    /// Policy targets (gateways, waypoints).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_refs: Option<Vec<PolicyTargetReference>>,
    /// Tracing rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tracing: Vec<Tracing>,
    /// Metrics rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<Metrics>,
    /// Access-logging rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub access_logging: Vec<AccessLogging>,
}

/// `istio.type.v1beta1.WorkloadSelector`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct WorkloadSelector {
    /// Labels a workload must all carry.
    pub match_labels: BTreeMap<String, String>,
}

/// `istio.type.v1beta1.PolicyTargetReference`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PolicyTargetReference {
    /// API group; empty means core.
    pub group: String,
    /// Kind of the target.
    pub kind: String,
    /// Name of the target.
    pub name: String,
    /// Must stay empty: cross-namespace references are not supported.
    pub namespace: String,
}

/// `ProviderRef`: names a MeshConfig extension provider.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ProviderRef {
    /// Provider name, matched case-insensitively.
    pub name: String,
}

/// `WorkloadMode` of the telemetry package.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum WorkloadMode {
    /// Both directions (the default).
    #[default]
    ClientAndServer,
    /// The workload is the source (outbound).
    Client,
    /// The workload is the destination (inbound).
    Server,
}

/// `match` of an access-logging or tracing rule.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ModeSelector {
    /// Traffic direction the rule applies to.
    pub mode: WorkloadMode,
}

/// `AccessLogging`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AccessLogging {
    /// Direction the rule applies to; absent means both.
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub match_: Option<ModeSelector>,
    /// Providers; empty inherits the parent's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<ProviderRef>,
    /// `BoolValue`: present `true` turns logging off for the selected providers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// CEL filter: log only when it evaluates to `true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<AccessLogFilter>,
}

/// `AccessLogging.Filter`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct AccessLogFilter {
    /// CEL expression over Envoy attributes.
    pub expression: String,
}

/// `Metrics`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Metrics {
    /// Providers; empty inherits the parent's.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<ProviderRef>,
    /// Overrides, applied in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub overrides: Vec<MetricsOverrides>,
    /// TCP reporting interval as a protobuf duration string (`"5s"`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporting_interval: Option<String>,
}

/// `MetricSelector.IstioMetric`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum IstioMetric {
    /// Every standard metric.
    #[default]
    AllMetrics,
    /// `istio_requests_total`.
    RequestCount,
    /// `istio_request_duration_milliseconds`.
    RequestDuration,
    /// `istio_request_bytes`.
    RequestSize,
    /// `istio_response_bytes`.
    ResponseSize,
    /// `istio_tcp_connections_opened_total`.
    TcpOpenedConnections,
    /// `istio_tcp_connections_closed_total`.
    TcpClosedConnections,
    /// `istio_tcp_sent_bytes_total`.
    TcpSentBytes,
    /// `istio_tcp_received_bytes_total`.
    TcpReceivedBytes,
    /// `istio_request_messages_total`.
    GrpcRequestMessages,
    /// `istio_response_messages_total`.
    GrpcResponseMessages,
}

impl IstioMetric {
    /// The ten standard metrics (everything but `ALL_METRICS`), in Istio's sorted-name order.
    pub const STANDARD: [IstioMetric; 10] = [
        IstioMetric::GrpcRequestMessages,
        IstioMetric::GrpcResponseMessages,
        IstioMetric::RequestCount,
        IstioMetric::RequestDuration,
        IstioMetric::RequestSize,
        IstioMetric::ResponseSize,
        IstioMetric::TcpClosedConnections,
        IstioMetric::TcpOpenedConnections,
        IstioMetric::TcpReceivedBytes,
        IstioMetric::TcpSentBytes,
    ];

    /// The enum name as written in YAML.
    pub fn name(self) -> &'static str {
        match self {
            IstioMetric::AllMetrics => "ALL_METRICS",
            IstioMetric::RequestCount => "REQUEST_COUNT",
            IstioMetric::RequestDuration => "REQUEST_DURATION",
            IstioMetric::RequestSize => "REQUEST_SIZE",
            IstioMetric::ResponseSize => "RESPONSE_SIZE",
            IstioMetric::TcpOpenedConnections => "TCP_OPENED_CONNECTIONS",
            IstioMetric::TcpClosedConnections => "TCP_CLOSED_CONNECTIONS",
            IstioMetric::TcpSentBytes => "TCP_SENT_BYTES",
            IstioMetric::TcpReceivedBytes => "TCP_RECEIVED_BYTES",
            IstioMetric::GrpcRequestMessages => "GRPC_REQUEST_MESSAGES",
            IstioMetric::GrpcResponseMessages => "GRPC_RESPONSE_MESSAGES",
        }
    }

    /// The Prometheus name Istio exports (with the `istio_` prefix); empty for `ALL_METRICS`.
    pub fn prometheus_name(self) -> &'static str {
        match self {
            IstioMetric::AllMetrics => "",
            IstioMetric::RequestCount => "istio_requests_total",
            IstioMetric::RequestDuration => "istio_request_duration_milliseconds",
            IstioMetric::RequestSize => "istio_request_bytes",
            IstioMetric::ResponseSize => "istio_response_bytes",
            IstioMetric::TcpOpenedConnections => "istio_tcp_connections_opened_total",
            IstioMetric::TcpClosedConnections => "istio_tcp_connections_closed_total",
            IstioMetric::TcpSentBytes => "istio_tcp_sent_bytes_total",
            IstioMetric::TcpReceivedBytes => "istio_tcp_received_bytes_total",
            IstioMetric::GrpcRequestMessages => "istio_request_messages_total",
            IstioMetric::GrpcResponseMessages => "istio_response_messages_total",
        }
    }
}

/// `MetricSelector`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MetricSelector {
    /// A standard metric (oneof with `custom_metric`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric: Option<IstioMetric>,
    /// A custom metric name (oneof with `metric`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_metric: Option<String>,
    /// Direction the override applies to.
    pub mode: WorkloadMode,
}

/// `MetricsOverrides`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MetricsOverrides {
    /// Metric and mode selector; absent means every metric in both modes.
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub match_: Option<MetricSelector>,
    /// `BoolValue`: present replaces the inherited value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    /// Tag overrides by tag name; merged key by key across levels.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub tag_overrides: BTreeMap<String, TagOverride>,
}

/// `TagOverride.Operation`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TagOperation {
    /// Insert or replace the tag with the CEL value.
    #[default]
    Upsert,
    /// Drop the tag.
    Remove,
}

/// `MetricsOverrides.TagOverride`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TagOverride {
    /// What to do with the tag; absent means UPSERT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<TagOperation>,
    /// CEL expression for UPSERT.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

/// `Tracing`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Tracing {
    /// Direction the rule applies to.
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub match_: Option<ModeSelector>,
    /// Providers; only the first is used.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub providers: Vec<ProviderRef>,
    /// Sampling percentage in [0, 100].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub random_sampling_percentage: Option<f64>,
    /// Stop reporting spans (propagation continues).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_span_reporting: Option<bool>,
    /// Custom span tags; replaces the parent's map whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_tags: Option<BTreeMap<String, CustomTag>>,
    /// Use the request id for the sampling decision (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub use_request_id_for_trace_sampling: Option<bool>,
    /// Add Istio's own span tags (default true).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_istio_tags: Option<bool>,
    /// Stop forwarding trace context headers (default false).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_context_propagation: Option<bool>,
}

/// `Tracing.CustomTag` (a oneof; more than one set is a schema error).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CustomTag {
    /// A fixed value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub literal: Option<LiteralTag>,
    /// From an environment variable of the proxy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<NamedTag>,
    /// From a request header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub header: Option<NamedTag>,
    /// From an access-log formatter string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatter: Option<LiteralTag>,
}

/// `Tracing.Literal` / `Tracing.Formatter`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LiteralTag {
    /// The value (required).
    pub value: String,
}

/// `Tracing.Environment` / `Tracing.RequestHeader`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NamedTag {
    /// Variable or header name (required).
    pub name: String,
    /// Used when the variable or header is absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_value: Option<String>,
}

impl Telemetry {
    /// True when the object's `apiVersion`/`kind` name a Telemetry of any served version.
    pub fn is_telemetry(api_version: &str, kind: &str) -> bool {
        kind == "Telemetry"
            && api_version
                .split_once('/')
                .is_some_and(|(g, v)| g == GROUP && VERSIONS.contains(&v))
    }

    /// True when the resource selects workloads by label (a non-empty `selector`).
    pub fn has_selector(&self) -> bool {
        self.spec
            .selector
            .as_ref()
            .is_some_and(|s| !s.match_labels.is_empty())
    }
}
