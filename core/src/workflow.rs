//! Workflow operations: start by type name, wait for the result (from any
//! process), cancel, terminate and describe. The request and response types
//! here are the JSON contract itself: the bindings deserialize exactly these.

use crate::client::{CallOptions, CallScope, Client, Repolls, RpcKind};
use crate::description::WorkflowDescription;
use crate::duration::{to_proto, JsonDuration};
use crate::error::{Error, ErrorKind, Quoted, Result};
use crate::fields::{about_workflow, execution, new_request_id, non_empty, require};
use crate::header::{to_header, TraceContext};
use crate::json_text::{names_in_any_case, names_in_any_case_schema};
use crate::payload::{
    encode_args, encode_values, failure_to_json, json_map_to_payloads, payloads_to_json,
    raw_payloads, retry_state_name, single_value, RawPayload,
};
use crate::transport::method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use temporalio_protos::temporal::api::common::v1::{
    Memo, RetryPolicy as ProtoRetryPolicy, SearchAttributes, WorkflowType,
};
use temporalio_protos::temporal::api::enums::v1::{
    ContinueAsNewInitiator, HistoryEventFilterType, TaskQueueKind, WorkflowIdConflictPolicy,
    WorkflowIdReusePolicy,
};
use temporalio_protos::temporal::api::failure::v1::failure::FailureInfo;
use temporalio_protos::temporal::api::history::v1::history_event::Attributes;
use temporalio_protos::temporal::api::taskqueue::v1::TaskQueue;
use temporalio_protos::temporal::api::workflowservice::v1::{
    DescribeWorkflowExecutionRequest, GetWorkflowExecutionHistoryRequest,
    RequestCancelWorkflowExecutionRequest, SignalWithStartWorkflowExecutionRequest,
    StartWorkflowExecutionRequest, TerminateWorkflowExecutionRequest,
};

/// What to do when a closed workflow with the same ID exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(transform = names_in_any_case_schema)]
pub enum IdReusePolicy {
    /// Start a new run whatever way the last one closed.
    AllowDuplicate,
    /// Start a new run only if the last one did not complete successfully.
    AllowDuplicateFailedOnly,
    /// Never reuse the ID.
    RejectDuplicate,
    /// Terminate a running run and start a new one (prefer `id_conflict_policy`).
    TerminateIfRunning,
}

names_in_any_case!(IdReusePolicy {
    AllowDuplicate = "allow_duplicate",
    AllowDuplicateFailedOnly = "allow_duplicate_failed_only",
    RejectDuplicate = "reject_duplicate",
    TerminateIfRunning = "terminate_if_running",
});

/// What to do when a *running* workflow with the same ID exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(transform = names_in_any_case_schema)]
pub enum IdConflictPolicy {
    /// Fail with `already_started`.
    Fail,
    /// Return the running workflow's run ID instead of starting a new run.
    UseExisting,
    /// Terminate the running workflow, then start.
    TerminateExisting,
}

names_in_any_case!(IdConflictPolicy {
    Fail = "fail",
    UseExisting = "use_existing",
    TerminateExisting = "terminate_existing",
});

/// A workflow retry policy (the server retries the whole workflow).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetryPolicy {
    /// Backoff before the first retry.
    #[serde(default)]
    pub initial_interval: Option<JsonDuration>,
    /// Growth factor of the backoff (>= 1.0).
    #[serde(default)]
    pub backoff_coefficient: Option<f64>,
    /// Backoff cap.
    #[serde(default)]
    pub maximum_interval: Option<JsonDuration>,
    /// Attempts in total; 0 means unlimited.
    #[serde(default)]
    pub maximum_attempts: Option<u32>,
    /// Failure types that are never retried.
    #[serde(default)]
    pub non_retryable_error_types: Vec<String>,
}

