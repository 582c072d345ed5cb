//! Istio's 25 standard labels and how their values are computed per request (istio-metrics.md §2,
//! §3): local side from node metadata, peer side from peer metadata, `unknown` / `latest`
//! fallbacks.

use crate::accesslog::flags::write_codes;
use crate::attributes::{AttributeSource, HeaderMap};
use crate::workload::Mode;
use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// The standard labels in Istio's `STD_ISTIO_DIMENSIONS` order.
pub const STANDARD_LABELS: [&str; 25] = [
    "reporter",
    "source_workload",
    "source_workload_namespace",
    "source_principal",
    "source_app",
    "source_version",
    "source_canonical_service",
    "source_canonical_revision",
    "source_cluster",
    "destination_workload",
    "destination_workload_namespace",
    "destination_principal",
    "destination_app",
    "destination_version",
    "destination_service",
    "destination_service_name",
    "destination_service_namespace",
    "destination_canonical_service",
    "destination_canonical_revision",
    "destination_cluster",
    "request_protocol",
    "response_flags",
    "connection_security_policy",
    "response_code",
    "grpc_response_status",
];

/// How many leading standard labels the gRPC message counters carry (`count_peer_labels`).
pub const PEER_LABELS: usize = 20;

/// How many leading standard labels TCP metrics carry (`count_tcp_labels`).
pub const TCP_LABELS: usize = 23;

/// Index of a standard label by name.
pub fn standard_index(name: &str) -> Option<usize> {
    STANDARD_LABELS.iter().position(|l| *l == name)
}

/// Clusters that name themselves in `destination_service*` (istio-metrics.md §3).
const SELF_NAMED_CLUSTERS: [&str; 5] = [
    "BlackHoleCluster",
    "PassthroughCluster",
    "InboundPassthroughCluster",
    "InboundPassthroughClusterIpv4",
    "InboundPassthroughClusterIpv6",
];

/// One side's workload identity (the seven labels each side has besides the principal).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peer {
    /// Workload name.
    pub workload: String,
    /// Namespace.
    pub namespace: String,
    /// `app` label.
    pub app: String,
    /// `version` label.
    pub version: String,
    /// Canonical service (`service.istio.io/canonical-name`).
    pub canonical_service: String,
    /// Canonical revision (`service.istio.io/canonical-revision`).
    pub canonical_revision: String,
    /// Cluster id.
    pub cluster: String,
}

impl Peer {
    /// The local side from node metadata (`WORKLOAD_NAME`, `NAMESPACE`, `CLUSTER_ID`, `LABELS`).
    pub fn from_node(attrs: &dyn AttributeSource) -> Peer {
        let meta = |key: &str| text(attrs, &["xds", "node", "metadata", key]);
        let label = |key: &str| text(attrs, &["xds", "node", "metadata", "LABELS", key]);
        Peer {
            workload: meta("WORKLOAD_NAME"),
            namespace: meta("NAMESPACE"),
            app: label("app"),
            version: label("version"),
            canonical_service: label("service.istio.io/canonical-name"),
            canonical_revision: label("service.istio.io/canonical-revision"),
            cluster: meta("CLUSTER_ID"),
        }
    }

    /// The peer from Istio's filter state object (`downstream_peer` / `upstream_peer`); on the
    /// client, falls back to the upstream host's `istio.workload` metadata
    /// (`workload;namespace;canonical_service;canonical_revision;cluster_id`).
    pub fn from_peer_metadata(attrs: &dyn AttributeSource, mode: Mode) -> Peer {
        let key = match mode {
            Mode::Server => "downstream_peer",
            Mode::Client => "upstream_peer",
        };
        let field = |f: &str| text(attrs, &["filter_state", key, f]);
        let peer = Peer {
            workload: field("workload"),
            namespace: field("namespace"),
            app: field("app"),
            version: field("version"),
            canonical_service: field("service"),
            canonical_revision: field("revision"),
            cluster: field("cluster"),
        };
        if peer != Peer::default() || mode == Mode::Server {
            return peer;
        }
        let host = text(
            attrs,
            &[
                "xds",
                "upstream_host_metadata",
                "filter_metadata",
                "istio",
                "workload",
            ],
        );
        let mut parts = host.split(';').map(ToString::to_string);
        let mut next = || parts.next().unwrap_or_default();
        let (workload, namespace, canonical_service, canonical_revision, cluster) =
            (next(), next(), next(), next(), next());
        Peer {
            workload,
            namespace,
            canonical_service,
            canonical_revision,
            cluster,
            ..Peer::default()
        }
    }

    /// The seven values in label order (workload, namespace, app, version, canonical service,
    /// canonical revision, cluster), principal excluded, with Istio's fallbacks applied.
    fn values(&self) -> [&str; 7] {
        let canonical = if self.canonical_service.is_empty() {
            &self.workload
        } else {
            &self.canonical_service
        };
        let revision = if self.canonical_revision.is_empty() {
            "latest"
        } else {
            &self.canonical_revision
        };
        [
            &self.workload,
            &self.namespace,
            &self.app,
            &self.version,
            canonical,
            revision,
            &self.cluster,
        ]
    }
}

/// A text property; absent reads as empty, invalid UTF-8 is replaced (the bytes are reused when
/// they are valid, which they nearly always are).
fn text(attrs: &dyn AttributeSource, path: &[&str]) -> String {
    match attrs.property(path).map(String::from_utf8) {
        Some(Ok(text)) => text,
        Some(Err(e)) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        None => String::new(),
    }
}

