//! `deploy/wasmplugin.yaml` is a valid Istio WasmPlugin whose `pluginConfig` the built filter
//! accepts and turns into the brief's record.

use host_tests::fixture::Fixture;
use host_tests::replay::replay;
use std::path::PathBuf;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Fields of `extensions.istio.io/v1alpha1` WasmPlugin `spec` (istio/api extensions/v1alpha1/wasm.proto).
const SPEC_FIELDS: [&str; 14] = [
    "selector",
    "targetRef",
    "targetRefs",
    "url",
    "sha256",
    "imagePullPolicy",
    "imagePullSecret",
    "pluginConfig",
    "pluginName",
    "phase",
    "priority",
    "failStrategy",
    "vmConfig",
    "match",
];

#[test]
fn wasmplugin_is_well_formed_and_configures_the_filter() {
    let path = workspace().join("deploy/wasmplugin.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let objects = policy_wasm::input::parse(&text, "deploy/wasmplugin.yaml").unwrap();
    assert_eq!(objects.len(), 1);
    let plugin = &objects[0].value;
    assert_eq!(plugin["apiVersion"], "extensions.istio.io/v1alpha1");
    assert_eq!(plugin["kind"], "WasmPlugin");
    let spec = plugin["spec"].as_object().unwrap();
    for key in spec.keys() {
        assert!(
            SPEC_FIELDS.contains(&key.as_str()) || key == "type",
            "unknown WasmPlugin field spec.{key}"
        );
    }
    assert!(
        ["AUTHN", "AUTHZ", "STATS", "UNSPECIFIED_PHASE"].contains(&spec["phase"].as_str().unwrap())
    );
    assert!(["FAIL_CLOSE", "FAIL_OPEN"].contains(&spec["failStrategy"].as_str().unwrap()));
    assert!(["HTTP", "NETWORK"].contains(&spec["type"].as_str().unwrap()));

    let config = &spec["pluginConfig"];
    let module = host_tests::proxy_filter().unwrap();
    let fixture =
        Fixture::load(workspace().join("host-tests/fixtures/seed/sleep-outbound-status-418.json"))
            .unwrap();
    let out = replay(&module, config.to_string().as_bytes(), &[fixture]).unwrap();
    let expected =
        std::fs::read_to_string(workspace().join("examples/aks-brief/expected.log")).unwrap();
    assert_eq!(
        out[0].records,
        [expected.lines().next().unwrap().as_bytes().to_vec()]
    );
}
