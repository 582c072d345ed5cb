//! meshtel's engine for the browser playground: one wasm-bindgen entry point, JSON in and out.
//!
//! [`evaluate`] takes the whole playground state (the same JSON the share link carries) and
//! returns the verdict, the effective configuration for the described workload in both modes,
//! and the access-log records the simulated request produces through [`Plan`] — the code the
//! proxy filter runs. No logic of its own beyond reading the form.

use policy_wasm::attributes::{
    AttributeSource, Bytes, HeaderMap, encode_i64, encode_pairs, split_path,
};
use policy_wasm::cel;
use policy_wasm::check::{self, Options, Source};
use policy_wasm::input::{self, InputError};
use policy_wasm::json::{self, FromJson, Json, ToJson};
use policy_wasm::model::{MeshConfig, Telemetry};
use policy_wasm::plan::Plan;
use policy_wasm::resolve::{self, Scene};
use policy_wasm::scope::Scope;
use policy_wasm::sorted_map::SortedMap;
use policy_wasm::workload::{Mode, Workload};
use std::collections::BTreeMap;
use wasm_bindgen::prelude::wasm_bindgen;

/// The playground's state, as the page and the share link hold it.
#[derive(Debug, Default)]
pub struct State {
    /// Telemetry resources (YAML or JSON, any number of documents).
    pub yaml: String,
    /// MeshConfig (YAML or JSON); empty for none.
    pub mesh: String,
    /// `aks`, `istio` or `custom`.
    pub scope: String,
    /// The custom scope table (YAML or JSON), used when `scope` is `custom`.
    pub custom_scope: String,
    /// Control-plane revision (`asm-1-22`); empty for unknown.
    pub revision: String,
    /// Root namespace; empty for the scope's.
    pub root_namespace: String,
    /// The workload to resolve for.
    pub workload: WorkloadForm,
    /// The simulated request.
    pub request: RequestForm,
}

/// The workload form: namespace and `k=v` labels (comma or newline separated).
#[derive(Debug, Default)]
pub struct WorkloadForm {
    /// Namespace.
    pub namespace: String,
    /// `app=web, version=v1`.
    pub labels: String,
}

/// The "simulate a request" form.
#[derive(Debug, Default)]
pub struct RequestForm {
    /// `inbound` (SERVER) or `outbound` (CLIENT).
    pub direction: String,
    /// `:method`.
    pub method: String,
    /// `:path`.
    pub path: String,
    /// `:authority`.
    pub authority: String,
    /// `request.protocol` (`HTTP/1.1`).
    pub protocol: String,
    /// `:status` and `response.code`.
    pub status: String,
    /// More request headers, `name: value` per line.
    pub request_headers: String,
    /// More response headers, `name: value` per line.
    pub response_headers: String,
    /// `request.time`, RFC 3339 UTC.
    pub start_time: String,
    /// `request.duration` in milliseconds (decimals allowed).
    pub duration_ms: String,
    /// More Envoy attributes: a JSON object in the fixture format
    /// (`"upstream.address": "10.0.0.1:80"`, `"response.flags": {"int": 0}`).
    pub properties: String,
}

policy_wasm::json_struct!(decode State {
    "yaml" => yaml, "mesh" => mesh, "scope" => scope, "customScope" => custom_scope,
    "revision" => revision, "rootNamespace" => root_namespace, "workload" => workload,
    "request" => request,
});
policy_wasm::json_struct!(decode WorkloadForm { "namespace" => namespace, "labels" => labels });
policy_wasm::json_struct!(decode RequestForm {
    "direction" => direction, "method" => method, "path" => path, "authority" => authority,
    "protocol" => protocol, "status" => status, "requestHeaders" => request_headers,
    "responseHeaders" => response_headers, "startTime" => start_time,
    "durationMs" => duration_ms, "properties" => properties,
});

/// Evaluates the whole state; returns JSON (see `playground/app.js` for the shape).
#[wasm_bindgen]
pub fn evaluate(state_json: &str) -> String {
    let out = match json::from_str::<State>(state_json) {
        Ok(state) => evaluate_state(&state),
        Err(e) => Json::object([(
            "fatal",
            format!("playground state is not valid: {e}").into(),
        )]),
    };
    out.to_string()
}

