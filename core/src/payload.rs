//! Payload conversion between JSON values and Temporal `Payload`s, and the
//! JSON form of failures. This is the default data converter every Temporal
//! SDK understands: one `json/plain` payload per value. Payloads in any other
//! encoding are never dropped or guessed at: they come back as a tagged object
//! carrying their metadata and base64 data, and raw mode passes all payloads
//! through untouched for callers that run their own converter or codec.

use crate::error::{Error, Result};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use temporalio_protos::temporal::api::common::v1::{Payload, Payloads};
use temporalio_protos::temporal::api::failure::v1::{failure::FailureInfo, Failure};

/// Key of the tagged object that stands for a payload we could not decode as JSON.
pub const TAGGED_PAYLOAD_KEY: &str = "$temporal_payload";

const ENCODING_KEY: &str = "encoding";
const JSON_PLAIN: &[u8] = b"json/plain";
const BINARY_NULL: &[u8] = b"binary/null";

/// A payload in its raw, lossless JSON form: metadata values and data are base64
/// (the same shape as the protobuf JSON mapping of `temporal.api.common.v1.Payload`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPayload {
    /// Metadata entries, values base64-encoded.
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    /// The payload bytes, base64-encoded.
    #[serde(default)]
    pub data: String,
}

impl RawPayload {
    /// Lossless conversion from a protobuf payload.
    pub fn from_proto(payload: &Payload) -> Self {
        RawPayload {
            metadata: payload
                .metadata
                .iter()
                .map(|(k, v)| (k.clone(), BASE64.encode(v)))
                .collect(),
            data: BASE64.encode(&payload.data),
        }
    }

    /// Conversion to a protobuf payload; fails on invalid base64, naming the field.
    pub fn to_proto(&self) -> Result<Payload> {
        let mut metadata = HashMap::with_capacity(self.metadata.len());
        for (key, value) in &self.metadata {
            let bytes = BASE64.decode(value).map_err(|e| {
                Error::invalid_argument(format!(
                    "payload metadata {key:?} is not valid base64: {e}"
                ))
            })?;
            metadata.insert(key.clone(), bytes);
        }
        let data = BASE64.decode(&self.data).map_err(|e| {
            Error::invalid_argument(format!("payload data is not valid base64: {e}"))
        })?;
        Ok(Payload {
            metadata,
            data,
            ..Default::default()
        })
    }
}

/// Encodes one JSON value as a `json/plain` payload.
pub fn encode_value(value: &Value) -> Payload {
    Payload {
        metadata: HashMap::from([(ENCODING_KEY.to_owned(), JSON_PLAIN.to_vec())]),
        // Serializing a `Value` cannot fail: its map keys are always strings.
        data: serde_json::to_vec(value).unwrap_or_default(),
        ..Default::default()
    }
}

/// Encodes a list of JSON values, one payload each.
pub fn encode_values(values: &[Value]) -> Option<Payloads> {
    if values.is_empty() {
        return None;
    }
    Some(Payloads {
        payloads: values.iter().map(encode_value).collect(),
    })
}

/// Encodes raw payloads given by the caller.
pub fn encode_raw(values: &[RawPayload]) -> Result<Option<Payloads>> {
    if values.is_empty() {
        return Ok(None);
    }
    let payloads = values
        .iter()
        .map(RawPayload::to_proto)
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(Payloads { payloads }))
}

/// Encodes the arguments of a call given either as JSON values (`args`) or as
/// raw payloads (`raw_args`), never both.
pub(crate) fn encode_args(
    args: &[Value],
    raw_args: Option<&[RawPayload]>,
) -> Result<Option<Payloads>> {
    match raw_args {
        Some(_) if !args.is_empty() => Err(Error::invalid_argument(
            "give either args or raw_args, not both",
        )
        .with_detail("field", "raw_args")),
        Some(raw) => encode_raw(raw),
        None => Ok(encode_values(args)),
    }
}

/// Decodes one payload by its `encoding` metadata.
pub fn decode_payload(payload: &Payload) -> Value {
    let encoding = payload.metadata.get(ENCODING_KEY).map(Vec::as_slice);
    match encoding {
        Some(JSON_PLAIN) => match serde_json::from_slice(&payload.data) {
            Ok(value) => value,
            // Claimed JSON but is not: hand it over untouched rather than guess.
            Err(_) => tagged(payload),
        },
        Some(BINARY_NULL) => Value::Null,
        _ => tagged(payload),
    }
}

fn tagged(payload: &Payload) -> Value {
    let encoding = payload
        .metadata
        .get(ENCODING_KEY)
        .map(|e| String::from_utf8_lossy(e).into_owned());
    let raw = RawPayload::from_proto(payload);
    json!({ TAGGED_PAYLOAD_KEY: {
        "encoding": encoding,
        "metadata": raw.metadata,
        "data": raw.data,
    }})
}

