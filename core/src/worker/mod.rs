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

use crate::client::{CallOptions, Client, Repolls, RpcKind};
use crate::error::{Error, Result};
use crate::transport::method;
use futures::future::BoxFuture;
use futures::stream::{FuturesUnordered, StreamExt};
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use temporalio_protos::temporal::api::enums::v1::TaskQueueType;
use temporalio_protos::temporal::api::taskqueue::v1::{TaskQueue, TaskQueueMetadata};
use temporalio_protos::temporal::api::workflowservice::v1::{
    PollActivityTaskQueueRequest, PollActivityTaskQueueResponse, ShutdownWorkerRequest,
};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

mod options;
mod task;
mod task_run;

pub use options::ActivityWorkerOptions;
use task::lock;
pub use task::{
    ActivityAnswer, ActivityHandler, ActivityInfo, ActivityTask, AsyncHandler, BlockingHandler,
    CancelReason,
};
use task_run::{HandlerCalls, TaskRun};

/// The RPCs the worker makes besides the activity-completion operations'
/// (the operation table's test checks every declared method is used).
#[cfg(test)]
pub(crate) const RPC_METHODS: &[&str] = &[
    method::poll_activity_task_queue.path(),
    method::shutdown_worker.path(),
];

/// How long shutdown waits for the polls in flight to come back (the server
/// ends them early once told the worker is shutting down) before it drops
/// them.
const POLL_DRAIN: Duration = Duration::from_secs(2);

/// How long the `ShutdownWorker` call may take.
const SHUTDOWN_CALL_TIMEOUT: Duration = Duration::from_secs(5);

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
    /// The run's outcome once it ended (`None` until then). Apart from
    /// the rest, so that the run's last act (saying it ended) holds nothing
    /// else of the worker: what the worker holds (e.g. a binding's user
    /// data) goes with the last handle on it, not on the runtime's thread.
    ended: Arc<watch::Sender<Option<Result<()>>>>,
    /// Blocking handler calls that have not returned yet.
    handler_calls: Arc<HandlerCalls>,
}

impl WorkerShared {
    /// Reports the slots to the metrics: `running` tasks hold theirs.
    fn report_slots(&self, running: u64) {
        crate::metrics::record_slots(
            self.client.namespace(),
            &self.options.task_queue,
            running,
            self.options.max_concurrent as u64,
        );
    }
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
                ended: Arc::new(watch::Sender::new(None)),
                handler_calls: Arc::default(),
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
    /// spawn wherever the caller likes. Its outcome is also kept for
    /// [`ActivityWorker::finished`].
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
        let run = Run::new(self.shared.clone(), handlers.clone()).go();
        let ended = Arc::clone(&self.shared.ended);
        Ok(async move {
            let outcome = run.await;
            ended.send_replace(Some(outcome.clone()));
            outcome
        })
    }

    /// Waits until the run ended and returns its outcome (from anywhere,
    /// any number of times). Fails at once when the worker was not started.
    /// The wait holds nothing of the worker but its outcome's slot.
    pub fn finished(&self) -> impl std::future::Future<Output = Result<()>> + Send + 'static {
        let started = self.shared.started.load(Ordering::Acquire);
        let mut ended = self.shared.ended.subscribe();
        async move {
            if !started {
                return Err(Error::invalid_argument("the worker was not started"));
            }
            // The sender lives as long as the run or the worker.
            let outcome = ended.wait_for(Option::is_some).await;
            outcome
                .map(|outcome| outcome.clone().unwrap_or(Ok(())))
                .unwrap_or(Ok(()))
        }
    }

    /// Whether the run ended.
    pub fn has_finished(&self) -> bool {
        self.shared.ended.borrow().is_some()
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
        self.worker.report_slots(0);
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
        // Every task was answered or given up on; their handlers' calls
        // return now, or at least get `cancel_grace` to.
        let calls = Arc::clone(&self.worker.handler_calls);
        let _ = tokio::time::timeout(options.cancel_grace.0, calls.all_returned()).await;
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