/// The engine's version and the scopes it knows, for the page header.
#[wasm_bindgen]
pub fn about() -> String {
    let scopes = ["aks", "istio", "custom"].map(Json::from).to_vec();
    Json::object([
        ("version", env!("CARGO_PKG_VERSION").into()),
        ("scopes", Json::Array(scopes)),
    ])
    .to_string()
}

fn error_json(place: &str, e: &InputError) -> Json {
    let column = match e {
        InputError::Syntax { column, .. } | InputError::Utf8 { column, .. } => Some(*column),
        InputError::TooLarge { .. } => None,
    };
    Json::object([
        ("where", place.into()),
        ("message", e.to_string().into()),
        ("line", e.line().to_json()),
        ("column", column.to_json()),
    ])
}

fn evaluate_state(state: &State) -> Json {
    let options = match options(state) {
        Ok(o) => o,
        Err(error) => return Json::object([("error", error)]),
    };
    let sources = [Source {
        text: &state.yaml,
        name: "telemetry.yaml",
    }];
    let (checked, skipped) = match check::check_resources(&sources, &options) {
        Ok(c) => c,
        Err(e) => return Json::object([("error", error_json("resources", &e))]),
    };
    let mut telemetries: Vec<Telemetry> = checked.iter().map(|c| c.telemetry.clone()).collect();
    let cel = cel_diagnostics(&checked);
    let report = check::report(checked, skipped, &options);
    resolve::sort_like_istiod(&mut telemetries);
    let mesh = options.mesh_with_builtins();
    let scene = Scene {
        telemetries: &telemetries,
        mesh: &mesh,
        root_namespace: options.root_namespace(),
    };
    let workload = Workload {
        namespace: state.workload.namespace.trim().to_string(),
        name: String::new(),
        labels: parse_labels(&state.workload.labels),
    };
    let effective: Vec<_> = Mode::BOTH
        .iter()
        .map(|m| resolve::resolve(&scene, &workload, *m))
        .collect();
    Json::object([
        ("report", report.to_json()),
        ("cel", Json::Array(cel)),
        ("rootNamespace", options.root_namespace().into()),
        ("effective", effective.to_json()),
        ("simulation", simulate(&scene, &workload, &state.request)),
        ("metricsNote", "Metric series preview comes with the metrics half of the proxy filter (issue 7); the effective metrics configuration above is what it will apply.".into()),
    ])
}

/// The CEL checker's diagnostics for every filter expression and tag-override value, with the
/// line of the expression and the column inside it.
fn cel_diagnostics(checked: &[check::Checked]) -> Vec<Json> {
    let mut out = Vec::new();
    let mut expressions = Vec::new();
    for c in checked {
        let spec = c.object.value.get("spec");
        let list = |key: &str| {
            spec.and_then(|s| s.get(key))
                .and_then(Json::as_array)
                .cloned()
                .unwrap_or_default()
        };
        for (i, rule) in list("accessLogging").iter().enumerate() {
            if let Some(e) = rule.pointer("/filter/expression").and_then(Json::as_str) {
                let path = format!("spec.accessLogging[{i}].filter.expression");
                expressions.push((c, path, e.to_string(), cel::Context::Filter));
            }
        }
        for (i, m) in list("metrics").iter().enumerate() {
            let overrides = m.get("overrides").and_then(Json::as_array);
            for (j, o) in overrides.into_iter().flatten().enumerate() {
                let tags = o.get("tagOverrides").and_then(Json::as_object);
                for (tag, t) in tags.into_iter().flatten() {
                    if let Some(e) = t.get("value").and_then(Json::as_str) {
                        let path = input::key_path(
                            &format!("spec.metrics[{i}].overrides[{j}].tagOverrides"),
                            tag,
                        );
                        let path = format!("{path}.value");
                        expressions.push((c, path, e.to_string(), cel::Context::TagValue));
                    }
                }
            }
        }
    }
    for (c, path, expression, context) in expressions {
        for d in cel::check(&expression, context) {
            let severity = if d.severity == cel::Severity::Error {
                "error"
            } else {
                "warning"
            };
            out.push(Json::object([
                (
                    "resource",
                    format!("{}/{}", c.report.namespace, c.report.name).into(),
                ),
                ("line", c.object.line(&path).to_json()),
                ("path", path.to_json()),
                ("column", u64::from(d.column).into()),
                ("severity", severity.into()),
                ("message", d.message.to_json()),
                ("hint", d.hint.to_json()),
                ("expression", expression.to_json()),
            ]));
        }
    }
    out
}