/// Decodes every payload to a JSON value.
pub fn decode_payloads(payloads: Option<&Payloads>) -> Vec<Value> {
    payloads
        .map(|p| p.payloads.iter().map(decode_payload).collect())
        .unwrap_or_default()
}

/// Raw JSON form of every payload.
pub fn raw_payloads(payloads: Option<&Payloads>) -> Vec<RawPayload> {
    payloads
        .map(|p| p.payloads.iter().map(RawPayload::from_proto).collect())
        .unwrap_or_default()
}

/// Decodes payloads as decoded values or raw payloads, per the caller's mode.
pub fn payloads_to_json(payloads: Option<&Payloads>, raw: bool) -> Value {
    if raw {
        serde_json::to_value(raw_payloads(payloads)).unwrap_or(Value::Null)
    } else {
        Value::Array(decode_payloads(payloads))
    }
}

/// A map of payloads (memo, search attributes) as a JSON object.
pub fn payload_map_to_json(fields: &HashMap<String, Payload>, raw: bool) -> Value {
    let sorted: BTreeMap<&String, &Payload> = fields.iter().collect();
    let mut out = Map::new();
    for (key, payload) in sorted {
        let value = if raw {
            serde_json::to_value(RawPayload::from_proto(payload)).unwrap_or(Value::Null)
        } else {
            decode_payload(payload)
        };
        out.insert(key.clone(), value);
    }
    Value::Object(out)
}

/// A JSON object's values as `json/plain` payloads (memo, search attributes).
pub fn json_map_to_payloads(map: &Map<String, Value>) -> HashMap<String, Payload> {
    map.iter()
        .map(|(k, v)| (k.clone(), encode_value(v)))
        .collect()
}

