//! Cancellation tokens: a C handle on the core's `CancellationToken`. A token
//! passed to calls abandons all of them when cancelled; it never touches a
//! workflow (use `tb_workflow_cancel` for that).

use crate::boundary::guard_void;
use crate::pointers::{borrow_optional, into_raw, take};
use temporal_bridge_core::CancellationToken;

/// A cancellation token (opaque). Create with `tb_cancel_token_new`, free
/// with `tb_cancel_token_free`. Thread-safe: cancel it from any thread while
/// calls that use it run on others.
pub struct TbCancelToken {
    pub(crate) token: CancellationToken,
}

/// Creates a token that is not cancelled. Never returns NULL (allocation
/// failure aborts, as in Rust). Free it with `tb_cancel_token_free`.
#[no_mangle]
pub extern "C" fn tb_cancel_token_new() -> *mut TbCancelToken {
    into_raw(TbCancelToken {
        token: CancellationToken::new(),
    })
}

/// Cancels the token: every call that was given it and is still running ends
/// promptly with `TB_STATUS_CANCELLED`, and calls given it later fail at once
/// the same way. Idempotent and thread-safe. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn tb_cancel_token_cancel(token: *const TbCancelToken) {
    guard_void(|| {
        // SAFETY: NULL or a live token, per the header.
        if let Some(token) = unsafe { borrow_optional(token) } {
            token.token.cancel();
        }
    });
}

/// Whether `tb_cancel_token_cancel` was called on the token (false for NULL).
#[no_mangle]
pub unsafe extern "C" fn tb_cancel_token_is_cancelled(token: *const TbCancelToken) -> bool {
    // SAFETY: NULL or a live token, per the header.
    unsafe { borrow_optional(token) }.is_some_and(|t| t.token.is_cancelled())
}

/// Frees a token. Freeing does not cancel: calls already given the token hold
/// their own reference and keep running; cancel first to abandon them. NULL
/// is ignored.
#[no_mangle]
pub unsafe extern "C" fn tb_cancel_token_free(token: *mut TbCancelToken) {
    guard_void(|| {
        // SAFETY: NULL or a token from tb_cancel_token_new not yet freed.
        drop(unsafe { take(token) });
    });
}
