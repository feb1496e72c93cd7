//! The life of one task inside the worker: starting its handler, sending its
//! throttled heartbeats, cancelling it (and why), giving up on a handler that
//! does not answer, and sending the answer to the server.

use crate::activity_completion::{
    ActivityFailure, ActivityTarget, AsyncActivityHandle, HeartbeatActivityResponse,
};
use crate::client::CallOptions;
use crate::duration::proto_seconds;
use crate::error::{Error, ErrorKind, Result};
use crate::payload::encode_values;
use futures::future::BoxFuture;
use serde_json::json;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use temporalio_protos::temporal::api::common::v1::Payloads;
use temporalio_protos::temporal::api::workflowservice::v1::PollActivityTaskQueueResponse;
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use super::task::{
    lock, ActivityAnswer, ActivityHandler, ActivityInfo, ActivityTask, AnswerSlot, CancelReason,
    Handles, Outcome, TaskShared,
};
use super::{maybe, until, WorkerShared};

/// One task, from its handler's start to the answer on the server.
pub(super) struct TaskRun {
    pub(super) worker: Arc<WorkerShared>,
    pub(super) shared: Arc<TaskShared>,
    pub(super) throttle: Duration,
}

impl TaskRun {
    pub(super) async fn start(
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
        let running = {
            let mut stats = lock(&worker.stats);
            stats.tasks += 1;
            stats.running += 1;
            stats.running
        };
        worker.report_slots(running);
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
                let inside = HandlerCall::enter(&run.worker.handler_calls);
                tokio::task::spawn_blocking(move || {
                    let keep = task.clone();
                    if let Err(panic) = catch_unwind(AssertUnwindSafe(|| f(task))) {
                        let _ = keep.answer(panicked(&*panic));
                    }
                    // The handler (and what it holds, e.g. a binding's user
                    // data) goes before the call counts as ended.
                    drop(f);
                    drop(keep);
                    drop(inside);
                });
            }
        }
        // An async handler's future answers the task when it ends: the task
        // stays open until then, whatever the handler did with its handle.
        let keep = future.is_some().then_some(handle);
        run.wait(receiver, future, keep, deadline, cancel_all).await;
    }

    pub(super) async fn wait(
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
        let running = {
            let mut stats = lock(&self.worker.stats);
            stats.running -= 1;
            stats.running
        };
        self.worker.report_slots(running);
    }

    /// Answers with what an async handler's future returned, unless the
    /// task was answered through its handle already.
    pub(super) fn answer_for_handler(&self, answer: ActivityAnswer) -> Result<()> {
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
    pub(super) fn handle(&self) -> AsyncActivityHandle {
        self.worker
            .client
            .async_activity_handle(ActivityTarget::TaskToken(self.shared.token.clone()))
    }

    pub(super) fn send_heartbeat(
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

    pub(super) fn rpc_error(&self, error: &Error) {
        let mut stats = lock(&self.worker.stats);
        stats.rpc_errors += 1;
        stats.last_error = Some(error.to_json_value());
    }

    /// Sends the answer to the server.
    pub(super) async fn respond(&self, outcome: Outcome) {
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
pub(super) fn given_up_outcome(reason: CancelReason) -> Option<Outcome> {
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

pub(super) fn panicked(panic: &(dyn std::any::Any + Send)) -> ActivityAnswer {
    ActivityAnswer::Failed(ActivityFailure {
        message: format!("the activity handler panicked: {}", panic_message(panic)),
        error_type: Some("HandlerPanicked".into()),
        ..Default::default()
    })
}

/// How long the task may run from now: its start-to-close timeout, or what
/// is left of its schedule-to-close timeout, whichever ends first. Computed
/// from the server's own times, so clock skew does not matter.
pub(super) fn local_deadline(task: &PollActivityTaskQueueResponse) -> Option<Duration> {
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

pub(super) fn failure_names(known: &[String]) -> String {
    known.join(", ")
}

pub(super) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// The blocking handler calls in progress: the worker's run ends only once
/// every call has returned (or `cancel_grace` after it stopped), so that
/// nothing of a handler (e.g. a binding's user data) outlives the run.
#[derive(Default)]
pub(super) struct HandlerCalls {
    running: AtomicUsize,
    ended: Notify,
}

impl HandlerCalls {
    /// Waits until no call is in progress.
    pub(super) async fn all_returned(&self) {
        loop {
            let ended = self.ended.notified();
            if self.running.load(Ordering::Acquire) == 0 {
                return;
            }
            ended.await;
        }
    }
}

/// One call in progress; counts as returned when dropped.
pub(super) struct HandlerCall(Arc<HandlerCalls>);

impl HandlerCall {
    pub(super) fn enter(calls: &Arc<HandlerCalls>) -> HandlerCall {
        calls.running.fetch_add(1, Ordering::AcqRel);
        HandlerCall(Arc::clone(calls))
    }
}

impl Drop for HandlerCall {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.ended.notify_waiters();
        }
    }
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
}
