//! `temporal_bridge._native`: the native half of the Python package. It is
//! deliberately small and generic: it connects, runs one core operation from
//! its JSON request (blocking, or finishing into a completion queue) and
//! converts between Python values and JSON text. Every decision about requests,
//! responses and errors belongs to the core; the Pythonic API (classes,
//! exceptions, keyword arguments) lives in the pure-Python package.
//!
//! Blocking calls take owned inputs, then release the GIL and drive the
//! call on the calling thread (see `temporal_bridge_core::runtime`) in short
//! slices, so that Ctrl-C (KeyboardInterrupt) is honoured promptly; an
//! interrupted call is abandoned (never the workflow).
//!
//! Calls for asyncio run on the event loop's thread (`LoopTask`): the call's
//! future is polled there, first when the call is made (the request is
//! built, its payloads encoded and it is sent before `call_async` returns)
//! and then each time it is woken. The loop watches its `CompletionQueue`'s
//! descriptor (`loop.add_reader`): an epoll instance (the core's
//! `LoopReactor`) that holds the connection streams whose replies this loop
//! reads itself, and a socket to which a wake-up from any other thread
//! writes one byte after putting the call in the queue. The loop thread
//! then drains the queue: it reads what arrived on its streams (which wakes
//! the calls waiting for it, with no byte written), then polls the woken
//! calls and hands over their outcomes. So a payload codec runs inline,
//! with no extra trip between threads, and library threads never run
//! Python code: a foreign thread holding the GIL while the interpreter
//! finalizes is how extension modules crash at exit. (The queue uses a Unix
//! socket pair and the core's reactor epoll, so the module builds for Linux
//! only.) The one exception, activity workers handing tasks to their Python
//! callbacks, goes through an exit gate (see `worker`).

use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::PyErrArguments;
use serde_json::{Map, Number, Value};
use std::future::Future;
use std::io::{Read, Write};
use std::os::unix::io::AsRawFd;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use temporal_bridge_core::runtime::{self, BlockingCall};
use temporal_bridge_core::{CallOptions, CancellationToken, Client, Error, ErrorKind, OPERATIONS};

mod allocator;
mod codec;
mod gate;
mod log;
mod worker;

#[global_allocator]
static ALLOCATOR: allocator::Allocator = allocator::Allocator;

create_exception!(
    temporal_bridge._native,
    NativeError,
    PyException,
    "An error from the core; `args[0]` is its error object as Python values: a dict \
     {\"kind\": str, \"message\": str, \"details\": dict}."
);

/// How often a blocked call wakes up to run Python's signal handlers. Short
/// enough that Ctrl-C feels immediate, long enough to cost nothing.
const SIGNAL_CHECK_INTERVAL: Duration = Duration::from_millis(50);

/// The deepest JSON value the core reads back from a payload: serde_json
/// parses at most 127 levels of nesting (deeper payloads come back as raw,
/// tagged payloads).
const MAX_PAYLOAD_DEPTH: usize = 127;

/// Nesting limit of values converted to JSON: any payload the core can read
/// back, wherever a request holds it (at most three levels down, as in
/// `failure.details[i]`). It also stops a reference cycle long before the
/// stack runs out.
const MAX_JSON_DEPTH: usize = MAX_PAYLOAD_DEPTH + 3;

/// A core error raised as `NativeError`, its error object built as Python
/// values when Python needs it (no JSON text in between, so no parser's
/// nesting limit applies to the details).
struct ErrorObject(Error);

impl PyErrArguments for ErrorObject {
    fn arguments(self, py: Python<'_>) -> Py<PyAny> {
        error_to_py(py, &self.0).unbind()
    }
}

/// A Python exception as (type name, message).
pub(crate) fn exception_parts(py: Python<'_>, error: &PyErr) -> (String, String) {
    let name = error
        .get_type(py)
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "Exception".to_owned());
    let text = error
        .value(py)
        .str()
        .map(|s| s.to_string())
        .unwrap_or_default();
    (name, text)
}

fn native_error(error: Error) -> PyErr {
    NativeError::new_err(ErrorObject(error))
}

/// An error object as Python values: `{"kind", "message", "details"}`.
fn error_to_py<'py>(py: Python<'py>, error: &Error) -> Bound<'py, PyAny> {
    json_to_py(py, &error.to_json_value()).unwrap_or_else(|failure| {
        // Only a Python failure (out of memory...) gets here; still an error
        // object, so the caller raises an exception of the hierarchy.
        let fallback = Error::internal(format!(
            "could not convert the core's {} error to Python values: {failure}",
            error.kind()
        ));
        json_to_py(py, &fallback.to_json_value()).unwrap_or_else(|_| py.None().into_bound(py))
    })
}