impl RetryPolicy {
    fn to_proto(&self) -> Result<ProtoRetryPolicy> {
        if let Some(c) = self.backoff_coefficient {
            if !c.is_finite() || c < 1.0 {
                return Err(Error::invalid_argument(format!(
                    "retry_policy.backoff_coefficient must be >= 1.0, got {c}"
                )));
            }
        }
        Ok(ProtoRetryPolicy {
            initial_interval: self.initial_interval.map(|d| to_proto(d.0)),
            backoff_coefficient: self.backoff_coefficient.unwrap_or(0.0),
            maximum_interval: self.maximum_interval.map(|d| to_proto(d.0)),
            maximum_attempts: i32::try_from(self.maximum_attempts.unwrap_or(0)).map_err(|_| {
                Error::invalid_argument("retry_policy.maximum_attempts is too large")
            })?,
            non_retryable_error_types: self.non_retryable_error_types.clone(),
        })
    }
}

/// Request of `start_workflow`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartWorkflowRequest {
    /// Workflow type name, as registered by the worker (any SDK).
    pub workflow_type: String,
    /// Task queue the worker polls.
    pub task_queue: String,
    /// Arguments; each becomes one `json/plain` payload.
    #[serde(default)]
    pub args: Vec<Value>,
    /// Arguments as raw payloads (instead of `args`), passed through untouched.
    #[serde(default)]
    pub raw_args: Option<Vec<RawPayload>>,
    /// Workflow ID; a random UUID when absent.
    #[serde(default)]
    pub workflow_id: Option<String>,
    /// Timeout of the whole execution, retries and continue-as-new included.
    #[serde(default)]
    pub execution_timeout: Option<JsonDuration>,
    /// Timeout of a single run.
    #[serde(default)]
    pub run_timeout: Option<JsonDuration>,
    /// Timeout of a single workflow task.
    #[serde(default)]
    pub task_timeout: Option<JsonDuration>,
    /// Reuse policy for the ID of a closed workflow.
    #[serde(default)]
    pub id_reuse_policy: Option<IdReusePolicy>,
    /// Conflict policy for the ID of a running workflow.
    #[serde(default)]
    pub id_conflict_policy: Option<IdConflictPolicy>,
    /// Workflow retry policy.
    #[serde(default)]
    pub retry_policy: Option<RetryPolicy>,
    /// Memo: arbitrary JSON values, one payload each.
    #[serde(default)]
    pub memo: Option<Map<String, Value>>,
    /// Search attributes (must be registered on the server).
    #[serde(default)]
    pub search_attributes: Option<Map<String, Value>>,
    /// Delay before the first workflow task is dispatched.
    #[serde(default)]
    pub start_delay: Option<JsonDuration>,
    /// Cron schedule, e.g. `"*/5 * * * *"`.
    #[serde(default)]
    pub cron_schedule: Option<String>,
    /// Idempotency key; a random UUID when absent (reused on retries).
    #[serde(default)]
    pub request_id: Option<String>,
    /// Signal-with-start: the signal to send along with the start. The
    /// workflow is started if it is not running (the default conflict policy
    /// is then `use_existing`), and the signal is delivered either way.
    #[serde(default)]
    pub start_signal: Option<String>,
    /// Arguments of `start_signal`; each becomes one `json/plain` payload.
    #[serde(default)]
    pub start_signal_args: Vec<Value>,
    /// Temporal header for the worker's interceptors: each value becomes one
    /// `json/plain` payload (never run through the payload codec).
    #[serde(default)]
    pub header: Option<Map<String, Value>>,
    /// W3C trace context the worker's tracing interceptor continues
    /// (written as the `_tracer-data` header).
    #[serde(default)]
    pub trace_context: Option<TraceContext>,
}

/// Response of `start_workflow`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StartWorkflowResponse {
    /// The workflow ID (generated if the request had none).
    pub workflow_id: String,
    /// The run ID of the started (or, with `use_existing`, the running) run.
    pub run_id: String,
    /// False when `id_conflict_policy: use_existing` returned a running
    /// workflow (or signal-with-start signaled one).
    pub started: bool,
    /// The guard a handle for this workflow carries for cancel, terminate
    /// and updates: the started run, which begins its chain; absent when
    /// nothing was started (the running workflow found may be a later run
    /// of its chain).
    pub first_execution_run_id: Option<String>,
}

