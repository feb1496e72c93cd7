//! One activity task as its handler sees it: what it is (`ActivityInfo`),
//! the handle it heartbeats, watches for cancellation and answers through
//! (`ActivityTask`), the answers (`ActivityAnswer`) and the handler kinds.

use crate::activity_completion::ActivityFailure;
use crate::duration::{proto_seconds, timestamp_json};
use crate::error::{Error, Result};
use crate::payload::RawPayload;
use crate::payload::{decode_payloads, encode_raw, encode_value, encode_values, raw_payloads};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::{Arc, Mutex};
use temporalio_protos::temporal::api::common::v1::Payloads;
use temporalio_protos::temporal::api::workflowservice::v1::PollActivityTaskQueueResponse;
use tokio::sync::{oneshot, Notify};
use tokio_util::sync::CancellationToken;

use super::ActivityWorkerOptions;

/// What a handler knows about its task. Serialized as the task JSON that C
/// handlers and Python's `activity.info()` read.
#[derive(Debug, Clone, Serialize)]
pub struct ActivityInfo {
    /// The activity type (the name the workflow called).
    pub activity_type: String,
    /// The activity's ID within its workflow.
    pub activity_id: String,
    /// The calling workflow's type.
    pub workflow_type: String,
    /// The calling workflow's ID.
    pub workflow_id: String,
    /// The calling workflow's run ID.
    pub run_id: String,
    /// The worker's namespace.
    pub namespace: String,
    /// The calling workflow's namespace.
    pub workflow_namespace: String,
    /// The task queue the task came from.
    pub task_queue: String,
    /// The task token (base64), for completing the activity from elsewhere.
    pub task_token: String,
    /// The attempt, from 1.
    pub attempt: u32,
    /// The arguments as JSON values (absent in raw mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<Value>>,
    /// The arguments as raw payloads (raw mode only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_args: Option<Vec<RawPayload>>,
    /// The details of the last heartbeat of an earlier attempt.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heartbeat_details: Option<Vec<Value>>,
    /// Those details as raw payloads (raw mode only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_heartbeat_details: Option<Vec<RawPayload>>,
    /// When the activity was first scheduled (RFC 3339).
    pub scheduled_time: Value,
    /// When this attempt was scheduled (RFC 3339).
    pub current_attempt_scheduled_time: Value,
    /// When this attempt started (RFC 3339).
    pub started_time: Value,
    /// Schedule-to-close timeout in seconds (`null`: none).
    pub schedule_to_close_timeout: Option<f64>,
    /// Start-to-close timeout in seconds (`null`: none).
    pub start_to_close_timeout: Option<f64>,
    /// Heartbeat timeout in seconds (`null`: none).
    pub heartbeat_timeout: Option<f64>,
}

pub(super) fn seconds(d: &Option<prost_wkt_types::Duration>) -> Option<f64> {
    d.as_ref().map(proto_seconds).filter(|s| *s > 0.0)
}

impl ActivityInfo {
    pub(super) fn of(
        task: &PollActivityTaskQueueResponse,
        namespace: &str,
        options: &ActivityWorkerOptions,
    ) -> Self {
        let execution = task.workflow_execution.clone().unwrap_or_default();
        let (args, raw_args, details, raw_details) = if options.raw {
            (
                None,
                Some(raw_payloads(task.input.as_ref())),
                None,
                Some(raw_payloads(task.heartbeat_details.as_ref())),
            )
        } else {
            (
                Some(decode_payloads(task.input.as_ref())),
                None,
                Some(decode_payloads(task.heartbeat_details.as_ref())),
                None,
            )
        };
        ActivityInfo {
            activity_type: task.activity_type.clone().unwrap_or_default().name,
            activity_id: task.activity_id.clone(),
            workflow_type: task.workflow_type.clone().unwrap_or_default().name,
            workflow_id: execution.workflow_id,
            run_id: execution.run_id,
            namespace: namespace.to_owned(),
            workflow_namespace: task.workflow_namespace.clone(),
            task_queue: options.task_queue.clone(),
            task_token: BASE64.encode(&task.task_token),
            attempt: task.attempt.max(1) as u32,
            args,
            raw_args,
            heartbeat_details: details,
            raw_heartbeat_details: raw_details,
            scheduled_time: timestamp_json(&task.scheduled_time),
            current_attempt_scheduled_time: timestamp_json(&task.current_attempt_scheduled_time),
            started_time: timestamp_json(&task.started_time),
            schedule_to_close_timeout: seconds(&task.schedule_to_close_timeout),
            start_to_close_timeout: seconds(&task.start_to_close_timeout),
            heartbeat_timeout: seconds(&task.heartbeat_timeout),
        }
    }
}

