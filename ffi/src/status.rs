//! The status code every call returns: one value per core error kind, with
//! explicit values that are never renumbered or reused. The JSON error object
//! (`kind`, `message`, `details`) carries the detail; `kind` is always the
//! name `tb_status_name` gives for the status.

use std::ffi::{c_char, CStr};
use temporal_bridge_core::ErrorKind;

/// Outcome of a call. `TB_STATUS_OK` is 0; every other value names the error
/// kind of the JSON error object delivered with it. The type is 32 bits wide
/// in C and C++. New kinds get new values; a value is never reused.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TbStatus {
    /// Success.
    Ok = 0,
    /// The request was malformed: a NULL or non-UTF-8 argument, bad JSON, an
    /// unknown field, a wrong type, a bad value, an unknown operation.
    InvalidArgument = 1,
    /// The workflow (or namespace, or other entity) does not exist.
    NotFound = 2,
    /// A workflow with this ID is already running (details carry its `run_id`).
    AlreadyStarted = 3,
    /// The workflow closed as failed (details carry the failure chain).
    WorkflowFailed = 4,
    /// The workflow closed as canceled (details carry the cancellation details).
    WorkflowCanceled = 5,
    /// The workflow was terminated.
    WorkflowTerminated = 6,
    /// The workflow timed out.
    WorkflowTimedOut = 7,
    /// The run continued as new and the request asked not to follow runs.
    WorkflowContinuedAsNew = 8,
    /// The server could not be reached, or stayed unavailable past the retries.
    Unavailable = 9,
    /// The call's deadline (`call_timeout`) passed before it finished.
    DeadlineExceeded = 10,
    /// The call was abandoned: its cancel token was cancelled, or its client
    /// was closed or freed. The workflow itself is untouched.
    Cancelled = 11,
    /// The server refused the call for lack of permission or credentials.
    PermissionDenied = 12,
    /// Any other gRPC failure; details carry the gRPC code.
    Rpc = 13,
    /// A bug inside the library (e.g. a caught panic). Please report it.
    Internal = 14,
    /// A query reached the workflow but failed there (no handler for the
    /// query type, or the handler raised); details carry the `failure` chain.
    QueryFailed = 15,
    /// A query was not run because of its reject condition; details carry
    /// the workflow's `status`.
    QueryRejected = 16,
    /// An update was rejected (validator, or no handler) or its handler
    /// failed; details carry the `failure` chain and the `update_id`.
    UpdateFailed = 17,
    /// The payload codec (in process or a codec server) failed or answered
    /// with the wrong number of payloads; details carry the `direction`, the
    /// `call` and the number of `payloads`. Nothing was sent when encoding
    /// failed.
    Codec = 18,
}