/// Spawns a task on the process-wide runtime (fresh after fork).
fn spawn(task: impl Future<Output = ()> + Send + 'static) -> PyResult<()> {
    runtime::shared().map_err(native_error)?.spawn(task);
    Ok(())
}

/// Counts a client's calls in flight; the guard lives in the call's task.
struct PendingGuard(Arc<AtomicUsize>);

impl PendingGuard {
    fn new(counter: &Arc<AtomicUsize>) -> Self {
        counter.fetch_add(1, Ordering::Relaxed);
        PendingGuard(Arc::clone(counter))
    }
}

impl Drop for PendingGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Waits for a call on the calling thread without holding the GIL (the
/// thread drives the runtime itself meanwhile), running Python's signal
/// handlers between slices. If one raises (KeyboardInterrupt), the call is
/// cancelled through `token`, abandoned, and the exception propagates.
fn wait_interruptibly<T, F>(py: Python<'_>, token: &CancellationToken, future: F) -> PyResult<T>
where
    T: Send + 'static,
    F: Future<Output = Result<T, Error>> + Send + 'static,
{
    let mut call = BlockingCall::new(future).map_err(native_error)?;
    loop {
        let outcome = py.detach(|| {
            // The call's future is polled here: a Python codec may run here too.
            let _mark = codec::Mark::blocking_call();
            call.wait(Some(SIGNAL_CHECK_INTERVAL))
        });
        match outcome {
            Ok(Some(result)) => return result.map_err(native_error),
            Ok(None) => {
                if let Err(interrupt) = py.check_signals() {
                    token.cancel();
                    return Err(interrupt);
                }
            }
            Err(error) => return Err(native_error(error)),
        }
    }
}

/// What a finished asynchronous call produced.
enum Outcome {
    Response(Value),
    Connected(Client),
    Failed(Error),
    /// Not an outcome: codec work for the loop (see `codec`).
    Codec(codec::CodecJob),
    /// Not an outcome: a call woken, to poll on the loop.
    Poll(Arc<LoopTask>),
}

/// An asyncio call, polled on its event loop's thread (see the module
/// comment). Its waker queues it for the loop's next drain.
pub(crate) struct LoopTask {
    key: u64,
    queue: Arc<QueueShared>,
    future: Mutex<Option<std::pin::Pin<Box<dyn Future<Output = Outcome> + Send>>>>,
    /// Whether it is in the queue already (one entry per wake-up burst).
    queued: AtomicBool,
    /// The runtime does the call's I/O meanwhile.
    _driven: runtime::KeepDriven,
}

impl std::task::Wake for LoopTask {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.queue.closed.load(Ordering::Acquire) {
            // Nobody polls it any more: drop the call, on the runtime (a
            // waker may be called under a lock the call's drop takes).
            let task = Arc::clone(self);
            if let Ok(runtime) = runtime::shared() {
                runtime.spawn(async move {
                    let call = task.future.lock().map(|mut slot| slot.take());
                    drop(call);
                });
            }
            return;
        }
        if !self.queued.swap(true, Ordering::AcqRel) {
            self.queue.push(self.key, Outcome::Poll(Arc::clone(self)));
        }
    }
}

impl LoopTask {
    fn new(
        queue: &Arc<QueueShared>,
        key: u64,
        future: impl Future<Output = Outcome> + Send + 'static,
    ) -> PyResult<Arc<Self>> {
        Ok(Arc::new(LoopTask {
            key,
            queue: Arc::clone(queue),
            future: Mutex::new(Some(Box::pin(future))),
            queued: AtomicBool::new(false),
            _driven: runtime::shared().map_err(native_error)?.keep_driven(),
        }))
    }

    /// Polls the call on this thread (the loop's, holding the GIL): its
    /// outcome once it has one. A panic is an internal error, never unwound
    /// into Python.
    fn poll(self: &Arc<Self>) -> Option<Outcome> {
        // Cleared first: a wake-up during the poll queues it again.
        self.queued.store(false, Ordering::Release);
        let mut slot = self
            .future
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let future = slot.as_mut()?;
        let runtime = match runtime::shared() {
            Ok(runtime) => runtime,
            Err(error) => {
                *slot = None;
                return Some(Outcome::Failed(error));
            }
        };
        let waker = std::task::Waker::from(Arc::clone(self));
        let mut context = std::task::Context::from_waker(&waker);
        let _runtime = runtime.handle().enter();
        let _on_loop = codec::Mark::on_loop();
        let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            future.as_mut().poll(&mut context)
        }));
        let outcome = match polled {
            Ok(std::task::Poll::Pending) => return None,
            Ok(std::task::Poll::Ready(outcome)) => outcome,
            Err(_) => Outcome::Failed(Error::internal("the call panicked")),
        };
        *slot = None;
        Some(outcome)
    }
}

