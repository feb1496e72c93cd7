//! Signals and queries: sending a named message into a running workflow, and
//! asking a workflow (running or closed) a named question answered by its
//! worker. A query that fails on the worker, or has no handler there, is a
//! `query_failed` error; one refused by its reject condition is
//! `query_rejected`. Signal-with-start lives with `start_workflow`.

use crate::client::{CallOptions, Client, RpcKind};
use crate::error::{Error, ErrorKind, Quoted, Result};
use crate::fields::{about_workflow, execution, new_request_id, non_empty, require};
use crate::header::{to_header, TraceContext};
use crate::json_text::{names_in_any_case, names_in_any_case_schema};
use crate::payload::{encode_args, raw_payloads, single_value, workflow_status_name, RawPayload};
use crate::transport::method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use temporalio_protos::temporal::api::enums::v1::QueryRejectCondition;
use temporalio_protos::temporal::api::query::v1::WorkflowQuery;
use temporalio_protos::temporal::api::workflowservice::v1::{
    QueryWorkflowRequest as ProtoQueryRequest, SignalWorkflowExecutionRequest,
};

/// Request of `signal_workflow`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalWorkflowRequest {
    /// Workflow ID.
    pub workflow_id: String,
    /// Run to signal; the latest run when absent.
    #[serde(default)]
    pub run_id: Option<String>,
    /// Signal name, as the workflow registered it.
    pub signal_name: String,
    /// Arguments; each becomes one `json/plain` payload.
    #[serde(default)]
    pub args: Vec<Value>,
    /// Arguments as raw payloads (instead of `args`), passed through untouched.
    #[serde(default)]
    pub raw_args: Option<Vec<RawPayload>>,
    /// Idempotency key; generated once and reused across retries when absent,
    /// so a retried signal is delivered once.
    #[serde(default)]
    pub request_id: Option<String>,
    /// Temporal header (see [`StartWorkflowRequest::header`](crate::StartWorkflowRequest::header)).
    #[serde(default)]
    pub header: Option<Map<String, Value>>,
    /// W3C trace context for the worker's tracing interceptor.
    #[serde(default)]
    pub trace_context: Option<TraceContext>,
}

/// When a query is refused instead of being run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(transform = names_in_any_case_schema)]
pub enum QueryRejectConditionSetting {
    /// Never refuse (the default).
    None,
    /// Refuse unless the workflow is running.
    NotOpen,
    /// Refuse unless the workflow is running or completed successfully.
    NotCompletedCleanly,
}

names_in_any_case!(QueryRejectConditionSetting {
    None = "none",
    NotOpen = "not_open",
    NotCompletedCleanly = "not_completed_cleanly",
});

/// Request of `query_workflow`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryWorkflowRequest {
    /// Workflow ID.
    pub workflow_id: String,
    /// Run to query; the latest run when absent.
    #[serde(default)]
    pub run_id: Option<String>,
    /// Query name, as the workflow registered it.
    pub query_type: String,
    /// Arguments; each becomes one `json/plain` payload.
    #[serde(default)]
    pub args: Vec<Value>,
    /// Arguments as raw payloads (instead of `args`), passed through untouched.
    #[serde(default)]
    pub raw_args: Option<Vec<RawPayload>>,
    /// Refuse the query (`query_rejected`) depending on the workflow's status.
    #[serde(default)]
    pub reject_condition: Option<QueryRejectConditionSetting>,
    /// Return the answer as raw payloads instead of decoded JSON.
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

/// Response of `query_workflow`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct QueryWorkflowResponse {
    /// The decoded answer (`null` when the handler returned nothing, an array
    /// when it returned several payloads). Absent in raw mode.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub result: Option<Value>,
    /// The answer as raw payloads, in raw mode only.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub payloads: Option<Vec<RawPayload>>,
}

