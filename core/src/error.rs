//! The one error type of the library. Every failure, whether it came from the
//! server, the network, the caller's input or a workflow's outcome, becomes an
//! [`Error`] with a stable [`ErrorKind`], a human message and a JSON object of
//! details. Bindings pass `to_json()` through unchanged, so C, Python and Rust
//! callers see exactly the same error objects.

use schemars::JsonSchema;
use serde_json::{json, Map, Value};
use std::fmt;

/// Stable error categories. The string forms (see [`ErrorKind::as_str`]) are
/// part of the JSON contract: they are never renamed or reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, JsonSchema)]
#[schemars(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The request was malformed: bad JSON, unknown field, wrong type, bad value.
    InvalidArgument,
    /// The workflow (or namespace, or other entity) does not exist.
    NotFound,
    /// A workflow with this ID is already running (details carry its `run_id`).
    AlreadyStarted,
    /// The workflow closed as failed (details carry the failure chain).
    WorkflowFailed,
    /// The workflow closed as canceled (details carry the cancellation details).
    WorkflowCanceled,
    /// The workflow was terminated (details carry reason and details).
    WorkflowTerminated,
    /// The workflow timed out.
    WorkflowTimedOut,
    /// The run continued as new and the caller asked not to follow runs.
    WorkflowContinuedAsNew,
    /// The server could not be reached, or stayed unavailable past the retries.
    Unavailable,
    /// The call's deadline passed before it finished.
    DeadlineExceeded,
    /// The call was abandoned by the caller (token, task cancel, client closed).
    Cancelled,
    /// The server refused the call for lack of permission or credentials.
    PermissionDenied,
    /// Any other gRPC failure; details carry the gRPC code.
    Rpc,
    /// A bug inside the library (e.g. a caught panic). Please report it.
    Internal,
    /// A query reached the workflow but failed there: the worker has no
    /// handler for the query type, or the handler raised. Details carry the
    /// `failure` chain when the worker sent one.
    QueryFailed,
    /// A query was not run because of its reject condition (`not_open`,
    /// `not_completed_cleanly`); details carry the workflow's `status`.
    QueryRejected,
    /// An update was rejected (by its validator, or because the worker has no
    /// handler for it) or its handler failed. Details carry the `failure`
    /// chain and the `update_id`.
    UpdateFailed,
    /// The payload codec (in process or a codec server) failed, or answered
    /// with the wrong number of payloads. Details carry the `direction`
    /// (`encode` / `decode`), the `call` (RPC) and the number of `payloads`;
    /// nothing was sent when encoding failed.
    Codec,
}

impl ErrorKind {
    /// All kinds, for documentation and exhaustive binding tables.
    pub const ALL: &'static [ErrorKind] = &[
        ErrorKind::InvalidArgument,
        ErrorKind::NotFound,
        ErrorKind::AlreadyStarted,
        ErrorKind::WorkflowFailed,
        ErrorKind::WorkflowCanceled,
        ErrorKind::WorkflowTerminated,
        ErrorKind::WorkflowTimedOut,
        ErrorKind::WorkflowContinuedAsNew,
        ErrorKind::Unavailable,
        ErrorKind::DeadlineExceeded,
        ErrorKind::Cancelled,
        ErrorKind::PermissionDenied,
        ErrorKind::Rpc,
        ErrorKind::Internal,
        ErrorKind::QueryFailed,
        ErrorKind::QueryRejected,
        ErrorKind::UpdateFailed,
        ErrorKind::Codec,
    ];

    /// The stable string used in the JSON `kind` field.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::NotFound => "not_found",
            ErrorKind::AlreadyStarted => "already_started",
            ErrorKind::WorkflowFailed => "workflow_failed",
            ErrorKind::WorkflowCanceled => "workflow_canceled",
            ErrorKind::WorkflowTerminated => "workflow_terminated",
            ErrorKind::WorkflowTimedOut => "workflow_timed_out",
            ErrorKind::WorkflowContinuedAsNew => "workflow_continued_as_new",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::DeadlineExceeded => "deadline_exceeded",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::PermissionDenied => "permission_denied",
            ErrorKind::Rpc => "rpc",
            ErrorKind::Internal => "internal",
            ErrorKind::QueryFailed => "query_failed",
            ErrorKind::QueryRejected => "query_rejected",
            ErrorKind::UpdateFailed => "update_failed",
            ErrorKind::Codec => "codec",
        }
    }

    /// Parses the string form back (used by bindings and tests).
    pub fn from_str_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.iter().copied().find(|k| k.as_str() == name)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An error with a stable kind, a message and structured details.