impl From<Result<Value, Error>> for Outcome {
    fn from(result: Result<Value, Error>) -> Self {
        result.map_or_else(Outcome::Failed, Outcome::Response)
    }
}

impl From<Result<Client, Error>> for Outcome {
    fn from(result: Result<Client, Error>) -> Self {
        result.map_or_else(Outcome::Failed, Outcome::Connected)
    }
}

pub(crate) struct QueueShared {
    finished: Mutex<Vec<(u64, Outcome)>>,
    /// Set once a wake-up byte is on its way, so a burst of completions
    /// costs the loop one wake-up.
    signalled: AtomicBool,
    waker: UnixStream,
    /// The loop's queue is gone: nothing is drained any more.
    closed: AtomicBool,
}

impl QueueShared {
    /// Hands codec work to the loop (which answers through the job).
    pub(crate) fn push_codec(&self, job: codec::CodecJob) {
        self.push(0, Outcome::Codec(job));
    }

    fn push(&self, key: u64, outcome: Outcome) {
        {
            let mut finished = self
                .finished
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            // Checked under the lock the closing queue takes: nothing is
            // left behind in a queue nobody drains.
            if self.closed.load(Ordering::Acquire) {
                drop(finished);
                drop(outcome);
                return;
            }
            finished.push((key, outcome));
        }
        if !self.signalled.swap(true, Ordering::AcqRel) {
            // Non-blocking: a full socket already holds a wake-up.
            let _ = (&self.waker).write(&[1]);
        }
    }
}

/// A promise to put one outcome in a queue: if the call's task ends without
/// delivering (a panic unwinds it), the awaiter still hears about it.
struct Delivery {
    queue: Option<Arc<QueueShared>>,
    key: u64,
}

impl Delivery {
    fn new(queue: &CompletionQueue, key: u64) -> Self {
        Delivery {
            queue: Some(Arc::clone(&queue.shared)),
            key,
        }
    }

    fn deliver(mut self, outcome: Outcome) {
        if let Some(queue) = self.queue.take() {
            queue.push(self.key, outcome);
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        if let Some(queue) = self.queue.take() {
            let error = Error::internal("the call's task ended without a result (panic?)");
            queue.push(self.key, Outcome::Failed(error));
        }
    }
}

/// Where asynchronous calls deliver their outcomes, one per event loop. The
/// loop watches `fileno()` for readability and then calls `drain()`.
#[pyclass(frozen, module = "temporal_bridge._native")]
struct CompletionQueue {
    shared: Arc<QueueShared>,
    readable: UnixStream,
    reactor: Arc<runtime::LoopReactor>,
}

#[pymethods]
impl CompletionQueue {
    #[new]
    fn new() -> PyResult<Self> {
        let (readable, waker) = UnixStream::pair()?;
        readable.set_nonblocking(true)?;
        waker.set_nonblocking(true)?;
        let reactor = runtime::LoopReactor::new(readable.as_raw_fd())?;
        Ok(CompletionQueue {
            reactor,
            shared: Arc::new(QueueShared {
                finished: Mutex::new(Vec::new()),
                signalled: AtomicBool::new(false),
                waker,
                closed: AtomicBool::new(false),
            }),
            readable,
        })
    }

    /// The descriptor that becomes readable when outcomes are waiting.
    fn fileno(&self) -> i32 {
        self.reactor.fd()
    }

