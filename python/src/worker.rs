//! Activity workers for Python: `NativeWorker` polls one task queue through
//! the core's `ActivityWorker` and hands each task, as a `NativeActivityTask`,
//! to the Python callback registered for its activity type.
//!
//! The callback is the one place where a library thread runs Python code:
//! the core calls its blocking handler on a thread of its own, which attaches
//! to the interpreter, calls the callback (which only hands the task to a
//! thread pool or an event loop and returns) and detaches. Two rules keep
//! that safe:
//! - an exception raised by the callback fails the task (with the exception
//!   in the message); nothing a callback does can unwind into the core;
//! - a library thread attaches only through the exit gate: at interpreter
//!   exit (an `atexit` hook registered with the first worker) the gate
//!   closes and waits for the threads inside it to leave, so none is
//!   attached, or attaching, once the interpreter finalizes (a thread that
//!   attaches then is killed in the middle of Rust frames). A task arriving
//!   after that fails, to be retried elsewhere.
//!
//! Everything else is Python calling in: answering, heartbeating and
//! waiting for cancellation, from any thread.

use crate::codec::LOOP_QUEUE;
use crate::gate::{register_exit_hook, GatePass};
use crate::{
    exception_parts, json_to_py, json_value, native_error, py_to_json, spawn, wait_interruptibly,
    CompletionQueue, Delivery, NativeClient, Outcome, PendingCall,
};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use temporal_bridge_core::{
    ActivityAnswer, ActivityFailure, ActivityHandler, ActivityTask, ActivityWorker,
    CancellationToken, Error,
};

// ---------------------------------------------------------------- worker

/// An activity worker. Register callbacks, `start()`, then wait for the end
/// (`wait()`, or `wait_async()` into an event loop's completion queue);
/// `shutdown()` ends the run gracefully. Dropped, it asks for shutdown.
#[pyclass(frozen, module = "temporal_bridge._native")]
pub(crate) struct NativeWorker {
    worker: ActivityWorker,
}

impl Drop for NativeWorker {
    fn drop(&mut self) {
        self.worker.shutdown();
    }
}

#[pymethods]
impl NativeWorker {
    /// A worker of `client` from the core's worker options (JSON text); the
    /// core checks them and names any field at fault.
    #[new]
    fn new(py: Python<'_>, client: &NativeClient, options_json: &str) -> PyResult<Self> {
        let worker =
            ActivityWorker::new_json(&client.client, options_json).map_err(native_error)?;
        register_exit_hook(py)?;
        Ok(NativeWorker { worker })
    }

    /// Registers `callback(task: NativeActivityTask)` for one activity type
    /// (before `start`). The callback runs on a library thread with the GIL
    /// and should return quickly; the task is answered through its handle,
    /// from any thread. If the callback raises, the task fails.
    fn register(&self, activity_type: &str, callback: Py<PyAny>) -> PyResult<()> {
        let handler = ActivityHandler::blocking(move |task| dispatch(&callback, task));
        self.worker
            .register(activity_type, handler)
            .map_err(native_error)
    }

    /// Starts polling on the library's runtime and returns at once. With
    /// `queue` (an event loop's completion queue), the client's Python
    /// payload codec runs on that loop for the worker's calls; without it,
    /// a Python codec cannot run for them.
    #[pyo3(signature = (queue=None))]
    fn start(&self, queue: Option<&CompletionQueue>) -> PyResult<()> {
        let run = self.worker.start().map_err(native_error)?;
        let run = async move {
            // The outcome is kept by the worker for `wait`.
            let _ = run.await;
        };
        match queue {
            Some(queue) => spawn(LOOP_QUEUE.scope(Arc::clone(&queue.shared), run)),
            None => spawn(run),
        }
    }

    /// Asks the worker to shut down and returns at once: polling stops,
    /// running tasks get the grace period, then are cancelled. Idempotent.
    fn shutdown(&self) {
        self.worker.shutdown();
    }

    /// Whether `shutdown()` was called (or polling failed for good).
    #[getter]
    fn shutting_down(&self) -> bool {
        self.worker.is_shutting_down()
    }

    /// Whether the run ended.
    #[getter]
    fn finished(&self) -> bool {
        self.worker.has_finished()
    }

