//! End-to-end tests of every core operation and outcome against a real
//! Temporal dev server and a real Python SDK worker (see `common`).

mod common;

use common::{
    call_json, call_json_refused, client, devenv, none, result_of, scenarios, start_request,
    terminate, unique_id, wait_for_description,
};
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use temporal_bridge_core::payload::RawPayload;
use temporal_bridge_core::{
    CallOptions, CancelWorkflowRequest, CancellationToken, Client, ConnectOptions, ErrorKind,
    GetResultRequest, IdConflictPolicy, RetryPolicy, TerminateWorkflowRequest,
};

#[tokio::test]
async fn start_by_type_name_and_get_result() {
    let client = client().await;
    assert!(!client.server_version().is_empty());
    let request = start_request("MySimpleWorkflow", vec![json!("World")]);
    let started = client.start_workflow(&request, &none()).await.unwrap();
    assert_eq!(Some(&started.workflow_id), request.workflow_id.as_ref());
    assert!(!started.run_id.is_empty());
    assert!(started.started);
    let outcome = client
        .workflow_handle(&started.workflow_id, Some(started.run_id.clone()))
        .result(true, false, &none())
        .await
        .unwrap();
    assert_eq!(outcome.result, Some(json!("Hello, World!")));
    assert_eq!(outcome.run_id.as_deref(), Some(started.run_id.as_str()));
}

#[tokio::test]
async fn generated_workflow_id_when_absent() {
    let client = client().await;
    let mut request = start_request("MySimpleWorkflow", vec![json!("x")]);
    request.workflow_id = None;
    let started = client.start_workflow(&request, &none()).await.unwrap();
    assert_eq!(
        started.workflow_id.len(),
        36,
        "a UUID: {}",
        started.workflow_id
    );
    assert_eq!(
        result_of(&client, &started.workflow_id).await.unwrap(),
        json!("Hello, x!")
    );
}

#[tokio::test]
async fn result_from_a_fresh_client_knowing_only_the_id_before_and_after_completion() {
    let starter = client().await;
    let request = start_request("LongRunningWorkflow", vec![json!(1.5)]);
    let started = starter.start_workflow(&request, &none()).await.unwrap();
    drop(starter);

    // Waiting before completion: a brand-new connection that knows only the ID.
    let waiter = client().await;
    let begun = Instant::now();
    let outcome = waiter
        .get_workflow_result(&GetResultRequest::new(&started.workflow_id), &none())
        .await
        .unwrap();
    assert_eq!(outcome.result, Some(json!("done")));
    assert!(
        begun.elapsed() >= Duration::from_millis(500),
        "the wait really waited"
    );

    // After completion: yet another client gets the same result at once.
    let late = client().await;
    assert_eq!(
        result_of(&late, &started.workflow_id).await.unwrap(),
        json!("done")
    );
}

#[tokio::test]
async fn echo_preserves_json_values() {
    let client = client().await;
    let value = json!({"s": "ünïcødé ✓", "n": [1, -2, 3.5, 1e100], "nested": {"null": null, "t": true}, "empty": {}});
    let started = client
        .start_workflow(&start_request("EchoWorkflow", vec![value.clone()]), &none())
        .await
        .unwrap();
    assert_eq!(
        result_of(&client, &started.workflow_id).await.unwrap(),
        value
    );

    let started = client
        .start_workflow(&start_request("EchoWorkflow", vec![Value::Null]), &none())
        .await
        .unwrap();
    assert_eq!(
        result_of(&client, &started.workflow_id).await.unwrap(),
        Value::Null
    );
}

