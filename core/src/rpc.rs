//! Any unary RPC of the Temporal API by name — the workflow, operator,
//! cloud, test and health services — driven by the descriptor set of the
//! pinned temporalio-protos, with no code per method. Requests and responses
//! are the canonical protobuf JSON mapping (lowerCamel or original field
//! names on input, enums by name, 64-bit integers as strings on output), or
//! protobuf bytes as they are (raw mode, for SDK authors with their own
//! protos). Calls get the client's deadline, cancellation, metadata and
//! retry rules; a method is retried only where repeating it is safe (see
//! [`Repeat`]).

use crate::client::{CallOptions, CallScope, Client, RpcKind, LONG_POLL_TIMEOUT};
use crate::contract::{call_options, parse_request_value, CallFields};
use crate::descriptors::descriptor_pool;
use crate::error::{Error, Quoted, Result};
use crate::fields::new_request_id;
use crate::status::from_status;
use crate::transport::frame_bytes;
use base64::Engine;
use bytes::Bytes;
use prost::Message;
use prost_reflect::{
    DeserializeOptions, DynamicMessage, Kind, MessageDescriptor, MethodDescriptor,
    SerializeOptions, Value as ProtoValue,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::OnceLock;
use tonic::metadata::MetadataMap;

/// The services `call_rpc` reaches: the short name callers use, and the
/// service's full protobuf name (also accepted).
pub const RPC_SERVICES: &[(&str, &str)] = &[
    (
        "workflow",
        "temporal.api.workflowservice.v1.WorkflowService",
    ),
    (
        "operator",
        "temporal.api.operatorservice.v1.OperatorService",
    ),
    ("cloud", "temporal.api.cloud.cloudservice.v1.CloudService"),
    ("test", "temporal.api.testservice.v1.TestService"),
    ("health", "grpc.health.v1.Health"),
];

/// Whether a failed attempt of a method may be made again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Repeat {
    /// The method only reads (`Get…`, `Describe…`, `List…`, `Count…`,
    /// `Scan…`, `QueryWorkflow`, the health check): retried on transient
    /// failures like every other call.
    ReadOnly,
    /// The method changes state, and its request carries a `request_id` the
    /// server deduplicates by: retried (one is generated when the JSON
    /// request has none; a raw request is retried only when it has one).
    RequestId,
    /// Anything else: not repeated, unless its request never left.
    Never,
}

/// One method `call_rpc` can call.
#[derive(Debug, Clone, Serialize)]
pub struct RpcMethod {
    /// The service's short name (`"workflow"`).
    pub service: &'static str,
    /// The method's name (`"DescribeTaskQueue"`).
    pub method: String,
    /// Full name of its request message.
    pub request_type: String,
    /// Full name of its response message.
    pub response_type: String,
    /// Whether a failed attempt is made again.
    pub repeat: Repeat,
    /// A long poll: each attempt may take as long as the server holds it.
    pub long_poll: bool,
    #[serde(skip)]
    path: String,
    #[serde(skip)]
    descriptor: MethodDescriptor,
}

/// Request of `call_rpc`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CallRpcRequest {
    /// `"workflow"`, `"operator"`, `"cloud"`, `"test"` or `"health"` (or the
    /// service's full name).
    pub service: String,
    /// The method, as in the service definition (`"DescribeTaskQueue"`);
    /// `snake_case` is accepted too.
    pub method: String,
    /// The request message in the protobuf JSON mapping (an empty message
    /// when absent). A `namespace` or `identity` field left empty gets the
    /// client's (except for `RegisterNamespace` and `DeleteNamespace`).
    #[serde(default)]
    pub request: Option<Value>,
    /// Raw mode: the request message's protobuf bytes, base64-encoded
    /// (instead of `request`). The response then comes as `response_bytes`.
    #[serde(default)]
    pub request_bytes: Option<String>,
    /// gRPC metadata for this call only, over the client's own.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Run the response's payloads through the client's payload codec (in
    /// the JSON mode; they are otherwise returned as stored). The request's
    /// payloads are always encoded by it. Raw mode (`request_bytes`) passes
    /// bytes both ways untouched.
    #[serde(default)]
    pub decode: bool,
}