    /// Takes every outcome waiting: `(key, True, response)` (Python values),
    /// `(key, True, NativeClient)` for a connect, or `(key, False, error)`
    /// (the error object as Python values, as `NativeError` carries it).
    fn drain<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        // Order matters: consume the wake-up bytes, then clear the flag, then
        // take the outcomes. An outcome pushed after the flag is cleared sends
        // a new byte (the loop comes back for it); one pushed before it is
        // taken now. Clearing first would let a byte be consumed while the
        // flag stays set, and the next outcome would never wake the loop.
        let _entered = self.reactor.enter();
        // Replies the loop reads itself: read now; the calls they wake are
        // queued without a wake-up byte (the flag says one is on its way).
        let already = self.shared.signalled.swap(true, Ordering::AcqRel);
        let woken = self.reactor.pump();
        let mut sink = [0u8; 64];
        // A read that leaves room in the buffer took every byte there was
        // (one more read would only say so, a system call per wake-up).
        if woken || already {
            while matches!((&self.readable).read(&mut sink), Ok(n) if n == sink.len()) {}
        }
        self.shared.signalled.swap(false, Ordering::AcqRel);
        let finished = std::mem::take(
            &mut *self
                .shared
                .finished
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        );
        let list = PyList::empty(py);
        for (key, outcome) in finished {
            let outcome = match outcome {
                Outcome::Poll(task) => match task.poll() {
                    Some(outcome) => outcome,
                    None => continue,
                },
                outcome => outcome,
            };
            // Every entry is handed over (a failed conversion as the call's
            // error): stopping half way would lose the calls after it.
            let item = outcome_item(py, key, outcome).or_else(|failure| {
                let error = Error::internal(format!(
                    "could not hand the call's outcome to Python: {failure}"
                ));
                (key, false, error_to_py(py, &error)).into_pyobject(py)
            })?;
            list.append(item)?;
        }
        self.reactor.settle();
        Ok(list)
    }
}

/// A drained outcome as the loop takes it: `(key, True, value)`,
/// `(key, False, error)` or `(key, None, codec job)`.
fn outcome_item(py: Python<'_>, key: u64, outcome: Outcome) -> PyResult<Bound<'_, PyTuple>> {
    match outcome {
        Outcome::Response(value) => (key, true, json_to_py(py, &value)?).into_pyobject(py),
        Outcome::Connected(client) => (key, true, NativeClient::new(client)).into_pyobject(py),
        Outcome::Failed(error) => (key, false, error_to_py(py, &error)).into_pyobject(py),
        Outcome::Codec(job) => (key, py.None(), Py::new(py, job)?).into_pyobject(py),
        Outcome::Poll(_) => Err(PyValueError::new_err("a call to poll is not an outcome")),
    }
}

impl Drop for CompletionQueue {
    /// The loop is done with its queue: what waits in it is dropped here,
    /// and calls still in flight drop themselves when next woken.
    fn drop(&mut self) {
        let waiting = {
            let mut finished = self
                .shared
                .finished
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            self.shared.closed.store(true, Ordering::Release);
            std::mem::take(&mut *finished)
        };
        drop(waiting);
    }
}

/// A connected client. Thread-safe: calls from several threads run concurrently.
#[pyclass(frozen, module = "temporal_bridge._native")]
struct NativeClient {
    client: Client,
    pending: Arc<AtomicUsize>,
}

impl NativeClient {
    fn new(client: Client) -> Self {
        NativeClient {
            client,
            pending: Arc::new(AtomicUsize::new(0)),
        }
    }

    fn run(
        &self,
        operation: String,
        request: Value,
        token: CancellationToken,
    ) -> impl Future<Output = Result<Value, Error>> + Send + 'static {
        let client = self.client.clone();
        let guard = PendingGuard::new(&self.pending);
        async move {
            let _guard = guard;
            let options = CallOptions::with_cancel(token);
            client.call_value(&operation, request, &options).await
        }
    }
}

