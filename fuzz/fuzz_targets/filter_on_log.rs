//! `dist/proxy-filter.wasm` under the wasmtime proxy-wasm host: one HTTP stream per input, with
//! arbitrary property values and header maps, through request headers, response headers, `on_log`
//! (TEXT and JSON records), done and delete. Chunk 0, when not empty, is the access-log filter
//! expression. A trap, a crash, or linear memory past 256 MiB is a finding.
//! Input format: `meshtel_fuzz::Input`. Build `dist/` first (`cargo xtask build`).
#![no_main]

use host_tests::fixture::Fixture;
use host_tests::proxy::ProxyHost;
use libfuzzer_sys::fuzz_target;
use meshtel_fuzz::Input;
use std::cell::RefCell;

const MEMORY_LIMIT: usize = 256 << 20;

struct Vm {
    host: ProxyHost,
    expression: String,
}

fn config(expression: &str) -> Vec<u8> {
    let filter = if expression.is_empty() {
        String::new()
    } else {
        format!(
            r#","filter":{{"expression":{}}}"#,
            serde_json::Value::from(expression)
        )
    };
    format!(
        r#"{{"rootNamespace":"istio-system","meshConfig":{{"extensionProviders":[
        {{"name":"text","envoyFileAccessLog":{{"path":"/dev/stdout"}}}},
        {{"name":"json","envoyFileAccessLog":{{"path":"/dev/stdout","logFormat":{{"labels":{{}}}}}}}}]}},
        "telemetry":[{{"apiVersion":"telemetry.istio.io/v1","kind":"Telemetry","metadata":{{"name":"m","namespace":"istio-system"}},
        "spec":{{"accessLogging":[{{"providers":[{{"name":"text"}},{{"name":"json"}}]{filter}}}]}}}}]}}"#
    )
    .into_bytes()
}

fn node() -> Fixture {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../host-tests/fixtures/envoy/00-get-200-outbound.json"
    );
    Fixture::load(path).expect("the recorded fixture loads")
}

fn start() -> Vm {
    let module = host_tests::proxy_filter().expect("dist/proxy-filter.wasm loads");
    let host = ProxyHost::start(&module, &config(""), node().root_properties)
        .expect("the filter starts with its plain configuration");
    Vm {
        host,
        expression: String::new(),
    }
}

thread_local! {
    static VM: RefCell<Option<Vm>> = const { RefCell::new(None) };
    static NODE: Fixture = node();
}

fuzz_target!(|data: &[u8]| {
    let input = Input::decode(data);
    VM.with_borrow_mut(|vm| {
        let vm = vm.get_or_insert_with(start);
        if vm.expression != input.text {
            let accepted = vm
                .host
                .configure(&config(&input.text))
                .expect("on_configure does not trap");
            vm.expression = input.text.clone();
            if !accepted {
                // The filter refused the expression and keeps its previous plan; nothing to log.
                return;
            }
        }
        let fixture = NODE.with(|node| Fixture {
            description: "fuzz".into(),
            properties: input.properties.clone(),
            root_properties: node.root_properties.clone(),
            headers: input.headers.clone(),
            ..Fixture::default()
        });
        vm.host.clear_logs();
        if let Err(e) = vm.host.replay_http(&fixture) {
            panic!("the filter trapped: {e:#}");
        }
        assert!(vm.host.crashed().is_none());
        let size = vm.host.memory_size();
        assert!(size <= MEMORY_LIMIT, "linear memory grew to {size} bytes");
    });
});
