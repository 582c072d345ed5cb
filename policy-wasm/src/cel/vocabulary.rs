//! The attributes Envoy and Istio expose to CEL (Telemetry filters and tag overrides) and to
//! `proxy_get_property`, with their CEL types.

use crate::attributes::HeaderMap;

/// The CEL type of an attribute, which also says how its property bytes decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AttrType {
    /// Text.
    String,
    /// Signed integer (8 bytes little-endian).
    Int,
    /// Unsigned integer (8 bytes little-endian).
    Uint,
    /// Boolean (one byte).
    Bool,
    /// Timestamp (int64 ns since the epoch).
    Timestamp,
    /// Duration (int64 ns).
    Duration,
    /// A header map, readable one header at a time.
    Headers(HeaderMap),
    /// A string-to-string map (pair-serialized).
    StringMap,
    /// A namespace whose members are all listed here (`request`, `filter_state.upstream_peer`).
    Struct,
    /// Open structured data (metadata, filter state, node): any member path may exist and
    /// decodes as text (or bytes when not UTF-8).
    Dyn,
}

impl AttrType {
    /// The CEL type name shown to operators.
    pub(crate) fn cel_name(self) -> &'static str {
        match self {
            AttrType::String => "string",
            AttrType::Int => "int",
            AttrType::Uint => "uint",
            AttrType::Bool => "bool",
            AttrType::Timestamp => "timestamp",
            AttrType::Duration => "duration",
            AttrType::Headers(_) | AttrType::StringMap => "map(string, string)",
            AttrType::Struct => "attribute group",
            AttrType::Dyn => "dyn",
        }
    }
}

/// One attribute: dotted path, type, and whether it only exists for HTTP streams.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Attribute {
    pub path: &'static str,
    pub ty: AttrType,
    pub http_only: bool,
}

const fn a(path: &'static str, ty: AttrType) -> Attribute {
    Attribute {
        path,
        ty,
        http_only: false,
    }
}

const fn h(path: &'static str, ty: AttrType) -> Attribute {
    Attribute {
        path,
        ty,
        http_only: true,
    }
}

use AttrType::{Bool, Duration, Dyn, Int, String as S, StringMap, Struct, Timestamp, Uint};

/// Every attribute the checker knows (Envoy 1.40 attributes, Istio peer metadata, Wasm-only),
/// grouped by first segment so that a lookup reads only its own group.
const GROUPS: &[(&str, &[Attribute])] = &[
    (
        "request",
        &[
            h("request", Struct),
            h("request.path", S),
            h("request.url_path", S),
            h("request.host", S),
            h("request.scheme", S),
            h("request.method", S),
            h(
                "request.headers",
                AttrType::Headers(HeaderMap::RequestHeaders),
            ),
            h("request.headers_bytes", Uint),
            h("request.referer", S),
            h("request.useragent", S),
            h("request.time", Timestamp),
            h("request.id", S),
            h("request.protocol", S),
            h("request.query", S),
            h("request.duration", Duration),
            h("request.size", Int),
            h("request.total_size", Int),
        ],
    ),
    (
        "response",
        &[
            a("response", Struct),
            h("response.code", Int),
            h("response.code_details", S),
            a("response.flags", Int),
            h("response.grpc_status", Int),
            h(
                "response.headers",
                AttrType::Headers(HeaderMap::ResponseHeaders),
            ),
            h("response.headers_bytes", Uint),
            h(
                "response.trailers",
                AttrType::Headers(HeaderMap::ResponseTrailers),
            ),
            h("response.size", Int),
            h("response.total_size", Int),
            h("response.backend_latency", Duration),
        ],
    ),
    (
        "source",
        &[
            a("source", Struct),
            a("source.address", S),
            a("source.port", Int),
        ],
    ),
    (
        "destination",
        &[
            a("destination", Struct),
            a("destination.address", S),
            a("destination.port", Int),
        ],
    ),
    (
        "connection",
        &[
            a("connection", Struct),
            a("connection.id", Uint),
            a("connection.mtls", Bool),
            a("connection.requested_server_name", S),
            a("connection.tls_version", S),
            a("connection.subject_local_certificate", S),
            a("connection.subject_peer_certificate", S),
            a("connection.dns_san_local_certificate", S),
            a("connection.dns_san_peer_certificate", S),
            a("connection.uri_san_local_certificate", S),
            a("connection.uri_san_peer_certificate", S),
            a("connection.sha256_peer_certificate_digest", S),
            a("connection.transport_failure_reason", S),
            a("connection.termination_details", S),
        ],
    ),
    (
        "upstream",
        &[
            a("upstream", Struct),
            a("upstream.address", S),
            a("upstream.port", Int),
            a("upstream.local_address", S),
            a("upstream.local_port", Int),
            a("upstream.tls_version", S),
            a("upstream.subject_local_certificate", S),
            a("upstream.subject_peer_certificate", S),
            a("upstream.dns_san_local_certificate", S),
            a("upstream.dns_san_peer_certificate", S),
            a("upstream.uri_san_local_certificate", S),
            a("upstream.uri_san_peer_certificate", S),
            a("upstream.sha256_peer_certificate_digest", S),
            a("upstream.transport_failure_reason", S),
            a("upstream.request_attempt_count", Uint),
            a("upstream.cx_pool_ready_duration", Duration),
            a("upstream.locality", StringMap),
            a("upstream.num_endpoints", Uint),
        ],
    ),
    ("metadata", &[a("metadata", Dyn)]),
    (
        "filter_state",
        &[
            a("filter_state", Dyn),
            a("filter_state.downstream_peer", Struct),
            a("filter_state.upstream_peer", Struct),
        ],
    ),
    ("upstream_filter_state", &[a("upstream_filter_state", Dyn)]),
    (
        "xds",
        &[
            a("xds", Struct),
            a("xds.node", Dyn),
            a("xds.node.id", S),
            a("xds.node.cluster", S),
            a("xds.node.metadata", Dyn),
            a("xds.cluster_name", S),
            a("xds.cluster_metadata", Dyn),
            a("xds.listener_direction", Int),
            a("xds.listener_metadata", Dyn),
            a("xds.route_name", S),
            a("xds.route_metadata", Dyn),
            a("xds.virtual_host_name", S),
            a("xds.virtual_host_metadata", Dyn),
            a("xds.upstream_host_metadata", Dyn),
            a("xds.upstream_host_locality_metadata", Dyn),
            a("xds.filter_chain_name", S),
        ],
    ),
    ("plugin_name", &[a("plugin_name", S)]),
    ("plugin_root_id", &[a("plugin_root_id", S)]),
    ("plugin_vm_id", &[a("plugin_vm_id", S)]),
];

