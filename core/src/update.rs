//! Workflow updates: a named request that a workflow's handler validates,
//! runs and answers, tracked by an update ID. `execute_update` sends one and
//! waits until it is accepted or completed; `get_update_result` waits for the
//! outcome of an update sent earlier (from any process that knows its ID).
//! An update rejected by its validator (or for want of a handler) or failed
//! by its handler is an `update_failed` error carrying the failure chain.

use crate::client::{CallOptions, CallScope, Client, Repolls, RpcKind};
use crate::error::{Error, ErrorKind, Result};
use crate::fields::{about_workflow, execution, new_request_id, non_empty, require};
use crate::header::{to_header, TraceContext};
use crate::json_text::{names_in_any_case, names_in_any_case_schema};
use crate::payload::{encode_args, failure_to_json, raw_payloads, single_value, RawPayload};
use crate::transport::method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use temporalio_protos::temporal::api::enums::v1::UpdateWorkflowExecutionLifecycleStage as Stage;
use temporalio_protos::temporal::api::update::v1::{
    outcome, Input, Meta, Outcome, Request as ProtoUpdateRequest, UpdateRef, WaitPolicy,
};
use temporalio_protos::temporal::api::workflowservice::v1::{
    PollWorkflowExecutionUpdateRequest, UpdateWorkflowExecutionRequest,
};

/// How long `execute_update` waits before returning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(transform = names_in_any_case_schema)]
pub enum UpdateWaitStage {
    /// Until a worker accepted the update (its validator passed); the result
    /// is then fetched with `get_update_result`.
    Accepted,
    /// Until the update's handler finished (the default).
    #[default]
    Completed,
}

names_in_any_case!(UpdateWaitStage {
    Accepted = "accepted",
    Completed = "completed",
});

/// Request of `execute_update`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteUpdateRequest {
    /// Workflow ID.
    pub workflow_id: String,
    /// Run to update; the latest run when absent.
    #[serde(default)]
    pub run_id: Option<String>,
    /// Only update if the chain started with this run.
    #[serde(default)]
    pub first_execution_run_id: Option<String>,
    /// Update name, as the workflow registered it.
    pub update_name: String,
    /// Arguments; each becomes one `json/plain` payload.
    #[serde(default)]
    pub args: Vec<Value>,
    /// Arguments as raw payloads (instead of `args`), passed through untouched.
    #[serde(default)]
    pub raw_args: Option<Vec<RawPayload>>,
    /// Update ID; a random UUID when absent. Sending the same ID again refers
    /// to the same update (it is not run twice).
    #[serde(default)]
    pub update_id: Option<String>,
    /// Return once the update is `accepted`, or once it is `completed` (default).
    #[serde(default)]
    pub wait_for_stage: UpdateWaitStage,
    /// Return the result as raw payloads instead of decoded JSON.
    #[serde(default)]
    pub raw: bool,
    /// With `raw`: run the payloads through the client's payload codec
    /// first (raw payloads are otherwise returned as stored).
    #[serde(default)]
    pub decode: bool,
    /// Temporal header (see [`StartWorkflowRequest::header`](crate::StartWorkflowRequest::header)).
    #[serde(default)]
    pub header: Option<Map<String, Value>>,
    /// W3C trace context for the worker's tracing interceptor.
    #[serde(default)]
    pub trace_context: Option<TraceContext>,
}

/// Request of `get_update_result`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetUpdateResultRequest {
    /// Workflow ID.
    pub workflow_id: String,
    /// Run the update was sent to; the latest run when absent.
    #[serde(default)]
    pub run_id: Option<String>,
    /// The update's ID.
    pub update_id: String,
    /// Return the result as raw payloads instead of decoded JSON.
    #[serde(default)]
    pub raw: bool,
    /// With `raw`: run the payloads through the client's payload codec
    /// first (raw payloads are otherwise returned as stored).
    #[serde(default)]
    pub decode: bool,
}

/// Response of `execute_update` and `get_update_result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct UpdateResponse {
    /// The update's ID (generated if the request had none).
    pub update_id: String,
    /// The run that took the update, when the server said.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub run_id: Option<String>,
    /// The decoded result, once the update completed (absent while it is
    /// only accepted, and in raw mode).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub result: Option<Value>,
    /// The result as raw payloads, in raw mode once completed.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub payloads: Option<Vec<RawPayload>>,
}

/// What one update is, for building its responses and errors.
struct UpdateTarget<'a> {
    workflow_id: &'a str,
    update_id: &'a str,
    update_name: Option<&'a str>,
    raw: bool,
}

