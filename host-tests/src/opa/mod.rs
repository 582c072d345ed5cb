//! A strict OPA wasm ABI host on wasmtime: it loads a policy the way the pickiest real hosts do
//! (opa-wasm-abi.md §5) and refuses anything they would refuse.
//!
//! - Imports: only `env.memory`, `opa_abort`, `opa_println`, `opa_builtin0..4` are offered.
//! - Memory: the host creates it at 5 pages without a maximum and never grows it itself; input is
//!   placed with `opa_malloc`, so only the module grows memory.
//! - Versions: `opa_wasm_abi_version` must be a global holding 1, the minor version ≥ 2.
//! - Exports: every function the SDKs look up, with the signature they type it with.
//! - Heap: the pointer after loading data is kept and restored before every evaluation.
//! - Both paths: `opa_eval` (npm, Python) and the eval context (Kubewarden, Rust SDK).

pub mod corpus;

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use wasmtime::{
    Caller, Engine, Extern, Instance, Linker, Memory, MemoryType, Module, Store, StoreLimits,
    StoreLimitsBuilder, TypedFunc, Val, ValType,
};

/// Pages of memory the host supplies, as npm's SDK and Kubewarden do.
pub const INITIAL_PAGES: u32 = 5;
/// The most memory an instance may grow to.
pub const MAX_MEMORY_BYTES: usize = 256 * 1024 * 1024;

const ALLOWED_IMPORTS: [&str; 8] = [
    "memory",
    "opa_abort",
    "opa_println",
    "opa_builtin0",
    "opa_builtin1",
    "opa_builtin2",
    "opa_builtin3",
    "opa_builtin4",
];

/// Exports every host types, with (parameter count, result count); all are i32.
const REQUIRED_FUNCS: [(&str, usize, usize); 16] = [
    ("eval", 1, 1),
    ("builtins", 0, 1),
    ("entrypoints", 0, 1),
    ("opa_eval_ctx_new", 0, 1),
    ("opa_eval_ctx_set_input", 2, 0),
    ("opa_eval_ctx_set_data", 2, 0),
    ("opa_eval_ctx_set_entrypoint", 2, 0),
    ("opa_eval_ctx_get_result", 1, 1),
    ("opa_malloc", 1, 1),
    ("opa_free", 1, 0),
    ("opa_json_parse", 2, 1),
    ("opa_json_dump", 1, 1),
    ("opa_heap_ptr_get", 0, 1),
    ("opa_heap_ptr_set", 1, 0),
    ("opa_value_add_path", 3, 1),
    ("opa_eval", 7, 1),
];

/// A compiled, checked OPA policy module.
#[derive(Clone)]
pub struct OpaPolicy {
    engine: Engine,
    module: Module,
}

/// What host functions see.
pub struct HostState {
    limits: StoreLimits,
    /// The message of the last `opa_abort`.
    pub aborted: Option<String>,
    /// Lines printed with `opa_println`.
    pub printed: Vec<String>,
}

