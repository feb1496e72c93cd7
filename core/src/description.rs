//! What the client says about a workflow execution, as typed responses: the
//! summary every listed execution has (`list_workflows`), and the full
//! description (`describe_workflow`) — the summary plus timeouts, sizes and
//! what is pending. Times are RFC 3339 strings, durations seconds, statuses
//! and states lower-case names; memo and search attributes are JSON values
//! (raw payloads in raw mode).

use crate::duration::{proto_seconds, timestamp_json};
use crate::payload::{
    failure_to_json, payload_map_to_json, payloads_to_json, strip_enum_prefix, workflow_status_name,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use temporalio_protos::temporal::api::enums::v1::PendingActivityState;
use temporalio_protos::temporal::api::workflow::v1::{
    PendingActivityInfo, PendingChildExecutionInfo, WorkflowExecutionInfo,
};
use temporalio_protos::temporal::api::workflowservice::v1::DescribeWorkflowExecutionResponse;

/// A workflow execution as listed (and as the start of its description).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WorkflowSummary {
    /// Workflow ID.
    pub workflow_id: String,
    /// Run ID.
    pub run_id: String,
    /// Workflow type name.
    pub workflow_type: Option<String>,
    /// `running`, `completed`, `failed`, `canceled`, `terminated`,
    /// `continued_as_new` or `timed_out`.
    pub status: String,
    /// When the run started.
    pub start_time: Option<String>,
    /// When the run began executing (after any start delay or cron wait).
    pub execution_time: Option<String>,
    /// When the run closed.
    pub close_time: Option<String>,
    /// Task queue.
    pub task_queue: String,
    /// Events in the run's history.
    pub history_length: i64,
    /// Memo, JSON values by key.
    pub memo: Map<String, Value>,
    /// Search attributes, JSON values by name.
    pub search_attributes: Map<String, Value>,
    /// The parent workflow, for a child workflow.
    pub parent: Option<ExecutionRef>,
}

/// A workflow execution named by its IDs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ExecutionRef {
    /// Workflow ID.
    pub workflow_id: String,
    /// Run ID.
    pub run_id: String,
}

/// Response of `describe_workflow`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct WorkflowDescription {
    /// What a listing says about the run.
    #[serde(flatten)]
    pub summary: WorkflowSummary,
    /// Size of the run's history in bytes.
    pub history_size_bytes: i64,
    /// The first run of the chain this run belongs to.
    pub first_run_id: String,
    /// Whether cancellation was requested.
    pub cancel_requested: bool,
    /// Execution timeout in seconds, if any.
    pub execution_timeout: Option<f64>,
    /// Run timeout in seconds, if any.
    pub run_timeout: Option<f64>,
    /// Workflow task timeout in seconds.
    pub task_timeout: Option<f64>,
    /// Activities scheduled and not finished.
    pub pending_activities: Vec<PendingActivity>,
    /// Child workflows started and not closed.
    pub pending_children: Vec<PendingChild>,
}

/// An activity of a described workflow that has not finished.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PendingActivity {
    /// Activity ID.
    pub activity_id: String,
    /// Activity type name.
    pub activity_type: Option<String>,
    /// `scheduled`, `started`, `cancel_requested`, `paused`, ...
    pub state: String,
    /// The current attempt (1 for the first).
    pub attempt: i32,
    /// Attempts allowed by its retry policy (0: unlimited).
    pub maximum_attempts: i32,
    /// When the current attempt was scheduled.
    pub scheduled_time: Option<String>,
    /// When the last attempt started.
    pub last_started_time: Option<String>,
    /// When it last heartbeat.
    pub last_heartbeat_time: Option<String>,
    /// Details of its last heartbeat.
    pub heartbeat_details: Value,
    /// How its last attempt failed, if it did.
    pub last_failure: Option<Value>,
    /// The worker that ran its last attempt.
    pub last_worker_identity: String,
}

/// A child workflow of a described workflow that has not closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PendingChild {
    /// Workflow ID of the child.
    pub workflow_id: String,
    /// Run ID of the child.
    pub run_id: String,
    /// Workflow type name of the child.
    pub workflow_type: String,
}

