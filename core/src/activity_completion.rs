//! Asynchronous activity completion: an activity that returned without a
//! result (Python's `activity.raise_complete_async()`, Go's
//! `activity.ErrResultPending`) is finished from outside its worker —
//! completed, failed or reported cancelled — and heartbeated meanwhile. The
//! activity is addressed by its task token, or by workflow ID, optional run ID
//! and activity ID. A heartbeat tells the caller whether cancellation of the
//! activity was requested, which is how an async activity learns it.

use crate::client::{CallOptions, Client, RpcKind};
use crate::error::{Error, Quoted, Result};
use crate::fields::non_empty;
use crate::payload::{encode_raw, encode_value, encode_values, RawPayload};
use crate::transport::method;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use temporalio_protos::temporal::api::common::v1::Payloads;
use temporalio_protos::temporal::api::failure::v1::{
    failure::FailureInfo, ApplicationFailureInfo, Failure,
};
use temporalio_protos::temporal::api::workflowservice::v1::{
    RecordActivityTaskHeartbeatByIdRequest, RecordActivityTaskHeartbeatRequest,
    RespondActivityTaskCanceledByIdRequest, RespondActivityTaskCanceledRequest,
    RespondActivityTaskCompletedByIdRequest, RespondActivityTaskCompletedRequest,
    RespondActivityTaskFailedByIdRequest, RespondActivityTaskFailedRequest,
};

/// Which activity to act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActivityTarget {
    /// The task token the activity got from its worker (one attempt).
    TaskToken(Vec<u8>),
    /// The activity's ID within a workflow run (the current attempt).
    Id {
        /// Workflow ID.
        workflow_id: String,
        /// Run ID; the latest run when absent.
        run_id: Option<String>,
        /// Activity ID.
        activity_id: String,
    },
}

impl ActivityTarget {
    /// Reads the addressing fields every activity-completion request shares:
    /// either `task_token` (base64) or `workflow_id` + `activity_id`
    /// (+ optional `run_id`), never both.
    pub fn from_fields(
        task_token: Option<&str>,
        workflow_id: Option<&str>,
        run_id: Option<&str>,
        activity_id: Option<&str>,
    ) -> Result<ActivityTarget> {
        let by_id = workflow_id.is_some() || run_id.is_some() || activity_id.is_some();
        match task_token {
            Some(_) if by_id => Err(Error::invalid_argument(
                "give either task_token or workflow_id + activity_id, not both",
            )),
            Some(token) => {
                let bytes = BASE64.decode(token).map_err(|e| {
                    Error::invalid_argument(format!("task_token is not valid base64: {e}"))
                        .with_detail("field", "task_token")
                })?;
                if bytes.is_empty() {
                    return Err(Error::invalid_argument("task_token must not be empty")
                        .with_detail("field", "task_token"));
                }
                Ok(ActivityTarget::TaskToken(bytes))
            }
            None => {
                let workflow_id = workflow_id.filter(|w| !w.trim().is_empty());
                let activity_id = activity_id.filter(|a| !a.trim().is_empty());
                match (workflow_id, activity_id) {
                    (Some(workflow_id), Some(activity_id)) => Ok(ActivityTarget::Id {
                        workflow_id: workflow_id.to_owned(),
                        run_id: non_empty(&run_id.map(str::to_owned)),
                        activity_id: activity_id.to_owned(),
                    }),
                    (None, _) => Err(Error::invalid_argument(
                        "give task_token, or workflow_id and activity_id: workflow_id is missing",
                    )
                    .with_detail("field", "workflow_id")),
                    (_, None) => Err(Error::invalid_argument(
                        "give task_token, or workflow_id and activity_id: activity_id is missing",
                    )
                    .with_detail("field", "activity_id")),
                }
            }
        }
    }

    /// Names the activity in errors and adds what identifies it as details.
    fn about(&self) -> impl Fn(Error) -> Error + '_ {
        move |e: Error| match self {
            ActivityTarget::TaskToken(_) => e.context("activity (by task token)"),
            ActivityTarget::Id {
                workflow_id,
                run_id,
                activity_id,
            } => e
                .context(format!(
                    "activity {} of workflow {}",
                    Quoted(activity_id),
                    Quoted(workflow_id)
                ))
                .with_detail("workflow_id", workflow_id.as_str())
                .with_detail(
                    "run_id",
                    run_id.clone().map(Value::String).unwrap_or(Value::Null),
                )
                .with_detail("activity_id", activity_id.as_str()),
        }
    }
}