impl OpaPolicy {
    /// Loads and checks a module file with a default engine.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        Self::new(&Engine::default(), &bytes)
    }

    /// Compiles and checks module bytes on `engine` (the server brings one with epoch
    /// interruption enabled).
    pub fn new(engine: &Engine, bytes: &[u8]) -> Result<Self> {
        let module = Module::new(engine, bytes)?;
        for import in module.imports() {
            if import.module() != "env" || !ALLOWED_IMPORTS.contains(&import.name()) {
                bail!(
                    "the module imports {}.{}, which OPA hosts do not provide",
                    import.module(),
                    import.name()
                );
            }
        }
        let memory = module
            .imports()
            .find_map(|i| i.ty().memory().cloned().filter(|_| i.name() == "memory"))
            .ok_or_else(|| anyhow!("the module does not import env.memory"))?;
        if memory.minimum() > u64::from(INITIAL_PAGES) {
            bail!(
                "the module needs {} initial pages of memory; hosts supply {INITIAL_PAGES}",
                memory.minimum()
            );
        }
        for (name, params, results) in REQUIRED_FUNCS {
            let ty = module
                .get_export(name)
                .and_then(|e| e.func().cloned())
                .ok_or_else(|| anyhow!("the module does not export function {name}"))?;
            let all_i32 = ty
                .params()
                .chain(ty.results())
                .all(|t| matches!(t, ValType::I32));
            if ty.params().len() != params || ty.results().len() != results || !all_i32 {
                bail!("export {name} has type {ty:?}; hosts expect {params} i32 in, {results} out");
            }
        }
        if module
            .get_export("memory")
            .and_then(|e| e.memory().cloned())
            .is_none()
        {
            bail!("the module does not export its memory (ABI 1.1)");
        }
        Ok(OpaPolicy {
            engine: engine.clone(),
            module,
        })
    }

    /// The engine the module was compiled with.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Instantiates the policy and loads `data`.
    pub fn instantiate(&self, data: &Value) -> Result<OpaInstance> {
        let state = HostState {
            limits: StoreLimitsBuilder::new()
                .memory_size(MAX_MEMORY_BYTES)
                .build(),
            aborted: None,
            printed: Vec::new(),
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        // Instantiation runs no guest code, but an epoch-interrupting engine needs a deadline.
        store.set_epoch_deadline(u64::MAX / 2);
        let memory = Memory::new(&mut store, MemoryType::new(INITIAL_PAGES, None))?;
        let mut linker: Linker<HostState> = Linker::new(&self.engine);
        linker.define(&store, "env", "memory", memory)?;
        linker.func_wrap(
            "env",
            "opa_abort",
            |mut caller: Caller<'_, HostState>, addr: i32| -> wasmtime::Result<()> {
                let message = read_cstr(&mut caller, addr).unwrap_or_default();
                caller.data_mut().aborted = Some(message.clone());
                Err(wasmtime::format_err!("opa_abort: {message}"))
            },
        )?;
        linker.func_wrap(
            "env",
            "opa_println",
            |mut caller: Caller<'_, HostState>, addr: i32| {
                let line = read_cstr(&mut caller, addr).unwrap_or_default();
                caller.data_mut().printed.push(line);
            },
        )?;
        // No builtins are declared, so a call to one is a module bug.
        for n in 0..=4 {
            let ty = wasmtime::FuncType::new(
                &self.engine,
                std::iter::repeat_n(ValType::I32, n + 2),
                [ValType::I32],
            );
            linker.func_new("env", &format!("opa_builtin{n}"), ty, |_, _, _| {
                Err(wasmtime::format_err!(
                    "the policy called a builtin it did not declare"
                ))
            })?;
        }
        let instance = linker.instantiate(&mut store, &self.module)?;
        let mut opa = OpaInstance::bind(store, instance, memory)?;
        opa.check_versions()?;
        let addr = opa.call0("builtins")?;
        let builtins = opa.dump_value_at(addr)?;
        if builtins.as_object().is_none_or(|m| !m.is_empty()) {
            bail!("the module declares builtins {builtins}; this host implements none");
        }
        let addr = opa.call0("entrypoints")?;
        let entrypoints = opa.dump_value_at(addr)?;
        opa.entrypoints = serde_json::from_value(entrypoints)
            .context("entrypoints() is not an object of name to id")?;
        // npm's SDK does this at load: the heap pointer after it is where data goes.
        opa.typed::<i32, i32>("opa_malloc")?
            .call(&mut opa.store, 0)?;
        opa.base_heap_ptr = opa
            .typed::<(), i32>("opa_heap_ptr_get")?
            .call(&mut opa.store, ())?;
        opa.set_data(data)?;
        Ok(opa)
    }
}

fn read_cstr(caller: &mut Caller<'_, HostState>, addr: i32) -> Option<String> {
    let Some(Extern::Memory(memory)) = caller.get_export("memory") else {
        return None;
    };
    let data = memory.data(&caller);
    let tail = data.get(addr as u32 as usize..)?;
    let end = tail.iter().position(|b| *b == 0)?;
    Some(String::from_utf8_lossy(&tail[..end]).into_owned())
}

/// One instance with its data loaded. Not shareable: one evaluation at a time.
pub struct OpaInstance {
    store: Store<HostState>,
    instance: Instance,
    memory: Memory,
    entrypoints: BTreeMap<String, i32>,
    base_heap_ptr: i32,
    data_addr: i32,
    data_heap_ptr: i32,
    deadline_ticks: Option<u64>,
}

impl OpaInstance {
    fn bind(store: Store<HostState>, instance: Instance, memory: Memory) -> Result<Self> {
        Ok(OpaInstance {
            store,
            instance,
            memory,
            entrypoints: BTreeMap::new(),
            base_heap_ptr: 0,
            data_addr: 0,
            data_heap_ptr: 0,
            deadline_ticks: None,
        })
    }

