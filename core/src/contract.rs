//! The JSON contract's mechanics: a request's JSON read strictly (malformed
//! JSON, duplicate keys, unknown fields, wrong types and missing fields are
//! `invalid_argument` errors that name the field), the `call_timeout` and
//! `rpc_timeout` every request may carry, and responses encoded as text (the C ABI) or as values
//! (the Python binding). Which operations exist is the table's business
//! (`operations.rs`); nothing here knows any operation.

use crate::client::CallOptions;
use crate::duration::JsonDuration;
use crate::error::{Error, Result};
use crate::json_text::{parse_json_text, parse_value};
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// A request field every operation accepts besides its own: the call's
/// overall deadline (a duration), retries included.
pub const CALL_TIMEOUT_FIELD: &str = "call_timeout";

/// A request field every operation accepts besides its own: the timeout of
/// each attempt of the call's RPCs (a duration), instead of the client's.
pub const RPC_TIMEOUT_FIELD: &str = "rpc_timeout";

/// The version of the C ABI and the JSON contract, `(major, minor)`.
///
/// A minor release only adds: functions, operations, optional request
/// fields, response fields, status values, error kinds. A major release
/// may remove or change any of them. Status values and error kinds are
/// never reused for another meaning. Bindings ignore response fields they
/// do not know.
pub const ABI_VERSION: (u16, u16) = (1, 0);

/// Checks that this library serves a binding written against ABI
/// `wanted` (`"major.minor"`): the same major, and a minor no newer than
/// this library's.
pub fn check_abi_version(wanted: &str) -> Result<()> {
    let (major, minor) = ABI_VERSION;
    let parsed = wanted
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse::<u16>().ok()?, b.parse::<u16>().ok()?)));
    let Some((want_major, want_minor)) = parsed else {
        return Err(Error::invalid_argument(format!(
            "abi_version {wanted:?} is not \"major.minor\" (e.g. \"{major}.{minor}\")"
        ))
        .with_detail("field", "abi_version"));
    };
    if want_major != major || want_minor > minor {
        return Err(Error::invalid_argument(format!(
            "this temporal-bridge library serves ABI {major}.{minor}, and the binding was \
             written for {want_major}.{want_minor}: {}",
            if want_major != major {
                "major versions differ; use a library of the binding's major version"
            } else {
                "the binding needs a newer library"
            }
        ))
        .with_detail("field", "abi_version")
        .with_detail("library_abi_version", format!("{major}.{minor}"))
        .with_detail("wanted_abi_version", wanted));
    }
    Ok(())
}

/// The fields every request may carry, split off before its own are read
/// (their schema is added to every request's: see `schema.rs`).
#[derive(Debug, Clone, Copy, Default, JsonSchema)]
pub(crate) struct CallFields {
    /// This call's deadline, retries included; the call then fails with
    /// `deadline_exceeded` (the workflow is untouched).
    call_timeout: Option<JsonDuration>,
    /// The timeout of each attempt of this call's RPCs, instead of the
    /// connection's `rpc_timeout` (long polls keep their own).
    rpc_timeout: Option<JsonDuration>,
}

/// A request's JSON text, parsed (not yet checked against its operation).
pub(crate) fn parse_text(operation: &str, text: &str) -> Result<Value> {
    parse_json_text(text, RequestName(operation))
}

/// [`parse_request_value`] from JSON text.
#[cfg(test)]
fn parse_request<T: DeserializeOwned>(operation: &str, text: &str) -> Result<(T, CallFields)> {
    parse_request_value(operation, parse_text(operation, text)?)
}

/// Splits the common fields (`call_timeout`, `rpc_timeout`) off a request
/// and parses the rest.
pub(crate) fn parse_request_value<T: DeserializeOwned>(
    operation: &str,
    mut value: Value,
) -> Result<(T, CallFields)> {
    // Named only when something is wrong.
    let what = RequestName(operation);
    let mut split = |field: &str| -> Result<Option<JsonDuration>> {
        match value.as_object_mut().and_then(|o| o.remove(field)) {
            None | Some(Value::Null) => Ok(None),
            Some(raw) => serde_json::from_value::<JsonDuration>(raw)
                .map(Some)
                .map_err(|e| {
                    Error::invalid_argument(format!("invalid {what}: field `{field}`: {e}"))
                        .with_detail("field", field)
                }),
        }
    };
    let fields = CallFields {
        call_timeout: split(CALL_TIMEOUT_FIELD)?,
        rpc_timeout: split(RPC_TIMEOUT_FIELD)?,
    };
    Ok((parse_value(value, what)?, fields))
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
pub(crate) trait Responses {
    type Out;
    fn encode<T: Serialize>(response: &T) -> Result<Self::Out>;
}

pub(crate) struct AsText;

impl Responses for AsText {
    type Out = String;
    fn encode<T: Serialize>(response: &T) -> Result<String> {
        serde_json::to_string(response).map_err(encode_error)
    }
}

pub(crate) struct AsValue;

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, JsonSchema)]
pub struct Empty {}

