//! Recorder mode (`--features record`, built as `dist/proxy-recorder.wasm`): instead of access
//! logs, each stream's properties and header maps are written to the proxy log as one fixture in
//! the format of `host-tests/fixtures/README.md`, prefixed `meshtel-fixture `.

use crate::abi::{HttpContext, RootContext};
use crate::host::{self, LEVEL_INFO};
use policy_wasm::attributes::{Encoding, HeaderMap, PROPERTY_ENCODINGS, decode_i64, decode_pairs};

/// Node metadata keys an Istio sidecar carries and the fixtures keep.
const NODE_METADATA: [&str; 4] = ["NAMESPACE", "WORKLOAD_NAME", "CLUSTER_ID", "LABELS"];

/// Properties Istio's metric labels read that `PROPERTY_ENCODINGS` does not list (strings):
/// destination service from cluster metadata, the client-side peer fallback from upstream host
/// metadata, upstream SANs (principals), and the peer metadata Istio places in filter state.
const METRIC_PROPERTIES: [&str; 20] = [
    "xds.cluster_metadata.filter_metadata.istio.services.0.host",
    "xds.cluster_metadata.filter_metadata.istio.services.0.name",
    "xds.cluster_metadata.filter_metadata.istio.services.0.namespace",
    "xds.upstream_host_metadata.filter_metadata.istio.workload",
    "upstream.uri_san_local_certificate",
    "upstream.uri_san_peer_certificate",
    "filter_state.upstream_peer.workload",
    "filter_state.upstream_peer.namespace",
    "filter_state.upstream_peer.app",
    "filter_state.upstream_peer.version",
    "filter_state.upstream_peer.service",
    "filter_state.upstream_peer.revision",
    "filter_state.upstream_peer.cluster",
    "filter_state.downstream_peer.workload",
    "filter_state.downstream_peer.namespace",
    "filter_state.downstream_peer.app",
    "filter_state.downstream_peer.version",
    "filter_state.downstream_peer.service",
    "filter_state.downstream_peer.revision",
    "filter_state.downstream_peer.cluster",
];

/// Filter state objects whose key has dots, by segments: Envoy's gRPC message counts.
const DOTTED_PROPERTIES: [[&str; 2]; 1] = [["filter_state", "envoy.filters.http.grpc_stats"]];

/// The recorder's root context.
#[derive(Default)]
pub struct Recorder;

impl RootContext for Recorder {
    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Stream))
    }
}

struct Stream;

impl HttpContext for Stream {
    fn on_log(&mut self) {
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(b"meshtel-fixture ");
        write_fixture(&mut out);
        host::log(LEVEL_INFO, &out);
    }
}

