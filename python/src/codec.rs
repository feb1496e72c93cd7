//! A Python payload codec as the core's `PayloadCodec`.
//!
//! Python code runs only on Python's own threads, as everywhere in this
//! module: a blocking call runs the codec on the calling thread (which
//! drives the call's future while it waits), and an asyncio call sends the
//! codec's work to its event loop through the loop's completion queue (the
//! loop runs it, awaiting it when the codec is `async`, and replies).
//!
//! The codec's `encode`/`decode` get payload objects of the adapter's
//! `payload_class` (`temporal_bridge.Payload`, or temporalio's message for a
//! temporalio codec) and may return any objects with `metadata` (str to
//! bytes) and `data` (bytes). Both conversions are done here, not in Python,
//! and straight between the objects and the payloads' wire form (no
//! intermediate `Payload` values): Python code run right after the network
//! work of a call meets cold caches, and every line of it costs.

use crate::QueueShared;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString, PyType};
use std::cell::Cell;
use std::sync::{Arc, Mutex};
use temporal_bridge_core::codec::{
    payloads_via_wire, read_payload, write_payload_data, write_payload_metadata, Bytes,
    CodecContext, CodecFuture, Payload, PayloadCodec, WireFuture, WireResult,
};
use tokio::sync::oneshot;

tokio::task_local! {
    /// The completion queue of the event loop that made an asyncio call.
    pub(crate) static LOOP_QUEUE: Arc<QueueShared>;
}

thread_local! {
    /// Whether this thread is a Python thread waiting in a blocking call
    /// (without the GIL): the call's own future is polled here.
    static IN_BLOCKING_CALL: Cell<bool> = const { Cell::new(false) };
    /// Whether this thread is an event loop's, polling an asyncio call
    /// (holding the GIL): a codec runs here, inline.
    static ON_LOOP: Cell<bool> = const { Cell::new(false) };
}

/// Sets one of this thread's flags while alive (then restores it).
pub(crate) struct Mark {
    flag: &'static std::thread::LocalKey<Cell<bool>>,
    before: bool,
}

impl Mark {
    fn set(flag: &'static std::thread::LocalKey<Cell<bool>>) -> Self {
        Mark {
            flag,
            before: flag.with(|c| c.replace(true)),
        }
    }

    /// Marks the current thread as waiting in a blocking call.
    pub(crate) fn blocking_call() -> Self {
        Mark::set(&IN_BLOCKING_CALL)
    }

    /// Marks the current thread as polling an asyncio call.
    pub(crate) fn on_loop() -> Self {
        Mark::set(&ON_LOOP)
    }
}

impl Drop for Mark {
    fn drop(&mut self) {
        self.flag.with(|c| c.set(self.before));
    }
}

/// What a codec is made of, on the Python side.
struct Parts {
    /// The `temporal_bridge.codec._CodecAdapter` (it runs awaitables for
    /// blocking calls).
    adapter: Py<PyAny>,
    encode: Py<PyAny>,
    decode: Py<PyAny>,
    /// How the codec's payload objects are made from a payload's wire
    /// form: for `temporal_bridge.Payload`, a bare instance of the class (the
    /// attributes are then set, known to be right); for a protobuf message
    /// class, its `FromString`.
    make: Make,
}

enum Make {
    Plain(Py<PyType>),
    FromString(Py<PyAny>),
}

impl Parts {
    fn method(&self, direction: &str) -> &Py<PyAny> {
        if direction == "encode" {
            &self.encode
        } else {
            &self.decode
        }
    }

    /// The payloads (wire form) as objects for the codec, in a list.
    fn objects<'py>(&self, py: Python<'py>, payloads: Vec<Bytes>) -> PyResult<Bound<'py, PyList>> {
        let list = PyList::empty(py);
        for payload in payloads {
            let object = match &self.make {
                Make::FromString(from_string) => {
                    from_string.bind(py).call1((PyBytes::new(py, &payload),))?
                }
                Make::Plain(class) => {
                    let metadata = PyDict::new(py);
                    let mut failed = None;
                    let data = read_payload(&payload, |name, value| {
                        let name = if name == "encoding" {
                            pyo3::intern!(py, "encoding").clone()
                        } else {
                            PyString::new(py, name)
                        };
                        if let Err(e) = metadata.set_item(name, PyBytes::new(py, value)) {
                            failed.get_or_insert(e);
                        }
                    })
                    .map_err(|why| {
                        pyo3::exceptions::PyValueError::new_err(format!(
                            "a payload of the message is not valid protobuf: {why}"
                        ))
                    })?;
                    if let Some(e) = failed {
                        return Err(e);
                    }
                    // A bare instance, as `object.__new__(class)` makes it
                    // (its attributes are set next, known to be right),
                    // without the call through `__new__`.
                    // SAFETY: `class` is a type object (the adapter's
                    // `temporal_bridge.Payload`, a heap type); the function
                    // returns a new reference, or NULL with an exception set.
                    let object = unsafe {
                        Bound::from_owned_ptr_or_err(
                            py,
                            pyo3::ffi::PyType_GenericAlloc(class.bind(py).as_type_ptr(), 0),
                        )
                    }?;
                    object.setattr(pyo3::intern!(py, "data"), PyBytes::new(py, data))?;
                    object.setattr(pyo3::intern!(py, "metadata"), metadata)?;
                    object
                }
            };
            list.append(object)?;
        }
        Ok(list)
    }
}

