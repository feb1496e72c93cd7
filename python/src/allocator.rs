//! The native module's memory allocator: mimalloc instead of the C library's
//! `malloc`, for the Rust side of the module only (Python objects stay with
//! Python's allocator, and the C library `ffi/` keeps the system's).
//!
//! A call allocates a few dozen small blocks and a few large ones (a call's
//! future, buffers) on one thread and frees them on the same or another.
//! glibc's `malloc` spends about 12 % of a blocking call's instructions on
//! that, more once a payload codec's short-lived blocks overflow its
//! per-thread cache (`malloc_consolidate` then runs on each large request);
//! mimalloc's free lists per page keep every size on its fast path (see
//! `python/README.md`, "Speed").
//!
//! One setting differs from mimalloc's defaults: arenas are not committed
//! eagerly. Eager commit on Linux lets transparent huge pages fill a fresh
//! arena with 2 MiB pages, which would cost the process 8 MiB of resident
//! memory after connecting; committed on demand, it costs under 1 MiB. The
//! environment (`MIMALLOC_ARENA_EAGER_COMMIT`) still has the last word.
//!
//! After `fork()` a child starts afresh here as in the runtime (see
//! `temporal_bridge_core::runtime`). mimalloc has no fork handlers: its few
//! locks are taken only to map more memory or when a thread starts or ends,
//! so, as with the runtime's own locks, a fork from Python at exactly such a
//! moment on another thread is the one case a child could wait on a lock.

use std::alloc::{GlobalAlloc, Layout};
use std::sync::Once;

/// `mi_option_arena_eager_commit` in `mimalloc.h`'s `mi_option_e` (the
/// bindings name only older options; the version is pinned by Cargo.lock).
const ARENA_EAGER_COMMIT: libmimalloc_sys::mi_option_t = 4;

/// mimalloc, with its options set before its first allocation.
pub(crate) struct Allocator;

static CONFIGURED: Once = Once::new();

fn configure() {
    // SAFETY: sets a default before any allocation of this module; mimalloc
    // reads options on first use, and `Once` makes this run exactly once.
    unsafe { libmimalloc_sys::mi_option_set_default(ARENA_EAGER_COMMIT, 0) };
}

// SAFETY: every method delegates to `mimalloc::MiMalloc`, which upholds the
// `GlobalAlloc` contract; the only addition is setting an option once,
// which allocates nothing.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        CONFIGURED.call_once(configure);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { mimalloc::MiMalloc.alloc(layout) }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        CONFIGURED.call_once(configure);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator (forwarded guarantees).
        unsafe { mimalloc::MiMalloc.dealloc(ptr, layout) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator (forwarded guarantees).
        unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
    }
}
