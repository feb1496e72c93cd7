//! Temporal headers and trace contexts as the server stores them, reached
//! straight and through a TLS terminator: a start, a signal and an update
//! each carry theirs into the history as `json/plain` payloads, the trace
//! context under `_tracer-data`, as the SDKs' tracing interceptors read it;
//! a query with one is answered.

mod common;

use base64::Engine as _;
use common::{client, none, result_of, start_request};
use serde_json::{json, Map, Value};
use temporal_bridge_core::{
    Client, ExecuteUpdateRequest, FetchHistoryRequest, QueryWorkflowRequest, SignalWorkflowRequest,
    TraceContext, TRACER_HEADER,
};

const PARENT: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

/// The JSON value of header field `key` in a proto-JSON `header` object.
fn header_value(header: &Value, key: &str) -> Value {
    let payload = &header["fields"][key];
    let data = base64::engine::general_purpose::STANDARD
        .decode(
            payload["data"]
                .as_str()
                .unwrap_or_else(|| panic!("no {key} in {header}")),
        )
        .unwrap();
    let encoding = base64::engine::general_purpose::STANDARD
        .decode(payload["metadata"]["encoding"].as_str().unwrap())
        .unwrap();
    assert_eq!(encoding, b"json/plain");
    serde_json::from_slice(&data).unwrap()
}

async fn headers_reach_the_history(client: &Client) {
    let trace = TraceContext {
        tracestate: Some("tb=1".into()),
        ..TraceContext::new(PARENT)
    };
    let mut start = start_request("SignalQueryWorkflow", vec![]);
    start.header = Some(Map::from_iter([("tenant".to_owned(), json!("acme"))]));
    start.trace_context = Some(trace.clone());
    let workflow_id = start.workflow_id.clone().unwrap();
    client.start_workflow(&start, &none()).await.unwrap();
    let signal = |name: &str, args: Vec<Value>| SignalWorkflowRequest {
        workflow_id: workflow_id.clone(),
        signal_name: name.into(),
        args,
        trace_context: Some(TraceContext::new(PARENT)),
        ..Default::default()
    };
    client
        .signal_workflow(&signal("add", vec![json!(1)]), &none())
        .await
        .unwrap();
    let update = ExecuteUpdateRequest {
        workflow_id: workflow_id.clone(),
        update_name: "set_values".into(),
        args: vec![json!([1, 2])],
        header: Some(Map::from_iter([("tenant".to_owned(), json!("acme"))])),
        ..Default::default()
    };
    let updated = client.execute_update(&update, &none()).await.unwrap();
    assert_eq!(updated.result, Some(json!(2)));
    let query = QueryWorkflowRequest {
        workflow_id: workflow_id.clone(),
        query_type: "values".into(),
        trace_context: Some(TraceContext::new(PARENT)),
        ..Default::default()
    };
    let answer = client.query_workflow(&query, &none()).await.unwrap();
    assert_eq!(answer.result, Some(json!([1, 2])));
    client
        .signal_workflow(&signal("finish", vec![]), &none())
        .await
        .unwrap();
    result_of(client, &workflow_id).await.unwrap();

    let history = client
        .fetch_history(
            &FetchHistoryRequest {
                workflow_id: workflow_id.clone(),
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap();
    let events = history["events"].as_array().unwrap();
    let started = &events[0]["workflowExecutionStartedEventAttributes"]["header"];
    assert_eq!(header_value(started, "tenant"), json!("acme"));
    assert_eq!(
        header_value(started, TRACER_HEADER),
        json!({"traceparent": PARENT, "tracestate": "tb=1"})
    );
    let signaled: Vec<&Value> = events
        .iter()
        .filter_map(|e| e.get("workflowExecutionSignaledEventAttributes"))
        .collect();
    assert_eq!(signaled.len(), 2, "{history}");
    for event in signaled {
        assert_eq!(
            header_value(&event["header"], TRACER_HEADER),
            json!({"traceparent": PARENT})
        );
    }
    let accepted = events
        .iter()
        .find_map(|e| e.get("workflowExecutionUpdateAcceptedEventAttributes"))
        .unwrap_or_else(|| panic!("no accepted update in {history}"));
    assert_eq!(
        header_value(&accepted["acceptedRequest"]["input"]["header"], "tenant"),
        json!("acme")
    );
}

#[tokio::test]
async fn headers_reach_the_history_straight() {
    headers_reach_the_history(&client().await).await;
}

#[tokio::test]
async fn headers_reach_the_history_through_tls() {
    let ca = common::pki::TestCa::new("headers TLS test CA");
    let (options, _proxy) = common::through_tls_terminator(&ca).await;
    let client = Client::connect(options).await.unwrap();
    headers_reach_the_history(&client).await;
}
