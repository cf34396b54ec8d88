//! dlmalloc over the free part of the initial memory, then grown memory.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32::{memory_grow, memory_size};
use core::cell::{Cell, UnsafeCell};
use core::ptr::null_mut;

use dlmalloc::{Allocator, Dlmalloc};

/// A Wasm page.
const PAGE: usize = 65536;

unsafe extern "C" {
    /// Where the linker puts the start of the heap: past the stack and the
    /// data, in the initial memory.
    static __heap_base: u8;
}

/// dlmalloc's source of memory: the initial memory's free part once, then
/// `memory.grow`. Memory is never given back (an instance lives for one
/// request).
struct InitialFirst {
    /// Whether the initial memory's free part has been handed out.
    taken: Cell<bool>,
}

// SAFETY: a plugin instance has one thread.
unsafe impl Send for InitialFirst {}

impl InitialFirst {
    /// The free part of the initial memory, once, if `size` bytes fit in it.
    fn initial(&self, size: usize) -> Option<(*mut u8, usize)> {
        if self.taken.replace(true) {
            return None;
        }
        // Only the symbol's address is taken.
        let base = &raw const __heap_base as usize;
        // dlmalloc's alignment (16 on wasm32).
        let base = base.checked_add(15)? & !15;
        let end = memory_size(0).checked_mul(PAGE)?;
        let free = end.checked_sub(base)?;
        (free >= size).then_some((base as *mut u8, free))
    }
}

// SAFETY: every region handed out is fresh (zeroed, as Wasm memory starts
// and as `memory.grow` returns it), owned by no one else, and never taken
// back.
unsafe impl Allocator for InitialFirst {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        if let Some((base, free)) = self.initial(size) {
            return (base, free, 0);
        }
        let pages = size.div_ceil(PAGE);
        let previous = memory_grow(0, pages);
        if previous == usize::MAX {
            return (null_mut(), 0, 0);
        }
        ((previous * PAGE) as *mut u8, pages * PAGE, 0)
    }

    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        null_mut()
    }

    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }

    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }

    fn allocates_zeros(&self) -> bool {
        true
    }

    fn page_size(&self) -> usize {
        PAGE
    }
}

/// The global allocator: dlmalloc over [`InitialFirst`].
struct Heap(UnsafeCell<Dlmalloc<InitialFirst>>);

// SAFETY: a plugin instance has one thread, so the allocator is never
// entered twice at once.
unsafe impl Sync for Heap {}

// SAFETY: dlmalloc's contract is `GlobalAlloc`'s (as Rust's own wasm
// allocator uses it), and the one thread never enters it twice at once, so
// each call has the only reference to it.
unsafe impl GlobalAlloc for Heap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded as Rust's own wasm allocator does.
        unsafe { (*self.0.get()).malloc(layout.size(), layout.align()) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as `alloc`.
        unsafe { (*self.0.get()).calloc(layout.size(), layout.align()) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator with `layout`.
        unsafe { (*self.0.get()).free(ptr, layout.size(), layout.align()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator with `layout`.
        unsafe { (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size) }
    }
}

#[global_allocator]
static HEAP: Heap = Heap(UnsafeCell::new(Dlmalloc::new_with_allocator(
    InitialFirst {
        taken: Cell::new(false),
    },
)));
