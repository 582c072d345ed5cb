//! The manifests under `deploy/` parse and say what the code expects: rules for Telemetry,
//! the webhook path and port, and only flags that `meshtel serve` accepts.

use policy_wasm::input;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Command;

fn load(path: &str) -> Vec<Value> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../deploy")
        .join(path);
    let text = std::fs::read_to_string(&full).unwrap();
    let docs = input::parse(&text, path).unwrap_or_else(|e| panic!("{e}"));
    // The engine has its own JSON type; these assertions use serde_json's.
    docs.into_iter()
        .map(|o| serde_json::from_str(&o.value.to_string()).unwrap())
        .collect()
}

fn one(path: &str, kind: &str, api_version: &str) -> Value {
    let docs = load(path);
    assert_eq!(docs.len(), 1, "{path}: one document");
    let doc = docs.into_iter().next().unwrap();
    assert_eq!(doc["kind"], kind, "{path}");
    assert_eq!(doc["apiVersion"], api_version, "{path}");
    assert!(
        doc["metadata"]["name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()),
        "{path}: name"
    );
    doc
}

const TELEMETRY_OPERATIONS: [&str; 2] = ["CREATE", "UPDATE"];

#[test]
fn kubewarden_policy_targets_telemetry_in_protect_mode() {
    let p = one(
        "kubewarden/cluster-admission-policy.yaml",
        "ClusterAdmissionPolicy",
        "policies.kubewarden.io/v1",
    );
    let spec = &p["spec"];
    let module = spec["module"].as_str().unwrap();
    assert!(
        ["registry://", "https://", "file://"]
            .iter()
            .any(|s| module.starts_with(s)),
        "{module}"
    );
    assert_eq!(spec["mode"], "protect");
    assert_eq!(spec["mutating"], false);
    let rule = &spec["rules"][0];
    assert_eq!(rule["apiGroups"], json!(["telemetry.istio.io"]));
    assert_eq!(rule["resources"], json!(["telemetries"]));
    assert_eq!(rule["operations"], json!(TELEMETRY_OPERATIONS));
    // Settings are the policy's parameters: the engine's own reader must accept them.
    policy_opa::params::options(&policy_wasm::json::parse(&spec["settings"].to_string()).unwrap())
        .expect("settings are valid parameters");
    // The rules match the module's own metadata.
    let metadata: Value = serde_json::from_str(include_str!(
        "../../policy-wasm/adapters/opa/kubewarden-metadata.json"
    ))
    .unwrap();
    assert_eq!(metadata["rules"], spec["rules"]);
    assert_eq!(metadata["executionMode"], "opa");
}

#[test]
fn webhook_configuration_service_and_deployment_agree() {
    let hook = one(
        "webhook/validating-webhook-configuration.yaml",
        "ValidatingWebhookConfiguration",
        "admissionregistration.k8s.io/v1",
    );
    let service = one("webhook/service.yaml", "Service", "v1");
    let deployment = one("webhook/deployment.yaml", "Deployment", "apps/v1");
    let webhook = &hook["webhooks"][0];
    assert!(
        webhook["name"].as_str().unwrap().split('.').count() >= 3,
        "fully qualified name"
    );
    assert_eq!(webhook["admissionReviewVersions"], json!(["v1"]));
    assert_eq!(webhook["sideEffects"], "None");
    assert_eq!(webhook["failurePolicy"], "Fail");
    let rule = &webhook["rules"][0];
    assert_eq!(rule["apiGroups"], json!(["telemetry.istio.io"]));
    assert_eq!(rule["resources"], json!(["telemetries"]));
    assert_eq!(rule["operations"], json!(TELEMETRY_OPERATIONS));
    let target = &webhook["clientConfig"]["service"];
    assert_eq!(target["path"], "/validate");
    assert_eq!(target["name"], service["metadata"]["name"]);
    assert_eq!(target["namespace"], service["metadata"]["namespace"]);
    assert_eq!(target["port"], service["spec"]["ports"][0]["port"]);
    // Service → pods.
    let labels = &deployment["spec"]["template"]["metadata"]["labels"];
    for (k, v) in service["spec"]["selector"].as_object().unwrap() {
        assert_eq!(&labels[k], v, "service selector {k}");
    }
    assert_eq!(deployment["spec"]["selector"]["matchLabels"], *labels);
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    let port = &container["ports"][0];
    assert_eq!(service["spec"]["ports"][0]["targetPort"], port["name"]);
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(container[probe]["httpGet"]["scheme"], "HTTPS", "{probe}");
    }
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    // Every flag in the Deployment is one `meshtel serve` accepts, and the listen port matches.
    let args: Vec<&str> = container["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert_eq!(args[0], "serve");
    let help = Command::new(env!("CARGO_BIN_EXE_meshtel"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    for arg in &args[1..] {
        let flag = arg.split('=').next().unwrap();
        assert!(help.contains(flag), "meshtel serve does not accept {flag}");
    }
    let listen = args
        .iter()
        .find_map(|a| a.strip_prefix("--listen="))
        .unwrap();
    assert!(
        listen.ends_with(&format!(":{}", port["containerPort"])),
        "{listen}"
    );
    assert!(
        args.iter().any(|a| a.starts_with("--tls-cert="))
            && args.iter().any(|a| a.starts_with("--tls-key="))
    );
}