    /// Waits (without the GIL; Ctrl-C raises) until the run ended or
    /// `timeout` seconds passed: True once ended, False on timeout. Raises
    /// `NativeError` when the run failed (e.g. polling failed for good).
    #[pyo3(signature = (timeout=None))]
    fn wait(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        let limit = wait_limit(timeout)?;
        let finished = self.worker.finished();
        let token = CancellationToken::new();
        wait_interruptibly(py, &token, async move {
            match limit {
                Some(limit) => match tokio::time::timeout(limit, finished).await {
                    Ok(outcome) => outcome.map(|()| true),
                    Err(_) => Ok(false),
                },
                None => finished.await.map(|()| true),
            }
        })
    }

    /// Delivers the run's outcome to `queue` under `key` once it ended:
    /// `None`, or the core's error. `PendingCall.cancel()` abandons the
    /// wait (not the worker).
    fn wait_async(&self, queue: &CompletionQueue, key: u64) -> PyResult<PendingCall> {
        let token = CancellationToken::new();
        let abandoned = token.clone();
        let finished = self.worker.finished();
        let delivery = Delivery::new(queue, key);
        spawn(async move {
            tokio::select! {
                outcome = finished => {
                    delivery.deliver(outcome.map(|()| Value::Null).into());
                }
                () = abandoned.cancelled() => {
                    delivery.deliver(Outcome::Failed(Error::new(
                        temporal_bridge_core::ErrorKind::Cancelled,
                        "the wait was abandoned",
                    )));
                }
            }
        })?;
        Ok(PendingCall { token })
    }

    /// What the worker did so far, as a dict (the core's `WorkerStats`).
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let stats = serde_json::to_value(self.worker.stats())
            .map_err(|e| native_error(Error::internal(format!("encoding the stats: {e}"))))?;
        json_to_py(py, &stats)
    }

    /// The registered activity types, sorted.
    #[getter]
    fn activity_types(&self) -> Vec<String> {
        self.worker.activity_types()
    }

    /// The task queue it polls.
    #[getter]
    fn task_queue(&self) -> String {
        self.worker.options().task_queue.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "NativeWorker(task_queue={:?}, activity_types={:?})",
            self.worker.options().task_queue,
            self.worker.activity_types()
        )
    }
}

/// A wait's limit: `None` for none (or one too long to matter).
fn wait_limit(timeout: Option<f64>) -> PyResult<Option<Duration>> {
    match timeout {
        None => Ok(None),
        Some(seconds) if seconds.is_nan() || seconds < 0.0 => Err(PyValueError::new_err(format!(
            "timeout must be a non-negative number of seconds, got {seconds}"
        ))),
        Some(seconds) => Ok(Duration::try_from_secs_f64(seconds).ok()),
    }
}

/// The blocking handler of every Python activity type: builds the task's
/// Python handle and calls the callback; fails the task when that cannot be
/// done.
fn dispatch(callback: &Py<PyAny>, task: ActivityTask) {
    let Some(pass) = GatePass::enter() else {
        let _ = task.answer(failure(
            "the Python interpreter is exiting: the activity was not started",
            "WorkerShutdown",
        ));
        return;
    };
    let failed = Python::attach(|py| {
        let called = NativeActivityTask::new(py, task.clone())
            .and_then(|handle| Py::new(py, handle))
            .and_then(|handle| callback.bind(py).call1((handle,)));
        called.err().map(|error| exception_parts(py, &error))
    });
    drop(pass);
    if let Some((error_type, message)) = failed {
        let _ = task.answer(failure(
            &format!("the worker could not start the activity: {error_type}: {message}"),
            &error_type,
        ));
    }
}

fn failure(message: &str, error_type: &str) -> ActivityAnswer {
    ActivityAnswer::Failed(ActivityFailure {
        message: message.to_owned(),
        error_type: Some(error_type.to_owned()),
        ..Default::default()
    })
}

// ------------------------------------------------------------------ task

/// One running activity task. Answer it once (`answer`); heartbeat and
/// check for cancellation meanwhile. Every method may be called from any
/// thread. Dropped unanswered, the task fails.
#[pyclass(frozen, module = "temporal_bridge._native")]
pub(crate) struct NativeActivityTask {
    task: ActivityTask,
    info: Py<PyAny>,
}

impl NativeActivityTask {
    fn new(py: Python<'_>, task: ActivityTask) -> PyResult<Self> {
        let info = serde_json::to_value(task.info())
            .map_err(|e| native_error(Error::internal(format!("encoding the task's info: {e}"))))?;
        let info = json_to_py(py, &info)?.unbind();
        Ok(NativeActivityTask { task, info })
    }
}

