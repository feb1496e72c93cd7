//! Client metrics: turned on once per process, exported through a
//! Prometheus endpoint, readable as a snapshot, and handed to a C callback
//! meter as they are made.

use crate::boundary::run_text;
use crate::call::UserData;
use crate::pointers::str_argument;
use crate::status::TbStatus;
use std::ffi::{c_char, c_void, CString};
use std::sync::Arc;
use temporal_bridge_core::{
    configure_metrics_with_sink, metrics_snapshot, parse_strict, Error, MetricRecord, MetricSink,
    MetricsOptions,
};

/// Receives one measurement, on the library thread that made it (any
/// thread, several at once): it must be quick, must not block, and must not
/// call back into the library. `name` is the metric's name, prefix included
/// (`"temporal_request"`); `kind` 1 counter (add `value`), 2 histogram (one
/// observation `value`), 3 gauge (the current level is `value`); `unit`
/// `"ms"` for latencies, else `""`; `labels_json` the series' labels as a
/// JSON object of strings (`namespace`, `operation`, `status_code`,
/// `task_queue`, `service_name`, the global tags...). The strings are lent
/// until the callback returns.
pub type TbMetricCallback = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        name: *const c_char,
        kind: u32,
        value: f64,
        unit: *const c_char,
        labels_json: *const c_char,
    ),
>;

struct CallbackMeter {
    callback:
        unsafe extern "C" fn(*mut c_void, *const c_char, u32, f64, *const c_char, *const c_char),
    user_data: UserData,
}

// SAFETY: the header makes the callback and `user_data` usable from any
// thread, concurrently.
unsafe impl Sync for CallbackMeter {}

impl MetricSink for CallbackMeter {
    fn record(&self, record: &MetricRecord<'_>) {
        // Names, units and JSON hold no NUL (JSON escapes it; the library
        // checked names and tags); should one ever, the record is skipped.
        let labels = serde_json::to_string(record.labels).unwrap_or_default();
        let (Ok(name), Ok(unit), Ok(labels)) = (
            CString::new(record.name),
            CString::new(record.unit),
            CString::new(labels),
        ) else {
            return;
        };
        // SAFETY: the callback's contract in the header; the strings live
        // until it returns.
        unsafe {
            (self.callback)(
                self.user_data.0,
                name.as_ptr(),
                record.kind as u32,
                record.value,
                unit.as_ptr(),
                labels.as_ptr(),
            )
        }
    }
}

/// Turns client metrics on for this process (once: a second call is
/// `TB_STATUS_INVALID_ARGUMENT`). Every client then counts each RPC
/// attempt with the metrics sdk-core's clients use, so dashboards made for
/// the official SDKs read them: `temporal_request`,
/// `temporal_request_failure` (label `status_code`, e.g. `"NOT_FOUND"`),
/// `temporal_request_latency` (histogram, milliseconds) and the same three
/// as `temporal_long_request*` for long polls; labels `namespace`,
/// `operation` (the RPC, e.g. `"StartWorkflowExecution"`), `service_name`
/// and the global tags. While off, metrics cost nothing.
///
/// `options_json`: `{"prometheus"?: "127.0.0.1:9464" (serve Prometheus'
/// text format at GET /metrics there; port 0 picks one), "prefix"?:
/// "myapp_" (instead of "temporal_"), "global_tags"?: {"name": "value"}}`.
/// On success writes `{"prometheus": "host:port" | null}` to `*info_out`
/// (free with `tb_string_free`; NULL to discard).
#[no_mangle]
pub unsafe extern "C" fn tb_metrics_configure(
    options_json: *const c_char,
    info_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        configure(
            "tb_metrics_configure",
            options_json,
            None,
            info_out,
            error_out,
        )
    }
}

/// `tb_metrics_configure`, with every measurement also handed to
/// `callback` with `user_data` as it is made: a meter of the host's
/// (OpenTelemetry, StatsD, its own) records them under its names. The
/// callback is kept for the life of the process (metrics are configured
/// once), so `user_data` must stay valid that long. A NULL callback is
/// `TB_STATUS_INVALID_ARGUMENT`.
#[no_mangle]
pub unsafe extern "C" fn tb_metrics_configure_with_callback(
    options_json: *const c_char,
    callback: TbMetricCallback,
    user_data: *mut c_void,
    info_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    let name = "tb_metrics_configure_with_callback";
    let Some(callback) = callback else {
        // SAFETY: pointers are NULL or valid, per the header.
        return unsafe {
            run_text(name, info_out, error_out, || {
                Err(Error::invalid_argument("callback is NULL").with_detail("argument", "callback"))
            })
        };
    };
    let meter: Arc<dyn MetricSink> = Arc::new(CallbackMeter {
        callback,
        user_data: UserData(user_data),
    });
    // SAFETY: pointers are NULL or valid, per the header.
    unsafe { configure(name, options_json, Some(meter), info_out, error_out) }
}

/// Both configure functions: the options, then the process's metrics.
unsafe fn configure(
    name: &'static str,
    options_json: *const c_char,
    meter: Option<Arc<dyn MetricSink>>,
    info_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        run_text(name, info_out, error_out, || {
            let text = str_argument(options_json, "options_json")?;
            let options: MetricsOptions = parse_strict(text, "metrics options")?;
            let info = configure_metrics_with_sink(options, meter)?;
            serde_json::to_string(&info).map_err(|e| Error::internal(e.to_string()))
        })
    }
}

/// Every series recorded so far, as a JSON array (empty while metrics are
/// off): `[{"name": "temporal_request", "kind": "counter", "labels":
/// {...}, "value": 3} (a gauge: `"kind": "gauge"`, its current `"value"`),
/// {"name": "temporal_request_latency", "kind":
/// "histogram", "labels": {...}, "buckets": [["50", 2], ..., ["+Inf",
/// 3]] (cumulative, by upper bound in ms), "sum": 12.5, "count": 3}, ...]`.
/// Written to `*snapshot_out` (free with `tb_string_free`).
#[no_mangle]
pub unsafe extern "C" fn tb_metrics_snapshot(
    snapshot_out: *mut *mut c_char,
    error_out: *mut *mut c_char,
) -> TbStatus {
    // SAFETY (all): pointers are NULL or valid, per the header.
    unsafe {
        run_text("tb_metrics_snapshot", snapshot_out, error_out, || {
            serde_json::to_string(&metrics_snapshot()).map_err(|e| Error::internal(e.to_string()))
        })
    }
}
