//! Istio's 25 standard labels and how their values are computed per request (istio-metrics.md §2,
//! §3): local side from node metadata, peer side from peer metadata, `unknown` / `latest`
//! fallbacks.

use crate::accesslog::flags::write_codes;
use crate::attributes::{AttributeSource, Bytes, HeaderMap, Path};
use crate::path;
use crate::workload::Mode;
use alloc::borrow::Cow;
use alloc::string::String;
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

/// One side's workload identity (the seven labels each side has besides the principal). The
/// local side is read once at configure time (owned); a request's peer borrows its attributes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Peer<'a> {
    /// Workload name.
    pub workload: Cow<'a, str>,
    /// Namespace.
    pub namespace: Cow<'a, str>,
    /// `app` label.
    pub app: Cow<'a, str>,
    /// `version` label.
    pub version: Cow<'a, str>,
    /// Canonical service (`service.istio.io/canonical-name`).
    pub canonical_service: Cow<'a, str>,
    /// Canonical revision (`service.istio.io/canonical-revision`).
    pub canonical_revision: Cow<'a, str>,
    /// Cluster id.
    pub cluster: Cow<'a, str>,
}

impl Peer<'static> {
    /// The local side from node metadata (`WORKLOAD_NAME`, `NAMESPACE`, `CLUSTER_ID`, `LABELS`).
    pub fn from_node(attrs: &dyn AttributeSource) -> Peer<'static> {
        let meta = |key: &str| owned(text(attrs.property(&["xds", "node", "metadata", key])));
        let label = |key: &str| {
            owned(text(
                attrs.property(&["xds", "node", "metadata", "LABELS", key]),
            ))
        };
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
}