/// What a codec returned, as payloads in wire form: any iterable of
/// objects with `metadata` (a mapping of str to bytes) and `data` (bytes).
fn payloads_of(direction: &str, answer: &Bound<'_, PyAny>) -> PyResult<Vec<Vec<u8>>> {
    let py = answer.py();
    let wrong = |what: String| {
        pyo3::exceptions::PyTypeError::new_err(format!("{direction}() returned {what}"))
    };
    if answer.is_instance_of::<PyString>()
        || answer.is_instance_of::<PyBytes>()
        || answer.is_instance_of::<PyDict>()
    {
        return Err(wrong(format!(
            "a {}, not a list of payloads",
            type_name(answer)
        )));
    }
    let mut payloads = Vec::with_capacity(answer.len().unwrap_or(0));
    let mut one = |item: Bound<'_, PyAny>| -> PyResult<()> {
        let not_payload = || {
            wrong(format!(
                "a {}, not a payload (metadata, and data bytes)",
                type_name(&item)
            ))
        };
        let data = item
            .getattr(pyo3::intern!(py, "data"))
            .map_err(|_| not_payload())?;
        let metadata = item
            .getattr(pyo3::intern!(py, "metadata"))
            .map_err(|_| not_payload())?;
        // Room for the data and a few metadata entries: the usual payload
        // is written without growing.
        let mut out = Vec::with_capacity(with_bytes(&data, <[u8]>::len).unwrap_or(0) + 96);
        let mut entry = |name: Bound<'_, PyAny>, value: Bound<'_, PyAny>| -> PyResult<()> {
            let name = name.cast::<PyString>().map_err(|_| not_payload())?;
            // The usual key is the interned "encoding" (as `objects` made it,
            // or as a literal in the codec's code): read without a copy.
            let name = if name.is(pyo3::intern!(py, "encoding")) {
                std::borrow::Cow::Borrowed("encoding")
            } else {
                name.to_cow().map_err(|_| not_payload())?
            };
            with_bytes(&value, |value| {
                write_payload_metadata(&mut out, &name, value)
            })
            .ok_or_else(|| {
                wrong(format!(
                    "a payload whose metadata {name:?} is a {}, not bytes",
                    type_name(&value)
                ))
            })
        };
        match metadata.cast::<PyDict>() {
            Ok(dict) => {
                for (name, value) in dict.iter() {
                    entry(name, value)?;
                }
            }
            Err(_) => {
                let entries = metadata
                    .call_method0(pyo3::intern!(py, "items"))
                    .map_err(|_| not_payload())?;
                for pair in entries.try_iter()? {
                    let (name, value) = pair?.extract().map_err(|_| not_payload())?;
                    entry(name, value)?;
                }
            }
        }
        with_bytes(&data, |data| write_payload_data(&mut out, data)).ok_or_else(not_payload)?;
        payloads.push(out);
        Ok(())
    };
    // The usual answer is a list: read without an iterator object.
    if let Ok(list) = answer.cast::<PyList>() {
        list.iter().try_for_each(&mut one)?;
    } else {
        let items = answer
            .try_iter()
            .map_err(|_| wrong(format!("a {}, not a list of payloads", type_name(answer))))?;
        for item in items {
            one(item?)?;
        }
    }
    Ok(payloads)
}

/// Runs `f` on the contents of a `bytes` or `bytearray`.
fn with_bytes<R>(value: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Some(f(bytes.as_bytes()));
    }
    value.cast::<PyByteArray>().ok().map(|b| f(&b.to_vec()))
}

fn type_name(value: &Bound<'_, PyAny>) -> String {
    value
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "object".to_owned())
}

/// A Python exception as `Type: message`.
fn describe(py: Python<'_>, error: &PyErr) -> String {
    let (name, text) = crate::exception_parts(py, error);
    if text.is_empty() {
        name
    } else {
        format!("{name}: {text}")
    }
}

/// The codec given to `connect`.
pub(crate) struct PyCodec {
    parts: Arc<Parts>,
}

impl PyCodec {
    /// The codec of an adapter (`temporal_bridge.codec._CodecAdapter`).
    pub(crate) fn new(adapter: &Bound<'_, PyAny>) -> PyResult<Self> {
        let py = adapter.py();
        let methods = adapter.getattr("methods")?;
        let payload_class = adapter.getattr("payload_class")?;
        let plain_class = py.import("temporal_bridge.common")?.getattr("Payload")?;
        let make = if payload_class.is(&plain_class) {
            Make::Plain(payload_class.cast::<PyType>()?.clone().unbind())
        } else {
            Make::FromString(payload_class.getattr("FromString")?.unbind())
        };
        Ok(PyCodec {
            parts: Arc::new(Parts {
                adapter: adapter.clone().unbind(),
                encode: methods.get_item("encode")?.unbind(),
                decode: methods.get_item("decode")?.unbind(),
                make,
            }),
        })
    }

