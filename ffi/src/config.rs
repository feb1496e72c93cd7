//! Client configuration (profiles file and `TEMPORAL_*` variables), as
//! `tb_client_connect` reads it when no target is given: resolved here for
//! inspection, secrets redacted.

use crate::boundary::run_text;
use crate::pointers::str_argument;
use crate::status::TbStatus;
use std::ffi::c_char;
use temporal_bridge_core::{load_client_config, parse_strict, LoadConfigOptions};

/// Resolves a configuration profile the way `tb_client_connect` does when
/// its options have no `target`, and returns it as JSON with every secret
/// (API key, private key data, codec auth, credential-looking metadata)
/// replaced by `"<redacted>"`: `{"profile", "source_file", "address",
/// "namespace", "api_key", "tls": {...} | null, "codec", "grpc_meta",
/// "tls_enabled"}`.
///
/// `options_json` (may be NULL for `{}`): `{"profile"?, "config_file"?,
/// "config_strict"?, "disable_file"?, "disable_env"?, "env"?: {"NAME":
/// "value"} (instead of the process environment)}`. Errors name the file,
/// the profile and the key, or the environment variable.
///
/// On success writes the JSON to `*response_out` (free it with
/// `tb_string_free`); on failure writes the JSON error object to
/// `*error_out` (free with `tb_string_free`; NULL to discard).
#[no_mangle]
pub unsafe extern "C" fn tb_config_resolve(
    options_json: *const c_char,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        run_text("tb_config_resolve", response_out, error_out, || {
            let options: LoadConfigOptions = if options_json.is_null() {
                LoadConfigOptions::default()
            } else {
                parse_strict(str_argument(options_json, "options_json")?, "options_json")?
            };
            Ok(load_client_config(&options)?.to_json(true).to_string())
        })
    }
}
