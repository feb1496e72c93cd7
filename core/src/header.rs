//! Temporal headers: the key → payload map a workflow start (and
//! signal-with-start), signal, query or update carries to the worker's
//! interceptors. The official SDKs' tracing interceptors read the trace
//! context from the `_tracer-data` key: a `json/plain` payload of the W3C
//! carrier map (`{"traceparent": ..., "tracestate": ...}`), so a worker
//! running temporalio's or the Go SDK's OpenTelemetry interceptor continues
//! the caller's trace.
//!
//! Requests carry a header as `header` (JSON values, one `json/plain`
//! payload each) and/or `trace_context` (the W3C fields, checked here and
//! written under `_tracer-data`). Headers never go through the payload
//! codec, as in the SDKs.

use crate::error::{Error, Result};
use crate::payload::encode_value;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use temporalio_protos::temporal::api::common::v1::Header;

/// The header key the SDKs' OpenTelemetry interceptors use.
pub const TRACER_HEADER: &str = "_tracer-data";

/// A W3C trace context to continue on the worker
/// (<https://www.w3.org/TR/trace-context/>).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TraceContext {
    /// `version-traceid-parentid-flags`, e.g.
    /// `00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01`: the
    /// caller's span, which the worker's spans take as their parent.
    pub traceparent: String,
    /// Vendor-specific trace state, passed on as given (empty is absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracestate: Option<String>,
    /// W3C baggage, passed on as given (empty is absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baggage: Option<String>,
}

impl TraceContext {
    /// A context for `traceparent` alone.
    pub fn new(traceparent: impl Into<String>) -> Self {
        TraceContext {
            traceparent: traceparent.into(),
            ..Default::default()
        }
    }

    fn check(&self) -> Result<()> {
        check_traceparent(&self.traceparent)?;
        for (name, value) in [("tracestate", &self.tracestate), ("baggage", &self.baggage)] {
            if let Some(value) = value {
                // Both are HTTP header values: printable ASCII, bounded.
                if value.len() > 8192 || !value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
                    return Err(Error::invalid_argument(format!(
                        "trace_context.{name} must be printable ASCII of at most 8192 bytes"
                    )));
                }
            }
        }
        Ok(())
    }

    fn carrier(&self) -> Value {
        let mut carrier = Map::new();
        carrier.insert("traceparent".into(), self.traceparent.clone().into());
        // Empty is absent, as for the HTTP headers these mirror.
        for (name, value) in [("tracestate", &self.tracestate), ("baggage", &self.baggage)] {
            if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
                carrier.insert(name.into(), value.into());
            }
        }
        Value::Object(carrier)
    }
}

/// Checks a W3C `traceparent`: version `00` exactly as the specification
/// writes it; a later version by its first four fields (as the
/// specification asks of a parser that knows only `00`).
fn check_traceparent(value: &str) -> Result<()> {
    let bad = |why: &str| {
        Error::invalid_argument(format!(
            "trace_context.traceparent is not a W3C traceparent \
             (version-traceid-parentid-flags, lowercase hex): {why}"
        ))
    };
    let hex = |s: &str| {
        s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    let fields: Vec<&str> = value.split('-').collect();
    let [version, trace_id, parent_id, flags] = match fields.as_slice() {
        [v, t, p, f] => [*v, *t, *p, *f],
        [v, t, p, f, ..] if *v != "00" => [*v, *t, *p, &f[..f.len().min(2)]],
        _ => return Err(bad("it needs four fields separated by '-'")),
    };
    if version.len() != 2 || !hex(version) || version == "ff" {
        return Err(bad("the version must be two hex digits other than ff"));
    }
    if trace_id.len() != 32 || !hex(trace_id) || trace_id.bytes().all(|b| b == b'0') {
        return Err(bad("the trace ID must be 32 hex digits, not all zero"));
    }
    if parent_id.len() != 16 || !hex(parent_id) || parent_id.bytes().all(|b| b == b'0') {
        return Err(bad("the parent ID must be 16 hex digits, not all zero"));
    }
    if flags.len() != 2 || !hex(flags) {
        return Err(bad("the flags must be two hex digits"));
    }
    Ok(())
}

/// The wire header of a request's `header` and `trace_context` fields;
/// `None` when both are absent or empty.
pub(crate) fn to_header(
    header: Option<&Map<String, Value>>,
    trace_context: Option<&TraceContext>,
) -> Result<Option<Header>> {
    let mut fields = std::collections::HashMap::new();
    for (key, value) in header.into_iter().flatten() {
        if key.is_empty() {
            return Err(Error::invalid_argument("header keys must not be empty"));
        }
        fields.insert(key.clone(), encode_value(value));
    }
    if let Some(context) = trace_context {
        context.check()?;
        if fields.contains_key(TRACER_HEADER) {
            return Err(Error::invalid_argument(format!(
                "give the trace context as trace_context or as header[\"{TRACER_HEADER}\"], not both"
            )));
        }
        fields.insert(TRACER_HEADER.to_owned(), encode_value(&context.carrier()));
    }
    Ok((!fields.is_empty()).then_some(Header { fields }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const PARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    #[test]
    fn a_trace_context_becomes_the_tracer_header_as_the_sdks_write_it() {
        let context = TraceContext {
            tracestate: Some("congo=t61rcWkgMzE".into()),
            ..TraceContext::new(PARENT)
        };
        let header = to_header(None, Some(&context)).unwrap().unwrap();
        let payload = &header.fields[TRACER_HEADER];
        assert_eq!(payload.metadata["encoding"], b"json/plain");
        let carrier: Value = serde_json::from_slice(&payload.data).unwrap();
        assert_eq!(
            carrier,
            json!({"traceparent": PARENT, "tracestate": "congo=t61rcWkgMzE"})
        );
    }

    #[test]
    fn header_values_are_json_payloads_and_nothing_gives_no_header() {
        let map = json!({"tenant": "acme", "n": 3})
            .as_object()
            .cloned()
            .unwrap();
        let header = to_header(Some(&map), None).unwrap().unwrap();
        assert_eq!(header.fields["tenant"].data, b"\"acme\"");
        assert_eq!(header.fields["n"].data, b"3");
        assert!(to_header(None, None).unwrap().is_none());
        assert!(to_header(Some(&Map::new()), None).unwrap().is_none());
    }

    #[test]
    fn bad_trace_contexts_and_headers_are_named() {
        for bad in [
            "",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
            "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
            "00-00000000000000000000000000000000-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
            "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
            "00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01",
        ] {
            let error = to_header(None, Some(&TraceContext::new(bad))).unwrap_err();
            assert!(
                error.message().contains("trace_context.traceparent"),
                "{bad}: {error}"
            );
        }
        // A later version may carry more fields.
        let later = format!("01{}-more", &PARENT[2..]);
        assert!(to_header(None, Some(&TraceContext::new(later))).is_ok());

        let state = TraceContext {
            tracestate: Some("a=\n".into()),
            ..TraceContext::new(PARENT)
        };
        assert!(to_header(None, Some(&state))
            .unwrap_err()
            .message()
            .contains("trace_context.tracestate"));
        let both = json!({TRACER_HEADER: {}}).as_object().cloned().unwrap();
        assert!(to_header(Some(&both), Some(&TraceContext::new(PARENT)))
            .unwrap_err()
            .message()
            .contains("not both"));
        let empty_key = json!({"": 1}).as_object().cloned().unwrap();
        assert!(to_header(Some(&empty_key), None).is_err());
    }
}
