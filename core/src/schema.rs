//! The JSON contract as data: a JSON Schema (draft 2020-12) of every
//! operation's request and response, of the `connect` request and of the
//! error object, generated (schemars) from the very types the contract reads
//! and writes, so that it cannot drift from them. Committed as
//! `include/temporal_bridge.schema.json` (the ffi crate's header test fails
//! when that file is stale) and served at run time by `tb_describe_contract`.
//!
//! Requests are described as the library reads them (schemars' deserialize
//! contract: fields with defaults are optional, `deny_unknown_fields` closes
//! the object, hand-written schemas where a type reads more than its Rust
//! shape says: durations, enum names in any case), with the common
//! `call_timeout` and `rpc_timeout` added to each; responses as the library
//! writes them (the serialize contract: every field it always writes is
//! required). A type whose two schemas differ gets one definition for each,
//! `Name-Input` and `Name-Output`.

use crate::contract::{CallFields, ABI_VERSION};
use crate::error::ErrorKind;
use crate::operations::{operation_schemas, OPERATION_TABLE};
use crate::options::{ConnectOptions, ConnectRequest};
use schemars::generate::SchemaSettings;
use schemars::{JsonSchema, SchemaGenerator};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// The JSON Schema dialect of the document.
const DIALECT: &str = "https://json-schema.org/draft/2020-12/schema";

const DEFS: &str = "#/$defs/";

/// The error object every failed call delivers (C: `error_out`; Python: the
/// exception's `kind`, `message` and `details`).
#[derive(JsonSchema)]
#[schemars(rename = "Error")]
#[allow(dead_code)] // described, never built: errors are made by `Error::to_json_value`
struct ErrorObject {
    /// What went wrong: one of a fixed set of kinds, each with its own
    /// `TbStatus` value and Python exception class. Kinds are never renamed
    /// or reused; a minor version may add some.
    kind: ErrorKind,
    /// What happened, for people: names the workflow ID or the field at
    /// fault; never carries secrets.
    message: String,
    /// Structured details, by kind: `field` (the request field at fault),
    /// `argument`, `workflow_id`, `run_id`, the gRPC `code`, the `failure`
    /// chain, `grpc_details`, ...
    details: Map<String, Value>,
}

/// The whole contract as one JSON Schema document:
///
/// ```json
/// {"$schema": "https://json-schema.org/draft/2020-12/schema",
///  "title": ..., "description": ..., "abi_version": "1.0",
///  "connect": {"c_function": "tb_client_connect", "description": ..., "request": {...}},
///  "operations": [{"name": "start_workflow", "c_function": "tb_workflow_start",
///                  "description": ..., "request": {...}, "response": {...}}, ...],
///  "error": {...},
///  "$defs": {...}}
/// ```
///
/// Operations are in table order; schemas refer to the shared definitions
/// with `{"$ref": "#/$defs/Name"}`. Object keys are sorted, so the document
/// is the same on every run.
pub fn contract_schema() -> Value {
    let settings = SchemaSettings::draft2020_12();
    let mut requests = settings.clone().for_deserialize().into_generator();
    let mut responses = settings.for_serialize().into_generator();

    let operations = operation_schemas(&mut requests, &mut responses);
    let connect = requests.subschema_for::<ConnectRequest>();
    // Only for the text of the fields `ConnectRequest` documents by
    // reference to it; not itself part of the contract.
    let connect_options = ConnectOptions::json_schema(
        &mut SchemaSettings::draft2020_12()
            .for_deserialize()
            .into_generator(),
    )
    .to_value();
    let error = responses.subschema_for::<ErrorObject>();
    let common = common_fields(&mut requests);

    let mut request_defs = requests.take_definitions(true);
    let mut response_defs = responses.take_definitions(true);

    let mut request_schemas = Vec::with_capacity(operations.len());
    let mut response_schemas = Vec::with_capacity(operations.len());
    for (request, response) in operations {
        let mut request = request.to_value();
        add_common_fields(&mut request, &mut request_defs, &common);
        request_schemas.push(request);
        response_schemas.push(response.to_value());
    }
    let mut connect = connect.to_value();
    let mut error = error.to_value();

    // One definition per name: a type described alike both ways keeps its
    // name; one that differs gets one per direction.
    let (request_renames, response_renames) = split_differing(&request_defs, &response_defs);
    for (old, new) in &request_renames {
        if let Some(schema) = request_defs.remove(old) {
            request_defs.insert(new.clone(), schema);
        }
    }
    for (old, new) in &response_renames {
        if let Some(schema) = response_defs.remove(old) {
            response_defs.insert(new.clone(), schema);
        }
    }
    for value in request_schemas
        .iter_mut()
        .chain([&mut connect])
        .chain(request_defs.values_mut())
    {
        rename_refs(value, &request_renames);
    }
    for value in response_schemas
        .iter_mut()
        .chain([&mut error])
        .chain(response_defs.values_mut())
    {
        rename_refs(value, &response_renames);
    }
    if let Some(connect) = request_defs.get_mut("ConnectRequest") {
        inline_connect_docs(connect, &connect_options);
    }
    let mut defs = request_defs;
    for (name, schema) in response_defs {
        defs.entry(name).or_insert(schema);
    }

    let operations: Vec<Value> = OPERATION_TABLE
        .iter()
        .zip(request_schemas.into_iter().zip(response_schemas))
        .map(|(operation, (request, response))| {
            json!({
                "name": operation.name,
                "c_function": operation.c_function,
                "description": operation.doc.trim_end(),
                "request": request,
                "response": response,
            })
        })
        .collect();
    let (major, minor) = ABI_VERSION;
    let mut document = json!({
        "$schema": DIALECT,
        "title": "temporal-bridge JSON contract",
        "description": "Every operation's request and response, the connect request and \
            the error object of temporal-bridge's JSON contract, generated from the types \
            the library reads and writes. Requests are described as the library reads them \
            (each also takes `call_timeout` and `rpc_timeout`); responses as it writes them \
            (a minor version may add response fields: ignore the ones you do not know). \
            What a schema cannot say, the library still checks: no key twice in one object, \
            integers written without a fraction, non-empty IDs and names, fields that \
            exclude each other. Schemas refer to `$defs` of this document.",
        "abi_version": format!("{major}.{minor}"),
        "connect": {
            "c_function": "tb_client_connect",
            "description": "The options of a connection (`tb_client_connect`, \
                `Client.connect`): the answer is a client, not JSON.",
            "request": connect,
        },
        "operations": operations,
        "error": error,
        "$defs": defs,
    });
    bound_integers(&mut document);
    plain_doc_links(&mut document);
    sorted(document)
}

