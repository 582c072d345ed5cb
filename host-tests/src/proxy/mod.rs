//! A proxy-wasm host on wasmtime that loads a filter the way Envoy does and replays recorded
//! streams through it, in Envoy's callback order.

mod abi;
mod memory;
mod metrics;
pub mod prometheus;
pub mod trace;

pub use abi::status;
pub use metrics::{Metric, MetricKind, Metrics};

use crate::fixture::{ConnectionEvent, Fixture};
use anyhow::{Context, Result, anyhow, bail};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use wasmtime::{Engine, ExternType, Func, Instance, Linker, Module, Store, Val};

/// Property values by path segments.
pub type Properties = BTreeMap<Vec<String>, Vec<u8>>;

/// Property values by the serialized path the guest sends (segments joined by NUL), so a lookup
/// costs no allocation.
type RawProperties = HashMap<Vec<u8>, Vec<u8>>;

fn raw_keys(properties: &Properties) -> RawProperties {
    properties
        .iter()
        .map(|(k, v)| (k.join("\0").into_bytes(), v.clone()))
        .collect()
}

/// `proxy_log_level_t` INFO.
pub const LOG_INFO: u32 = 2;

/// One `proxy_log` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// `proxy_log_level_t` (0 trace … 5 critical).
    pub level: u32,
    /// The context that was effective when the guest logged.
    pub context_id: u32,
    /// The message bytes, exactly as the guest passed them.
    pub message: Vec<u8>,
}

/// Where a stream is in its life; decides which header maps are readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// No stream (root context callbacks).
    None,
    /// `proxy_on_request_headers` and later.
    RequestHeaders,
    /// `proxy_on_response_headers` and later.
    ResponseHeaders,
    /// `proxy_on_log`.
    Log,
    /// A TCP connection, from `proxy_on_new_connection` to `proxy_on_delete`.
    Connection,
}

/// Everything the host functions act on.
pub struct HostState {
    /// Bytes returned for PLUGIN_CONFIGURATION.
    pub plugin_configuration: Vec<u8>,
    /// Bytes returned for VM_CONFIGURATION.
    pub vm_configuration: Vec<u8>,
    /// Properties readable in every context (node metadata, plugin names).
    root_properties: RawProperties,
    /// The stream being replayed (kept after it ends, hidden by `phase`, so that replaying the
    /// same fixture again reuses it instead of copying it).
    pub stream: Option<Fixture>,
    /// The guest changed a header map of `stream`, so it no longer equals its fixture.
    stream_changed: bool,
    /// The stream's properties, keyed for lookups.
    stream_properties: RawProperties,
    /// Properties the guest set.
    set_properties: RawProperties,
    /// The guest's allocator export, looked up once.
    pub(crate) allocator: Option<wasmtime::TypedFunc<i32, i32>>,
    /// The guest's memory export, looked up once.
    pub(crate) memory: Option<wasmtime::Memory>,
    /// Where a host call stages the bytes it returns to the guest (reused, not reallocated).
    pub(crate) staged: Vec<u8>,
    /// Stream progress.
    pub phase: Phase,
    /// Context set by the host for the running callback, or by `proxy_set_effective_context`.
    pub effective_context: u32,
    /// Contexts created and not yet deleted.
    pub live_contexts: BTreeSet<u32>,
    /// Answer to `proxy_get_log_level`.
    pub log_level: u32,
    /// Everything the guest logged.
    pub logs: Vec<LogRecord>,
    /// Metrics the guest defined.
    pub metrics: Metrics,
    /// Last tick period the guest asked for.
    pub tick_period_ms: u32,
    /// Answer to `proxy_get_current_time_nanoseconds`.
    pub clock_ns: i64,
    /// The host calls of the stream being traced, when one is.
    trace: Option<Vec<trace::HostCall>>,
    /// Bytes returned to the guest while tracing.
    traced_bytes: usize,
}

impl HostState {
    fn property(&self, path: &[u8]) -> Option<&[u8]> {
        if let Some(v) = self.set_properties.get(path) {
            return Some(v);
        }
        if self.phase != Phase::None
            && let Some(v) = self.stream_properties.get(path)
        {
            return Some(v);
        }
        self.root_properties.get(path).map(Vec::as_slice)
    }

