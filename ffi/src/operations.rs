//! What the named per-operation functions (`tb_workflow_start`, ...) share:
//! each is a core operation name bound to the generic blocking or async call.
//! They are generated into `shorthands.rs` from the core's operation table
//! (cbindgen does not expand macros; `tests/header.rs` keeps the file fresh).

use crate::boundary::run_text;
use crate::call::start_async;
use crate::call::CallInputs;
use crate::cancel::TbCancelToken;
use crate::client::{TbCallCallback, TbClient};
use crate::status::TbStatus;
use std::ffi::{c_char, c_void};

/// A core operation and the C function that is its shorthand.
#[derive(Clone, Copy)]
pub(crate) struct Named {
    operation: &'static str,
    function: &'static str,
}

impl Named {
    pub(crate) const fn new(operation: &'static str, function: &'static str) -> Named {
        Named {
            operation,
            function,
        }
    }
}

/// The blocking form: `tb_client_call` with the operation's name.
///
/// # Safety
/// As for `tb_client_call`.
pub(crate) unsafe fn run_blocking(
    named: Named,
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): the caller's contract.
    unsafe {
        run_text(named.function, response_out, error_out, || {
            CallInputs::read(client, named.operation, request_json, cancel)?.run_blocking()
        })
    }
}

/// The async form: `tb_client_call_async` with the operation's name.
///
/// # Safety
/// As for `tb_client_call_async`.
pub(crate) unsafe fn run_async(
    named: Named,
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the caller's contract.
    unsafe {
        start_async(
            named.function,
            client,
            Ok(named.operation),
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}