/// Response of `call_rpc`: one of the two fields, as the request chose.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CallRpcResponse {
    /// The response message in the protobuf JSON mapping.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub response: Option<Value>,
    /// Raw mode: the response message's protobuf bytes, base64-encoded.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub response_bytes: Option<String>,
}

/// The options of a raw call besides `call_timeout` and `rpc_timeout`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCallOptions {
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

/// Request of `list_rpc_methods`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListRpcMethodsRequest {
    /// Only this service's methods (short or full name).
    #[serde(default)]
    pub service: Option<String>,
}

/// Response of `list_rpc_methods`.
#[derive(Debug, Clone, Serialize)]
pub struct ListRpcMethodsResponse {
    /// The methods, by service then name.
    pub methods: Vec<RpcMethod>,
}

/// Every unary method of the services `call_rpc` reaches, built once.
pub fn rpc_methods() -> Result<&'static [RpcMethod]> {
    static METHODS: OnceLock<std::result::Result<Vec<RpcMethod>, Error>> = OnceLock::new();
    METHODS
        .get_or_init(build_methods)
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

fn build_methods() -> Result<Vec<RpcMethod>> {
    let pool = descriptor_pool()?;
    let mut methods = Vec::new();
    for (short, full) in RPC_SERVICES {
        let service = pool.get_service_by_name(full).ok_or_else(|| {
            Error::internal(format!("the bundled descriptors have no service {full}"))
        })?;
        let mut these: Vec<RpcMethod> = service
            .methods()
            .filter(|m| !m.is_client_streaming() && !m.is_server_streaming())
            .map(|m| RpcMethod {
                service: short,
                method: m.name().to_owned(),
                request_type: m.input().full_name().to_owned(),
                response_type: m.output().full_name().to_owned(),
                repeat: repeat_of(&m),
                long_poll: is_long_poll(m.name()),
                path: format!("/{full}/{}", m.name()),
                descriptor: m,
            })
            .collect();
        these.sort_by(|a, b| a.method.cmp(&b.method));
        methods.extend(these);
    }
    Ok(methods)
}

fn repeat_of(method: &MethodDescriptor) -> Repeat {
    const READ_ONLY: &[&str] = &["Get", "Describe", "List", "Count", "Scan"];
    let name = method.name();
    let reads = READ_ONLY.iter().any(|p| {
        name.strip_prefix(p)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_uppercase()))
    });
    if reads || name == "QueryWorkflow" || name == "Check" {
        Repeat::ReadOnly
    } else if request_id_field(&method.input()).is_some() {
        Repeat::RequestId
    } else {
        Repeat::Never
    }
}

/// Methods the server may hold until it has something (or its own deadline).
fn is_long_poll(name: &str) -> bool {
    name.starts_with("Poll") || name == "GetWorkflowExecutionHistory"
}

/// The request's top-level `request_id` string field, if it has one.
fn request_id_field(message: &MessageDescriptor) -> Option<prost_reflect::FieldDescriptor> {
    message
        .get_field_by_name("request_id")
        .filter(|f| matches!(f.kind(), Kind::String) && !f.is_list())
}

fn service_name(service: &str) -> Result<&'static str> {
    RPC_SERVICES
        .iter()
        .find(|(short, full)| service == *short || service == *full)
        .map(|(short, _)| *short)
        .ok_or_else(|| {
            let known: Vec<&str> = RPC_SERVICES.iter().map(|(s, _)| *s).collect();
            Error::invalid_argument(format!(
                "unknown service {}; services: {}",
                Quoted(service),
                known.join(", ")
            ))
            .with_detail("field", "service")
        })
}

