//! Recorder mode (`--features record`, built as `dist/proxy-recorder.wasm`): instead of access
//! logs, each HTTP stream's or TCP connection's properties (and header maps, or connection events)
//! are written to the proxy log as one fixture in the format of `host-tests/fixtures/README.md`,
//! prefixed `meshtel-fixture `. Loaded as a network filter it records TCP connections.

use crate::abi::{HttpContext, RootContext, StreamContext};
use crate::arena::Scope;
use crate::host::{self, LEVEL_INFO};
use policy_wasm::attributes::{Encoding, HeaderMap, PROPERTY_ENCODINGS, decode_i64, decode_pairs};
use std::cell::RefCell;
use std::rc::{Rc, Weak};

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    fn proxy_set_tick_period_milliseconds(period: u32) -> u32;
    fn proxy_get_current_time_nanoseconds(return_time: *mut u64) -> u32;
}

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

/// The events of one open connection, as the fixture's `connection` array body.
type Events = Rc<RefCell<Vec<u8>>>;

thread_local! {
    /// The open connections of this VM, so that each tick is recorded in them (the recorder's
    /// network plugin has a VM of its own).
    static OPEN: RefCell<Vec<Weak<RefCell<Vec<u8>>>>> = RefCell::default();
}

/// The recorder's root context.
pub struct Recorder;

impl RootContext for Recorder {
    /// The plugin configuration, when it is a number, is the tick period in ms: set it to the
    /// filter's reporting interval so that the recorded ticks fall as the filter's do.
    fn on_configure(&mut self, _plugin_configuration_size: usize) -> bool {
        let configuration = host::plugin_configuration(&Scope::enter())
            .unwrap_or_default()
            .to_vec();
        let period = core::str::from_utf8(&configuration)
            .ok()
            .and_then(|t| t.trim().parse::<u32>().ok());
        if let Some(period) = period {
            // SAFETY: a plain value; a refusal only means no recorded ticks.
            unsafe {
                proxy_set_tick_period_milliseconds(period);
            }
        }
        true
    }

    fn on_tick(&mut self) {
        OPEN.with_borrow_mut(|open| {
            open.retain(|events| events.strong_count() > 0);
            for events in open.iter().filter_map(Weak::upgrade) {
                push_event(&mut events.borrow_mut(), "tick", 0);
            }
        });
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Stream))
    }

    fn create_stream_context(&self, _context_id: u32) -> Option<Box<dyn StreamContext>> {
        let events = Events::default();
        OPEN.with_borrow_mut(|open| open.push(Rc::downgrade(&events)));
        Some(Box::new(Connection { events }))
    }
}

struct Stream;

impl HttpContext for Stream {
    fn on_log(&mut self) {
        let mut out = Vec::with_capacity(4096);
        out.extend_from_slice(b"meshtel-fixture ");
        write_head(&mut out);
        write_header_maps(&mut out);
        write_properties(&mut out);
        out.push(b'}');
        host::log(LEVEL_INFO, &out);
    }
}

/// One TCP connection: its data and tick events in order.
struct Connection {
    events: Events,
}

impl StreamContext for Connection {
    fn on_downstream_data(&mut self, size: usize, _end_of_stream: bool) -> u32 {
        push_event(&mut self.events.borrow_mut(), "downstream", size as u64);
        crate::abi::CONTINUE
    }

    fn on_upstream_data(&mut self, size: usize, _end_of_stream: bool) -> u32 {
        push_event(&mut self.events.borrow_mut(), "upstream", size as u64);
        crate::abi::CONTINUE
    }

    fn on_log(&mut self) {
        let mut out = Vec::with_capacity(2048);
        out.extend_from_slice(b"meshtel-fixture ");
        write_head(&mut out);
        out.extend_from_slice(b",\"connection\":[");
        out.extend_from_slice(&self.events.borrow());
        out.push(b']');
        // The clock when the connection logs: the filter measures a TCP record's duration up to
        // it, so a replay serves it as the host clock.
        let mut now = 0u64;
        // SAFETY: the out-pointer is valid for writes.
        if unsafe { proxy_get_current_time_nanoseconds(&mut now) } == 0 {
            out.extend_from_slice(format!(",\"clock\":{{\"timestamp_ns\":{now}}}").as_bytes());
        }
        write_properties(&mut out);
        out.push(b'}');
        host::log(LEVEL_INFO, &out);
    }
}

/// Appends `["kind",n]` to a connection's event list.
fn push_event(events: &mut Vec<u8>, kind: &str, n: u64) {
    if !events.is_empty() {
        events.push(b',');
    }
    events.extend_from_slice(format!("[\"{kind}\",{n}]").as_bytes());
}

/// `{"description":"","direction":…,"node":{…}` (the object stays open).
fn write_head(out: &mut Vec<u8>) {
    let direction =
        match host::property_owned(&["xds", "listener_direction"]).and_then(|b| decode_i64(&b)) {
            Some(1) => "inbound",
            _ => "outbound",
        };
    out.extend_from_slice(b"{\"description\":\"\",\"direction\":\"");
    out.extend_from_slice(direction.as_bytes());
    out.extend_from_slice(b"\",\"node\":{\"id\":");
    write_text(
        &host::property_owned(&["xds", "node", "id"]).unwrap_or_default(),
        out,
    );
    out.extend_from_slice(b",\"metadata\":{");
    let mut first = true;
    for key in NODE_METADATA {
        let Some(value) = host::property_owned(&["xds", "node", "metadata", key]) else {
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
}

/// The four header maps as `,"request_headers":[…]` and so on.
fn write_header_maps(out: &mut Vec<u8>) {
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
        let pairs = host::header_pairs(&Scope::enter(), map)
            .and_then(decode_pairs)
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
}

/// `,"properties":{…}` with every property the host has.
fn write_properties(out: &mut Vec<u8>) {
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
        let Some(value) = host::property_owned(&segments) else {
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
    out.push(b'}');
}

/// `"key":"value"` for a string property the host has.
fn write_string_property(key: &str, segments: &[&str], first: &mut bool, out: &mut Vec<u8>) {
    let Some(value) = host::property_owned(segments) else {
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