/// The schemas of the fields every request takes (`call_timeout`,
/// `rpc_timeout`), by name.
fn common_fields(requests: &mut SchemaGenerator) -> Map<String, Value> {
    let schema = CallFields::json_schema(requests).to_value();
    match schema.get("properties") {
        Some(Value::Object(properties)) => properties.clone(),
        _ => Map::new(),
    }
}

/// Adds the common fields to a request's schema: to its definition when it
/// refers to one (request types are used as requests only), else to itself.
fn add_common_fields(
    request: &mut Value,
    defs: &mut Map<String, Value>,
    common: &Map<String, Value>,
) {
    let target = match request.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.strip_prefix(DEFS).unwrap_or(reference).to_owned();
            match defs.get_mut(&name) {
                Some(def) => def,
                None => return,
            }
        }
        None => request,
    };
    if let Value::Bool(true) = target {
        *target = json!({});
    }
    let Some(object) = target.as_object_mut() else {
        return;
    };
    let properties = object
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(properties) = properties {
        for (name, schema) in common {
            properties.insert(name.clone(), schema.clone());
        }
    }
}

/// The fields of `connect` documented as "As [`ConnectOptions::name`]" get
/// the text of that field of [`ConnectOptions`], and what follows the
/// reference as a paragraph of its own.
fn inline_connect_docs(connect: &mut Value, options: &Value) {
    const PREFIX: &str = "As [`ConnectOptions::";
    let Some(Value::Object(properties)) = connect.get_mut("properties") else {
        return;
    };
    for property in properties.values_mut() {
        let Some(Value::String(text)) = property.get_mut("description") else {
            continue;
        };
        let Some((name, rest)) = text
            .strip_prefix(PREFIX)
            .and_then(|after| after.split_once("`]"))
        else {
            continue;
        };
        let Some(own) = options
            .pointer(&format!("/properties/{name}/description"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let rest = rest.trim_start_matches([';', ',', '.', ' ']).trim_end();
        let mut new = own.to_owned();
        if !rest.is_empty() {
            let mut chars = rest.chars();
            let first = chars.next().map(|c| c.to_uppercase().to_string());
            new = format!("{new}\n\n{}{}", first.unwrap_or_default(), chars.as_str());
        }
        *text = new;
    }
}

/// Rustdoc links in descriptions as plain code: "[`Name`](path)" and
/// "[`crate::Name`]" become "`Name`".
fn plain_doc_links(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(Value::String(text)) = object.get_mut("description") {
                if text.contains("[`") {
                    *text = plain_links(text);
                }
            }
            object.values_mut().for_each(plain_doc_links);
        }
        Value::Array(items) => items.iter_mut().for_each(plain_doc_links),
        _ => {}
    }
}