fn options(state: &State) -> Result<Options, Json> {
    let scope = match state.scope.as_str() {
        "aks" => Scope::aks(),
        "custom" => Scope::parse(&state.custom_scope, "scope.yaml").map_err(|e| {
            let (line, column) = match &e {
                policy_wasm::scope::ScopeError::Input(i) => (i.line(), input_column(i)),
                _ => (None, None),
            };
            Json::object([
                ("where", "scope".into()),
                ("message", e.to_string().into()),
                ("line", line.to_json()),
                ("column", column.to_json()),
            ])
        })?,
        _ => Scope::istio(),
    };
    let mesh = if state.mesh.trim().is_empty() {
        MeshConfig::default()
    } else {
        parse_mesh(&state.mesh)?
    };
    let text = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_string());
    Ok(Options {
        scope,
        mesh,
        revision: text(&state.revision),
        root_namespace: text(&state.root_namespace).unwrap_or_default(),
        ..Options::default()
    })
}

fn input_column(e: &InputError) -> Option<usize> {
    match e {
        InputError::Syntax { column, .. } | InputError::Utf8 { column, .. } => Some(*column),
        InputError::TooLarge { .. } => None,
    }
}

/// A MeshConfig, or a ConfigMap whose `data.mesh` holds one.
fn parse_mesh(text: &str) -> Result<MeshConfig, Json> {
    let objects = input::parse(text, "meshconfig.yaml").map_err(|e| error_json("mesh", &e))?;
    let mut value = objects
        .into_iter()
        .next()
        .map(|o| o.value)
        .unwrap_or_default();
    if let Some(inner) = value.pointer("/data/mesh").and_then(Json::as_str) {
        let inner = input::parse(inner, "meshconfig.yaml (data.mesh)")
            .map_err(|e| error_json("mesh", &e))?;
        value = inner
            .into_iter()
            .next()
            .map(|o| o.value)
            .unwrap_or_default();
    }
    if value.is_null() {
        return Ok(MeshConfig::default());
    }
    MeshConfig::from_json(&value).map_err(|e| {
        Json::object([
            ("where", "mesh".into()),
            (
                "message",
                format!("meshconfig.yaml: not a MeshConfig: {e}").into(),
            ),
        ])
    })
}

fn parse_labels(text: &str) -> SortedMap<String> {
    text.split([',', '\n'])
        .filter_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            let k = k.trim();
            (!k.is_empty()).then(|| (k.to_string(), v.trim().to_string()))
        })
        .collect()
}

fn simulate(scene: &Scene<'_>, workload: &Workload, form: &RequestForm) -> Json {
    let mode = if form.direction == "outbound" {
        Mode::Client
    } else {
        Mode::Server
    };
    let request = match Request::from_form(form) {
        Ok(r) => r,
        Err(e) => return Json::object([("mode", mode.to_json()), ("error", e.into())]),
    };
    match Plan::build(scene, workload) {
        Ok(plan) => {
            let records: Vec<String> = plan
                .records(mode, &request)
                .iter()
                .map(|r| String::from_utf8_lossy(r).into_owned())
                .collect();
            Json::object([
                ("mode", mode.to_json()),
                ("records", records.to_json()),
                ("warnings", plan.warnings.to_json()),
            ])
        }
        Err(e) => Json::object([("mode", mode.to_json()), ("error", e.into())]),
    }
}

/// A simulated request's attributes, Envoy-encoded like the filter reads them.
#[derive(Debug, Default)]
pub struct Request {
    properties: BTreeMap<Vec<String>, Vec<u8>>,
    headers: [Vec<(String, Vec<u8>)>; 4],
}

fn header_lines(text: &str) -> Vec<(String, Vec<u8>)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            // `:authority: x` keeps its leading colon.
            let at = line.get(1..)?.find(':')? + 1;
            let (k, v) = line.split_at(at);
            Some((
                k.trim().to_ascii_lowercase(),
                v[1..].trim().as_bytes().to_vec(),
            ))
        })
        .collect()
}