/// Request of `get_workflow_result`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetResultRequest {
    /// Workflow ID.
    pub workflow_id: String,
    /// Run to wait for; the latest run when absent.
    #[serde(default)]
    pub run_id: Option<String>,
    /// Follow continue-as-new, retries and cron to the final run (default true).
    #[serde(default = "default_true")]
    pub follow_runs: bool,
    /// Return raw payloads instead of decoded JSON.
    #[serde(default)]
    pub raw: bool,
    /// With `raw`: run the payloads through the client's payload codec
    /// first (raw payloads are otherwise returned as stored).
    #[serde(default)]
    pub decode: bool,
}

fn default_true() -> bool {
    true
}

impl GetResultRequest {
    /// A request for the latest run of `workflow_id`, following runs.
    pub fn new(workflow_id: impl Into<String>) -> Self {
        GetResultRequest {
            workflow_id: workflow_id.into(),
            run_id: None,
            follow_runs: true,
            raw: false,
            decode: false,
        }
    }
}

/// Response of `get_workflow_result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WorkflowResult {
    /// Workflow ID.
    pub workflow_id: String,
    /// The run that completed, when known.
    pub run_id: Option<String>,
    /// The decoded result: the value, `null` when the workflow returned nothing,
    /// or an array when it returned several payloads. Absent in raw mode.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub result: Option<Value>,
    /// Raw payloads, in raw mode only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub payloads: Option<Vec<RawPayload>>,
}

/// Request of `cancel_workflow`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelWorkflowRequest {
    /// Workflow ID.
    pub workflow_id: String,
    /// Run to cancel; the latest run when absent.
    #[serde(default)]
    pub run_id: Option<String>,
    /// Only cancel if the chain started with this run.
    #[serde(default)]
    pub first_execution_run_id: Option<String>,
    /// Reason recorded in the history.
    #[serde(default)]
    pub reason: Option<String>,
    /// Idempotency key; generated once and reused across retries when absent.
    #[serde(default)]
    pub request_id: Option<String>,
}

/// Request of `terminate_workflow`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminateWorkflowRequest {
    /// Workflow ID.
    pub workflow_id: String,
    /// Run to terminate; the latest run when absent.
    #[serde(default)]
    pub run_id: Option<String>,
    /// Only terminate if the chain started with this run.
    #[serde(default)]
    pub first_execution_run_id: Option<String>,
    /// Reason recorded in the history.
    #[serde(default)]
    pub reason: Option<String>,
    /// Details recorded in the history, one payload each.
    #[serde(default)]
    pub details: Vec<Value>,
}

/// Request of `describe_workflow`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DescribeWorkflowRequest {
    /// Workflow ID.
    pub workflow_id: String,
    /// Run to describe; the latest run when absent.
    #[serde(default)]
    pub run_id: Option<String>,
    /// Return memo, search attributes and heartbeat details as raw payloads.
    #[serde(default)]
    pub raw: bool,
    /// With `raw`: run the payloads through the client's payload codec
    /// first (raw payloads are otherwise returned as stored).
    #[serde(default)]
    pub decode: bool,
}

/// The signal-with-start form of a start request: the same start options,
/// plus the signal.
fn signal_with_start(
    start: StartWorkflowExecutionRequest,
    signal_name: &str,
    signal_input: Option<temporalio_protos::temporal::api::common::v1::Payloads>,
) -> SignalWithStartWorkflowExecutionRequest {
    SignalWithStartWorkflowExecutionRequest {
        namespace: start.namespace,
        workflow_id: start.workflow_id,
        workflow_type: start.workflow_type,
        task_queue: start.task_queue,
        input: start.input,
        workflow_execution_timeout: start.workflow_execution_timeout,
        workflow_run_timeout: start.workflow_run_timeout,
        workflow_task_timeout: start.workflow_task_timeout,
        identity: start.identity,
        request_id: start.request_id,
        workflow_id_reuse_policy: start.workflow_id_reuse_policy,
        workflow_id_conflict_policy: start.workflow_id_conflict_policy,
        signal_name: signal_name.to_owned(),
        signal_input,
        retry_policy: start.retry_policy,
        cron_schedule: start.cron_schedule,
        memo: start.memo,
        search_attributes: start.search_attributes,
        workflow_start_delay: start.workflow_start_delay,
        header: start.header,
        ..Default::default()
    }
}

