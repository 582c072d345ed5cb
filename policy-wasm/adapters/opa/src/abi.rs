//! The OPA wasm ABI 1.2 exports. A "value address" is a leaked `Box<Json>` on the
//! bump heap; the host rewinds the heap between evaluations, which frees them all at once.
//! The version globals and the `memory` export are added after linking (xtask/src/opa.rs).

use crate::entrypoints::{ENTRYPOINTS, evaluate, evaluate_owned};
use crate::heap::HEAP;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use policy_wasm::json::{Json, Map};

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    /// Host call that stops evaluation with a NUL-terminated message; it does not return.
    fn opa_abort(message: *const u8);
}

const OPA_ERR_OK: i32 = 0;
const OPA_ERR_INVALID_TYPE: i32 = 2;
const OPA_ERR_INVALID_PATH: i32 = 3;

fn abort(message: &str) -> ! {
    let mut text = Vec::with_capacity(message.len() + 1);
    text.extend_from_slice(message.as_bytes());
    text.push(0);
    // SAFETY: the host reads the NUL-terminated string and traps.
    unsafe { opa_abort(text.as_ptr()) };
    core::arch::wasm32::unreachable()
}

/// Leaks `value` onto the heap and returns its address.
fn store(value: Json) -> i32 {
    Box::into_raw(Box::new(value)) as i32
}

/// The value at `addr`, or `None` for the null address.
///
/// # Safety
/// `addr` is 0 or an address returned by [`store`] since the last heap rewind below it.
unsafe fn load<'a>(addr: i32) -> Option<&'a mut Json> {
    // SAFETY: guaranteed by the caller.
    unsafe { (addr as *mut Json).as_mut() }
}

/// Writes `value` as NUL-terminated JSON and returns its address.
fn dump(value: &Json) -> i32 {
    let mut text = String::new();
    policy_wasm::json::write_compact(value, &mut text);
    text.push('\0');
    text.leak().as_ptr() as i32
}

fn parse(addr: i32, len: i32) -> Option<Json> {
    // SAFETY: the host wrote `len` bytes at `addr` inside memory.
    let bytes = unsafe { core::slice::from_raw_parts(addr as *const u8, len as usize) };
    policy_wasm::json::parse_bytes(bytes).ok()
}

/// The evaluation context of the legacy path.
#[derive(Default)]
struct Ctx {
    entrypoint: usize,
    input: i32,
    data: i32,
    result: i32,
}

/// `opa_malloc(size) -> addr`.
#[unsafe(no_mangle)]
pub extern "C" fn opa_malloc(size: i32) -> i32 {
    let layout = core::alloc::Layout::from_size_align(size as usize, 8)
        .unwrap_or_else(|_| abort("opa_malloc: bad size"));
    // SAFETY: a zero-size layout is fine for the bump allocator (it returns the heap pointer).
    let ptr = unsafe { alloc::alloc::alloc(layout) };
    if ptr.is_null() {
        abort("opa_malloc: out of memory");
    }
    ptr as i32
}

/// `opa_free(addr)`: memory comes back when the host rewinds the heap.
#[unsafe(no_mangle)]
pub extern "C" fn opa_free(_addr: i32) {}

/// `opa_value_free(addr)` (ABI 1.3 name, harmless to offer).
#[unsafe(no_mangle)]
pub extern "C" fn opa_value_free(_addr: i32) {}

/// `opa_heap_ptr_get() -> addr`.
#[unsafe(no_mangle)]
pub extern "C" fn opa_heap_ptr_get() -> i32 {
    HEAP.get() as i32
}

/// `opa_heap_ptr_set(addr)`.
#[unsafe(no_mangle)]
pub extern "C" fn opa_heap_ptr_set(addr: i32) {
    HEAP.set(addr as usize);
}

/// `opa_json_parse(str, len) -> value` (0 when the text is not JSON).
#[unsafe(no_mangle)]
pub extern "C" fn opa_json_parse(addr: i32, len: i32) -> i32 {
    parse(addr, len).map_or(0, store)
}

