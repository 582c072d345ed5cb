//! `dist/proxy-filter.wasm` under the wasmtime proxy-wasm host: arbitrary plugin configuration
//! bytes through `proxy_on_configure` on a running VM, then one recorded stream. The filter may
//! refuse a configuration; a trap or a crash is a finding. Build `dist/` first.
#![no_main]

use host_tests::fixture::Fixture;
use host_tests::proxy::ProxyHost;
use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;

const FIXTURE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../host-tests/fixtures/envoy/00-get-200-outbound.json"
);
const CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../host-tests/envoy/plugin-config.json"
);

struct Vm {
    host: ProxyHost,
    stream: Fixture,
}

fn start() -> Vm {
    let module = host_tests::proxy_filter().expect("dist/proxy-filter.wasm loads");
    let stream = Fixture::load(FIXTURE).expect("the recorded fixture loads");
    let config = std::fs::read(CONFIG).expect("the plugin configuration reads");
    let host = ProxyHost::start(&module, &config, stream.root_properties.clone())
        .expect("the filter starts with its plain configuration");
    Vm { host, stream }
}

thread_local! {
    static VM: RefCell<Option<Vm>> = const { RefCell::new(None) };
}

fuzz_target!(|data: &[u8]| {
    VM.with_borrow_mut(|vm| {
        let vm = vm.get_or_insert_with(start);
        if let Err(e) = vm.host.configure(data) {
            panic!("on_configure trapped: {e:#}");
        }
        vm.host.clear_logs();
        if let Err(e) = vm.host.replay_http(&vm.stream) {
            panic!("the filter trapped after a new configuration: {e:#}");
        }
    });
});
