//! The core's log records — connects, reconnects, retries with their cause —
//! handed to the host's logging (Python's `logging`, a C callback, a Rust
//! sink). Records never carry secrets (metadata, API keys) or payload
//! contents. Off until a sink is set; then records at or above the sink's
//! level go, in order, through a bounded queue to one thread that calls the
//! sink, so a slow sink never holds up a call (records beyond the queue are
//! counted and reported as dropped).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// How many records may wait for the sink before new ones are dropped.
const QUEUE: usize = 1024;

/// A record's severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Hash)]
#[serde(rename_all = "lowercase")]
#[repr(u8)]
pub enum LogLevel {
    /// Something failed for good.
    Error = 1,
    /// Something failed and is retried, or looks wrong.
    Warn = 2,
    /// What happened: connected, reconnected.
    Info = 3,
    /// Details for debugging.
    Debug = 4,
    /// Everything.
    Trace = 5,
}

impl LogLevel {
    /// The level by name (`error`, `warn`, `info`, `debug`, `trace`).
    pub fn from_name(name: &str) -> Option<LogLevel> {
        match name.to_ascii_lowercase().as_str() {
            "error" => Some(LogLevel::Error),
            "warn" | "warning" => Some(LogLevel::Warn),
            "info" => Some(LogLevel::Info),
            "debug" => Some(LogLevel::Debug),
            "trace" => Some(LogLevel::Trace),
            _ => None,
        }
    }

    /// The level's name.
    pub fn name(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

/// One log record.
#[derive(Debug, Clone, Serialize)]
pub struct LogRecord {
    /// Its severity.
    pub level: LogLevel,
    /// Where it comes from: `temporal_bridge::client`, `::transport`, ...
    pub target: &'static str,
    /// What happened, in words.
    pub message: String,
    /// What it is about, as structured values (`operation`, `attempt`,
    /// `status_code`, `target`...).
    pub fields: Map<String, Value>,
    /// When it happened.
    #[serde(skip)]
    pub time: SystemTime,
}

/// Where records go. Called on the library's log thread, one record at a
/// time, in the order they were made.
pub trait LogSink: Send + Sync + 'static {
    /// Takes one record.
    fn log(&self, record: &LogRecord);
}

/// The most verbose level a sink wants; 0 while there is none.
static LEVEL: AtomicU8 = AtomicU8::new(0);
/// The queue into the log thread, that thread, and the process it runs in
/// (after fork() the child has no such thread).
type LogThread = (SyncSender<LogRecord>, std::thread::JoinHandle<()>, u32);
static QUEUE_IN: Mutex<Option<LogThread>> = Mutex::new(None);
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// Sends the records at or above `level` to `sink` from now on, instead of
/// wherever they went before; `None` turns logging off. The old sink gets
/// the records already queued for it, and is not called again once this
/// returns (unless this is called from the old sink itself).
pub fn set_log_sink(sink: Option<Arc<dyn LogSink>>, level: LogLevel) {
    let mut queue = QUEUE_IN.lock().unwrap_or_else(|p| p.into_inner());
    LEVEL.store(0, Ordering::Release);
    if let Some((sender, thread, pid)) = queue.take() {
        // Without its sender the old thread ends once it has delivered
        // what it holds.
        drop(sender);
        if pid != std::process::id() {
            // Forked: the thread stayed with the parent.
            std::mem::forget(thread);
        } else if thread.thread().id() != std::thread::current().id() {
            let _ = thread.join();
        }
    }
    let Some(sink) = sink else {
        return;
    };
    let (sender, receiver) = sync_channel::<LogRecord>(QUEUE);
    let started = std::thread::Builder::new()
        .name("temporal-bridge-log".into())
        .spawn(move || {
            for record in receiver {
                let dropped = DROPPED.swap(0, Ordering::AcqRel);
                if dropped > 0 {
                    sink.log(&dropped_record(dropped));
                }
                sink.log(&record);
            }
        });
    if let Ok(thread) = started {
        *queue = Some((sender, thread, std::process::id()));
        LEVEL.store(level as u8, Ordering::Release);
    }
}

fn dropped_record(count: u64) -> LogRecord {
    let mut fields = Map::new();
    fields.insert("dropped".into(), count.into());
    LogRecord {
        level: LogLevel::Warn,
        target: "temporal_bridge::log",
        message: format!("{count} log records were dropped: the log sink did not keep up"),
        fields,
        time: SystemTime::now(),
    }
}

/// Whether a record at `level` would go anywhere (one atomic load).
pub(crate) fn enabled(level: LogLevel) -> bool {
    level as u8 <= LEVEL.load(Ordering::Acquire)
}

/// Emits a record (when its level is enabled: check with [`enabled`]
/// first when building it costs anything).
pub(crate) fn emit(
    level: LogLevel,
    target: &'static str,
    message: String,
    fields: Map<String, Value>,
) {
    if !enabled(level) {
        return;
    }
    let record = LogRecord {
        level,
        target,
        message,
        fields,
        time: SystemTime::now(),
    };
    let queue = QUEUE_IN.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((sender, _, _)) = queue.as_ref() {
        if let Err(TrySendError::Full(_)) = sender.try_send(record) {
            DROPPED.fetch_add(1, Ordering::AcqRel);
        }
    }
}

/// `emit` with fields given as `key => value` pairs, built only when the
/// level is enabled.
macro_rules! log_record {
    ($level:expr, $target:literal, { $($key:literal => $value:expr),* $(,)? }, $($message:tt)+) => {
        if $crate::log::enabled($level) {
            #[allow(unused_mut)]
            let mut fields = serde_json::Map::new();
            $(fields.insert($key.into(), serde_json::Value::from($value));)*
            $crate::log::emit($level, $target, format!($($message)+), fields);
        }
    };
}
pub(crate) use log_record;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_by_name_and_order() {
        assert_eq!(LogLevel::from_name("WARNING"), Some(LogLevel::Warn));
        assert_eq!(LogLevel::from_name("nope"), None);
        assert!(LogLevel::Error < LogLevel::Debug);
        for level in [
            LogLevel::Error,
            LogLevel::Warn,
            LogLevel::Info,
            LogLevel::Debug,
            LogLevel::Trace,
        ] {
            assert_eq!(LogLevel::from_name(level.name()), Some(level));
        }
    }
}
