//! Activity workers written in C or C++: a worker polls one task queue and
//! calls the callback registered for each task's activity type; the callback
//! (or any thread it hands the task to) heartbeats, watches for cancellation
//! and answers through the task handle.

use crate::boundary::{guard, guard_void, report_error, run_text};
use crate::call::UserData;
use crate::client::TbClient;
use crate::pointers::{borrow, borrow_optional, into_raw, str_argument, take};
use crate::status::TbStatus;
use std::ffi::{c_char, c_void, CString};
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use temporal_bridge_core::{
    runtime, ActivityHandler, ActivityTask, ActivityWorker, CancelReason, Error,
};

/// An activity worker (opaque). Create with `tb_worker_new`, register
/// callbacks with `tb_worker_register`, start with `tb_worker_start`, stop
/// with `tb_worker_shutdown`, free with `tb_worker_free`. Thread-safe.
pub struct TbWorker {
    worker: ActivityWorker,
}

/// One activity task (opaque), owned by whoever got it from a callback.
/// Every `tb_activity_task_*` function may be called on it from any thread,
/// concurrently, until `tb_activity_task_free`.
pub struct TbActivityTask {
    task: ActivityTask,
    info: CString,
}

/// Runs one activity task. Called once per task of the activity type it was
/// registered for, on a library thread of its own that may block (a thread
/// per running task, up to the worker's `max_concurrent`), concurrently with
/// other tasks: the callback and its `user_data` must be thread-safe.
///
/// The callback owns `task`. Answer it (`tb_activity_task_answer` or
/// `tb_activity_task_complete`) and free it (`tb_activity_task_free`), in
/// that order, before returning or later from any thread — e.g. hand the
/// task to a thread pool and return at once. A task freed unanswered fails
/// (`"HandlerReleasedTask"`). A callback must not wait for the worker to
/// shut down (`tb_worker_free`) or a blocking call on a client that uses a
/// codec whose callbacks wait for this one.
pub type TbActivityCallback =
    Option<unsafe extern "C" fn(user_data: *mut c_void, task: *mut TbActivityTask)>;

/// Called once with `user_data` when the worker no longer needs it (the
/// worker was freed and its last task of this type ended), on the thread
/// that freed the worker or on a library thread. NULL for none.
pub type TbReleaseCallback = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

struct Registration {
    callback: unsafe extern "C" fn(*mut c_void, *mut TbActivityTask),
    user_data: UserData,
    release: TbReleaseCallback,
    /// Whether `release` is owed: only once the registration was accepted.
    accepted: AtomicBool,
}

// SAFETY: the header makes the callback and `user_data` thread-safe.
unsafe impl Sync for Registration {}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(release) = self.release.filter(|_| *self.accepted.get_mut()) {
            // SAFETY: the header's contract for `release`; called once.
            unsafe { release(self.user_data.0) }
        }
    }
}

impl Registration {
    fn run(&self, task: ActivityTask) {
        let info = serde_json::to_string(task.info()).unwrap_or_default();
        // JSON text escapes every control character: no NUL inside.
        let info = CString::new(info).unwrap_or_default();
        let handle = into_raw(TbActivityTask { task, info });
        // SAFETY: the callback's contract in the header; it owns `handle`.
        unsafe { (self.callback)(self.user_data.0, handle) }
    }
}

/// Makes an activity worker of `client` (which it keeps a reference to:
/// the client may be freed first, which closes it and so stops the worker).
///
/// `options_json`: `{"task_queue": "..."}` (required) plus, all optional,
/// `"max_concurrent"` (tasks at once, default 100), `"pollers"` (long polls
/// at once, default 2), `"graceful_shutdown_timeout"` (how long running tasks
/// may go on after `tb_worker_shutdown` before they are cancelled; default
/// 0), `"cancel_grace"` (how long a cancelled task's callback may go on
/// before the worker gives up on it and answers for it; default `"10s"`),
/// `"default_heartbeat_throttle_interval"` (`"30s"`),
/// `"max_heartbeat_throttle_interval"` (`"60s"`), `"raw"` (arguments and
/// heartbeat details as raw payloads), `"max_tasks_per_second"` (the task
/// queue's dispatch rate, across its workers). Durations are seconds or
/// strings such as `"1.5s"`; unknown fields are errors.
///
/// On success writes the worker to `*worker_out` (required); on failure
/// writes the JSON error object to `*error_out` unless it is NULL.
#[no_mangle]
pub unsafe extern "C" fn tb_worker_new(
    client: *const TbClient,
    options_json: *const c_char,
    worker_out: *mut *mut TbWorker,
    error_out: *mut *mut c_char,
) -> TbStatus {
    let made = guard("tb_worker_new", || {
        if worker_out.is_null() {
            return Err(
                Error::invalid_argument("worker_out is NULL").with_detail("argument", "worker_out")
            );
        }
        // SAFETY (both): NULL or valid, per the header.
        let client = unsafe { borrow(client, "client") }?;
        let options = unsafe { str_argument(options_json, "options_json") }?;
        let worker = ActivityWorker::new_json(&client.client, options)?;
        Ok(into_raw(TbWorker { worker }))
    });
    match made {
        Ok(worker) => {
            // SAFETY: checked non-NULL above; valid per the header.
            unsafe { worker_out.write(worker) };
            TbStatus::Ok
        }
        // SAFETY: the caller's contract.
        Err(error) => unsafe { report_error(&error, error_out) },
    }
}