/// Method names compared loosely: case and underscores ignored, so
/// `describe_task_queue` finds `DescribeTaskQueue`.
fn loose(name: &str) -> String {
    name.chars()
        .filter(|c| *c != '_')
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The method `method` of `service`, or an error naming the closest ones.
pub fn find_rpc_method(service: &str, method: &str) -> Result<&'static RpcMethod> {
    let service = service_name(service)?;
    let methods = rpc_methods()?;
    let of_service = || methods.iter().filter(move |m| m.service == service);
    if let Some(found) = of_service().find(|m| m.method == method) {
        return Ok(found);
    }
    let wanted = loose(method);
    if let Some(found) = of_service().find(|m| loose(&m.method) == wanted) {
        return Ok(found);
    }
    let full = RPC_SERVICES
        .iter()
        .find(|(short, _)| *short == service)
        .map_or(service, |(_, full)| *full);
    let streaming = descriptor_pool()?
        .get_service_by_name(full)
        .and_then(|s| s.methods().find(|m| loose(m.name()) == wanted));
    if let Some(streaming) = streaming {
        return Err(Error::invalid_argument(format!(
            "{service} method {} streams; call_rpc makes unary calls only",
            streaming.name()
        ))
        .with_detail("field", "method"));
    }
    let mut ranked: Vec<(usize, &str)> = of_service()
        .map(|m| (edit_distance(&wanted, &loose(&m.method)), m.method.as_str()))
        .collect();
    ranked.sort();
    let closest: Vec<&str> = ranked.iter().take(3).map(|(_, name)| *name).collect();
    Err(Error::invalid_argument(format!(
        "the {service} service has no method {}; closest: {}",
        Quoted(method),
        closest.join(", ")
    ))
    .with_detail("field", "method")
    .with_detail("closest", closest))
}

/// Levenshtein distance (bytes; method names are ASCII).
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// The request message from its JSON form, naming the path of a bad field.
fn message_from_json(method: &RpcMethod, request: Option<Value>) -> Result<DynamicMessage> {
    let descriptor = method.descriptor.input();
    let request = match request {
        None | Some(Value::Null) => return Ok(DynamicMessage::new(descriptor)),
        Some(Value::Object(fields)) => Value::Object(fields),
        Some(other) => {
            return Err(Error::invalid_argument(format!(
                "call_rpc request: `request` must be an object ({}), not {}",
                method.request_type,
                crate::json_text::json_type_name(&other)
            ))
            .with_detail("field", "request"))
        }
    };
    let mut request = request;
    durations_in_seconds(&descriptor, &mut request);
    let mut track = serde_path_to_error::Track::new();
    let deserializer = serde_path_to_error::Deserializer::new(&request, &mut track);
    DynamicMessage::deserialize_with_options(descriptor, deserializer, &DeserializeOptions::new())
        .map_err(|e| {
            let path = track.path().to_string();
            let field = if path == "." || path.is_empty() {
                "request".to_owned()
            } else {
                format!("request.{path}")
            };
            Error::invalid_argument(format!(
                "{} request: {} field `{field}`: {e}",
                method.method, method.request_type
            ))
            .with_detail("field", field)
        })
}

/// Rewrites every `google.protobuf.Duration` given as a string like `"72h"`
/// or `"1h30m"` (the durations every other request takes) as the seconds
/// the protobuf JSON mapping reads (`"259200s"`); anything else is left for
/// the mapping to accept or refuse.
fn durations_in_seconds(message: &MessageDescriptor, value: &mut Value) {
    let Value::Object(fields) = value else {
        return;
    };
    for (name, value) in fields.iter_mut() {
        let Some(field) = message
            .get_field_by_json_name(name)
            .or_else(|| message.get_field_by_name(name))
        else {
            continue;
        };
        let Kind::Message(inner) = field.kind() else {
            continue;
        };
        let values: Vec<&mut Value> = match value {
            Value::Array(items) if field.is_list() => items.iter_mut().collect(),
            Value::Object(map) if field.is_map() => map.values_mut().collect(),
            other => vec![other],
        };
        let inner = if field.is_map() {
            match inner.map_entry_value_field().kind() {
                Kind::Message(value_type) => value_type,
                _ => continue,
            }
        } else {
            inner
        };
        for value in values {
            if inner.full_name() == "google.protobuf.Duration" {
                if let Some(parsed) = value
                    .as_str()
                    .and_then(|text| crate::duration::parse_duration_str(text).ok())
                {
                    *value = Value::String(format!(
                        "{}.{:09}s",
                        parsed.as_secs(),
                        parsed.subsec_nanos()
                    ));
                }
            } else {
                durations_in_seconds(&inner, value);
            }
        }
    }
}

