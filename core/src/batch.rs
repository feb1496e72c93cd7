//! Batch operations: cancel or terminate every workflow a visibility query
//! matches (like `temporal workflow cancel --query ...`), run by the server
//! as a batch job with an ID, and waiting for such a job to finish.

use crate::client::{CallOptions, Client, RpcKind};
use crate::duration::timestamp_json;
use crate::error::{Error, Result};
use crate::fields::{new_request_id, non_empty, require};
use crate::payload::strip_enum_prefix;
use crate::transport::method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;
use temporalio_protos::temporal::api::batch::v1::{
    BatchOperationCancellation, BatchOperationTermination,
};
use temporalio_protos::temporal::api::enums::v1::{BatchOperationState, BatchOperationType};
use temporalio_protos::temporal::api::workflowservice::v1::{
    start_batch_operation_request::Operation, DescribeBatchOperationRequest,
    StartBatchOperationRequest,
};

/// Polling interval of `wait_batch_operation`: starts short (small jobs end
/// within a second), grows to this cap for big ones.
const MAX_POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Request of `batch_cancel_workflows` and `batch_terminate_workflows`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchWorkflowsRequest {
    /// Visibility query selecting the workflows, e.g.
    /// `WorkflowType = 'X' AND ExecutionStatus = 'Running'`.
    pub query: String,
    /// Why; recorded with the job and in each workflow's history.
    pub reason: String,
    /// Batch job ID; a random UUID when absent. Starting a job with the ID
    /// of an existing job fails with `already_started`.
    #[serde(default)]
    pub job_id: Option<String>,
}

/// Response of `batch_cancel_workflows` and `batch_terminate_workflows`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct BatchStartedResponse {
    /// The batch job's ID, for `wait_batch_operation`.
    pub job_id: String,
}

/// Request of `wait_batch_operation`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct WaitBatchOperationRequest {
    /// The batch job's ID.
    pub job_id: String,
}

/// Response of `wait_batch_operation`: the finished job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct BatchOperationResponse {
    /// The batch job's ID.
    pub job_id: String,
    /// `completed` or `failed` (the job itself failed, not some workflows).
    pub state: String,
    /// What the job did: `cancel_workflow`, `terminate_workflow`, ...
    pub operation_type: String,
    /// Workflows the job found.
    pub total_operation_count: i64,
    /// Workflows it acted on successfully.
    pub complete_operation_count: i64,
    /// Workflows it failed to act on (e.g. already closed).
    pub failure_operation_count: i64,
    /// When the job started (RFC 3339).
    pub start_time: Value,
    /// When the job ended (RFC 3339).
    pub close_time: Value,
    /// The job's reason.
    pub reason: String,
    /// The job's visibility query.
    pub query: String,
}

/// The operation's name without prefix, deprecated aliases (which servers
/// still send) folded into their current names: `terminate_workflow`, not
/// `terminate` or a server-dependent mix of both.
#[allow(deprecated)]
fn operation_type_name(value: i32) -> String {
    use BatchOperationType as T;
    let Ok(operation) = T::try_from(value) else {
        return format!("unknown({value})");
    };
    let current = match operation {
        T::Terminate => T::TerminateWorkflow,
        T::Cancel => T::CancelWorkflow,
        T::Signal => T::SignalWorkflow,
        T::Delete => T::DeleteWorkflow,
        T::Reset => T::ResetWorkflow,
        other => other,
    };
    strip_enum_prefix(current.as_str_name(), "BATCH_OPERATION_TYPE_")
}

#[derive(Clone, Copy)]
enum BatchKind {
    Cancel,
    Terminate,
}

impl Client {
    /// Starts a batch job that requests cancellation of every workflow the
    /// query matches. Returns once the job is started.
    pub async fn batch_cancel_workflows(
        &self,
        request: &BatchWorkflowsRequest,
        call: &CallOptions,
    ) -> Result<BatchStartedResponse> {
        self.start_batch(request, BatchKind::Cancel, call).await
    }

    /// Starts a batch job that terminates every workflow the query matches.
    /// Returns once the job is started.
    pub async fn batch_terminate_workflows(
        &self,
        request: &BatchWorkflowsRequest,
        call: &CallOptions,
    ) -> Result<BatchStartedResponse> {
        self.start_batch(request, BatchKind::Terminate, call).await
    }

    async fn start_batch(
        &self,
        request: &BatchWorkflowsRequest,
        kind: BatchKind,
        call: &CallOptions,
    ) -> Result<BatchStartedResponse> {
        require("query", &request.query)?;
        require("reason", &request.reason)?;
        let job_id = non_empty(&request.job_id).unwrap_or_else(new_request_id);
        let identity = self.identity().to_owned();
        let operation = match kind {
            BatchKind::Cancel => {
                Operation::CancellationOperation(BatchOperationCancellation { identity })
            }
            BatchKind::Terminate => Operation::TerminationOperation(BatchOperationTermination {
                details: None,
                identity,
            }),
        };
        let message = StartBatchOperationRequest {
            namespace: self.namespace().to_owned(),
            visibility_query: request.query.clone(),
            job_id: job_id.clone(),
            reason: request.reason.clone(),
            operation: Some(operation),
            ..Default::default()
        };
        self.scoped(call, |scope| {
            self.rpc(
                scope,
                RpcKind::Ordinary,
                message,
                method::start_batch_operation,
            )
        })
        .await
        .map_err(|e| {
            e.context(format!("batch job {job_id:?}"))
                .with_detail("job_id", job_id.as_str())
                .with_detail("query", request.query.as_str())
        })?;
        Ok(BatchStartedResponse { job_id })
    }

    /// Waits until a batch job has finished (or failed), polling its state.
    pub async fn wait_batch_operation(
        &self,
        request: &WaitBatchOperationRequest,
        call: &CallOptions,
    ) -> Result<BatchOperationResponse> {
        require("job_id", &request.job_id)?;
        let job_id = request.job_id.as_str();
        let message = DescribeBatchOperationRequest {
            namespace: self.namespace().to_owned(),
            job_id: job_id.to_owned(),
        };
        self.scoped(call, |scope| async move {
            let mut interval = Duration::from_millis(200);
            loop {
                let response = self
                    .rpc(
                        scope,
                        RpcKind::Ordinary,
                        message.clone(),
                        method::describe_batch_operation,
                    )
                    .await?;
                let state = BatchOperationState::try_from(response.state)
                    .unwrap_or(BatchOperationState::Unspecified);
                if matches!(
                    state,
                    BatchOperationState::Completed | BatchOperationState::Failed
                ) {
                    return Ok(BatchOperationResponse {
                        job_id: response.job_id,
                        state: strip_enum_prefix(state.as_str_name(), "BATCH_OPERATION_STATE_"),
                        operation_type: operation_type_name(response.operation_type),
                        total_operation_count: response.total_operation_count,
                        complete_operation_count: response.complete_operation_count,
                        failure_operation_count: response.failure_operation_count,
                        start_time: timestamp_json(&response.start_time),
                        close_time: timestamp_json(&response.close_time),
                        reason: response.reason,
                        query: response.query,
                    });
                }
                tokio::time::sleep(interval).await;
                interval = (interval * 2).min(MAX_POLL_INTERVAL);
            }
        })
        .await
        .map_err(|e: Error| {
            e.context(format!("batch job {job_id:?}"))
                .with_detail("job_id", job_id)
        })
    }
}
