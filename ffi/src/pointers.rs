//! Every conversion between C pointers and Rust values lives here: handles
//! boxed into opaque pointers and back, C strings read with NULL and UTF-8
//! checks, and Rust strings handed to C (freed by `tb_string_free`).

use std::ffi::{c_char, CStr, CString};
use temporal_bridge_core::Error;

/// Moves `value` to the heap and gives C an owning pointer to it.
pub(crate) fn into_raw<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Takes back ownership of a handle made by [`into_raw`]; `None` for NULL.
///
/// # Safety
/// `pointer` is NULL or came from [`into_raw`] with the same `T` and has not
/// been taken back before.
pub(crate) unsafe fn take<T>(pointer: *mut T) -> Option<T> {
    if pointer.is_null() {
        None
    } else {
        // SAFETY: the caller's contract.
        Some(*unsafe { Box::from_raw(pointer) })
    }
}

/// Borrows a required handle, or names the NULL argument.
///
/// # Safety
/// `pointer` is NULL or points to a live `T` for the returned lifetime.
pub(crate) unsafe fn borrow<'a, T>(pointer: *const T, argument: &str) -> Result<&'a T, Error> {
    // SAFETY: the caller's contract.
    unsafe { pointer.as_ref() }.ok_or_else(|| null_argument(argument))
}

/// Borrows an optional handle (NULL means "none").
///
/// # Safety
/// As for [`borrow`].
pub(crate) unsafe fn borrow_optional<'a, T>(pointer: *const T) -> Option<&'a T> {
    // SAFETY: the caller's contract.
    unsafe { pointer.as_ref() }
}

/// Reads a required NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `pointer` is NULL or points to a NUL-terminated string that stays valid
/// and unchanged for the returned lifetime.
pub(crate) unsafe fn str_argument<'a>(
    pointer: *const c_char,
    argument: &str,
) -> Result<&'a str, Error> {
    if pointer.is_null() {
        return Err(null_argument(argument));
    }
    // SAFETY: non-NULL and NUL-terminated by the caller's contract.
    let bytes = unsafe { CStr::from_ptr(pointer) };
    bytes.to_str().map_err(|e| {
        Error::invalid_argument(format!(
            "{argument} is not valid UTF-8 (bad byte at offset {})",
            e.valid_up_to()
        ))
        .with_detail("argument", argument)
        .with_detail("offset", e.valid_up_to())
    })
}

fn null_argument(argument: &str) -> Error {
    Error::invalid_argument(format!("{argument} is NULL")).with_detail("argument", argument)
}

/// Copies `text` into a C string owned by the caller (free: `tb_string_free`).
pub(crate) fn string_into_raw(text: String) -> Result<*mut c_char, Error> {
    CString::new(text)
        .map(CString::into_raw)
        .map_err(|_| Error::internal("a result string contained a NUL byte"))
}

/// Copies `text` into a C string that lives until the returned value drops
/// (for strings lent to callbacks).
pub(crate) fn string_lent(text: String) -> Result<CString, Error> {
    CString::new(text).map_err(|_| Error::internal("a result string contained a NUL byte"))
}

/// Frees a string made by [`string_into_raw`]; NULL is ignored.
///
/// # Safety
/// `pointer` is NULL or came from [`string_into_raw`] and was not freed yet.
pub(crate) unsafe fn string_free(pointer: *mut c_char) {
    if !pointer.is_null() {
        // SAFETY: the caller's contract.
        drop(unsafe { CString::from_raw(pointer) });
    }
}

/// Writes an output parameter unless the caller passed NULL for it.
///
/// # Safety
/// `out` is NULL or valid for a write of `T`.
pub(crate) unsafe fn write_optional<T>(out: *mut T, value: T) -> bool {
    if out.is_null() {
        false
    } else {
        // SAFETY: the caller's contract.
        unsafe { out.write(value) };
        true
    }
}
