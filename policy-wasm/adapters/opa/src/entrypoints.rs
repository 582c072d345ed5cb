//! The three entrypoints as plain functions over JSON: input and data in, OPA result set out.
//! Nothing here knows about wasm, so hosts and tests run the same code natively to compare.

use crate::params;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use policy_wasm::check::{self, Options, Report, Source, Verdict};
use policy_wasm::finding::{Finding, Severity};
use serde_json::{Map, Value, json};

/// Gatekeeper's rule: input `{"review", "parameters"}`, result the violation set.
pub const VIOLATION: &str = "telemetry/violation";
/// Kubewarden `opa` mode: input `{"request"}`, settings as data, result `{"response"}`.
pub const RESPONSE: &str = "telemetry/response";
/// Every finding, for tools: a review, a request or `{"resources": "<YAML or JSON text>"}`.
pub const FINDINGS: &str = "telemetry/findings";

/// Entrypoint names by id. Kubewarden's evaluator always asks for entrypoint 0.
#[cfg(not(feature = "kubewarden"))]
pub const ENTRYPOINTS: [&str; 3] = [VIOLATION, RESPONSE, FINDINGS];
/// Entrypoint names by id. Kubewarden's evaluator always asks for entrypoint 0.
#[cfg(feature = "kubewarden")]
pub const ENTRYPOINTS: [&str; 3] = [RESPONSE, VIOLATION, FINDINGS];

/// Source name given to objects that arrive in an admission request.
const ADMISSION_SOURCE: &str = "admission";

/// Evaluates entrypoint `id` and returns the OPA result set `[{"result": …}]`; `None` for an
/// unknown id (hosts treat that as an abort).
pub fn evaluate(id: usize, input: &Value, data: &Value) -> Option<Value> {
    let result = match *ENTRYPOINTS.get(id)? {
        VIOLATION => violation(input, data),
        RESPONSE => response(input, data),
        _ => findings(input, data),
    };
    Some(json!([{ "result": result }]))
}

/// Evaluates an entrypoint by name (for native callers that do not care about ids).
pub fn evaluate_named(name: &str, input: &Value, data: &Value) -> Option<Value> {
    let id = ENTRYPOINTS.iter().position(|e| *e == name)?;
    evaluate(id, input, data)
}

/// Parameters come from `input.parameters` (Gatekeeper) or else the data document (Kubewarden).
fn parameters<'a>(input: &'a Value, data: &'a Value) -> &'a Value {
    input.get("parameters").unwrap_or(data)
}

/// Checks the object of an AdmissionRequest. DELETE and CONNECT carry no object: nothing to check.
fn check_request(request: &Value, options: &Options) -> Result<Report, String> {
    let object = request.get("object").unwrap_or(&Value::Null);
    // Wrapped as an AdmissionReview so the engine takes the namespace from the request when the
    // object omits it, as the API server does.
    let review = json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": { "namespace": request.get("namespace"), "object": object },
    });
    let text = review.to_string();
    let mut report =
        check::check_text(&text, ADMISSION_SOURCE, options).map_err(|e| e.to_string())?;
    // Lines would point into the text built above, not into anything the user wrote.
    for resource in &mut report.resources {
        for finding in &mut resource.findings {
            finding.line = None;
        }
    }
    Ok(report)
}

/// `path: message`, the form findings take in admission messages.
fn describe(finding: &Finding) -> String {
    if finding.path.is_empty() {
        finding.message.clone()
    } else {
        format!("{}: {}", finding.path, finding.message)
    }
}

/// True when `finding` denies under `options`.
fn denies(finding: &Finding, options: &Options) -> bool {
    finding.severity == Severity::Error || options.warnings_deny
}

fn violation(input: &Value, data: &Value) -> Value {
    let fail = |rule: &str, path: &str, msg: String| json!([{ "msg": msg, "details": { "path": path, "rule": rule, "severity": "error" } }]);
    let options = match params::options(parameters(input, data)) {
        Ok(options) => options,
        Err(e) => return fail("meshtel.parameters", "parameters", e.to_string()),
    };
    let Some(review) = input.get("review").filter(|r| r.is_object()) else {
        return fail(
            "meshtel.input",
            "review",
            "input.review is missing: expected {\"review\": <AdmissionRequest>, \"parameters\": {…}}".into(),
        );
    };
    let report = match check_request(review, &options) {
        Ok(report) => report,
        Err(e) => return fail("meshtel.input", "review.object", e),
    };
    let set: Vec<Value> = report
        .resources
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| denies(f, &options))
        .map(|f| {
            json!({
                "msg": describe(f),
                "details": { "path": f.path, "rule": f.rule, "severity": f.severity.as_str() },
            })
        })
        .collect();
    Value::Array(set)
}

fn response(input: &Value, data: &Value) -> Value {
    let request = input.get("request").filter(|r| r.is_object());
    let uid = request
        .and_then(|r| r.get("uid"))
        .cloned()
        .unwrap_or_else(|| Value::String(String::new()));
    let deny = |code: u16, message: String| {
        json!({ "response": {
            "uid": uid, "allowed": false, "status": { "message": message, "code": code },
        }})
    };
    let options = match params::options(parameters(input, data)) {
        Ok(options) => options,
        Err(e) => return deny(500, format!("meshtel: {e}")),
    };
    let Some(request) = request else {
        return deny(
            400,
            "meshtel: input.request is missing: expected {\"request\": <AdmissionRequest>}".into(),
        );
    };
    let report = match check_request(request, &options) {
        Ok(report) => report,
        Err(e) => return deny(400, format!("meshtel: {e}")),
    };
    let findings: Vec<&Finding> = report.resources.iter().flat_map(|r| &r.findings).collect();
    let reasons: Vec<String> = findings
        .iter()
        .filter(|f| denies(f, &options))
        .map(|f| describe(f))
        .collect();
    let warnings: Vec<String> = findings
        .iter()
        .filter(|f| !denies(f, &options))
        .map(|f| describe(f))
        .collect();
    let allowed = report.resources.iter().all(|r| r.verdict != Verdict::Deny);
    let mut response = Map::new();
    response.insert("uid".into(), uid.clone());
    response.insert("allowed".into(), Value::Bool(allowed));
    if !allowed {
        response.insert(
            "status".into(),
            json!({ "message": reasons.join("; "), "code": 403 }),
        );
    }
    if !warnings.is_empty() {
        response.insert("warnings".into(), json!(warnings));
    }
    json!({ "response": response })
}

fn findings(input: &Value, data: &Value) -> Value {
    let options = match params::options(parameters(input, data)) {
        Ok(options) => options,
        Err(e) => return json!({ "error": e.to_string() }),
    };
    let report = if let Some(text) = input.get("resources").and_then(Value::as_str) {
        let name = input
            .get("source")
            .and_then(Value::as_str)
            .unwrap_or("input");
        check::check_sources(&[Source { text, name }], &options).map_err(|e| e.to_string())
    } else if let Some(request) = input
        .get("review")
        .or_else(|| input.get("request"))
        .filter(|r| r.is_object())
    {
        check_request(request, &options)
    } else {
        Err("expected input.resources (text), input.review or input.request".to_string())
    };
    match report {
        Ok(report) => serde_json::to_value(&report).unwrap_or(Value::Null),
        Err(e) => json!({ "error": e }),
    }
}