/// A workflow execution addressed by ID. Creating a handle does no RPC.
///
/// Which run each operation addresses is decided here, the same for every
/// binding: [`WorkflowHandle::result`] waits from `run_id` (following the
/// chain); every other operation addresses `target_run_id` — the pinned run
/// of a handle made with [`Client::workflow_handle`], or the chain's current
/// run for one made by [`Client::started_workflow_handle`], so that such a
/// handle keeps working after continue-as-new, while its
/// `first_execution_run_id` guard keeps cancel, terminate and updates on the
/// chain it started.
#[derive(Debug, Clone)]
pub struct WorkflowHandle {
    pub(crate) client: Client,
    /// Workflow ID.
    pub workflow_id: String,
    /// The run `result` waits from (the latest run when absent).
    pub run_id: Option<String>,
    /// Guard for cancel, terminate and updates: act only on the chain that
    /// began with this run.
    pub first_execution_run_id: Option<String>,
    /// The run every other operation addresses; the chain's current run
    /// when absent.
    pub target_run_id: Option<String>,
}

impl Client {
    /// A handle for an existing workflow, pinned to `run_id` when given (every
    /// operation addresses that run); no RPC until it is used.
    pub fn workflow_handle(
        &self,
        workflow_id: impl Into<String>,
        run_id: Option<String>,
    ) -> WorkflowHandle {
        WorkflowHandle {
            client: self.clone(),
            workflow_id: workflow_id.into(),
            target_run_id: run_id.clone(),
            run_id,
            first_execution_run_id: None,
        }
    }

    /// The handle of a workflow this client started: `result` waits from the
    /// started run and follows its chain; the other operations address the
    /// chain's current run, guarded by the started run as the first
    /// execution when a run was started (see [`WorkflowHandle`]).
    pub fn started_workflow_handle(&self, started: &StartWorkflowResponse) -> WorkflowHandle {
        WorkflowHandle {
            client: self.clone(),
            workflow_id: started.workflow_id.clone(),
            run_id: Some(started.run_id.clone()),
            first_execution_run_id: started.first_execution_run_id.clone(),
            target_run_id: None,
        }
    }