impl From<()> for Empty {
    fn from((): ()) -> Empty {
        Empty {}
    }
}

/// The call options of one request: the caller's token, and the request's
/// `call_timeout` and `rpc_timeout` over the caller's defaults.
pub(crate) fn call_options(base: &CallOptions, fields: CallFields) -> CallOptions {
    CallOptions {
        timeout: fields.call_timeout.map(|t| t.0).or(base.timeout),
        cancel: base.cancel.clone(),
        rpc_timeout: fields.rpc_timeout.map(|t| t.0).or(base.rpc_timeout),
    }
}

pub(crate) fn unknown_operation(operation: &str, known: &[&str]) -> Error {
    Error::invalid_argument(format!(
        "unknown operation {}; known operations: {}",
        crate::error::Quoted(operation),
        known.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::activity_completion::FailActivityRequest;
    use crate::batch::BatchWorkflowsRequest;
    use crate::history::FetchHistoryRequest;
    use crate::signal_query::{QueryWorkflowRequest, SignalWorkflowRequest};
    use crate::update::ExecuteUpdateRequest;
    use crate::visibility::ListWorkflowsRequest;
    use crate::workflow::{GetResultRequest, StartWorkflowRequest};

    #[test]
    fn a_binding_of_the_same_major_and_an_older_minor_is_served() {
        let (major, minor) = ABI_VERSION;
        assert!(check_abi_version(&format!("{major}.{minor}")).is_ok());
        assert!(check_abi_version(&format!("{major}.0")).is_ok());
        let newer = check_abi_version(&format!("{major}.{}", minor + 1)).unwrap_err();
        assert!(newer.message().contains("needs a newer library"), "{newer}");
        let other = check_abi_version(&format!("{}.0", major + 1)).unwrap_err();
        assert!(other.message().contains("major versions differ"), "{other}");
        assert_eq!(
            other.detail("wanted_abi_version").unwrap(),
            &format!("{}.0", major + 1)
        );
        for bad in ["", "1", "1.x", "one.two", "1.0.0"] {
            let err = check_abi_version(bad).unwrap_err();
            assert!(err.message().contains("major.minor"), "{bad}: {err}");
        }
    }

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
    fn enum_names_are_read_in_any_case_and_unknown_ones_listed() {
        use crate::workflow::IdConflictPolicy;
        for spelling in ["use_existing", "USE_EXISTING", "Use_Existing"] {
            let text = format!(
                r#"{{"workflow_type": "W", "task_queue": "q", "id_conflict_policy": "{spelling}"}}"#
            );
            let (req, _) = parse_request::<StartWorkflowRequest>("start_workflow", &text).unwrap();
            assert_eq!(req.id_conflict_policy, Some(IdConflictPolicy::UseExisting));
        }
        let err = parse_request::<StartWorkflowRequest>(
            "start_workflow",
            r#"{"workflow_type": "W", "task_queue": "q", "id_conflict_policy": "sometimes"}"#,
        )
        .unwrap_err();
        assert_eq!(err.detail("field").unwrap(), "id_conflict_policy");
        assert!(err.message().contains("use_existing"), "{err}");
        assert_eq!(
            serde_json::to_value(IdConflictPolicy::TerminateExisting).unwrap(),
            "terminate_existing"
        );
    }

    #[test]
    fn call_timeout_is_split_off_and_validated() {
        let (req, fields) = parse_request::<GetResultRequest>(
            "get_workflow_result",
            r#"{"workflow_id": "w", "call_timeout": "2s", "rpc_timeout": 0.5}"#,
        )
        .unwrap();
        assert_eq!(req.workflow_id, "w");
        let call = call_options(&CallOptions::default(), fields);
        assert_eq!(call.timeout, Some(std::time::Duration::from_secs(2)));
        assert_eq!(
            call.rpc_timeout,
            Some(std::time::Duration::from_millis(500))
        );
        let err = parse_request::<GetResultRequest>(
            "get_workflow_result",
            r#"{"workflow_id": "w", "rpc_timeout": "soon"}"#,
        )
        .unwrap_err();
        assert_eq!(err.detail("field").unwrap(), "rpc_timeout");
        let err = parse_request::<GetResultRequest>(
            "get_workflow_result",
            r#"{"workflow_id": "w", "call_timeout": -1}"#,
        )
        .unwrap_err();
        assert_eq!(err.detail("field").unwrap(), "call_timeout");
    }
}
