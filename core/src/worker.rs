//! Activity workers: poll an activity task queue, hand each task to the
//! handler registered for its activity type, heartbeat for it, and send its
//! answer back. Activities need no deterministic replay, so a worker needs no
//! SDK: C, C++, Python and Rust code can serve the activities of workflows
//! written with any Temporal SDK.
//!
//! One worker is one future ([`ActivityWorker::run`]) that polls and runs
//! every task inside itself; the caller decides where it runs (its own tokio
//! task, or the bindings' shared runtime). Handlers are either async (a future
//! the worker runs) or callbacks, which run on a thread that may block and
//! answer through their [`ActivityTask`] from any thread, now or later.
//!
//! The life of one task:
//! - a slot is taken before polling (at most `max_concurrent` tasks run);
//! - the handler gets the task; unknown activity types fail at once with a
//!   non-retryable `NotFoundError` naming the registered types;
//! - heartbeats are throttled as the SDKs do: at most one RPC per
//!   0.8 × heartbeat timeout (or the default interval without one, capped by
//!   the maximum), and the last details given are always sent;
//! - the task's cancel token fires when a heartbeat's answer asks for it
//!   (`cancel_requested`, `paused`, `reset`), when the server no longer knows
//!   the task (`not_found`: it timed out, or its workflow ended), when its own
//!   start-to-close or schedule-to-close timeout passes (`timed_out`), or at
//!   shutdown (`worker_shutdown`);
//! - a handler that has not answered `cancel_grace` after its cancellation is
//!   given up on, so a handler that never answers cannot hold a slot or a
//!   shutdown forever.

use crate::activity_completion::{
    ActivityFailure, ActivityTarget, AsyncActivityHandle, HeartbeatActivityResponse,
};
use crate::client::{CallOptions, Client, Repolls, RpcKind};
use crate::duration::{proto_seconds, timestamp_json, JsonDuration};
use crate::error::{Error, ErrorKind, Result};
use crate::payload::RawPayload;
use crate::payload::{decode_payloads, encode_raw, encode_value, encode_values, raw_payloads};
use crate::transport::method;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use temporalio_protos::temporal::api::common::v1::Payloads;
use temporalio_protos::temporal::api::enums::v1::TaskQueueType;
use temporalio_protos::temporal::api::taskqueue::v1::{TaskQueue, TaskQueueMetadata};
use temporalio_protos::temporal::api::workflowservice::v1::{
    PollActivityTaskQueueRequest, PollActivityTaskQueueResponse, ShutdownWorkerRequest,
};
use tokio::sync::{oneshot, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// How long shutdown waits for the polls in flight to come back (the server
/// ends them early once told the worker is shutting down) before it drops
/// them.
const POLL_DRAIN: Duration = Duration::from_secs(2);

/// How long the `ShutdownWorker` call may take.
const SHUTDOWN_CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// The share of the heartbeat timeout that heartbeats are throttled to.
const HEARTBEAT_THROTTLE_SHARE: f64 = 0.8;

/// Options of an activity worker; the JSON of `tb_worker_new` and Python's
/// `Worker(...)` keywords.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityWorkerOptions {
    /// The task queue to poll.
    pub task_queue: String,
    /// How many tasks may run at once.
    #[serde(default = "default_max_concurrent")]
    pub max_concurrent: usize,
    /// How many long polls may be in flight at once.
    #[serde(default = "default_pollers")]
    pub pollers: usize,
    /// At shutdown, how long running tasks may go on before they are cancelled.
    #[serde(default)]
    pub graceful_shutdown_timeout: JsonDuration,
    /// How long a handler may go on after its task was cancelled before the
    /// worker gives up on it (answering for it where the server still waits).
    #[serde(default = "default_cancel_grace")]
    pub cancel_grace: JsonDuration,
    /// Heartbeat throttle interval for activities without a heartbeat timeout.
    #[serde(default = "default_heartbeat_throttle")]
    pub default_heartbeat_throttle_interval: JsonDuration,
    /// Upper bound of the heartbeat throttle interval.
    #[serde(default = "max_heartbeat_throttle")]
    pub max_heartbeat_throttle_interval: JsonDuration,
    /// Hand arguments and heartbeat details to handlers as raw payloads
    /// (`raw_args`, `raw_heartbeat_details`) instead of decoded JSON values.
    #[serde(default)]
    pub raw: bool,
    /// Limit on the rate the server dispatches this queue's tasks (to all
    /// its workers), in tasks per second.
    #[serde(default)]
    pub max_tasks_per_second: Option<f64>,
}