#[pymethods]
impl NativeClient {
    /// Runs one operation (see `OPERATIONS`) from its request (Python values,
    /// converted as `to_json` does: `TypeError` before anything is sent) and
    /// returns the response as Python values. Blocks without holding the GIL;
    /// Ctrl-C cancels the call. Values go to and from the core's JSON values
    /// directly, without JSON text in between.
    fn call<'py>(
        &self,
        py: Python<'py>,
        operation: String,
        request: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let request = json_value(request)?;
        let token = CancellationToken::new();
        let response = wait_interruptibly(py, &token, self.run(operation, request, token.clone()))?;
        json_to_py(py, &response)
    }

    /// Starts one operation (request as for `call`) and returns at once; its
    /// outcome arrives in `queue` under `key`. `PendingCall.cancel()`
    /// abandons the call (never the workflow).
    fn call_async(
        &self,
        operation: String,
        request: &Bound<'_, PyAny>,
        queue: &CompletionQueue,
        key: u64,
    ) -> PyResult<PendingCall> {
        let request = json_value(request)?;
        let token = CancellationToken::new();
        let call = self.run(operation, request, token.clone());
        let task = LoopTask::new(&queue.shared, key, async move { call.await.into() })?;
        // The first poll: the request is built, encoded and sent now. An
        // outcome already (a request the core refused) is drained as any.
        let entered = queue.reactor.enter();
        if let Some(outcome) = task.poll() {
            queue.shared.push(key, outcome);
        }
        drop(entered);
        Ok(PendingCall { token })
    }

    /// Cancels every call in flight (they fail with kind `cancelled`) and
    /// makes later calls fail the same way. Idempotent.
    fn close(&self) {
        self.client.close();
    }

    /// Whether `close()` was called.
    #[getter]
    fn closed(&self) -> bool {
        self.client.is_closed()
    }

    /// The namespace of every call.
    #[getter]
    fn namespace(&self) -> String {
        self.client.namespace().to_owned()
    }

    /// The identity reported to the server.
    #[getter]
    fn identity(&self) -> String {
        self.client.identity().to_owned()
    }

    /// The API key calls send now.
    #[getter]
    fn api_key(&self) -> Option<String> {
        self.client.api_key()
    }

    /// The extra metadata calls send now.
    #[getter]
    fn headers(&self) -> std::collections::BTreeMap<String, String> {
        self.client.headers()
    }

    /// Replaces credentials (`update_json`: the core's `CredentialsUpdate`,
    /// `{"api_key"?, "headers"?}`); later calls and retries use them.
    fn update_credentials(&self, update_json: &str) -> PyResult<()> {
        let update: temporal_bridge_core::CredentialsUpdate =
            temporal_bridge_core::parse_strict(update_json, "credentials").map_err(native_error)?;
        self.client
            .update_credentials(&update)
            .map_err(native_error)
    }

    /// The server's version, as reported when connecting.
    #[getter]
    fn server_version(&self) -> String {
        self.client.server_version().to_owned()
    }

    /// Calls of this client still running (an abandoned call leaves promptly).
    #[getter]
    fn pending_calls(&self) -> usize {
        self.pending.load(Ordering::Relaxed)
    }

    fn __repr__(&self) -> String {
        format!(
            "NativeClient(namespace={:?}, identity={:?})",
            self.client.namespace(),
            self.client.identity()
        )
    }
}

/// A call started by `call_async` or `connect_async`; `cancel()` abandons it.
#[pyclass(frozen, module = "temporal_bridge._native")]
struct PendingCall {
    token: CancellationToken,
}

#[pymethods]
impl PendingCall {
    /// Abandons the call: it ends with kind `cancelled` unless it already ended.
    fn cancel(&self) {
        self.token.cancel();
    }

    /// Whether `cancel()` was called.
    #[getter]
    fn cancelled(&self) -> bool {
        self.token.is_cancelled()
    }
}

/// Connects (blocking, interruptible) from the JSON connect options.
#[pyfunction]
#[pyo3(signature = (options_json, codec=None))]
fn connect(
    py: Python<'_>,
    options_json: String,
    codec: Option<&Bound<'_, PyAny>>,
) -> PyResult<NativeClient> {
    let token = CancellationToken::new();
    let cancel = token.clone();
    let codec = in_process_codec(codec)?;
    let connecting = async move {
        unless_cancelled(cancel, Client::connect_json_with(&options_json, codec)).await
    };
    wait_interruptibly(py, &token, connecting).map(NativeClient::new)
}

/// Connects in the background; the client (or the error) arrives in `queue`
/// under `key`.
#[pyfunction]
#[pyo3(signature = (options_json, queue, key, codec=None))]
fn connect_async(
    options_json: String,
    queue: &CompletionQueue,
    key: u64,
    codec: Option<&Bound<'_, PyAny>>,
) -> PyResult<PendingCall> {
    let token = CancellationToken::new();
    let cancel = token.clone();
    let delivery = Delivery::new(queue, key);
    let codec = in_process_codec(codec)?;
    spawn(async move {
        let result =
            unless_cancelled(cancel, Client::connect_json_with(&options_json, codec)).await;
        delivery.deliver(result.into());
    })?;
    Ok(PendingCall { token })
}

