//! `call_rpc`: any RPC of the workflow, operator and health services by name,
//! in the protobuf JSON mapping and as raw bytes, against the real dev server
//! and the real Python SDK worker (see `common`).

mod common;

use base64::Engine;
use common::{call_json, client, devenv, none, terminate, unique_id};
use prost::Message;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};
use temporal_bridge_core::{CallRpcRequest, Client, ErrorKind};
use temporalio_protos::temporal::api::workflowservice::v1::{
    DescribeNamespaceRequest, DescribeNamespaceResponse,
};

async fn rpc(client: &Client, service: &str, method: &str, request: Value) -> Value {
    let response = call_json(
        client,
        "call_rpc",
        json!({"service": service, "method": method, "request": request}),
    )
    .await
    .unwrap_or_else(|e| panic!("{service} {method}: {e}"));
    response["response"].clone()
}

#[tokio::test]
async fn rpcs_no_named_api_covers_are_called_by_name() {
    let client = client().await;
    let env = devenv();
    let ns = env.namespace.as_str();

    let info = rpc(&client, "workflow", "GetSystemInfo", json!({})).await;
    assert!(
        info["serverVersion"]
            .as_str()
            .is_some_and(|v| !v.is_empty()),
        "{info}"
    );
    assert_eq!(info["capabilities"]["supportsSchedules"], true, "{info}");

    // Original field names are accepted as well as lowerCamel ones.
    let described = rpc(
        &client,
        "workflow",
        "DescribeNamespace",
        json!({"namespace": ns}),
    )
    .await;
    assert_eq!(described["namespaceInfo"]["name"], ns, "{described}");
    assert_eq!(
        described["namespaceInfo"]["state"],
        "NAMESPACE_STATE_REGISTERED"
    );

    let listed = rpc(
        &client,
        "workflow",
        "ListNamespaces",
        json!({"page_size": 100}),
    )
    .await;
    let names: Vec<&str> = listed["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|n| n["namespaceInfo"]["name"].as_str())
        .collect();
    assert!(names.contains(&ns), "{names:?}");

    let attributes = rpc(
        &client,
        "operator",
        "ListSearchAttributes",
        json!({"namespace": ns}),
    )
    .await;
    assert_eq!(
        attributes["systemAttributes"]["WorkflowType"],
        "INDEXED_VALUE_TYPE_KEYWORD"
    );

    let health = rpc(&client, "health", "Check", json!({})).await;
    assert_eq!(health["status"], "SERVING");

    let cluster = rpc(&client, "workflow", "GetClusterInfo", json!({})).await;
    assert!(
        cluster["clusterId"].as_str().is_some_and(|v| !v.is_empty()),
        "{cluster}"
    );

    // The worker's pollers show on its task queue (registered as polls arrive).
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let queue = rpc(
            &client,
            "workflow",
            "describe_task_queue",
            json!({"namespace": ns, "taskQueue": {"name": env.task_queue, "kind": "TASK_QUEUE_KIND_NORMAL"}, "taskQueueType": "TASK_QUEUE_TYPE_WORKFLOW"}),
        )
        .await;
        if queue["pollers"].as_array().is_some_and(|p| !p.is_empty()) {
            assert!(
                queue["pollers"][0]["identity"].as_str().is_some(),
                "{queue}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no pollers on {}: {queue}",
            env.task_queue
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // A workflow started by raw RPC is counted (int64 comes as a string) and
    // terminated by raw RPC.
    let workflow_id = unique_id("rpc-start");
    let started = rpc(
        &client,
        "workflow",
        "StartWorkflowExecution",
        json!({"namespace": ns, "workflowId": workflow_id, "workflowType": {"name": "MySimpleWorkflow"},
               "taskQueue": {"name": unique_id("rpc-idle")}, "input": {"payloads": []}}),
    )
    .await;
    let run_id = started["runId"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let count = rpc(
            &client,
            "workflow",
            "CountWorkflowExecutions",
            json!({"namespace": ns, "query": format!("WorkflowId = '{workflow_id}'")}),
        )
        .await;
        if count["count"] == "1" {
            break;
        }
        assert!(Instant::now() < deadline, "never counted: {count}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    rpc(
        &client,
        "workflow",
        "TerminateWorkflowExecution",
        json!({"namespace": ns, "workflowExecution": {"workflowId": workflow_id, "runId": run_id}, "reason": "rpc test"}),
    )
    .await;
    let described = rpc(
        &client,
        "workflow",
        "DescribeWorkflowExecution",
        json!({"namespace": ns, "execution": {"workflowId": workflow_id}}),
    )
    .await;
    assert_eq!(
        described["workflowExecutionInfo"]["status"],
        "WORKFLOW_EXECUTION_STATUS_TERMINATED"
    );
}

#[tokio::test]
async fn raw_mode_sends_and_returns_protobuf_bytes() {
    let client = client().await;
    let ns = devenv().namespace.clone();
    let request = DescribeNamespaceRequest {
        namespace: ns.clone(),
        ..Default::default()
    };
    let mut headers = BTreeMap::new();
    headers.insert("x-tb-test".to_owned(), "raw".to_owned());
    let reply = client
        .call_rpc_bytes(
            "workflow",
            "DescribeNamespace",
            request.encode_to_vec().into(),
            &headers,
            &none(),
        )
        .await
        .unwrap();
    let described = DescribeNamespaceResponse::decode(reply).unwrap();
    assert_eq!(described.namespace_info.unwrap().name, ns);

    // The same through the JSON contract, base64 both ways.
    let b64 = base64::engine::general_purpose::STANDARD;
    let response = call_json(
        &client,
        "call_rpc",
        json!({"service": "workflow", "method": "DescribeNamespace",
               "request_bytes": b64.encode(request.encode_to_vec())}),
    )
    .await
    .unwrap();
    assert!(response.get("response").is_none(), "{response}");
    let bytes = b64
        .decode(response["response_bytes"].as_str().unwrap())
        .unwrap();
    let described = DescribeNamespaceResponse::decode(bytes.as_slice()).unwrap();
    assert_eq!(described.namespace_info.unwrap().name, ns);

    // Bytes that are not the method's request are refused before sending.
    let err = client
        .call_rpc_bytes(
            "workflow",
            "DescribeNamespace",
            vec![0xff, 0xff, 0xff].into(),
            &BTreeMap::new(),
            &none(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert_eq!(err.detail("field").unwrap(), "request_bytes");
}

#[tokio::test]
async fn bad_calls_get_errors_that_name_the_problem() {
    let client = client().await;
    let ns = devenv().namespace.clone();
    let refused = |request: Value| {
        let client = client.clone();
        async move {
            let err = call_json(&client, "call_rpc", request.clone())
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{request}: {err}");
            err
        }
    };
    let err = refused(json!({"service": "workflow", "method": "DescribeTaskQueu"})).await;
    assert!(
        err.message().contains("closest: DescribeTaskQueue"),
        "{err}"
    );
    let err = refused(json!({"service": "flow", "method": "GetSystemInfo"})).await;
    assert!(err.message().contains("workflow, operator"), "{err}");
    assert_eq!(err.detail("field").unwrap(), "service");
    let err = refused(json!({"service": "workflow", "method": "DescribeTaskQueue",
        "request": {"taskQueue": {"name": 5}}}))
    .await;
    assert_eq!(
        err.detail("field").unwrap(),
        "request.taskQueue.name",
        "{err}"
    );
    let err = refused(json!({"service": "workflow", "method": "DescribeTaskQueue",
        "request": {"taskQueueType": "TASK_QUEUE_TYPE_NOPE"}}))
    .await;
    assert_eq!(
        err.detail("field").unwrap(),
        "request.taskQueueType",
        "{err}"
    );
    let err = refused(json!({"service": "workflow", "method": "GetSystemInfo",
        "request": {}, "request_bytes": ""}))
    .await;
    assert_eq!(err.detail("field").unwrap(), "request_bytes");
    let err = refused(json!({"service": "workflow", "method": "GetSystemInfo",
        "headers": {"bad header": "x"}}))
    .await;
    assert_eq!(err.detail("field").unwrap(), "headers");
    let err = refused(json!({"service": "health", "method": "Watch"})).await;
    assert!(err.message().contains("unary"), "{err}");

    // The server's own refusal carries its google.rpc.Status details as JSON.
    let workflow_id = unique_id("rpc-dup");
    let start = |request_id: &str| CallRpcRequest {
        service: "workflow".into(),
        method: "StartWorkflowExecution".into(),
        request: Some(json!({"namespace": ns, "workflowId": workflow_id,
            "workflowType": {"name": "MySimpleWorkflow"}, "taskQueue": {"name": "rpc-idle"},
            "requestId": request_id})),
        ..Default::default()
    };
    let first = client.call_rpc(&start("first"), &none()).await.unwrap();
    let run_id = first.response.unwrap()["runId"].clone();
    // The same request ID is the same start: the server answers it again.
    let again = client.call_rpc(&start("first"), &none()).await.unwrap();
    assert_eq!(again.response.unwrap()["runId"], run_id);
    let err = client
        .call_rpc(&start("second"), &none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyStarted, "{err}");
    let details = err.detail("grpc_details").unwrap();
    assert!(
        details[0]["@type"]
            .as_str()
            .unwrap()
            .ends_with("WorkflowExecutionAlreadyStartedFailure"),
        "{details}"
    );
    assert_eq!(details[0]["runId"], run_id);
    terminate(&client, &workflow_id).await;

    // A request the server can never accept is refused, not retried.
    let huge = "x".repeat(10 * 1024 * 1024);
    let began = Instant::now();
    let err = call_json(
        &client,
        "call_rpc",
        json!({"service": "workflow", "method": "DescribeWorkflowExecution",
               "request": {"namespace": ns, "execution": {"workflowId": huge}}}),
    )
    .await
    .unwrap_err();
    assert!(err.detail("attempts").is_none(), "{err}");
    assert!(
        err.message().len() < 10_000,
        "the message quotes the whole ID"
    );
    assert!(began.elapsed() < Duration::from_secs(10), "{err}");
}

/// The same calls through a TLS terminator, as production runs them.
#[tokio::test]
async fn rpcs_by_name_over_tls() {
    let ca = common::pki::TestCa::new("rpc over TLS test CA");
    let (options, _proxy) = common::through_tls_terminator(&ca).await;
    let client = Client::connect(options).await.unwrap();
    let described = rpc(&client, "workflow", "DescribeNamespace", json!({})).await;
    assert_eq!(
        described["namespaceInfo"]["name"],
        devenv().namespace.as_str()
    );
    assert_eq!(
        rpc(&client, "health", "Check", json!({})).await["status"],
        "SERVING"
    );
    let reply = client
        .call_rpc_bytes(
            "workflow",
            "DescribeNamespace",
            // Raw bytes are sent as they are: no namespace filled in.
            DescribeNamespaceRequest {
                namespace: devenv().namespace.clone(),
                ..Default::default()
            }
            .encode_to_vec()
            .into(),
            &BTreeMap::new(),
            &none(),
        )
        .await
        .unwrap();
    let described = DescribeNamespaceResponse::decode(reply).unwrap();
    assert_eq!(described.namespace_info.unwrap().name, devenv().namespace);
    let err = call_json(
        &client,
        "call_rpc",
        json!({"service": "workflow", "method": "Nope"}),
    )
    .await
    .unwrap_err();
    assert!(err.message().contains("closest"), "{err}");
}