fn write_fixture(out: &mut Vec<u8>) {
    let direction =
        match host::property(&["xds", "listener_direction"]).and_then(|b| decode_i64(&b)) {
            Some(1) => "inbound",
            _ => "outbound",
        };
    out.extend_from_slice(b"{\"description\":\"\",\"direction\":\"");
    out.extend_from_slice(direction.as_bytes());
    out.extend_from_slice(b"\",\"node\":{\"id\":");
    write_text(
        &host::property(&["xds", "node", "id"]).unwrap_or_default(),
        out,
    );
    out.extend_from_slice(b",\"metadata\":{");
    let mut first = true;
    for key in NODE_METADATA {
        let Some(value) = host::property(&["xds", "node", "metadata", key]) else {
            continue;
        };
        comma(&mut first, out);
        write_text(key.as_bytes(), out);
        out.push(b':');
        if key == "LABELS" {
            write_object(&decode_pairs(&value).unwrap_or_default(), out);
        } else {
            write_text(&value, out);
        }
    }
    out.extend_from_slice(b"}}");
    let maps = [
        ("request_headers", HeaderMap::RequestHeaders),
        ("response_headers", HeaderMap::ResponseHeaders),
        ("request_trailers", HeaderMap::RequestTrailers),
        ("response_trailers", HeaderMap::ResponseTrailers),
    ];
    for (name, map) in maps {
        out.extend_from_slice(b",\"");
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"\":[");
        let pairs = host::header_pairs(map)
            .and_then(|b| decode_pairs(&b))
            .unwrap_or_default();
        for (i, (k, v)) in pairs.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'[');
            write_text(k, out);
            out.push(b',');
            write_text(v, out);
            out.push(b']');
        }
        out.push(b']');
    }
    out.extend_from_slice(b",\"properties\":{");
    let mut first = true;
    for (path, encoding) in PROPERTY_ENCODINGS {
        // Header maps are recorded above; node fields and the direction have their own fields.
        if matches!(*encoding, Encoding::Map)
            || path.starts_with("xds.node")
            || *path == "xds.listener_direction"
        {
            continue;
        }
        let segments: Vec<&str> = path.split('.').collect();
        let Some(value) = host::property(&segments) else {
            continue;
        };
        comma(&mut first, out);
        write_text(path.as_bytes(), out);
        out.push(b':');
        write_typed(*encoding, &value, out);
    }
    for path in METRIC_PROPERTIES {
        let segments: Vec<&str> = path.split('.').collect();
        write_string_property(path, &segments, &mut first, out);
    }
    for segments in DOTTED_PROPERTIES {
        // The fixture format quotes a segment with dots: `filter_state["envoy.filters…"]`.
        let key = format!("{}[\"{}\"]", segments[0], segments[1]);
        write_string_property(&key, &segments, &mut first, out);
    }
    out.extend_from_slice(b"}}");
}

/// `"key":"value"` for a string property the host has.
fn write_string_property(key: &str, segments: &[&str], first: &mut bool, out: &mut Vec<u8>) {
    let Some(value) = host::property(segments) else {
        return;
    };
    comma(first, out);
    write_text(key.as_bytes(), out);
    out.push(b':');
    write_text(&value, out);
}

fn comma(first: &mut bool, out: &mut Vec<u8>) {
    if !*first {
        out.push(b',');
    }
    *first = false;
}

/// A value of a known encoding, as the fixture format writes it.
fn write_typed(encoding: Encoding, value: &[u8], out: &mut Vec<u8>) {
    let tag = match encoding {
        Encoding::Int => "int",
        Encoding::Uint => "uint",
        Encoding::Timestamp => "timestamp_ns",
        Encoding::Duration => "duration_ns",
        Encoding::Bool => "bool",
        Encoding::String | Encoding::Bytes | Encoding::Map => return write_text(value, out),
    };
    let number = decode_i64(value);
    let text = match (encoding, number, value) {
        (Encoding::Bool, _, [b]) => format!("{{\"bool\":{}}}", *b != 0),
        (Encoding::Uint, Some(n), _) => format!("{{\"uint\":{}}}", n as u64),
        (_, Some(n), _) => format!("{{\"{tag}\":{n}}}"),
        // An unexpected size is kept as raw bytes so nothing is lost.
        _ => return write_hex(value, out),
    };
    out.extend_from_slice(text.as_bytes());
}

fn write_object(pairs: &[(Vec<u8>, Vec<u8>)], out: &mut Vec<u8>) {
    out.push(b'{');
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write_text(k, out);
        out.push(b':');
        write_text(v, out);
    }
    out.push(b'}');
}

/// A string, or `{"hex": …}` when the bytes are not UTF-8.
fn write_text(bytes: &[u8], out: &mut Vec<u8>) {
    match core::str::from_utf8(bytes) {
        Ok(_) => policy_wasm::accesslog::write_json_string(bytes, out),
        Err(_) => write_hex(bytes, out),
    }
}

fn write_hex(bytes: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"hex\":\"");
    for b in bytes {
        out.extend_from_slice(format!("{b:02x}").as_bytes());
    }
    out.extend_from_slice(b"\"}");
}
