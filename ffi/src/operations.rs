//! What the named per-operation functions (`tb_workflow_start`, ...) share:
//! each is a core operation name bound to the generic blocking or async call.
//! They are written out in `workflow.rs`, `activity.rs` and `batch.rs`
//! rather than macro-generated, because cbindgen does not expand macros.

use crate::boundary::run_text;
use crate::call::start_async;
use crate::call::CallInputs;
use crate::cancel::TbCancelToken;
use crate::client::{TbCallCallback, TbClient};
use crate::status::TbStatus;
use std::ffi::{c_char, c_void};

/// Each core operation and the C function named after it (its async form adds
/// `_async`). A unit test checks it covers `temporal_bridge_core::OPERATIONS`.
pub const NAMED_OPERATIONS: &[(&str, &str)] = &[
    ("start_workflow", "tb_workflow_start"),
    ("get_workflow_result", "tb_workflow_get_result"),
    ("cancel_workflow", "tb_workflow_cancel"),
    ("terminate_workflow", "tb_workflow_terminate"),
    ("describe_workflow", "tb_workflow_describe"),
    ("signal_workflow", "tb_workflow_signal"),
    ("query_workflow", "tb_workflow_query"),
    ("execute_update", "tb_workflow_execute_update"),
    ("get_update_result", "tb_workflow_get_update_result"),
    ("fetch_history", "tb_workflow_fetch_history"),
    ("list_workflows", "tb_workflows_list"),
    ("count_workflows", "tb_workflows_count"),
    ("complete_activity", "tb_activity_complete"),
    ("fail_activity", "tb_activity_fail"),
    (
        "report_activity_cancellation",
        "tb_activity_report_cancellation",
    ),
    ("heartbeat_activity", "tb_activity_heartbeat"),
    ("batch_cancel_workflows", "tb_batch_cancel_workflows"),
    ("batch_terminate_workflows", "tb_batch_terminate_workflows"),
    ("wait_batch_operation", "tb_batch_wait"),
];

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

#[cfg(test)]
mod tests {
    use super::NAMED_OPERATIONS;
    use std::collections::HashSet;

    #[test]
    fn every_core_operation_has_named_functions() {
        for operation in temporal_bridge_core::OPERATIONS {
            assert!(
                NAMED_OPERATIONS.iter().any(|(name, _)| name == operation),
                "core operation {operation:?} has no named C function: add one to \
                 ffi/src/operations.rs and workflow.rs/activity.rs/batch.rs \
                 (it already works through tb_client_call)"
            );
        }
        for (operation, _) in NAMED_OPERATIONS {
            assert!(
                temporal_bridge_core::OPERATIONS.contains(operation),
                "{operation:?} is not a core operation"
            );
        }
        let functions: HashSet<_> = NAMED_OPERATIONS.iter().map(|(_, f)| f).collect();
        assert_eq!(
            functions.len(),
            NAMED_OPERATIONS.len(),
            "a C name is used twice"
        );
    }
}