impl UpdateTarget<'_> {
    fn finish(&self, run_id: Option<String>, outcome: Outcome) -> Result<UpdateResponse> {
        match outcome.value {
            Some(outcome::Value::Success(payloads)) => Ok(UpdateResponse {
                update_id: self.update_id.to_owned(),
                run_id,
                result: (!self.raw).then(|| single_value(Some(&payloads))),
                payloads: self.raw.then(|| raw_payloads(Some(&payloads))),
            }),
            Some(outcome::Value::Failure(failure)) => {
                let failure = failure_to_json(&failure, self.raw);
                let message = failure["message"].as_str().unwrap_or("").to_owned();
                let what = match self.update_name {
                    Some(name) => format!("update {name:?} ({:?})", self.update_id),
                    None => format!("update {:?}", self.update_id),
                };
                let mut error = Error::new(
                    ErrorKind::UpdateFailed,
                    format!("workflow {:?}: {what} failed: {message}", self.workflow_id),
                )
                .with_detail("workflow_id", self.workflow_id)
                .with_detail("update_id", self.update_id)
                .with_detail("failure", failure);
                if let Some(name) = self.update_name {
                    error = error.with_detail("update_name", name);
                }
                Err(error)
            }
            None => Err(Error::internal(format!(
                "workflow {:?}: update {:?} has an empty outcome",
                self.workflow_id, self.update_id
            ))),
        }
    }
}

fn wait_policy(stage: Stage) -> Option<WaitPolicy> {
    Some(WaitPolicy {
        lifecycle_stage: stage as i32,
    })
}

fn reached(stage: i32, wanted: Stage) -> bool {
    stage >= wanted as i32
}

impl Client {
    /// Sends an update and waits until it is accepted or completed (see
    /// [`ExecuteUpdateRequest::wait_for_stage`]). A completed update gives its
    /// result; a rejected or failed one is an `update_failed` error.
    pub async fn execute_update(
        &self,
        request: &ExecuteUpdateRequest,
        call: &CallOptions,
    ) -> Result<UpdateResponse> {
        require("workflow_id", &request.workflow_id)?;
        require("update_name", &request.update_name)?;
        let update_id = non_empty(&request.update_id).unwrap_or_else(new_request_id);
        let args = encode_args(&request.args, request.raw_args.as_deref())?;
        let wanted = match request.wait_for_stage {
            UpdateWaitStage::Accepted => Stage::Accepted,
            UpdateWaitStage::Completed => Stage::Completed,
        };
        let message = UpdateWorkflowExecutionRequest {
            namespace: self.namespace().to_owned(),
            workflow_execution: Some(execution(&request.workflow_id, &request.run_id)),
            first_execution_run_id: non_empty(&request.first_execution_run_id).unwrap_or_default(),
            wait_policy: wait_policy(wanted),
            request: Some(ProtoUpdateRequest {
                meta: Some(Meta {
                    update_id: update_id.clone(),
                    identity: self.identity().to_owned(),
                }),
                input: Some(Input {
                    header: to_header(request.header.as_ref(), request.trace_context.as_ref())?,
                    name: request.update_name.clone(),
                    args,
                }),
                request_id: new_request_id(),
                ..Default::default()
            }),
        };
        let target = UpdateTarget {
            workflow_id: &request.workflow_id,
            update_id: &update_id,
            update_name: Some(&request.update_name),
            raw: request.raw,
        };
        let target = &target;
        let update_id = update_id.as_str();
        let as_stored = request.raw && !request.decode;
        self.scoped(call, |scope| async move {
            let scope = scope.replies_as_stored(as_stored);
            // The server answers by its own deadline with the stage reached so
            // far. Until a worker accepted the update, re-sending it (same
            // update ID) is how to keep waiting; once accepted, the outcome is
            // polled for.
            let mut repolls = Repolls::new();
            let (run_id, update_ref) = loop {
                let response = self
                    .rpc(
                        scope,
                        RpcKind::Patient,
                        message.clone(),
                        method::update_workflow_execution,
                    )
                    .await?;
                let run_id = response
                    .update_ref
                    .as_ref()
                    .and_then(|u| u.workflow_execution.as_ref())
                    .map(|e| e.run_id.clone())
                    .filter(|r| !r.is_empty());
                if let Some(outcome) = response.outcome {
                    return target.finish(run_id, outcome);
                }
                if reached(response.stage, Stage::Accepted) {
                    break (run_id, response.update_ref);
                }
                repolls.pace(self).await;
            };
            if wanted == Stage::Accepted {
                return Ok(UpdateResponse {
                    update_id: update_id.to_owned(),
                    run_id,
                    result: None,
                    payloads: None,
                });
            }
            let update_ref = update_ref.unwrap_or_else(|| UpdateRef {
                workflow_execution: Some(execution(&request.workflow_id, &request.run_id)),
                update_id: update_id.to_owned(),
            });
            self.poll_update(scope, update_ref, target).await
        })
        .await
        .map_err(|e| match e.kind() {
            ErrorKind::UpdateFailed => e,
            _ => about_workflow(&request.workflow_id)(e).with_detail("update_id", update_id),
        })
    }

