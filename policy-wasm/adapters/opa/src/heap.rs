//! A bump allocator whose next free address IS the OPA heap pointer.
//!
//! OPA hosts write input right at the heap pointer without calling `opa_malloc`, then reset the
//! pointer before every evaluation, so everything above it must be treated as free: a bump
//! allocator that the host can rewind matches that exactly. `dealloc` only gives back the most
//! recent block; the rest is reclaimed when the host rewinds.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::Cell;

const PAGE: usize = 65_536;

unsafe extern "C" {
    /// First address after static data and the stack, defined by the linker.
    static __heap_base: u8;
}

/// The allocator; wasm is single-threaded, so a `Cell` is enough.
pub struct Bump {
    next: Cell<usize>,
}

// SAFETY: wasm32-unknown-unknown without threads has exactly one thread.
unsafe impl Sync for Bump {}

/// The module's global allocator and heap pointer.
#[global_allocator]
pub static HEAP: Bump = Bump { next: Cell::new(0) };

impl Bump {
    /// The heap pointer (`opa_heap_ptr_get`).
    pub fn get(&self) -> usize {
        if self.next.get() == 0 {
            // Only the address of the linker symbol is taken, which is safe.
            self.next.set(core::ptr::addr_of!(__heap_base) as usize);
        }
        self.next.get()
    }

    /// Rewinds or advances the heap pointer (`opa_heap_ptr_set`, `opa_eval`'s `heap_ptr`).
    pub fn set(&self, addr: usize) {
        self.next.set(addr);
    }

    /// Grows memory so that `end` is addressable; false when the host refuses.
    fn reserve(end: usize) -> bool {
        let have = wasm32::memory_size(0) * PAGE;
        if end <= have {
            return true;
        }
        let pages = (end - have).div_ceil(PAGE);
        wasm32::memory_grow(0, pages) != usize::MAX
    }
}

unsafe impl GlobalAlloc for Bump {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let start = self.get().next_multiple_of(layout.align());
        let Some(end) = start.checked_add(layout.size()) else {
            return core::ptr::null_mut();
        };
        if !Self::reserve(end) {
            return core::ptr::null_mut();
        }
        self.next.set(end);
        start as *mut u8
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if ptr as usize + layout.size() == self.next.get() {
            self.next.set(ptr as usize);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // Growing the newest block in place keeps serializers' buffers from leaving copies behind.
        let start = ptr as usize;
        if start + layout.size() == self.next.get() {
            let Some(end) = start.checked_add(new_size) else {
                return core::ptr::null_mut();
            };
            if !Self::reserve(end) {
                return core::ptr::null_mut();
            }
            self.next.set(end);
            return ptr;
        }
        let Ok(new_layout) = Layout::from_size_align(new_size, layout.align()) else {
            return core::ptr::null_mut();
        };
        // SAFETY: the new block does not overlap the old one, which stays valid until rewound.
        unsafe {
            let new = self.alloc(new_layout);
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
            }
            new
        }
    }
}
