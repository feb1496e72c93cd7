//! Strings the library hands to C: the one free function for every string it
//! allocates, and the static version string.

use crate::boundary::guard_void;
use crate::pointers::string_free;
use std::ffi::c_char;

/// Frees a string returned through an output parameter of this library
/// (`response_out`, `error_out`). NULL is ignored. Never pass strings lent to
/// callbacks, static strings (`tb_version`, `tb_status_name`) or strings from
/// elsewhere.
#[no_mangle]
pub unsafe extern "C" fn tb_string_free(string: *mut c_char) {
    guard_void(|| {
        // SAFETY: NULL or a string from this library not yet freed, per the header.
        unsafe { string_free(string) }
    });
}

/// The library's version, e.g. `"0.1.0"`. Static: never free it.
#[no_mangle]
pub extern "C" fn tb_version() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}
