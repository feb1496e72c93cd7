//! The core's log records delivered to a C callback.

use crate::boundary::run_text;
use crate::call::UserData;
use crate::status::TbStatus;
use std::ffi::{c_char, c_void, CString};
use std::ptr;
use std::sync::Arc;
use std::time::UNIX_EPOCH;
use temporal_bridge_core::{set_log_sink, Error, LogLevel, LogRecord, LogSink};

/// Receives one log record, on the library's log thread (one record at a
/// time, in order). `level`: 1 error, 2 warn, 3 info, 4 debug, 5 trace;
/// `target` where it comes from (`"temporal_bridge::client"`,
/// `"temporal_bridge::transport"`); `message` what happened; `fields_json`
/// what it is about as a JSON object (`operation`, `attempt`,
/// `status_code`, `cause`, `target`...); `unix_ms` when. The strings are
/// lent until the callback returns. Records never hold secrets or payload
/// contents. The callback may block (records then queue, and past a
/// thousand are dropped and counted), but must not call `tb_log_configure`.
pub type TbLogCallback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        level: u32,
        target: *const c_char,
        message: *const c_char,
        fields_json: *const c_char,
        unix_ms: i64,
    ),
>;

struct CallbackSink {
    callback:
        unsafe extern "C" fn(*mut c_void, u32, *const c_char, *const c_char, *const c_char, i64),
    user_data: UserData,
}

// SAFETY: the header makes the callback and `user_data` usable from the
// log thread, the only one that calls it.
unsafe impl Sync for CallbackSink {}

impl LogSink for CallbackSink {
    fn log(&self, record: &LogRecord) {
        // Messages and JSON hold no NUL (JSON escapes it; messages are the
        // library's own); should one ever, the record is skipped.
        let (Ok(target), Ok(message), Ok(fields)) = (
            CString::new(record.target),
            CString::new(record.message.as_str()),
            CString::new(serde_json::Value::Object(record.fields.clone()).to_string()),
        ) else {
            return;
        };
        let unix_ms = record
            .time
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        // SAFETY: the callback's contract in the header; the strings live
        // until it returns.
        unsafe {
            (self.callback)(
                self.user_data.0,
                record.level as u32,
                target.as_ptr(),
                message.as_ptr(),
                fields.as_ptr(),
                unix_ms,
            )
        }
    }
}

/// Sends the library's log records at or above `level` (`"error"`,
/// `"warn"` (the default for NULL), `"info"`, `"debug"`, `"trace"`) to
/// `callback` with `user_data`, replacing any callback set before; a NULL
/// callback turns logging off (the default). Once this returns the old
/// callback is not called again, so its `user_data` may be freed.
#[no_mangle]
pub unsafe extern "C" fn tb_log_configure(
    callback: TbLogCallback,
    user_data: *mut c_void,
    level: *const c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        run_text("tb_log_configure", ptr::null_mut(), error_out, || {
            let level = if level.is_null() {
                LogLevel::Warn
            } else {
                let name = crate::pointers::str_argument(level, "level")?;
                LogLevel::from_name(name).ok_or_else(|| {
                    Error::invalid_argument(format!(
                        "level {name:?} is not one of error, warn, info, debug, trace"
                    ))
                    .with_detail("argument", "level")
                })?
            };
            let sink = callback.map(|callback| {
                Arc::new(CallbackSink {
                    callback,
                    user_data: UserData(user_data),
                }) as Arc<dyn LogSink>
            });
            set_log_sink(sink, level);
            Ok(String::new())
        })
    }
}
