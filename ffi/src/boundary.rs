//! The panic boundary every export runs inside, and the one place where a
//! blocking call's outcome is written to its output parameters: the result on
//! success, the JSON error object on failure, nothing else.

use crate::pointers::{string_into_raw, write_optional};
use crate::status::TbStatus;
use std::any::Any;
use std::ffi::c_char;
use std::panic::{catch_unwind, AssertUnwindSafe};
use temporal_bridge_core::Error;

/// Runs `body`, turning a panic into an `internal` error: a panic must never
/// unwind into C (that would abort the host process).
pub(crate) fn guard<T>(
    function: &str,
    body: impl FnOnce() -> Result<T, Error>,
) -> Result<T, Error> {
    // AssertUnwindSafe: after a panic nothing of `body`'s state is used again.
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        Err(Error::internal(format!(
            "panic in {function}: {}",
            panic_message(payload.as_ref())
        )))
    })
}

/// [`guard`] for exports that return nothing (free, close, cancel).
pub(crate) fn guard_void(body: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

fn panic_message(payload: &(dyn Any + Send)) -> &str {
    if let Some(text) = payload.downcast_ref::<&str>() {
        text
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text
    } else {
        "(no message)"
    }
}

/// Runs a blocking export that produces JSON text: on success writes it to
/// `response_out` (if not NULL), on failure writes the JSON error object to
/// `error_out` (if not NULL). Returns the status.
///
/// # Safety
/// `response_out` and `error_out` are each NULL or valid for a write.
pub(crate) unsafe fn run_text(
    function: &str,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
    body: impl FnOnce() -> Result<String, Error>,
) -> TbStatus {
    let result = guard(function, || {
        let text = body()?;
        if response_out.is_null() {
            return Ok(None); // the caller does not want the response
        }
        string_into_raw(text).map(Some)
    });
    match result {
        Ok(raw) => {
            if let Some(raw) = raw {
                // SAFETY: non-NULL, and valid by the caller's contract.
                unsafe { response_out.write(raw) };
            }
            TbStatus::Ok
        }
        // SAFETY: the caller's contract.
        Err(error) => unsafe { report_error(&error, error_out) },
    }
}

/// Writes `error`'s JSON object to `error_out` (if not NULL) and returns its
/// status.
///
/// # Safety
/// `error_out` is NULL or valid for a write.
pub(crate) unsafe fn report_error(error: &Error, error_out: *mut *mut c_char) -> TbStatus {
    if !error_out.is_null() {
        if let Ok(raw) = string_into_raw(error.to_json()) {
            // SAFETY: the caller's contract.
            unsafe { write_optional(error_out, raw) };
        }
    }
    TbStatus::from_kind(error.kind())
}