impl TbStatus {
    /// Every status, in value order.
    pub const ALL: &'static [TbStatus] = &[
        TbStatus::Ok,
        TbStatus::InvalidArgument,
        TbStatus::NotFound,
        TbStatus::AlreadyStarted,
        TbStatus::WorkflowFailed,
        TbStatus::WorkflowCanceled,
        TbStatus::WorkflowTerminated,
        TbStatus::WorkflowTimedOut,
        TbStatus::WorkflowContinuedAsNew,
        TbStatus::Unavailable,
        TbStatus::DeadlineExceeded,
        TbStatus::Cancelled,
        TbStatus::PermissionDenied,
        TbStatus::Rpc,
        TbStatus::Internal,
        TbStatus::QueryFailed,
        TbStatus::QueryRejected,
        TbStatus::UpdateFailed,
        TbStatus::Codec,
    ];

    /// The status reporting an error of `kind`.
    pub fn from_kind(kind: ErrorKind) -> TbStatus {
        match kind {
            ErrorKind::InvalidArgument => TbStatus::InvalidArgument,
            ErrorKind::NotFound => TbStatus::NotFound,
            ErrorKind::AlreadyStarted => TbStatus::AlreadyStarted,
            ErrorKind::WorkflowFailed => TbStatus::WorkflowFailed,
            ErrorKind::WorkflowCanceled => TbStatus::WorkflowCanceled,
            ErrorKind::WorkflowTerminated => TbStatus::WorkflowTerminated,
            ErrorKind::WorkflowTimedOut => TbStatus::WorkflowTimedOut,
            ErrorKind::WorkflowContinuedAsNew => TbStatus::WorkflowContinuedAsNew,
            ErrorKind::Unavailable => TbStatus::Unavailable,
            ErrorKind::DeadlineExceeded => TbStatus::DeadlineExceeded,
            ErrorKind::Cancelled => TbStatus::Cancelled,
            ErrorKind::PermissionDenied => TbStatus::PermissionDenied,
            ErrorKind::Rpc => TbStatus::Rpc,
            ErrorKind::Internal => TbStatus::Internal,
            ErrorKind::QueryFailed => TbStatus::QueryFailed,
            ErrorKind::QueryRejected => TbStatus::QueryRejected,
            ErrorKind::UpdateFailed => TbStatus::UpdateFailed,
            ErrorKind::Codec => TbStatus::Codec,
            // A kind added to the core without a status here: the unit test
            // `every_kind_has_its_own_status` fails until one is added.
            _ => TbStatus::Internal,
        }
    }

    /// The status's name: `"ok"` or the JSON error `kind` it reports.
    pub fn name(self) -> &'static CStr {
        match self {
            TbStatus::Ok => c"ok",
            TbStatus::InvalidArgument => c"invalid_argument",
            TbStatus::NotFound => c"not_found",
            TbStatus::AlreadyStarted => c"already_started",
            TbStatus::WorkflowFailed => c"workflow_failed",
            TbStatus::WorkflowCanceled => c"workflow_canceled",
            TbStatus::WorkflowTerminated => c"workflow_terminated",
            TbStatus::WorkflowTimedOut => c"workflow_timed_out",
            TbStatus::WorkflowContinuedAsNew => c"workflow_continued_as_new",
            TbStatus::Unavailable => c"unavailable",
            TbStatus::DeadlineExceeded => c"deadline_exceeded",
            TbStatus::Cancelled => c"cancelled",
            TbStatus::PermissionDenied => c"permission_denied",
            TbStatus::Rpc => c"rpc",
            TbStatus::Internal => c"internal",
            TbStatus::QueryFailed => c"query_failed",
            TbStatus::QueryRejected => c"query_rejected",
            TbStatus::UpdateFailed => c"update_failed",
            TbStatus::Codec => c"codec",
        }
    }
}

/// The name of a status: `"ok"`, or the JSON error `kind` it stands for
/// (e.g. `"not_found"` for `TB_STATUS_NOT_FOUND`); `"unknown"` for a value
/// that is no status. The string is static: never free it.
///
/// Takes a plain integer so that any value, even one that is no status, is
/// safe to pass.
#[no_mangle]
pub extern "C" fn tb_status_name(status: u32) -> *const c_char {
    TbStatus::ALL
        .iter()
        .find(|s| **s as u32 == status)
        .map_or(c"unknown", |s| s.name())
        .as_ptr()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_kind_has_its_own_status() {
        let mut seen = HashSet::new();
        for kind in ErrorKind::ALL {
            let status = TbStatus::from_kind(*kind);
            assert_eq!(
                status.name().to_str().unwrap(),
                kind.as_str(),
                "error kind {kind} needs its own TbStatus value"
            );
            assert!(seen.insert(status), "{kind} shares a status");
        }
        assert_eq!(seen.len() + 1, TbStatus::ALL.len());
    }

    #[test]
    fn values_are_fixed() {
        for (value, status) in TbStatus::ALL.iter().enumerate() {
            assert_eq!(*status as u32, value as u32);
        }
        assert_eq!(TbStatus::Cancelled as u32, 11);
        assert_eq!(TbStatus::Internal as u32, 14);
    }

    #[test]
    fn status_name_is_total() {
        // SAFETY: tb_status_name returns static NUL-terminated strings.
        let name = |v| {
            unsafe { CStr::from_ptr(tb_status_name(v)) }
                .to_str()
                .unwrap()
        };
        assert_eq!(name(0), "ok");
        assert_eq!(name(2), "not_found");
        assert_eq!(name(TbStatus::ALL.len() as u32), "unknown");
        assert_eq!(name(u32::MAX), "unknown");
    }
}
