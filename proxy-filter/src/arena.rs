//! Where the host puts the data it returns: a bump arena reclaimed when the last [`Scope`] ends.
//!
//! Every property, header map and buffer the host returns is written into memory it gets from
//! `proxy_on_memory_allocate`. A record reads two dozen values and the metrics twenty more; with
//! the global allocator each one cost a `malloc` and a `free`, and the values had to be owned.
//! Here an allocation is a pointer bump, and values are borrowed slices that live as long as the
//! [`Scope`] they were read in: the arena rewinds only when no scope is alive, so a borrow
//! (whose lifetime the scope bounds) can never see its bytes reused.

use std::cell::RefCell;

/// The first chunk's size: a typical request's values fit with room to spare.
const FIRST_CHUNK: usize = 16 * 1024;
/// After a rewind the arena keeps at most this much, so one huge request does not pin memory.
const KEPT: usize = 256 * 1024;
/// Allocations are aligned so that a host may write integers into them directly.
const ALIGN: usize = 8;

struct Arena {
    /// Chunks never move or grow once made, so pointers into them stay valid until a rewind;
    /// each is at least twice the size of the one before.
    chunks: Vec<Box<[u8]>>,
    /// Bytes used in the last chunk.
    used: usize,
    /// Live scopes.
    scopes: usize,
}

impl Arena {
    const fn new() -> Arena {
        Arena {
            chunks: Vec::new(),
            used: 0,
            scopes: 0,
        }
    }

    fn allocate(&mut self, size: usize) -> *mut u8 {
        let start = self.used.next_multiple_of(ALIGN);
        if let Some(chunk) = self.chunks.last_mut()
            && let Some(end) = start.checked_add(size)
            && end <= chunk.len()
        {
            self.used = end;
            // SAFETY: `start + size <= chunk.len()`.
            return unsafe { chunk.as_mut_ptr().add(start) };
        }
        let last = self.chunks.last().map_or(0, |c| c.len());
        let Some(mut chunk) = zeroed(size.max(last.saturating_mul(2)).max(FIRST_CHUNK)) else {
            return core::ptr::null_mut();
        };
        let at = chunk.as_mut_ptr();
        self.chunks.push(chunk);
        self.used = size;
        at
    }

    /// Forgets every allocation; keeps the largest chunk (the last) unless it exceeds [`KEPT`].
    fn rewind(&mut self) {
        self.used = 0;
        if self.chunks.len() > 1 || self.chunks.first().is_some_and(|c| c.len() > KEPT) {
            let last = self.chunks.pop();
            self.chunks.clear();
            self.chunks.extend(last.filter(|c| c.len() <= KEPT));
        }
    }
}

/// A zeroed chunk of `size` bytes, or `None` when memory is exhausted (the host then sees a
/// failed allocation instead of the module aborting).
fn zeroed(size: usize) -> Option<Box<[u8]>> {
    let mut chunk = Vec::new();
    chunk.try_reserve_exact(size).ok()?;
    chunk.resize(size, 0);
    Some(chunk.into_boxed_slice())
}

thread_local! {
    // Initialised in place (`const`): no lazy-initialisation check on each host allocation.
    static ARENA: RefCell<Arena> = const { RefCell::new(Arena::new()) };
}

/// Memory for `size` bytes the host is about to return; null when there is none.
pub fn allocate(size: usize) -> *mut u8 {
    ARENA.with(|a| {
        a.try_borrow_mut()
            .map_or(core::ptr::null_mut(), |mut a| a.allocate(size))
    })
}

/// While a scope lives, nothing allocated in the arena is reused: data the host returned during
/// it may be borrowed for the scope's lifetime.
pub struct Scope {
    /// Not constructible outside [`Scope::enter`].
    _private: (),
}

impl Scope {
    /// Opens a scope.
    pub fn enter() -> Scope {
        ARENA.with(|a| {
            if let Ok(mut a) = a.try_borrow_mut() {
                a.scopes += 1;
            }
        });
        Scope { _private: () }
    }

    /// `len` bytes at `ptr`, which the host returned in this scope (or `None` for a null pointer).
    ///
    /// # Safety
    /// `ptr..ptr + len` must be memory the host wrote after allocating it from this arena while
    /// this scope was alive.
    pub unsafe fn returned(&self, ptr: *const u8, len: usize) -> Option<&[u8]> {
        // SAFETY: the caller's promise; the arena keeps the bytes while `self` lives.
        (!ptr.is_null()).then(|| unsafe { core::slice::from_raw_parts(ptr, len) })
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        ARENA.with(|a| {
            if let Ok(mut a) = a.try_borrow_mut() {
                a.scopes = a.scopes.saturating_sub(1);
                if a.scopes == 0 {
                    a.rewind();
                }
            }
        });
    }
}