/// The call's metadata: the client's, with `headers` over it.
fn call_metadata(client: &Client, headers: &BTreeMap<String, String>) -> Result<MetadataMap> {
    let mut metadata = (*client.metadata()).clone();
    for (name, value) in headers {
        crate::client::insert_header(&mut metadata, name, value).map_err(|e| {
            Error::invalid_argument(format!("call_rpc request: {}", e.message()))
                .with_detail("field", "headers")
        })?;
    }
    Ok(metadata)
}

/// `google.rpc.Status` details of a failed call, each in the protobuf JSON
/// mapping (`{"@type": ..., ...}`), added to the error as `grpc_details`.
fn with_decoded_details(status: &tonic::Status, error: Error) -> Error {
    if status.details().is_empty() {
        return error;
    }
    let decoded = descriptor_pool().ok().and_then(|pool| {
        let descriptor = pool.get_message_by_name("google.rpc.Status")?;
        let message = DynamicMessage::decode(descriptor, status.details()).ok()?;
        let json = message
            .serialize_with_options(serde_json::value::Serializer, &SerializeOptions::new())
            .ok()?;
        json.get("details").cloned()
    });
    match decoded {
        Some(details) => error.with_detail("grpc_details", details),
        None => error,
    }
}

impl Client {
    /// One method's call from its request in the protobuf JSON mapping; its
    /// response in that mapping (for operations built on `call_rpc`).
    pub(crate) async fn proto_call(
        &self,
        service: &str,
        method: &str,
        request: Value,
        call: &CallOptions,
    ) -> Result<Value> {
        let request = CallRpcRequest {
            service: service.to_owned(),
            method: method.to_owned(),
            request: Some(request),
            ..CallRpcRequest::default()
        };
        let response = self.call_rpc(&request, call).await?;
        Ok(response
            .response
            .unwrap_or(Value::Object(Default::default())))
    }

    /// Calls any unary method by name (see [`CallRpcRequest`]).
    pub async fn call_rpc(
        &self,
        request: &CallRpcRequest,
        call: &CallOptions,
    ) -> Result<CallRpcResponse> {
        let method = find_rpc_method(&request.service, &request.method)?;
        let metadata = call_metadata(self, &request.headers)?;
        if let Some(encoded) = &request.request_bytes {
            if request.request.is_some() {
                return Err(Error::invalid_argument(
                    "call_rpc request: give `request` or `request_bytes`, not both",
                )
                .with_detail("field", "request_bytes"));
            }
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .map_err(|e| {
                    Error::invalid_argument(format!(
                        "call_rpc request: `request_bytes` is not base64: {e}"
                    ))
                    .with_detail("field", "request_bytes")
                })?;
            let reply = self
                .call_rpc_raw(method, Bytes::from(bytes), &metadata, call)
                .await?;
            return Ok(CallRpcResponse {
                response: None,
                response_bytes: Some(base64::engine::general_purpose::STANDARD.encode(reply)),
            });
        }
        let mut message = message_from_json(method, request.request.clone())?;
        fill_defaults(self, method, &mut message);
        if method.repeat == Repeat::RequestId {
            // Generated once, so every attempt is the same request to the server.
            if let Some(field) = request_id_field(&method.descriptor.input()) {
                let empty = message.get_field(&field).as_str().is_none_or(str::is_empty);
                if empty {
                    message.set_field(&field, ProtoValue::String(new_request_id()));
                }
            }
        }
        let frame = frame_bytes(&message.encode_to_vec()).map_err(|s| from_status(&s))?;
        drop(message);
        let reply = self
            .scoped(call, |scope| {
                self.rpc_frame(
                    method_scope(method, scope).replies_as_stored(!request.decode),
                    rpc_kind(method.repeat),
                    &method.path,
                    frame,
                    Some(&metadata),
                    with_decoded_details,
                )
            })
            .await?;
        let response = DynamicMessage::decode(method.descriptor.output(), reply).map_err(|e| {
            Error::internal(format!(
                "the {} answer does not decode as {}: {e}",
                method.method, method.response_type
            ))
        })?;
        let json = response
            .serialize_with_options(serde_json::value::Serializer, &SerializeOptions::new())
            .map_err(|e| Error::internal(format!("writing the response as JSON: {e}")))?;
        Ok(CallRpcResponse {
            response: Some(json),
            response_bytes: None,
        })
    }