fn time(ts: &Option<prost_wkt_types::Timestamp>) -> Option<String> {
    match timestamp_json(ts) {
        Value::String(text) => Some(text),
        _ => None,
    }
}

fn payload_map(
    fields: Option<
        &std::collections::HashMap<String, temporalio_protos::temporal::api::common::v1::Payload>,
    >,
    raw: bool,
) -> Map<String, Value> {
    match fields.map(|f| payload_map_to_json(f, raw)) {
        Some(Value::Object(map)) => map,
        _ => Map::new(),
    }
}

impl WorkflowSummary {
    pub(crate) fn from_proto(info: &WorkflowExecutionInfo, raw: bool) -> WorkflowSummary {
        let execution = info.execution.clone().unwrap_or_default();
        WorkflowSummary {
            workflow_id: execution.workflow_id,
            run_id: execution.run_id,
            workflow_type: info.r#type.as_ref().map(|t| t.name.clone()),
            status: workflow_status_name(info.status),
            start_time: time(&info.start_time),
            execution_time: time(&info.execution_time),
            close_time: time(&info.close_time),
            task_queue: info.task_queue.clone(),
            history_length: info.history_length,
            memo: payload_map(info.memo.as_ref().map(|m| &m.fields), raw),
            search_attributes: payload_map(
                info.search_attributes.as_ref().map(|s| &s.indexed_fields),
                raw,
            ),
            parent: info.parent_execution.as_ref().map(|p| ExecutionRef {
                workflow_id: p.workflow_id.clone(),
                run_id: p.run_id.clone(),
            }),
        }
    }
}

impl PendingActivity {
    fn from_proto(activity: &PendingActivityInfo, raw: bool) -> PendingActivity {
        PendingActivity {
            activity_id: activity.activity_id.clone(),
            activity_type: activity.activity_type.as_ref().map(|t| t.name.clone()),
            state: PendingActivityState::try_from(activity.state)
                .map(|s| strip_enum_prefix(s.as_str_name(), "PENDING_ACTIVITY_STATE_"))
                .unwrap_or_default(),
            attempt: activity.attempt,
            maximum_attempts: activity.maximum_attempts,
            scheduled_time: time(&activity.scheduled_time),
            last_started_time: time(&activity.last_started_time),
            last_heartbeat_time: time(&activity.last_heartbeat_time),
            heartbeat_details: payloads_to_json(activity.heartbeat_details.as_ref(), raw),
            last_failure: activity
                .last_failure
                .as_ref()
                .map(|f| failure_to_json(f, raw)),
            last_worker_identity: activity.last_worker_identity.clone(),
        }
    }
}

impl PendingChild {
    fn from_proto(child: &PendingChildExecutionInfo) -> PendingChild {
        PendingChild {
            workflow_id: child.workflow_id.clone(),
            run_id: child.run_id.clone(),
            workflow_type: child.workflow_type_name.clone(),
        }
    }
}

impl WorkflowDescription {
    pub(crate) fn from_proto(
        response: &DescribeWorkflowExecutionResponse,
        raw: bool,
    ) -> WorkflowDescription {
        let info = response.workflow_execution_info.clone().unwrap_or_default();
        let config = response.execution_config.clone().unwrap_or_default();
        let seconds = |d: &Option<prost_wkt_types::Duration>| d.as_ref().map(proto_seconds);
        WorkflowDescription {
            summary: WorkflowSummary::from_proto(&info, raw),
            history_size_bytes: info.history_size_bytes,
            first_run_id: info.first_run_id.clone(),
            cancel_requested: response
                .workflow_extended_info
                .as_ref()
                .is_some_and(|e| e.cancel_requested),
            execution_timeout: seconds(&config.workflow_execution_timeout),
            run_timeout: seconds(&config.workflow_run_timeout),
            task_timeout: seconds(&config.default_workflow_task_timeout),
            pending_activities: response
                .pending_activities
                .iter()
                .map(|a| PendingActivity::from_proto(a, raw))
                .collect(),
            pending_children: response
                .pending_children
                .iter()
                .map(PendingChild::from_proto)
                .collect(),
        }
    }
}