    fn typed<P: wasmtime::WasmParams, R: wasmtime::WasmResults>(
        &mut self,
        name: &str,
    ) -> Result<TypedFunc<P, R>> {
        Ok(self
            .instance
            .get_typed_func::<P, R>(&mut self.store, name)?)
    }

    fn call0(&mut self, name: &str) -> Result<i32> {
        self.typed::<(), i32>(name)?
            .call(&mut self.store, ())
            .map_err(|e| self.explain(e))
    }

    /// Starts one operation's budget: the epoch deadline (when the engine interrupts on epochs)
    /// covers every guest call of the operation, including heap resets.
    fn arm(&mut self) {
        self.store.data_mut().aborted = None;
        if let Some(ticks) = self.deadline_ticks {
            self.store.set_epoch_deadline(ticks);
        }
    }

    fn explain(&self, err: wasmtime::Error) -> anyhow::Error {
        match &self.store.data().aborted {
            Some(message) => anyhow!("policy aborted: {message}"),
            None => anyhow::Error::from(err).context("policy evaluation trapped"),
        }
    }

    fn check_versions(&mut self) -> Result<()> {
        let mut global = |name: &str| -> Result<i32> {
            let g = self
                .instance
                .get_global(&mut self.store, name)
                .ok_or_else(|| anyhow!("the module does not export global {name}"))?;
            if g.ty(&self.store).mutability() == wasmtime::Mutability::Var {
                bail!("global {name} is mutable; hosts expect a constant");
            }
            match g.get(&mut self.store) {
                Val::I32(v) => Ok(v),
                other => bail!("global {name} is {other:?}, not an i32"),
            }
        };
        let (major, minor) = (
            global("opa_wasm_abi_version")?,
            global("opa_wasm_abi_minor_version")?,
        );
        if major != 1 {
            bail!("unsupported ABI version {major} (a static's address instead of 1?)");
        }
        if minor < 2 {
            bail!("ABI minor version {minor}: opa_eval needs 2 or higher");
        }
        Ok(())
    }

    /// Evaluations started after this are interrupted `ticks` epochs later (the engine must have
    /// epoch interruption enabled; the caller advances the epoch).
    pub fn set_deadline_ticks(&mut self, ticks: Option<u64>) {
        self.deadline_ticks = ticks;
    }

    /// Entrypoint ids by name, as the module reports them.
    pub fn entrypoints(&self) -> &BTreeMap<String, i32> {
        &self.entrypoints
    }

    /// The id of entrypoint `name`.
    pub fn entrypoint(&self, name: &str) -> Result<i32> {
        self.entrypoints
            .get(name)
            .copied()
            .ok_or_else(|| anyhow!("the module has no entrypoint {name}"))
    }

    /// Current memory size in 64 KiB pages.
    pub fn memory_pages(&self) -> u64 {
        self.memory.size(&self.store)
    }

    /// What the module printed with `opa_println`.
    pub fn printed(&self) -> &[String] {
        &self.store.data().printed
    }

    /// The `opa_abort` message of the last operation, if the module aborted it.
    pub fn aborted(&self) -> Option<&str> {
        self.store.data().aborted.as_deref()
    }

    /// The module's heap pointer now (`opa_heap_ptr_get`).
    pub fn heap_ptr(&mut self) -> Result<i32> {
        self.call0("opa_heap_ptr_get")
    }

    /// Copies `bytes` into guest memory with `opa_malloc` (which grows memory if needed).
    fn put(&mut self, bytes: &[u8]) -> Result<i32> {
        let malloc = self.typed::<i32, i32>("opa_malloc")?;
        let len = i32::try_from(bytes.len()).context("input too large for a 32-bit guest")?;
        let addr = malloc
            .call(&mut self.store, len)
            .map_err(|e| self.explain(e))?;
        self.memory
            .write(&mut self.store, addr as u32 as usize, bytes)
            .context("opa_malloc returned memory outside the module's memory")?;
        Ok(addr)
    }

    /// Parses JSON text inside the guest; returns the value address.
    fn parse(&mut self, json: &[u8]) -> Result<i32> {
        let addr = self.put(json)?;
        let parse = self.typed::<(i32, i32), i32>("opa_json_parse")?;
        let value = parse
            .call(&mut self.store, (addr, json.len() as i32))
            .map_err(|e| self.explain(e))?;
        if value == 0 {
            bail!("opa_json_parse refused the JSON");
        }
        Ok(value)
    }