    /// Raw mode of [`Client::call_rpc`]: the request message's protobuf
    /// bytes to `service`'s `method`, and the response message's bytes.
    /// Nothing is re-encoded (not even by a payload codec: the bytes are
    /// the wire's, both ways); the bytes are checked to decode as the
    /// method's request (unknown fields are kept). `headers` are this
    /// call's metadata over the client's.
    pub async fn call_rpc_bytes(
        &self,
        service: &str,
        method: &str,
        request: Bytes,
        headers: &BTreeMap<String, String>,
        call: &CallOptions,
    ) -> Result<Bytes> {
        let method = find_rpc_method(service, method)?;
        let metadata = call_metadata(self, headers)?;
        self.call_rpc_raw(method, request, &metadata, call).await
    }

    /// [`Client::call_rpc_bytes`] with its options as the JSON contract
    /// gives them: `{"headers"?, "call_timeout"?, "rpc_timeout"?}` (null for
    /// none), over `base`'s deadline and token.
    pub async fn call_rpc_bytes_with(
        &self,
        service: &str,
        method: &str,
        request: Bytes,
        options: Value,
        base: &CallOptions,
    ) -> Result<Bytes> {
        let (options, fields) = match options {
            Value::Null => (RawCallOptions::default(), CallFields::default()),
            options => parse_request_value::<RawCallOptions>("call_rpc_bytes options", options)?,
        };
        let call = call_options(base, fields);
        self.call_rpc_bytes(service, method, request, &options.headers, &call)
            .await
    }

    async fn call_rpc_raw(
        &self,
        method: &'static RpcMethod,
        request: Bytes,
        metadata: &MetadataMap,
        call: &CallOptions,
    ) -> Result<Bytes> {
        let decoded =
            DynamicMessage::decode(method.descriptor.input(), request.as_ref()).map_err(|e| {
                Error::invalid_argument(format!(
                    "call_rpc request: the bytes are not a {} message: {e}",
                    method.request_type
                ))
                .with_detail("field", "request_bytes")
            })?;
        let mut repeat = method.repeat;
        if repeat == Repeat::RequestId {
            let has_id = request_id_field(&method.descriptor.input()).is_some_and(|f| {
                decoded
                    .get_field(&f)
                    .as_str()
                    .is_some_and(|s| !s.is_empty())
            });
            if !has_id {
                repeat = Repeat::Never;
            }
        }
        drop(decoded);
        let frame = frame_bytes(&request).map_err(|s| from_status(&s))?;
        self.scoped(call, |scope| {
            self.rpc_frame(
                method_scope(method, scope).without_codec(),
                rpc_kind(repeat),
                &method.path,
                frame,
                Some(metadata),
                with_decoded_details,
            )
        })
        .await
    }
}

/// An error about a field of the message given to [`Client::proto_call`],
/// named as the caller's request names it (without `call_rpc`'s
/// `request.` prefix).
pub(crate) fn own_fields(error: Error) -> Error {
    match error.detail("field").and_then(Value::as_str) {
        Some(field) if field.starts_with("request.") => {
            let ours = field.trim_start_matches("request.").to_owned();
            error.with_detail("field", ours)
        }
        _ => error,
    }
}

/// The request of an operation that is one RPC: its request message in the
/// protobuf JSON mapping (a `namespace` or `identity` left empty gets the
/// client's).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ProtoRequest(pub serde_json::Map<String, Value>);

