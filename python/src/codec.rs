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
//! bytes) and `data` (bytes). Both conversions are done here, not in Python:
//! Python code run right after the network work of a call meets cold
//! caches, and every line of it costs.

use crate::QueueShared;
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString};
use std::cell::Cell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use temporal_bridge_core::codec::{CodecContext, CodecFuture, CodecResult, Payload, PayloadCodec};
use tokio::sync::oneshot;

tokio::task_local! {
    /// The completion queue of the event loop that made an asyncio call.
    pub(crate) static LOOP_QUEUE: Arc<QueueShared>;
}

thread_local! {
    /// Whether this thread is a Python thread waiting in a blocking call
    /// (without the GIL): the call's own future is polled here.
    pub(crate) static IN_BLOCKING_CALL: Cell<bool> = const { Cell::new(false) };
}

/// Marks the current thread as waiting in a blocking call while alive.
pub(crate) struct BlockingCallMark(bool);

impl BlockingCallMark {
    pub(crate) fn new() -> Self {
        BlockingCallMark(IN_BLOCKING_CALL.with(|c| c.replace(true)))
    }
}

impl Drop for BlockingCallMark {
    fn drop(&mut self) {
        IN_BLOCKING_CALL.with(|c| c.set(self.0));
    }
}

/// What a codec is made of, on the Python side.
struct Parts {
    /// The `temporal_bridge.codec._CodecAdapter` (it runs awaitables for
    /// blocking calls).
    adapter: Py<PyAny>,
    encode: Py<PyAny>,
    decode: Py<PyAny>,
    /// The class of the payloads the codec is given.
    payload_class: Py<PyAny>,
    /// Whether that class is `temporal_bridge.Payload` (made without
    /// running its `__init__`: the values are known to be right).
    plain: bool,
}

impl Parts {
    fn method(&self, direction: &str) -> &Py<PyAny> {
        if direction == "encode" {
            &self.encode
        } else {
            &self.decode
        }
    }

    /// The payloads as objects for the codec, in a list.
    fn objects<'py>(
        &self,
        py: Python<'py>,
        payloads: Vec<Payload>,
    ) -> PyResult<Bound<'py, PyList>> {
        let class = self.payload_class.bind(py);
        let list = PyList::empty(py);
        for payload in payloads {
            let metadata = PyDict::new(py);
            for (key, value) in &payload.metadata {
                metadata.set_item(key, PyBytes::new(py, value))?;
            }
            let data = PyBytes::new(py, &payload.data);
            let object = if self.plain {
                let object = class.call_method1(pyo3::intern!(py, "__new__"), (class,))?;
                object.setattr(pyo3::intern!(py, "data"), data)?;
                object.setattr(pyo3::intern!(py, "metadata"), metadata)?;
                object
            } else {
                let kwargs = PyDict::new(py);
                kwargs.set_item(pyo3::intern!(py, "metadata"), metadata)?;
                kwargs.set_item(pyo3::intern!(py, "data"), data)?;
                class.call((), Some(&kwargs))?
            };
            list.append(object)?;
        }
        Ok(list)
    }
}

/// What a codec returned, as payloads: any iterable of objects with
/// `metadata` (a mapping of str to bytes) and `data` (bytes).
fn payloads_of(direction: &str, answer: &Bound<'_, PyAny>) -> PyResult<Vec<Payload>> {
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
    let items = answer
        .try_iter()
        .map_err(|_| wrong(format!("a {}, not a list of payloads", type_name(answer))))?;
    let mut payloads = Vec::new();
    for item in items {
        let item = item?;
        let not_payload = || {
            wrong(format!(
                "a {}, not a payload (metadata, and data bytes)",
                type_name(&item)
            ))
        };
        let data = item
            .getattr(pyo3::intern!(py, "data"))
            .map_err(|_| not_payload())?;
        let data = bytes_of(&data).ok_or_else(not_payload)?;
        let metadata = item
            .getattr(pyo3::intern!(py, "metadata"))
            .map_err(|_| not_payload())?;
        let entries = match metadata.cast::<PyDict>() {
            Ok(dict) => dict.items(),
            Err(_) => metadata
                .call_method0(pyo3::intern!(py, "items"))
                .map_err(|_| not_payload())?
                .try_iter()?
                .collect::<PyResult<Vec<_>>>()
                .map(|v| PyList::new(py, v))??,
        };
        let mut map = HashMap::with_capacity(entries.len());
        for entry in entries {
            let (key, value): (String, Bound<'_, PyAny>) =
                entry.extract().map_err(|_| not_payload())?;
            let value = bytes_of(&value).ok_or_else(|| {
                wrong(format!(
                    "a payload whose metadata {key:?} is a {}, not bytes",
                    type_name(&value)
                ))
            })?;
            map.insert(key, value);
        }
        payloads.push(Payload {
            metadata: map,
            data,
            ..Default::default()
        });
    }
    Ok(payloads)
}

fn bytes_of(value: &Bound<'_, PyAny>) -> Option<Vec<u8>> {
    if let Ok(bytes) = value.cast::<PyBytes>() {
        return Some(bytes.as_bytes().to_vec());
    }
    value.cast::<PyByteArray>().ok().map(|b| b.to_vec())
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
        Ok(PyCodec {
            parts: Arc::new(Parts {
                adapter: adapter.clone().unbind(),
                encode: methods.get_item("encode")?.unbind(),
                decode: methods.get_item("decode")?.unbind(),
                plain: payload_class.is(&plain_class),
                payload_class: payload_class.unbind(),
            }),
        })
    }

    fn run(&self, direction: &'static str, payloads: Vec<Payload>) -> CodecFuture {
        if let Ok(queue) = LOOP_QUEUE.try_with(Arc::clone) {
            let (reply, answer) = oneshot::channel();
            queue.push_codec(CodecJob {
                direction,
                parts: Arc::clone(&self.parts),
                payloads: Mutex::new(Some(payloads)),
                reply: Mutex::new(Some(reply)),
            });
            return Box::pin(async move {
                answer.await.unwrap_or_else(|_| {
                    Err("the event loop dropped the codec's work (is it closed?)".into())
                })
            });
        }
        let result = if IN_BLOCKING_CALL.with(Cell::get) {
            Python::attach(|py| {
                let parts = &self.parts;
                let objects = parts.objects(py, payloads)?;
                let mut answer = parts.method(direction).bind(py).call1((objects,))?;
                if !answer.is_instance_of::<PyList>()
                    && answer.hasattr(pyo3::intern!(py, "__await__"))?
                {
                    answer = parts
                        .adapter
                        .bind(py)
                        .call_method1("_run_here", (answer,))?;
                }
                payloads_of(direction, &answer)
            })
            .map_err(|e| Python::attach(|py| describe(py, &e)).into())
        } else {
            Err("a Python payload codec runs only for calls made from Python".into())
        };
        Box::pin(std::future::ready(result))
    }
}

impl PayloadCodec for PyCodec {
    fn encode(&self, _: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
        self.run("encode", payloads)
    }

    fn decode(&self, _: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
        self.run("decode", payloads)
    }
}

/// Codec work for the event loop of an asyncio call: the loop takes the
/// payloads, runs the codec's method, and replies (or fails) once.
#[pyclass(frozen, module = "temporal_bridge._native")]
pub(crate) struct CodecJob {
    direction: &'static str,
    parts: Arc<Parts>,
    payloads: Mutex<Option<Vec<Payload>>>,
    reply: Mutex<Option<oneshot::Sender<CodecResult>>>,
}

impl CodecJob {
    fn answer(&self, result: CodecResult) {
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