/// Every attribute, group by group.
fn attributes() -> impl Iterator<Item = &'static Attribute> {
    GROUPS.iter().flat_map(|(_, group)| group.iter())
}

/// Fields of Istio's peer metadata objects (`filter_state.downstream_peer.*`).
const PEER_FIELDS: &[(&str, AttrType)] = &[
    ("app", S),
    ("version", S),
    ("service", S),
    ("revision", S),
    ("name", S),
    ("namespace", S),
    ("type", S),
    ("workload", S),
    ("cluster", S),
    ("identity", S),
    ("region", S),
    ("availability_zone", S),
    ("labels", StringMap),
];

/// What the vocabulary says about a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// Exactly an attribute of this type.
    Exact(AttrType, bool),
    /// A member of open data (metadata, filter state, node): read the whole path as text.
    Open { http_only: bool },
    /// One key of a map attribute (a header, a label).
    Key(AttrType, bool),
    /// A member of a namespace or scalar that has no such member: `consumed` segments matched.
    Unknown { consumed: usize },
}

/// How many segments of `path` the dotted `attr` spells out, when it is a prefix of `path`.
/// Compares bytes in place: it runs for every attribute on every evaluation, and splitting each
/// name on `.` took most of an evaluation's time.
fn matches_prefix(attr: &str, path: &[&str]) -> Option<usize> {
    let mut rest = attr.as_bytes();
    for (n, seg) in path.iter().enumerate() {
        let seg = seg.as_bytes();
        // A segment with a dot in it (a map key) is never one of the name's segments.
        let tail = rest.strip_prefix(seg).filter(|_| !seg.contains(&b'.'))?;
        match tail.split_first() {
            None => return Some(n + 1),
            Some((b'.', after)) => rest = after,
            Some(_) => return None,
        }
    }
    // `path` ran out before the name did.
    None
}

/// Looks up a path (segments) in the vocabulary.
pub(crate) fn resolve(path: &[&str]) -> Resolved {
    // Peer metadata fields are listed compactly.
    if let [root, peer, field, rest @ ..] = path
        && *root == "filter_state"
        && (*peer == "downstream_peer" || *peer == "upstream_peer")
    {
        return match (PEER_FIELDS.iter().find(|(n, _)| n == field), rest) {
            (Some((_, ty)), []) => Resolved::Exact(*ty, false),
            (Some((_, StringMap)), [_]) => Resolved::Key(S, false),
            _ => Resolved::Unknown { consumed: 2 },
        };
    }
    let Some((_, group)) = path
        .first()
        .and_then(|first| GROUPS.iter().find(|(root, _)| root == first))
    else {
        return Resolved::Unknown { consumed: 0 };
    };
    let best = group
        .iter()
        .filter_map(|attr| matches_prefix(attr.path, path).map(|n| (n, attr)))
        .max_by_key(|(n, _)| *n);
    let Some((n, attr)) = best else {
        return Resolved::Unknown { consumed: 0 };
    };
    let extra = path.len() - n;
    match (attr.ty, extra) {
        (ty, 0) => Resolved::Exact(ty, attr.http_only),
        (Dyn, _) => Resolved::Open {
            http_only: attr.http_only,
        },
        (AttrType::Headers(_) | StringMap, 1) => Resolved::Key(attr.ty, attr.http_only),
        _ => Resolved::Unknown { consumed: n },
    }
}