    /// Starts a workflow by type name.
    pub async fn start_workflow(
        &self,
        request: &StartWorkflowRequest,
        call: &CallOptions,
    ) -> Result<StartWorkflowResponse> {
        require("workflow_type", &request.workflow_type)?;
        require("task_queue", &request.task_queue)?;
        let input = encode_args(&request.args, request.raw_args.as_deref())?;
        let workflow_id = non_empty(&request.workflow_id).unwrap_or_else(new_request_id);
        let retry_policy = request
            .retry_policy
            .as_ref()
            .map(RetryPolicy::to_proto)
            .transpose()?;
        if request.start_signal.is_none() && !request.start_signal_args.is_empty() {
            return Err(Error::invalid_argument(
                "start_signal_args needs start_signal (the signal's name)",
            ));
        }
        let message = StartWorkflowExecutionRequest {
            namespace: self.namespace().to_owned(),
            workflow_id: workflow_id.clone(),
            workflow_type: Some(WorkflowType {
                name: request.workflow_type.clone(),
            }),
            task_queue: Some(TaskQueue {
                name: request.task_queue.clone(),
                kind: TaskQueueKind::Normal as i32,
                ..Default::default()
            }),
            input,
            workflow_execution_timeout: request.execution_timeout.map(|d| to_proto(d.0)),
            workflow_run_timeout: request.run_timeout.map(|d| to_proto(d.0)),
            workflow_task_timeout: request.task_timeout.map(|d| to_proto(d.0)),
            identity: self.identity().to_owned(),
            // One ID per logical start: retries of this call reuse it, so a
            // start that reached the server before a network error is not doubled.
            request_id: non_empty(&request.request_id).unwrap_or_else(new_request_id),
            workflow_id_reuse_policy: match request.id_reuse_policy {
                None => WorkflowIdReusePolicy::Unspecified,
                Some(IdReusePolicy::AllowDuplicate) => WorkflowIdReusePolicy::AllowDuplicate,
                Some(IdReusePolicy::AllowDuplicateFailedOnly) => {
                    WorkflowIdReusePolicy::AllowDuplicateFailedOnly
                }
                Some(IdReusePolicy::RejectDuplicate) => WorkflowIdReusePolicy::RejectDuplicate,
                // Deprecated upstream in favour of the conflict policy, still honoured by servers.
                #[allow(deprecated)]
                Some(IdReusePolicy::TerminateIfRunning) => {
                    WorkflowIdReusePolicy::TerminateIfRunning
                }
            } as i32,
            workflow_id_conflict_policy: match request.id_conflict_policy {
                None => WorkflowIdConflictPolicy::Unspecified,
                Some(IdConflictPolicy::Fail) => WorkflowIdConflictPolicy::Fail,
                Some(IdConflictPolicy::UseExisting) => WorkflowIdConflictPolicy::UseExisting,
                Some(IdConflictPolicy::TerminateExisting) => {
                    WorkflowIdConflictPolicy::TerminateExisting
                }
            } as i32,
            retry_policy,
            cron_schedule: request.cron_schedule.clone().unwrap_or_default(),
            memo: request.memo.as_ref().map(|m| Memo {
                fields: json_map_to_payloads(m),
            }),
            search_attributes: request
                .search_attributes
                .as_ref()
                .map(|m| SearchAttributes {
                    indexed_fields: json_map_to_payloads(m),
                }),
            workflow_start_delay: request.start_delay.map(|d| to_proto(d.0)),
            header: to_header(request.header.as_ref(), request.trace_context.as_ref())?,
            ..Default::default()
        };
        let response = match &request.start_signal {
            None => self
                .scoped(call, |scope| {
                    self.rpc(
                        scope,
                        RpcKind::Ordinary,
                        message,
                        method::start_workflow_execution,
                    )
                })
                .await
                .map(|r| (r.run_id, r.started)),
            Some(signal_name) => {
                require("start_signal", signal_name)?;
                let message = signal_with_start(
                    message,
                    signal_name,
                    encode_values(&request.start_signal_args),
                );
                self.scoped(call, |scope| {
                    self.rpc(
                        scope,
                        RpcKind::Ordinary,
                        message,
                        method::signal_with_start_workflow_execution,
                    )
                })
                .await
                .map(|r| (r.run_id, r.started))
            }
        };
        match response {
            Ok((run_id, started)) => Ok(StartWorkflowResponse {
                workflow_id,
                first_execution_run_id: started.then(|| run_id.clone()),
                run_id,
                started,
            }),
            Err(error) if error.kind() == ErrorKind::AlreadyStarted => {
                let pending_run_id = error.detail("run_id").cloned();
                let mut error = Error::new(
                    ErrorKind::AlreadyStarted,
                    format!("workflow {} is already started", Quoted(&workflow_id)),
                )
                .with_detail("workflow_id", workflow_id.as_str())
                .with_detail("workflow_type", request.workflow_type.as_str());
                if let Some(run_id) = pending_run_id.clone() {
                    error = error.with_detail("run_id", run_id);
                }
                Err(error)
            }
            Err(error) => Err(about_workflow(&workflow_id)(error)),
        }
    }
}

impl WorkflowHandle {
    /// Pins the first-execution run ID guard used by cancel/terminate.
    pub fn with_first_execution_run_id(mut self, run_id: impl Into<String>) -> Self {
        self.first_execution_run_id = Some(run_id.into());
        self
    }

    /// Waits for the workflow's outcome (see [`Client::get_workflow_result`]).
    pub async fn result(
        &self,
        follow_runs: bool,
        raw: bool,
        call: &CallOptions,
    ) -> Result<WorkflowResult> {
        let request = GetResultRequest {
            workflow_id: self.workflow_id.clone(),
            run_id: self.run_id.clone(),
            follow_runs,
            raw,
            decode: false,
        };
        self.client.get_workflow_result(&request, call).await
    }