fn plain_links(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("[`") {
        let Some(end) = rest[start + 2..].find("`]") else {
            break;
        };
        let code = &rest[start + 2..start + 2 + end];
        out.push_str(&rest[..start]);
        out.push('`');
        out.push_str(code.strip_prefix("crate::").unwrap_or(code));
        out.push('`');
        rest = &rest[start + 2 + end + 2..];
        // An explicit target, `(path)`, goes too.
        if rest.starts_with('(') {
            if let Some(close) = rest.find(')') {
                rest = &rest[close + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The names both generators defined differently, each renamed for its side.
fn split_differing(
    requests: &Map<String, Value>,
    responses: &Map<String, Value>,
) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let mut request_renames = BTreeMap::new();
    let mut response_renames = BTreeMap::new();
    for (name, schema) in responses {
        if requests.get(name).is_some_and(|other| other != schema) {
            request_renames.insert(name.clone(), format!("{name}-Input"));
            response_renames.insert(name.clone(), format!("{name}-Output"));
        }
    }
    (request_renames, response_renames)
}

/// Points every `$ref` to a renamed definition at its new name.
fn rename_refs(value: &mut Value, renames: &BTreeMap<String, String>) {
    if renames.is_empty() {
        return;
    }
    match value {
        Value::Object(object) => {
            if let Some(Value::String(reference)) = object.get_mut("$ref") {
                let new = reference
                    .strip_prefix(DEFS)
                    .and_then(|name| renames.get(name));
                if let Some(new) = new {
                    *reference = format!("{DEFS}{new}");
                }
            }
            for child in object.values_mut() {
                rename_refs(child, renames);
            }
        }
        Value::Array(items) => {
            for child in items {
                rename_refs(child, renames);
            }
        }
        _ => {}
    }
}

/// Gives integers the bounds of the Rust types that read them, where
/// schemars names only the format: a number out of range is refused.
fn bound_integers(value: &mut Value) {
    match value {
        Value::Object(object) => {
            let bounds: Option<(Value, Value)> = match object.get("format").and_then(Value::as_str)
            {
                Some("int32") => Some((i32::MIN.into(), i32::MAX.into())),
                Some("int64") => Some((i64::MIN.into(), i64::MAX.into())),
                Some("uint32") => Some((0.into(), u32::MAX.into())),
                Some("uint64") | Some("uint") => Some((0.into(), u64::MAX.into())),
                _ => None,
            };
            if let Some((minimum, maximum)) = bounds {
                object.entry("minimum").or_insert(minimum);
                object.entry("maximum").or_insert(maximum);
            }
            for child in object.values_mut() {
                bound_integers(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

/// `value` with every object's keys in order, whatever map serde_json uses.
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(object) => {
            let entries: BTreeMap<String, Value> = object.into_iter().collect();
            Value::Object(entries.into_iter().map(|(k, v)| (k, sorted(v))).collect())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::parse_duration_str;
    use crate::error::Error;
    use crate::json_text::parse_value;
    use crate::operations::{parse_operation_request, OPERATIONS};
    use std::sync::OnceLock;

    fn document() -> &'static Value {
        static DOCUMENT: OnceLock<Value> = OnceLock::new();
        DOCUMENT.get_or_init(contract_schema)
    }

    /// A validator of `schema`, a schema of the document (its `$ref`s
    /// resolve against the document's `$defs`).
    fn validator(schema: &Value) -> jsonschema::Validator {
        let root = json!({
            "$schema": DIALECT,
            "$defs": document()["$defs"],
            "allOf": [schema],
        });
        jsonschema::validator_for(&root).unwrap_or_else(|e| panic!("{schema} is no schema: {e}"))
    }

    fn request_schema(operation: &str) -> &'static Value {
        if operation == "connect" {
            return &document()["connect"]["request"];
        }
        let entry = document()["operations"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["name"] == operation)
            .unwrap_or_else(|| panic!("{operation} is not in the document"));
        &entry["request"]
    }

    /// What the library's parser says of `request`.
    fn parse(operation: &str, request: Value) -> Result<(), Error> {
        if operation == "connect" {
            parse_value::<ConnectRequest>(request, "connect options").map(|_| ())
        } else {
            parse_operation_request(operation, request)
        }
    }

    /// The schema and the parser both accept `request`.
    fn accepted(operation: &str, request: Value) {
        let errors: Vec<String> = validator(request_schema(operation))
            .iter_errors(&request)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "the schema of {operation} refuses {request}: {errors:?}"
        );
        if let Err(e) = parse(operation, request.clone()) {
            panic!("the parser refuses {operation} {request}: {e}");
        }
    }

    /// The schema and the parser both refuse `request`.
    fn refused(operation: &str, request: Value) {
        assert!(
            !validator(request_schema(operation)).is_valid(&request),
            "the schema of {operation} accepts {request}"
        );
        assert!(
            parse(operation, request.clone()).is_err(),
            "the parser accepts {operation} {request}"
        );
    }

    #[test]
    fn the_document_is_a_json_schema_with_every_operation_in_table_order() {
        let document = document();
        jsonschema::meta::validate(document).expect("the document is a valid JSON Schema");
        assert_eq!(document["$schema"], DIALECT);
        assert_eq!(document["abi_version"], "1.0");
        let operations = document["operations"].as_array().unwrap();
        let names: Vec<&str> = operations
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, OPERATIONS);
        for (entry, operation) in operations.iter().zip(OPERATION_TABLE) {
            assert_eq!(entry["c_function"], operation.c_function);
            assert!(!entry["description"].as_str().unwrap().is_empty());
        }
        // Deterministic, so that the committed file is stable.
        assert_eq!(contract_schema(), *document);
    }

    /// The definition `name` of the document.
    fn def(name: &str) -> &'static Value {
        document()["$defs"]
            .get(name)
            .unwrap_or_else(|| panic!("no definition {name}"))
    }

    /// A schema as it stands, `$ref` followed.
    fn resolved(schema: &Value) -> &Value {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => {
                let name = reference.strip_prefix(DEFS).unwrap();
                document()["$defs"]
                    .get(name)
                    .unwrap_or_else(|| panic!("{reference} goes nowhere"))
            }
            None => schema,
        }
    }

    #[test]
    fn every_operation_has_a_request_and_a_response_schema() {
        for entry in document()["operations"].as_array().unwrap() {
            let name = &entry["name"];
            let request = resolved(&entry["request"]);
            assert_eq!(request["type"], "object", "{name}: {request}");
            let properties = request["properties"].as_object().unwrap();
            for common in [crate::CALL_TIMEOUT_FIELD, crate::RPC_TIMEOUT_FIELD] {
                assert!(properties.contains_key(common), "{name} lacks {common}");
            }
            assert!(request["description"].is_string(), "{name}: {request}");
            let response = resolved(&entry["response"]);
            let response = response
                .as_object()
                .unwrap_or_else(|| panic!("{name}: {response}"));
            assert!(
                response.get("description").is_some_and(Value::is_string),
                "{name}: {response:?}"
            );
        }
        // Every reference of the document resolves.
        fn refs(value: &Value) {
            match value {
                Value::Object(object) => {
                    if object.contains_key("$ref") {
                        resolved(value);
                    }
                    object.values().for_each(refs);
                }
                Value::Array(items) => items.iter().for_each(refs),
                _ => {}
            }
        }
        refs(document());
    }

    #[test]
    fn requests_of_the_readme_table_validate() {
        // One request per row of README's JSON contract table, with every
        // field the row lists.
        accepted(
            "connect",
            json!({
                "target": "127.0.0.1:7233", "namespace": "default", "identity": "me@host",
                "headers": {"x-team": "payments", "x-token-bin": "AAEC"},
                "api_key": "secret",
                "tls": {"server_root_ca_cert": "-----BEGIN CERTIFICATE-----", "domain": "tmprl",
                        "client_cert": "PEM", "client_private_key": "PEM",
                        "disable_host_verification": true},
                "rpc_timeout": "10s", "connect_timeout": 5,
                "retry": {"initial_interval": "100ms", "max_interval": 5, "multiplier": 2.0,
                          "jitter": 0.2, "max_attempts": 10, "max_elapsed": "30s"},
                "keepalive": {"interval": "30s", "timeout": 15},
                "http_connect_proxy": {"target": "proxy:3128",
                                       "basic_auth": {"username": "u", "password": "p"}},
                "lazy": true, "compression": "gzip",
                "codec": {"endpoint": "https://codec.example.com", "auth": "Bearer x",
                          "headers": {"x-a": "b"}, "timeout": "10s", "tls": true,
                          "include_memo": true, "encode_failure_attributes": true},
                "slow_call_threshold": "2s", "profile": "prod", "config_file": "/etc/t.toml",
                "config_strict": true, "abi_version": "1.0",
            }),
        );
        accepted("connect", json!({}));
        accepted(
            "connect",
            json!({"tls": true, "keepalive": false, "compression": "none"}),
        );
        accepted(
            "start_workflow",
            json!({
                "workflow_type": "MySimpleWorkflow", "task_queue": "mytaskqueue",
                "args": ["World", 1, {"a": [null]}], "workflow_id": "wf-1",
                "execution_timeout": "1h30m", "run_timeout": 600, "task_timeout": 10.5,
                "id_reuse_policy": "allow_duplicate_failed_only",
                "id_conflict_policy": "use_existing",
                "retry_policy": {"initial_interval": 1, "backoff_coefficient": 2.0,
                                 "maximum_interval": "1m", "maximum_attempts": 5,
                                 "non_retryable_error_types": ["Fatal"]},
                "memo": {"owner": "me"}, "search_attributes": {"CustomKeywordField": "x"},
                "start_delay": "250ms", "cron_schedule": "*/5 * * * *", "request_id": "r-1",
                "start_signal": "go", "start_signal_args": [1],
                "raw_args": [{"metadata": {"encoding": "anNvbi9wbGFpbg=="}, "data": "IldvcmxkIg=="}],
                "header": {"tenant": "t1"},
                "trace_context": {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                                  "tracestate": "a=b", "baggage": "k=v"},
                "call_timeout": "30s", "rpc_timeout": 5,
            }),
        );
        accepted(
            "get_workflow_result",
            json!({"workflow_id": "wf-1", "run_id": "r", "follow_runs": false, "raw": true,
                   "decode": true}),
        );
        accepted(
            "cancel_workflow",
            json!({"workflow_id": "wf-1", "run_id": "r", "first_execution_run_id": "r0",
                   "reason": "done", "request_id": "x"}),
        );
        accepted(
            "terminate_workflow",
            json!({"workflow_id": "wf-1", "run_id": "r", "first_execution_run_id": "r0",
                   "reason": "done", "details": [1, "two"]}),
        );
        accepted(
            "describe_workflow",
            json!({"workflow_id": "wf-1", "run_id": null}),
        );
        accepted(
            "reset_workflow",
            json!({"workflow_id": "wf-1", "run_id": "r", "reset_type": "first_workflow_task",
                   "reason": "bug fixed", "request_id": "x", "reapply_signals": false}),
        );
        accepted(
            "reset_workflow",
            json!({"workflow_id": "wf-1", "event_id": 4}),
        );
        accepted(
            "signal_workflow",
            json!({"workflow_id": "wf-1", "signal_name": "go", "args": [1], "run_id": "r",
                   "request_id": "x", "header": {"k": {"nested": true}},
                   "trace_context": {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}),
        );
        accepted(
            "query_workflow",
            json!({"workflow_id": "wf-1", "query_type": "state", "args": [],
                   "reject_condition": "not_completed_cleanly", "header": {},
                   "trace_context": {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}),
        );
        accepted(
            "execute_update",
            json!({"workflow_id": "wf-1", "update_name": "add", "args": [2], "update_id": "u1",
                   "wait_for_stage": "accepted", "header": {"k": 1},
                   "trace_context": {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}),
        );
        accepted(
            "get_update_result",
            json!({"workflow_id": "wf-1", "update_id": "u1"}),
        );
        accepted(
            "list_workflows",
            json!({"query": "WorkflowType = 'X'", "page_size": 100, "next_page_token": "AAE="}),
        );
        accepted(
            "count_workflows",
            json!({"query": "GROUP BY ExecutionStatus"}),
        );
        accepted(
            "fetch_history",
            json!({"workflow_id": "wf-1", "run_id": "r", "wait_for_close": true, "decode": true}),
        );
        accepted(
            "complete_activity",
            json!({"task_token": "AAEC", "result": {"ok": true}}),
        );
        accepted(
            "fail_activity",
            json!({"workflow_id": "wf-1", "run_id": "r", "activity_id": "1",
                   "failure": {"message": "m", "type": "T", "non_retryable": true,
                               "details": [1], "next_retry_delay": "5s"}}),
        );
        accepted(
            "report_activity_cancellation",
            json!({"workflow_id": "wf-1", "activity_id": "1", "details": ["bye"]}),
        );
        accepted(
            "heartbeat_activity",
            json!({"task_token": "AAEC", "details": [50]}),
        );
        accepted(
            "batch_cancel_workflows",
            json!({"query": "WorkflowType = 'X'", "reason": "cleanup", "job_id": "j1"}),
        );
        accepted(
            "batch_terminate_workflows",
            json!({"query": "WorkflowType = 'X'", "reason": "cleanup"}),
        );
        accepted("wait_batch_operation", json!({"job_id": "j1"}));
        let schedule = json!({
            "spec": {"interval": [{"interval": "60s"}]},
            "action": {"start_workflow": {"workflow_id": "s-wf", "workflow_type": {"name": "W"},
                                          "task_queue": {"name": "q"}, "args": ["x"],
                                          "memo": {"a": 1}, "search_attributes": {}}},
            "policies": {"overlap_policy": "SCHEDULE_OVERLAP_POLICY_SKIP"},
            "state": {"paused": false},
        });
        accepted(
            "create_schedule",
            json!({"schedule_id": "s1", "schedule": schedule, "trigger_immediately": true,
                   "backfill": [{"start_at": "2026-01-01T00:00:00Z",
                                 "end_at": "2026-01-02T00:00:00Z", "overlap": "allow_all"}],
                   "memo": {"m": 1}, "search_attributes": {}, "request_id": "x"}),
        );
        accepted("describe_schedule", json!({"schedule_id": "s1"}));
        accepted("delete_schedule", json!({"schedule_id": "s1"}));
        accepted(
            "update_schedule",
            json!({"schedule_id": "s1", "schedule": schedule, "conflict_token": "AAE=",
                   "search_attributes": {}, "request_id": "x"}),
        );
        accepted(
            "patch_schedule",
            json!({"schedule_id": "s1", "pause": "maintenance", "trigger_immediately": true,
                   "overlap": "skip",
                   "backfill": [{"start_at": "2026-01-01T00:00:00Z", "end_at": "2026-01-02T00:00:00Z"}],
                   "request_id": "x"}),
        );
        accepted(
            "patch_schedule",
            json!({"schedule_id": "s1", "unpause": "done"}),
        );
        accepted(
            "list_schedules",
            json!({"query": "", "page_size": 10, "next_page_token": "AAE="}),
        );
        accepted(
            "describe_task_queue",
            json!({"taskQueue": {"name": "q"}, "taskQueueType": "TASK_QUEUE_TYPE_ACTIVITY",
                   "call_timeout": "5s"}),
        );
        accepted(
            "register_namespace",
            json!({"namespace": "ns", "workflowExecutionRetentionPeriod": "72h"}),
        );
        accepted("list_search_attributes", json!({}));
        accepted(
            "call_rpc",
            json!({"service": "workflow", "method": "DescribeTaskQueue",
                   "request": {"taskQueue": {"name": "q"}}, "headers": {"x-a": "b"},
                   "decode": true}),
        );
        accepted(
            "call_rpc",
            json!({"service": "health", "method": "check", "request_bytes": ""}),
        );
    }

    #[test]
    fn representative_requests_validate() {
        // Durations as numbers and as strings, names in any case, nulls for
        // absent optional fields, the common fields.
        for (duration, policy, conflict) in [
            (json!(0), "ALLOW_DUPLICATE", "Use_Existing"),
            (json!(1.5), "reject_duplicate", "FAIL"),
            (json!("1h30m"), "Terminate_If_Running", "terminate_existing"),
            (json!(".5s"), "allow_duplicate", "fAIL"),
            (json!("2d3h4m5s6ms7us8ns"), "allow_duplicate", "fail"),
            (json!(" 5µs "), "allow_duplicate", "fail"),
        ] {
            accepted(
                "start_workflow",
                json!({"workflow_type": "W", "task_queue": "q", "execution_timeout": duration,
                       "id_reuse_policy": policy, "id_conflict_policy": conflict,
                       "retry_policy": {"initial_interval": duration}, "call_timeout": duration}),
            );
        }
        accepted(
            "start_workflow",
            json!({"workflow_type": "W", "task_queue": "q", "workflow_id": null, "memo": null,
                   "retry_policy": null, "call_timeout": null, "rpc_timeout": null}),
        );
        accepted(
            "query_workflow",
            json!({"workflow_id": "w", "query_type": "q", "reject_condition": "NOT_OPEN"}),
        );
        accepted(
            "execute_update",
            json!({"workflow_id": "w", "update_name": "u", "wait_for_stage": "Completed"}),
        );
        accepted(
            "reset_workflow",
            json!({"workflow_id": "w", "reset_type": "LAST_WORKFLOW_TASK"}),
        );
        accepted(
            "get_workflow_result",
            json!({"workflow_id": "w", "call_timeout": "2s", "rpc_timeout": 0.5}),
        );
        accepted("list_workflows", json!({}));
        accepted(
            "connect",
            json!({"target": "localhost:7233", "tls": false, "keepalive": true, "retry": {},
                   "http_connect_proxy": {"target": "p:1"}}),
        );
    }

    #[test]
    fn invalid_requests_fail_validation() {
        // Unknown fields.
        refused(
            "start_workflow",
            json!({"workflow_type": "W", "task_queue": "q", "bogus": 1}),
        );
        refused(
            "signal_workflow",
            json!({"workflow_id": "w", "signal": "s"}),
        );
        refused("connect", json!({"target": "t", "namespaces": "x"}));
        refused("connect", json!({"tls": {"ca": "PEM"}}));
        refused(
            "start_workflow",
            json!({"workflow_type": "W", "task_queue": "q", "retry_policy": {"interval": 1}}),
        );
        refused(
            "start_workflow",
            json!({"workflow_type": "W", "task_queue": "q", "trace_context": {"traceparent": "x", "span": "y"}}),
        );
        refused(
            "start_workflow",
            json!({"workflow_type": "W", "task_queue": "q", "raw_args": [{"bytes": ""}]}),
        );
        // Wrong types.
        refused(
            "start_workflow",
            json!({"workflow_type": "W", "task_queue": 5}),
        );
        refused(
            "start_workflow",
            json!({"workflow_type": "W", "task_queue": "q", "args": "x"}),
        );
        refused(
            "start_workflow",
            json!({"workflow_type": "W", "task_queue": "q", "memo": [1]}),
        );
        refused(
            "get_workflow_result",
            json!({"workflow_id": "w", "follow_runs": "yes"}),
        );
        refused("list_workflows", json!({"page_size": -1}));
        refused("list_workflows", json!({"page_size": "10"}));
        refused("list_workflows", json!({"page_size": 4294967296u64}));
        refused(
            "reset_workflow",
            json!({"workflow_id": "w", "event_id": "4"}),
        );
        refused(
            "fail_activity",
            json!({"task_token": "AAAA", "failure": {"message": "m", "non_retryable": "yes"}}),
        );
        refused("call_rpc", json!({"service": 5, "method": "M"}));
        refused("connect", json!({"tls": "yes"}));
        refused("connect", json!({"keepalive": 30}));
        refused("connect", json!({"headers": {"x": 1}}));
        refused("describe_task_queue", json!([]));
        refused("start_workflow", json!("W"));
        // Missing required fields.
        refused("start_workflow", json!({"workflow_type": "W"}));
        refused("start_workflow", json!({}));
        refused("batch_terminate_workflows", json!({"query": "q"}));
        refused("create_schedule", json!({"schedule_id": "s"}));
        refused("fail_activity", json!({"task_token": "AAAA"}));
        refused("get_update_result", json!({"workflow_id": "w"}));
        refused(
            "connect",
            json!({"http_connect_proxy": {"basic_auth": {"username": "u"}}}),
        );
        // Bad names.
        refused(
            "start_workflow",
            json!({"workflow_type": "W", "task_queue": "q", "id_conflict_policy": "sometimes"}),
        );
        refused(
            "start_workflow",
            json!({"workflow_type": "W", "task_queue": "q", "id_reuse_policy": "allow-duplicate"}),
        );
        refused(
            "query_workflow",
            json!({"workflow_id": "w", "query_type": "q", "reject_condition": "never"}),
        );
        refused(
            "execute_update",
            json!({"workflow_id": "w", "update_name": "u", "wait_for_stage": "admitted"}),
        );
        refused(
            "reset_workflow",
            json!({"workflow_id": "w", "reset_type": "last"}),
        );
        // Compression names are read as written.
        refused("connect", json!({"compression": "GZIP"}));
        refused("connect", json!({"compression": "zstd"}));
        // Bad durations, in the request's own fields and the common ones.
        for bad in [
            json!(-1),
            json!("5x"),
            json!("1h 30m"),
            json!("1.2.3s"),
            json!("90"),
            json!(""),
            json!(true),
            json!([1]),
            json!(1e300),
        ] {
            refused(
                "start_workflow",
                json!({"workflow_type": "W", "task_queue": "q", "run_timeout": bad}),
            );
            refused(
                "get_workflow_result",
                json!({"workflow_id": "w", "call_timeout": bad}),
            );
            refused("count_workflows", json!({"rpc_timeout": bad}));
            refused("connect", json!({"connect_timeout": bad}));
        }
    }

    #[test]
    fn the_duration_schema_reads_strings_as_the_parser_does() {
        let duration = validator(def("Duration"));
        for text in [
            "1h30m",
            "250ms",
            "2.5s",
            "1.5",
            "1",
            ".5s",
            "1.s",
            "0s",
            "2d",
            "5µs",
            "5us",
            "7ns",
            " 1s ",
            "1m1",
            "1ms1s",
            "1sm",
            "1hm",
            "h",
            "",
            " ",
            "1e3s",
            "1.2.3s",
            "1..s",
            ".s",
            "-1s",
            "+1s",
            "1h 30m",
            "1H",
            "1S",
            "1h30m0.5s",
            "\t2m\n",
        ] {
            assert_eq!(
                duration.is_valid(&json!(text)),
                parse_duration_str(text).is_ok(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn names_read_in_any_case_are_listed_with_a_pattern() {
        let schema = def("IdConflictPolicy");
        let names: Vec<&str> = schema["anyOf"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|branch| branch["const"].as_str())
            .collect();
        assert_eq!(names, ["fail", "use_existing", "terminate_existing"]);
        assert!(schema["description"].as_str().unwrap().contains("any case"));
        let policy = validator(schema);
        for good in ["fail", "FAIL", "Use_Existing", "terminate_EXISTING"] {
            assert!(policy.is_valid(&json!(good)), "{good}");
        }
        for bad in ["", "fails", "use existing", "use-existing", " fail"] {
            assert!(!policy.is_valid(&json!(bad)), "{bad}");
        }
    }

    #[test]
    fn the_error_schema_validates_the_errors_the_core_makes() {
        let error = validator(&document()["error"]);
        let kinds: Vec<&str> = def("ErrorKind")["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|kind| kind["const"].as_str().unwrap())
            .collect();
        let all: Vec<&str> = ErrorKind::ALL.iter().map(|kind| kind.as_str()).collect();
        assert_eq!(kinds, all);

        let parse_failure = parse_operation_request(
            "start_workflow",
            json!({"workflow_type": "W", "task_queue": 5}),
        )
        .unwrap_err();
        assert_eq!(parse_failure.detail("field").unwrap(), "task_queue");
        let mut errors = vec![
            parse_failure.to_json_value(),
            parse_operation_request("nope", json!({}))
                .unwrap_err()
                .to_json_value(),
            parse("connect", json!({"bogus": 1}))
                .unwrap_err()
                .to_json_value(),
        ];
        for kind in ErrorKind::ALL {
            errors.push(
                Error::new(*kind, "m")
                    .with_detail("workflow_id", "w")
                    .to_json_value(),
            );
        }
        for object in &errors {
            let problems: Vec<String> = error.iter_errors(object).map(|e| e.to_string()).collect();
            assert!(problems.is_empty(), "{object}: {problems:?}");
        }
        for bad in [
            json!({"kind": "oops", "message": "m", "details": {}}),
            json!({"kind": "internal", "message": "m"}),
            json!({"kind": "internal", "message": 1, "details": {}}),
            json!({"kind": "internal", "message": "m", "details": []}),
        ] {
            assert!(!error.is_valid(&bad), "{bad}");
        }
    }

    #[test]
    fn responses_are_described_as_written() {
        use crate::workflow::StartWorkflowResponse;
        let start = &document()["operations"][0];
        assert_eq!(start["name"], "start_workflow");
        let response = validator(&start["response"]);
        let written = serde_json::to_value(StartWorkflowResponse {
            workflow_id: "w".into(),
            run_id: "r".into(),
            started: false,
            first_execution_run_id: None,
        })
        .unwrap();
        assert!(response.is_valid(&written), "{written}");
        // Always written, so required (null when absent).
        assert!(!response.is_valid(&json!({"workflow_id": "w", "run_id": "r", "started": true})));
        let required = resolved(&start["response"])["required"].as_array().unwrap();
        assert!(required.contains(&json!("first_execution_run_id")));
    }
}
