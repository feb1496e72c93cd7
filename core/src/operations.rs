//! The table of operations. Each operation is declared here once — its name
//! in the JSON contract, request and response types, the workflow-service
//! methods it calls, its C function, and its documentation — and everything
//! that lists operations comes from this table: [`Client::call_json`] /
//! [`Client::call_value`] dispatch, [`OPERATIONS`], the contract's JSON
//! Schemas (`schema.rs`), and [`OPERATION_TABLE`], from which the C ABI's
//! named functions are generated (the ffi crate's `shorthands` test writes
//! `ffi/src/shorthands.rs` and fails when it is stale). Adding an operation:
//! its request type (deriving `JsonSchema`, as its response type) and
//! `Client` method, and one entry here.

use crate::activity_completion::{
    CompleteActivityRequest, FailActivityRequest, HeartbeatActivityRequest,
    HeartbeatActivityResponse, ReportActivityCancellationRequest,
};
use crate::batch::{
    BatchOperationResponse, BatchStartedResponse, BatchWorkflowsRequest, WaitBatchOperationRequest,
};
use crate::client::{CallOptions, Client};
use crate::contract::{
    call_options, parse_request_value, parse_text, unknown_operation, AsText, AsValue, Empty,
    Responses,
};
use crate::description::WorkflowDescription;
use crate::error::Result;
use crate::history::{FetchHistoryRequest, HistoryResponse};
use crate::reset::{ResetWorkflowRequest, ResetWorkflowResponse};
use crate::rpc::{CallRpcRequest, CallRpcResponse, ProtoRequest, ProtoResponse};
use crate::schedule::{
    CreateScheduleRequest, CreateScheduleResponse, ListSchedulesRequest, ListSchedulesResponse,
    PatchScheduleRequest, ScheduleDescription, ScheduleIdRequest, UpdateScheduleRequest,
};
use crate::signal_query::{QueryWorkflowRequest, QueryWorkflowResponse, SignalWorkflowRequest};
use crate::transport::method;
use crate::update::{ExecuteUpdateRequest, GetUpdateResultRequest, UpdateResponse};
use crate::visibility::{
    CountWorkflowsRequest, CountWorkflowsResponse, ListWorkflowsRequest, ListWorkflowsResponse,
};
use crate::workflow::{
    CancelWorkflowRequest, DescribeWorkflowRequest, GetResultRequest, StartWorkflowRequest,
    StartWorkflowResponse, TerminateWorkflowRequest, WorkflowResult,
};
use serde_json::Value;

/// One operation of the JSON contract, described.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// Its name in the contract (`"start_workflow"`).
    pub name: &'static str,
    /// The C function that runs it (`"tb_workflow_start"`); `_async` is
    /// appended for the callback form.
    pub c_function: &'static str,
    /// What it does, its request and its response (Markdown).
    pub doc: &'static str,
    /// The Rust request type's name.
    pub request_type: &'static str,
    /// The Rust response type's name (`Empty` answers `{}`).
    pub response_type: &'static str,
    /// The gRPC methods it may call, as paths.
    pub rpc_methods: &'static [&'static str],
}