/// The core's codec for a Python codec adapter (see `codec`).
fn in_process_codec(
    adapter: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Arc<dyn temporal_bridge_core::codec::PayloadCodec>>> {
    let Some(adapter) = adapter else {
        return Ok(None);
    };
    let codec: Arc<dyn temporal_bridge_core::codec::PayloadCodec> =
        Arc::new(codec::PyCodec::new(adapter)?);
    Ok(Some(codec))
}

/// Runs `work` unless `token` is cancelled first. Connecting has no call
/// scope in the core; dropping its future abandons the attempt.
async fn unless_cancelled<T>(
    token: CancellationToken,
    work: impl Future<Output = Result<T, Error>>,
) -> Result<T, Error> {
    let mut work = std::pin::pin!(work);
    let mut cancelled = std::pin::pin!(token.cancelled());
    std::future::poll_fn(|cx| {
        if cancelled.as_mut().poll(cx).is_ready() {
            return std::task::Poll::Ready(Err(Error::new(
                ErrorKind::Cancelled,
                "connecting was cancelled by the caller",
            )));
        }
        work.as_mut().poll(cx)
    })
    .await
}

// ------------------------------------------------------------ Python ⇄ JSON

/// Why a value cannot be carried as JSON, and where (path built while unwinding).
struct Unsupported {
    reversed_path: Vec<String>,
    problem: String,
}

impl Unsupported {
    fn new(problem: String) -> Self {
        Unsupported {
            reversed_path: Vec::new(),
            problem,
        }
    }

    fn at(mut self, segment: String) -> Self {
        self.reversed_path.push(segment);
        self
    }

    fn into_type_error(self) -> PyErr {
        // Paths read like Python: `args[1]['key']`, the top-level key bare.
        // A cycle makes a path of a hundred `[0]`s: the first few say enough.
        const SHOWN: usize = 12;
        let segments: Vec<&String> = self.reversed_path.iter().rev().collect();
        let mut path = String::new();
        for (i, segment) in segments.iter().take(SHOWN).enumerate() {
            match segment
                .strip_prefix("['")
                .and_then(|s| s.strip_suffix("']"))
            {
                Some(name) if i == 0 => path.push_str(name),
                _ => path.push_str(segment),
            }
        }
        if segments.len() > SHOWN {
            path.push_str("...");
        }
        if path.is_empty() {
            path.push_str("value");
        }
        PyTypeError::new_err(format!("{path}: {}", self.problem))
    }
}

/// A dict key as a Python subscript: `['key']`.
fn key_segment(key: &str) -> String {
    format!("['{}']", key.replace('\\', "\\\\").replace('\'', "\\'"))
}

const JSON_TYPES_HINT: &str = "use None, bool, int, float, str, list, tuple or dict with str keys";

fn short_repr(value: &Bound<'_, PyAny>) -> String {
    let text = value
        .repr()
        .map(|r| r.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "<unrepresentable>".to_owned());
    if text.chars().count() > 60 {
        let cut: String = text.chars().take(57).collect();
        format!("{cut}...")
    } else {
        text
    }
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "?".to_owned())
}

fn py_str(value: &Bound<'_, PyString>) -> Result<String, Unsupported> {
    value.to_cow().map(|s| s.into_owned()).map_err(|_| {
        Unsupported::new(format!(
            "{} is a str with a lone surrogate, which JSON text cannot carry",
            short_repr(value.as_any())
        ))
    })
}

