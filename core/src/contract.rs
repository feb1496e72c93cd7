//! The JSON contract: one entry point, [`Client::call_json`], taking an
//! operation name and a JSON request and giving back a JSON response
//! ([`Client::call_value`] is the same with the JSON already parsed, for a
//! binding that builds values directly). Both bindings forward to it, so C,
//! C++, Python and any other language behave identically by construction. Requests are strict: malformed JSON, unknown
//! fields, wrong types and missing fields are `invalid_argument` errors that
//! name the field.

use crate::activity_completion::{
    CompleteActivityRequest, FailActivityRequest, HeartbeatActivityRequest,
    ReportActivityCancellationRequest,
};
use crate::batch::{BatchWorkflowsRequest, WaitBatchOperationRequest};
use crate::client::{CallOptions, Client};
use crate::duration::JsonDuration;
use crate::error::{Error, Result};
use crate::history::FetchHistoryRequest;
use crate::json_text::parse_json_text;
use crate::signal_query::{QueryWorkflowRequest, SignalWorkflowRequest};
use crate::update::{ExecuteUpdateRequest, GetUpdateResultRequest};
use crate::visibility::{CountWorkflowsRequest, ListWorkflowsRequest};
use crate::workflow::{
    CancelWorkflowRequest, DescribeWorkflowRequest, GetResultRequest, StartWorkflowRequest,
    TerminateWorkflowRequest,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Every operation name `call_json` accepts.
pub const OPERATIONS: &[&str] = &[
    "start_workflow",
    "get_workflow_result",
    "cancel_workflow",
    "terminate_workflow",
    "describe_workflow",
    "signal_workflow",
    "query_workflow",
    "execute_update",
    "get_update_result",
    "list_workflows",
    "count_workflows",
    "fetch_history",
    "complete_activity",
    "fail_activity",
    "report_activity_cancellation",
    "heartbeat_activity",
    "batch_cancel_workflows",
    "batch_terminate_workflows",
    "wait_batch_operation",
];

/// The request field every operation accepts besides its own: the call's
/// overall deadline (a duration), retries included.
pub const CALL_TIMEOUT_FIELD: &str = "call_timeout";

/// Parses a JSON object strictly into `T`, naming the offending field.
pub fn parse_strict<T: DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    parse_value(parse_json_text(text, what)?, what)
}

fn parse_value<T: DeserializeOwned>(value: Value, what: impl std::fmt::Display) -> Result<T> {
    if !value.is_object() {
        return Err(Error::invalid_argument(format!(
            "{what} must be a JSON object, got {}",
            json_type_name(&value)
        )));
    }
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = if path == "." || path.is_empty() {
            format!("invalid {what}: {inner}")
        } else {
            format!("invalid {what}: field `{path}`: {inner}")
        };
        let mut error = Error::invalid_argument(message);
        if path != "." && !path.is_empty() {
            error = error.with_detail("field", path);
        }
        error
    })
}

pub(crate) fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A request's JSON text, parsed (not yet checked against its operation).
fn parse_text(operation: &str, text: &str) -> Result<Value> {
    parse_json_text(text, RequestName(operation))
}

/// [`parse_request_value`] from JSON text.
#[cfg(test)]
fn parse_request<T: DeserializeOwned>(
    operation: &str,
    text: &str,
) -> Result<(T, Option<JsonDuration>)> {
    parse_request_value(operation, parse_text(operation, text)?)
}

/// Splits the common `call_timeout` field off a request and parses the rest.
fn parse_request_value<T: DeserializeOwned>(
    operation: &str,
    mut value: Value,
) -> Result<(T, Option<JsonDuration>)> {
    // Named only when something is wrong.
    let what = RequestName(operation);
    let timeout = match value
        .as_object_mut()
        .and_then(|o| o.remove(CALL_TIMEOUT_FIELD))
    {
        None | Some(Value::Null) => None,
        Some(raw) => Some(serde_json::from_value::<JsonDuration>(raw).map_err(|e| {
            Error::invalid_argument(format!("invalid {what}: field `{CALL_TIMEOUT_FIELD}`: {e}"))
                .with_detail("field", CALL_TIMEOUT_FIELD)
        })?),
    };
    Ok((parse_value(value, what)?, timeout))
}

