//! Writes the seed corpus `fuzz/corpus/<target>/` from the project's test corpus:
//! the cel-spec conformance expressions (`../shared/cel-conformance`) and the filter expressions of
//! `policy-wasm/tests/cases/*.yaml` paired with the recorded Envoy streams'
//! attributes (`host-tests/fixtures/envoy/*.json`), the resources of every case, Istio's
//! access-log formats, and the OPA evaluations of the case corpus. Run by `cargo xtask fuzz
//! --seed`; the output is committed. Arguments, when given, name the only targets to write.

// The input format lives with the fuzz targets (a crate outside the workspace).
#[path = "../../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod meshtel_fuzz;

use host_tests::fixture::Fixture;
use meshtel_fuzz::{dotted, encode};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn files(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    out.retain(|p| p.extension().is_some_and(|e| e == ext));
    out.sort();
    out
}

/// FNV-1a, for stable seed file names.
fn name(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h = (h ^ u64::from(*b)).wrapping_mul(0x100000001b3);
    }
    format!("seed-{h:016x}")
}

fn write(target: &str, seeds: &BTreeSet<Vec<u8>>) {
    let only: Vec<String> = std::env::args().skip(1).collect();
    if !only.is_empty() && !only.iter().any(|o| o == target) {
        return;
    }
    let dir = root().join("fuzz/corpus").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    for seed in seeds {
        std::fs::write(dir.join(name(seed)), seed).unwrap();
    }
    println!("{target}: {} seeds", seeds.len());
}

/// A stream's properties (dotted key, bytes) and headers (map index, name, bytes).
type Attributes = (Vec<(String, Vec<u8>)>, Vec<(usize, String, Vec<u8>)>);

fn attributes(f: &Fixture) -> Attributes {
    let props = f
        .properties
        .iter()
        .map(|(k, v)| (dotted(k), v.clone()))
        .collect();
    let headers = f
        .headers
        .iter()
        .enumerate()
        .flat_map(|(i, m)| m.iter().map(move |(k, v)| (i, k.clone(), v.clone())))
        .collect();
    (props, headers)
}

fn encode_with(text: &str, attrs: &Attributes) -> Vec<u8> {
    let headers: Vec<(usize, &str, &[u8])> = attrs
        .1
        .iter()
        .map(|(i, k, v)| (*i, k.as_str(), v.as_slice()))
        .collect();
    encode(text, &attrs.0, &headers)
}

/// Expressions of the cel-spec files the engine runs.
fn conformance_expressions() -> Vec<String> {
    let dir = root().join("../shared/cel-conformance/testdata");
    let mut out = Vec::new();
    for file in [
        "basic",
        "comparisons",
        "conversions",
        "fields",
        "fp_math",
        "integer_math",
        "lists",
        "logic",
        "macros",
        "parse",
        "plumbing",
        "string",
        "timestamps",
    ] {
        let Ok(text) = std::fs::read_to_string(dir.join(format!("{file}.json"))) else {
            eprintln!(
                "seed: {} missing, skipping the conformance expressions",
                dir.display()
            );
            return out;
        };
        let json: serde_json::Value = serde_json::from_str(&text).unwrap();
        for section in json["sections"].as_array().into_iter().flatten() {
            for test in section["tests"].as_array().into_iter().flatten() {
                if let Some(e) = test["expr"].as_str() {
                    out.push(e.to_string());
                }
            }
        }
    }
    out
}

/// The `resources: |` blocks and filter expressions of every case file.
fn cases() -> (Vec<String>, Vec<String>) {
    let (mut resources, mut expressions) = (Vec::new(), Vec::new());
    for path in files(&root().join("policy-wasm/tests/cases"), "yaml") {
        let text = std::fs::read_to_string(path).unwrap();
        for doc in text.split("\n---\n") {
            let mut block: Option<String> = None;
            for line in doc.lines() {
                if let Some(b) = block.as_mut() {
                    if line.starts_with("  ") || line.is_empty() {
                        b.push_str(line.strip_prefix("  ").unwrap_or(line));
                        b.push('\n');
                        continue;
                    }
                    resources.push(block.take().unwrap());
                }
                if line.trim_end() == "resources: |" {
                    block = Some(String::new());
                }
                if let Some((_, e)) = line.split_once("expression: ") {
                    let e = e.trim().trim_end_matches(['}', ']', ' ']);
                    let e = e.trim_matches(|c| c == '"' || c == '\'');
                    expressions.push(e.replace("\\\"", "\""));
                }
            }
            if let Some(b) = block {
                resources.push(b);
            }
        }
    }
    (resources, expressions)
}