fn py_to_json(value: &Bound<'_, PyAny>, depth: usize) -> Result<Value, Unsupported> {
    if depth > MAX_JSON_DEPTH {
        return Err(Unsupported::new(format!(
            "nested deeper than {MAX_JSON_DEPTH} levels (a reference cycle?)"
        )));
    }
    if value.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = value.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(int) = value.cast::<PyInt>() {
        if let Ok(i) = int.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = int.extract::<u64>() {
            return Ok(Value::from(u));
        }
        // Beyond 64 bits: the contract keeps a number's exact text.
        return int
            .str()
            .ok()
            .and_then(|digits| digits.extract::<String>().ok()?.parse::<Number>().ok())
            .map(Value::Number)
            .ok_or_else(|| {
                Unsupported::new(format!("{} is not a JSON integer", short_repr(value)))
            });
    }
    if let Ok(float) = value.cast::<PyFloat>() {
        let f = float.value();
        return Number::from_f64(f).map(Value::Number).ok_or_else(|| {
            Unsupported::new(format!(
                "{} is not a finite number, which JSON cannot carry",
                short_repr(value)
            ))
        });
    }
    if let Ok(s) = value.cast::<PyString>() {
        return py_str(s).map(Value::String);
    }
    if let Ok(list) = value.cast::<PyList>() {
        let mut items = Vec::with_capacity(list.len());
        for (i, item) in list.iter().enumerate() {
            items.push(py_to_json(&item, depth + 1).map_err(|e| e.at(format!("[{i}]")))?);
        }
        return Ok(Value::Array(items));
    }
    if let Ok(tuple) = value.cast::<PyTuple>() {
        let mut items = Vec::with_capacity(tuple.len());
        for (i, item) in tuple.iter().enumerate() {
            items.push(py_to_json(&item, depth + 1).map_err(|e| e.at(format!("[{i}]")))?);
        }
        return Ok(Value::Array(items));
    }
    if let Ok(dict) = value.cast::<PyDict>() {
        let mut map = Map::new();
        for (key, item) in dict.iter() {
            let Ok(key_str) = key.cast::<PyString>() else {
                return Err(Unsupported::new(format!(
                    "dict key {} (type {}) is not a str, and JSON object keys are strings",
                    short_repr(&key),
                    type_name(&key)
                )));
            };
            let key_text = py_str(key_str)?;
            let converted =
                py_to_json(&item, depth + 1).map_err(|e| e.at(key_segment(&key_text)))?;
            map.insert(key_text, converted);
        }
        return Ok(Value::Object(map));
    }
    Err(Unsupported::new(format!(
        "{} (type {}) cannot be carried as JSON; {JSON_TYPES_HINT}",
        short_repr(value),
        type_name(value)
    )))
}

/// A JSON value as Python values. Iterative, not recursive: however deep
/// the value nests, the conversion cannot overflow the stack (a container is
/// placed in its parent first, then filled).
fn json_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    /// A container being filled, and what is left to put in it.
    enum Filling<'py, 'v> {
        List(Bound<'py, PyList>, std::slice::Iter<'v, Value>),
        Dict(Bound<'py, PyDict>, serde_json::map::Iter<'v>),
    }

    /// A scalar as a Python value, or an empty container and its filling.
    fn start<'py, 'v>(
        py: Python<'py>,
        value: &'v Value,
    ) -> PyResult<(Bound<'py, PyAny>, Option<Filling<'py, 'v>>)> {
        Ok(match value {
            Value::Array(items) => {
                let list = PyList::empty(py);
                (
                    list.clone().into_any(),
                    Some(Filling::List(list, items.iter())),
                )
            }
            Value::Object(map) => {
                let dict = PyDict::new(py);
                (
                    dict.clone().into_any(),
                    Some(Filling::Dict(dict, map.iter())),
                )
            }
            scalar => (scalar_to_py(py, scalar)?, None),
        })
    }

    let (root, filling) = start(py, value)?;
    let mut stack: Vec<Filling<'py, '_>> = filling.into_iter().collect();
    while let Some(top) = stack.last_mut() {
        let next = match top {
            Filling::List(list, items) => match items.next() {
                Some(item) => {
                    let (converted, filling) = start(py, item)?;
                    list.append(converted)?;
                    filling
                }
                None => {
                    stack.pop();
                    continue;
                }
            },
            Filling::Dict(dict, entries) => match entries.next() {
                Some((key, item)) => {
                    let (converted, filling) = start(py, item)?;
                    dict.set_item(key, converted)?;
                    filling
                }
                None => {
                    stack.pop();
                    continue;
                }
            },
        };
        stack.extend(next);
    }
    Ok(root)
}

/// A JSON scalar (not an array or object) as a Python value.
fn scalar_to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                // The number's exact text: an integer beyond 64 bits becomes
                // a Python int, anything else a float as `json.loads` reads it.
                let text = n.to_string();
                if text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
                    py.get_type::<PyInt>().call1((text,))?
                } else {
                    PyFloat::new(py, text.parse::<f64>().unwrap_or(f64::NAN)).into_any()
                }
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Null => py.None().into_bound(py),
        // Never here: `json_to_py` builds containers itself.
        Value::Array(_) | Value::Object(_) => py.None().into_bound(py),
    })
}

/// Converts a Python value to JSON text. Raises `TypeError` naming the first
/// value JSON cannot carry exactly (path and repr), before anything is sent.
#[pyfunction]
fn to_json(value: &Bound<'_, PyAny>) -> PyResult<String> {
    Ok(json_value(value)?.to_string())
}

/// A Python value as a JSON value, or `TypeError` naming what JSON cannot carry.
fn json_value(value: &Bound<'_, PyAny>) -> PyResult<Value> {
    py_to_json(value, 0).map_err(Unsupported::into_type_error)
}