#[pymethods]
impl NativeActivityTask {
    /// The task's info as a dict (the core's `ActivityInfo`), built once.
    #[getter]
    fn info(&self, py: Python<'_>) -> Py<PyAny> {
        self.info.clone_ref(py)
    }

    /// Records progress with `details` (a list or tuple of JSON values;
    /// `TypeError` names what JSON cannot carry). Throttled by the worker,
    /// which always sends the latest details; never blocks.
    fn heartbeat(&self, details: &Bound<'_, PyAny>) -> PyResult<()> {
        if !(details.is_instance_of::<PyList>() || details.is_instance_of::<PyTuple>()) {
            return Err(PyTypeError::new_err(format!(
                "details must be a list or tuple, got {}",
                crate::type_name(details)
            )));
        }
        let values = match py_to_json(details, 0) {
            Ok(Value::Array(values)) => values,
            Ok(_) => Vec::new(),
            Err(unsupported) => {
                return Err(unsupported.at("['details']".to_owned()).into_type_error())
            }
        };
        self.task.heartbeat(&values);
        Ok(())
    }

    /// Whether the task was cancelled (`cancel_reason()` says why).
    fn is_cancelled(&self) -> bool {
        self.task.is_cancelled()
    }

    /// Why the task was cancelled: `"cancel_requested"`, `"not_found"`,
    /// `"timed_out"`, `"paused"`, `"reset"`, `"worker_shutdown"`; None if
    /// it was not.
    fn cancel_reason(&self) -> Option<&'static str> {
        self.task.cancel_reason().map(|reason| reason.as_str())
    }

    /// Whether the worker was asked to shut down.
    fn is_worker_shutting_down(&self) -> bool {
        self.task.is_worker_shutting_down()
    }

    /// Answers the task: `{"result": value}`, `{"failure": {"message",
    /// "type"?, "non_retryable"?, "details"?, "next_retry_delay"?}}`,
    /// `{"cancelled": {"details": [...]}}` or `{"complete_async": True}`.
    /// `TypeError` (nothing sent) names a value JSON cannot carry;
    /// `NativeError` when the core refuses the answer (malformed, or the
    /// task was answered already or given up on).
    fn answer(&self, answer: &Bound<'_, PyAny>) -> PyResult<()> {
        let text = json_value(answer)?.to_string();
        self.task.answer_json(&text).map_err(native_error)
    }

    /// Waits (without the GIL) until the task is cancelled or `timeout`
    /// seconds passed; True if it was cancelled.
    #[pyo3(signature = (timeout=None))]
    fn wait_cancelled(&self, py: Python<'_>, timeout: Option<f64>) -> PyResult<bool> {
        if self.task.is_cancelled() {
            return Ok(true);
        }
        let limit = wait_limit(timeout)?;
        let cancelled = self.task.cancellation();
        let token = CancellationToken::new();
        wait_interruptibly(py, &token, async move {
            Ok(match limit {
                Some(limit) => tokio::time::timeout(limit, cancelled.cancelled_owned())
                    .await
                    .is_ok(),
                None => {
                    cancelled.cancelled_owned().await;
                    true
                }
            })
        })
    }

    /// Delivers `None` to `queue` under `key` once the task is cancelled.
    /// `PendingCall.cancel()` abandons the wait.
    fn wait_cancelled_async(&self, queue: &CompletionQueue, key: u64) -> PyResult<PendingCall> {
        let token = CancellationToken::new();
        let abandoned = token.clone();
        let cancelled = self.task.cancellation();
        let delivery = Delivery::new(queue, key);
        spawn(async move {
            tokio::select! {
                () = cancelled.cancelled_owned() => delivery.deliver(Outcome::Response(Value::Null)),
                () = abandoned.cancelled() => delivery.deliver(Outcome::Failed(Error::new(
                    temporal_bridge_core::ErrorKind::Cancelled,
                    "the wait was abandoned",
                ))),
            }
        })?;
        Ok(PendingCall { token })
    }

    fn __repr__(&self) -> String {
        let info = self.task.info();
        format!(
            "NativeActivityTask(activity_type={:?}, activity_id={:?}, attempt={})",
            info.activity_type, info.activity_id, info.attempt
        )
    }
}

pub(crate) fn add_classes(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NativeWorker>()?;
    m.add_class::<NativeActivityTask>()?;
    Ok(())
}
