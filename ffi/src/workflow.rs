//! Named shorthands for the workflow operations (start, result, cancel,
//! terminate, describe, signal, query, update, history, list, count): one
//! blocking and one `_async` function each, forwarding to the generic call
//! with the operation's name. Nothing else happens here.

use crate::cancel::TbCancelToken;
use crate::client::{TbCallCallback, TbClient};
use crate::operations::{run_async, run_blocking, Named};
use crate::status::TbStatus;
use std::ffi::{c_char, c_void};

const WORKFLOW_START: Named = Named::new("start_workflow", "tb_workflow_start");

const WORKFLOW_GET_RESULT: Named = Named::new("get_workflow_result", "tb_workflow_get_result");

const WORKFLOW_CANCEL: Named = Named::new("cancel_workflow", "tb_workflow_cancel");

const WORKFLOW_TERMINATE: Named = Named::new("terminate_workflow", "tb_workflow_terminate");

const WORKFLOW_DESCRIBE: Named = Named::new("describe_workflow", "tb_workflow_describe");

const WORKFLOW_SIGNAL: Named = Named::new("signal_workflow", "tb_workflow_signal");

const WORKFLOW_QUERY: Named = Named::new("query_workflow", "tb_workflow_query");

const WORKFLOW_EXECUTE_UPDATE: Named = Named::new("execute_update", "tb_workflow_execute_update");

const WORKFLOW_GET_UPDATE_RESULT: Named =
    Named::new("get_update_result", "tb_workflow_get_update_result");

const WORKFLOW_FETCH_HISTORY: Named = Named::new("fetch_history", "tb_workflow_fetch_history");

const WORKFLOWS_LIST: Named = Named::new("list_workflows", "tb_workflows_list");

const WORKFLOWS_COUNT: Named = Named::new("count_workflows", "tb_workflows_count");