/// Registers the callback that runs tasks of `activity_type` (copied), with
/// `user_data` passed to it untouched. Before `tb_worker_start` only; a type
/// registered twice is an error. Once registered (`TB_STATUS_OK`), `release`
/// will be called with `user_data` when the worker no longer needs it.
#[no_mangle]
pub unsafe extern "C" fn tb_worker_register(
    worker: *const TbWorker,
    activity_type: *const c_char,
    callback: TbActivityCallback,
    user_data: *mut c_void,
    release: TbReleaseCallback,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        run_text("tb_worker_register", ptr::null_mut(), error_out, || {
            let worker = borrow(worker, "worker")?;
            let activity_type = str_argument(activity_type, "activity_type")?;
            let callback = callback.ok_or_else(|| {
                Error::invalid_argument("callback is NULL").with_detail("argument", "callback")
            })?;
            let registration = Arc::new(Registration {
                callback,
                user_data: UserData(user_data),
                release,
                accepted: AtomicBool::new(false),
            });
            let handler = {
                let registration = Arc::clone(&registration);
                ActivityHandler::blocking(move |task| registration.run(task))
            };
            worker.worker.register(activity_type, handler)?;
            // From now on `release` is owed, once, when the last reference
            // to the registration goes.
            registration.accepted.store(true, Ordering::Release);
            Ok(String::new())
        })
    }
}

/// Starts polling, in the background; returns at once. Fails when no
/// activity is registered or the worker was started before. The worker
/// runs until `tb_worker_shutdown` (or freeing it, or closing its client),
/// or until polling fails for good (e.g. the namespace does not exist;
/// `tb_worker_wait` then returns that error). A server that goes away
/// meanwhile is waited for: polls resume when it is back.
#[no_mangle]
pub unsafe extern "C" fn tb_worker_start(
    worker: *const TbWorker,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        run_text("tb_worker_start", ptr::null_mut(), error_out, || {
            let worker = borrow(worker, "worker")?;
            let run = worker.worker.start()?;
            runtime::shared()?.spawn(run);
            Ok(String::new())
        })
    }
}

/// Asks the worker to shut down and returns at once: polling stops, running
/// tasks get `graceful_shutdown_timeout` to finish, then are cancelled
/// (reason `"worker_shutdown"`), and the worker gives up on those that have
/// not answered `cancel_grace` later. `tb_worker_wait` waits for the end.
/// Idempotent, thread-safe (also from a callback). NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn tb_worker_shutdown(worker: *const TbWorker) {
    guard_void(|| {
        // SAFETY: NULL or a live worker, per the header.
        if let Some(worker) = unsafe { borrow_optional(worker) } {
            worker.worker.shutdown();
        }
    });
}

/// Blocks until the worker stopped, at most `timeout_ms` milliseconds (a
/// negative value: no limit). Returns `TB_STATUS_OK` when it stopped after a
/// shutdown, the error of the polling that failed for good (with its JSON in
/// `*error_out`), `TB_STATUS_DEADLINE_EXCEEDED` when it still runs at the
/// limit, or `TB_STATUS_INVALID_ARGUMENT` when it was never started. Must not
/// be called from an activity callback (the worker waits for those).
#[no_mangle]
pub unsafe extern "C" fn tb_worker_wait(
    worker: *const TbWorker,
    timeout_ms: i64,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        run_text("tb_worker_wait", ptr::null_mut(), error_out, || {
            let worker = borrow(worker, "worker")?;
            wait(
                worker,
                u64::try_from(timeout_ms).ok().map(Duration::from_millis),
            )?;
            Ok(String::new())
        })
    }
}

