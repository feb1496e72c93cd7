//! Client metrics: turned on once per process, exported through a
//! Prometheus endpoint and readable as a snapshot.

use crate::boundary::run_text;
use crate::pointers::str_argument;
use crate::status::TbStatus;
use std::ffi::c_char;
use temporal_bridge_core::{configure_metrics_json, metrics_snapshot, Error};

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
        run_text("tb_metrics_configure", info_out, error_out, || {
            let info = configure_metrics_json(str_argument(options_json, "options_json")?)?;
            serde_json::to_string(&info).map_err(|e| Error::internal(e.to_string()))
        })
    }
}

/// Every series recorded so far, as a JSON array (empty while metrics are
/// off): `[{"name": "temporal_request", "kind": "counter", "labels":
/// {...}, "value": 3}, {"name": "temporal_request_latency", "kind":
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
