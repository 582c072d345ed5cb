//! Fixture loading: good fixtures load; broken ones fail naming the file and the field.

use host_tests::fixture::Fixture;
use policy_wasm::attributes::{AttributeSource, HeaderMap};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

#[test]
fn seed_fixture_encodes_properties_as_envoy_does() {
    let f = Fixture::load(fixtures().join("seed/sleep-outbound-status-418.json")).unwrap();
    assert_eq!(
        f.property(&["response", "code"]).as_deref(),
        Some(&418i64.to_le_bytes()[..])
    );
    assert_eq!(
        f.property(&["connection", "mtls"]).as_deref(),
        Some(&[0u8][..])
    );
    assert_eq!(
        f.get_i64(&policy_wasm::path!("xds", "listener_direction")),
        Some(2)
    );
    assert_eq!(
        f.property(&["xds", "node", "metadata", "NAMESPACE"])
            .as_deref(),
        Some(&b"default"[..])
    );
    assert_eq!(
        f.property(&["xds", "node", "metadata", "LABELS", "app"])
            .as_deref(),
        Some(&b"sleep"[..])
    );
    assert_eq!(
        f.header(HeaderMap::RequestHeaders, "user-agent").as_deref(),
        Some(&b"curl/8.9.1"[..])
    );
    assert_eq!(f.header(HeaderMap::RequestHeaders, "x-forwarded-for"), None);
}

#[test]
fn broken_fixtures_name_file_and_field() {
    let cases = [
        ("bad-json.json", "invalid fixture JSON"),
        ("wrong-type.json", "properties.response.code"),
        ("bad-direction.json", "direction"),
        ("bad-header.json", "request_headers[0]"),
        ("bad-clock.json", "clock"),
    ];
    for (file, field) in cases {
        let err = Fixture::load(fixtures().join("broken").join(file)).expect_err(file);
        let msg = format!("{err:#}");
        assert!(
            msg.contains(file),
            "{file}: message does not name the file: {msg}"
        );
        assert!(
            msg.contains(field),
            "{file}: message does not name {field:?}: {msg}"
        );
    }
}