    /// Requests cancellation (see [`Client::cancel_workflow`]).
    pub async fn cancel(&self, reason: Option<String>, call: &CallOptions) -> Result<()> {
        let request = CancelWorkflowRequest {
            workflow_id: self.workflow_id.clone(),
            run_id: self.target_run_id.clone(),
            first_execution_run_id: self.first_execution_run_id.clone(),
            reason,
            request_id: None,
        };
        self.client.cancel_workflow(&request, call).await
    }

    /// Terminates the workflow (see [`Client::terminate_workflow`]).
    pub async fn terminate(
        &self,
        reason: Option<String>,
        details: Vec<Value>,
        call: &CallOptions,
    ) -> Result<()> {
        let request = TerminateWorkflowRequest {
            workflow_id: self.workflow_id.clone(),
            run_id: self.target_run_id.clone(),
            first_execution_run_id: self.first_execution_run_id.clone(),
            reason,
            details,
        };
        self.client.terminate_workflow(&request, call).await
    }

    /// Describes the workflow (see [`Client::describe_workflow`]).
    pub async fn describe(&self, call: &CallOptions) -> Result<WorkflowDescription> {
        let request = DescribeWorkflowRequest {
            workflow_id: self.workflow_id.clone(),
            run_id: self.target_run_id.clone(),
            raw: false,
            decode: false,
        };
        self.client.describe_workflow(&request, call).await
    }
}

/// One step of waiting: either the wait is over, or it moves on to another run.
enum CloseOutcome {
    Done(Result<WorkflowResult>),
    FollowRun(String),
}

impl Client {
    /// Waits for a workflow's outcome by long-polling its close event. Works
    /// from any process that knows the workflow ID. Completion gives the
    /// result; every other ending is a distinct error kind with its details.
    /// Transient failures (server restart, network outage) are retried for as
    /// long as the call's deadline allows, resuming the same run and page.
    pub async fn get_workflow_result(
        &self,
        request: &GetResultRequest,
        call: &CallOptions,
    ) -> Result<WorkflowResult> {
        require("workflow_id", &request.workflow_id)?;
        self.scoped(call, |scope| {
            self.wait_for_close(
                scope.replies_as_stored(request.raw && !request.decode),
                request,
            )
        })
        .await
        .map_err(|e| {
            if matches!(e.kind(), ErrorKind::Cancelled | ErrorKind::DeadlineExceeded) {
                e.context(format!(
                    "waiting for the result of workflow {}",
                    Quoted(&request.workflow_id)
                ))
                .with_detail("workflow_id", request.workflow_id.as_str())
            } else {
                e
            }
        })
    }

    async fn wait_for_close(
        &self,
        scope: CallScope,
        request: &GetResultRequest,
    ) -> Result<WorkflowResult> {
        let workflow_id = request.workflow_id.as_str();
        let mut run_id = non_empty(&request.run_id);
        let mut page_token = Vec::new();
        let mut repolls = Repolls::new();
        loop {
            let message = GetWorkflowExecutionHistoryRequest {
                namespace: self.namespace().to_owned(),
                execution: Some(execution(workflow_id, &run_id)),
                maximum_page_size: 0,
                next_page_token: page_token.clone(),
                wait_new_event: true,
                history_event_filter_type: HistoryEventFilterType::CloseEvent as i32,
                skip_archival: true,
            };
            let response = self
                .rpc(
                    scope,
                    RpcKind::Patient,
                    message,
                    method::get_workflow_execution_history,
                )
                .await
                .map_err(about_workflow(workflow_id))?;
            let close_event = response
                .history
                .and_then(|h| h.events.into_iter().last())
                .and_then(|e| e.attributes);
            let Some(attributes) = close_event else {
                // The server ended the long poll without an event: poll again
                // from where it left us.
                page_token = response.next_page_token;
                repolls.pace(self).await;
                continue;
            };
            match close_outcome(workflow_id, &run_id, request, attributes) {
                CloseOutcome::Done(result) => return result,
                CloseOutcome::FollowRun(next) => {
                    run_id = Some(next);
                    page_token.clear();
                }
            }
        }
    }