    /// True while host calls are being traced.
    fn tracing(&self) -> bool {
        self.trace.is_some()
    }

    /// Records one host call of the traced stream.
    fn note(&mut self, call: trace::HostCall) {
        if let Some(trace) = &mut self.trace {
            trace.push(call);
        }
    }

    fn set_property(&mut self, path: Vec<u8>, value: Vec<u8>) {
        self.set_properties.insert(path, value);
    }

    fn header_map(&self, map: i32) -> Option<&Vec<(String, Vec<u8>)>> {
        if !abi::map_visible(map, self.phase) {
            return None;
        }
        self.stream.as_ref()?.headers.get(map as usize)
    }

    fn header_map_mut(&mut self, map: i32) -> Option<&mut Vec<(String, Vec<u8>)>> {
        if !abi::map_visible(map, self.phase) {
            return None;
        }
        self.stream_changed = true;
        self.stream.as_mut()?.headers.get_mut(map as usize)
    }
}

/// A compiled proxy-wasm module.
#[derive(Clone)]
pub struct ProxyModule {
    engine: Engine,
    module: Module,
}

impl ProxyModule {
    /// Compiles the module at `path` (e.g. `dist/proxy-filter.wasm`).
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        Self::from_bytes(&bytes).with_context(|| format!("cannot load {}", path.display()))
    }

    /// Compiles a module from its bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut config = wasmtime::Config::new();
        // `perf record` can name the guest's compiled functions (in /tmp/perf-PID.map).
        if std::env::var_os("MESHTEL_PERFMAP").is_some() {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&config)?;
        let module = Module::new(&engine, bytes)?;
        let has_abi_marker = module
            .exports()
            .any(|e| e.name() == "proxy_abi_version_0_2_1");
        if !has_abi_marker {
            bail!("not a proxy-wasm ABI 0.2.1 module (no proxy_abi_version_0_2_1 export)");
        }
        Ok(ProxyModule { engine, module })
    }

    fn linker(&self) -> Result<Linker<HostState>> {
        let mut linker = Linker::new(&self.engine);
        linker.allow_shadowing(true);
        // Every import first traps with its name: an unimplemented host call must never pass
        // silently. The implemented ones then shadow these.
        for import in self.module.imports() {
            let ExternType::Func(ty) = import.ty() else {
                bail!(
                    "the module imports {}.{} which is not a function",
                    import.module(),
                    import.name()
                );
            };
            let name = format!("{}.{}", import.module(), import.name());
            linker.func_new(import.module(), import.name(), ty, move |_, _, _| {
                Err(wasmtime::format_err!(
                    "host call {name} is not implemented by the meshtel test host"
                ))
            })?;
        }
        abi::define(&mut linker)?;
        Ok(linker)
    }
}

/// One VM with its root context, configured and ready for streams.
pub struct ProxyHost {
    store: Store<HostState>,
    instance: Instance,
    root_id: u32,
    next_id: u32,
    crashed: Option<String>,
    /// Exports already looked up, with their result counts: a callback costs a name lookup and a
    /// type query otherwise, on every call.
    exports: HashMap<&'static str, Option<(Func, usize)>>,
}

/// `proxy_peer_type_t` LOCAL.
const PEER_LOCAL: i32 = 1;
/// `proxy_peer_type_t` REMOTE.
const PEER_REMOTE: i32 = 2;

/// Root context id, as Envoy numbers it.
const ROOT_ID: u32 = 1;

