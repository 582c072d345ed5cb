//! The module's heap: power-of-two size classes, each a free list, carved from pages the module
//! grows. It replaces std's dlmalloc, about 5 KB of a module whose budget is 200 KB. A filter
//! allocates the same few sizes for every request, so blocks one request frees serve the next;
//! allocating and freeing are a few instructions each.
//!
//! Every block is aligned to its own size (up to a page), which satisfies any layout whose size
//! is at least its alignment. Blocks are not merged or split once made, so memory a size class
//! once needed stays with it (a wasm module cannot give memory back to the host anyway).

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::UnsafeCell;
use core::ptr::null_mut;

/// A wasm page.
const PAGE: usize = 65_536;
/// The smallest block: room for the free-list link.
const MIN_CLASS: u32 = 3;
/// Classes 2^3 .. 2^31 bytes.
const CLASSES: usize = 32;

/// A free block: the next one of its class.
struct Free {
    next: *mut Free,
}

struct State {
    /// The first free block of each class.
    free: [*mut Free; CLASSES],
    /// Start of the memory not yet carved into blocks.
    next: usize,
    /// End of that memory.
    end: usize,
}

/// The global allocator of the filter module.
pub struct Heap(UnsafeCell<State>);

// SAFETY: a proxy-wasm VM runs one thread; nothing shares the heap across threads.
unsafe impl Sync for Heap {}

impl Heap {
    /// An empty heap; the first allocation grows memory.
    pub const fn new() -> Heap {
        Heap(UnsafeCell::new(State {
            free: [null_mut(); CLASSES],
            next: 0,
            end: 0,
        }))
    }
}

/// The class of a layout: log2 of the smallest power of two holding its size and alignment.
/// `CLASSES` or more for a layout no class holds.
fn class(layout: Layout) -> usize {
    let size = layout.size().max(layout.align());
    size.checked_next_power_of_two()
        .map_or(CLASSES, |p| p.trailing_zeros().max(MIN_CLASS) as usize)
}

impl State {
    /// Puts the blocks of `[from, to)` on their free lists, largest aligned pieces first. `from`
    /// and `to` are multiples of 2^MIN_CLASS.
    ///
    /// # Safety
    /// The range is unused memory of this module.
    unsafe fn release(&mut self, mut from: usize, to: usize) {
        while from != 0 && from + (1 << MIN_CLASS) <= to {
            let mut class = (from.trailing_zeros() as usize).min(CLASSES - 1);
            while from + (1 << class) > to {
                class -= 1;
            }
            let block = from as *mut Free;
            // SAFETY: the block is unused memory, aligned to its size (at least a pointer's).
            unsafe {
                block.write(Free {
                    next: self.free[class],
                })
            };
            self.free[class] = block;
            from += 1 << class;
        }
    }

    /// A new block of `class` from the uncarved memory, growing memory when it runs out.
    ///
    /// # Safety
    /// Called from the allocator only.
    unsafe fn carve(&mut self, class: usize) -> *mut u8 {
        let size = 1usize << class;
        let align = size.min(PAGE);
        let mut start = self.next.next_multiple_of(align);
        if start.checked_add(size).is_none_or(|end| end > self.end) {
            let pages = size.div_ceil(PAGE);
            let grown = wasm32::memory_grow(0, pages);
            if grown == usize::MAX {
                return null_mut();
            }
            let base = grown * PAGE;
            if base != self.end {
                // Someone else grew memory in between: keep what is left of the old region.
                // SAFETY: [next, end) is uncarved memory of this heap.
                unsafe { self.release(self.next, self.end) };
                self.next = base;
            }
            self.end = base + pages * PAGE;
            start = self.next.next_multiple_of(align);
        }
        // The padding before the block is not lost: it becomes smaller blocks.
        // SAFETY: [next, start) is uncarved memory of this heap.
        unsafe { self.release(self.next, start) };
        self.next = start + size;
        start as *mut u8
    }
}

// SAFETY: blocks are disjoint, aligned to their class size (at least the layout's alignment) and
// at least the layout's size; a block returns to the list of the class it came from, because a
// dealloc carries the layout of its alloc.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let class = class(layout);
        if class >= CLASSES {
            return null_mut();
        }
        // SAFETY: one thread, and no allocator call re-enters another.
        let state = unsafe { &mut *self.0.get() };
        let head = state.free[class];
        if head.is_null() {
            // SAFETY: called from the allocator.
            return unsafe { state.carve(class) };
        }
        // SAFETY: a free block holds its link.
        state.free[class] = unsafe { (*head).next };
        head.cast()
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        let class = class(layout);
        // SAFETY: as in `alloc`; `ptr` is a block of `class` that its owner gives back.
        unsafe {
            let state = &mut *self.0.get();
            let block = ptr.cast::<Free>();
            block.write(Free {
                next: state.free[class],
            });
            state.free[class] = block;
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's guarantees for `realloc` make this layout valid.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        if class(new_layout) == class(layout) {
            return ptr;
        }
        // SAFETY: the caller's guarantees, passed on.
        unsafe {
            let new = self.alloc(new_layout);
            if !new.is_null() {
                core::ptr::copy_nonoverlapping(ptr, new, layout.size().min(new_size));
                self.dealloc(ptr, layout);
            }
            new
        }
    }
}