macro_rules! operations {
    ($(
        $(#[doc = $doc:literal])+
        $name:ident($request:ident) -> $response:ident,
            c: $c_function:literal,
            rpc: [$($rpc:ident),+ $(,)?];
    )*) => {
        /// Every operation name the JSON contract accepts, in table order.
        pub const OPERATIONS: &[&str] = &[$(stringify!($name)),*];

        /// Every operation, described (see [`Operation`]).
        pub const OPERATION_TABLE: &[Operation] = &[$(
            Operation {
                name: stringify!($name),
                c_function: $c_function,
                doc: concat!($($doc, "\n"),+),
                request_type: stringify!($request),
                response_type: stringify!($response),
                rpc_methods: &[$(method::$rpc.path()),+],
            }
        ),*];

        /// Each operation's request and response schemas, in table order:
        /// requests as they are read (`requests` generates for the
        /// deserialize contract), responses as they are written (`responses`,
        /// the serialize contract).
        pub(crate) fn operation_schemas(
            requests: &mut schemars::SchemaGenerator,
            responses: &mut schemars::SchemaGenerator,
        ) -> Vec<(schemars::Schema, schemars::Schema)> {
            vec![$(
                (
                    requests.subschema_for::<$request>(),
                    responses.subschema_for::<$response>(),
                )
            ),*]
        }

        /// Reads `request` as the dispatch reads `operation`'s request,
        /// without running it: the schema tests hold the schema's verdict
        /// against the parser's.
        #[cfg(test)]
        pub(crate) fn parse_operation_request(operation: &str, request: Value) -> Result<()> {
            match operation {
                $(stringify!($name) => {
                    parse_request_value::<$request>(operation, request).map(|_| ())
                })*
                other => Err(unknown_operation(other, OPERATIONS)),
            }
        }

        impl Client {
            async fn dispatch<R: Responses>(
                &self,
                operation: &str,
                request: Value,
                base: &CallOptions,
            ) -> Result<R::Out> {
                // Each operation's future is boxed, so this one stays small
                // (rather than as large as the largest of them).
                match operation {
                    $(stringify!($name) => {
                        let (request, fields) =
                            parse_request_value::<$request>(operation, request)?;
                        let call = call_options(base, fields);
                        let response: $response =
                            Box::pin(self.$name(&request, &call)).await?.into();
                        R::encode(&response)
                    })*
                    other => Err(unknown_operation(other, OPERATIONS)),
                }
            }
        }
    };
}

operations! {
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
    start_workflow(StartWorkflowRequest) -> StartWorkflowResponse,
        c: "tb_workflow_start",
        rpc: [start_workflow_execution, signal_with_start_workflow_execution];

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
    get_workflow_result(GetResultRequest) -> WorkflowResult,
        c: "tb_workflow_get_result",
        rpc: [get_workflow_execution_history];

    /// Requests cancellation of a workflow execution; the workflow decides
    /// how to react, and `get_workflow_result` then reports how it ended
    /// (typically `workflow_canceled`). Request: `{"workflow_id", "run_id"?,
    /// "first_execution_run_id"?, "reason"?, "request_id"?}`. Response: `{}`.
    /// (To abandon a *call* instead, use a cancel token.)
    cancel_workflow(CancelWorkflowRequest) -> Empty,
        c: "tb_workflow_cancel",
        rpc: [request_cancel_workflow_execution];

    /// Terminates a workflow execution at once, without running its
    /// cleanup. Request: `{"workflow_id", "run_id"?,
    /// "first_execution_run_id"?, "reason"?, "details"?: [JSON values]}`.
    /// Response: `{}`.
    terminate_workflow(TerminateWorkflowRequest) -> Empty,
        c: "tb_workflow_terminate",
        rpc: [terminate_workflow_execution];

    /// Describes a workflow execution. Request: `{"workflow_id", "run_id"?,
    /// "raw"?, "decode"?}`. Response: `{"workflow_id", "run_id", "workflow_type",
    /// "status"` (e.g. `"running"`, `"completed"`, `"canceled"`),
    /// `"task_queue", "start_time", "pending_activities", ...}`.
    describe_workflow(DescribeWorkflowRequest) -> WorkflowDescription,
        c: "tb_workflow_describe",
        rpc: [describe_workflow_execution];

    /// Resets a workflow: its run is terminated and a new run continues from
    /// a completed workflow task of its history, running the workflow's
    /// code again from there. Request: `{"workflow_id", "run_id"?,
    /// "reset_type"? ("last_workflow_task", the default, or
    /// "first_workflow_task") or "event_id"?, "reason"?, "request_id"?,
    /// "reapply_signals"? (default true)}`. Response: `{"workflow_id",
    /// "run_id"` (the new run), `"event_id"}` (the reset point).
    reset_workflow(ResetWorkflowRequest) -> ResetWorkflowResponse,
        c: "tb_workflow_reset",
        rpc: [get_workflow_execution_history, reset_workflow_execution];

    /// Sends a signal to a workflow. Request: `{"workflow_id", "run_id"?,
    /// "signal_name", "args"?: [JSON values], "raw_args"?, "request_id"?,
    /// "header"?, "trace_context"?}`.
    /// Response: `{}`.
    signal_workflow(SignalWorkflowRequest) -> Empty,
        c: "tb_workflow_signal",
        rpc: [signal_workflow_execution];

    /// Queries a workflow. Request: `{"workflow_id", "run_id"?,
    /// "query_type", "args"?: [JSON values], "raw_args"?,
    /// "reject_condition"?, "raw"?, "decode"?, "header"?, "trace_context"?}`.
    /// Response: `{"result"}`
    /// (`"payloads"` in raw mode, as stored unless `"decode": true`). Errors
    /// include `query_failed` and `query_rejected`.
    query_workflow(QueryWorkflowRequest) -> QueryWorkflowResponse,
        c: "tb_workflow_query",
        rpc: [query_workflow];

    /// Sends an update to a workflow and waits for it. Request:
    /// `{"workflow_id", "run_id"?, "first_execution_run_id"?, "update_name",
    /// "args"?: [JSON values], "raw_args"?, "update_id"?, "wait_for_stage"?
    /// ("accepted" or "completed", the default), "raw"?, "decode"?, "header"?,
    /// "trace_context"?}`. Response:
    /// `{"update_id", "run_id", "result"}`. Errors include `update_failed`.
    execute_update(ExecuteUpdateRequest) -> UpdateResponse,
        c: "tb_workflow_execute_update",
        rpc: [update_workflow_execution, poll_workflow_execution_update];

    /// Waits for the outcome of an update sent earlier. Request:
    /// `{"workflow_id", "run_id"?, "update_id", "raw"?, "decode"?}`. Response as
    /// `execute_update`.
    get_update_result(GetUpdateResultRequest) -> UpdateResponse,
        c: "tb_workflow_get_update_result",
        rpc: [poll_workflow_execution_update];

    /// Fetches a workflow run's event history. Request: `{"workflow_id",
    /// "run_id"?, "wait_for_close"?, "decode"?}`. Response: the history as
    /// proto-JSON (`{"events": [...]}`), as `temporal workflow show --output
    /// json` prints it. Payloads are as stored; with `"decode": true` they
    /// go through the client's payload codec first.
    fetch_history(FetchHistoryRequest) -> HistoryResponse,
        c: "tb_workflow_fetch_history",
        rpc: [get_workflow_execution_history];

    /// Lists workflow executions matching a visibility query, one page at a
    /// time. Request: `{"query"?, "page_size"?, "next_page_token"?, "raw"?,
    /// "decode"?}`.
    /// Response: `{"executions": [...], "next_page_token"}` (null on the
    /// last page).
    list_workflows(ListWorkflowsRequest) -> ListWorkflowsResponse,
        c: "tb_workflows_list",
        rpc: [list_workflow_executions];

    /// Counts workflow executions matching a visibility query. Request:
    /// `{"query"?}`. Response: `{"count", "groups"}`.
    count_workflows(CountWorkflowsRequest) -> CountWorkflowsResponse,
        c: "tb_workflows_count",
        rpc: [count_workflow_executions];

    /// Completes an activity from outside its worker. Request:
    /// `{"task_token"}` (base64) or `{"workflow_id", "run_id"?,
    /// "activity_id"}`, plus `"result"?` (a JSON value) or `"raw_result"?`.
    /// Response: `{}`.
    complete_activity(CompleteActivityRequest) -> Empty,
        c: "tb_activity_complete",
        rpc: [respond_activity_task_completed, respond_activity_task_completed_by_id];

    /// Fails an activity from outside its worker. Request: the activity as
    /// for `complete_activity`, plus `"failure"` and
    /// `"last_heartbeat_details"?: [JSON values]`. Response: `{}`.
    fail_activity(FailActivityRequest) -> Empty,
        c: "tb_activity_fail",
        rpc: [respond_activity_task_failed, respond_activity_task_failed_by_id];

    /// Reports an activity as cancelled, from outside its worker. Request:
    /// the activity as for `complete_activity`, plus `"details"?: [JSON
    /// values]`. Response: `{}`.
    report_activity_cancellation(ReportActivityCancellationRequest) -> Empty,
        c: "tb_activity_report_cancellation",
        rpc: [respond_activity_task_canceled, respond_activity_task_canceled_by_id];

    /// Records a heartbeat for an activity, from outside its worker.
    /// Request: the activity as for `complete_activity`, plus `"details"?:
    /// [JSON values]`. Response: `{"cancel_requested", "activity_paused",
    /// "activity_reset"}`.
    heartbeat_activity(HeartbeatActivityRequest) -> HeartbeatActivityResponse,
        c: "tb_activity_heartbeat",
        rpc: [record_activity_task_heartbeat, record_activity_task_heartbeat_by_id];

    /// Starts a batch job that cancels every workflow matching a visibility
    /// query. Request: `{"query", "reason", "job_id"?}`. Response:
    /// `{"job_id"}`; follow the job with `wait_batch_operation`.
    batch_cancel_workflows(BatchWorkflowsRequest) -> BatchStartedResponse,
        c: "tb_batch_cancel_workflows",
        rpc: [start_batch_operation];

    /// Starts a batch job that terminates every workflow matching a
    /// visibility query. Request as `batch_cancel_workflows`. Response:
    /// `{"job_id"}`.
    batch_terminate_workflows(BatchWorkflowsRequest) -> BatchStartedResponse,
        c: "tb_batch_terminate_workflows",
        rpc: [start_batch_operation];

    /// Waits for a batch job to finish. Request: `{"job_id"}`. Response:
    /// `{"job_id", "state", "operation_type", "total_operation_count",
    /// "complete_operation_count", "failure_operation_count", "start_time",
    /// "close_time", "reason", "query"}`.
    wait_batch_operation(WaitBatchOperationRequest) -> BatchOperationResponse,
        c: "tb_batch_wait",
        rpc: [describe_batch_operation];

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
    call_rpc(CallRpcRequest) -> CallRpcResponse,
        c: "tb_rpc_call",
        rpc: [any_method];

    /// Creates a schedule. Request: `{"schedule_id", "schedule": {the
    /// protobuf JSON mapping of temporal.api.schedule.v1.Schedule: "spec",
    /// "action": {"start_workflow": {"workflow_id", "workflow_type":
    /// {"name"}, "task_queue": {"name"}, "args"?: [JSON values], "memo"?:
    /// {..}, "search_attributes"?: {..}, ...}}, "policies", "state"},
    /// "trigger_immediately"?, "backfill"?: [{"start_at", "end_at",
    /// "overlap"?}], "memo"?, "search_attributes"?, "request_id"?}`.
    /// Response: `{"schedule_id", "conflict_token"}`.
    create_schedule(CreateScheduleRequest) -> CreateScheduleResponse,
        c: "tb_schedule_create",
        rpc: [create_schedule];

    /// Describes a schedule. Request: `{"schedule_id"}`. Response:
    /// `{"schedule_id", "schedule" (as create takes it, `args` decoded),
    /// "info" (action counts, recent and running actions, future action
    /// times), "memo", "search_attributes", "conflict_token"}`.
    describe_schedule(ScheduleIdRequest) -> ScheduleDescription,
        c: "tb_schedule_describe",
        rpc: [describe_schedule];

    /// Replaces a schedule. Request: `{"schedule_id", "schedule",
    /// "conflict_token"? (from describe: refused if the schedule changed
    /// since), "search_attributes"?, "request_id"?}`. Response: `{}`.
    update_schedule(UpdateScheduleRequest) -> Empty,
        c: "tb_schedule_update",
        rpc: [update_schedule];

    /// Pauses, unpauses, triggers or backfills a schedule. Request:
    /// `{"schedule_id", "pause"?: note, "unpause"?: note,
    /// "trigger_immediately"?, "overlap"?, "backfill"?: [{"start_at",
    /// "end_at", "overlap"?}], "request_id"?}`. Response: `{}`.
    patch_schedule(PatchScheduleRequest) -> Empty,
        c: "tb_schedule_patch",
        rpc: [patch_schedule];

    /// Deletes a schedule (workflows it started keep running). Request:
    /// `{"schedule_id"}`. Response: `{}`.
    delete_schedule(ScheduleIdRequest) -> Empty,
        c: "tb_schedule_delete",
        rpc: [delete_schedule];

    /// One page of schedules. Request: `{"query"?, "page_size"?,
    /// "next_page_token"?}`. Response: `{"schedules": [{"schedule_id",
    /// "info", "memo", "search_attributes"}], "next_page_token"?}`.
    list_schedules(ListSchedulesRequest) -> ListSchedulesResponse,
        c: "tb_schedules_list",
        rpc: [list_schedules];

    /// Describes a task queue: its pollers (are workers listening?).
    /// Request: the `DescribeTaskQueueRequest` in the protobuf JSON mapping,
    /// e.g. `{"taskQueue": {"name"}, "taskQueueType":
    /// "TASK_QUEUE_TYPE_ACTIVITY"}` (namespace: the client's). Response: the
    /// `DescribeTaskQueueResponse` (`pollers`, ...).
    describe_task_queue(ProtoRequest) -> ProtoResponse,
        c: "tb_task_queue_describe",
        rpc: [describe_task_queue];

    /// Registers a namespace. Request: the `RegisterNamespaceRequest` in the
    /// protobuf JSON mapping (`{"namespace", "workflowExecutionRetentionPeriod":
    /// "72h", "description"?}`; durations as every request takes them, or
    /// as the mapping writes them, `"259200s"`). Response: `{}`.
    register_namespace(ProtoRequest) -> ProtoResponse,
        c: "tb_namespace_register",
        rpc: [register_namespace];

    /// Describes a namespace. Request: `{"namespace"?}` (the client's when
    /// absent). Response: the `DescribeNamespaceResponse` (`namespaceInfo`,
    /// `config`, ...) in the protobuf JSON mapping.
    describe_namespace(ProtoRequest) -> ProtoResponse,
        c: "tb_namespace_describe",
        rpc: [describe_namespace];

    /// One page of namespaces. Request: `{"pageSize"?, "nextPageToken"?}`.
    /// Response: `{"namespaces": [...], "nextPageToken"?}`.
    list_namespaces(ProtoRequest) -> ProtoResponse,
        c: "tb_namespaces_list",
        rpc: [list_namespaces];

    /// Updates a namespace. Request: the `UpdateNamespaceRequest` in the
    /// protobuf JSON mapping (`{"namespace"?, "updateInfo"?, "config"?}`).
    /// Response: the `UpdateNamespaceResponse`.
    update_namespace(ProtoRequest) -> ProtoResponse,
        c: "tb_namespace_update",
        rpc: [update_namespace];

    /// Registers custom search attributes. Request: `{"searchAttributes":
    /// {"Name": "INDEXED_VALUE_TYPE_KEYWORD"}}` (namespace: the client's).
    /// Response: `{}`.
    add_search_attributes(ProtoRequest) -> ProtoResponse,
        c: "tb_search_attributes_add",
        rpc: [add_search_attributes];

    /// Lists search attributes. Request: `{}` (namespace: the client's).
    /// Response: `{"customAttributes", "systemAttributes", "storageSchema"}`.
    list_search_attributes(ProtoRequest) -> ProtoResponse,
        c: "tb_search_attributes_list",
        rpc: [list_search_attributes];

    /// Removes custom search attributes. Request: `{"searchAttributes":
    /// ["Name"]}` (namespace: the client's). Response: `{}`.
    remove_search_attributes(ProtoRequest) -> ProtoResponse,
        c: "tb_search_attributes_remove",
        rpc: [remove_search_attributes];
}

impl Client {
    /// Runs one operation from its JSON request and returns its JSON response.
    ///
    /// `base` carries the caller's cancellation token and a default deadline;
    /// a `call_timeout` in the request overrides the deadline.
    pub async fn call_json(
        &self,
        operation: &str,
        request: &str,
        base: &CallOptions,
    ) -> Result<String> {
        if !OPERATIONS.contains(&operation) {
            return Err(unknown_operation(operation, OPERATIONS));
        }
        let request = parse_text(operation, request)?;
        Box::pin(self.dispatch::<AsText>(operation, request, base)).await
    }

    /// [`Client::call_json`] with the request already parsed, and the
    /// response as a value: what a binding that converts its own values to
    /// and from JSON values uses, saving the text in between.
    pub async fn call_value(
        &self,
        operation: &str,
        request: Value,
        base: &CallOptions,
    ) -> Result<Value> {
        Box::pin(self.dispatch::<AsValue>(operation, request, base)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_and_c_functions_are_unique_and_documented() {
        let names: HashSet<_> = OPERATION_TABLE.iter().map(|o| o.name).collect();
        assert_eq!(names.len(), OPERATION_TABLE.len());
        let functions: HashSet<_> = OPERATION_TABLE.iter().map(|o| o.c_function).collect();
        assert_eq!(functions.len(), OPERATION_TABLE.len());
        for operation in OPERATION_TABLE {
            assert!(operation.c_function.starts_with("tb_"), "{operation:?}");
            assert!(operation.doc.contains("Request"), "{operation:?}");
            assert!(!operation.rpc_methods.is_empty(), "{operation:?}");
        }
        assert_eq!(OPERATIONS.len(), OPERATION_TABLE.len());
    }

    #[test]
    fn every_rpc_method_serves_an_operation_connect_or_the_worker() {
        let used: HashSet<_> = OPERATION_TABLE
            .iter()
            .flat_map(|o| o.rpc_methods.iter().copied())
            .chain([method::get_system_info.path(), method::any_method.path()])
            .chain(crate::worker::RPC_METHODS.iter().copied())
            .collect();
        for path in method::ALL {
            assert!(
                used.contains(path),
                "{path} is declared but no operation calls it"
            );
        }
    }
}