/// `opa_value_parse(str, len) -> value`: Rego literals that are also JSON.
#[unsafe(no_mangle)]
pub extern "C" fn opa_value_parse(addr: i32, len: i32) -> i32 {
    opa_json_parse(addr, len)
}

/// `opa_json_dump(value) -> str`.
#[unsafe(no_mangle)]
pub extern "C" fn opa_json_dump(addr: i32) -> i32 {
    // SAFETY: the host passes value addresses it got from this module.
    let null = Json::Null;
    dump(unsafe { load(addr) }.map_or(&null, |v| &*v))
}

/// `opa_value_dump(value) -> str`: our values hold no sets, so JSON is valid Rego.
#[unsafe(no_mangle)]
pub extern "C" fn opa_value_dump(addr: i32) -> i32 {
    opa_json_dump(addr)
}

/// The object keys of a path value (`["a", "b"]`), or `None` when it is not an array of strings.
fn path_keys(path: &Json) -> Option<Vec<&str>> {
    path.as_array()?.iter().map(Json::as_str).collect()
}

/// `opa_value_add_path(base, path, value) -> err`: sets `value` at `path`, creating objects.
#[unsafe(no_mangle)]
pub extern "C" fn opa_value_add_path(base: i32, path: i32, value: i32) -> i32 {
    // SAFETY: the host passes value addresses it got from this module.
    let (Some(base), Some(path), Some(value)) =
        (unsafe { load(base) }, unsafe { load(path) }, unsafe {
            load(value)
        })
    else {
        return OPA_ERR_INVALID_TYPE;
    };
    let Some(keys) = path_keys(path) else {
        return OPA_ERR_INVALID_PATH;
    };
    let Some((last, parents)) = keys.split_last() else {
        *base = value.clone();
        return OPA_ERR_OK;
    };
    let mut node = base;
    for key in parents {
        let Json::Object(map) = node else {
            return OPA_ERR_INVALID_TYPE;
        };
        if !map.contains_key(key) {
            map.insert(*key, Json::Object(Map::new()));
        }
        let Some(child) = map.get_mut(key) else {
            return OPA_ERR_INVALID_TYPE;
        };
        node = child;
    }
    let Json::Object(map) = node else {
        return OPA_ERR_INVALID_TYPE;
    };
    map.insert(*last, value.clone());
    OPA_ERR_OK
}

/// `opa_value_remove_path(base, path) -> err`.
#[unsafe(no_mangle)]
pub extern "C" fn opa_value_remove_path(base: i32, path: i32) -> i32 {
    // SAFETY: the host passes value addresses it got from this module.
    let (Some(base), Some(path)) = (unsafe { load(base) }, unsafe { load(path) }) else {
        return OPA_ERR_INVALID_TYPE;
    };
    let Some(keys) = path_keys(path) else {
        return OPA_ERR_INVALID_PATH;
    };
    let Some((last, parents)) = keys.split_last() else {
        return OPA_ERR_INVALID_PATH;
    };
    let mut node = base;
    for key in parents {
        match node.get_mut(key) {
            Some(child) => node = child,
            None => return OPA_ERR_OK,
        }
    }
    if let Json::Object(map) = node {
        map.remove(last);
    }
    OPA_ERR_OK
}

/// `builtins() -> value`: none; hosts would otherwise have to implement them.
#[unsafe(no_mangle)]
pub extern "C" fn builtins() -> i32 {
    store(Json::Object(Map::new()))
}

/// `entrypoints() -> value`: name → id.
#[unsafe(no_mangle)]
pub extern "C" fn entrypoints() -> i32 {
    store(Json::object(
        ENTRYPOINTS
            .iter()
            .enumerate()
            .map(|(id, name)| (*name, Json::from(id))),
    ))
}