    /// Requests cancellation of a workflow. The workflow decides how to react
    /// (it may clean up first); wait with `get_workflow_result` to see it end.
    pub async fn cancel_workflow(
        &self,
        request: &CancelWorkflowRequest,
        call: &CallOptions,
    ) -> Result<()> {
        require("workflow_id", &request.workflow_id)?;
        let message = RequestCancelWorkflowExecutionRequest {
            namespace: self.namespace().to_owned(),
            workflow_execution: Some(execution(&request.workflow_id, &request.run_id)),
            identity: self.identity().to_owned(),
            // Generated once here, outside the retry loop, so a retried cancel
            // is recognized by the server as the same request.
            request_id: non_empty(&request.request_id).unwrap_or_else(new_request_id),
            first_execution_run_id: non_empty(&request.first_execution_run_id).unwrap_or_default(),
            reason: request.reason.clone().unwrap_or_default(),
            ..Default::default()
        };
        self.scoped(call, |scope| {
            self.rpc(
                scope,
                RpcKind::Ordinary,
                message,
                method::request_cancel_workflow_execution,
            )
        })
        .await
        .map(|_| ())
        .map_err(about_workflow(&request.workflow_id))
    }

    /// Terminates a workflow immediately; the workflow gets no chance to clean up.
    pub async fn terminate_workflow(
        &self,
        request: &TerminateWorkflowRequest,
        call: &CallOptions,
    ) -> Result<()> {
        require("workflow_id", &request.workflow_id)?;
        let message = TerminateWorkflowExecutionRequest {
            namespace: self.namespace().to_owned(),
            workflow_execution: Some(execution(&request.workflow_id, &request.run_id)),
            reason: request.reason.clone().unwrap_or_default(),
            details: encode_values(&request.details),
            identity: self.identity().to_owned(),
            first_execution_run_id: non_empty(&request.first_execution_run_id).unwrap_or_default(),
            ..Default::default()
        };
        self.scoped(call, |scope| {
            self.rpc(
                scope,
                RpcKind::Ordinary,
                message,
                method::terminate_workflow_execution,
            )
        })
        .await
        .map(|_| ())
        .map_err(about_workflow(&request.workflow_id))
    }

    /// Describes a workflow execution as JSON (status, type, task queue,
    /// times, history length, memo, search attributes, pending activities).
    pub async fn describe_workflow(
        &self,
        request: &DescribeWorkflowRequest,
        call: &CallOptions,
    ) -> Result<WorkflowDescription> {
        require("workflow_id", &request.workflow_id)?;
        let message = DescribeWorkflowExecutionRequest {
            namespace: self.namespace().to_owned(),
            execution: Some(execution(&request.workflow_id, &request.run_id)),
        };
        let response = self
            .scoped(call, |scope| {
                self.rpc(
                    scope.replies_as_stored(request.raw && !request.decode),
                    RpcKind::Ordinary,
                    message,
                    method::describe_workflow_execution,
                )
            })
            .await
            .map_err(about_workflow(&request.workflow_id))?;
        Ok(WorkflowDescription::from_proto(&response, request.raw))
    }
}