fn owned(text: Cow<'_, str>) -> Cow<'static, str> {
    Cow::Owned(text.into_owned())
}

impl<'a> Peer<'a> {
    /// The peer from Istio's filter state object (`downstream_peer` / `upstream_peer`); on the
    /// client, falls back to the upstream host's `istio.workload` metadata
    /// (`workload;namespace;canonical_service;canonical_revision;cluster_id`).
    pub fn from_peer_metadata(attrs: &'a dyn AttributeSource, mode: Mode) -> Peer<'a> {
        let [
            workload,
            namespace,
            app,
            version,
            service,
            revision,
            cluster,
        ] = match mode {
            Mode::Server => &DOWNSTREAM_PEER,
            Mode::Client => &UPSTREAM_PEER,
        }
        .map(|path| text(attrs.get(&path)));
        let peer = Peer {
            workload,
            namespace,
            app,
            version,
            canonical_service: service,
            canonical_revision: revision,
            cluster,
        };
        if peer != Peer::default() || mode == Mode::Server {
            return peer;
        }
        let host = text(attrs.get(&path!(
            "xds",
            "upstream_host_metadata",
            "filter_metadata",
            "istio",
            "workload"
        )));
        let [
            workload,
            namespace,
            canonical_service,
            canonical_revision,
            cluster,
        ] = parts(&host, |h| {
            let mut fields = [""; 5];
            for (slot, field) in fields.iter_mut().zip(h.split(';')) {
                *slot = field;
            }
            fields
        });
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
    fn into_values(self) -> [Cow<'a, str>; 7] {
        let canonical = if self.canonical_service.is_empty() {
            self.workload.clone()
        } else {
            self.canonical_service
        };
        let revision = if self.canonical_revision.is_empty() {
            Cow::Borrowed("latest")
        } else {
            self.canonical_revision
        };
        [
            self.workload,
            self.namespace,
            self.app,
            self.version,
            canonical,
            revision,
            self.cluster,
        ]
    }

    /// The same identity borrowed from this one.
    fn borrowed(&self) -> Peer<'_> {
        Peer {
            workload: Cow::Borrowed(&self.workload),
            namespace: Cow::Borrowed(&self.namespace),
            app: Cow::Borrowed(&self.app),
            version: Cow::Borrowed(&self.version),
            canonical_service: Cow::Borrowed(&self.canonical_service),
            canonical_revision: Cow::Borrowed(&self.canonical_revision),
            cluster: Cow::Borrowed(&self.cluster),
        }
    }
}

/// A text property's value; absent reads as empty, invalid UTF-8 is replaced. Valid text
/// (nearly all of it) stays borrowed from the source.
fn text(value: Option<Bytes<'_>>) -> Cow<'_, str> {
    match value {
        // `from_utf8` checks ASCII a word at a time; the lossy decoder is for the rare rest.
        Some(Cow::Borrowed(bytes)) => match core::str::from_utf8(bytes) {
            Ok(text) => Cow::Borrowed(text),
            Err(_) => String::from_utf8_lossy(bytes),
        },
        Some(Cow::Owned(bytes)) => match String::from_utf8(bytes) {
            Ok(text) => Cow::Owned(text),
            Err(e) => Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
        },
        None => Cow::Borrowed(""),
    }
}

/// The parts `split` takes out of `text`, borrowed from where `text` is.
fn parts<'a, const N: usize>(
    text: &Cow<'a, str>,
    split: impl Fn(&str) -> [&str; N],
) -> [Cow<'a, str>; N] {
    match text {
        Cow::Borrowed(t) => split(t).map(Cow::Borrowed),
        Cow::Owned(t) => split(t).map(|part| Cow::Owned(part.into())),
    }
}

/// Istio's peer metadata fields in filter state, in [`Peer`] order (workload, namespace, app,
/// version, service, revision, cluster), for the inbound side's downstream peer ...
const DOWNSTREAM_PEER: [Path; 7] = [
    path!("filter_state", "downstream_peer", "workload"),
    path!("filter_state", "downstream_peer", "namespace"),
    path!("filter_state", "downstream_peer", "app"),
    path!("filter_state", "downstream_peer", "version"),
    path!("filter_state", "downstream_peer", "service"),
    path!("filter_state", "downstream_peer", "revision"),
    path!("filter_state", "downstream_peer", "cluster"),
];

/// ... and the outbound side's upstream peer.
const UPSTREAM_PEER: [Path; 7] = [
    path!("filter_state", "upstream_peer", "workload"),
    path!("filter_state", "upstream_peer", "namespace"),
    path!("filter_state", "upstream_peer", "app"),
    path!("filter_state", "upstream_peer", "version"),
    path!("filter_state", "upstream_peer", "service"),
    path!("filter_state", "upstream_peer", "revision"),
    path!("filter_state", "upstream_peer", "cluster"),
];

/// The destination cluster's Istio service (`host`, `name`, `namespace`).
const SERVICE: [Path; 3] = [
    path!(
        "xds",
        "cluster_metadata",
        "filter_metadata",
        "istio",
        "services",
        "0",
        "host"
    ),
    path!(
        "xds",
        "cluster_metadata",
        "filter_metadata",
        "istio",
        "services",
        "0",
        "name"
    ),
    path!(
        "xds",
        "cluster_metadata",
        "filter_metadata",
        "istio",
        "services",
        "0",
        "namespace"
    ),
];

/// True when the request's content type is gRPC (`application/grpc`, `application/grpc+proto`, …).
pub fn is_grpc(attrs: &dyn AttributeSource) -> bool {
    attrs
        .header(HeaderMap::RequestHeaders, "content-type")
        .is_some_and(|ct| ct.starts_with(b"application/grpc"))
}

/// The 25 standard label values of one request, in [`STANDARD_LABELS`] order.
pub type StandardValues<'v> = [Cow<'v, str>; 25];

/// Computes the 25 standard label values of one HTTP request in `mode`; `local` is this proxy's
/// own side (read once from node metadata). Values borrow from the request's attributes and from
/// `local`, so a request allocates only the few it computes (numbers, flags).
pub fn standard_values<'v>(
    attrs: &'v dyn AttributeSource,
    mode: Mode,
    local: &'v Peer<'_>,
) -> StandardValues<'v> {
    let peer = Peer::from_peer_metadata(attrs, mode);
    let (source_principal, destination_principal) = match mode {
        Mode::Client => (
            text(attrs.get(&path!("upstream", "uri_san_local_certificate"))),
            text(attrs.get(&path!("upstream", "uri_san_peer_certificate"))),
        ),
        Mode::Server => (
            text(attrs.get(&path!("connection", "uri_san_peer_certificate"))),
            text(attrs.get(&path!("connection", "uri_san_local_certificate"))),
        ),
    };
    let (service, service_name, service_namespace) = destination_service(attrs, mode, local);
    let grpc = is_grpc(attrs);
    let mut flags = Vec::new();
    write_codes(
        attrs.get_i64(&path!("response", "flags")).unwrap_or(0) as u64,
        false,
        &mut flags,
    );
    let security = match mode {
        Mode::Client => "unknown",
        Mode::Server if attrs.get_bool(&path!("connection", "mtls")) == Some(true) => "mutual_tls",
        Mode::Server => "none",
    };
    let grpc_status = if grpc {
        decimal(
            attrs
                .get_i64(&path!("response", "grpc_status"))
                .unwrap_or(2),
        )
    } else {
        Cow::Borrowed("")
    };
    let ([sw, sn, sa, sv, sc, sr, scl], [dw, dn, da, dv, dc, dr, dcl]) = match mode {
        Mode::Client => (local.borrowed().into_values(), peer.into_values()),
        Mode::Server => (peer.into_values(), local.borrowed().into_values()),
    };
    let reporter = match mode {
        Mode::Client => "source",
        Mode::Server => "destination",
    };
    let mut out: StandardValues<'v> = [
        Cow::Borrowed(reporter),
        sw,
        sn,
        source_principal,
        sa,
        sv,
        sc,
        sr,
        scl,
        dw,
        dn,
        destination_principal,
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
        decimal(attrs.get_i64(&path!("response", "code")).unwrap_or(0)),
        grpc_status,
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
fn decimal(n: i64) -> Cow<'static, str> {
    let mut out = Vec::with_capacity(4);
    crate::accesslog::write_int(n, 0, &mut out);
    Cow::Owned(String::from_utf8(out).unwrap_or_default())
}