fn default_max_concurrent() -> usize {
    100
}

fn default_pollers() -> usize {
    2
}

fn default_cancel_grace() -> JsonDuration {
    JsonDuration(Duration::from_secs(10))
}

fn default_heartbeat_throttle() -> JsonDuration {
    JsonDuration(Duration::from_secs(30))
}

fn max_heartbeat_throttle() -> JsonDuration {
    JsonDuration(Duration::from_secs(60))
}

impl ActivityWorkerOptions {
    /// The defaults, on `task_queue`.
    pub fn new(task_queue: impl Into<String>) -> Self {
        ActivityWorkerOptions {
            task_queue: task_queue.into(),
            max_concurrent: default_max_concurrent(),
            pollers: default_pollers(),
            graceful_shutdown_timeout: JsonDuration::default(),
            cancel_grace: default_cancel_grace(),
            default_heartbeat_throttle_interval: default_heartbeat_throttle(),
            max_heartbeat_throttle_interval: max_heartbeat_throttle(),
            raw: false,
            max_tasks_per_second: None,
        }
    }

    fn validate(&self) -> Result<()> {
        let field = |name: &str, message: String| {
            Err(Error::invalid_argument(message).with_detail("field", name))
        };
        if self.task_queue.trim().is_empty() {
            return field("task_queue", "task_queue must not be empty".into());
        }
        if !(1..=100_000).contains(&self.max_concurrent) {
            return field(
                "max_concurrent",
                format!(
                    "max_concurrent must be between 1 and 100000, got {}",
                    self.max_concurrent
                ),
            );
        }
        if !(1..=1_000).contains(&self.pollers) {
            return field(
                "pollers",
                format!("pollers must be between 1 and 1000, got {}", self.pollers),
            );
        }
        if let Some(rate) = self.max_tasks_per_second {
            if !(rate.is_finite() && rate > 0.0) {
                return field(
                    "max_tasks_per_second",
                    format!("max_tasks_per_second must be a positive number, got {rate}"),
                );
            }
        }
        if self.max_heartbeat_throttle_interval.0.is_zero() {
            return field(
                "max_heartbeat_throttle_interval",
                "max_heartbeat_throttle_interval must be positive".into(),
            );
        }
        Ok(())
    }

    /// How long heartbeats of an activity with this heartbeat timeout are
    /// throttled to.
    fn heartbeat_throttle(&self, heartbeat_timeout: Option<Duration>) -> Duration {
        let interval = match heartbeat_timeout.filter(|t| !t.is_zero()) {
            Some(timeout) => timeout.mul_f64(HEARTBEAT_THROTTLE_SHARE),
            None => self.default_heartbeat_throttle_interval.0,
        };
        interval.min(self.max_heartbeat_throttle_interval.0)
    }
}

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

fn seconds(d: &Option<prost_wkt_types::Duration>) -> Option<f64> {
    d.as_ref().map(proto_seconds).filter(|s| *s > 0.0)
}