/// The response of an operation that is one RPC: its response message in the
/// protobuf JSON mapping.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
pub struct ProtoResponse(pub Value);

/// Operations that are one RPC each, named: the request and response are the
/// RPC's own, in the protobuf JSON mapping.
macro_rules! proto_operations {
    ($($(#[doc = $doc:literal])+ $name:ident => $service:literal $method:literal;)*) => {
        impl Client {
            $(
                $(#[doc = $doc])+
                pub async fn $name(
                    &self,
                    request: &ProtoRequest,
                    call: &CallOptions,
                ) -> Result<ProtoResponse> {
                    self.proto_call($service, $method, Value::Object(request.0.clone()), call)
                        .await
                        .map(ProtoResponse)
                        .map_err(own_fields)
                }
            )*
        }
    };
}

proto_operations! {
    /// `DescribeTaskQueue`: the pollers of a task queue (are workers
    /// listening?), its backlog and reachability.
    describe_task_queue => "workflow" "DescribeTaskQueue";
    /// `RegisterNamespace`: creates a namespace.
    register_namespace => "workflow" "RegisterNamespace";
    /// `DescribeNamespace`: a namespace's configuration and state.
    describe_namespace => "workflow" "DescribeNamespace";
    /// `ListNamespaces`: one page of namespaces.
    list_namespaces => "workflow" "ListNamespaces";
    /// `UpdateNamespace`: changes a namespace's configuration.
    update_namespace => "workflow" "UpdateNamespace";
    /// `AddSearchAttributes` (operator service): registers custom search
    /// attributes (`{"searchAttributes": {"Name": "INDEXED_VALUE_TYPE_KEYWORD"}}`).
    add_search_attributes => "operator" "AddSearchAttributes";
    /// `ListSearchAttributes` (operator service): system, custom and storage
    /// search attributes of the namespace.
    list_search_attributes => "operator" "ListSearchAttributes";
    /// `RemoveSearchAttributes` (operator service): unregisters custom search
    /// attributes (`{"searchAttributes": ["Name"]}`).
    remove_search_attributes => "operator" "RemoveSearchAttributes";
}

/// Every method `call_rpc` can call, of one service or all; needs no client.
pub fn list_rpc_methods(request: &ListRpcMethodsRequest) -> Result<ListRpcMethodsResponse> {
    let service = request.service.as_deref().map(service_name).transpose()?;
    let methods = rpc_methods()?
        .iter()
        .filter(|m| service.is_none_or(|s| m.service == s))
        .cloned()
        .collect();
    Ok(ListRpcMethodsResponse { methods })
}

/// The client's namespace where a JSON request has a `namespace` field left
/// empty (not for the methods whose subject is a namespace to create or
/// delete), and its identity likewise.
fn fill_defaults(client: &Client, method: &RpcMethod, message: &mut DynamicMessage) {
    const SUBJECT_IS_A_NAMESPACE: &[&str] = &["RegisterNamespace", "DeleteNamespace"];
    let descriptor = method.descriptor.input();
    let mut fill = |name: &str, value: &str| {
        let Some(field) = descriptor
            .get_field_by_name(name)
            .filter(|f| matches!(f.kind(), Kind::String) && !f.is_list())
        else {
            return;
        };
        if message.get_field(&field).as_str().is_none_or(str::is_empty) {
            message.set_field(&field, ProtoValue::String(value.to_owned()));
        }
    };
    if !SUBJECT_IS_A_NAMESPACE.contains(&method.method.as_str()) {
        fill("namespace", client.namespace());
    }
    fill("identity", client.identity());
}

fn method_scope(method: &RpcMethod, scope: CallScope) -> CallScope {
    if method.long_poll {
        scope.or_rpc_timeout(LONG_POLL_TIMEOUT)
    } else {
        scope
    }
}

fn rpc_kind(repeat: Repeat) -> RpcKind {
    match repeat {
        Repeat::ReadOnly | Repeat::RequestId => RpcKind::Ordinary,
        Repeat::Never => RpcKind::Once,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_service_loads_with_its_methods() {
        let methods = rpc_methods().unwrap();
        for (short, _) in RPC_SERVICES {
            assert!(
                methods.iter().any(|m| m.service == *short),
                "no methods for {short}"
            );
        }
        let describe = find_rpc_method("workflow", "DescribeTaskQueue").unwrap();
        assert_eq!(describe.repeat, Repeat::ReadOnly);
        assert_eq!(
            describe.path,
            "/temporal.api.workflowservice.v1.WorkflowService/DescribeTaskQueue"
        );
        let start = find_rpc_method("workflow", "start_workflow_execution").unwrap();
        assert_eq!(start.method, "StartWorkflowExecution");
        assert_eq!(start.repeat, Repeat::RequestId);
        let poll = find_rpc_method("workflow", "PollActivityTaskQueue").unwrap();
        assert!(poll.long_poll);
        assert_eq!(poll.repeat, Repeat::Never);
        assert_eq!(
            find_rpc_method("operator", "ListSearchAttributes")
                .unwrap()
                .repeat,
            Repeat::ReadOnly
        );
        assert_eq!(
            find_rpc_method("health", "Check").unwrap().repeat,
            Repeat::ReadOnly
        );
    }

    #[test]
    fn unknown_names_are_refused_with_the_closest_matches() {
        let err = find_rpc_method("workflow", "DescribeTaskQueu").unwrap_err();
        assert!(
            err.message().contains("closest: DescribeTaskQueue"),
            "{err}"
        );
        assert_eq!(err.detail("field").unwrap(), "method");
        let err = find_rpc_method("workflows", "DescribeTaskQueue").unwrap_err();
        assert!(
            err.message().contains("services: workflow, operator"),
            "{err}"
        );
        let err = find_rpc_method("health", "Watch").unwrap_err();
        assert!(err.message().contains("streams"), "{err}");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn requests_name_the_path_of_a_bad_field() {
        let method = find_rpc_method("workflow", "DescribeTaskQueue").unwrap();
        let ok = message_from_json(
            method,
            Some(serde_json::json!({"namespace": "default", "taskQueue": {"name": "q", "kind": "TASK_QUEUE_KIND_NORMAL"}, "task_queue_type": "TASK_QUEUE_TYPE_ACTIVITY"})),
        )
        .unwrap();
        assert_eq!(
            ok.get_field_by_name("namespace").unwrap().as_str(),
            Some("default")
        );
        let err = message_from_json(
            method,
            Some(serde_json::json!({"taskQueue": {"kind": "NO_SUCH_KIND"}})),
        )
        .unwrap_err();
        assert_eq!(
            err.detail("field").unwrap(),
            "request.taskQueue.kind",
            "{err}"
        );
        let err = message_from_json(method, Some(serde_json::json!({"nope": 1}))).unwrap_err();
        assert!(err.message().contains("nope"), "{err}");
        let err = message_from_json(method, Some(serde_json::json!([1]))).unwrap_err();
        // Durations as every other request takes them, nested and repeated.
        let register = find_rpc_method("workflow", "RegisterNamespace").unwrap();
        let message = message_from_json(
            register,
            Some(serde_json::json!({"workflowExecutionRetentionPeriod": "1h30m"})),
        )
        .unwrap();
        let json = message
            .serialize_with_options(serde_json::value::Serializer, &SerializeOptions::new())
            .unwrap();
        assert_eq!(json["workflowExecutionRetentionPeriod"], "5400s");
        let schedule = find_rpc_method("workflow", "CreateSchedule").unwrap();
        let message = message_from_json(
            schedule,
            Some(serde_json::json!({"schedule": {"spec": {"interval": [{"interval": "2m"}]}}})),
        )
        .unwrap();
        let json = message
            .serialize_with_options(serde_json::value::Serializer, &SerializeOptions::new())
            .unwrap();
        assert_eq!(json["schedule"]["spec"]["interval"][0]["interval"], "120s");
        assert_eq!(err.detail("field").unwrap(), "request");
    }
}
