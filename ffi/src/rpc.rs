//! Any RPC by name, beyond the JSON form every operation has
//! (`tb_rpc_call`): the list of callable methods, and the raw mode that
//! takes and returns protobuf bytes, for SDK authors who carry their own
//! protos.

use crate::boundary::{guard, guard_void, report_error, run_text};
use crate::cancel::TbCancelToken;
use crate::client::TbClient;
use crate::pointers::{borrow, borrow_optional, str_argument};
use crate::status::TbStatus;
use bytes::Bytes;
use std::ffi::c_char;
use temporal_bridge_core::{
    list_rpc_methods, parse_strict, runtime, CallOptions, Error, ListRpcMethodsRequest,
};

/// Bytes the library hands to C (`tb_rpc_call_bytes`'s response). Free with
/// `tb_bytes_free`. An empty buffer may have a NULL `data`.
#[repr(C)]
pub struct TbBytes {
    /// The first byte (NULL when `len` is 0).
    pub data: *mut u8,
    /// How many bytes.
    pub len: usize,
}

/// Every method `tb_rpc_call` can call, as JSON:
/// `{"methods": [{"service", "method", "request_type", "response_type",
/// "repeat": "read_only" | "request_id" | "never", "long_poll"}]}`.
/// `service` (may be NULL for all) picks one service: `"workflow"`,
/// `"operator"`, `"cloud"`, `"test"` or `"health"`. Needs no client.
///
/// On success writes the JSON to `*response_out` (free it with
/// `tb_string_free`); on failure (an unknown service) writes the JSON error
/// object to `*error_out` (free with `tb_string_free`; NULL to discard).
#[no_mangle]
pub unsafe extern "C" fn tb_rpc_methods(
    service: *const c_char,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        run_text("tb_rpc_methods", response_out, error_out, || {
            let service = if service.is_null() {
                None
            } else {
                Some(str_argument(service, "service")?.to_owned())
            };
            let methods = list_rpc_methods(&ListRpcMethodsRequest { service })?;
            serde_json::to_string(&methods)
                .map_err(|e| Error::internal(format!("could not encode the method list: {e}")))
        })
    }
}

/// Raw mode of `tb_rpc_call`: sends `request_len` bytes at `request` (the
/// request message, protobuf-encoded; may be NULL when `request_len` is 0)
/// to `method` (e.g. `"DescribeTaskQueue"`) of `service` (`"workflow"`,
/// `"operator"`, `"cloud"`, `"test"`, `"health"`), and gives back the
/// response message's bytes as they came. The bytes must decode as the
/// method's request (unknown fields are kept and sent). `options_json` (may
/// be NULL) is `{"headers"?: {"name": "value"}, "call_timeout"?,
/// "rpc_timeout"?}`: this call's metadata over the client's, its overall
/// deadline and the timeout of each attempt. Read-only methods are retried
/// like every call, methods whose request carries a `request_id` only when
/// it is set, the rest never. `cancel` (may be NULL) abandons the call.
/// Blocks until the call ends.
///
/// On success writes the response to `*response_out` (required; free it with
/// `tb_bytes_free`). On failure writes the JSON error object to `*error_out`
/// (free with `tb_string_free`; NULL to discard) and leaves `*response_out`
/// untouched.
#[no_mangle]
pub unsafe extern "C" fn tb_rpc_call_bytes(
    client: *const TbClient,
    service: *const c_char,
    method: *const c_char,
    request: *const u8,
    request_len: usize,
    options_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut TbBytes,
    error_out: *mut *mut c_char,
) -> TbStatus {
    let result = guard("tb_rpc_call_bytes", || {
        // SAFETY (all reads): pointers are NULL or valid, per the header.
        let client = unsafe { borrow(client, "client") }?.client.clone();
        let service = unsafe { str_argument(service, "service") }?.to_owned();
        let method = unsafe { str_argument(method, "method") }?.to_owned();
        let request = if request_len == 0 {
            Bytes::new()
        } else if request.is_null() {
            return Err(Error::invalid_argument(format!(
                "request is NULL but request_len is {request_len}"
            ))
            .with_detail("argument", "request"));
        } else {
            // SAFETY: `request_len` readable bytes at `request`, per the header.
            Bytes::copy_from_slice(unsafe { std::slice::from_raw_parts(request, request_len) })
        };
        let options = if options_json.is_null() {
            serde_json::Value::Null
        } else {
            let text = unsafe { str_argument(options_json, "options_json") }?;
            serde_json::Value::Object(parse_strict(text, "options_json")?)
        };
        if response_out.is_null() {
            return Err(Error::invalid_argument("response_out is NULL")
                .with_detail("argument", "response_out"));
        }
        let call = CallOptions {
            cancel: unsafe { borrow_optional(cancel) }.map(|t| t.token.clone()),
            ..CallOptions::default()
        };
        runtime::block_on(async move {
            client
                .call_rpc_bytes_with(&service, &method, request, options, &call)
                .await
        })?
    });
    match result {
        Ok(reply) => {
            let boxed: Box<[u8]> = Vec::from(reply).into_boxed_slice();
            let len = boxed.len();
            let data = if len == 0 {
                std::ptr::null_mut()
            } else {
                Box::into_raw(boxed).cast::<u8>()
            };
            // SAFETY: checked non-NULL above, valid per the header.
            unsafe { response_out.write(TbBytes { data, len }) };
            TbStatus::Ok
        }
        // SAFETY: the caller's contract.
        Err(error) => unsafe { report_error(&error, error_out) },
    }
}

/// Frees bytes returned by this library (`tb_rpc_call_bytes`). A NULL
/// `data` is ignored; never free the same bytes twice.
#[no_mangle]
pub unsafe extern "C" fn tb_bytes_free(bytes: TbBytes) {
    guard_void(|| {
        if !bytes.data.is_null() {
            // SAFETY: `data`/`len` came from `tb_rpc_call_bytes` and were not
            // freed yet, per the header.
            drop(unsafe {
                Box::from_raw(std::ptr::slice_from_raw_parts_mut(bytes.data, bytes.len))
            });
        }
    });
}