impl ProxyHost {
    /// Instantiates `module` and runs `_initialize`, the root context, `on_vm_start` and
    /// `on_configure` with `plugin_configuration`. `root_properties` are what the node exposes
    /// (`xds.node.metadata.*`). Fails if the filter rejects its configuration.
    pub fn start(
        module: &ProxyModule,
        plugin_configuration: &[u8],
        root_properties: Properties,
    ) -> Result<Self> {
        let state = HostState {
            plugin_configuration: plugin_configuration.to_vec(),
            vm_configuration: Vec::new(),
            root_properties: raw_keys(&root_properties),
            stream: None,
            stream_changed: false,
            stream_properties: RawProperties::new(),
            set_properties: RawProperties::new(),
            allocator: None,
            memory: None,
            staged: Vec::new(),
            phase: Phase::None,
            effective_context: 0,
            live_contexts: BTreeSet::new(),
            log_level: LOG_INFO,
            logs: Vec::new(),
            metrics: Metrics::default(),
            tick_period_ms: 0,
            clock_ns: 0,
            trace: None,
            traced_bytes: 0,
        };
        let mut store = Store::new(&module.engine, state);
        let linker = module.linker()?;
        let instance = linker.instantiate(&mut store, &module.module)?;
        let allocator = ["proxy_on_memory_allocate", "malloc"]
            .iter()
            .find_map(|name| instance.get_typed_func::<i32, i32>(&mut store, name).ok());
        let memory = instance.get_memory(&mut store, "memory");
        store.data_mut().allocator = allocator;
        store.data_mut().memory = memory;
        let mut host = ProxyHost {
            store,
            instance,
            root_id: ROOT_ID,
            next_id: ROOT_ID + 1,
            crashed: None,
            exports: HashMap::new(),
        };
        host.call_optional::<()>("_initialize", &[])?;
        host.store.data_mut().live_contexts.insert(ROOT_ID);
        host.store.data_mut().effective_context = ROOT_ID;
        host.call_optional::<()>(
            "proxy_on_context_create",
            &[Val::I32(ROOT_ID as i32), Val::I32(0)],
        )?;
        let vm_ok = host.call_optional::<i32>(
            "proxy_on_vm_start",
            &[Val::I32(ROOT_ID as i32), Val::I32(0)],
        )?;
        if vm_ok == Some(0) {
            bail!("proxy_on_vm_start returned false{}", host.log_tail());
        }
        if !host.configure(plugin_configuration)? {
            bail!("the filter rejected its configuration{}", host.log_tail());
        }
        Ok(host)
    }

    /// Calls `proxy_on_configure` with new plugin configuration bytes; returns the filter's answer.
    pub fn configure(&mut self, plugin_configuration: &[u8]) -> Result<bool> {
        self.store.data_mut().plugin_configuration = plugin_configuration.to_vec();
        self.store.data_mut().effective_context = self.root_id;
        let size = plugin_configuration.len() as i32;
        let ok = self.call_optional::<i32>(
            "proxy_on_configure",
            &[Val::I32(self.root_id as i32), Val::I32(size)],
        )?;
        Ok(ok != Some(0))
    }

    /// Replays one HTTP stream in Envoy's order: context create, request headers, response headers,
    /// log, done, delete. Returns what the guest logged during the stream.
    pub fn replay_http(&mut self, fixture: &Fixture) -> Result<Vec<LogRecord>> {
        self.with_stream(fixture, Phase::None, |host, id| {
            let ctx = Val::I32(id as i32);
            host.call_optional::<()>(
                "proxy_on_context_create",
                &[ctx, Val::I32(host.root_id as i32)],
            )?;
            host.store.data_mut().phase = Phase::RequestHeaders;
            let n = fixture.headers[0].len() as i32;
            host.call_optional::<i32>(
                "proxy_on_request_headers",
                &[ctx, Val::I32(n), Val::I32(1)],
            )?;
            host.store.data_mut().phase = Phase::ResponseHeaders;
            let n = fixture.headers[2].len() as i32;
            host.call_optional::<i32>(
                "proxy_on_response_headers",
                &[ctx, Val::I32(n), Val::I32(1)],
            )?;
            host.store.data_mut().phase = Phase::Log;
            host.call_optional::<()>("proxy_on_log", &[ctx])?;
            host.call_optional::<i32>("proxy_on_done", &[ctx])?;
            host.call_optional::<()>("proxy_on_delete", &[ctx])?;
            Ok(())
        })
    }