/// Starts a workflow by its type name (`start_workflow`). Request:
/// `{"workflow_type", "task_queue", "workflow_id"?, "args"?: [JSON values],
/// "execution_timeout"?, "run_timeout"?, "task_timeout"?, "id_reuse_policy"?,
/// "id_conflict_policy"?, "retry_policy"?, "memo"?, "search_attributes"?,
/// "start_delay"?, "cron_schedule"?, "request_id"?, "raw_args"?,
/// "start_signal"?, "start_signal_args"?: [JSON values]}`. With
/// `start_signal` it is signal-with-start: the workflow is started unless it
/// runs already, and the signal is sent to it either way.
/// Response: `{"workflow_id", "run_id", "started"}` (`started` is false when
/// signal-with-start found the workflow running). Errors include
/// `TB_STATUS_ALREADY_STARTED`.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_start(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            WORKFLOW_START,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_workflow_start`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_start_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            WORKFLOW_START,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Waits for a workflow's outcome (`get_workflow_result`), from any process,
/// knowing only its ID. Request: `{"workflow_id", "run_id"?, "follow_runs"?
/// (default true), "raw"?}`. Response: `{"workflow_id", "run_id", "result"}`
/// (`"payloads"` instead of `"result"` in raw mode). A workflow that did not
/// complete gives `TB_STATUS_WORKFLOW_FAILED`, `_CANCELED`, `_TERMINATED`,
/// `_TIMED_OUT` or `_CONTINUED_AS_NEW`, with the details in the JSON error.
/// Waits as long as the workflow runs unless `call_timeout` or `cancel` ends
/// the wait; abandoning the wait never affects the workflow.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_get_result(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            WORKFLOW_GET_RESULT,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_workflow_get_result`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_get_result_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            WORKFLOW_GET_RESULT,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Requests cancellation of a workflow execution (`cancel_workflow`); the
/// workflow decides how to react, and `tb_workflow_get_result` then reports
/// how it ended (typically `TB_STATUS_WORKFLOW_CANCELED`). Request:
/// `{"workflow_id", "run_id"?, "first_execution_run_id"?, "reason"?,
/// "request_id"?}`. Response: `{}`. (To abandon a *call* instead, use a
/// cancel token.)
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_cancel(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            WORKFLOW_CANCEL,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_workflow_cancel`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_cancel_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            WORKFLOW_CANCEL,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Terminates a workflow execution at once, without running its cleanup
/// (`terminate_workflow`). Request: `{"workflow_id", "run_id"?,
/// "first_execution_run_id"?, "reason"?, "details"?: [JSON values]}`.
/// Response: `{}`.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_terminate(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            WORKFLOW_TERMINATE,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_workflow_terminate`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_terminate_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            WORKFLOW_TERMINATE,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Describes a workflow execution (`describe_workflow`). Request:
/// `{"workflow_id", "run_id"?, "raw"?}`. Response: `{"workflow_id",
/// "run_id", "workflow_type", "status"` (e.g. `"running"`, `"completed"`,
/// `"canceled"`), `"task_queue", "start_time", "pending_activities", ...}`.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_describe(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            WORKFLOW_DESCRIBE,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_workflow_describe`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_describe_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            WORKFLOW_DESCRIBE,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Sends a signal to a workflow (`signal_workflow`). Request:
/// `{"workflow_id", "run_id"?, "signal_name", "args"?: [JSON values],
/// "raw_args"?, "request_id"?}`. Response: `{}`.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_signal(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            WORKFLOW_SIGNAL,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_workflow_signal`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_signal_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            WORKFLOW_SIGNAL,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Queries a workflow (`query_workflow`). Request: `{"workflow_id",
/// "run_id"?, "query_type", "args"?: [JSON values], "raw_args"?,
/// "reject_condition"?, "raw"?}`. Response: `{"result"}` (`"payloads"` in
/// raw mode). Errors include `TB_STATUS_QUERY_FAILED` and
/// `TB_STATUS_QUERY_REJECTED`.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_query(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            WORKFLOW_QUERY,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_workflow_query`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_query_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            WORKFLOW_QUERY,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Sends an update to a workflow and waits for it (`execute_update`).
/// Request: `{"workflow_id", "run_id"?, "first_execution_run_id"?,
/// "update_name", "args"?: [JSON values], "raw_args"?, "update_id"?,
/// "wait_for_stage"? ("accepted" or "completed", the default), "raw"?}`.
/// Response: `{"update_id", "run_id", "result"}`. Errors include
/// `TB_STATUS_UPDATE_FAILED`.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_execute_update(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            WORKFLOW_EXECUTE_UPDATE,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_workflow_execute_update`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_execute_update_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            WORKFLOW_EXECUTE_UPDATE,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Waits for the outcome of an update sent earlier (`get_update_result`).
/// Request: `{"workflow_id", "run_id"?, "update_id", "raw"?}`. Response as
/// `tb_workflow_execute_update`.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_get_update_result(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            WORKFLOW_GET_UPDATE_RESULT,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_workflow_get_update_result`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_get_update_result_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            WORKFLOW_GET_UPDATE_RESULT,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Fetches a workflow run's event history (`fetch_history`). Request:
/// `{"workflow_id", "run_id"?, "wait_for_close"?}`. Response: the history as
/// JSON.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_fetch_history(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            WORKFLOW_FETCH_HISTORY,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_workflow_fetch_history`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_fetch_history_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            WORKFLOW_FETCH_HISTORY,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Lists workflow executions matching a visibility query, one page at a
/// time (`list_workflows`). Request: `{"query"?, "page_size"?,
/// "next_page_token"?, "raw"?}`. Response: `{"executions": [...],
/// "next_page_token"}` (null on the last page).
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflows_list(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            WORKFLOWS_LIST,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_workflows_list`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflows_list_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            WORKFLOWS_LIST,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Counts workflow executions matching a visibility query
/// (`count_workflows`). Request: `{"query"?}`. Response: `{"count",
/// "groups"}`.
/// Arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflows_count(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            WORKFLOWS_COUNT,
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_workflows_count`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflows_count_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            WORKFLOWS_COUNT,
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}