/// The JSON form of a failure and its whole cause chain.
pub fn failure_to_json(failure: &Failure, raw: bool) -> Value {
    let mut out = Map::new();
    let mut message = failure.message.clone();
    let mut stack_trace = failure.stack_trace.clone();
    // SDKs with failure encoding put message and stack trace in a payload.
    if let Some(encoded) = &failure.encoded_attributes {
        if let Value::Object(attrs) = decode_payload(encoded) {
            if let Some(Value::String(m)) = attrs.get("message") {
                message = m.clone();
            }
            if let Some(Value::String(s)) = attrs.get("stack_trace") {
                stack_trace = s.clone();
            }
        }
    }
    out.insert("message".into(), message.into());
    out.insert("source".into(), failure.source.clone().into());
    out.insert("stack_trace".into(), stack_trace.into());
    let kind = match &failure.failure_info {
        Some(FailureInfo::ApplicationFailureInfo(info)) => {
            out.insert("type".into(), info.r#type.clone().into());
            out.insert("non_retryable".into(), info.non_retryable.into());
            out.insert(
                "details".into(),
                payloads_to_json(info.details.as_ref(), raw),
            );
            "application"
        }
        Some(FailureInfo::TimeoutFailureInfo(info)) => {
            out.insert(
                "timeout_type".into(),
                enum_name_timeout(info.timeout_type).into(),
            );
            out.insert(
                "last_heartbeat_details".into(),
                payloads_to_json(info.last_heartbeat_details.as_ref(), raw),
            );
            "timeout"
        }
        Some(FailureInfo::CanceledFailureInfo(info)) => {
            out.insert(
                "details".into(),
                payloads_to_json(info.details.as_ref(), raw),
            );
            out.insert("identity".into(), info.identity.clone().into());
            "canceled"
        }
        Some(FailureInfo::TerminatedFailureInfo(info)) => {
            out.insert("identity".into(), info.identity.clone().into());
            "terminated"
        }
        Some(FailureInfo::ServerFailureInfo(info)) => {
            out.insert("non_retryable".into(), info.non_retryable.into());
            "server"
        }
        Some(FailureInfo::ResetWorkflowFailureInfo(info)) => {
            out.insert(
                "last_heartbeat_details".into(),
                payloads_to_json(info.last_heartbeat_details.as_ref(), raw),
            );
            "reset_workflow"
        }
        Some(FailureInfo::ActivityFailureInfo(info)) => {
            out.insert("activity_id".into(), info.activity_id.clone().into());
            out.insert(
                "activity_type".into(),
                info.activity_type
                    .as_ref()
                    .map(|t| t.name.clone())
                    .unwrap_or_default()
                    .into(),
            );
            out.insert("identity".into(), info.identity.clone().into());
            out.insert(
                "retry_state".into(),
                retry_state_name(info.retry_state).into(),
            );
            "activity"
        }
        Some(FailureInfo::ChildWorkflowExecutionFailureInfo(info)) => {
            if let Some(exec) = &info.workflow_execution {
                out.insert("workflow_id".into(), exec.workflow_id.clone().into());
                out.insert("run_id".into(), exec.run_id.clone().into());
            }
            out.insert(
                "workflow_type".into(),
                info.workflow_type
                    .as_ref()
                    .map(|t| t.name.clone())
                    .unwrap_or_default()
                    .into(),
            );
            out.insert(
                "retry_state".into(),
                retry_state_name(info.retry_state).into(),
            );
            "child_workflow"
        }
        Some(FailureInfo::NexusOperationExecutionFailureInfo(_)) => "nexus_operation",
        Some(FailureInfo::NexusHandlerFailureInfo(_)) => "nexus_handler",
        None => "unknown",
    };
    out.insert("kind".into(), kind.into());
    out.insert(
        "cause".into(),
        failure
            .cause
            .as_deref()
            .map(|c| failure_to_json(c, raw))
            .unwrap_or(Value::Null),
    );
    Value::Object(out)
}

/// One value for one or several payloads: the value itself, `null` for none,
/// an array for several. The same rule as workflow results.
pub(crate) fn single_value(payloads: Option<&Payloads>) -> Value {
    let mut values = decode_payloads(payloads);
    match values.len() {
        0 => Value::Null,
        1 => values.remove(0),
        _ => Value::Array(values),
    }
}

pub(crate) fn workflow_status_name(status: i32) -> String {
    temporalio_protos::temporal::api::enums::v1::WorkflowExecutionStatus::try_from(status)
        .map(|s| strip_enum_prefix(s.as_str_name(), "WORKFLOW_EXECUTION_STATUS_"))
        .unwrap_or_else(|_| format!("unknown({status})"))
}

/// The proto enum name without its prefix, lower-cased (`RETRY_STATE_TIMEOUT` → `timeout`).
pub(crate) fn retry_state_name(value: i32) -> String {
    use temporalio_protos::temporal::api::enums::v1::RetryState;
    RetryState::try_from(value)
        .map(|s| strip_enum_prefix(s.as_str_name(), "RETRY_STATE_"))
        .unwrap_or_else(|_| format!("unknown({value})"))
}

fn enum_name_timeout(value: i32) -> String {
    use temporalio_protos::temporal::api::enums::v1::TimeoutType;
    TimeoutType::try_from(value)
        .map(|s| strip_enum_prefix(s.as_str_name(), "TIMEOUT_TYPE_"))
        .unwrap_or_else(|_| format!("unknown({value})"))
}

/// `WORKFLOW_EXECUTION_STATUS_RUNNING` with prefix `WORKFLOW_EXECUTION_STATUS_` → `running`.
pub(crate) fn strip_enum_prefix(name: &str, prefix: &str) -> String {
    name.strip_prefix(prefix)
        .unwrap_or(name)
        .to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_roundtrip() {
        let value = json!({"a": [1, 2.5, "ü", null, true]});
        assert_eq!(decode_payload(&encode_value(&value)), value);
    }

    #[test]
    fn numbers_cross_exactly() {
        // Beyond 64 bits, long decimals, exponents: the payload carries the
        // exact text the caller wrote, and decoding gives it back unchanged.
        let text = r#"[123456789012345678901234567890,-98765432109876543210,0.1000000000000000055511151231257827,1.50,2e+400]"#;
        let value: Value = serde_json::from_str(text).unwrap();
        let payload = encode_value(&value);
        assert_eq!(std::str::from_utf8(&payload.data).unwrap(), text);
        assert_eq!(decode_payload(&payload).to_string(), text);
    }

    #[test]
    fn binary_null_is_null() {
        let payload = Payload {
            metadata: HashMap::from([(ENCODING_KEY.to_owned(), BINARY_NULL.to_vec())]),
            ..Default::default()
        };
        assert_eq!(decode_payload(&payload), Value::Null);
    }

    #[test]
    fn unknown_encoding_is_tagged_not_dropped() {
        let payload = Payload {
            metadata: HashMap::from([(ENCODING_KEY.to_owned(), b"binary/plain".to_vec())]),
            data: vec![0, 1, 2, 255],
            ..Default::default()
        };
        let value = decode_payload(&payload);
        let tagged = &value[TAGGED_PAYLOAD_KEY];
        assert_eq!(tagged["encoding"], "binary/plain");
        assert_eq!(
            BASE64.decode(tagged["data"].as_str().unwrap()).unwrap(),
            vec![0, 1, 2, 255]
        );
    }

    #[test]
    fn raw_roundtrip_and_bad_base64() {
        let payload = encode_value(&json!("x"));
        let raw = RawPayload::from_proto(&payload);
        assert_eq!(raw.to_proto().unwrap().data, payload.data);
        let bad = RawPayload {
            metadata: BTreeMap::new(),
            data: "!!!".into(),
        };
        assert!(bad.to_proto().unwrap_err().message().contains("base64"));
    }
}