/// Whether the first segment names an attribute group or attribute.
pub(crate) fn is_known_root(name: &str) -> bool {
    GROUPS.iter().any(|(root, _)| *root == name)
}

/// The known attribute closest to `wanted` (a dotted path), for "did you mean" hints.
pub(crate) fn nearest(wanted: &str) -> Option<&'static str> {
    let peer_paths = ["filter_state.downstream_peer", "filter_state.upstream_peer"];
    let candidates = attributes()
        .filter(|a| a.ty != Struct)
        .map(|a| a.path)
        .chain(peer_paths);
    let mut best: Option<(usize, &'static str)> = None;
    for c in candidates {
        let d = edit_distance(wanted, c);
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    // Only suggest when the two are plausibly the same name.
    best.filter(|(d, c)| *d <= (c.len().max(wanted.len()) / 3).max(2))
        .map(|(_, c)| c)
}

/// Levenshtein distance over bytes, bounded in cost by the (short) attribute names.
fn edit_distance(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() > 256 || b.len() > 256 {
        return usize::MAX;
    }
    let mut prev: alloc::vec::Vec<usize> = (0..=b.len()).collect();
    let mut cur = alloc::vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        if let Some(first) = cur.first_mut() {
            *first = i + 1;
        }
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            let v = (prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1);
            cur[j + 1] = v;
        }
        core::mem::swap(&mut prev, &mut cur);
    }
    prev.last().copied().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_paths() {
        assert_eq!(resolve(&["response", "code"]), Resolved::Exact(Int, true));
        assert_eq!(
            resolve(&["connection", "mtls"]),
            Resolved::Exact(Bool, false)
        );
        assert!(matches!(
            resolve(&["request", "headers", "x-foo"]),
            Resolved::Key(_, true)
        ));
        assert!(matches!(
            resolve(&["xds", "node", "metadata", "NAMESPACE"]),
            Resolved::Open { .. }
        ));
        assert_eq!(
            resolve(&["respose", "code"]),
            Resolved::Unknown { consumed: 0 }
        );
        assert_eq!(
            resolve(&["request", "agent"]),
            Resolved::Unknown { consumed: 1 }
        );
        assert_eq!(
            resolve(&["filter_state", "upstream_peer", "namespace"]),
            Resolved::Exact(S, false)
        );
        assert_eq!(nearest("respose.code"), Some("response.code"));
        assert_eq!(nearest("request.user_agent"), Some("request.useragent"));
        assert_eq!(nearest("completely.different.thing.here"), None);
    }

    #[test]
    fn every_name_is_in_the_group_of_its_first_segment_and_named_once() {
        let mut seen = alloc::vec::Vec::new();
        for (root, group) in GROUPS {
            for attr in *group {
                assert_eq!(attr.path.split('.').next(), Some(*root), "{}", attr.path);
                assert!(!seen.contains(&attr.path), "{} twice", attr.path);
                seen.push(attr.path);
            }
        }
        let roots: alloc::vec::Vec<_> = GROUPS.iter().map(|(root, _)| root).collect();
        for (i, root) in roots.iter().enumerate() {
            assert!(!roots[..i].contains(root), "two groups for {root:?}");
        }
    }

    #[test]
    fn prefix_match_agrees_with_splitting_the_name() {
        fn by_split(attr: &str, path: &[&str]) -> Option<usize> {
            let mut n = 0;
            for seg in attr.split('.') {
                if path.get(n) != Some(&seg) {
                    return None;
                }
                n += 1;
            }
            Some(n)
        }
        let paths: &[&[&str]] = &[
            &[],
            &[""],
            &["request"],
            &["request", "path"],
            &["request.path"],
            &["request", "path", "x"],
            &["request", "pat"],
            &["request", "paths"],
            &["requests"],
            &["req"],
            &["request", ""],
            &["request", "headers", "a.b"],
            &["xds", "node", "metadata", "NAMESPACE"],
            &["xds", "node.metadata"],
            &["filter_state", "upstream_peer", "labels", "app"],
            &["upstream", "local_port"],
        ];
        for attr in attributes().map(|a| a.path).chain(["", "a..b", "a."]) {
            for path in paths {
                assert_eq!(
                    matches_prefix(attr, path),
                    by_split(attr, path),
                    "{attr} {path:?}"
                );
            }
        }
    }
}
