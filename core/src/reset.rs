//! Resetting a workflow: its current run (or a given one) is terminated and
//! a new run starts from a point of its history — the first or the last
//! completed workflow task, or a given event — replaying everything before
//! that point and running the workflow's code again from there. Signals
//! received after the point are applied to the new run unless the caller
//! says not to.

use crate::client::{CallOptions, Client, RpcKind};
use crate::error::{Error, Result};
use crate::fields::{about_workflow, execution, new_request_id, non_empty, require};
use crate::history::FetchHistoryRequest;
use crate::json_text::{names_in_any_case, names_in_any_case_schema};
use crate::transport::method;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use temporalio_protos::temporal::api::enums::v1::{
    EventType, ResetReapplyExcludeType, ResetReapplyType,
};
use temporalio_protos::temporal::api::history::v1::HistoryEvent;
use temporalio_protos::temporal::api::workflowservice::v1::ResetWorkflowExecutionRequest;

/// Which completed workflow task a reset goes back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(transform = names_in_any_case_schema)]
pub enum ResetType {
    /// The first: the workflow runs again from its start (its input kept).
    FirstWorkflowTask,
    /// The last: the workflow's latest step runs again.
    #[default]
    LastWorkflowTask,
}

names_in_any_case!(ResetType {
    FirstWorkflowTask = "first_workflow_task",
    LastWorkflowTask = "last_workflow_task",
});

/// Request of `reset_workflow`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetWorkflowRequest {
    /// Workflow ID.
    pub workflow_id: String,
    /// Run to reset; the latest run when absent.
    #[serde(default)]
    pub run_id: Option<String>,
    /// Where to reset to, by kind (the default: `last_workflow_task`).
    #[serde(default)]
    pub reset_type: Option<ResetType>,
    /// Where to reset to, exactly: the ID of a `WorkflowTaskCompleted`,
    /// `WorkflowTaskFailed`, `WorkflowTaskTimedOut` or `WorkflowTaskStarted`
    /// event. Not together with `reset_type`.
    #[serde(default)]
    pub event_id: Option<i64>,
    /// Reason recorded in the history.
    #[serde(default)]
    pub reason: Option<String>,
    /// Idempotency key; generated once and reused across retries when absent.
    #[serde(default)]
    pub request_id: Option<String>,
    /// Apply signals received after the reset point to the new run (default true).
    #[serde(default = "reapply_by_default")]
    pub reapply_signals: bool,
}

fn reapply_by_default() -> bool {
    true
}

/// Response of `reset_workflow`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResetWorkflowResponse {
    /// Workflow ID.
    pub workflow_id: String,
    /// The new run, which continues from the reset point.
    pub run_id: String,
    /// The event the reset went back to.
    pub event_id: i64,
}

/// The event ID a reset of `kind` goes back to, from a run's events.
fn reset_point(events: &[HistoryEvent], kind: ResetType) -> Option<i64> {
    let mut completed = events
        .iter()
        .filter(|e| e.event_type == EventType::WorkflowTaskCompleted as i32)
        .map(|e| e.event_id);
    match kind {
        ResetType::FirstWorkflowTask => completed.next(),
        ResetType::LastWorkflowTask => completed.next_back(),
    }
}

impl Client {
    /// Resets a workflow (see the module documentation). Returns the new run.
    pub async fn reset_workflow(
        &self,
        request: &ResetWorkflowRequest,
        call: &CallOptions,
    ) -> Result<ResetWorkflowResponse> {
        require("workflow_id", &request.workflow_id)?;
        if request.reset_type.is_some() && request.event_id.is_some() {
            return Err(Error::invalid_argument(
                "reset_workflow takes reset_type or event_id, not both",
            )
            .with_detail("field", "event_id"));
        }
        if request.event_id.is_some_and(|id| id <= 0) {
            return Err(
                Error::invalid_argument("event_id must be a positive event ID")
                    .with_detail("field", "event_id"),
            );
        }
        let workflow_id = request.workflow_id.as_str();
        // One ID per logical reset, reused by retries.
        let request_id = non_empty(&request.request_id).unwrap_or_else(new_request_id);
        self.scoped(call, |scope| async move {
            let event_id = match request.event_id {
                Some(id) => id,
                None => {
                    let kind = request.reset_type.unwrap_or_default();
                    let history = FetchHistoryRequest {
                        workflow_id: workflow_id.to_owned(),
                        run_id: request.run_id.clone(),
                        wait_for_close: false,
                        decode: false,
                    };
                    let events = self.history_events(scope, &history).await?;
                    reset_point(&events, kind).ok_or_else(|| {
                        Error::invalid_argument(format!(
                            "the run has no completed workflow task to reset to ({kind:?})"
                        ))
                    })?
                }
            };
            let (reapply, excluded) = if request.reapply_signals {
                (ResetReapplyType::Signal, vec![])
            } else {
                (
                    ResetReapplyType::None,
                    vec![ResetReapplyExcludeType::Signal as i32],
                )
            };
            #[allow(deprecated)] // still read by servers that predate the exclude list
            let message = ResetWorkflowExecutionRequest {
                namespace: self.namespace().to_owned(),
                workflow_execution: Some(execution(workflow_id, &request.run_id)),
                reason: request.reason.clone().unwrap_or_default(),
                workflow_task_finish_event_id: event_id,
                request_id,
                reset_reapply_type: reapply as i32,
                reset_reapply_exclude_types: excluded,
                identity: self.identity().to_owned(),
                ..Default::default()
            };
            let response = self
                .rpc(
                    scope,
                    RpcKind::Ordinary,
                    message,
                    method::reset_workflow_execution,
                )
                .await?;
            Ok(ResetWorkflowResponse {
                workflow_id: workflow_id.to_owned(),
                run_id: response.run_id,
                event_id,
            })
        })
        .await
        .map_err(about_workflow(workflow_id))
    }
}

impl crate::workflow::WorkflowHandle {
    /// Resets the workflow (see [`Client::reset_workflow`]); the handle's
    /// run, when pinned, is the one reset.
    pub async fn reset(
        &self,
        reset_type: Option<ResetType>,
        event_id: Option<i64>,
        reason: Option<String>,
        call: &CallOptions,
    ) -> Result<ResetWorkflowResponse> {
        let request = ResetWorkflowRequest {
            workflow_id: self.workflow_id.clone(),
            run_id: self.target_run_id.clone(),
            reset_type,
            event_id,
            reason,
            request_id: None,
            reapply_signals: true,
        };
        self.client.reset_workflow(&request, call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reset_points_are_the_first_or_last_completed_workflow_task() {
        let event = |event_id, kind: EventType| HistoryEvent {
            event_id,
            event_type: kind as i32,
            ..Default::default()
        };
        let events = [
            event(1, EventType::WorkflowExecutionStarted),
            event(2, EventType::WorkflowTaskScheduled),
            event(3, EventType::WorkflowTaskStarted),
            event(4, EventType::WorkflowTaskCompleted),
            event(5, EventType::ActivityTaskScheduled),
            event(8, EventType::WorkflowTaskCompleted),
            event(9, EventType::WorkflowExecutionFailed),
        ];
        assert_eq!(reset_point(&events, ResetType::FirstWorkflowTask), Some(4));
        assert_eq!(reset_point(&events, ResetType::LastWorkflowTask), Some(8));
        assert_eq!(reset_point(&events[..3], ResetType::LastWorkflowTask), None);
    }
}
