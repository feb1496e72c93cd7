//! A Python payload codec as the core's `PayloadCodec`.
//!
//! Python code runs only on Python's own threads, as everywhere in this
//! module: a blocking call runs the codec on the calling thread (which
//! drives the call's future while it waits), and an asyncio call sends the
//! codec's work to its event loop through the loop's completion queue (the
//! loop runs it, awaiting it when the codec is `async`, and replies). The
//! Python side of the codec is an adapter object from `temporal_bridge.codec`
//! with `run_sync(direction, payloads)`; payloads cross as
//! `(metadata: dict[str, bytes], data: bytes)` tuples.

use crate::QueueShared;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
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

/// The codec given to `connect`: its Python adapter.
pub(crate) struct PyCodec {
    adapter: Arc<Py<PyAny>>,
}

impl PyCodec {
    pub(crate) fn new(adapter: Py<PyAny>) -> Self {
        PyCodec {
            adapter: Arc::new(adapter),
        }
    }

    fn run(
        &self,
        direction: &'static str,
        context: &CodecContext,
        payloads: Vec<Payload>,
    ) -> CodecFuture {
        if let Ok(queue) = LOOP_QUEUE.try_with(Arc::clone) {
            let (reply, answer) = oneshot::channel();
            queue.push_codec(CodecJob {
                direction,
                call: context.call.clone(),
                adapter: Arc::clone(&self.adapter),
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
                let list = payloads_to_py(py, payloads)?;
                let answer = self
                    .adapter
                    .bind(py)
                    .call_method1("run_sync", (direction, list))?;
                payloads_from_py(&answer)
            })
            .map_err(|e| Python::attach(|py| describe(py, &e)).into())
        } else {
            Err("a Python payload codec runs only for calls made from Python".into())
        };
        Box::pin(std::future::ready(result))
    }
}

impl PayloadCodec for PyCodec {
    fn encode(&self, context: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
        self.run("encode", context, payloads)
    }

    fn decode(&self, context: &CodecContext, payloads: Vec<Payload>) -> CodecFuture {
        self.run("decode", context, payloads)
    }
}

/// A Python exception as `Type: message`.
fn describe(py: Python<'_>, error: &PyErr) -> String {
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
    if text.is_empty() {
        name
    } else {
        format!("{name}: {text}")
    }
}

fn payloads_to_py(py: Python<'_>, payloads: Vec<Payload>) -> PyResult<Bound<'_, PyList>> {
    let list = PyList::empty(py);
    for payload in payloads {
        let metadata = PyDict::new(py);
        for (key, value) in &payload.metadata {
            metadata.set_item(key, PyBytes::new(py, value))?;
        }
        list.append(PyTuple::new(
            py,
            [
                metadata.into_any(),
                PyBytes::new(py, &payload.data).into_any(),
            ],
        )?)?;
    }
    Ok(list)
}

/// What a codec returned, as payloads: a list of `(metadata, data)` tuples
/// (the adapter makes them from any payload objects).
fn payloads_from_py(answer: &Bound<'_, PyAny>) -> PyResult<Vec<Payload>> {
    let mut payloads = Vec::new();
    for item in answer.try_iter()? {
        let (metadata, data): (HashMap<String, Vec<u8>>, Vec<u8>) = item?.extract()?;
        payloads.push(Payload {
            metadata,
            data,
            ..Default::default()
        });
    }
    Ok(payloads)
}

/// Codec work for the event loop of an asyncio call: the loop takes the
/// payloads, runs the adapter, and replies (or fails) once.
#[pyclass(frozen, module = "temporal_bridge._native")]
pub(crate) struct CodecJob {
    direction: &'static str,
    call: String,
    adapter: Arc<Py<PyAny>>,
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
    /// `"encode"` or `"decode"`.
    #[getter]
    fn direction(&self) -> &'static str {
        self.direction
    }

    /// The RPC whose payloads these are.
    #[getter]
    fn call(&self) -> &str {
        &self.call
    }

    /// The codec adapter to run.
    #[getter]
    fn adapter(&self, py: Python<'_>) -> Py<PyAny> {
        self.adapter.clone_ref(py)
    }

    /// The payloads, as `(metadata, data)` tuples (once; later: empty).
    fn payloads<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let payloads = self
            .payloads
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take()
            .unwrap_or_default();
        payloads_to_py(py, payloads)
    }

    /// Answers with the codec's payloads (`(metadata, data)` tuples).
    fn reply(&self, py: Python<'_>, payloads: &Bound<'_, PyAny>) {
        let result = payloads_from_py(payloads).map_err(|e| describe(py, &e).into());
        self.answer(result);
    }

    /// Answers that the codec failed, with why.
    fn fail(&self, message: String) {
        self.answer(Err(message.into()));
    }
}