fn main() {
    let fixtures: Vec<Fixture> = files(&root().join("host-tests/fixtures/envoy"), "json")
        .iter()
        .map(|p| Fixture::load(p).unwrap())
        .collect();
    let attrs: Vec<_> = fixtures.iter().map(attributes).collect();
    let (resources, case_expressions) = cases();

    // CEL: every conformance expression (no attributes), and every Istio-style expression with the
    // attributes of each recorded stream in turn.
    let mut cel = BTreeSet::new();
    for e in conformance_expressions() {
        cel.insert(encode(&e, &[], &[]));
    }
    let istio = [
        "response.code >= 400",
        "response.code < 400 && request.url_path.startsWith('/status')",
        "request.headers['user-agent'].contains('curl')",
        "has(request.headers.x_b3_traceid) || request.method == 'POST'",
        "connection.mtls && source.principal.endsWith('/sa/sleep')",
        "request.time > timestamp('2024-01-01T00:00:00Z') && request.duration > duration('5ms')",
        "xds.node.metadata.LABELS['app'] == 'sleep'",
        "response.flags != 0 || upstream.transport_failure_reason != ''",
        "request.size + response.size > 1024",
        "destination.port in [80, 443, 8000] ? true : response.grpc_status == 0",
        "string(response.code).matches('^5..$')",
        "[request.host, request.path].exists(x, x.size() > 10)",
        "{'a': request.protocol}['a'] == 'HTTP/2'",
    ];
    for (i, e) in istio
        .iter()
        .map(|s| s.to_string())
        .chain(case_expressions)
        .enumerate()
    {
        cel.insert(encode_with(&e, &attrs[i % attrs.len()]));
    }
    write("cel", &cel);

    let check: BTreeSet<Vec<u8>> = resources.iter().map(|r| r.as_bytes().to_vec()).collect();
    write("check_text", &check);

    let formats = [
        policy_wasm::accesslog::ISTIO_TEXT_FORMAT,
        "%START_TIME(%Y-%m-%dT%H:%M:%S.%3fZ)% %REQ(:METHOD)% %RESP(CONTENT-TYPE):10% %TRAILER(GRPC-STATUS)%",
        "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %UPSTREAM_HOST% %RESPONSE_FLAGS_LONG% %DURATION% %%",
        "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %BYTES_RECEIVED% %BYTES_SENT% %RESPONSE_CODE_DETAILS%",
    ];
    let mut accesslog = BTreeSet::new();
    for (i, a) in attrs.iter().enumerate() {
        accesslog.insert(encode_with(formats[i % formats.len()], a));
    }
    write("accesslog", &accesslog);

    // The filter: every recorded stream with no filter expression, and a few with one.
    let mut filter = BTreeSet::new();
    for (i, a) in attrs.iter().enumerate() {
        let e = if i % 4 == 0 {
            istio[i / 4 % istio.len()]
        } else {
            ""
        };
        filter.insert(encode_with(e, a));
    }
    write("filter_on_log", &filter);

    // The filter's plugin configuration: the suites' configurations, every logging-rules case,
    // and custom TEXT and JSON formats.
    let mut configure = BTreeSet::new();
    for p in [
        "host-tests/envoy/plugin-config.json",
        "host-tests/envoy/rules/plugin-config.json",
    ] {
        if let Ok(bytes) = std::fs::read(root().join(p)) {
            configure.insert(bytes);
        }
    }
    let config = |providers: serde_json::Value, telemetry: serde_json::Value| {
        serde_json::json!({
            "rootNamespace": "istio-system",
            "meshConfig": {"extensionProviders": providers},
            "telemetry": telemetry,
        })
        .to_string()
        .into_bytes()
    };
    for path in files(&root().join("host-tests/rules"), "json") {
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let providers: Vec<serde_json::Value> = case["providers"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|n| serde_json::json!({"name": n, "envoyFileAccessLog": {"path": "/dev/stdout"}}))
            .collect();
        configure.insert(config(providers.into(), case["telemetry"].clone()));
    }
    let telemetry = serde_json::json!([{"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry",
        "metadata": {"name": "m", "namespace": "istio-system"},
        "spec": {"accessLogging": [{"providers": [{"name": "custom"}],
                                    "filter": {"expression": "response.code >= 200"}}]}}]);
    for f in formats {
        let text = serde_json::json!([{"name": "custom", "envoyFileAccessLog":
            {"path": "/dev/stdout", "logFormat": {"text": f}}}]);
        configure.insert(config(text, telemetry.clone()));
        let labels = serde_json::json!([{"name": "custom", "envoyFileAccessLog":
            {"path": "/dev/stdout", "logFormat": {"labels": {"a": f, "b": "%RESPONSE_CODE%"}}}}]);
        configure.insert(config(labels, telemetry.clone()));
    }
    write("filter_configure", &configure);
    write("opa_abi", &opa_seeds());
}

/// Every OPA evaluation of the case corpus on both paths (`opa_abi`'s input format: a mode byte,
/// then the input, or `data 0xFF input` when the evaluation has a data document), plus inputs the
/// ABI must refuse.
fn opa_seeds() -> BTreeSet<Vec<u8>> {
    let (evaluations, _) =
        host_tests::opa::corpus::evaluations(&host_tests::opa::corpus::cases_dir()).unwrap();
    let mut seeds = BTreeSet::new();
    for e in &evaluations {
        let id = policy_opa::ENTRYPOINTS
            .iter()
            .position(|n| *n == e.entrypoint)
            .unwrap() as u8;
        let input = serde_json::to_vec(&e.input).unwrap();
        let has_data = e.data.as_object().is_none_or(|m| !m.is_empty());
        for path in [0u8, 1] {
            let mut seed = vec![path | id << 1 | u8::from(has_data) << 3];
            if has_data {
                seed.extend(serde_json::to_vec(&e.data).unwrap());
                seed.push(0xFF);
            }
            seed.extend_from_slice(&input);
            seeds.insert(seed);
        }
    }
    for path in [0u8, 1] {
        seeds.insert([&[path][..], b"{\"review\": "].concat());
        seeds.insert([&[path | 3 << 1][..], b"{}"].concat());
        seeds.insert(
            [
                &[path | 2 << 1][..],
                b"{\"resources\": \"kind: Telemetry\"}",
            ]
            .concat(),
        );
    }
    seeds
}