    fn run(&self, direction: &'static str, payloads: Vec<Bytes>) -> WireFuture {
        let on_loop = ON_LOOP.with(Cell::get);
        if !on_loop {
            if let Ok(queue) = LOOP_QUEUE.try_with(Arc::clone) {
                let (reply, answer) = oneshot::channel();
                queue.push_codec(CodecJob {
                    direction,
                    parts: Arc::clone(&self.parts),
                    payloads: Mutex::new(Some(payloads)),
                    reply: Mutex::new(Some(reply)),
                });
                return answered_later(answer);
            }
            if !IN_BLOCKING_CALL.with(Cell::get) {
                let why = "a Python payload codec runs only for calls made from Python";
                return Box::pin(std::future::ready(Err(why.into())));
            }
        }
        // Here, on a Python thread: an event loop's polling an asyncio call,
        // or one waiting in a blocking call. An `async` codec's answer is
        // awaited by a task of the loop (which answers through a job), or
        // for a blocking call on a private loop of this thread.
        let parts = &self.parts;
        let ran = Python::attach(
            |py| -> PyResult<Result<Vec<Vec<u8>>, oneshot::Receiver<WireResult>>> {
                let objects = parts.objects(py, payloads)?;
                let mut answer = parts.method(direction).bind(py).call1((objects,))?;
                if !answer.is_instance_of::<PyList>()
                    && answer.hasattr(pyo3::intern!(py, "__await__"))?
                {
                    if on_loop {
                        let (reply, waiting) = oneshot::channel();
                        let job = CodecJob {
                            direction,
                            parts: Arc::clone(parts),
                            payloads: Mutex::new(None),
                            reply: Mutex::new(Some(reply)),
                        };
                        py.import(pyo3::intern!(py, "temporal_bridge.codec"))?
                            .call_method1(pyo3::intern!(py, "await_job"), (job, answer))?;
                        return Ok(Err(waiting));
                    }
                    answer = parts
                        .adapter
                        .bind(py)
                        .call_method1(pyo3::intern!(py, "_run_here"), (answer,))?;
                }
                payloads_of(direction, &answer).map(Ok)
            },
        );
        match ran {
            Ok(Ok(coded)) => Box::pin(std::future::ready(Ok(coded))),
            Ok(Err(waiting)) => answered_later(waiting),
            Err(e) => {
                let why = Python::attach(|py| describe(py, &e));
                Box::pin(std::future::ready(Err(why.into())))
            }
        }
    }
}

/// The answer a job will give, from the event loop.
fn answered_later(answer: oneshot::Receiver<WireResult>) -> WireFuture {
    Box::pin(async move {
        answer.await.unwrap_or_else(|_| {
            Err("the event loop dropped the codec's work (is it closed?)".into())
        })
    })
}

impl PayloadCodec for PyCodec {
    fn encode(&self, _: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
        payloads_via_wire(payloads, |wire| self.run("encode", wire))
    }

    fn decode(&self, _: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
        payloads_via_wire(payloads, |wire| self.run("decode", wire))
    }

    fn encode_wire(&self, _: &CodecContext, payloads: Vec<Bytes>) -> WireFuture {
        self.run("encode", payloads)
    }

    fn decode_wire(&self, _: &CodecContext, payloads: Vec<Bytes>) -> WireFuture {
        self.run("decode", payloads)
    }
}

/// Codec work for the event loop of an asyncio call: the loop takes the
/// payloads, runs the codec's method, and replies (or fails) once.
#[pyclass(frozen, module = "temporal_bridge._native")]
pub(crate) struct CodecJob {
    direction: &'static str,
    parts: Arc<Parts>,
    payloads: Mutex<Option<Vec<Bytes>>>,
    reply: Mutex<Option<oneshot::Sender<WireResult>>>,
}

impl CodecJob {
    fn answer(&self, result: WireResult) {
        let sender = self
            .reply
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
        if let Some(sender) = sender {
            let _ = sender.send(result);
        }
    }
}

#[pymethods]
impl CodecJob {
    /// The codec's method to run (`encode` or `decode`).
    #[getter]
    fn method(&self, py: Python<'_>) -> Py<PyAny> {
        self.parts.method(self.direction).clone_ref(py)
    }

    /// The payloads, as objects for the codec (once; later: empty).
    fn payloads<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let payloads = self
            .payloads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
            .unwrap_or_default();
        self.parts.objects(py, payloads)
    }

    /// Answers with what the codec returned (payload objects).
    fn reply(&self, py: Python<'_>, answer: &Bound<'_, PyAny>) {
        let result = payloads_of(self.direction, answer).map_err(|e| describe(py, &e).into());
        self.answer(result);
    }

    /// Answers that the codec failed, with why.
    fn fail(&self, message: String) {
        self.answer(Err(message.into()));
    }
}