fn wait(worker: &TbWorker, limit: Option<Duration>) -> Result<(), Error> {
    let finished = worker.worker.finished();
    let outcome = runtime::block_on(async move {
        match limit {
            Some(limit) => tokio::time::timeout(limit, finished).await.ok(),
            None => Some(finished.await),
        }
    })?;
    outcome.unwrap_or_else(|| {
        Err(Error::new(
            temporal_bridge_core::ErrorKind::DeadlineExceeded,
            format!(
                "the worker still runs after {} ms",
                limit.unwrap_or_default().as_millis()
            ),
        ))
    })
}

/// What the worker did so far, as JSON: `{"tasks", "running", "completed",
/// "failed", "cancelled", "completing_async", "given_up", "heartbeats",
/// "rpc_errors", "last_error"}`. Writes it to `*stats_out` (free with
/// `tb_string_free`).
#[no_mangle]
pub unsafe extern "C" fn tb_worker_stats(
    worker: *const TbWorker,
    stats_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        run_text("tb_worker_stats", stats_out, error_out, || {
            let worker = borrow(worker, "worker")?;
            serde_json::to_string(&worker.worker.stats())
                .map_err(|e| Error::internal(e.to_string()))
        })
    }
}

/// Shuts the worker down (as `tb_worker_shutdown`), waits until it stopped
/// (bounded by its grace periods), and frees it. Callbacks' `release` run
/// once the last task of their type has ended. Must not be called from an
/// activity callback. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn tb_worker_free(worker: *mut TbWorker) {
    guard_void(|| {
        // SAFETY: NULL or a worker from tb_worker_new not yet freed.
        if let Some(worker) = unsafe { take(worker) } {
            worker.worker.shutdown();
            let _ = wait(&worker, None);
        }
    });
}

/// The task as JSON: `{"activity_type", "activity_id", "workflow_type",
/// "workflow_id", "run_id", "namespace", "workflow_namespace", "task_queue",
/// "task_token" (base64), "attempt" (from 1), "args" (JSON values; in raw
/// mode `"raw_args"`), "heartbeat_details" (of the last attempt; in raw
/// mode `"raw_heartbeat_details"`), "scheduled_time",
/// "current_attempt_scheduled_time", "started_time" (RFC 3339),
/// "schedule_to_close_timeout", "start_to_close_timeout",
/// "heartbeat_timeout" (seconds, or null)}`. Lent: valid until the task is
/// freed. NULL for a NULL task.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_task_info(task: *const TbActivityTask) -> *const c_char {
    // SAFETY: NULL or a live task, per the header.
    unsafe { borrow_optional(task) }.map_or(ptr::null(), |t| t.info.as_ptr())
}

/// Records progress: `details_json` is a JSON array of details (NULL: none),
/// copied. Returns at once; the worker sends at most one heartbeat per 0.8 ×
/// the heartbeat timeout, with the latest details, and the next attempt of
/// the activity sees the last details sent. A heartbeat's answer is how the
/// worker learns that the activity was cancelled.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_task_heartbeat(
    task: *const TbActivityTask,
    details_json: *const c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        run_text(
            "tb_activity_task_heartbeat",
            ptr::null_mut(),
            error_out,
            || {
                let task = borrow(task, "task")?;
                if details_json.is_null() {
                    task.task.heartbeat(&[]);
                } else {
                    task.task
                        .heartbeat_json(str_argument(details_json, "details_json")?)?;
                }
                Ok(String::new())
            },
        )
    }
}

/// Whether the task was cancelled; `tb_activity_task_cancel_reason` says
/// why. A cancelled task should stop, clean up, and answer
/// `{"cancelled": {...}}`. False for NULL.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_task_is_cancelled(task: *const TbActivityTask) -> bool {
    // SAFETY: NULL or a live task, per the header.
    unsafe { borrow_optional(task) }.is_some_and(|t| t.task.is_cancelled())
}