/// Why a task's cancel token fired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// The workflow asked for the activity to be cancelled.
    CancelRequested,
    /// The server no longer knows the task: it timed out there, or its
    /// workflow ended.
    NotFound,
    /// The task's own start-to-close or schedule-to-close timeout passed.
    TimedOut,
    /// An operator paused the activity.
    Paused,
    /// An operator reset the activity.
    Reset,
    /// The worker is shutting down and its grace period ended.
    WorkerShutdown,
}

impl CancelReason {
    /// The reason's name in the JSON contract.
    pub fn as_str(self) -> &'static str {
        match self {
            CancelReason::CancelRequested => "cancel_requested",
            CancelReason::NotFound => "not_found",
            CancelReason::TimedOut => "timed_out",
            CancelReason::Paused => "paused",
            CancelReason::Reset => "reset",
            CancelReason::WorkerShutdown => "worker_shutdown",
        }
    }
}

/// A handler's answer to its task.
#[derive(Debug, Clone)]
pub enum ActivityAnswer {
    /// Completed, with a result (`None`: no result).
    Completed(Option<Value>),
    /// Completed, with a raw payload as result.
    CompletedRaw(RawPayload),
    /// Failed; retried by the activity's retry policy unless non-retryable.
    Failed(ActivityFailure),
    /// Cancelled, as asked, with details.
    Cancelled(Vec<Value>),
    /// Will be completed from elsewhere by its task token
    /// (`complete_activity` and friends); the worker frees the slot.
    CompleteAsync,
}

/// The JSON form of an answer: exactly one field.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AnswerJson {
    #[serde(default, deserialize_with = "present")]
    pub(super) result: Option<Value>,
    #[serde(default)]
    pub(super) raw_result: Option<RawPayload>,
    #[serde(default)]
    pub(super) failure: Option<ActivityFailure>,
    #[serde(default)]
    pub(super) cancelled: Option<CancelledJson>,
    #[serde(default)]
    pub(super) complete_async: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CancelledJson {
    #[serde(default)]
    pub(super) details: Vec<Value>,
}

/// `Some(value)` for a field that is present, even when it is `null`.
pub(super) fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

impl ActivityAnswer {
    /// Reads the JSON form: `{"result": v}`, `{"raw_result": payload}`,
    /// `{"failure": {...}}`, `{"cancelled": {"details": [...]}}` or
    /// `{"complete_async": true}`.
    pub fn from_json(text: &str) -> Result<ActivityAnswer> {
        let answer: AnswerJson = crate::json_text::parse_strict(text, "activity answer")?;
        let given = [
            answer.result.is_some(),
            answer.raw_result.is_some(),
            answer.failure.is_some(),
            answer.cancelled.is_some(),
            answer.complete_async.is_some(),
        ];
        if given.iter().filter(|g| **g).count() != 1 {
            return Err(Error::invalid_argument(
                "an activity answer has exactly one of result, raw_result, failure, cancelled, complete_async",
            ));
        }
        Ok(if let Some(result) = answer.result {
            ActivityAnswer::Completed(Some(result))
        } else if let Some(raw) = answer.raw_result {
            ActivityAnswer::CompletedRaw(raw)
        } else if let Some(failure) = answer.failure {
            check_failure(&failure)?;
            ActivityAnswer::Failed(failure)
        } else if let Some(cancelled) = answer.cancelled {
            ActivityAnswer::Cancelled(cancelled.details)
        } else if answer.complete_async == Some(true) {
            ActivityAnswer::CompleteAsync
        } else {
            return Err(Error::invalid_argument(
                "complete_async must be true when given",
            ));
        })
    }

    /// The answer in the form the server takes.
    pub(super) fn encode(self) -> Result<Outcome> {
        Ok(match self {
            ActivityAnswer::Completed(result) => Outcome::Completed(result.map(|value| Payloads {
                payloads: vec![encode_value(&value)],
            })),
            ActivityAnswer::CompletedRaw(raw) => {
                Outcome::Completed(encode_raw(std::slice::from_ref(&raw))?)
            }
            ActivityAnswer::Failed(failure) => {
                if failure.message.is_empty() {
                    return Err(
                        Error::invalid_argument("an activity failure needs a message")
                            .with_detail("field", "failure.message"),
                    );
                }
                Outcome::Failed(failure)
            }
            ActivityAnswer::Cancelled(details) => Outcome::Cancelled(encode_values(&details)),
            ActivityAnswer::CompleteAsync => Outcome::CompleteAsync,
        })
    }
}

pub(super) fn check_failure(failure: &ActivityFailure) -> Result<()> {
    if failure.message.is_empty() {
        return Err(
            Error::invalid_argument("an activity failure needs a message")
                .with_detail("field", "failure.message"),
        );
    }
    Ok(())
}

/// An answer as it goes to the server.
#[derive(Debug)]
pub(super) enum Outcome {
    Completed(Option<Payloads>),
    Failed(ActivityFailure),
    Cancelled(Option<Payloads>),
    CompleteAsync,
}