/// The failure an activity is failed with: an application error, as SDKs
/// raise it (`ApplicationError` in Python, `temporal.NewApplicationError` in Go).
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityFailure {
    /// Human-readable message.
    pub message: String,
    /// Error type, matched against retry policies' non-retryable types.
    #[serde(default, rename = "type")]
    pub error_type: Option<String>,
    /// When true the activity is not retried whatever its retry policy says.
    #[serde(default)]
    pub non_retryable: bool,
    /// Details; each becomes one `json/plain` payload.
    #[serde(default)]
    pub details: Vec<Value>,
    /// Delay before the next attempt, instead of the retry policy's backoff.
    #[serde(default)]
    pub next_retry_delay: Option<crate::duration::JsonDuration>,
}

impl ActivityFailure {
    /// A failure with this message and nothing else.
    pub fn new(message: impl Into<String>) -> Self {
        ActivityFailure {
            message: message.into(),
            ..Default::default()
        }
    }

    pub(crate) fn to_proto(&self) -> Failure {
        Failure {
            message: self.message.clone(),
            source: "temporal-bridge".to_owned(),
            failure_info: Some(FailureInfo::ApplicationFailureInfo(
                ApplicationFailureInfo {
                    r#type: self.error_type.clone().unwrap_or_default(),
                    non_retryable: self.non_retryable,
                    details: encode_values(&self.details),
                    next_retry_delay: self
                        .next_retry_delay
                        .map(|d| crate::duration::to_proto(d.0)),
                    ..Default::default()
                },
            )),
            ..Default::default()
        }
    }
}

/// Declares one activity-completion request: the addressing fields every one
/// of them shares (read by its `target()`), then its own fields. A macro rather
/// than a `#[serde(flatten)]`ed common struct because `flatten` does not work
/// with `deny_unknown_fields`, and an unknown field must stay an error.
macro_rules! activity_request {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $(
                $(#[$field_meta:meta])*
                pub $field:ident: $type:ty,
            )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Task token (base64); or else `workflow_id` + `activity_id`.
            #[serde(default)]
            pub task_token: Option<String>,
            /// Workflow ID (with `activity_id`, instead of `task_token`).
            #[serde(default)]
            pub workflow_id: Option<String>,
            /// Run ID; the latest run when absent.
            #[serde(default)]
            pub run_id: Option<String>,
            /// Activity ID (with `workflow_id`, instead of `task_token`).
            #[serde(default)]
            pub activity_id: Option<String>,
            $(
                $(#[$field_meta])*
                pub $field: $type,
            )*
        }

        impl $name {
            fn target(&self) -> Result<ActivityTarget> {
                ActivityTarget::from_fields(
                    self.task_token.as_deref(),
                    self.workflow_id.as_deref(),
                    self.run_id.as_deref(),
                    self.activity_id.as_deref(),
                )
            }
        }
    };
}

activity_request! {
    /// Request of `complete_activity`.
    pub struct CompleteActivityRequest {
        /// The activity's result, one `json/plain` payload; no result when absent.
        #[serde(default)]
        pub result: Option<Value>,
        /// The result as a raw payload (instead of `result`), passed through untouched.
        #[serde(default)]
        pub raw_result: Option<RawPayload>,
    }
}

activity_request! {
    /// Request of `fail_activity`.
    pub struct FailActivityRequest {
        /// The failure.
        pub failure: ActivityFailure,
        /// Heartbeat details recorded with the failure (seen by the next attempt).
        #[serde(default)]
        pub last_heartbeat_details: Vec<Value>,
    }
}

activity_request! {
    /// Request of `report_activity_cancellation`.
    pub struct ReportActivityCancellationRequest {
        /// Cancellation details; each becomes one `json/plain` payload.
        #[serde(default)]
        pub details: Vec<Value>,
    }
}

activity_request! {
    /// Request of `heartbeat_activity`.
    pub struct HeartbeatActivityRequest {
        /// Progress details; each becomes one `json/plain` payload.
        #[serde(default)]
        pub details: Vec<Value>,
    }
}

/// Response of `heartbeat_activity`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct HeartbeatActivityResponse {
    /// The workflow asked for the activity to be cancelled: finish it with
    /// `report_activity_cancellation` (or complete/fail it anyway).
    pub cancel_requested: bool,
    /// The activity was paused (by an operator).
    pub activity_paused: bool,
    /// The activity was reset (by an operator).
    pub activity_reset: bool,
}

/// A handle on one asynchronously completed activity; no RPC until used.
#[derive(Debug, Clone)]
pub struct AsyncActivityHandle {
    client: Client,
    /// The activity.
    pub target: ActivityTarget,
}

impl Client {
    /// A handle to complete, fail, cancel or heartbeat an async activity.
    pub fn async_activity_handle(&self, target: ActivityTarget) -> AsyncActivityHandle {
        AsyncActivityHandle {
            client: self.clone(),
            target,
        }
    }

