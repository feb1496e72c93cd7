//! The named C functions of the operations: one blocking and one `_async`
//! function per row of the core's operation table, forwarding to the
//! generic call with the operation's name.
//!
//! GENERATED from `temporal_bridge_core::OPERATION_TABLE` by
//! `TB_UPDATE_HEADER=1 cargo test -p temporal-bridge-ffi --test header`;
//! do not edit (the same test fails when this file is stale).

use crate::cancel::TbCancelToken;
use crate::client::{TbCallCallback, TbClient};
use crate::operations::{run_async, run_blocking, Named};
use crate::status::TbStatus;
use std::ffi::{c_char, c_void};

/// Starts a workflow by its type name. Request: `{"workflow_type",
/// "task_queue", "workflow_id"?, "args"?: [JSON values],
/// "execution_timeout"?, "run_timeout"?, "task_timeout"?,
/// "id_reuse_policy"?, "id_conflict_policy"?, "retry_policy"?, "memo"?,
/// "search_attributes"?, "start_delay"?, "cron_schedule"?, "request_id"?,
/// "raw_args"?, "start_signal"?, "start_signal_args"?: [JSON values],
/// "header"?, "trace_context"?}`.
/// With `start_signal` it is signal-with-start: the workflow is started
/// unless it runs already, and the signal is sent to it either way.
/// `header` (JSON values) and `trace_context` (`{"traceparent",
/// "tracestate"?, "baggage"?}`, written as the `_tracer-data` header the
/// SDKs' OpenTelemetry interceptors read) reach the worker's
/// interceptors; signal, query and update take them too.
/// Response: `{"workflow_id", "run_id", "started",
/// "first_execution_run_id"}` (`started` is false when `use_existing` or
/// signal-with-start found the workflow running; `first_execution_run_id`
/// is the guard a handle carries for cancel, terminate and updates: the
/// started run, or null when nothing was started). Errors include
/// `already_started`.
///
/// Runs the `start_workflow` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("start_workflow", "tb_workflow_start"),
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
            Named::new("start_workflow", "tb_workflow_start"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Waits for a workflow's outcome, from any process, knowing only its
/// ID. Request: `{"workflow_id", "run_id"?, "follow_runs"? (default
/// true), "raw"?, "decode"?}`. Response: `{"workflow_id", "run_id",
/// "result"}` (`"payloads"` instead of `"result"` in raw mode: as stored,
/// or through the client's payload codec with `"decode": true`). A workflow that did
/// not complete gives `workflow_failed`, `workflow_canceled`,
/// `workflow_terminated`, `workflow_timed_out` or
/// `workflow_continued_as_new`, with the details in the error. Waits as
/// long as the workflow runs unless `call_timeout` or a cancel token ends
/// the wait; abandoning the wait never affects the workflow.
///
/// Runs the `get_workflow_result` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("get_workflow_result", "tb_workflow_get_result"),
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
            Named::new("get_workflow_result", "tb_workflow_get_result"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Requests cancellation of a workflow execution; the workflow decides
/// how to react, and `get_workflow_result` then reports how it ended
/// (typically `workflow_canceled`). Request: `{"workflow_id", "run_id"?,
/// "first_execution_run_id"?, "reason"?, "request_id"?}`. Response: `{}`.
/// (To abandon a *call* instead, use a cancel token.)
///
/// Runs the `cancel_workflow` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("cancel_workflow", "tb_workflow_cancel"),
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
            Named::new("cancel_workflow", "tb_workflow_cancel"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Terminates a workflow execution at once, without running its
/// cleanup. Request: `{"workflow_id", "run_id"?,
/// "first_execution_run_id"?, "reason"?, "details"?: [JSON values]}`.
/// Response: `{}`.
///
/// Runs the `terminate_workflow` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("terminate_workflow", "tb_workflow_terminate"),
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
            Named::new("terminate_workflow", "tb_workflow_terminate"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Describes a workflow execution. Request: `{"workflow_id", "run_id"?,
/// "raw"?, "decode"?}`. Response: `{"workflow_id", "run_id", "workflow_type",
/// "status"` (e.g. `"running"`, `"completed"`, `"canceled"`),
/// `"task_queue", "start_time", "pending_activities", ...}`.
///
/// Runs the `describe_workflow` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("describe_workflow", "tb_workflow_describe"),
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
            Named::new("describe_workflow", "tb_workflow_describe"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Resets a workflow: its run is terminated and a new run continues from
/// a completed workflow task of its history, running the workflow's
/// code again from there. Request: `{"workflow_id", "run_id"?,
/// "reset_type"? ("last_workflow_task", the default, or
/// "first_workflow_task") or "event_id"?, "reason"?, "request_id"?,
/// "reapply_signals"? (default true)}`. Response: `{"workflow_id",
/// "run_id"` (the new run), `"event_id"}` (the reset point).
///
/// Runs the `reset_workflow` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_reset(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("reset_workflow", "tb_workflow_reset"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_workflow_reset`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_workflow_reset_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("reset_workflow", "tb_workflow_reset"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Sends a signal to a workflow. Request: `{"workflow_id", "run_id"?,
/// "signal_name", "args"?: [JSON values], "raw_args"?, "request_id"?,
/// "header"?, "trace_context"?}`.
/// Response: `{}`.
///
/// Runs the `signal_workflow` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("signal_workflow", "tb_workflow_signal"),
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
            Named::new("signal_workflow", "tb_workflow_signal"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Queries a workflow. Request: `{"workflow_id", "run_id"?,
/// "query_type", "args"?: [JSON values], "raw_args"?,
/// "reject_condition"?, "raw"?, "decode"?, "header"?, "trace_context"?}`.
/// Response: `{"result"}`
/// (`"payloads"` in raw mode, as stored unless `"decode": true`). Errors
/// include `query_failed` and `query_rejected`.
///
/// Runs the `query_workflow` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("query_workflow", "tb_workflow_query"),
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
            Named::new("query_workflow", "tb_workflow_query"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Sends an update to a workflow and waits for it. Request:
/// `{"workflow_id", "run_id"?, "first_execution_run_id"?, "update_name",
/// "args"?: [JSON values], "raw_args"?, "update_id"?, "wait_for_stage"?
/// ("accepted" or "completed", the default), "raw"?, "decode"?, "header"?,
/// "trace_context"?}`. Response:
/// `{"update_id", "run_id", "result"}`. Errors include `update_failed`.
///
/// Runs the `execute_update` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("execute_update", "tb_workflow_execute_update"),
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
            Named::new("execute_update", "tb_workflow_execute_update"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Waits for the outcome of an update sent earlier. Request:
/// `{"workflow_id", "run_id"?, "update_id", "raw"?, "decode"?}`. Response as
/// `execute_update`.
///
/// Runs the `get_update_result` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("get_update_result", "tb_workflow_get_update_result"),
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
            Named::new("get_update_result", "tb_workflow_get_update_result"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Fetches a workflow run's event history. Request: `{"workflow_id",
/// "run_id"?, "wait_for_close"?, "decode"?}`. Response: the history as
/// proto-JSON (`{"events": [...]}`), as `temporal workflow show --output
/// json` prints it. Payloads are as stored; with `"decode": true` they
/// go through the client's payload codec first.
///
/// Runs the `fetch_history` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("fetch_history", "tb_workflow_fetch_history"),
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
            Named::new("fetch_history", "tb_workflow_fetch_history"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Lists workflow executions matching a visibility query, one page at a
/// time. Request: `{"query"?, "page_size"?, "next_page_token"?, "raw"?,
/// "decode"?}`.
/// Response: `{"executions": [...], "next_page_token"}` (null on the
/// last page).
///
/// Runs the `list_workflows` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("list_workflows", "tb_workflows_list"),
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
            Named::new("list_workflows", "tb_workflows_list"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Counts workflow executions matching a visibility query. Request:
/// `{"query"?}`. Response: `{"count", "groups"}`.
///
/// Runs the `count_workflows` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("count_workflows", "tb_workflows_count"),
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
            Named::new("count_workflows", "tb_workflows_count"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Completes an activity from outside its worker. Request:
/// `{"task_token"}` (base64) or `{"workflow_id", "run_id"?,
/// "activity_id"}`, plus `"result"?` (a JSON value) or `"raw_result"?`.
/// Response: `{}`.
///
/// Runs the `complete_activity` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("complete_activity", "tb_activity_complete"),
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
            Named::new("complete_activity", "tb_activity_complete"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Fails an activity from outside its worker. Request: the activity as
/// for `complete_activity`, plus `"failure"` and
/// `"last_heartbeat_details"?: [JSON values]`. Response: `{}`.
///
/// Runs the `fail_activity` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("fail_activity", "tb_activity_fail"),
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
            Named::new("fail_activity", "tb_activity_fail"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Reports an activity as cancelled, from outside its worker. Request:
/// the activity as for `complete_activity`, plus `"details"?: [JSON
/// values]`. Response: `{}`.
///
/// Runs the `report_activity_cancellation` operation; arguments and outputs as `tb_client_call`.
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
            Named::new(
                "report_activity_cancellation",
                "tb_activity_report_cancellation",
            ),
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
            Named::new(
                "report_activity_cancellation",
                "tb_activity_report_cancellation",
            ),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Records a heartbeat for an activity, from outside its worker.
/// Request: the activity as for `complete_activity`, plus `"details"?:
/// [JSON values]`. Response: `{"cancel_requested", "activity_paused",
/// "activity_reset"}`.
///
/// Runs the `heartbeat_activity` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("heartbeat_activity", "tb_activity_heartbeat"),
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
            Named::new("heartbeat_activity", "tb_activity_heartbeat"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Starts a batch job that cancels every workflow matching a visibility
/// query. Request: `{"query", "reason", "job_id"?}`. Response:
/// `{"job_id"}`; follow the job with `wait_batch_operation`.
///
/// Runs the `batch_cancel_workflows` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("batch_cancel_workflows", "tb_batch_cancel_workflows"),
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
            Named::new("batch_cancel_workflows", "tb_batch_cancel_workflows"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Starts a batch job that terminates every workflow matching a
/// visibility query. Request as `batch_cancel_workflows`. Response:
/// `{"job_id"}`.
///
/// Runs the `batch_terminate_workflows` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("batch_terminate_workflows", "tb_batch_terminate_workflows"),
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
            Named::new("batch_terminate_workflows", "tb_batch_terminate_workflows"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Waits for a batch job to finish. Request: `{"job_id"}`. Response:
/// `{"job_id", "state", "operation_type", "total_operation_count",
/// "complete_operation_count", "failure_operation_count", "start_time",
/// "close_time", "reason", "query"}`.
///
/// Runs the `wait_batch_operation` operation; arguments and outputs as `tb_client_call`.
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
            Named::new("wait_batch_operation", "tb_batch_wait"),
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
            Named::new("wait_batch_operation", "tb_batch_wait"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Calls any unary method of the Temporal API by name. Request:
/// `{"service": "workflow" | "operator" | "cloud" | "test" | "health",
/// "method": "DescribeTaskQueue", "request"?: {message in the protobuf
/// JSON mapping}, "request_bytes"?: "base64 of the protobuf message",
/// "headers"?: {"name": "value"}}` (`request` or `request_bytes`, not
/// both; `headers` are this call's metadata over the client's).
/// Response: `{"response": {...}}`, or `{"response_bytes": "base64"}`
/// for `request_bytes`. Read-only methods are retried like every call,
/// and methods whose request has a `request_id` (generated when absent)
/// too; the rest are never repeated. An unknown method names the
/// closest ones; a bad field names its path (`field`); errors carry the
/// server's `google.rpc.Status` details as JSON (`grpc_details`). A
/// payload codec encodes the request's payloads; the response's are as
/// stored unless `"decode": true`; `request_bytes` are never touched.
///
/// Runs the `call_rpc` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_rpc_call(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("call_rpc", "tb_rpc_call"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_rpc_call`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_rpc_call_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("call_rpc", "tb_rpc_call"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Creates a schedule. Request: `{"schedule_id", "schedule": {the
/// protobuf JSON mapping of temporal.api.schedule.v1.Schedule: "spec",
/// "action": {"start_workflow": {"workflow_id", "workflow_type":
/// {"name"}, "task_queue": {"name"}, "args"?: [JSON values], "memo"?:
/// {..}, "search_attributes"?: {..}, ...}}, "policies", "state"},
/// "trigger_immediately"?, "backfill"?: [{"start_at", "end_at",
/// "overlap"?}], "memo"?, "search_attributes"?, "request_id"?}`.
/// Response: `{"schedule_id", "conflict_token"}`.
///
/// Runs the `create_schedule` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_schedule_create(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("create_schedule", "tb_schedule_create"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_schedule_create`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_schedule_create_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("create_schedule", "tb_schedule_create"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Describes a schedule. Request: `{"schedule_id"}`. Response:
/// `{"schedule_id", "schedule" (as create takes it, `args` decoded),
/// "info" (action counts, recent and running actions, future action
/// times), "memo", "search_attributes", "conflict_token"}`.
///
/// Runs the `describe_schedule` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_schedule_describe(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("describe_schedule", "tb_schedule_describe"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_schedule_describe`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_schedule_describe_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("describe_schedule", "tb_schedule_describe"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Replaces a schedule. Request: `{"schedule_id", "schedule",
/// "conflict_token"? (from describe: refused if the schedule changed
/// since), "search_attributes"?, "request_id"?}`. Response: `{}`.
///
/// Runs the `update_schedule` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_schedule_update(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("update_schedule", "tb_schedule_update"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_schedule_update`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_schedule_update_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("update_schedule", "tb_schedule_update"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Pauses, unpauses, triggers or backfills a schedule. Request:
/// `{"schedule_id", "pause"?: note, "unpause"?: note,
/// "trigger_immediately"?, "overlap"?, "backfill"?: [{"start_at",
/// "end_at", "overlap"?}], "request_id"?}`. Response: `{}`.
///
/// Runs the `patch_schedule` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_schedule_patch(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("patch_schedule", "tb_schedule_patch"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_schedule_patch`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_schedule_patch_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("patch_schedule", "tb_schedule_patch"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Deletes a schedule (workflows it started keep running). Request:
/// `{"schedule_id"}`. Response: `{}`.
///
/// Runs the `delete_schedule` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_schedule_delete(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("delete_schedule", "tb_schedule_delete"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_schedule_delete`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_schedule_delete_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("delete_schedule", "tb_schedule_delete"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// One page of schedules. Request: `{"query"?, "page_size"?,
/// "next_page_token"?}`. Response: `{"schedules": [{"schedule_id",
/// "info", "memo", "search_attributes"}], "next_page_token"?}`.
///
/// Runs the `list_schedules` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_schedules_list(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("list_schedules", "tb_schedules_list"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_schedules_list`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_schedules_list_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("list_schedules", "tb_schedules_list"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Describes a task queue: its pollers (are workers listening?).
/// Request: the `DescribeTaskQueueRequest` in the protobuf JSON mapping,
/// e.g. `{"taskQueue": {"name"}, "taskQueueType":
/// "TASK_QUEUE_TYPE_ACTIVITY"}` (namespace: the client's). Response: the
/// `DescribeTaskQueueResponse` (`pollers`, ...).
///
/// Runs the `describe_task_queue` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_task_queue_describe(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("describe_task_queue", "tb_task_queue_describe"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_task_queue_describe`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_task_queue_describe_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("describe_task_queue", "tb_task_queue_describe"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Registers a namespace. Request: the `RegisterNamespaceRequest` in the
/// protobuf JSON mapping (`{"namespace", "workflowExecutionRetentionPeriod":
/// "72h", "description"?}`; durations as every request takes them, or
/// as the mapping writes them, `"259200s"`). Response: `{}`.
///
/// Runs the `register_namespace` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_namespace_register(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("register_namespace", "tb_namespace_register"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_namespace_register`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_namespace_register_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("register_namespace", "tb_namespace_register"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Describes a namespace. Request: `{"namespace"?}` (the client's when
/// absent). Response: the `DescribeNamespaceResponse` (`namespaceInfo`,
/// `config`, ...) in the protobuf JSON mapping.
///
/// Runs the `describe_namespace` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_namespace_describe(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("describe_namespace", "tb_namespace_describe"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_namespace_describe`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_namespace_describe_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("describe_namespace", "tb_namespace_describe"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// One page of namespaces. Request: `{"pageSize"?, "nextPageToken"?}`.
/// Response: `{"namespaces": [...], "nextPageToken"?}`.
///
/// Runs the `list_namespaces` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_namespaces_list(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("list_namespaces", "tb_namespaces_list"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_namespaces_list`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_namespaces_list_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("list_namespaces", "tb_namespaces_list"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Updates a namespace. Request: the `UpdateNamespaceRequest` in the
/// protobuf JSON mapping (`{"namespace"?, "updateInfo"?, "config"?}`).
/// Response: the `UpdateNamespaceResponse`.
///
/// Runs the `update_namespace` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_namespace_update(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("update_namespace", "tb_namespace_update"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_namespace_update`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_namespace_update_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("update_namespace", "tb_namespace_update"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Registers custom search attributes. Request: `{"searchAttributes":
/// {"Name": "INDEXED_VALUE_TYPE_KEYWORD"}}` (namespace: the client's).
/// Response: `{}`.
///
/// Runs the `add_search_attributes` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_search_attributes_add(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("add_search_attributes", "tb_search_attributes_add"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_search_attributes_add`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_search_attributes_add_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("add_search_attributes", "tb_search_attributes_add"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Lists search attributes. Request: `{}` (namespace: the client's).
/// Response: `{"customAttributes", "systemAttributes", "storageSchema"}`.
///
/// Runs the `list_search_attributes` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_search_attributes_list(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("list_search_attributes", "tb_search_attributes_list"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_search_attributes_list`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_search_attributes_list_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("list_search_attributes", "tb_search_attributes_list"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}

/// Removes custom search attributes. Request: `{"searchAttributes":
/// ["Name"]}` (namespace: the client's). Response: `{}`.
///
/// Runs the `remove_search_attributes` operation; arguments and outputs as `tb_client_call`.
#[no_mangle]
pub unsafe extern "C" fn tb_search_attributes_remove(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    response_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call.
    unsafe {
        run_blocking(
            Named::new("remove_search_attributes", "tb_search_attributes_remove"),
            client,
            request_json,
            cancel,
            response_out,
            error_out,
        )
    }
}

/// Async form of `tb_search_attributes_remove`; callback contract as `tb_client_call_async`.
#[no_mangle]
pub unsafe extern "C" fn tb_search_attributes_remove_async(
    client: *const TbClient,
    request_json: *const c_char,
    cancel: *const TbCancelToken,
    callback: TbCallCallback,
    user_data: *mut c_void,
) -> TbStatus {
    // SAFETY: the header's contract, as for tb_client_call_async.
    unsafe {
        run_async(
            Named::new("remove_search_attributes", "tb_search_attributes_remove"),
            client,
            request_json,
            cancel,
            callback,
            user_data,
        )
    }
}