/// A blocking handler: called on a thread that may block, with the task to
/// answer (now, or later from any thread).
pub type BlockingHandler = dyn Fn(ActivityTask) + Send + Sync;

/// An async handler: returns the future whose output answers the task.
pub type AsyncHandler = dyn Fn(ActivityTask) -> BoxFuture<'static, ActivityAnswer> + Send + Sync;

/// The code that serves one activity type.
#[derive(Clone)]
pub enum ActivityHandler {
    /// Called on a thread of its own that may block; answers through the task.
    Blocking(Arc<BlockingHandler>),
    /// A future the worker runs; its output answers the task (unless the task
    /// was answered through its handle first).
    Async(Arc<AsyncHandler>),
}

impl ActivityHandler {
    /// A handler from an async function returning its answer.
    pub fn from_async<F, Fut>(f: F) -> Self
    where
        F: Fn(ActivityTask) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = ActivityAnswer> + Send + 'static,
    {
        ActivityHandler::Async(Arc::new(move |task| Box::pin(f(task))))
    }

    /// A handler from a function that may block and answers through its task.
    pub fn blocking<F>(f: F) -> Self
    where
        F: Fn(ActivityTask) + Send + Sync + 'static,
    {
        ActivityHandler::Blocking(Arc::new(f))
    }
}

impl std::fmt::Debug for ActivityHandler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ActivityHandler::Blocking(_) => "ActivityHandler::Blocking",
            ActivityHandler::Async(_) => "ActivityHandler::Async",
        })
    }
}

/// What one task shares between its handler's handles and the worker.
pub(super) struct TaskShared {
    pub(super) info: ActivityInfo,
    /// The worker's shutdown request.
    pub(super) worker_stop: CancellationToken,
    pub(super) token: Vec<u8>,
    pub(super) cancel: CancellationToken,
    pub(super) reason: Mutex<Option<CancelReason>>,
    /// Details of the last heartbeat not yet sent (`Some(None)`: no details).
    pub(super) heartbeat: Mutex<Option<Option<Payloads>>>,
    /// The details of the last heartbeat given, kept for a failure's
    /// `last_heartbeat_details`.
    pub(super) last_details: Mutex<Option<Payloads>>,
    pub(super) heartbeat_given: Notify,
    pub(super) answer: Mutex<AnswerSlot>,
}

pub(super) enum AnswerSlot {
    Open(oneshot::Sender<Outcome>),
    Answered,
    /// The worker gave up on the task (`why`).
    GivenUp(&'static str),
}

impl TaskShared {
    pub(super) fn cancel(&self, reason: CancelReason) {
        let mut current = lock(&self.reason);
        if current.is_none() {
            *current = Some(reason);
        }
        drop(current);
        self.cancel.cancel();
    }

    pub(super) fn answer(&self, outcome: Outcome) -> Result<()> {
        let mut slot = lock(&self.answer);
        match std::mem::replace(&mut *slot, AnswerSlot::Answered) {
            AnswerSlot::Open(sender) => {
                // The worker waits for this answer until it gives up on the
                // task, which closes the slot first: the send cannot fail.
                let _ = sender.send(outcome);
                Ok(())
            }
            AnswerSlot::Answered => Err(Error::invalid_argument(
                "this activity task was already answered",
            )),
            AnswerSlot::GivenUp(why) => {
                *slot = AnswerSlot::GivenUp(why);
                Err(Error::invalid_argument(format!(
                    "this activity task is no longer running: {why}"
                )))
            }
        }
    }

    pub(super) fn give_up(&self, why: &'static str) -> bool {
        let mut slot = lock(&self.answer);
        match &*slot {
            AnswerSlot::Open(_) => {
                *slot = AnswerSlot::GivenUp(why);
                true
            }
            _ => false,
        }
    }
}

pub(super) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Counts of every handle on a task: when the last one goes without an
/// answer, the task fails (nothing else could ever answer it).
pub(super) struct Handles(pub(super) Arc<TaskShared>);

impl Drop for Handles {
    fn drop(&mut self) {
        let _ = self.0.answer(Outcome::Failed(ActivityFailure {
            message: "the activity handler released its task without answering it".into(),
            error_type: Some("HandlerReleasedTask".into()),
            ..Default::default()
        }));
    }
}

/// One running activity task, as its handler sees it. Clones share the task;
/// every method may be called from any thread.
#[derive(Clone)]
pub struct ActivityTask {
    pub(super) handles: Arc<Handles>,
}

impl std::fmt::Debug for ActivityTask {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let info = self.info();
        f.debug_struct("ActivityTask")
            .field("activity_type", &info.activity_type)
            .field("activity_id", &info.activity_id)
            .field("attempt", &info.attempt)
            .finish_non_exhaustive()
    }
}