    /// Waits for the outcome of an update sent earlier (by this or any other
    /// process): its result, or an `update_failed` error.
    pub async fn get_update_result(
        &self,
        request: &GetUpdateResultRequest,
        call: &CallOptions,
    ) -> Result<UpdateResponse> {
        require("workflow_id", &request.workflow_id)?;
        require("update_id", &request.update_id)?;
        let target = UpdateTarget {
            workflow_id: &request.workflow_id,
            update_id: &request.update_id,
            update_name: None,
            raw: request.raw,
        };
        let update_ref = UpdateRef {
            workflow_execution: Some(execution(&request.workflow_id, &request.run_id)),
            update_id: request.update_id.clone(),
        };
        let as_stored = request.raw && !request.decode;
        self.scoped(call, |scope| {
            self.poll_update(scope.replies_as_stored(as_stored), update_ref, &target)
        })
        .await
        .map_err(|e| match e.kind() {
            ErrorKind::UpdateFailed => e,
            _ => about_workflow(&request.workflow_id)(e)
                .with_detail("update_id", request.update_id.as_str()),
        })
    }

    /// Long-polls an update until it has an outcome. The server ends each poll
    /// by its own deadline, without an outcome if the handler still runs.
    async fn poll_update(
        &self,
        scope: CallScope,
        update_ref: UpdateRef,
        target: &UpdateTarget<'_>,
    ) -> Result<UpdateResponse> {
        let message = PollWorkflowExecutionUpdateRequest {
            namespace: self.namespace().to_owned(),
            update_ref: Some(update_ref),
            identity: self.identity().to_owned(),
            wait_policy: wait_policy(Stage::Completed),
        };
        let mut repolls = Repolls::new();
        loop {
            let response = self
                .rpc(
                    scope,
                    RpcKind::Patient,
                    message.clone(),
                    method::poll_workflow_execution_update,
                )
                .await?;
            if let Some(outcome) = response.outcome {
                let run_id = response
                    .update_ref
                    .and_then(|u| u.workflow_execution)
                    .map(|e| e.run_id)
                    .filter(|r| !r.is_empty());
                return target.finish(run_id, outcome);
            }
            repolls.pace(self).await;
        }
    }
}

impl crate::workflow::WorkflowHandle {
    fn update_request(
        &self,
        update_name: String,
        args: Vec<Value>,
        wait_for_stage: UpdateWaitStage,
    ) -> ExecuteUpdateRequest {
        ExecuteUpdateRequest {
            workflow_id: self.workflow_id.clone(),
            run_id: self.target_run_id.clone(),
            first_execution_run_id: self.first_execution_run_id.clone(),
            update_name,
            args,
            wait_for_stage,
            ..Default::default()
        }
    }

    /// Sends an update and waits for its result (see [`Client::execute_update`]).
    pub async fn execute_update(
        &self,
        update_name: impl Into<String>,
        args: Vec<Value>,
        call: &CallOptions,
    ) -> Result<UpdateResponse> {
        let request = self.update_request(update_name.into(), args, UpdateWaitStage::Completed);
        self.client.execute_update(&request, call).await
    }

    /// Sends an update and returns once it is accepted; fetch its outcome
    /// later with [`WorkflowHandle::update_result`](crate::WorkflowHandle::update_result).
    pub async fn start_update(
        &self,
        update_name: impl Into<String>,
        args: Vec<Value>,
        call: &CallOptions,
    ) -> Result<UpdateResponse> {
        let request = self.update_request(update_name.into(), args, UpdateWaitStage::Accepted);
        self.client.execute_update(&request, call).await
    }

    /// Waits for the outcome of an update (see [`Client::get_update_result`]).
    pub async fn update_result(
        &self,
        update_id: impl Into<String>,
        call: &CallOptions,
    ) -> Result<UpdateResponse> {
        let request = GetUpdateResultRequest {
            workflow_id: self.workflow_id.clone(),
            run_id: self.target_run_id.clone(),
            update_id: update_id.into(),
            raw: false,
            decode: false,
        };
        self.client.get_update_result(&request, call).await
    }
}