/// "<operation> request", for error messages.
#[derive(Clone, Copy)]
struct RequestName<'a>(&'a str);

impl std::fmt::Display for RequestName<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} request", self.0)
    }
}

/// How responses leave the dispatcher: as JSON text, or as parsed values.
trait Responses {
    type Out;
    fn encode<T: Serialize>(response: &T) -> Result<Self::Out>;
}

struct AsText;

impl Responses for AsText {
    type Out = String;
    fn encode<T: Serialize>(response: &T) -> Result<String> {
        serde_json::to_string(response).map_err(encode_error)
    }
}

struct AsValue;

impl Responses for AsValue {
    type Out = Value;
    fn encode<T: Serialize>(response: &T) -> Result<Value> {
        serde_json::to_value(response).map_err(encode_error)
    }
}

fn encode_error(error: serde_json::Error) -> Error {
    Error::internal(format!("could not encode response: {error}"))
}

/// The response of operations that return nothing: `{}`.
#[derive(Serialize)]
struct Empty {}

fn unknown_operation(operation: &str) -> Error {
    Error::invalid_argument(format!(
        "unknown operation {operation:?}; known operations: {}",
        OPERATIONS.join(", ")
    ))
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
            return Err(unknown_operation(operation));
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

    async fn dispatch<R: Responses>(
        &self,
        operation: &str,
        request: Value,
        base: &CallOptions,
    ) -> Result<R::Out> {
        let call = |timeout: Option<JsonDuration>| CallOptions {
            timeout: timeout.map(|t| t.0).or(base.timeout),
            cancel: base.cancel.clone(),
        };
        // Each operation's future is boxed, so this one stays small (rather
        // than as large as the largest of them) and is cheap to move.
        match operation {
            "start_workflow" => {
                let (req, timeout) =
                    parse_request_value::<StartWorkflowRequest>(operation, request)?;
                R::encode(&Box::pin(self.start_workflow(&req, &call(timeout))).await?)
            }
            "get_workflow_result" => {
                let (req, timeout) = parse_request_value::<GetResultRequest>(operation, request)?;
                R::encode(&Box::pin(self.get_workflow_result(&req, &call(timeout))).await?)
            }
            "cancel_workflow" => {
                let (req, timeout) =
                    parse_request_value::<CancelWorkflowRequest>(operation, request)?;
                Box::pin(self.cancel_workflow(&req, &call(timeout))).await?;
                R::encode(&Empty {})
            }
            "terminate_workflow" => {
                let (req, timeout) =
                    parse_request_value::<TerminateWorkflowRequest>(operation, request)?;
                Box::pin(self.terminate_workflow(&req, &call(timeout))).await?;
                R::encode(&Empty {})
            }
            "describe_workflow" => {
                let (req, timeout) =
                    parse_request_value::<DescribeWorkflowRequest>(operation, request)?;
                R::encode(&Box::pin(self.describe_workflow(&req, &call(timeout))).await?)
            }
            "signal_workflow" => {
                let (req, timeout) =
                    parse_request_value::<SignalWorkflowRequest>(operation, request)?;
                Box::pin(self.signal_workflow(&req, &call(timeout))).await?;
                R::encode(&Empty {})
            }
            "query_workflow" => {
                let (req, timeout) =
                    parse_request_value::<QueryWorkflowRequest>(operation, request)?;
                R::encode(&Box::pin(self.query_workflow(&req, &call(timeout))).await?)
            }
            "execute_update" => {
                let (req, timeout) =
                    parse_request_value::<ExecuteUpdateRequest>(operation, request)?;
                R::encode(&Box::pin(self.execute_update(&req, &call(timeout))).await?)
            }
            "get_update_result" => {
                let (req, timeout) =
                    parse_request_value::<GetUpdateResultRequest>(operation, request)?;
                R::encode(&Box::pin(self.get_update_result(&req, &call(timeout))).await?)
            }
            "list_workflows" => {
                let (req, timeout) =
                    parse_request_value::<ListWorkflowsRequest>(operation, request)?;
                R::encode(&Box::pin(self.list_workflows(&req, &call(timeout))).await?)
            }
            "count_workflows" => {
                let (req, timeout) =
                    parse_request_value::<CountWorkflowsRequest>(operation, request)?;
                R::encode(&Box::pin(self.count_workflows(&req, &call(timeout))).await?)
            }
            "fetch_history" => {
                let (req, timeout) =
                    parse_request_value::<FetchHistoryRequest>(operation, request)?;
                R::encode(&Box::pin(self.fetch_history(&req, &call(timeout))).await?)
            }
            "complete_activity" => {
                let (req, timeout) =
                    parse_request_value::<CompleteActivityRequest>(operation, request)?;
                Box::pin(self.complete_activity(&req, &call(timeout))).await?;
                R::encode(&Empty {})
            }
            "fail_activity" => {
                let (req, timeout) =
                    parse_request_value::<FailActivityRequest>(operation, request)?;
                Box::pin(self.fail_activity(&req, &call(timeout))).await?;
                R::encode(&Empty {})
            }
            "report_activity_cancellation" => {
                let (req, timeout) =
                    parse_request_value::<ReportActivityCancellationRequest>(operation, request)?;
                Box::pin(self.report_activity_cancellation(&req, &call(timeout))).await?;
                R::encode(&Empty {})
            }
            "heartbeat_activity" => {
                let (req, timeout) =
                    parse_request_value::<HeartbeatActivityRequest>(operation, request)?;
                R::encode(&Box::pin(self.heartbeat_activity(&req, &call(timeout))).await?)
            }
            "batch_cancel_workflows" => {
                let (req, timeout) =
                    parse_request_value::<BatchWorkflowsRequest>(operation, request)?;
                R::encode(&Box::pin(self.batch_cancel_workflows(&req, &call(timeout))).await?)
            }
            "batch_terminate_workflows" => {
                let (req, timeout) =
                    parse_request_value::<BatchWorkflowsRequest>(operation, request)?;
                R::encode(&Box::pin(self.batch_terminate_workflows(&req, &call(timeout))).await?)
            }
            "wait_batch_operation" => {
                let (req, timeout) =
                    parse_request_value::<WaitBatchOperationRequest>(operation, request)?;
                R::encode(&Box::pin(self.wait_batch_operation(&req, &call(timeout))).await?)
            }
            other => Err(unknown_operation(other)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_is_named() {
        let err = parse_request::<StartWorkflowRequest>(
            "start_workflow",
            r#"{"workflow_type": "W", "task_queue": "q", "bogus": 1}"#,
        )
        .unwrap_err();
        assert!(err.message().contains("bogus"), "{err}");
    }

    #[test]
    fn wrong_type_is_named() {
        let err = parse_request::<StartWorkflowRequest>(
            "start_workflow",
            r#"{"workflow_type": "W", "task_queue": 5}"#,
        )
        .unwrap_err();
        assert_eq!(err.detail("field").unwrap(), "task_queue");
        let err = parse_request::<StartWorkflowRequest>(
            "start_workflow",
            r#"{"workflow_type": "W", "task_queue": "q", "retry_policy": {"initial_interval": "x"}}"#,
        )
        .unwrap_err();
        assert_eq!(
            err.detail("field").unwrap(),
            "retry_policy.initial_interval"
        );
    }

    #[test]
    fn missing_field_and_bad_json() {
        let err =
            parse_request::<StartWorkflowRequest>("start_workflow", r#"{"workflow_type": "W"}"#)
                .unwrap_err();
        assert!(err.message().contains("task_queue"), "{err}");
        let err = parse_request::<StartWorkflowRequest>("start_workflow", "{").unwrap_err();
        assert!(err.message().contains("not valid JSON"), "{err}");
        let err = parse_request::<StartWorkflowRequest>("start_workflow", "[]").unwrap_err();
        assert!(err.message().contains("must be a JSON object"), "{err}");
    }

    #[test]
    fn operations_are_unique() {
        let mut names = OPERATIONS.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), OPERATIONS.len());
    }

    #[test]
    fn message_requests_parse_strictly() {
        use crate::signal_query::QueryRejectConditionSetting;
        use crate::update::UpdateWaitStage;
        let (query, _) = parse_request::<QueryWorkflowRequest>(
            "query_workflow",
            r#"{"workflow_id": "w", "query_type": "q", "reject_condition": "not_completed_cleanly"}"#,
        )
        .unwrap();
        assert_eq!(
            query.reject_condition,
            Some(QueryRejectConditionSetting::NotCompletedCleanly)
        );
        let (update, _) = parse_request::<ExecuteUpdateRequest>(
            "execute_update",
            r#"{"workflow_id": "w", "update_name": "u"}"#,
        )
        .unwrap();
        assert_eq!(update.wait_for_stage, UpdateWaitStage::Completed);
        let err = parse_request::<ExecuteUpdateRequest>(
            "execute_update",
            r#"{"workflow_id": "w", "update_name": "u", "wait_for_stage": "admitted"}"#,
        )
        .unwrap_err();
        assert_eq!(err.detail("field").unwrap(), "wait_for_stage");
        let err = parse_request::<SignalWorkflowRequest>(
            "signal_workflow",
            r#"{"workflow_id": "w", "signal": "s"}"#,
        )
        .unwrap_err();
        assert!(err.message().contains("signal"), "{err}");
    }

    #[test]
    fn operator_requests_parse_strictly() {
        let (fail, _) = parse_request::<FailActivityRequest>(
            "fail_activity",
            r#"{"task_token": "AAAA", "failure": {"message": "m", "type": "T", "non_retryable": true}}"#,
        )
        .unwrap();
        assert_eq!(fail.failure.error_type.as_deref(), Some("T"));
        let err = parse_request::<FailActivityRequest>(
            "fail_activity",
            r#"{"task_token": "AAAA", "failure": {"message": "m", "non_retryable": "yes"}}"#,
        )
        .unwrap_err();
        assert_eq!(err.detail("field").unwrap(), "failure.non_retryable");
        let err = parse_request::<ListWorkflowsRequest>("list_workflows", r#"{"page_size": 1.5}"#)
            .unwrap_err();
        assert_eq!(err.detail("field").unwrap(), "page_size");
        let err = parse_request::<BatchWorkflowsRequest>(
            "batch_terminate_workflows",
            r#"{"query": "q"}"#,
        )
        .unwrap_err();
        assert!(err.message().contains("reason"), "{err}");
        let (history, _) = parse_request::<FetchHistoryRequest>(
            "fetch_history",
            r#"{"workflow_id": "w", "wait_for_close": true}"#,
        )
        .unwrap();
        assert!(history.wait_for_close);
    }

    #[test]
    fn call_timeout_is_split_off_and_validated() {
        let (req, timeout) = parse_request::<GetResultRequest>(
            "get_workflow_result",
            r#"{"workflow_id": "w", "call_timeout": "2s"}"#,
        )
        .unwrap();
        assert_eq!(req.workflow_id, "w");
        assert_eq!(timeout.unwrap().0, std::time::Duration::from_secs(2));
        let err = parse_request::<GetResultRequest>(
            "get_workflow_result",
            r#"{"workflow_id": "w", "call_timeout": -1}"#,
        )
        .unwrap_err();
        assert_eq!(err.detail("field").unwrap(), "call_timeout");
    }
}