impl ActivityTask {
    pub(super) fn shared(&self) -> &TaskShared {
        &self.handles.0
    }

    /// What the task is.
    pub fn info(&self) -> &ActivityInfo {
        &self.shared().info
    }

    /// Records progress. Throttled: the worker sends at most one heartbeat
    /// per throttle interval, always with the latest details given.
    pub fn heartbeat(&self, details: &[Value]) {
        let payloads = encode_values(details);
        self.heartbeat_payloads(payloads);
    }

    /// [`ActivityTask::heartbeat`] with raw payloads as details.
    pub fn heartbeat_raw(&self, details: &[RawPayload]) -> Result<()> {
        let payloads = encode_raw(details)?;
        self.heartbeat_payloads(payloads);
        Ok(())
    }

    /// [`ActivityTask::heartbeat`] with the details as a JSON array.
    pub fn heartbeat_json(&self, details: &str) -> Result<()> {
        match crate::json_text::parse_json_text(details, "heartbeat details")? {
            Value::Array(details) => {
                self.heartbeat(&details);
                Ok(())
            }
            other => Err(Error::invalid_argument(format!(
                "heartbeat details must be a JSON array, got {}",
                crate::json_text::json_type_name(&other)
            ))),
        }
    }

    pub(super) fn heartbeat_payloads(&self, payloads: Option<Payloads>) {
        let shared = self.shared();
        *lock(&shared.last_details) = payloads.clone();
        *lock(&shared.heartbeat) = Some(payloads);
        shared.heartbeat_given.notify_one();
    }

    /// Whether the task was cancelled ([`ActivityTask::cancel_reason`] says why).
    pub fn is_cancelled(&self) -> bool {
        self.shared().cancel.is_cancelled()
    }

    /// Why the task was cancelled, if it was.
    pub fn cancel_reason(&self) -> Option<CancelReason> {
        *lock(&self.shared().reason)
    }

    /// Whether the worker was asked to shut down: the task is cancelled
    /// (`worker_shutdown`) when the grace period ends, unless it finished.
    pub fn is_worker_shutting_down(&self) -> bool {
        self.shared().worker_stop.is_cancelled()
    }

    /// A token that fires when the task is cancelled.
    pub fn cancellation(&self) -> CancellationToken {
        self.shared().cancel.clone()
    }

    /// Answers the task. Only the first answer counts; later ones, and
    /// answers after the worker gave up on the task, are errors.
    pub fn answer(&self, answer: ActivityAnswer) -> Result<()> {
        let outcome = answer.encode()?;
        self.shared().answer(outcome)
    }

    /// Completes the task with a result given as JSON text (`None`: no result).
    pub fn complete_json(&self, result: Option<&str>) -> Result<()> {
        let result = result
            .map(|text| crate::json_text::parse_json_text(text, "result"))
            .transpose()?;
        self.answer(ActivityAnswer::Completed(result))
    }

    /// Answers the task with the JSON form of [`ActivityAnswer::from_json`].
    pub fn answer_json(&self, answer: &str) -> Result<()> {
        self.answer(ActivityAnswer::from_json(answer)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::JsonDuration;
    use std::time::Duration;

    #[test]
    fn answers_in_json() {
        let answer = |text: &str| ActivityAnswer::from_json(text).unwrap();
        assert!(matches!(
            answer(r#"{"result": [1]}"#),
            ActivityAnswer::Completed(Some(_))
        ));
        assert!(matches!(
            answer(r#"{"raw_result": {"data": "AA=="}}"#),
            ActivityAnswer::CompletedRaw(_)
        ));
        let ActivityAnswer::Failed(failure) = answer(
            r#"{"failure": {"message": "m", "type": "T", "non_retryable": true, "next_retry_delay": "2s"}}"#,
        ) else {
            panic!("not a failure");
        };
        assert_eq!(failure.error_type.as_deref(), Some("T"));
        assert_eq!(
            failure.next_retry_delay,
            Some(JsonDuration(Duration::from_secs(2)))
        );
        use temporalio_protos::temporal::api::failure::v1::failure::FailureInfo;
        let Some(FailureInfo::ApplicationFailureInfo(info)) = failure.to_proto().failure_info
        else {
            panic!("not an application failure");
        };
        assert_eq!(info.next_retry_delay.unwrap().seconds, 2);
        assert!(matches!(
            answer(r#"{"cancelled": {}}"#),
            ActivityAnswer::Cancelled(d) if d.is_empty()
        ));
        assert!(matches!(
            answer(r#"{"complete_async": true}"#),
            ActivityAnswer::CompleteAsync
        ));
        let err = ActivityAnswer::from_json(r#"{"raw_result": {"data": "!"}}"#)
            .unwrap()
            .encode()
            .unwrap_err();
        assert!(err.message().contains("base64"), "{err}");
    }
}