/// Parses JSON text into Python values (dict, list, str, int, float, bool, None).
#[pyfunction]
fn from_json<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| PyValueError::new_err(format!("invalid JSON: {e}")))?;
    json_to_py(py, &value)
}

/// Every method `call_rpc` can call (of one service, or all) as Python
/// values: `{"methods": [{"service", "method", "request_type",
/// "response_type", "repeat", "long_poll"}]}`. Raises `NativeError` for an
/// unknown service.
#[pyfunction]
#[pyo3(signature = (service=None))]
fn rpc_methods(py: Python<'_>, service: Option<String>) -> PyResult<Bound<'_, PyAny>> {
    let listed =
        temporal_bridge_core::list_rpc_methods(&temporal_bridge_core::ListRpcMethodsRequest {
            service,
        })
        .map_err(native_error)?;
    let value = serde_json::to_value(&listed)
        .map_err(|e| native_error(Error::internal(format!("encoding the method list: {e}"))))?;
    json_to_py(py, &value)
}

/// Turns client metrics on for this process (once); the core's metrics
/// options as JSON text. Returns `{"prometheus": "host:port" | None}`.
#[pyfunction]
fn configure_metrics<'py>(py: Python<'py>, options_json: &str) -> PyResult<Bound<'py, PyAny>> {
    let info = temporal_bridge_core::configure_metrics_json(options_json).map_err(native_error)?;
    let info = serde_json::to_value(info)
        .map_err(|e| native_error(Error::internal(format!("encoding the metrics info: {e}"))))?;
    json_to_py(py, &info)
}

/// Every metric series recorded so far (the core's `MetricSample`s).
#[pyfunction]
fn metrics_snapshot(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let samples = serde_json::to_value(temporal_bridge_core::metrics_snapshot())
        .map_err(|e| native_error(Error::internal(format!("encoding the metrics: {e}"))))?;
    json_to_py(py, &samples)
}

/// The metrics in Prometheus' text format.
#[pyfunction]
fn prometheus_text() -> String {
    temporal_bridge_core::prometheus_text()
}

/// Loads a client configuration profile (`options_json`: the core's
/// `LoadConfigOptions`) as Python values: `{"profile": {...every field,
/// secrets included}, "connect": {the connect options it gives, PEM read}}`.
#[pyfunction]
fn client_config<'py>(py: Python<'py>, options_json: &str) -> PyResult<Bound<'py, PyAny>> {
    let options: temporal_bridge_core::LoadConfigOptions =
        temporal_bridge_core::parse_strict(options_json, "config options").map_err(native_error)?;
    let profile = temporal_bridge_core::load_client_config(&options).map_err(native_error)?;
    let connect = profile.to_connect_json().map_err(native_error)?;
    json_to_py(
        py,
        &serde_json::json!({"profile": profile.to_json(false), "connect": connect}),
    )
}

#[pymodule]
#[pyo3(name = "_native")]
fn native_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("OPERATIONS", PyTuple::new(py, OPERATIONS)?)?;
    m.add(
        "ERROR_KINDS",
        PyTuple::new(py, ErrorKind::ALL.iter().map(|k| k.as_str()))?,
    )?;
    m.add("NativeError", py.get_type::<NativeError>())?;
    m.add_class::<NativeClient>()?;
    m.add_class::<PendingCall>()?;
    m.add_class::<CompletionQueue>()?;
    m.add_class::<codec::CodecJob>()?;
    worker::add_classes(m)?;
    m.add_function(wrap_pyfunction!(connect, m)?)?;
    m.add_function(wrap_pyfunction!(connect_async, m)?)?;
    m.add_function(wrap_pyfunction!(to_json, m)?)?;
    m.add_function(wrap_pyfunction!(from_json, m)?)?;
    m.add_function(wrap_pyfunction!(rpc_methods, m)?)?;
    m.add_function(wrap_pyfunction!(client_config, m)?)?;
    m.add_function(wrap_pyfunction!(configure_metrics, m)?)?;
    m.add_function(wrap_pyfunction!(metrics_snapshot, m)?)?;
    m.add_function(wrap_pyfunction!(prometheus_text, m)?)?;
    m.add_function(wrap_pyfunction!(log::configure_logging, m)?)?;
    // The library's warnings and errors reach `logging` unless told otherwise.
    log::configure_logging(py, "warn", true)?;
    Ok(())
}
