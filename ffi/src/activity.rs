//! Named shorthands for completing activities from outside their worker
//! (asynchronous activity completion): one blocking and one `_async`
//! function each, forwarding to the generic call with the operation's name.

use crate::cancel::TbCancelToken;
use crate::client::{TbCallCallback, TbClient};
use crate::operations::{run_async, run_blocking, Named};
use crate::status::TbStatus;
use std::ffi::{c_char, c_void};

const ACTIVITY_COMPLETE: Named = Named::new("complete_activity", "tb_activity_complete");

const ACTIVITY_FAIL: Named = Named::new("fail_activity", "tb_activity_fail");

const ACTIVITY_REPORT_CANCELLATION: Named = Named::new(
    "report_activity_cancellation",
    "tb_activity_report_cancellation",
);

const ACTIVITY_HEARTBEAT: Named = Named::new("heartbeat_activity", "tb_activity_heartbeat");

/// Completes an activity from outside its worker (`complete_activity`).
/// Request: `{"task_token"}` (base64) or `{"workflow_id", "run_id"?,
/// "activity_id"}`, plus `"result"?` (a JSON value) or `"raw_result"?`.
/// Response: `{}`.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_complete(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            ACTIVITY_COMPLETE,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_activity_complete`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_complete_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            ACTIVITY_COMPLETE,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Fails an activity from outside its worker (`fail_activity`). Request:
/// the activity as for `tb_activity_complete`, plus `"failure"` and
/// `"last_heartbeat_details"?: [JSON values]`. Response: `{}`.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_fail(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            ACTIVITY_FAIL,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_activity_fail`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_fail_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            ACTIVITY_FAIL,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Reports an activity as cancelled, from outside its worker
/// (`report_activity_cancellation`). Request: the activity as for
/// `tb_activity_complete`, plus `"details"?: [JSON values]`. Response: `{}`.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_report_cancellation(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            ACTIVITY_REPORT_CANCELLATION,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_activity_report_cancellation`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_report_cancellation_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            ACTIVITY_REPORT_CANCELLATION,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Records a heartbeat for an activity, from outside its worker
/// (`heartbeat_activity`). Request: the activity as for
/// `tb_activity_complete`, plus `"details"?: [JSON values]`. Response:
/// `{"cancel_requested", "activity_paused", "activity_reset"}`.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_heartbeat(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            ACTIVITY_HEARTBEAT,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_activity_heartbeat`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_heartbeat_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            ACTIVITY_HEARTBEAT,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}
