//! The JSON contract: one entry point, [`Client::call_json`], taking an
//! operation name and a JSON request and giving back a JSON response. Both
//! bindings forward to it, so C, C++, Python and any other language behave
//! identically by construction. Requests are strict: malformed JSON, unknown
//! fields, wrong types and missing fields are `invalid_argument` errors that
//! name the field.

use crate::client::{CallOptions, Client};
use crate::duration::JsonDuration;
use crate::error::{Error, Result};
use crate::workflow::{
    CancelWorkflowRequest, DescribeWorkflowRequest, GetResultRequest, StartWorkflowRequest,
    TerminateWorkflowRequest,
};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// Every operation name `call_json` accepts.
pub const OPERATIONS: &[&str] = &[
    "start_workflow",
    "get_workflow_result",
    "cancel_workflow",
    "terminate_workflow",
    "describe_workflow",
];

/// The request field every operation accepts besides its own: the call's
/// overall deadline (a duration), retries included.
pub const CALL_TIMEOUT_FIELD: &str = "call_timeout";

/// Parses a JSON object strictly into `T`, naming the offending field.
pub fn parse_strict<T: DeserializeOwned>(text: &str, what: &str) -> Result<T> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid_argument(format!("{what} is not valid JSON: {e}")))?;
    parse_value(value, what)
}

fn parse_value<T: DeserializeOwned>(value: Value, what: &str) -> Result<T> {
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

fn json_type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Splits the common `call_timeout` field off a request and parses the rest.
fn parse_request<T: DeserializeOwned>(
    operation: &str,
    text: &str,
) -> Result<(T, Option<JsonDuration>)> {
    let what = format!("{operation} request");
    let mut value: Value = serde_json::from_str(text)
        .map_err(|e| Error::invalid_argument(format!("{what} is not valid JSON: {e}")))?;
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
    Ok((parse_value(value, &what)?, timeout))
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value)
        .map_err(|e| Error::internal(format!("could not encode response: {e}")))
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
        let call = |timeout: Option<JsonDuration>| CallOptions {
            timeout: timeout.map(|t| t.0).or(base.timeout),
            cancel: base.cancel.clone(),
        };
        match operation {
            "start_workflow" => {
                let (req, timeout) = parse_request::<StartWorkflowRequest>(operation, request)?;
                to_json(&self.start_workflow(&req, &call(timeout)).await?)
            }
            "get_workflow_result" => {
                let (req, timeout) = parse_request::<GetResultRequest>(operation, request)?;
                to_json(&self.get_workflow_result(&req, &call(timeout)).await?)
            }
            "cancel_workflow" => {
                let (req, timeout) = parse_request::<CancelWorkflowRequest>(operation, request)?;
                self.cancel_workflow(&req, &call(timeout)).await?;
                Ok(json!({}).to_string())
            }
            "terminate_workflow" => {
                let (req, timeout) = parse_request::<TerminateWorkflowRequest>(operation, request)?;
                self.terminate_workflow(&req, &call(timeout)).await?;
                Ok(json!({}).to_string())
            }
            "describe_workflow" => {
                let (req, timeout) = parse_request::<DescribeWorkflowRequest>(operation, request)?;
                to_json(&self.describe_workflow(&req, &call(timeout)).await?)
            }
            other => Err(Error::invalid_argument(format!(
                "unknown operation {other:?}; known operations: {}",
                OPERATIONS.join(", ")
            ))),
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