impl Request {
    /// Reads the form; the error names the field.
    pub fn from_form(f: &RequestForm) -> Result<Request, String> {
        let mut r = Request::default();
        if !f.properties.trim().is_empty() {
            let map: json::Map = json::from_str(&f.properties)
                .map_err(|e| format!("more attributes: not a JSON object: {e}"))?;
            for (key, value) in &map {
                let path =
                    split_path(key).ok_or_else(|| format!("attribute {key:?}: malformed path"))?;
                let bytes = encode_value(value).map_err(|e| format!("attribute {key:?}: {e}"))?;
                r.properties.insert(path, bytes);
            }
        }
        let mut set = |path: &str, bytes: Vec<u8>| {
            r.properties
                .insert(path.split('.').map(String::from).collect(), bytes);
        };
        set(
            "xds.listener_direction",
            encode_i64(if f.direction == "outbound" { 2 } else { 1 }),
        );
        let status = f.status.trim();
        if !status.is_empty() {
            let code: i64 = status
                .parse()
                .map_err(|_| format!("status: {status:?} is not a number"))?;
            set("response.code", encode_i64(code));
        }
        if !f.protocol.trim().is_empty() {
            set("request.protocol", f.protocol.trim().as_bytes().to_vec());
        }
        if !f.start_time.trim().is_empty() {
            set(
                "request.time",
                encode_i64(parse_rfc3339(f.start_time.trim())?),
            );
        }
        let duration = f.duration_ms.trim();
        if !duration.is_empty() {
            let ms: f64 = duration
                .parse()
                .map_err(|_| format!("duration: {duration:?} is not a number of milliseconds"))?;
            set("request.duration", encode_i64((ms * 1e6).round() as i64));
        }
        let mut request = Vec::new();
        for (name, value) in [
            (":authority", &f.authority),
            (":path", &f.path),
            (":method", &f.method),
        ] {
            if !value.trim().is_empty() {
                request.push((name.to_string(), value.trim().as_bytes().to_vec()));
            }
        }
        request.extend(header_lines(&f.request_headers));
        let mut response = Vec::new();
        if !status.is_empty() {
            response.push((":status".to_string(), status.as_bytes().to_vec()));
        }
        response.extend(header_lines(&f.response_headers));
        r.headers[0] = request;
        r.headers[2] = response;
        Ok(r)
    }
}

impl AttributeSource for Request {
    fn property(&self, path: &[&str]) -> Option<Bytes<'_>> {
        self.properties
            .iter()
            .find(|(k, _)| k.iter().map(String::as_str).eq(path.iter().copied()))
            .map(|(_, v)| Bytes::Borrowed(v.as_slice()))
    }

    fn header(&self, map: HeaderMap, name: &str) -> Option<Bytes<'_>> {
        let index = match map {
            HeaderMap::RequestHeaders => 0,
            HeaderMap::RequestTrailers => 1,
            HeaderMap::ResponseHeaders => 2,
            HeaderMap::ResponseTrailers => 3,
        };
        self.headers[index]
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| Bytes::Borrowed(v.as_slice()))
    }
}