/// Why the task was cancelled, NULL while it is not (or for NULL):
/// `"cancel_requested"` (the workflow asked), `"not_found"` (the server no
/// longer knows the task: it timed out there, or its workflow ended),
/// `"timed_out"` (its start-to-close or schedule-to-close timeout passed),
/// `"paused"`, `"reset"` (by an operator), `"worker_shutdown"`. Static:
/// never free it.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_task_cancel_reason(
    task: *const TbActivityTask,
) -> *const c_char {
    // SAFETY: NULL or a live task, per the header.
    let reason = unsafe { borrow_optional(task) }.and_then(|t| t.task.cancel_reason());
    match reason {
        None => ptr::null(),
        Some(reason) => reason_name(reason).as_ptr(),
    }
}

fn reason_name(reason: CancelReason) -> &'static std::ffi::CStr {
    match reason {
        CancelReason::CancelRequested => c"cancel_requested",
        CancelReason::NotFound => c"not_found",
        CancelReason::TimedOut => c"timed_out",
        CancelReason::Paused => c"paused",
        CancelReason::Reset => c"reset",
        CancelReason::WorkerShutdown => c"worker_shutdown",
    }
}

/// Blocks until the task is cancelled or `timeout_ms` milliseconds passed
/// (negative: no limit); true when it was cancelled. For activities that
/// wait (e.g. "sleep" while heartbeating from another thread). False for
/// NULL.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_task_wait_cancelled(
    task: *const TbActivityTask,
    timeout_ms: i64,
) -> bool {
    // SAFETY: NULL or a live task, per the header.
    let Some(task) = (unsafe { borrow_optional(task) }) else {
        return false;
    };
    let token = task.task.cancellation();
    let limit = u64::try_from(timeout_ms).ok().map(Duration::from_millis);
    guard("tb_activity_task_wait_cancelled", move || {
        runtime::block_on(async move {
            match limit {
                Some(limit) => tokio::time::timeout(limit, token.cancelled()).await.is_ok(),
                None => {
                    token.cancelled().await;
                    true
                }
            }
        })
    })
    .unwrap_or(false)
}

/// Whether the worker was asked to shut down (the task will be cancelled
/// when the grace period ends, unless it answers first). False for NULL.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_task_is_worker_shutting_down(
    task: *const TbActivityTask,
) -> bool {
    // SAFETY: NULL or a live task, per the header.
    unsafe { borrow_optional(task) }.is_some_and(|t| t.task.is_worker_shutting_down())
}

/// Answers the task (copied), once: exactly one of `{"result": <JSON
/// value>}`, `{"raw_result": {"metadata": {...}, "data": "<base64>"}}`,
/// `{"failure": {"message": "...", "type"?: "...", "non_retryable"?: bool,
/// "details"?: [...], "next_retry_delay"?: <duration>}}` (retried by the
/// activity's retry policy unless non-retryable), `{"cancelled":
/// {"details"?: [...]}}` (after a cancellation), or `{"complete_async":
/// true}` (the activity will be finished elsewhere with
/// `tb_activity_complete` and friends, by its `task_token`). Returns
/// `TB_STATUS_INVALID_ARGUMENT` for a malformed answer (the task stays
/// open: answer again), a second answer, or an answer after the worker gave
/// up on the task. The answer reaches the server in the background.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_task_answer(
    task: *const TbActivityTask,
    answer_json: *const c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        run_text(
            "tb_activity_task_answer",
            ptr::null_mut(),
            error_out,
            || {
                let task = borrow(task, "task")?;
                task.task
                    .answer_json(str_argument(answer_json, "answer_json")?)?;
                Ok(String::new())
            },
        )
    }
}

/// `tb_activity_task_answer` with `{"result": <result_json>}`:
/// `result_json` is the result as JSON text (NULL: no result).
#[no_mangle]
pub unsafe extern "C" fn tb_activity_task_complete(
    task: *const TbActivityTask,
    result_json: *const c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        run_text(
            "tb_activity_task_complete",
            ptr::null_mut(),
            error_out,
            || {
                let task = borrow(task, "task")?;
                let result = if result_json.is_null() {
                    None
                } else {
                    let text = str_argument(result_json, "result_json")?;
                    Some(temporal_bridge_core::parse_strict(text, "result_json")?)
                };
                task.task
                    .answer(temporal_bridge_core::ActivityAnswer::Completed(result))?;
                Ok(String::new())
            },
        )
    }
}

/// Frees a task handle. Answer first: a task freed unanswered fails with
/// type `"HandlerReleasedTask"`. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn tb_activity_task_free(task: *mut TbActivityTask) {
    guard_void(|| {
        // SAFETY: NULL or a task from a callback not yet freed.
        drop(unsafe { take(task) });
    });
}
