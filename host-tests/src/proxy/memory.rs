//! Reading and writing guest memory, and allocating inside the guest for returned data.

use wasmtime::{Caller, Extern, Memory};
use wasmtime::{Result, format_err as anyhow};

use super::HostState;

/// The guest's exported linear memory.
pub fn memory(caller: &mut Caller<'_, HostState>) -> Result<Memory> {
    match caller.get_export("memory") {
        Some(Extern::Memory(m)) => Ok(m),
        _ => Err(anyhow!(
            "the module exports no linear memory named `memory`"
        )),
    }
}

/// Copies `len` bytes at `ptr` out of the guest.
pub fn read(caller: &mut Caller<'_, HostState>, ptr: i32, len: i32) -> Result<Vec<u8>> {
    let mem = memory(caller)?;
    let (start, len) = (ptr as u32 as usize, len as u32 as usize);
    let data = mem.data(&caller);
    data.get(
        start
            ..start
                .checked_add(len)
                .ok_or_else(|| anyhow!("guest range overflows"))?,
    )
    .map(<[u8]>::to_vec)
    .ok_or_else(|| anyhow!("guest passed an out-of-bounds range {start}+{len}"))
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
    let alloc = caller.data().allocator.clone().ok_or_else(|| {
        anyhow!("the module exports neither proxy_on_memory_allocate nor malloc (as (i32) -> i32)")
    })?;
    let addr = alloc.call(&mut *caller, bytes.len() as i32)?;
    if addr == 0 && !bytes.is_empty() {
        return Err(anyhow!(
            "guest allocator returned 0 for {} bytes",
            bytes.len()
        ));
    }
    write_bytes(caller, addr, bytes)?;
    write_u32(caller, ptr_out, addr as u32)?;
    write_u32(caller, size_out, bytes.len() as u32)
}