#[tokio::test]
async fn numbers_beyond_64_bits_and_decimals_cross_exactly() {
    // A JSON caller (C, another SDK) writes numbers as text; the Python SDK
    // worker echoes them with its own JSON codec; the text comes back as written.
    let client = client().await;
    let numbers = r#"[123456789012345678901234567890,-98765432109876543210,18446744073709551616,0.30000000000000004,1.5]"#;
    let workflow_id = unique_id("numbers");
    let request = format!(
        r#"{{"workflow_type": "EchoWorkflow", "task_queue": "{}", "workflow_id": "{workflow_id}", "args": [{numbers}]}}"#,
        devenv().task_queue
    );
    client
        .call_json("start_workflow", &request, &none())
        .await
        .unwrap();
    let response = client
        .call_json(
            "get_workflow_result",
            &format!(r#"{{"workflow_id": "{workflow_id}"}}"#),
            &none(),
        )
        .await
        .unwrap();
    assert!(
        response.contains(&format!(r#""result":{numbers}"#)),
        "{response}"
    );
}

#[tokio::test]
async fn raw_mode_passes_payloads_through() {
    let client = client().await;
    let raw_arg = RawPayload::from_proto(&temporal_bridge_core::payload::encode_value(
        &json!({"raw": 1}),
    ));
    let mut request = start_request("EchoWorkflow", vec![]);
    request.raw_args = Some(vec![raw_arg]);
    let started = client.start_workflow(&request, &none()).await.unwrap();
    let outcome = client
        .workflow_handle(&started.workflow_id, None)
        .result(true, true, &none())
        .await
        .unwrap();
    assert_eq!(outcome.result, None);
    let payloads = outcome.payloads.unwrap();
    assert_eq!(payloads.len(), 1);
    // "json/plain" in base64.
    assert_eq!(payloads[0].metadata["encoding"], "anNvbi9wbGFpbg==");
    let decoded = temporal_bridge_core::payload::decode_payload(&payloads[0].to_proto().unwrap());
    assert_eq!(decoded, json!({"raw": 1}));

    let mut both = start_request("EchoWorkflow", vec![json!(1)]);
    both.raw_args = Some(vec![RawPayload::default()]);
    let err = client.start_workflow(&both, &none()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[tokio::test]
async fn duplicate_start_is_already_started_with_the_existing_run_id() {
    let client = client().await;
    let request = start_request("LongRunningWorkflow", vec![json!(30)]);
    let first = client.start_workflow(&request, &none()).await.unwrap();
    assert!(first.started);
    assert_eq!(
        first.first_execution_run_id.as_deref(),
        Some(first.run_id.as_str())
    );
    let mut again = request.clone();
    again.request_id = None;
    let err = client.start_workflow(&again, &none()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyStarted, "{err}");
    assert_eq!(err.detail("run_id").unwrap(), &json!(first.run_id));
    assert!(err.message().contains(&first.workflow_id), "{err}");

    // With use_existing the running workflow is returned instead.
    again.id_conflict_policy = Some(IdConflictPolicy::UseExisting);
    let existing = client.start_workflow(&again, &none()).await.unwrap();
    assert_eq!(existing.run_id, first.run_id);
    assert!(!existing.started);
    // Nothing was started: the run found may be a later run of its chain, so
    // a handle from this answer carries no first-execution guard.
    assert_eq!(existing.first_execution_run_id, None);
    let handle = client.started_workflow_handle(&existing);
    assert_eq!(handle.first_execution_run_id, None);
    assert_eq!(handle.target_run_id, None);
    assert_eq!(
        client
            .started_workflow_handle(&first)
            .first_execution_run_id
            .as_deref(),
        Some(first.run_id.as_str())
    );

    client
        .workflow_handle(&first.workflow_id, None)
        .terminate(Some("test cleanup".into()), vec![], &none())
        .await
        .unwrap();
}

#[tokio::test]
async fn failed_workflow_carries_the_failure_chain() {
    let client = client().await;
    let started = client
        .start_workflow(
            &start_request("FailingWorkflow", vec![json!("boom")]),
            &none(),
        )
        .await
        .unwrap();
    let err = result_of(&client, &started.workflow_id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WorkflowFailed, "{err}");
    assert!(err.message().contains("boom"), "{err}");
    let failure = err.detail("failure").unwrap();
    assert_eq!(failure["message"], "boom");
    assert_eq!(failure["kind"], "application");
    assert_eq!(failure["type"], "MyFailure");
    assert_eq!(failure["non_retryable"], true);
    assert_eq!(failure["details"], json!([{"k": 1}]));
    assert!(!failure["stack_trace"].as_str().unwrap().is_empty());
    assert_eq!(failure["cause"]["type"], "RootCause");
    assert_eq!(failure["cause"]["message"], "root cause");
    assert_eq!(err.detail("run_id").unwrap(), &Value::Null);
    assert_eq!(
        err.detail("workflow_id").unwrap(),
        &json!(started.workflow_id)
    );
}

#[tokio::test]
async fn continue_as_new_is_followed_or_reported() {
    let client = client().await;
    let started = client
        .start_workflow(
            &start_request("ContinueAsNewWorkflow", vec![json!(3)]),
            &none(),
        )
        .await
        .unwrap();
    let followed = client
        .workflow_handle(&started.workflow_id, Some(started.run_id.clone()))
        .result(true, false, &none())
        .await
        .unwrap();
    assert_eq!(followed.result, Some(json!(3)));
    assert_ne!(
        followed.run_id.as_deref(),
        Some(started.run_id.as_str()),
        "ended in a later run"
    );

    let err = client
        .workflow_handle(&started.workflow_id, Some(started.run_id.clone()))
        .result(false, false, &none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WorkflowContinuedAsNew, "{err}");
    let next = err
        .detail("new_execution_run_id")
        .unwrap()
        .as_str()
        .unwrap();
    assert!(!next.is_empty() && next != started.run_id);
}

#[tokio::test]
async fn workflow_retry_is_followed() {
    let client = client().await;
    let mut request = start_request("RetryingWorkflow", vec![]);
    request.retry_policy = Some(RetryPolicy {
        initial_interval: Some(Duration::from_millis(100).into()),
        maximum_attempts: Some(3),
        ..Default::default()
    });
    let started = client.start_workflow(&request, &none()).await.unwrap();
    let handle = client.workflow_handle(&started.workflow_id, Some(started.run_id.clone()));
    let outcome = handle.result(true, false, &none()).await.unwrap();
    assert_eq!(outcome.result, Some(json!(2)), "second attempt succeeded");
    let first_attempt = handle.result(false, false, &none()).await.unwrap_err();
    assert_eq!(
        first_attempt.kind(),
        ErrorKind::WorkflowFailed,
        "{first_attempt}"
    );
}

#[tokio::test]
async fn cancel_runs_the_workflow_cleanup_and_ends_canceled() {
    let client = client().await;
    let started = client
        .start_workflow(&start_request("CancellableWorkflow", vec![]), &none())
        .await
        .unwrap();
    // Cancel once the long activity is really running, as in the Go sample.
    wait_for_description(
        &client,
        &started.workflow_id,
        Duration::from_secs(30),
        |d| {
            d["pending_activities"]
                .as_array()
                .is_some_and(|a| a.iter().any(|a| a["state"] == "started"))
        },
    )
    .await;
    let cleanup_file = devenv().cleanup_dir.join(&started.workflow_id);
    assert!(!cleanup_file.exists());
    client
        .cancel_workflow(
            &CancelWorkflowRequest {
                workflow_id: started.workflow_id.clone(),
                reason: Some("test wants it gone".into()),
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap();
    let err = result_of(&client, &started.workflow_id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WorkflowCanceled, "{err}");
    assert_eq!(
        std::fs::read_to_string(&cleanup_file).unwrap(),
        "cleanup done"
    );
    let description = wait_for_description(
        &client,
        &started.workflow_id,
        Duration::from_secs(5),
        |_| true,
    )
    .await;
    assert_eq!(description["status"], "canceled");
    assert_eq!(description["cancel_requested"], true);
}

#[tokio::test]
async fn cancel_is_idempotent_and_guarded_by_first_run() {
    let client = client().await;
    let started = client
        .start_workflow(
            &start_request("LongRunningWorkflow", vec![json!(30)]),
            &none(),
        )
        .await
        .unwrap();
    let wrong_guard = CancelWorkflowRequest {
        workflow_id: started.workflow_id.clone(),
        first_execution_run_id: Some(uuid::Uuid::new_v4().to_string()),
        ..Default::default()
    };
    let err = client
        .cancel_workflow(&wrong_guard, &none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let request = CancelWorkflowRequest {
        workflow_id: started.workflow_id.clone(),
        first_execution_run_id: Some(started.run_id.clone()),
        request_id: Some("same-logical-cancel".into()),
        ..Default::default()
    };
    client.cancel_workflow(&request, &none()).await.unwrap();
    // The same request again (as a retry would send it) is accepted.
    client.cancel_workflow(&request, &none()).await.unwrap();
    let err = result_of(&client, &started.workflow_id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WorkflowCanceled, "{err}");
}

#[tokio::test]
async fn unknown_workflow_ids_are_not_found() {
    let client = client().await;
    let missing = unique_id("missing");
    let err = client
        .cancel_workflow(
            &CancelWorkflowRequest {
                workflow_id: missing.clone(),
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(
        err.message().contains(&missing),
        "names the workflow: {err}"
    );
    assert_eq!(err.detail("grpc_code").unwrap(), "NOT_FOUND");

    let err = result_of(&client, &missing).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = client
        .workflow_handle(&missing, None)
        .describe(&none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = client
        .workflow_handle(&missing, None)
        .terminate(None, vec![], &none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn terminate_with_reason_and_details() {
    let client = client().await;
    let started = client
        .start_workflow(
            &start_request("LongRunningWorkflow", vec![json!(60)]),
            &none(),
        )
        .await
        .unwrap();
    client
        .terminate_workflow(
            &TerminateWorkflowRequest {
                workflow_id: started.workflow_id.clone(),
                reason: Some("operator said so".into()),
                details: vec![json!({"ticket": 42})],
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap();
    let err = result_of(&client, &started.workflow_id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WorkflowTerminated, "{err}");
    assert_eq!(err.detail("reason").unwrap(), "operator said so");
    assert_eq!(err.detail("details").unwrap(), &json!([{"ticket": 42}]));
}

#[tokio::test]
async fn execution_timeout_is_timed_out() {
    let client = client().await;
    let mut request = start_request("LongRunningWorkflow", vec![json!(60)]);
    request.execution_timeout = Some(Duration::from_secs(1).into());
    let started = client.start_workflow(&request, &none()).await.unwrap();
    let err = result_of(&client, &started.workflow_id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WorkflowTimedOut, "{err}");
    assert_eq!(err.detail("retry_state").unwrap(), "timeout");
}

#[tokio::test]
async fn describe_shows_status_type_queue_memo_and_timeouts() {
    let client = client().await;
    let mut request = start_request("LongRunningWorkflow", vec![json!(60)]);
    request.memo = Some(
        json!({"owner": "tests", "n": [1, 2]})
            .as_object()
            .unwrap()
            .clone(),
    );
    request.run_timeout = Some(Duration::from_secs(120).into());
    request.start_delay = Some(Duration::from_secs(1).into());
    let started = client.start_workflow(&request, &none()).await.unwrap();
    let description = client
        .workflow_handle(&started.workflow_id, Some(started.run_id.clone()))
        .describe(&none())
        .await
        .map(|d| serde_json::to_value(d).unwrap())
        .unwrap();
    assert_eq!(description["status"], "running");
    assert_eq!(description["workflow_id"], json!(started.workflow_id));
    assert_eq!(description["run_id"], json!(started.run_id));
    assert_eq!(description["workflow_type"], "LongRunningWorkflow");
    assert_eq!(description["task_queue"], json!(devenv().task_queue));
    assert_eq!(description["memo"], json!({"owner": "tests", "n": [1, 2]}));
    assert_eq!(description["run_timeout"], json!(120.0));
    assert!(description["start_time"].as_str().unwrap().ends_with('Z'));
    // The start delay moves the execution time past the start time.
    assert!(description["execution_time"].as_str() > description["start_time"].as_str());
    assert!(description["history_length"].as_i64().unwrap() >= 1);
    terminate(&client, &started.workflow_id).await;
}

#[tokio::test]
async fn result_wait_abandoned_by_token_returns_promptly_and_leaves_workflow_running() {
    let client = client().await;
    let started = client
        .start_workflow(
            &start_request("LongRunningWorkflow", vec![json!(300)]),
            &none(),
        )
        .await
        .unwrap();
    let token = CancellationToken::new();
    let waiter = {
        let client = client.clone();
        let call = CallOptions::with_cancel(token.clone());
        let id = started.workflow_id.clone();
        tokio::spawn(async move {
            client
                .get_workflow_result(&GetResultRequest::new(id), &call)
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let cancelled_at = Instant::now();
    token.cancel();
    let err = waiter.await.unwrap().unwrap_err();
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(1),
        "prompt: {:?}",
        cancelled_at.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
    assert!(err.message().contains(&started.workflow_id), "{err}");
    let description = client
        .workflow_handle(&started.workflow_id, None)
        .describe(&none())
        .await
        .map(|d| serde_json::to_value(d).unwrap())
        .unwrap();
    assert_eq!(description["status"], "running");
    assert_eq!(description["cancel_requested"], false);
    terminate(&client, &started.workflow_id).await;
}

#[tokio::test]
async fn result_wait_abandoned_by_deadline_and_by_client_close() {
    let client = client().await;
    let started = client
        .start_workflow(
            &start_request("LongRunningWorkflow", vec![json!(300)]),
            &none(),
        )
        .await
        .unwrap();
    let begun = Instant::now();
    let err = client
        .get_workflow_result(
            &GetResultRequest::new(&started.workflow_id),
            &CallOptions::with_timeout(Duration::from_millis(500)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DeadlineExceeded, "{err}");
    assert!(
        begun.elapsed() < Duration::from_secs(2),
        "prompt: {:?}",
        begun.elapsed()
    );

    let closing = common::client().await;
    let waiter = {
        let closing = closing.clone();
        let id = started.workflow_id.clone();
        tokio::spawn(async move {
            closing
                .get_workflow_result(&GetResultRequest::new(id), &none())
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    closing.close();
    let err = tokio::time::timeout(Duration::from_secs(2), waiter)
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Cancelled, "{err}");
    let err = closing
        .workflow_handle(&started.workflow_id, None)
        .describe(&none())
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Cancelled,
        "a closed client refuses new calls: {err}"
    );

    let description = client
        .workflow_handle(&started.workflow_id, None)
        .describe(&none())
        .await
        .map(|d| serde_json::to_value(d).unwrap())
        .unwrap();
    assert_eq!(description["status"], "running");
    terminate(&client, &started.workflow_id).await;
}

#[tokio::test]
async fn json_contract_roundtrip_and_strict_errors() {
    let client = client().await;
    let id = unique_id("json");
    let request = json!({
        "workflow_type": "MySimpleWorkflow",
        "task_queue": devenv().task_queue,
        "workflow_id": id,
        "args": ["JSON"],
        "execution_timeout": "1m",
        "id_reuse_policy": "reject_duplicate",
    });
    let response = call_json(&client, "start_workflow", request).await.unwrap();
    assert_eq!(response["workflow_id"], json!(id));
    let result = call_json(
        &client,
        "get_workflow_result",
        json!({"workflow_id": id, "call_timeout": 30}),
    )
    .await
    .unwrap();
    assert_eq!(result["result"], "Hello, JSON!");

    let cases = [
        (
            "start_workflow",
            r#"{"workflow_type": "W", "task_queue": "q", "colour": 1}"#,
            "colour",
        ),
        (
            "start_workflow",
            r#"{"workflow_type": 7, "task_queue": "q"}"#,
            "workflow_type",
        ),
        ("start_workflow", r#"{"task_queue": "q"}"#, "workflow_type"),
        (
            "start_workflow",
            r#"{"workflow_type": "W", "task_queue": "q", "id_reuse_policy": "sometimes"}"#,
            "id_reuse_policy",
        ),
        (
            "start_workflow",
            r#"{"workflow_type": "W", "task_queue": "q", "run_timeout": "soon"}"#,
            "run_timeout",
        ),
        (
            "start_workflow",
            r#"{"workflow_type": "", "task_queue": "q"}"#,
            "workflow_type",
        ),
        (
            "get_workflow_result",
            r#"{"workflow_id": "x", "follow_runs": "yes"}"#,
            "follow_runs",
        ),
        (
            "cancel_workflow",
            r#"{"workflow_id": ["x"]}"#,
            "workflow_id",
        ),
        (
            "cancel_workflow",
            r#"{"workflow_id": "x""#,
            "not valid JSON",
        ),
        ("terminate_workflow", "null", "must be a JSON object"),
        (
            "describe_workflow",
            r#"{"workflow_id": "x", "call_timeout": "later"}"#,
            "call_timeout",
        ),
        ("launch_rockets", "{}", "unknown operation"),
    ];
    for (operation, request, needle) in cases {
        let err = call_json_refused(&client, operation, request, needle).await;
        let as_json: Value = serde_json::from_str(&err.to_json()).unwrap();
        assert_eq!(as_json["kind"], "invalid_argument");
        // The same request as a value (where it is JSON) is refused alike.
        if let Ok(value) = serde_json::from_str::<Value>(request) {
            let err = client
                .call_value(operation, value, &none())
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
            assert!(err.message().contains(needle), "{operation}: {err}");
        }
    }

    // A key given twice is refused by name, and nothing is started (the JSON
    // text path; a parsed value cannot repeat a key).
    let twice = unique_id("twice");
    let request = format!(
        r#"{{"workflow_type": "MySimpleWorkflow", "task_queue": "{}", "workflow_id": "{twice}", "workflow_id": "{twice}-b"}}"#,
        devenv().task_queue
    );
    call_json_refused(&client, "start_workflow", &request, "appears twice").await;
    for id in [twice.clone(), format!("{twice}-b")] {
        let missing = client.workflow_handle(&id, None).describe(&none()).await;
        assert_eq!(missing.unwrap_err().kind(), ErrorKind::NotFound);
    }

    // call_value answers what call_json answers, as a value.
    let described = call_json(&client, "describe_workflow", json!({"workflow_id": id}))
        .await
        .unwrap();
    let as_value = client
        .call_value("describe_workflow", json!({"workflow_id": id}), &none())
        .await
        .unwrap();
    assert_eq!(as_value, described);
    let result = client
        .call_value("get_workflow_result", json!({"workflow_id": id}), &none())
        .await
        .unwrap();
    assert_eq!(result["result"], "Hello, JSON!");
    let cancelled = client
        .call_value(
            "cancel_workflow",
            json!({"workflow_id": unique_id("no-such")}),
            &none(),
        )
        .await
        .unwrap_err();
    assert_eq!(cancelled.kind(), ErrorKind::NotFound, "{cancelled}");
}

#[tokio::test]
async fn connect_errors_are_clear_and_never_leak_secrets() {
    // Nothing listens on this port: unavailable, promptly, naming the target.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut options = ConnectOptions::new(format!("127.0.0.1:{port}"));
    options.connect_timeout = Some(Duration::from_secs(2).into());
    let begun = Instant::now();
    let err = Client::connect(options).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.message().contains(&port.to_string()), "{err}");
    assert!(begun.elapsed() < Duration::from_secs(5));

    let secret = "sk-very-secret-api-key-123";
    // An API key implies TLS; the dev server speaks plaintext, so this fails.
    let mut options = ConnectOptions::new(devenv().target.clone());
    options.api_key = Some(secret.into());
    options.connect_timeout = Some(Duration::from_secs(3).into());
    assert!(!format!("{options:?}").contains(secret));
    let err = Client::connect(options.clone()).await.unwrap_err();
    assert!(!err.to_json().contains(secret) && !format!("{err:?}").contains(secret));
    // Explicitly plaintext: the dev server accepts (and ignores) the key.
    options.tls = Some(temporal_bridge_core::TlsSetting::Enabled(false));
    let client = Client::connect(options).await.unwrap();
    assert!(!format!("{client:?}").contains(secret));

    let err = Client::connect_json(r#"{"target": "127.0.0.1:1", "tls": {"client_cert": "x"}}"#)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let err = Client::connect_json(r#"{"target": "127.0.0.1:1", "namespce": "x"}"#)
        .await
        .unwrap_err();
    assert!(err.message().contains("namespce"), "{err}");
    let err = Client::connect_json(r#"{"target": ""}"#).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
}

#[tokio::test]
async fn unknown_namespace_is_reported() {
    let mut options = ConnectOptions::new(devenv().target.clone());
    options.namespace = "no-such-namespace".into();
    let client = Client::connect(options).await.unwrap();
    let mut request = start_request("MySimpleWorkflow", vec![json!("x")]);
    request.task_queue = devenv().task_queue.clone();
    let err = client.start_workflow(&request, &none()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.message().contains("no-such-namespace"), "{err}");
}

#[tokio::test]
async fn a_request_over_the_servers_size_limit_is_refused_once_and_briefly() {
    scenarios::oversized_request_is_refused_once(&client().await).await;
}

#[tokio::test]
async fn reset_runs_a_failed_workflow_again_until_it_completes() {
    scenarios::reset_runs_a_failed_workflow_again(&client().await).await;
}

#[tokio::test]
async fn started_handles_follow_the_chain_and_pinned_handles_stay_on_their_run() {
    let client = client().await;
    let request = start_request("ContinueAsNewWorkflow", vec![json!(2)]);
    let started = client.start_workflow(&request, &none()).await.unwrap();
    let from_start = client.started_workflow_handle(&started);
    let pinned = client.workflow_handle(&started.workflow_id, Some(started.run_id.clone()));
    let outcome = from_start.result(true, false, &none()).await.unwrap();
    assert_eq!(outcome.result, Some(json!(2)));
    // The started handle describes the chain's current (last) run ...
    let current = from_start.describe(&none()).await.unwrap();
    assert_ne!(current.summary.run_id, started.run_id);
    assert_eq!(current.summary.status, "completed");
    assert_eq!(current.first_run_id, started.run_id);
    // ... the pinned one the run it names.
    let first = pinned.describe(&none()).await.unwrap();
    assert_eq!(first.summary.run_id, started.run_id);
    assert_eq!(first.summary.status, "continued_as_new");
    assert_eq!(
        from_start.first_execution_run_id.as_deref(),
        Some(started.run_id.as_str())
    );
}