impl Client {
    /// Sends a signal to a workflow. Returns once the server has recorded it
    /// (not once the workflow has handled it).
    pub async fn signal_workflow(
        &self,
        request: &SignalWorkflowRequest,
        call: &CallOptions,
    ) -> Result<()> {
        require("workflow_id", &request.workflow_id)?;
        require("signal_name", &request.signal_name)?;
        let message = SignalWorkflowExecutionRequest {
            namespace: self.namespace().to_owned(),
            workflow_execution: Some(execution(&request.workflow_id, &request.run_id)),
            signal_name: request.signal_name.clone(),
            input: encode_args(&request.args, request.raw_args.as_deref())?,
            identity: self.identity().to_owned(),
            // Generated once, outside the retry loop: the server drops a
            // retried signal that it already recorded.
            request_id: non_empty(&request.request_id).unwrap_or_else(new_request_id),
            header: to_header(request.header.as_ref(), request.trace_context.as_ref())?,
            ..Default::default()
        };
        self.scoped(call, |scope| {
            self.rpc(
                scope,
                RpcKind::Ordinary,
                message,
                method::signal_workflow_execution,
            )
        })
        .await
        .map(|_| ())
        .map_err(about_workflow(&request.workflow_id))
    }

    /// Queries a workflow. The worker runs the query handler against the
    /// workflow's current state (for a closed workflow, its final state).
    pub async fn query_workflow(
        &self,
        request: &QueryWorkflowRequest,
        call: &CallOptions,
    ) -> Result<QueryWorkflowResponse> {
        require("workflow_id", &request.workflow_id)?;
        require("query_type", &request.query_type)?;
        let condition = match request.reject_condition {
            None => QueryRejectCondition::Unspecified,
            Some(QueryRejectConditionSetting::None) => QueryRejectCondition::None,
            Some(QueryRejectConditionSetting::NotOpen) => QueryRejectCondition::NotOpen,
            Some(QueryRejectConditionSetting::NotCompletedCleanly) => {
                QueryRejectCondition::NotCompletedCleanly
            }
        };
        let message = ProtoQueryRequest {
            namespace: self.namespace().to_owned(),
            execution: Some(execution(&request.workflow_id, &request.run_id)),
            query: Some(WorkflowQuery {
                query_type: request.query_type.clone(),
                query_args: encode_args(&request.args, request.raw_args.as_deref())?,
                header: to_header(request.header.as_ref(), request.trace_context.as_ref())?,
            }),
            query_reject_condition: condition as i32,
        };
        let workflow_id = request.workflow_id.as_str();
        let response = self
            .scoped(call, |scope| {
                let scope = scope.replies_as_stored(request.raw && !request.decode);
                self.rpc(scope, RpcKind::Ordinary, message, method::query_workflow)
            })
            .await
            .map_err(|e| {
                let e = if e.kind() == ErrorKind::QueryFailed {
                    e.with_detail("query_type", request.query_type.as_str())
                } else {
                    e
                };
                about_workflow(workflow_id)(e)
            })?;
        if let Some(rejected) = response.query_rejected {
            let status = workflow_status_name(rejected.status);
            return Err(Error::new(
                ErrorKind::QueryRejected,
                format!(
                    "workflow {}: query {} rejected: the workflow is {status}",
                    Quoted(workflow_id),
                    Quoted(&request.query_type)
                ),
            )
            .with_detail("workflow_id", workflow_id)
            .with_detail("query_type", request.query_type.as_str())
            .with_detail("status", status));
        }
        let answer = response.query_result.as_ref();
        Ok(if request.raw {
            QueryWorkflowResponse {
                result: None,
                payloads: Some(raw_payloads(answer)),
            }
        } else {
            QueryWorkflowResponse {
                result: Some(single_value(answer)),
                payloads: None,
            }
        })
    }
}

impl crate::workflow::WorkflowHandle {
    /// Sends a signal (see [`Client::signal_workflow`]).
    pub async fn signal(
        &self,
        signal_name: impl Into<String>,
        args: Vec<Value>,
        call: &CallOptions,
    ) -> Result<()> {
        let request = SignalWorkflowRequest {
            workflow_id: self.workflow_id.clone(),
            run_id: self.target_run_id.clone(),
            signal_name: signal_name.into(),
            args,
            ..Default::default()
        };
        self.client.signal_workflow(&request, call).await
    }

    /// Queries the workflow and returns the decoded answer (see
    /// [`Client::query_workflow`]).
    pub async fn query(
        &self,
        query_type: impl Into<String>,
        args: Vec<Value>,
        call: &CallOptions,
    ) -> Result<Value> {
        let request = QueryWorkflowRequest {
            workflow_id: self.workflow_id.clone(),
            run_id: self.target_run_id.clone(),
            query_type: query_type.into(),
            args,
            ..Default::default()
        };
        let response = self.client.query_workflow(&request, call).await?;
        Ok(response.result.unwrap_or(Value::Null))
    }
}