    /// Reads the NUL-terminated string at `addr`.
    fn read_cstr(&self, addr: i32) -> Result<Vec<u8>> {
        let data = self.memory.data(&self.store);
        let tail = data
            .get(addr as u32 as usize..)
            .ok_or_else(|| anyhow!("string address {addr} is outside memory"))?;
        let end = tail
            .iter()
            .position(|b| *b == 0)
            .ok_or_else(|| anyhow!("string at {addr} is not NUL-terminated"))?;
        Ok(tail[..end].to_vec())
    }

    /// Dumps the value at `addr` as JSON.
    fn dump_value_at(&mut self, addr: i32) -> Result<Value> {
        let dump = self.typed::<i32, i32>("opa_json_dump")?;
        let text = dump
            .call(&mut self.store, addr)
            .map_err(|e| self.explain(e))?;
        let bytes = self.read_cstr(text)?;
        serde_json::from_slice(&bytes).context("opa_json_dump wrote invalid JSON")
    }

    /// Replaces the data document (Kubewarden passes settings here); resets the heap first.
    pub fn set_data(&mut self, data: &Value) -> Result<()> {
        self.arm();
        self.reset(self.base_heap_ptr)?;
        let json = serde_json::to_vec(data)?;
        self.data_addr = self.parse(&json)?;
        self.data_heap_ptr = self
            .typed::<(), i32>("opa_heap_ptr_get")?
            .call(&mut self.store, ())?;
        Ok(())
    }

    fn reset(&mut self, ptr: i32) -> Result<()> {
        self.typed::<i32, ()>("opa_heap_ptr_set")?
            .call(&mut self.store, ptr)
            .map_err(|e| self.explain(e))?;
        Ok(())
    }

    /// Evaluates with `opa_eval` (ABI 1.2 fast path): input JSON text in, result set out.
    pub fn eval_fast(&mut self, entrypoint: i32, input_json: &[u8]) -> Result<Value> {
        self.arm();
        self.reset(self.data_heap_ptr)?;
        let input = self.put(input_json)?;
        let heap = input + input_json.len() as i32;
        let opa_eval = self.typed::<(i32, i32, i32, i32, i32, i32, i32), i32>("opa_eval")?;
        let args = (
            0,
            entrypoint,
            self.data_addr,
            input,
            input_json.len() as i32,
            heap,
            0,
        );
        let result = opa_eval
            .call(&mut self.store, args)
            .map_err(|e| self.explain(e))?;
        let bytes = self.read_cstr(result)?;
        serde_json::from_slice(&bytes).context("opa_eval returned invalid JSON")
    }

    /// Evaluates through an evaluation context (the path Kubewarden and the Rust SDK use).
    pub fn eval_ctx(&mut self, entrypoint: i32, input: &Value) -> Result<Value> {
        self.eval_ctx_json(entrypoint, &serde_json::to_vec(input)?)
    }

    /// [`Self::eval_ctx`] with the input as JSON text, parsed by the module (`opa_json_parse`).
    pub fn eval_ctx_json(&mut self, entrypoint: i32, input_json: &[u8]) -> Result<Value> {
        self.arm();
        self.reset(self.data_heap_ptr)?;
        let input = self.parse(input_json)?;
        let ctx = self.call0("opa_eval_ctx_new")?;
        let set = self.typed::<(i32, i32), ()>("opa_eval_ctx_set_input")?;
        set.call(&mut self.store, (ctx, input))
            .map_err(|e| self.explain(e))?;
        let set = self.typed::<(i32, i32), ()>("opa_eval_ctx_set_data")?;
        set.call(&mut self.store, (ctx, self.data_addr))
            .map_err(|e| self.explain(e))?;
        let set = self.typed::<(i32, i32), ()>("opa_eval_ctx_set_entrypoint")?;
        set.call(&mut self.store, (ctx, entrypoint))
            .map_err(|e| self.explain(e))?;
        let eval = self.typed::<i32, i32>("eval")?;
        eval.call(&mut self.store, ctx)
            .map_err(|e| self.explain(e))?;
        let get = self.typed::<i32, i32>("opa_eval_ctx_get_result")?;
        let result = get
            .call(&mut self.store, ctx)
            .map_err(|e| self.explain(e))?;
        self.dump_value_at(result)
    }
}
