//! Recorded request fixtures: one JSON file per stream, holding what a proxy exposes about it.
//! The format is documented in `host-tests/fixtures/README.md`.

use anyhow::{Context, Result, anyhow, bail};
use policy_wasm::attributes::{
    AttributeSource, Bytes, Encoding, HeaderMap, encode_i64, encode_pairs, encoding_of, split_path,
};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A header value: text, or bytes that are not UTF-8 written as `{"hex": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
enum HeaderValue {
    Text(String),
    Hex { hex: String },
}

/// The file as written on disk.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFixture {
    #[serde(default)]
    description: String,
    direction: String,
    #[serde(default)]
    node: Map<String, Value>,
    #[serde(default)]
    request_headers: Vec<(String, HeaderValue)>,
    #[serde(default)]
    response_headers: Vec<(String, HeaderValue)>,
    #[serde(default)]
    request_trailers: Vec<(String, HeaderValue)>,
    #[serde(default)]
    response_trailers: Vec<(String, HeaderValue)>,
    #[serde(default)]
    properties: Map<String, Value>,
    /// A TCP connection's events instead of an HTTP exchange.
    #[serde(default)]
    connection: Option<Vec<(String, u64)>>,
    /// The proxy's clock while the stream replays (default: `request.time`).
    #[serde(default)]
    clock: Option<Value>,
}

/// The listener a stream went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `traffic_direction: INBOUND` (`xds.listener_direction` 1).
    Inbound,
    /// `traffic_direction: OUTBOUND` (`xds.listener_direction` 2).
    Outbound,
}

/// One recorded stream, with every property already encoded as Envoy would serve it.
#[derive(Debug, Clone, Default)]
pub struct Fixture {
    /// Where it was loaded from.
    pub path: PathBuf,
    /// What the stream is.
    pub description: String,
    /// Properties by path segments, Envoy-encoded.
    pub properties: BTreeMap<Vec<String>, Vec<u8>>,
    /// Properties visible at configure time (node metadata, plugin names).
    pub root_properties: BTreeMap<Vec<String>, Vec<u8>>,
    /// The four header maps, in order, names lower-cased.
    pub headers: [Vec<(String, Vec<u8>)>; 4],
    /// For a TCP connection, its events in order; `None` for an HTTP stream.
    pub connection: Option<Vec<ConnectionEvent>>,
    /// The host clock (ns since the epoch) while the stream replays, when the fixture gives one.
    pub clock_ns: Option<i64>,
}

/// One event of a recorded TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionEvent {
    /// `proxy_on_downstream_data` with this many bytes.
    Downstream(u64),
    /// `proxy_on_upstream_data` with this many bytes.
    Upstream(u64),
    /// The plugin's `proxy_on_tick` while the connection is open.
    Tick,
}

/// The root id a TCP fixture's plugin runs under: the filter serves TCP when it ends in `tcp`.
pub const TCP_ROOT_ID: &str = "meshtel-tcp";

fn map_index(map: HeaderMap) -> usize {
    match map {
        HeaderMap::RequestHeaders => 0,
        HeaderMap::RequestTrailers => 1,
        HeaderMap::ResponseHeaders => 2,
        HeaderMap::ResponseTrailers => 3,
    }
}

impl Fixture {
    /// Loads and checks a fixture file; errors name the file and the offending field.
    pub fn load(path: impl AsRef<Path>) -> Result<Fixture> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("{}: cannot read fixture", path.display()))?;
        Self::parse(&text, path).with_context(|| format!("{}", path.display()))
    }

    /// Parses fixture JSON; `path` is recorded for messages.
    pub fn parse(text: &str, path: &Path) -> Result<Fixture> {
        let raw: RawFixture =
            serde_json::from_str(text).map_err(|e| anyhow!("invalid fixture JSON: {e}"))?;
        let direction = match raw.direction.as_str() {
            "inbound" => Direction::Inbound,
            "outbound" => Direction::Outbound,
            other => {
                bail!("field `direction`: expected \"inbound\" or \"outbound\", got {other:?}")
            }
        };
        let mut fixture = Fixture {
            path: path.to_path_buf(),
            description: raw.description,
            ..Fixture::default()
        };
        let headers = [
            raw.request_headers,
            raw.request_trailers,
            raw.response_headers,
            raw.response_trailers,
        ];
        let names = [
            "request_headers",
            "request_trailers",
            "response_headers",
            "response_trailers",
        ];
        for (i, (map, name)) in headers.into_iter().zip(names).enumerate() {
            fixture.headers[i] = map
                .into_iter()
                .enumerate()
                .map(|(j, (k, v))| {
                    Ok((
                        k.to_ascii_lowercase(),
                        header_bytes(v).with_context(|| format!("field `{name}[{j}]`"))?,
                    ))
                })
                .collect::<Result<_>>()?;
        }
        for (key, value) in &raw.node {
            let segments = vec!["xds".to_string(), "node".to_string(), key.clone()];
            add_node_value(&mut fixture, segments, value)
                .with_context(|| format!("field `node.{key}`"))?;
        }
        let code = match direction {
            Direction::Inbound => 1,
            Direction::Outbound => 2,
        };
        fixture.properties.insert(
            vec!["xds".into(), "listener_direction".into()],
            encode_i64(code),
        );
        if let Some(events) = raw.connection {
            let events = events
                .into_iter()
                .enumerate()
                .map(|(i, (kind, n))| match kind.as_str() {
                    "downstream" => Ok(ConnectionEvent::Downstream(n)),
                    "upstream" => Ok(ConnectionEvent::Upstream(n)),
                    "tick" => Ok(ConnectionEvent::Tick),
                    other => bail!(
                        "field `connection[{i}]`: expected \"downstream\", \"upstream\" or \"tick\", got {other:?}"
                    ),
                })
                .collect::<Result<_>>()?;
            fixture.connection = Some(events);
            // A network plugin is its own plugin instance, so its own VM when replayed.
            fixture.root_properties.insert(
                vec!["plugin_root_id".into()],
                TCP_ROOT_ID.as_bytes().to_vec(),
            );
        }
        if let Some(clock) = &raw.clock {
            let bytes = encode_property("clock", clock).context("field `clock`")?;
            let is_time = clock
                .as_object()
                .is_some_and(|o| o.contains_key("timestamp") || o.contains_key("timestamp_ns"));
            if !is_time {
                bail!("field `clock`: expected {{\"timestamp\": …}} or {{\"timestamp_ns\": …}}");
            }
            fixture.clock_ns = policy_wasm::attributes::decode_i64(&bytes);
        }
        for (key, value) in &raw.properties {
            let segments = split_path(key)
                .ok_or_else(|| anyhow!("field `properties.{key}`: malformed property path"))?;
            let bytes =
                encode_property(key, value).with_context(|| format!("field `properties.{key}`"))?;
            fixture.properties.insert(segments, bytes);
        }
        Ok(fixture)
    }

    /// The direction this stream went, as `xds.listener_direction` says.
    pub fn direction(&self) -> Option<i64> {
        self.get_i64(&policy_wasm::path!("xds", "listener_direction"))
    }

    /// Serialized header map `map` (proxy-wasm pair encoding).
    pub fn header_pairs(&self, map: HeaderMap) -> &[(String, Vec<u8>)] {
        &self.headers[map_index(map)]
    }
}

fn header_bytes(value: HeaderValue) -> Result<Vec<u8>> {
    match value {
        HeaderValue::Text(t) => Ok(t.into_bytes()),
        HeaderValue::Hex { hex } => decode_hex(&hex),
    }
}

fn decode_hex(hex: &str) -> Result<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        bail!("hex string has an odd number of digits");
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&hex[i..i + 2], 16)
                .map_err(|_| anyhow!("invalid hex digits {:?}", &hex[i..i + 2]))
        })
        .collect()
}

/// Node metadata: strings raw, nested objects (LABELS) as maps whose members are also reachable.
fn add_node_value(fixture: &mut Fixture, segments: Vec<String>, value: &Value) -> Result<()> {
    match value {
        Value::String(s) => {
            fixture
                .root_properties
                .insert(segments.clone(), s.clone().into_bytes());
            fixture.properties.insert(segments, s.clone().into_bytes());
        }
        Value::Object(members) => {
            let mut pairs = Vec::new();
            for (k, v) in members {
                let mut child = segments.clone();
                child.push(k.clone());
                add_node_value(fixture, child, v)?;
                if let Value::String(s) = v {
                    pairs.push((k.clone(), s.clone()));
                }
            }
            let encoded = encode_pairs(&pairs);
            fixture
                .root_properties
                .insert(segments.clone(), encoded.clone());
            fixture.properties.insert(segments, encoded);
        }
        other => bail!("expected a string or an object, got {}", kind(other)),
    }
    Ok(())
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Encodes one typed property value. A plain JSON string is a string property; other types are
/// tagged objects: `{"int": 1}`, `{"uint": 1}`, `{"bool": true}`, `{"timestamp": "RFC 3339"}`,
/// `{"timestamp_ns": 1}`, `{"duration_ns": 1}`, `{"hex": "ff"}`, `{"map": {"k": "v"}}`.
fn encode_property(path: &str, value: &Value) -> Result<Vec<u8>> {
    let (tag, inner) = match value {
        Value::String(s) => ("string", Value::String(s.clone())),
        Value::Object(obj) if obj.len() == 1 => {
            let (k, v) = obj
                .iter()
                .next()
                .map(|(k, v)| (k.as_str(), v.clone()))
                .unwrap_or(("", Value::Null));
            (k, v)
        }
        other => bail!(
            "expected a string or a one-key typed object, got {}",
            kind(other)
        ),
    };
    let got = match tag {
        "string" => Encoding::String,
        "hex" => Encoding::Bytes,
        "int" => Encoding::Int,
        "uint" => Encoding::Uint,
        "bool" => Encoding::Bool,
        "timestamp" | "timestamp_ns" => Encoding::Timestamp,
        "duration_ns" => Encoding::Duration,
        "map" => Encoding::Map,
        other => bail!(
            "unknown value type {other:?} (string, hex, int, uint, bool, timestamp, timestamp_ns, duration_ns, map)"
        ),
    };
    if let Some(expected) = encoding_of(path) {
        let compatible = expected == got
            || matches!(
                (expected, got),
                (Encoding::Int, Encoding::Uint) | (Encoding::Uint, Encoding::Int)
            )
            || matches!(
                (expected, got),
                (Encoding::String, Encoding::Bytes) | (Encoding::Bytes, Encoding::String)
            );
        if !compatible {
            bail!("`{path}` is {expected:?} in Envoy, but the fixture gives {tag}");
        }
    }
    let int = |v: &Value| {
        v.as_i64()
            .ok_or_else(|| anyhow!("{tag}: expected an integer, got {}", kind(v)))
    };
    Ok(match tag {
        "string" => inner.as_str().unwrap_or_default().as_bytes().to_vec(),
        "hex" => decode_hex(
            inner
                .as_str()
                .ok_or_else(|| anyhow!("hex: expected a string"))?,
        )?,
        "int" | "timestamp_ns" | "duration_ns" => encode_i64(int(&inner)?),
        "uint" => {
            let n = inner.as_u64().ok_or_else(|| {
                anyhow!(
                    "uint: expected a non-negative integer, got {}",
                    kind(&inner)
                )
            })?;
            n.to_le_bytes().to_vec()
        }
        "bool" => vec![u8::from(inner.as_bool().ok_or_else(|| {
            anyhow!("bool: expected true or false, got {}", kind(&inner))
        })?)],
        "timestamp" => encode_i64(parse_rfc3339(
            inner
                .as_str()
                .ok_or_else(|| anyhow!("timestamp: expected a string"))?,
        )?),
        "map" => {
            let obj = inner
                .as_object()
                .ok_or_else(|| anyhow!("map: expected an object, got {}", kind(&inner)))?;
            let pairs: Vec<(String, String)> = obj
                .iter()
                .map(|(k, v)| {
                    Ok((
                        k.clone(),
                        v.as_str()
                            .ok_or_else(|| anyhow!("map value {k:?}: expected a string"))?
                            .to_string(),
                    ))
                })
                .collect::<Result<_>>()?;
            encode_pairs(&pairs)
        }
        _ => unreachable!("tags were checked above"),
    })
}

/// The `.json` files directly in `dir`, sorted by name (fixture and case folders).
pub fn json_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut paths = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            paths.push(path);
        }
    }
    paths.sort();
    Ok(paths)
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction]Z` into nanoseconds since the Unix epoch.
pub fn parse_rfc3339(text: &str) -> Result<i64> {
    let bad = || anyhow!("timestamp {text:?}: expected YYYY-MM-DDTHH:MM:SS[.fffffffff]Z");
    let body = text.strip_suffix('Z').ok_or_else(bad)?;
    let (date, time) = body.split_once('T').ok_or_else(bad)?;
    let num = |s: &str| s.parse::<i64>().map_err(|_| bad());
    let d: Vec<&str> = date.split('-').collect();
    let (clock, frac) = time.split_once('.').unwrap_or((time, ""));
    let t: Vec<&str> = clock.split(':').collect();
    if d.len() != 3 || t.len() != 3 || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (y, m, day) = (num(d[0])?, num(d[1])?, num(d[2])?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return Err(bad());
    }
    // Days from civil (Howard Hinnant), inverse of the formatter's conversion.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + num(t[0])? * 3600 + num(t[1])? * 60 + num(t[2])?;
    let nanos = if frac.is_empty() {
        0
    } else {
        num(frac)? * 10i64.pow(9 - frac.len() as u32)
    };
    Ok(secs * 1_000_000_000 + nanos)
}

impl AttributeSource for Fixture {
    fn property(&self, path: &[&str]) -> Option<Bytes<'_>> {
        // A scan without allocating a key: fixtures hold a few dozen properties.
        self.properties
            .iter()
            .find(|(k, _)| k.len() == path.len() && k.iter().zip(path).all(|(a, b)| a == b))
            .map(|(_, v)| Bytes::Borrowed(v.as_slice()))
    }

    fn header(&self, map: HeaderMap, name: &str) -> Option<Bytes<'_>> {
        self.headers[map_index(map)]
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| Bytes::Borrowed(v.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_round_trip() {
        assert_eq!(
            parse_rfc3339("2024-08-13T00:31:47.690123456Z").unwrap(),
            1_723_509_107_690_123_456
        );
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z").unwrap(), 0);
        assert!(parse_rfc3339("2024-13-01T00:00:00Z").is_err());
    }

    #[test]
    fn wrong_type_names_the_field() {
        let text = r#"{"direction":"outbound","properties":{"response.code":"418"}}"#;
        let err = Fixture::parse(text, Path::new("x.json")).unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("properties.response.code"), "{msg}");
        assert!(msg.contains("Int"), "{msg}");
    }
}
