//! Named shorthands for batch jobs over the workflows a visibility query
//! selects: one blocking and one `_async` function each, forwarding to the
//! generic call with the operation's name.

use crate::cancel::TbCancelToken;
use crate::client::{TbCallCallback, TbClient};
use crate::operations::{run_async, run_blocking, Named};
use crate::status::TbStatus;
use std::ffi::{c_char, c_void};

const BATCH_CANCEL_WORKFLOWS: Named =
    Named::new("batch_cancel_workflows", "tb_batch_cancel_workflows");

const BATCH_TERMINATE_WORKFLOWS: Named =
    Named::new("batch_terminate_workflows", "tb_batch_terminate_workflows");

const BATCH_WAIT: Named = Named::new("wait_batch_operation", "tb_batch_wait");

/// Starts a batch job that cancels every workflow matching a visibility
/// query (`batch_cancel_workflows`). Request: `{"query", "reason", "job_id"?}`.
/// Response: `{"job_id"}`; follow the job with `tb_batch_wait`.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_batch_cancel_workflows(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            BATCH_CANCEL_WORKFLOWS,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_batch_cancel_workflows`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_batch_cancel_workflows_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            BATCH_CANCEL_WORKFLOWS,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Starts a batch job that terminates every workflow matching a visibility
/// query (`batch_terminate_workflows`). Request as
/// `tb_batch_cancel_workflows`. Response: `{"job_id"}`.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_batch_terminate_workflows(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            BATCH_TERMINATE_WORKFLOWS,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_batch_terminate_workflows`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_batch_terminate_workflows_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            BATCH_TERMINATE_WORKFLOWS,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Waits for a batch job to finish (`wait_batch_operation`). Request:
/// `{"job_id"}`. Response: `{"job_id", "state", "operation_type",
/// "total_operation_count", "complete_operation_count",
/// "failure_operation_count", "start_time", "close_time", "reason",
/// "query"}`.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_batch_wait(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            BATCH_WAIT,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_batch_wait`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_batch_wait_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            BATCH_WAIT,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}
