//! The core's log records delivered to Python's `logging`: one record at a
//! time, from the library's log thread, through the exit gate, to the
//! logger given (`temporal_bridge` by default), at the matching level, with
//! the record's target and fields in `extra`.

use crate::gate::{register_exit_hook, GatePass};
use crate::json_to_py;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde_json::Value;
use std::sync::Arc;
use temporal_bridge_core::{set_log_sink, LogLevel, LogRecord, LogSink};

/// The `temporal_bridge` logger, looked up when a record comes (so that
/// importing the package does not import `logging`).
struct PythonLogger;

/// `logging`'s number for a level (TRACE below DEBUG, as 5).
fn python_level(level: LogLevel) -> u32 {
    match level {
        LogLevel::Error => 40,
        LogLevel::Warn => 30,
        LogLevel::Info => 20,
        LogLevel::Debug => 10,
        LogLevel::Trace => 5,
    }
}

impl LogSink for PythonLogger {
    fn log(&self, record: &LogRecord) {
        // Interpreter exiting: the record goes nowhere.
        let Some(_pass) = GatePass::enter() else {
            return;
        };
        Python::attach(|py| {
            let logged = (|| -> PyResult<()> {
                let extra = PyDict::new(py);
                extra.set_item("temporal_bridge_target", record.target)?;
                extra.set_item(
                    "temporal_bridge_fields",
                    json_to_py(py, &Value::Object(record.fields.clone()))?,
                )?;
                let kwargs = PyDict::new(py);
                kwargs.set_item("extra", extra)?;
                let logger = py
                    .import("logging")?
                    .call_method1("getLogger", ("temporal_bridge",))?;
                logger.call_method(
                    "log",
                    (python_level(record.level), "%s", record.message.as_str()),
                    Some(&kwargs),
                )?;
                Ok(())
            })();
            // A handler that raised: Python's own logging reports those.
            drop(logged);
        });
    }
}

/// Sends the core's records at or above `level` (error, warn, info, debug,
/// trace) to the `temporal_bridge` logger; `enabled=False` turns them off.
#[pyfunction]
#[pyo3(signature = (level, enabled=true))]
pub(crate) fn configure_logging(py: Python<'_>, level: &str, enabled: bool) -> PyResult<()> {
    let level = LogLevel::from_name(level).ok_or_else(|| {
        PyValueError::new_err(format!(
            "log level {level:?} is not one of error, warn, info, debug, trace"
        ))
    })?;
    register_exit_hook(py)?;
    let sink = enabled.then(|| Arc::new(PythonLogger) as Arc<dyn LogSink>);
    // Joining the old log thread may wait for it to deliver a record, which
    // needs the GIL: wait without it.
    py.detach(|| set_log_sink(sink, level));
    Ok(())
}