/// The label values of a TCP connection in `mode`: the standard values with `request_protocol`
/// `tcp`; TCP metrics carry only the first [`TCP_LABELS`] (no `response_code`,
/// `grpc_response_status`).
pub fn tcp_values<'v>(
    attrs: &'v dyn AttributeSource,
    mode: Mode,
    local: &'v Peer<'_>,
) -> StandardValues<'v> {
    let mut values = standard_values(attrs, mode, local);
    values[20] = Cow::Borrowed("tcp");
    values
}

/// `destination_service`, `_name`, `_namespace`: cluster metadata, self-named clusters, then the
/// Host header (client) or the local canonical service (server, where istiod disables the Host
/// fallback).
fn destination_service<'v>(
    attrs: &'v dyn AttributeSource,
    mode: Mode,
    local: &'v Peer<'_>,
) -> (Cow<'v, str>, Cow<'v, str>, Cow<'v, str>) {
    let cluster = text(attrs.get(&path!("xds", "cluster_name")));
    if SELF_NAMED_CLUSTERS.contains(&&*cluster) {
        return (cluster.clone(), cluster, Cow::Borrowed(""));
    }
    let [host, name, namespace] = SERVICE.map(|path| text(attrs.get(&path)));
    if !host.is_empty() {
        return (host, name, namespace);
    }
    match mode {
        Mode::Client => {
            let host = text(attrs.get(&path!("request", "host")));
            let [name] = parts(&host, |h| {
                let dot = h.bytes().position(|b| b == b'.').unwrap_or(h.len());
                [&h[..dot]]
            });
            (host, name, Cow::Borrowed(""))
        }
        Mode::Server => {
            let [_, namespace, _, _, canonical, _, _] = local.borrowed().into_values();
            (canonical.clone(), canonical, namespace)
        }
    }
}