fn close_outcome(
    workflow_id: &str,
    run_id: &Option<String>,
    request: &GetResultRequest,
    attributes: Attributes,
) -> CloseOutcome {
    let follow = |next: &str| request.follow_runs && !next.is_empty();
    let run_json = || run_id.clone().map(Value::String).unwrap_or(Value::Null);
    let base = |kind: ErrorKind, what: String| {
        Error::new(kind, format!("workflow {} {what}", Quoted(workflow_id)))
            .with_detail("workflow_id", workflow_id)
            .with_detail("run_id", run_json())
    };
    let outcome = match attributes {
        Attributes::WorkflowExecutionCompletedEventAttributes(a) => {
            if follow(&a.new_execution_run_id) {
                return CloseOutcome::FollowRun(a.new_execution_run_id);
            }
            Ok(completed(workflow_id, run_id, request, a.result.as_ref()))
        }
        Attributes::WorkflowExecutionFailedEventAttributes(a) => {
            if follow(&a.new_execution_run_id) {
                return CloseOutcome::FollowRun(a.new_execution_run_id);
            }
            let failure = a
                .failure
                .as_ref()
                .map(|f| failure_to_json(f, request.raw))
                .unwrap_or(Value::Null);
            let message = failure["message"].as_str().unwrap_or("").to_owned();
            Err(
                base(ErrorKind::WorkflowFailed, format!("failed: {message}"))
                    .with_detail("failure", failure)
                    .with_detail("retry_state", retry_state_name(a.retry_state)),
            )
        }
        Attributes::WorkflowExecutionCanceledEventAttributes(a) => {
            Err(base(ErrorKind::WorkflowCanceled, "was canceled".to_owned())
                .with_detail("details", payloads_to_json(a.details.as_ref(), request.raw)))
        }
        Attributes::WorkflowExecutionTerminatedEventAttributes(a) => Err(base(
            ErrorKind::WorkflowTerminated,
            format!("was terminated: {}", a.reason),
        )
        .with_detail("reason", a.reason)
        .with_detail("identity", a.identity)
        .with_detail("details", payloads_to_json(a.details.as_ref(), request.raw))),
        Attributes::WorkflowExecutionTimedOutEventAttributes(a) => {
            if follow(&a.new_execution_run_id) {
                return CloseOutcome::FollowRun(a.new_execution_run_id);
            }
            Err(base(ErrorKind::WorkflowTimedOut, "timed out".to_owned())
                .with_detail("retry_state", retry_state_name(a.retry_state)))
        }
        Attributes::WorkflowExecutionContinuedAsNewEventAttributes(a) => {
            if follow(&a.new_execution_run_id) {
                return CloseOutcome::FollowRun(a.new_execution_run_id);
            }
            if a.initiator == ContinueAsNewInitiator::Workflow as i32 {
                return CloseOutcome::Done(Err(base(
                    ErrorKind::WorkflowContinuedAsNew,
                    "continued as new".to_owned(),
                )
                .with_detail("new_execution_run_id", a.new_execution_run_id)));
            }
            // A retry or cron successor. Servers may also present a failed or
            // timed-out run that has a successor this way (a compatibility
            // rewrite for old SDKs). Report what really happened to this run.
            let next = a.new_execution_run_id.clone();
            #[allow(deprecated)] // still how servers deliver the failure here
            let failure = a.failure.as_ref();
            match failure {
                Some(failure) => {
                    let timed_out = matches!(
                        failure.failure_info,
                        Some(FailureInfo::TimeoutFailureInfo(_))
                    );
                    let failure = failure_to_json(failure, request.raw);
                    let message = failure["message"].as_str().unwrap_or("").to_owned();
                    let error = if timed_out {
                        base(ErrorKind::WorkflowTimedOut, "timed out".to_owned())
                            .with_detail("retry_state", "in_progress")
                    } else {
                        base(ErrorKind::WorkflowFailed, format!("failed: {message}"))
                            .with_detail("retry_state", "in_progress")
                    };
                    Err(error
                        .with_detail("failure", failure)
                        .with_detail("new_execution_run_id", next))
                }
                None if a.last_completion_result.is_some() => Ok(completed(
                    workflow_id,
                    run_id,
                    request,
                    a.last_completion_result.as_ref(),
                )),
                None => Err(base(
                    ErrorKind::WorkflowContinuedAsNew,
                    "continued as new".to_owned(),
                )
                .with_detail("new_execution_run_id", next)),
            }
        }
        other => Err(Error::internal(format!(
            "workflow {}: unexpected close event {other:?}",
            Quoted(workflow_id)
        ))),
    };
    CloseOutcome::Done(outcome)
}

fn completed(
    workflow_id: &str,
    run_id: &Option<String>,
    request: &GetResultRequest,
    result: Option<&temporalio_protos::temporal::api::common::v1::Payloads>,
) -> WorkflowResult {
    let (value, payloads) = if request.raw {
        (None, Some(raw_payloads(result)))
    } else {
        (Some(single_value(result)), None)
    };
    WorkflowResult {
        workflow_id: workflow_id.to_owned(),
        run_id: run_id.clone(),
        result: value,
        payloads,
    }
}