    /// Completes an async activity with a result.
    pub async fn complete_activity(
        &self,
        request: &CompleteActivityRequest,
        call: &CallOptions,
    ) -> Result<()> {
        let target = request.target()?;
        let result = match (&request.result, &request.raw_result) {
            (Some(_), Some(_)) => {
                return Err(Error::invalid_argument(
                    "give either result or raw_result, not both",
                ))
            }
            (Some(value), None) => Some(Payloads {
                payloads: vec![encode_value(value)],
            }),
            (None, Some(raw)) => encode_raw(std::slice::from_ref(raw))?,
            (None, None) => None,
        };
        self.async_activity_handle(target)
            .complete_payloads(result, call)
            .await
    }

    /// Fails an async activity (the workflow sees an activity failure whose
    /// cause is this application failure, unless the activity is retried).
    pub async fn fail_activity(
        &self,
        request: &FailActivityRequest,
        call: &CallOptions,
    ) -> Result<()> {
        let target = request.target()?;
        self.async_activity_handle(target)
            .fail(&request.failure, &request.last_heartbeat_details, call)
            .await
    }

    /// Reports an async activity as cancelled, normally after a heartbeat
    /// said `cancel_requested`.
    pub async fn report_activity_cancellation(
        &self,
        request: &ReportActivityCancellationRequest,
        call: &CallOptions,
    ) -> Result<()> {
        let target = request.target()?;
        self.async_activity_handle(target)
            .report_cancellation(&request.details, call)
            .await
    }

    /// Records a heartbeat of an async activity.
    pub async fn heartbeat_activity(
        &self,
        request: &HeartbeatActivityRequest,
        call: &CallOptions,
    ) -> Result<HeartbeatActivityResponse> {
        let target = request.target()?;
        self.async_activity_handle(target)
            .heartbeat(&request.details, call)
            .await
    }
}

/// Sends one activity RPC in the form the handle's target calls for: the
/// by-token request, or the by-ID one. Both forms take the payload fields given
/// here; the macro fills in the addressing, namespace and identity, maps either
/// response with `map`, and names the activity in errors.
macro_rules! send_to_target {
    (
        $handle:expr, $call:expr,
        $by_token:ident => $token_rpc:ident,
        $by_id:ident => $id_rpc:ident,
        { $($field:ident: $value:expr),* $(,)? },
        map: $map:expr $(,)?
    ) => {{
        let handle: &AsyncActivityHandle = $handle;
        let client = &handle.client;
        let namespace = client.namespace().to_owned();
        let identity = client.identity().to_owned();
        let outcome = match &handle.target {
            ActivityTarget::TaskToken(token) => {
                let message = $by_token {
                    task_token: token.clone(),
                    namespace,
                    identity,
                    $($field: $value,)*
                    ..Default::default()
                };
                client
                    .scoped($call, |scope| {
                        client.rpc(scope, RpcKind::Ordinary, message, method::$token_rpc)
                    })
                    .await
                    .map($map)
            }
            ActivityTarget::Id {
                workflow_id,
                run_id,
                activity_id,
            } => {
                let message = $by_id {
                    namespace,
                    workflow_id: workflow_id.clone(),
                    run_id: run_id.clone().unwrap_or_default(),
                    activity_id: activity_id.clone(),
                    identity,
                    $($field: $value,)*
                    ..Default::default()
                };
                client
                    .scoped($call, |scope| {
                        client.rpc(scope, RpcKind::Ordinary, message, method::$id_rpc)
                    })
                    .await
                    .map($map)
            }
        };
        outcome.map_err(handle.target.about())
    }};
}

impl AsyncActivityHandle {
    /// Completes the activity with a result (`None`: no result payload).
    pub async fn complete(&self, result: Option<&Value>, call: &CallOptions) -> Result<()> {
        let result = result.map(|v| Payloads {
            payloads: vec![encode_value(v)],
        });
        self.complete_payloads(result, call).await
    }

    pub(crate) async fn complete_payloads(
        &self,
        result: Option<Payloads>,
        call: &CallOptions,
    ) -> Result<()> {
        send_to_target!(
            self, call,
            RespondActivityTaskCompletedRequest => respond_activity_task_completed,
            RespondActivityTaskCompletedByIdRequest => respond_activity_task_completed_by_id,
            { result: result },
            map: |_| (),
        )
    }

    /// Fails the activity.
    pub async fn fail(
        &self,
        failure: &ActivityFailure,
        last_heartbeat_details: &[Value],
        call: &CallOptions,
    ) -> Result<()> {
        self.fail_payloads(failure, encode_values(last_heartbeat_details), call)
            .await
    }

    pub(crate) async fn fail_payloads(
        &self,
        failure: &ActivityFailure,
        last_heartbeat_details: Option<Payloads>,
        call: &CallOptions,
    ) -> Result<()> {
        send_to_target!(
            self, call,
            RespondActivityTaskFailedRequest => respond_activity_task_failed,
            RespondActivityTaskFailedByIdRequest => respond_activity_task_failed_by_id,
            {
                failure: Some(failure.to_proto()),
                last_heartbeat_details: last_heartbeat_details,
            },
            map: |_| (),
        )
    }