    /// Replays one TCP connection in Envoy's order (context.cc `onNewConnection`, `onCloseTCP`):
    /// context create, new connection, the fixture's data and tick events, downstream close
    /// (remote), upstream close (local), done, log, delete. Returns what the guest logged,
    /// ticks included.
    pub fn replay_tcp(&mut self, fixture: &Fixture) -> Result<Vec<LogRecord>> {
        let events = fixture.connection.as_deref().unwrap_or_default();
        self.with_stream(fixture, Phase::Connection, |host, id| {
            let ctx = Val::I32(id as i32);
            let root = Val::I32(host.root_id as i32);
            host.call_optional::<()>("proxy_on_context_create", &[ctx, root])?;
            host.call_optional::<i32>("proxy_on_new_connection", &[ctx])?;
            for event in events {
                host.store.data_mut().effective_context = id;
                match *event {
                    ConnectionEvent::Downstream(n) => host.call_optional::<i32>(
                        "proxy_on_downstream_data",
                        &[ctx, Val::I32(n as i32), Val::I32(0)],
                    )?,
                    ConnectionEvent::Upstream(n) => host.call_optional::<i32>(
                        "proxy_on_upstream_data",
                        &[ctx, Val::I32(n as i32), Val::I32(0)],
                    )?,
                    ConnectionEvent::Tick => {
                        host.store.data_mut().effective_context = host.root_id;
                        host.call_optional::<()>("proxy_on_tick", &[root])?;
                        None
                    }
                };
            }
            host.store.data_mut().effective_context = id;
            host.call_optional::<()>(
                "proxy_on_downstream_connection_close",
                &[ctx, Val::I32(PEER_REMOTE)],
            )?;
            host.call_optional::<()>(
                "proxy_on_upstream_connection_close",
                &[ctx, Val::I32(PEER_LOCAL)],
            )?;
            host.call_optional::<i32>("proxy_on_done", &[ctx])?;
            host.call_optional::<()>("proxy_on_log", &[ctx])?;
            host.call_optional::<()>("proxy_on_delete", &[ctx])?;
            Ok(())
        })
    }

    /// Runs `callbacks` for a new stream context on `fixture` (its properties, headers and clock
    /// serve the host calls meanwhile), then forgets the stream; returns what the guest logged.
    fn with_stream(
        &mut self,
        fixture: &Fixture,
        phase: Phase,
        callbacks: impl FnOnce(&mut Self, u32) -> Result<()>,
    ) -> Result<Vec<LogRecord>> {
        let id = self.next_id;
        self.next_id += 1;
        let before = self.store.data().logs.len();
        {
            let state = self.store.data_mut();
            let same = |kept: &Fixture| {
                kept.properties == fixture.properties && kept.headers == fixture.headers
            };
            if state.stream_changed || !state.stream.as_ref().is_some_and(same) {
                state.stream = Some(fixture.clone());
                state.stream_properties = raw_keys(&fixture.properties);
                state.stream_changed = false;
            }
            state.set_properties.clear();
            state.clock_ns = fixture
                .clock_ns
                .or_else(|| fixture.property_time_ns())
                .unwrap_or(0);
            state.live_contexts.insert(id);
            state.effective_context = id;
            state.phase = phase;
        }
        let result = callbacks(self, id);
        {
            let state = self.store.data_mut();
            state.live_contexts.remove(&id);
            state.phase = Phase::None;
            state.effective_context = ROOT_ID;
        }
        result.with_context(|| format!("replaying {}", fixture.path.display()))?;
        Ok(self.store.data().logs[before..].to_vec())
    }

    /// Records the host calls of the streams replayed from now until [`ProxyHost::take_trace`].
    pub fn trace_next_stream(&mut self) {
        let state = self.store.data_mut();
        state.trace = Some(Vec::new());
        state.traced_bytes = 0;
    }

    /// The host calls recorded since [`ProxyHost::trace_next_stream`], and how many bytes they
    /// returned to the guest; tracing stops.
    pub fn take_trace(&mut self) -> Option<(Vec<trace::HostCall>, usize)> {
        let state = self.store.data_mut();
        Some((state.trace.take()?, state.traced_bytes))
    }