#[derive(Debug, Clone, PartialEq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    details: Map<String, Value>,
}

/// Shorthand used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Longest message an error carries. A server may echo a request's values
/// (a 10 MB workflow ID, say) in its own message; that is cut here, with a
/// note of how much was left out.
const MAX_MESSAGE_LEN: usize = 8 * 1024;

/// Longest user value quoted in a message (IDs, names): enough to recognise.
const MAX_QUOTED_CHARS: usize = 200;

/// A user value in a message: quoted as `{:?}` would, cut to a bounded
/// prefix and marked when it was longer.
pub(crate) struct Quoted<'a>(pub(crate) &'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.char_indices().nth(MAX_QUOTED_CHARS) {
            None => write!(f, "{:?}", self.0),
            Some((end, _)) => write!(f, "{:?}… ({} bytes in all)", &self.0[..end], self.0.len()),
        }
    }
}

fn bounded(mut message: String) -> String {
    if message.len() > MAX_MESSAGE_LEN {
        let mut end = MAX_MESSAGE_LEN;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        let cut = message.len() - end;
        message.truncate(end);
        message.push_str(&format!("… ({cut} more bytes not shown)"));
    }
    message
}

impl Error {
    /// A new error without details.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: bounded(message.into()),
            details: Map::new(),
        }
    }

    /// Adds one detail field (builder style).
    pub fn with_detail(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.details.insert(key.to_owned(), value.into());
        self
    }

    /// Shorthand for an `invalid_argument` error.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// Shorthand for an `internal` error.
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }

    /// The error's kind.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Structured details (gRPC code, workflow/run IDs, failure chain, ...).
    pub fn details(&self) -> &Map<String, Value> {
        &self.details
    }

    /// One detail field.
    pub fn detail(&self, key: &str) -> Option<&Value> {
        self.details.get(key)
    }

    /// The JSON object form: `{"kind": ..., "message": ..., "details": {...}}`.
    pub fn to_json_value(&self) -> Value {
        json!({
            "kind": self.kind.as_str(),
            "message": self.message,
            "details": Value::Object(self.details.clone()),
        })
    }

    /// [`Error::to_json_value`] as text.
    pub fn to_json(&self) -> String {
        self.to_json_value().to_string()
    }

    /// Prefixes the message with context (e.g. the workflow ID at fault).
    pub(crate) fn context(mut self, prefix: impl fmt::Display) -> Self {
        self.message = bounded(format!("{prefix}: {}", self.message));
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for Error {}

/// Renders an error and its sources on one line (transport errors nest deeply).
pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let part = s.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_quote_bounded_prefixes() {
        assert_eq!(Quoted("wf-1").to_string(), "\"wf-1\"");
        let long = "é".repeat(1000);
        let shown = Quoted(&long).to_string();
        assert!(shown.ends_with("… (2000 bytes in all)"), "{shown}");
        assert_eq!(shown.matches('é').count(), 200);
        let error = Error::new(ErrorKind::Rpc, "x".repeat(100_000)).context("workflow");
        assert!(error.message().len() < MAX_MESSAGE_LEN + 100);
        assert!(error.message().ends_with("more bytes not shown)"));
    }
}