    /// Reports the activity as cancelled.
    pub async fn report_cancellation(&self, details: &[Value], call: &CallOptions) -> Result<()> {
        self.report_cancellation_payloads(encode_values(details), call)
            .await
    }

    pub(crate) async fn report_cancellation_payloads(
        &self,
        details: Option<Payloads>,
        call: &CallOptions,
    ) -> Result<()> {
        send_to_target!(
            self, call,
            RespondActivityTaskCanceledRequest => respond_activity_task_canceled,
            RespondActivityTaskCanceledByIdRequest => respond_activity_task_canceled_by_id,
            { details: details },
            map: |_| (),
        )
    }

    /// Records a heartbeat; the response says whether cancellation was requested.
    pub async fn heartbeat(
        &self,
        details: &[Value],
        call: &CallOptions,
    ) -> Result<HeartbeatActivityResponse> {
        self.heartbeat_payloads(encode_values(details), call).await
    }

    pub(crate) async fn heartbeat_payloads(
        &self,
        details: Option<Payloads>,
        call: &CallOptions,
    ) -> Result<HeartbeatActivityResponse> {
        send_to_target!(
            self, call,
            RecordActivityTaskHeartbeatRequest => record_activity_task_heartbeat,
            RecordActivityTaskHeartbeatByIdRequest => record_activity_task_heartbeat_by_id,
            { details: details },
            map: |r| HeartbeatActivityResponse {
                cancel_requested: r.cancel_requested,
                activity_paused: r.activity_paused,
                activity_reset: r.activity_reset,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_by_token_or_by_id_never_both() {
        assert_eq!(
            ActivityTarget::from_fields(Some("AAE="), None, None, None).unwrap(),
            ActivityTarget::TaskToken(vec![0, 1])
        );
        assert_eq!(
            ActivityTarget::from_fields(None, Some("w"), Some(""), Some("a")).unwrap(),
            ActivityTarget::Id {
                workflow_id: "w".into(),
                run_id: None,
                activity_id: "a".into(),
            }
        );
        let err = ActivityTarget::from_fields(Some("AAE="), None, Some("r"), None).unwrap_err();
        assert!(err.message().contains("not both"), "{err}");
        let err = ActivityTarget::from_fields(Some("!"), None, None, None).unwrap_err();
        assert_eq!(err.detail("field").unwrap(), "task_token");
        let err = ActivityTarget::from_fields(None, None, None, Some("a")).unwrap_err();
        assert_eq!(err.detail("field").unwrap(), "workflow_id");
        let err = ActivityTarget::from_fields(None, Some("w"), None, Some(" ")).unwrap_err();
        assert_eq!(err.detail("field").unwrap(), "activity_id");
    }

    #[test]
    fn every_request_reads_the_shared_fields_and_refuses_unknown_ones() {
        let by_id = ActivityTarget::Id {
            workflow_id: "w".into(),
            run_id: Some("r".into()),
            activity_id: "a".into(),
        };
        let address = r#""workflow_id": "w", "run_id": "r", "activity_id": "a""#;
        let complete: CompleteActivityRequest =
            serde_json::from_str(&format!(r#"{{{address}, "result": 1}}"#)).unwrap();
        assert_eq!(complete.target().unwrap(), by_id);
        let fail: FailActivityRequest =
            serde_json::from_str(&format!(r#"{{{address}, "failure": {{"message": "m"}}}}"#))
                .unwrap();
        assert_eq!(fail.target().unwrap(), by_id);
        let cancel: ReportActivityCancellationRequest =
            serde_json::from_str(&format!(r#"{{{address}, "details": [1]}}"#)).unwrap();
        assert_eq!(cancel.target().unwrap(), by_id);
        let heartbeat: HeartbeatActivityRequest =
            serde_json::from_str(r#"{"task_token": "AAE=", "details": [1]}"#).unwrap();
        assert_eq!(
            heartbeat.target().unwrap(),
            ActivityTarget::TaskToken(vec![0, 1])
        );

        // Unknown fields are found before missing ones (`failure`).
        let unknown = r#"{"task_token": "AAE=", "colour": 1}"#;
        let errors = [
            serde_json::from_str::<CompleteActivityRequest>(unknown).unwrap_err(),
            serde_json::from_str::<FailActivityRequest>(unknown).unwrap_err(),
            serde_json::from_str::<ReportActivityCancellationRequest>(unknown).unwrap_err(),
            serde_json::from_str::<HeartbeatActivityRequest>(unknown).unwrap_err(),
        ];
        for err in errors {
            assert!(err.to_string().contains("unknown field `colour`"), "{err}");
        }
    }
}