    /// Replays `fixture` as what it records: a TCP connection or an HTTP stream.
    pub fn replay(&mut self, fixture: &Fixture) -> Result<Vec<LogRecord>> {
        if fixture.connection.is_some() {
            self.replay_tcp(fixture)
        } else {
            self.replay_http(fixture)
        }
    }

    /// Calls the plugin's `proxy_on_tick` (periodic reports of open connections).
    pub fn tick(&mut self) -> Result<()> {
        self.store.data_mut().effective_context = self.root_id;
        let root = Val::I32(self.root_id as i32);
        self.call_optional::<()>("proxy_on_tick", &[root])?;
        Ok(())
    }

    /// The tick period the plugin asked for, in ms (0: none).
    pub fn tick_period_ms(&self) -> u32 {
        self.store.data().tick_period_ms
    }

    /// Everything logged so far (root and stream contexts).
    pub fn logs(&self) -> &[LogRecord] {
        &self.store.data().logs
    }

    /// Forgets what was logged so far, so a long run (fuzzing, soak) keeps the host's own memory
    /// flat; [`ProxyHost::replay_http`] still returns each stream's records.
    pub fn clear_logs(&mut self) {
        self.store.data_mut().logs.clear();
    }

    /// The metrics the filter defined.
    pub fn metrics(&self) -> &Metrics {
        &self.store.data().metrics
    }

    /// Size of the guest's linear memory in bytes (to check that it stays flat).
    pub fn memory_size(&mut self) -> usize {
        match self.instance.get_memory(&mut self.store, "memory") {
            Some(m) => m.data_size(&self.store),
            None => 0,
        }
    }

    /// The trap that killed the VM, if one did.
    pub fn crashed(&self) -> Option<&str> {
        self.crashed.as_deref()
    }

    fn log_tail(&self) -> String {
        let lines: Vec<String> = self
            .store
            .data()
            .logs
            .iter()
            .map(|l| String::from_utf8_lossy(&l.message).into_owned())
            .collect();
        if lines.is_empty() {
            String::new()
        } else {
            format!(": {}", lines.join("; "))
        }
    }

    /// Calls an export if the module has it (every callback is optional in the ABI). A trap kills
    /// the VM, as in Envoy: later calls fail with the original trap.
    fn call_optional<R: FromResult>(
        &mut self,
        name: &'static str,
        args: &[Val],
    ) -> Result<Option<R>> {
        if let Some(trap) = &self.crashed {
            bail!("the VM crashed earlier and is unusable: {trap}");
        }
        let (instance, store) = (self.instance, &mut self.store);
        let export = *self.exports.entry(name).or_insert_with(|| {
            let func = instance.get_func(&mut *store, name)?;
            Some((func, func.ty(&*store).results().len()))
        });
        let Some((func, result_count)) = export else {
            return Ok(None);
        };
        // ABI callbacks return at most one value; a module that returns more still gets called.
        let (mut one, mut many) = ([Val::I32(0)], Vec::new());
        let results: &mut [Val] = if result_count <= 1 {
            &mut one[..result_count]
        } else {
            many.resize(result_count, Val::I32(0));
            &mut many
        };
        match func.call(&mut self.store, args, results) {
            Ok(()) => Ok(Some(R::from_vals(results))),
            Err(err) => {
                let message = format!("{name} trapped: {err:#}{}", self.log_tail());
                self.crashed = Some(message.clone());
                Err(anyhow!(message))
            }
        }
    }
}

/// Converts callback results to the Rust type the host wants.
pub trait FromResult: Sized {
    /// Builds the value from the raw results.
    fn from_vals(vals: &[Val]) -> Self;
}

impl FromResult for () {
    fn from_vals(_: &[Val]) -> Self {}
}

impl FromResult for i32 {
    fn from_vals(vals: &[Val]) -> Self {
        vals.first().and_then(Val::i32).unwrap_or(0)
    }
}

impl Fixture {
    /// `request.time` in ns, used as the host clock while the stream replays.
    pub fn property_time_ns(&self) -> Option<i64> {
        policy_wasm::attributes::AttributeSource::get_i64(
            self,
            &policy_wasm::path!("request", "time"),
        )
    }
}