/// `opa_eval_ctx_new() -> ctx`.
#[unsafe(no_mangle)]
pub extern "C" fn opa_eval_ctx_new() -> i32 {
    Box::into_raw(Box::new(Ctx::default())) as i32
}

/// # Safety
/// `ctx` is an address returned by `opa_eval_ctx_new` since the last rewind below it.
unsafe fn ctx<'a>(ctx: i32) -> &'a mut Ctx {
    // SAFETY: guaranteed by the caller; a null context is a host bug worth stopping for.
    unsafe { (ctx as *mut Ctx).as_mut() }.unwrap_or_else(|| abort("null evaluation context"))
}

/// `opa_eval_ctx_set_input(ctx, value)`.
#[unsafe(no_mangle)]
pub extern "C" fn opa_eval_ctx_set_input(c: i32, value: i32) {
    // SAFETY: the host passes a context from `opa_eval_ctx_new`.
    unsafe { ctx(c) }.input = value;
}

/// `opa_eval_ctx_set_data(ctx, value)`.
#[unsafe(no_mangle)]
pub extern "C" fn opa_eval_ctx_set_data(c: i32, value: i32) {
    // SAFETY: the host passes a context from `opa_eval_ctx_new`.
    unsafe { ctx(c) }.data = value;
}

/// `opa_eval_ctx_set_entrypoint(ctx, id)`; an unknown id aborts, as the ABI says.
#[unsafe(no_mangle)]
pub extern "C" fn opa_eval_ctx_set_entrypoint(c: i32, id: i32) {
    if id < 0 || id as usize >= ENTRYPOINTS.len() {
        abort("unknown entrypoint id");
    }
    // SAFETY: the host passes a context from `opa_eval_ctx_new`.
    unsafe { ctx(c) }.entrypoint = id as usize;
}

/// `opa_eval_ctx_get_result(ctx) -> value`.
#[unsafe(no_mangle)]
pub extern "C" fn opa_eval_ctx_get_result(c: i32) -> i32 {
    // SAFETY: the host passes a context from `opa_eval_ctx_new`.
    unsafe { ctx(c) }.result
}

fn run(entrypoint: usize, input: &Json, data: &Json) -> Json {
    evaluate(entrypoint, input, data).unwrap_or_else(|| abort("unknown entrypoint id"))
}

/// `eval(ctx) -> 0`: the legacy path (Kubewarden, the Rust SDK).
#[unsafe(no_mangle)]
pub extern "C" fn eval(c: i32) -> i32 {
    // SAFETY: the host passes a context and value addresses from this module.
    let context = unsafe { ctx(c) };
    let null = Json::Null;
    let input = unsafe { load(context.input) }.map_or(&null, |v| &*v);
    let data = unsafe { load(context.data) }.map_or(&null, |v| &*v);
    let result = run(context.entrypoint, input, data);
    context.result = store(result);
    0
}

/// `opa_eval(reserved, entrypoint, data, input, input_len, heap_ptr, format) -> str`: the fast
/// path (npm and Python SDKs). The input JSON sits at `input`, below `heap_ptr`.
#[unsafe(no_mangle)]
pub extern "C" fn opa_eval(
    _reserved: i32,
    entrypoint: i32,
    data: i32,
    input: i32,
    input_len: i32,
    heap_ptr: i32,
    _format: i32,
) -> i32 {
    HEAP.set(heap_ptr as usize);
    if entrypoint < 0 {
        abort("unknown entrypoint id");
    }
    let input = parse(input, input_len).unwrap_or_else(|| abort("input is not valid JSON"));
    // SAFETY: the host passes a value address from this module (or 0).
    let null = Json::Null;
    let data = unsafe { load(data) }.map_or(&null, |v| &*v);
    let result = evaluate_owned(entrypoint as usize, input, data)
        .unwrap_or_else(|| abort("unknown entrypoint id"));
    let text = dump(&result);
    // Not dropped: walking the tree to free it is wasted work, the host rewinds the heap.
    core::mem::forget(result);
    text
}