/// True when the request's content type is gRPC (`application/grpc`, `application/grpc+proto`, …).
pub fn is_grpc(attrs: &dyn AttributeSource) -> bool {
    attrs
        .header(HeaderMap::RequestHeaders, "content-type")
        .is_some_and(|ct| ct.starts_with(b"application/grpc"))
}

/// Computes the 25 standard label values of one HTTP request in `mode`; `local` is this proxy's
/// own side (read once from node metadata). Values that do not depend on the request (the local
/// side, fixed words) are borrowed, so a request allocates only what it read.
pub fn standard_values<'l>(
    attrs: &dyn AttributeSource,
    mode: Mode,
    local: &'l Peer,
) -> Vec<Cow<'l, str>> {
    let peer = Peer::from_peer_metadata(attrs, mode);
    let (source_principal, destination_principal) = match mode {
        Mode::Client => (
            text(attrs, &["upstream", "uri_san_local_certificate"]),
            text(attrs, &["upstream", "uri_san_peer_certificate"]),
        ),
        Mode::Server => (
            text(attrs, &["connection", "uri_san_peer_certificate"]),
            text(attrs, &["connection", "uri_san_local_certificate"]),
        ),
    };
    let (service, service_name, service_namespace) = destination_service(attrs, mode, local);
    let grpc = is_grpc(attrs);
    let mut flags = Vec::new();
    write_codes(
        attrs.property_i64(&["response", "flags"]).unwrap_or(0) as u64,
        false,
        &mut flags,
    );
    let security = match mode {
        Mode::Client => "unknown",
        Mode::Server if attrs.property_bool(&["connection", "mtls"]) == Some(true) => "mutual_tls",
        Mode::Server => "none",
    };
    let grpc_status = if grpc {
        decimal(
            attrs
                .property_i64(&["response", "grpc_status"])
                .unwrap_or(2),
        )
    } else {
        String::new()
    };
    let owned = |s: &str| Cow::Owned(s.to_string());
    let ([sw, sn, sa, sv, sc, sr, scl], [dw, dn, da, dv, dc, dr, dcl]) = match mode {
        Mode::Client => (local.values().map(Cow::Borrowed), peer.values().map(owned)),
        Mode::Server => (peer.values().map(owned), local.values().map(Cow::Borrowed)),
    };
    let reporter = match mode {
        Mode::Client => "source",
        Mode::Server => "destination",
    };
    let mut out: Vec<Cow<'l, str>> = alloc::vec![
        Cow::Borrowed(reporter),
        sw,
        sn,
        Cow::Owned(source_principal),
        sa,
        sv,
        sc,
        sr,
        scl,
        dw,
        dn,
        Cow::Owned(destination_principal),
        da,
        dv,
        service,
        service_name,
        service_namespace,
        dc,
        dr,
        dcl,
        Cow::Borrowed(if grpc { "grpc" } else { "http" }),
        Cow::Owned(String::from_utf8(flags).unwrap_or_default()),
        Cow::Borrowed(security),
        Cow::Owned(decimal(
            attrs.property_i64(&["response", "code"]).unwrap_or(0),
        )),
        Cow::Owned(grpc_status),
    ];
    // Every empty label reads `unknown`, except the gRPC status of a non-gRPC request.
    for value in out.iter_mut().take(24) {
        if value.is_empty() {
            *value = Cow::Borrowed("unknown");
        }
    }
    out
}

/// `n` in decimal.
fn decimal(n: i64) -> String {
    let mut out = Vec::with_capacity(4);
    crate::accesslog::write_int(n, 0, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// The 23 label values of a TCP connection in `mode`: the standard values with
/// `request_protocol` `tcp`, without `response_code` and `grpc_response_status`.
pub fn tcp_values<'l>(
    attrs: &dyn AttributeSource,
    mode: Mode,
    local: &'l Peer,
) -> Vec<Cow<'l, str>> {
    let mut values = standard_values(attrs, mode, local);
    values[20] = Cow::Borrowed("tcp");
    values.truncate(TCP_LABELS);
    values
}

/// `destination_service`, `_name`, `_namespace`: cluster metadata, self-named clusters, then the
/// Host header (client) or the local canonical service (server, where istiod disables the Host
/// fallback).
fn destination_service<'l>(
    attrs: &dyn AttributeSource,
    mode: Mode,
    local: &'l Peer,
) -> (Cow<'l, str>, Cow<'l, str>, Cow<'l, str>) {
    let cluster = text(attrs, &["xds", "cluster_name"]);
    if SELF_NAMED_CLUSTERS.contains(&cluster.as_str()) {
        return (
            Cow::Owned(cluster.clone()),
            Cow::Owned(cluster),
            Cow::Borrowed(""),
        );
    }
    let service = |f: &str| {
        text(
            attrs,
            &[
                "xds",
                "cluster_metadata",
                "filter_metadata",
                "istio",
                "services",
                "0",
                f,
            ],
        )
    };
    let host = service("host");
    if !host.is_empty() {
        return (
            Cow::Owned(host),
            Cow::Owned(service("name")),
            Cow::Owned(service("namespace")),
        );
    }
    match mode {
        Mode::Client => {
            let host = text(attrs, &["request", "host"]);
            let name = host.split('.').next().unwrap_or_default().to_string();
            (Cow::Owned(host), Cow::Owned(name), Cow::Borrowed(""))
        }
        Mode::Server => {
            let [_, namespace, _, _, canonical, _, _] = local.values();
            (
                Cow::Borrowed(canonical),
                Cow::Borrowed(canonical),
                Cow::Borrowed(namespace),
            )
        }
    }
}
