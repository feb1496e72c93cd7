//! gRPC statuses as errors: the kind a code maps to, the server's message,
//! and the details a caller needs that the server sends as
//! `google.rpc.Status` details (the run holding a workflow ID, a query's
//! failure).

use crate::error::{Error, ErrorKind};
use crate::payload::failure_to_json;
use prost::Message;
use temporalio_protos::temporal::api::errordetails::v1::{
    QueryFailedFailure, WorkflowExecutionAlreadyStartedFailure,
};

/// The textual name of a gRPC code, as the gRPC spec spells it.
pub(crate) fn grpc_code_name(code: tonic::Code) -> &'static str {
    use tonic::Code::*;
    match code {
        Ok => "OK",
        Cancelled => "CANCELLED",
        Unknown => "UNKNOWN",
        InvalidArgument => "INVALID_ARGUMENT",
        DeadlineExceeded => "DEADLINE_EXCEEDED",
        NotFound => "NOT_FOUND",
        AlreadyExists => "ALREADY_EXISTS",
        PermissionDenied => "PERMISSION_DENIED",
        ResourceExhausted => "RESOURCE_EXHAUSTED",
        FailedPrecondition => "FAILED_PRECONDITION",
        Aborted => "ABORTED",
        OutOfRange => "OUT_OF_RANGE",
        Unimplemented => "UNIMPLEMENTED",
        Internal => "INTERNAL",
        Unavailable => "UNAVAILABLE",
        DataLoss => "DATA_LOSS",
        Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Maps a gRPC status to an error. The server's message is kept (it names the
/// entity at fault); secrets never reach it because we never put any in
/// request messages, only in metadata.
pub(crate) fn from_status(status: &tonic::Status) -> Error {
    use tonic::Code;
    let mut kind = match status.code() {
        Code::InvalidArgument => ErrorKind::InvalidArgument,
        Code::NotFound => ErrorKind::NotFound,
        Code::AlreadyExists => ErrorKind::AlreadyStarted,
        Code::Unavailable => ErrorKind::Unavailable,
        Code::DeadlineExceeded => ErrorKind::DeadlineExceeded,
        Code::PermissionDenied | Code::Unauthenticated => ErrorKind::PermissionDenied,
        _ => ErrorKind::Rpc,
    };
    let mut message = status.message().to_owned();
    if message.is_empty() {
        message = format!("gRPC status {}", grpc_code_name(status.code()));
    }
    let details = status_details(status.details());
    let query_failed = details
        .iter()
        .find(|any| any.type_url.ends_with("QueryFailedFailure"));
    if query_failed.is_some() {
        // A query the worker failed or had no handler for. The server sends
        // it with INVALID_ARGUMENT, which must not read as a malformed request.
        kind = ErrorKind::QueryFailed;
    }
    let mut error =
        Error::new(kind, message).with_detail("grpc_code", grpc_code_name(status.code()));
    if let Some(started) = decode_detail::<WorkflowExecutionAlreadyStartedFailure>(
        &details,
        "WorkflowExecutionAlreadyStartedFailure",
    ) {
        error = error.with_detail("run_id", started.run_id);
    }
    if let Some(failure) = query_failed
        .and_then(|_| decode_detail::<QueryFailedFailure>(&details, "QueryFailedFailure"))
        .and_then(|q| q.failure)
    {
        error = error.with_detail("failure", failure_to_json(&failure, false));
    }
    error
}

/// The `google.rpc.Status` details the server attaches to an error status.
fn status_details(status_details: &[u8]) -> Vec<prost_wkt_types::Any> {
    if status_details.is_empty() {
        return Vec::new();
    }
    temporalio_protos::google::rpc::Status::decode(status_details)
        .map(|s| s.details)
        .unwrap_or_default()
}

/// Decodes the first detail of one type (e.g. the run ID of the workflow that
/// holds an ID, in `WorkflowExecutionAlreadyStartedFailure`).
fn decode_detail<T: Message + Default>(details: &[prost_wkt_types::Any], name: &str) -> Option<T> {
    details
        .iter()
        .find(|any| any.type_url.ends_with(name))
        .and_then(|any| T::decode(any.value.as_slice()).ok())
}
