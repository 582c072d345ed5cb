//! Reading and writing guest memory, and allocating inside the guest for returned data.
//!
//! These run on every host call, so they look the memory export up once (at instantiation) and
//! copy nothing they do not have to: a real host's property read is a map lookup and one copy.

use wasmtime::{Caller, Extern, Memory};
use wasmtime::{Result, format_err as anyhow};

use super::HostState;

/// The guest's exported linear memory.
pub fn memory(caller: &mut Caller<'_, HostState>) -> Result<Memory> {
    if let Some(m) = caller.data().memory {
        return Ok(m);
    }
    match caller.get_export("memory") {
        Some(Extern::Memory(m)) => Ok(m),
        _ => Err(anyhow!(
            "the module exports no linear memory named `memory`"
        )),
    }
}

/// The guest bytes `ptr..ptr+len` within `data`, or an error for a range out of bounds.
pub fn guest_slice(data: &[u8], ptr: i32, len: i32) -> Result<&[u8]> {
    let (start, len) = (ptr as u32 as usize, len as u32 as usize);
    let end = start
        .checked_add(len)
        .ok_or_else(|| anyhow!("guest range overflows"))?;
    data.get(start..end)
        .ok_or_else(|| anyhow!("guest passed an out-of-bounds range {start}+{len}"))
}

/// Copies `len` bytes at `ptr` out of the guest.
pub fn read(caller: &mut Caller<'_, HostState>, ptr: i32, len: i32) -> Result<Vec<u8>> {
    let mem = memory(caller)?;
    guest_slice(mem.data(&caller), ptr, len).map(<[u8]>::to_vec)
}

/// Answers a lookup keyed by guest bytes (a property path, a header name) through the
/// returned-data convention, without copying the key out of the guest; `Ok(false)` when `lookup`
/// finds nothing. The answer is staged in a buffer the host keeps, not a fresh allocation.
pub fn return_lookup(
    caller: &mut Caller<'_, HostState>,
    (ptr, len): (i32, i32),
    (ptr_out, size_out): (i32, i32),
    lookup: impl for<'s> FnOnce(&'s HostState, &[u8]) -> Option<&'s [u8]>,
) -> Result<bool> {
    let mem = memory(caller)?;
    let mut staged = std::mem::take(&mut caller.data_mut().staged);
    staged.clear();
    let found = {
        let (data, state) = mem.data_and_store_mut(&mut *caller);
        guest_slice(data, ptr, len)
            .map(|key| lookup(state, key).map(|value| staged.extend_from_slice(value)))
    };
    let result = match found {
        Ok(Some(())) => return_bytes(caller, &staged, ptr_out, size_out).map(|()| true),
        Ok(None) => Ok(false),
        Err(e) => Err(e),
    };
    caller.data_mut().staged = staged;
    result
}

/// Writes a little-endian u32 at `ptr`.
pub fn write_u32(caller: &mut Caller<'_, HostState>, ptr: i32, value: u32) -> Result<()> {
    write_bytes(caller, ptr, &value.to_le_bytes())
}

/// Writes `bytes` at `ptr`.
pub fn write_bytes(caller: &mut Caller<'_, HostState>, ptr: i32, bytes: &[u8]) -> Result<()> {
    let mem = memory(caller)?;
    mem.write(caller, ptr as u32 as usize, bytes)
        .map_err(|_| anyhow!("guest passed an out-of-bounds pointer {ptr}"))
}

/// Allocates `bytes.len()` bytes in the guest through `proxy_on_memory_allocate` (or the
/// deprecated `malloc`, which the Rust SDK exports on wasm32-unknown-unknown), copies `bytes` there
/// and stores pointer and size at the two out-pointers, as the ABI's returned-data convention says.
pub fn return_bytes(
    caller: &mut Caller<'_, HostState>,
    bytes: &[u8],
    ptr_out: i32,
    size_out: i32,
) -> Result<()> {
    // Taken out and put back rather than cloned: a clone copies its type, which is refcounted.
    let alloc = caller.data_mut().allocator.take().ok_or_else(|| {
        anyhow!("the module exports neither proxy_on_memory_allocate nor malloc (as (i32) -> i32)")
    })?;
    let addr = alloc.call(&mut *caller, bytes.len() as i32);
    caller.data_mut().allocator = Some(alloc);
    let addr = addr?;
    if addr == 0 && !bytes.is_empty() {
        return Err(anyhow!(
            "guest allocator returned 0 for {} bytes",
            bytes.len()
        ));
    }
    if caller.data().tracing() {
        caller.data_mut().traced_bytes += bytes.len();
    }
    let mem = memory(caller)?;
    let data = mem.data_mut(&mut *caller);
    put(data, addr, bytes)?;
    put(data, ptr_out, &(addr as u32).to_le_bytes())?;
    put(data, size_out, &(bytes.len() as u32).to_le_bytes())
}

/// Copies `bytes` into `data` at `ptr`, or fails for a range out of bounds.
fn put(data: &mut [u8], ptr: i32, bytes: &[u8]) -> Result<()> {
    let start = ptr as u32 as usize;
    data.get_mut(start..start.saturating_add(bytes.len()))
        .ok_or_else(|| anyhow!("guest passed an out-of-bounds pointer {ptr}"))?
        .copy_from_slice(bytes);
    Ok(())
}
