//! Strings the library hands to C: the one free function for every string it
//! allocates, and the static version string; and the ABI version.

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

/// The ABI major version this header was generated for (see
/// `tb_abi_version`).
pub const TB_ABI_VERSION_MAJOR: u32 = 1;
/// The ABI minor version this header was generated for.
pub const TB_ABI_VERSION_MINOR: u32 = 0;

/// The ABI version of the library loaded at run time, `(major << 16) |
/// minor`. A minor release only adds (functions, operations, optional
/// request fields, response fields, status values); a major one may remove
/// or change anything, and the shared library's soname carries the major
/// (`libtemporal_bridge.so.1`). Status values are never reused. Bindings
/// ignore response fields they do not know. A binding checks that the
/// major equals the `TB_ABI_VERSION_MAJOR` it was written for and the minor
/// is at least its `TB_ABI_VERSION_MINOR` — or passes `"abi_version":
/// "major.minor"` to `tb_client_connect`, which refuses a library that
/// cannot serve it with a message saying so.
#[no_mangle]
pub extern "C" fn tb_abi_version() -> u32 {
    let (major, minor) = temporal_bridge_core::ABI_VERSION;
    (u32::from(major) << 16) | u32::from(minor)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_header_constants_are_the_core_abi_version() {
        assert_eq!(
            super::tb_abi_version(),
            (super::TB_ABI_VERSION_MAJOR << 16) | super::TB_ABI_VERSION_MINOR
        );
    }
}