impl ActivityInfo {
    fn of(
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
struct AnswerJson {
    #[serde(default, deserialize_with = "present")]
    result: Option<Value>,
    #[serde(default)]
    raw_result: Option<RawPayload>,
    #[serde(default)]
    failure: Option<ActivityFailure>,
    #[serde(default)]
    cancelled: Option<CancelledJson>,
    #[serde(default)]
    complete_async: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelledJson {
    #[serde(default)]
    details: Vec<Value>,
}

/// `Some(value)` for a field that is present, even when it is `null`.
fn present<'de, D: serde::Deserializer<'de>>(
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
    fn encode(self) -> Result<Outcome> {
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

fn check_failure(failure: &ActivityFailure) -> Result<()> {
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
enum Outcome {
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
struct TaskShared {
    info: ActivityInfo,
    /// The worker's shutdown request.
    worker_stop: CancellationToken,
    token: Vec<u8>,
    cancel: CancellationToken,
    reason: Mutex<Option<CancelReason>>,
    /// Details of the last heartbeat not yet sent (`Some(None)`: no details).
    heartbeat: Mutex<Option<Option<Payloads>>>,
    /// The details of the last heartbeat given, kept for a failure's
    /// `last_heartbeat_details`.
    last_details: Mutex<Option<Payloads>>,
    heartbeat_given: Notify,
    answer: Mutex<AnswerSlot>,
}

enum AnswerSlot {
    Open(oneshot::Sender<Outcome>),
    Answered,
    /// The worker gave up on the task (`why`).
    GivenUp(&'static str),
}

impl TaskShared {
    fn cancel(&self, reason: CancelReason) {
        let mut current = lock(&self.reason);
        if current.is_none() {
            *current = Some(reason);
        }
        drop(current);
        self.cancel.cancel();
    }

    fn answer(&self, outcome: Outcome) -> Result<()> {
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

    fn give_up(&self, why: &'static str) -> bool {
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

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Counts of every handle on a task: when the last one goes without an
/// answer, the task fails (nothing else could ever answer it).
struct Handles(Arc<TaskShared>);

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
    handles: Arc<Handles>,
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
    fn shared(&self) -> &TaskShared {
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

    fn heartbeat_payloads(&self, payloads: Option<Payloads>) {
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

/// What a worker did so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WorkerStats {
    /// Tasks received.
    pub tasks: u64,
    /// Tasks running now.
    pub running: u64,
    /// Tasks answered completed.
    pub completed: u64,
    /// Tasks answered failed (including unknown activity types).
    pub failed: u64,
    /// Tasks answered cancelled.
    pub cancelled: u64,
    /// Tasks left to complete asynchronously.
    pub completing_async: u64,
    /// Tasks whose handler did not answer within `cancel_grace` of their
    /// cancellation.
    pub given_up: u64,
    /// Heartbeats sent to the server.
    pub heartbeats: u64,
    /// Answers or heartbeats the server refused or never got.
    pub rpc_errors: u64,
    /// The last such error.
    pub last_error: Option<Value>,
}

struct WorkerShared {
    client: Client,
    options: ActivityWorkerOptions,
    handlers: Mutex<BTreeMap<String, ActivityHandler>>,
    started: AtomicBool,
    stop: CancellationToken,
    instance_key: String,
    stats: Mutex<WorkerStats>,
}

/// An activity worker. Register handlers, then [`ActivityWorker::run`] it;
/// [`ActivityWorker::shutdown`] (from anywhere) ends the run gracefully.
/// Clones share the worker.
#[derive(Clone)]
pub struct ActivityWorker {
    shared: Arc<WorkerShared>,
}

impl std::fmt::Debug for ActivityWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActivityWorker")
            .field("task_queue", &self.shared.options.task_queue)
            .finish_non_exhaustive()
    }
}

impl ActivityWorker {
    /// A worker of `client` with `options`; nothing is polled before `run`.
    pub fn new(client: &Client, options: ActivityWorkerOptions) -> Result<ActivityWorker> {
        options.validate()?;
        Ok(ActivityWorker {
            shared: Arc::new(WorkerShared {
                client: client.clone(),
                options,
                handlers: Mutex::new(BTreeMap::new()),
                started: AtomicBool::new(false),
                stop: CancellationToken::new(),
                instance_key: uuid::Uuid::new_v4().to_string(),
                stats: Mutex::new(WorkerStats::default()),
            }),
        })
    }

    /// [`ActivityWorker::new`] from the JSON form of the options.
    pub fn new_json(client: &Client, options: &str) -> Result<ActivityWorker> {
        let options: ActivityWorkerOptions =
            crate::json_text::parse_strict(options, "worker options")?;
        ActivityWorker::new(client, options)
    }

    /// The worker's options.
    pub fn options(&self) -> &ActivityWorkerOptions {
        &self.shared.options
    }

    /// Registers the handler of one activity type (before `run`).
    pub fn register(&self, activity_type: &str, handler: ActivityHandler) -> Result<()> {
        if activity_type.trim().is_empty() {
            return Err(Error::invalid_argument("activity type must not be empty"));
        }
        let mut handlers = lock(&self.shared.handlers);
        if self.shared.started.load(Ordering::Acquire) {
            return Err(Error::invalid_argument(
                "register activities before the worker runs",
            ));
        }
        if handlers.contains_key(activity_type) {
            return Err(Error::invalid_argument(format!(
                "activity type {activity_type:?} is already registered"
            )));
        }
        handlers.insert(activity_type.to_owned(), handler);
        Ok(())
    }

    /// The registered activity types.
    pub fn activity_types(&self) -> Vec<String> {
        lock(&self.shared.handlers).keys().cloned().collect()
    }

    /// What the worker did so far.
    pub fn stats(&self) -> WorkerStats {
        lock(&self.shared.stats).clone()
    }

    /// Asks the worker to shut down: polling stops, running tasks get the
    /// grace period, then are cancelled. `run` returns when all is done.
    pub fn shutdown(&self) {
        self.shared.stop.cancel();
    }

    /// Whether shutdown was asked for.
    pub fn is_shutting_down(&self) -> bool {
        self.shared.stop.is_cancelled()
    }

    /// Polls and runs tasks until shut down. Fails at once when no activity
    /// is registered or the worker already ran, and at the end when polling
    /// failed for good (e.g. the namespace does not exist).
    pub async fn run(&self) -> Result<()> {
        self.start()?.await
    }

    /// [`ActivityWorker::run`] in two steps: checks and seals the
    /// registrations now (later ones are refused), and returns the run to
    /// spawn wherever the caller likes.
    pub fn start(&self) -> Result<impl std::future::Future<Output = Result<()>> + Send + 'static> {
        let handlers = lock(&self.shared.handlers);
        if handlers.is_empty() {
            return Err(Error::invalid_argument(
                "register at least one activity before running the worker",
            ));
        }
        if self.shared.started.swap(true, Ordering::AcqRel) {
            return Err(Error::invalid_argument("this worker already ran"));
        }
        let handlers = handlers.clone();
        Ok(Run::new(self.shared.clone(), handlers).go())
    }
}

/// One poll's outcome, with the slot it took and its poller's pacing.
type PollDone = (
    OwnedSemaphorePermit,
    Repolls,
    Result<PollActivityTaskQueueResponse>,
);

struct Run {
    worker: Arc<WorkerShared>,
    handlers: Arc<BTreeMap<String, ActivityHandler>>,
    slots: Arc<Semaphore>,
    /// Stops the polls in flight.
    poll_stop: CancellationToken,
    /// Cancels every running task (the grace period ended).
    cancel_all: CancellationToken,
}

impl Run {
    fn new(worker: Arc<WorkerShared>, handlers: BTreeMap<String, ActivityHandler>) -> Self {
        Run {
            slots: Arc::new(Semaphore::new(worker.options.max_concurrent)),
            worker,
            handlers: Arc::new(handlers),
            poll_stop: CancellationToken::new(),
            cancel_all: CancellationToken::new(),
        }
    }

    fn poll(&self, mut repolls: Repolls, pace: bool) -> BoxFuture<'static, PollDone> {
        let worker = self.worker.clone();
        let slots = self.slots.clone();
        let call = CallOptions::with_cancel(self.poll_stop.clone());
        Box::pin(async move {
            if pace {
                repolls.pace(&worker.client).await;
            }
            let permit = slots
                .acquire_owned()
                .await
                .expect("the slots semaphore is never closed");
            let options = &worker.options;
            let request = PollActivityTaskQueueRequest {
                namespace: worker.client.namespace().to_owned(),
                task_queue: Some(TaskQueue {
                    name: options.task_queue.clone(),
                    ..Default::default()
                }),
                identity: worker.client.identity().to_owned(),
                worker_instance_key: worker.instance_key.clone(),
                task_queue_metadata: options.max_tasks_per_second.map(|rate| TaskQueueMetadata {
                    max_tasks_per_second: Some(rate),
                }),
                ..Default::default()
            };
            let client = &worker.client;
            let outcome = client
                .scoped(&call, |scope| {
                    client.rpc(
                        scope,
                        RpcKind::Patient,
                        request,
                        method::poll_activity_task_queue,
                    )
                })
                .await;
            (permit, repolls, outcome)
        })
    }

    async fn go(self) -> Result<()> {
        let options = &self.worker.options;
        let mut polls: FuturesUnordered<BoxFuture<'static, PollDone>> = FuturesUnordered::new();
        for _ in 0..options.pollers {
            polls.push(self.poll(Repolls::new(), false));
        }
        let mut tasks: FuturesUnordered<BoxFuture<'static, ()>> = FuturesUnordered::new();
        let mut fatal: Option<Error> = None;
        let mut stopping = false;
        let mut shutdown_call: Option<BoxFuture<'static, ()>> = None;
        let mut drain_until: Option<Instant> = None;
        let mut cancel_at: Option<Instant> = None;
        let stop = self.worker.stop.clone();
        loop {
            if stopping && polls.is_empty() && tasks.is_empty() && shutdown_call.is_none() {
                break;
            }
            tokio::select! {
                Some((permit, repolls, outcome)) = polls.next(), if !polls.is_empty() => {
                    match outcome {
                        Ok(task) if !task.task_token.is_empty() => {
                            tasks.push(self.run_task(task, permit));
                            if !stopping {
                                polls.push(self.poll(repolls, false));
                            }
                        }
                        Ok(_) => {
                            drop(permit);
                            if !stopping {
                                polls.push(self.poll(repolls, true));
                            }
                        }
                        Err(_) if stopping => {}
                        Err(error) => {
                            fatal = Some(error.context(format!(
                                "polling task queue {:?}",
                                options.task_queue
                            )));
                            stop.cancel();
                        }
                    }
                }
                Some(()) = tasks.next(), if !tasks.is_empty() => {}
                () = stop.cancelled(), if !stopping => {
                    stopping = true;
                    let now = Instant::now();
                    drain_until = Some(now + POLL_DRAIN);
                    cancel_at = Some(now + options.graceful_shutdown_timeout.0);
                    shutdown_call = Some(self.shutdown_call());
                }
                () = until(drain_until) => {
                    drain_until = None;
                    self.poll_stop.cancel();
                }
                () = until(cancel_at) => {
                    cancel_at = None;
                    self.cancel_all.cancel();
                }
                () = maybe(&mut shutdown_call) => {
                    shutdown_call = None;
                }
            }
        }
        match fatal {
            Some(error) => Err(error),
            None => Ok(()),
        }
    }

    /// Tells the server this worker stops, which ends its polls in flight.
    fn shutdown_call(&self) -> BoxFuture<'static, ()> {
        let worker = self.worker.clone();
        Box::pin(async move {
            let client = &worker.client;
            let request = ShutdownWorkerRequest {
                namespace: client.namespace().to_owned(),
                identity: client.identity().to_owned(),
                reason: "graceful shutdown".into(),
                worker_instance_key: worker.instance_key.clone(),
                task_queue: worker.options.task_queue.clone(),
                task_queue_types: vec![TaskQueueType::Activity as i32],
                ..Default::default()
            };
            // Best effort: a server without the call ends its polls by
            // their deadline instead, and those are dropped.
            let _ = client
                .scoped(&CallOptions::with_timeout(SHUTDOWN_CALL_TIMEOUT), |scope| {
                    client.rpc(scope, RpcKind::Once, request, method::shutdown_worker)
                })
                .await;
        })
    }

    fn run_task(
        &self,
        task: PollActivityTaskQueueResponse,
        permit: OwnedSemaphorePermit,
    ) -> BoxFuture<'static, ()> {
        let worker = self.worker.clone();
        let handler = self
            .handlers
            .get(
                task.activity_type
                    .as_ref()
                    .map(|t| t.name.as_str())
                    .unwrap_or(""),
            )
            .cloned();
        let known: Vec<String> = self.handlers.keys().cloned().collect();
        let cancel_all = self.cancel_all.clone();
        Box::pin(async move {
            let _permit = permit;
            TaskRun::start(worker, task, handler, known, cancel_all).await;
        })
    }
}

/// Resolves at `at`; never when `None`.
async fn until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Resolves when the future in `slot` does; never when there is none.
async fn maybe<T>(slot: &mut Option<BoxFuture<'static, T>>) -> T {
    match slot.as_mut() {
        Some(future) => future.await,
        None => std::future::pending().await,
    }
}

fn failure_names(known: &[String]) -> String {
    known.join(", ")
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// One task, from its handler's start to the answer on the server.
struct TaskRun {
    worker: Arc<WorkerShared>,
    shared: Arc<TaskShared>,
    throttle: Duration,
}

impl TaskRun {
    async fn start(
        worker: Arc<WorkerShared>,
        task: PollActivityTaskQueueResponse,
        handler: Option<ActivityHandler>,
        known: Vec<String>,
        cancel_all: CancellationToken,
    ) {
        let received = Instant::now();
        let info = ActivityInfo::of(&task, worker.client.namespace(), &worker.options);
        let heartbeat_timeout = task
            .heartbeat_timeout
            .as_ref()
            .map(proto_seconds)
            .filter(|s| *s > 0.0)
            .map(Duration::from_secs_f64);
        let throttle = worker.options.heartbeat_throttle(heartbeat_timeout);
        let deadline = local_deadline(&task).map(|left| received + left);
        let (sender, receiver) = oneshot::channel();
        let shared = Arc::new(TaskShared {
            info,
            worker_stop: worker.stop.clone(),
            token: task.task_token,
            cancel: CancellationToken::new(),
            reason: Mutex::new(None),
            heartbeat: Mutex::new(None),
            last_details: Mutex::new(None),
            heartbeat_given: Notify::new(),
            answer: Mutex::new(AnswerSlot::Open(sender)),
        });
        {
            let mut stats = lock(&worker.stats);
            stats.tasks += 1;
            stats.running += 1;
        }
        let run = TaskRun {
            worker,
            shared: shared.clone(),
            throttle,
        };
        let handle = ActivityTask {
            handles: Arc::new(Handles(shared.clone())),
        };
        let mut future: Option<BoxFuture<'static, ActivityAnswer>> = None;
        match handler {
            None => {
                let activity_type = shared.info.activity_type.clone();
                let _ = handle.answer(ActivityAnswer::Failed(ActivityFailure {
                    message: format!(
                        "activity type {activity_type:?} is not registered on this worker; it serves: {}",
                        failure_names(&known)
                    ),
                    error_type: Some("NotFoundError".into()),
                    non_retryable: true,
                    ..Default::default()
                }));
            }
            Some(ActivityHandler::Async(f)) => {
                let task = handle.clone();
                let f = f.clone();
                future = Some(Box::pin(async move {
                    match futures::FutureExt::catch_unwind(AssertUnwindSafe(async move {
                        f(task).await
                    }))
                    .await
                    {
                        Ok(answer) => answer,
                        Err(panic) => panicked(&*panic),
                    }
                }));
            }
            Some(ActivityHandler::Blocking(f)) => {
                let task = handle.clone();
                tokio::task::spawn_blocking(move || {
                    let keep = task.clone();
                    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| f(task))) {
                        let _ = keep.answer(panicked(&*panic));
                    }
                });
            }
        }
        // An async handler's future answers the task when it ends: the task
        // stays open until then, whatever the handler did with its handle.
        let keep = future.is_some().then_some(handle);
        run.wait(receiver, future, keep, deadline, cancel_all).await;
    }

    async fn wait(
        self,
        mut receiver: oneshot::Receiver<Outcome>,
        mut future: Option<BoxFuture<'static, ActivityAnswer>>,
        mut keep: Option<ActivityTask>,
        deadline: Option<Instant>,
        cancel_all: CancellationToken,
    ) {
        let shared = self.shared.clone();
        let mut deadline = deadline;
        let mut give_up_at: Option<Instant> = None;
        let mut in_flight: Option<BoxFuture<'static, Result<HeartbeatActivityResponse>>> = None;
        let mut next_send = Instant::now();
        let mut flush_at: Option<Instant> = None;
        let mut shutting_down = false;
        let outcome = loop {
            tokio::select! {
                biased;
                outcome = &mut receiver => {
                    // Every sender side is in the answer slot, which only
                    // closes by sending.
                    break outcome.ok();
                }
                answer = maybe(&mut future) => {
                    future = None;
                    // Already answered through its handle: the first answer counts.
                    let _ = self.answer_for_handler(answer);
                    drop(keep.take());
                }
                () = shared.heartbeat_given.notified() => {
                    if in_flight.is_none() && flush_at.is_none() {
                        flush_at = Some(next_send.max(Instant::now()));
                    }
                }
                () = until(flush_at) => {
                    flush_at = None;
                    if let Some(details) = lock(&shared.heartbeat).take() {
                        if !shared.cancel.is_cancelled() {
                            next_send = Instant::now() + self.throttle;
                            lock(&self.worker.stats).heartbeats += 1;
                            in_flight = Some(self.send_heartbeat(details));
                        }
                    }
                }
                reply = maybe(&mut in_flight) => {
                    in_flight = None;
                    match reply {
                        Ok(reply) => {
                            if reply.cancel_requested {
                                shared.cancel(CancelReason::CancelRequested);
                            } else if reply.activity_paused {
                                shared.cancel(CancelReason::Paused);
                            } else if reply.activity_reset {
                                shared.cancel(CancelReason::Reset);
                            }
                        }
                        Err(error) if error.kind() == ErrorKind::NotFound => {
                            shared.cancel(CancelReason::NotFound);
                        }
                        Err(error) => self.rpc_error(&error),
                    }
                    if lock(&shared.heartbeat).is_some() {
                        flush_at = Some(next_send.max(Instant::now()));
                    }
                }
                () = until(deadline) => {
                    deadline = None;
                    shared.cancel(CancelReason::TimedOut);
                }
                () = cancel_all.cancelled(), if !shutting_down => {
                    shutting_down = true;
                    shared.cancel(CancelReason::WorkerShutdown);
                }
                () = shared.cancel.cancelled(), if give_up_at.is_none() => {
                    give_up_at = Some(Instant::now() + self.worker.options.cancel_grace.0);
                }
                () = until(give_up_at) => {
                    let reason = (*lock(&shared.reason)).unwrap_or(CancelReason::WorkerShutdown);
                    if shared.give_up("the worker gave up on it after its cancellation") {
                        lock(&self.worker.stats).given_up += 1;
                        break given_up_outcome(reason);
                    }
                    give_up_at = None;
                }
            }
        };
        if let Some(outcome) = outcome {
            let outcome = match outcome {
                // Cancelled because this worker stops, not because the
                // workflow asked: a failure the retry policy can run again
                // (on another worker), from the last heartbeat's details.
                Outcome::Cancelled(_)
                    if *lock(&shared.reason) == Some(CancelReason::WorkerShutdown) =>
                {
                    Outcome::Failed(ActivityFailure {
                        message: "the worker shut down while the activity ran".into(),
                        error_type: Some("WorkerShutdown".into()),
                        ..Default::default()
                    })
                }
                outcome => outcome,
            };
            self.respond(outcome).await;
        }
        lock(&self.worker.stats).running -= 1;
    }

    /// Answers with what an async handler's future returned, unless the
    /// task was answered through its handle already.
    fn answer_for_handler(&self, answer: ActivityAnswer) -> Result<()> {
        let outcome = match answer.encode() {
            Ok(outcome) => outcome,
            Err(error) => Outcome::Failed(ActivityFailure {
                message: format!(
                    "the activity handler's answer is invalid: {}",
                    error.message()
                ),
                error_type: Some("InvalidAnswer".into()),
                ..Default::default()
            }),
        };
        self.shared.answer(outcome)
    }

    /// The task as an async-activity handle: the same RPCs, by task token.
    fn handle(&self) -> AsyncActivityHandle {
        self.worker
            .client
            .async_activity_handle(ActivityTarget::TaskToken(self.shared.token.clone()))
    }

    fn send_heartbeat(
        &self,
        details: Option<Payloads>,
    ) -> BoxFuture<'static, Result<HeartbeatActivityResponse>> {
        let handle = self.handle();
        Box::pin(async move {
            handle
                .heartbeat_payloads(details, &CallOptions::default())
                .await
        })
    }

    fn rpc_error(&self, error: &Error) {
        let mut stats = lock(&self.worker.stats);
        stats.rpc_errors += 1;
        stats.last_error = Some(error.to_json_value());
    }

    /// Sends the answer to the server.
    async fn respond(&self, outcome: Outcome) {
        let handle = self.handle();
        let call = CallOptions::default();
        let stats = &self.worker.stats;
        let sent = match outcome {
            Outcome::Completed(result) => {
                lock(stats).completed += 1;
                handle.complete_payloads(result, &call).await
            }
            Outcome::Failed(failure) => {
                lock(stats).failed += 1;
                let details = lock(&self.shared.last_details).clone();
                handle.fail_payloads(&failure, details, &call).await
            }
            Outcome::Cancelled(details) => {
                lock(stats).cancelled += 1;
                handle.report_cancellation_payloads(details, &call).await
            }
            Outcome::CompleteAsync => {
                lock(stats).completing_async += 1;
                Ok(())
            }
        };
        if let Err(error) = sent {
            self.rpc_error(&error);
        }
    }
}

/// What the worker answers for a handler it gave up on: nothing when the
/// server no longer waits for the task; cancelled when the workflow asked for
/// it; otherwise a retryable failure, so another attempt runs.
fn given_up_outcome(reason: CancelReason) -> Option<Outcome> {
    match reason {
        CancelReason::NotFound | CancelReason::TimedOut => None,
        CancelReason::CancelRequested => Some(Outcome::Cancelled(encode_values(&[json!(
            "the activity handler did not answer its cancellation in time"
        )]))),
        CancelReason::Paused | CancelReason::Reset | CancelReason::WorkerShutdown => {
            Some(Outcome::Failed(ActivityFailure {
                message: format!(
                    "the activity handler did not answer within cancel_grace of its cancellation ({})",
                    reason.as_str()
                ),
                error_type: Some("HandlerDidNotAnswer".into()),
                ..Default::default()
            }))
        }
    }
}

fn panicked(panic: &(dyn std::any::Any + Send)) -> ActivityAnswer {
    ActivityAnswer::Failed(ActivityFailure {
        message: format!("the activity handler panicked: {}", panic_message(panic)),
        error_type: Some("HandlerPanicked".into()),
        ..Default::default()
    })
}

/// How long the task may run from now: its start-to-close timeout, or what
/// is left of its schedule-to-close timeout, whichever ends first. Computed
/// from the server's own times, so clock skew does not matter.
fn local_deadline(task: &PollActivityTaskQueueResponse) -> Option<Duration> {
    let positive =
        |d: &Option<prost_wkt_types::Duration>| d.as_ref().map(proto_seconds).filter(|s| *s > 0.0);
    let start_to_close = positive(&task.start_to_close_timeout);
    let schedule_to_close = positive(&task.schedule_to_close_timeout).map(|total| {
        let at = |t: &Option<prost_wkt_types::Timestamp>| {
            t.as_ref()
                .map(|t| t.seconds as f64 + f64::from(t.nanos) / 1e9)
        };
        match (at(&task.scheduled_time), at(&task.started_time)) {
            (Some(scheduled), Some(started)) => total - (started - scheduled).max(0.0),
            _ => total,
        }
    });
    let left = match (start_to_close, schedule_to_close) {
        (Some(a), Some(b)) => a.min(b),
        (a, b) => a.or(b)?,
    };
    Some(Duration::from_secs_f64(
        left.clamp(0.0, 100.0 * 365.0 * 86400.0),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(seconds: f64) -> Option<prost_wkt_types::Duration> {
        Some(crate::duration::to_proto(Duration::from_secs_f64(seconds)))
    }

    fn at(seconds: i64) -> Option<prost_wkt_types::Timestamp> {
        Some(prost_wkt_types::Timestamp { seconds, nanos: 0 })
    }

    #[test]
    fn heartbeats_are_throttled_to_four_fifths_of_the_timeout_within_the_bounds() {
        let options = ActivityWorkerOptions::new("q");
        let throttle = |t: Option<f64>| {
            options
                .heartbeat_throttle(t.map(Duration::from_secs_f64))
                .as_secs_f64()
        };
        assert_eq!(throttle(Some(10.0)), 8.0);
        assert_eq!(throttle(Some(1.0)), 0.8);
        // No heartbeat timeout: the default; a long one: the maximum.
        assert_eq!(throttle(None), 30.0);
        assert_eq!(throttle(Some(0.0)), 30.0);
        assert_eq!(throttle(Some(600.0)), 60.0);
    }

    #[test]
    fn the_local_deadline_is_the_nearer_of_the_timeouts_from_the_server_times() {
        let task = |s2c: Option<f64>, st2c: Option<f64>| PollActivityTaskQueueResponse {
            schedule_to_close_timeout: s2c.and_then(secs),
            start_to_close_timeout: st2c.and_then(secs),
            scheduled_time: at(1000),
            started_time: at(1004),
            ..Default::default()
        };
        let left = |t: PollActivityTaskQueueResponse| local_deadline(&t).map(|d| d.as_secs_f64());
        assert_eq!(left(task(None, None)), None);
        assert_eq!(left(task(None, Some(30.0))), Some(30.0));
        // Scheduled 4 s before it started: 10 s to close leaves 6.
        assert_eq!(left(task(Some(10.0), Some(30.0))), Some(6.0));
        assert_eq!(left(task(Some(100.0), Some(30.0))), Some(30.0));
        // Already past: no time left, not a negative one.
        assert_eq!(left(task(Some(2.0), None)), Some(0.0));
    }

    #[test]
    fn a_handler_given_up_on_is_answered_only_where_the_server_still_waits() {
        assert!(given_up_outcome(CancelReason::NotFound).is_none());
        assert!(given_up_outcome(CancelReason::TimedOut).is_none());
        assert!(matches!(
            given_up_outcome(CancelReason::CancelRequested),
            Some(Outcome::Cancelled(Some(_)))
        ));
        for reason in [
            CancelReason::WorkerShutdown,
            CancelReason::Paused,
            CancelReason::Reset,
        ] {
            let Some(Outcome::Failed(failure)) = given_up_outcome(reason) else {
                panic!("{reason:?} should fail the task");
            };
            assert!(
                !failure.non_retryable,
                "another attempt must be able to run"
            );
            assert!(failure.message.contains(reason.as_str()));
        }
    }

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