/// One attribute value in the fixture format (`host-tests/fixtures/README.md`): a string, or
/// `{"int"|"uint"|"bool"|"timestamp"|"timestamp_ns"|"duration_ns"|"hex"|"map": …}`.
fn encode_value(value: &Json) -> Result<Vec<u8>, String> {
    let (tag, inner) = match value {
        Json::String(s) => return Ok(s.as_bytes().to_vec()),
        Json::Object(o) if o.len() == 1 => o.iter().next().ok_or("empty object")?,
        _ => return Err("expected a string or a one-key typed object such as {\"int\": 1}".into()),
    };
    let int = || inner.as_i64().ok_or(format!("{tag}: expected an integer"));
    Ok(match tag.as_str() {
        "int" | "timestamp_ns" | "duration_ns" => encode_i64(int()?),
        "uint" => inner
            .as_u64()
            .ok_or("uint: expected a non-negative integer")?
            .to_le_bytes()
            .to_vec(),
        "bool" => vec![u8::from(
            inner.as_bool().ok_or("bool: expected true or false")?,
        )],
        "timestamp" => encode_i64(parse_rfc3339(
            inner.as_str().ok_or("timestamp: expected a string")?,
        )?),
        "hex" => {
            let hex = inner.as_str().ok_or("hex: expected a string")?;
            if hex.len() % 2 != 0 {
                return Err("hex: odd number of digits".into());
            }
            (0..hex.len())
                .step_by(2)
                .map(|i| {
                    u8::from_str_radix(&hex[i..i + 2], 16).map_err(|_| "hex: bad digits".into())
                })
                .collect::<Result<_, String>>()?
        }
        "map" => {
            let obj = inner.as_object().ok_or("map: expected an object")?;
            let pairs: Vec<(&str, &str)> = obj
                .iter()
                .map(|(k, v)| Ok((k.as_str(), v.as_str().ok_or("map values must be strings")?)))
                .collect::<Result<_, String>>()?;
            encode_pairs(&pairs)
        }
        other => return Err(format!("unknown value type {other:?}")),
    })
}

/// `YYYY-MM-DDTHH:MM:SS[.fraction]Z` → nanoseconds since the Unix epoch.
pub fn parse_rfc3339(text: &str) -> Result<i64, String> {
    let bad = || format!("time {text:?}: expected YYYY-MM-DDTHH:MM:SS[.fff]Z");
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
    let (h, min, s) = (num(t[0])?, num(t[1])?, num(t[2])?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) || h > 23 || min > 59 || s > 60 {
        return Err(bad());
    }
    // Days from civil (Howard Hinnant).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let nanos = if frac.is_empty() {
        0
    } else {
        num(frac)? * 10i64.pow(9 - frac.len() as u32)
    };
    Ok(((days * 86_400 + h * 3600 + min * 60 + s) * 1_000_000_000) + nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(
            parse_rfc3339("2024-08-13T00:31:47.690123456Z").unwrap(),
            1_723_509_107_690_123_456
        );
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z").unwrap(), 0);
    }

    #[test]
    fn brief_inbound_record() {
        let text = |s: &str| Json::from(s);
        let request = Json::object([
            ("direction", text("inbound")),
            ("method", text("GET")),
            ("path", text("/status/418")),
            ("authority", text("httpbin:8000")),
            ("protocol", text("HTTP/1.1")),
            ("status", text("418")),
            ("startTime", text("2024-08-13T00:31:47.696Z")),
            ("durationMs", text("2.104877")),
            (
                "requestHeaders",
                text("user-agent: curl/8.9.1\nx-request-id: cdecaca5-5964-48f3-b42d-f474dfa623d5"),
            ),
            ("responseHeaders", text("x-envoy-upstream-service-time: 1")),
            (
                "properties",
                text(
                    r#"{"response.code_details": "via_upstream", "response.size": {"int": 135}, "request.total_size": {"int": 0}, "upstream.address": "10.244.0.13:8080", "upstream.local_address": "127.0.0.6:55401", "xds.cluster_name": "inbound|8080||", "xds.route_name": "default", "destination.address": "10.244.0.13:8080", "source.address": "10.244.0.12:53336", "connection.requested_server_name": "outbound_.8000_._.httpbin.default.svc.cluster.local"}"#,
                ),
            ),
        ]);
        let state = State::from_json(&Json::object([
            (
                "yaml",
                text(include_str!(
                    "../../../../examples/aks-brief/mesh-logging-default.yaml"
                )),
            ),
            ("scope", text("aks")),
            ("revision", text("asm-1-22")),
            (
                "workload",
                Json::object([
                    ("namespace", text("default")),
                    ("labels", text("app=httpbin")),
                ]),
            ),
            ("request", request),
        ]))
        .unwrap();
        let out = evaluate_state(&state);
        assert_eq!(out["report"]["resources"][0]["verdict"], "warn");
        let record = out["simulation"]["records"][0].as_str().unwrap();
        assert!(
            record.starts_with(
                "[2024-08-13T00:31:47.696Z] \"GET /status/418 HTTP/1.1\" 418 - via_upstream"
            ),
            "{record}"
        );
    }
}
