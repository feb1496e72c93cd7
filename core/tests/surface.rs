//! End-to-end tests of the client surface beyond start/result/cancel: signal
//! and signal-with-start, query, update, list/count, history, async activity
//! completion and batch jobs, against a real Temporal dev server and the real
//! Python SDK worker (see `common`).

mod common;

use common::{
    call_json, call_json_refused, client, devenv, none, result_of, start_request, terminate,
    unique_id,
};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use temporal_bridge_core::{
    ActivityFailure, ActivityTarget, CallOptions, CancelWorkflowRequest, Client,
    CompleteActivityRequest, CountWorkflowsRequest, ErrorKind, ExecuteUpdateRequest,
    FailActivityRequest, FetchHistoryRequest, GetUpdateResultRequest, HeartbeatActivityRequest,
    ListWorkflowsRequest, QueryRejectConditionSetting, QueryWorkflowRequest,
    ReportActivityCancellationRequest, SignalWorkflowRequest, WaitBatchOperationRequest,
};

async fn start(client: &Client, workflow_type: &str, args: Vec<Value>) -> String {
    client
        .start_workflow(&start_request(workflow_type, args), &none())
        .await
        .unwrap()
        .workflow_id
}

/// Lets a `SignalQueryWorkflow` or `HandlerFailuresWorkflow` end.
async fn finish(client: &Client, workflow_id: &str) {
    client
        .workflow_handle(workflow_id, None)
        .signal("finish", vec![], &none())
        .await
        .unwrap();
}

async fn query(
    client: &Client,
    workflow_id: &str,
    query_type: &str,
) -> temporal_bridge_core::Result<Value> {
    client
        .workflow_handle(workflow_id, None)
        .query(query_type, vec![], &none())
        .await
}

/// Retries `attempt` until it gives `Some`, for at most `limit` (visibility
/// is eventually consistent; workers take a moment).
async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut attempt: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + limit;
    loop {
        if let Some(value) = attempt().await {
            return value;
        }
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn assert_invalid(err: &temporal_bridge_core::Error, needle: &str) {
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.message().contains(needle), "{err} should name {needle}");
}

// ------------------------------------------------------------ signal, query

#[tokio::test]
async fn signal_then_query_then_result_and_queries_after_close() {
    let client = client().await;
    let id = start(&client, "SignalQueryWorkflow", vec![]).await;
    let handle = client.workflow_handle(&id, None);
    handle.signal("add", vec![json!(1)], &none()).await.unwrap();
    // The same request ID twice, as a retry would send it: delivered once.
    let signal = SignalWorkflowRequest {
        workflow_id: id.clone(),
        signal_name: "add".into(),
        args: vec![json!({"a": [2, "ü"]})],
        request_id: Some(unique_id("signal")),
        ..Default::default()
    };
    client.signal_workflow(&signal, &none()).await.unwrap();
    client.signal_workflow(&signal, &none()).await.unwrap();
    let values = eventually(Duration::from_secs(20), "both signals handled", || async {
        let values = query(&client, &id, "values").await.unwrap();
        (values.as_array().unwrap().len() >= 2).then_some(values)
    })
    .await;
    assert_eq!(values, json!([1, {"a": [2, "ü"]}]));

    finish(&client, &id).await;
    assert_eq!(result_of(&client, &id).await.unwrap(), values);

    // A closed workflow still answers queries (a worker replays it)...
    assert_eq!(query(&client, &id, "values").await.unwrap(), values);
    let mut request = QueryWorkflowRequest {
        workflow_id: id.clone(),
        query_type: "values".into(),
        reject_condition: Some(QueryRejectConditionSetting::NotCompletedCleanly),
        ..Default::default()
    };
    let answer = client.query_workflow(&request, &none()).await.unwrap();
    assert_eq!(answer.result, Some(values.clone()));
    // ...unless the reject condition says otherwise.
    request.reject_condition = Some(QueryRejectConditionSetting::NotOpen);
    let err = client.query_workflow(&request, &none()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QueryRejected, "{err}");
    assert_eq!(err.detail("status").unwrap(), "completed");
    assert!(err.message().contains(&id), "{err}");

    // Raw mode passes the answer's payloads through.
    request.reject_condition = None;
    request.raw = true;
    let answer = client.query_workflow(&request, &none()).await.unwrap();
    assert_eq!(answer.result, None);
    let payloads = answer.payloads.unwrap();
    let decoded = temporal_bridge_core::payload::decode_payload(&payloads[0].to_proto().unwrap());
    assert_eq!(decoded, values);

    // A signal to a closed workflow is refused.
    let err = handle
        .signal("add", vec![json!(3)], &none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.message().contains(&id), "{err}");
}

#[tokio::test]
async fn query_failures_are_distinct_from_bad_requests() {
    let client = client().await;
    let id = start(&client, "HandlerFailuresWorkflow", vec![]).await;

    let err = query(&client, &id, "no_such_query").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QueryFailed, "{err}");
    assert!(err.message().contains("no_such_query"), "{err}");
    assert!(err.message().contains(&id), "{err}");
    assert_eq!(err.detail("query_type").unwrap(), "no_such_query");

    let err = query(&client, &id, "fail_query").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::QueryFailed, "{err}");
    assert!(err.message().contains("query handler failed"), "{err}");
    // The server signals this with INVALID_ARGUMENT plus a QueryFailedFailure
    // detail; it must not read as a malformed request.
    assert_eq!(err.detail("grpc_code").unwrap(), "INVALID_ARGUMENT");
    if let Some(failure) = err.detail("failure") {
        // Only when the worker's SDK sends the failure itself.
        assert_eq!(failure["message"], "query handler failed");
    }

    let missing = unique_id("missing");
    let err = query(&client, &missing, "values").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.message().contains(&missing), "{err}");
    let err = client
        .workflow_handle(&missing, None)
        .signal("add", vec![], &none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.message().contains(&missing), "{err}");

    finish(&client, &id).await;
    assert_eq!(result_of(&client, &id).await.unwrap(), "finished");
}

#[tokio::test]
async fn signal_with_start_starts_once_then_signals_the_running_workflow() {
    let client = client().await;
    let mut request = start_request("SignalQueryWorkflow", vec![]);
    request.start_signal = Some("add".into());
    request.start_signal_args = vec![json!("first")];
    let first = client.start_workflow(&request, &none()).await.unwrap();
    assert!(first.started);

    request.start_signal_args = vec![json!("second")];
    request.request_id = None;
    let second = client.start_workflow(&request, &none()).await.unwrap();
    assert!(!second.started, "the running workflow was signaled");
    assert_eq!(second.run_id, first.run_id);

    // Through the JSON contract as well.
    let third = call_json(
        &client,
        "start_workflow",
        json!({
            "workflow_type": "SignalQueryWorkflow",
            "task_queue": devenv().task_queue,
            "workflow_id": first.workflow_id,
            "start_signal": "add",
            "start_signal_args": ["third"],
        }),
    )
    .await
    .unwrap();
    assert_eq!(third["started"], false);
    assert_eq!(third["run_id"], json!(first.run_id));

    let id = first.workflow_id.clone();
    let values = eventually(Duration::from_secs(20), "three signals", || async {
        let values = query(&client, &id, "values").await.unwrap();
        (values.as_array().unwrap().len() >= 3).then_some(values)
    })
    .await;
    assert_eq!(values, json!(["first", "second", "third"]));
    finish(&client, &id).await;
    assert_eq!(result_of(&client, &id).await.unwrap(), values);

    let mut orphan_args = start_request("SignalQueryWorkflow", vec![]);
    orphan_args.start_signal_args = vec![json!(1)];
    let err = client
        .start_workflow(&orphan_args, &none())
        .await
        .unwrap_err();
    assert_invalid(&err, "start_signal");
    let mut empty_name = start_request("SignalQueryWorkflow", vec![]);
    empty_name.start_signal = Some(String::new());
    let err = client
        .start_workflow(&empty_name, &none())
        .await
        .unwrap_err();
    assert_invalid(&err, "start_signal");
}

// ------------------------------------------------------------------ update

#[tokio::test]
async fn update_returns_its_result_and_is_idempotent_by_id() {
    let client = client().await;
    let id = start(&client, "SignalQueryWorkflow", vec![]).await;
    let handle = client.workflow_handle(&id, None);
    let done = handle
        .execute_update("set_values", vec![json!([1, 2, 3])], &none())
        .await
        .unwrap();
    assert_eq!(done.result, Some(json!(3)));
    assert_eq!(
        done.update_id.len(),
        36,
        "a generated UUID: {}",
        done.update_id
    );
    assert!(done.run_id.is_some());
    assert_eq!(
        query(&client, &id, "values").await.unwrap(),
        json!([1, 2, 3])
    );

    // The same update ID again refers to the same update: not run twice.
    let request = ExecuteUpdateRequest {
        workflow_id: id.clone(),
        update_name: "set_values".into(),
        args: vec![json!(["x"])],
        update_id: Some("fixed-update".into()),
        ..Default::default()
    };
    let first = client.execute_update(&request, &none()).await.unwrap();
    assert_eq!(first.result, Some(json!(1)));
    let mut again = request.clone();
    again.args = vec![json!(["y", "z"])];
    let second = client.execute_update(&again, &none()).await.unwrap();
    assert_eq!(second.result, Some(json!(1)));
    assert_eq!(second.update_id, "fixed-update");
    assert_eq!(query(&client, &id, "values").await.unwrap(), json!(["x"]));

    // Its result, later, from another client.
    let other = common::client().await;
    let later = other
        .get_update_result(
            &GetUpdateResultRequest {
                workflow_id: id.clone(),
                update_id: "fixed-update".into(),
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap();
    assert_eq!(later.result, Some(json!(1)));

    // Through the JSON contract, raw.
    let raw = call_json(
        &client,
        "execute_update",
        json!({"workflow_id": id, "update_name": "set_values", "args": [[true]], "raw": true}),
    )
    .await
    .unwrap();
    assert!(raw.get("result").is_none(), "{raw}");
    assert_eq!(
        raw["payloads"][0]["data"], "MQ==",
        "1 as base64 JSON: {raw}"
    );

    finish(&client, &id).await;
    assert_eq!(result_of(&client, &id).await.unwrap(), json!([true]));
}

#[tokio::test]
async fn start_update_then_wait_for_its_result() {
    let client = client().await;
    let id = start(&client, "HandlerFailuresWorkflow", vec![]).await;
    let handle = client.workflow_handle(&id, None);
    let begun = Instant::now();
    let accepted = handle
        .start_update("slow_update", vec![json!(2)], &none())
        .await
        .unwrap();
    assert_eq!(accepted.result, None, "only accepted");
    assert!(
        begun.elapsed() < Duration::from_secs(2),
        "did not wait for completion: {:?}",
        begun.elapsed()
    );
    // A deadline shorter than the handler: the wait is abandoned, the update is not.
    let err = handle
        .update_result(
            &accepted.update_id,
            &CallOptions::with_timeout(Duration::from_millis(200)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DeadlineExceeded, "{err}");
    let done = handle
        .update_result(&accepted.update_id, &none())
        .await
        .unwrap();
    assert_eq!(done.result, Some(json!("slept 2.0")));
    assert!(begun.elapsed() >= Duration::from_secs(2));

    let by_json = call_json(
        &client,
        "get_update_result",
        json!({"workflow_id": id, "update_id": accepted.update_id}),
    )
    .await
    .unwrap();
    assert_eq!(by_json["result"], "slept 2.0");
    assert_eq!(by_json["update_id"], json!(accepted.update_id));

    finish(&client, &id).await;
    result_of(&client, &id).await.unwrap();
}

#[tokio::test]
async fn rejected_failed_and_unknown_updates_are_update_failed() {
    let client = client().await;
    let id = start(&client, "SignalQueryWorkflow", vec![]).await;
    let handle = client.workflow_handle(&id, None);

    // Rejected by its validator.
    let err = handle
        .execute_update("set_values", vec![json!("not a list")], &none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UpdateFailed, "{err}");
    assert!(err.message().contains("expects a list"), "{err}");
    assert_eq!(err.detail("update_name").unwrap(), "set_values");
    assert!(err.detail("update_id").is_some());
    // Even when only waiting for acceptance: rejection is the outcome.
    let err = handle
        .start_update("set_values", vec![json!(7)], &none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UpdateFailed, "{err}");

    // No handler of that name.
    let err = handle
        .execute_update("no_such_update", vec![], &none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UpdateFailed, "{err}");
    assert!(err.message().contains("no_such_update"), "{err}");

    // Accepted, then failed by its handler: the failure chain comes along.
    let failing = start(&client, "HandlerFailuresWorkflow", vec![]).await;
    let err = client
        .workflow_handle(&failing, None)
        .execute_update("fail_update", vec![json!("update went wrong")], &none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UpdateFailed, "{err}");
    let failure = err.detail("failure").unwrap();
    assert_eq!(failure["message"], "update went wrong");
    assert_eq!(failure["type"], "UpdateFailure");
    assert_eq!(failure["details"], json!([{"k": 2}]));
    assert_eq!(failure["cause"]["type"], "RootCause");
    assert_eq!(
        err.to_json_value()["kind"],
        "update_failed",
        "stable kind in JSON"
    );

    // Unknown workflow, unknown update ID.
    let missing = unique_id("missing");
    let err = client
        .workflow_handle(&missing, None)
        .execute_update("set_values", vec![json!([])], &none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.message().contains(&missing), "{err}");
    let err = handle
        .update_result(
            "no-such-update-id",
            &CallOptions::with_timeout(Duration::from_secs(20)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.message().contains(&id), "{err}");

    for workflow_id in [&id, &failing] {
        finish(&client, workflow_id).await;
    }
}

// -------------------------------------------------------------- visibility

#[tokio::test]
async fn list_pages_and_count_with_groups() {
    let client = client().await;
    let prefix = unique_id("listed");
    let mut ids = Vec::new();
    for n in 0..3 {
        let mut request = start_request("MySimpleWorkflow", vec![json!(format!("n{n}"))]);
        request.workflow_id = Some(format!("{prefix}-{n}"));
        request.memo = Some(json!({"n": n}).as_object().unwrap().clone());
        client.start_workflow(&request, &none()).await.unwrap();
        ids.push(request.workflow_id.unwrap());
    }
    let running = start_request("LongRunningWorkflow", vec![json!(60)]);
    let mut running = running;
    running.workflow_id = Some(format!("{prefix}-running"));
    client.start_workflow(&running, &none()).await.unwrap();
    for id in &ids {
        result_of(&client, id).await.unwrap();
    }
    let query = format!("WorkflowId STARTS_WITH '{prefix}'");

    // Count, eventually consistent.
    let count_request = CountWorkflowsRequest {
        query: Some(format!("{query} AND ExecutionStatus = 'Completed'")),
    };
    eventually(
        Duration::from_secs(30),
        "3 completed in visibility",
        || async {
            let counted = client
                .count_workflows(&count_request, &none())
                .await
                .unwrap();
            (counted.count == 3).then_some(())
        },
    )
    .await;
    let grouped = client
        .count_workflows(
            &CountWorkflowsRequest {
                query: Some(format!("{query} GROUP BY ExecutionStatus")),
            },
            &none(),
        )
        .await
        .unwrap();
    assert_eq!(grouped.count, 4);
    let mut groups: Vec<(Value, i64)> = grouped
        .groups
        .iter()
        .map(|g| (Value::Array(g.group_values.clone()), g.count))
        .collect();
    groups.sort_by_key(|g| g.0.to_string());
    assert_eq!(
        groups,
        vec![(json!(["Completed"]), 3), (json!(["Running"]), 1)]
    );

    // List, two per page, through the JSON contract (base64 page tokens).
    let mut listed = Vec::new();
    let mut token = Value::Null;
    let mut pages = 0;
    loop {
        let page = call_json(
            &client,
            "list_workflows",
            json!({"query": format!("{query} AND ExecutionStatus = 'Completed'"), "page_size": 2, "next_page_token": token}),
        )
        .await
        .unwrap();
        pages += 1;
        let executions = page["executions"].as_array().unwrap();
        assert!(executions.len() <= 2);
        listed.extend(executions.iter().cloned());
        token = page["next_page_token"].clone();
        if token.is_null() {
            break;
        }
        assert!(pages < 10, "paging ends");
    }
    assert!(pages >= 2, "three executions take two pages of two");
    let mut listed_ids: Vec<&str> = listed
        .iter()
        .map(|e| e["workflow_id"].as_str().unwrap())
        .collect();
    listed_ids.sort();
    assert_eq!(
        listed_ids,
        ids.iter().map(String::as_str).collect::<Vec<_>>()
    );
    let first = listed
        .iter()
        .find(|e| e["workflow_id"] == json!(ids[0]))
        .unwrap();
    assert_eq!(first["workflow_type"], "MySimpleWorkflow");
    assert_eq!(first["status"], "completed");
    assert_eq!(first["task_queue"], json!(devenv().task_queue));
    assert_eq!(first["memo"], json!({"n": 0}));
    assert!(first["run_id"].as_str().unwrap().len() == 36);
    assert!(first["start_time"].as_str().unwrap().ends_with('Z'));
    assert!(first["close_time"].as_str().unwrap() >= first["start_time"].as_str().unwrap());
    assert!(first["history_length"].as_i64().unwrap() >= 5);

    // Typed API: one page with everything.
    let all = client
        .list_workflows(
            &ListWorkflowsRequest {
                query: query.clone(),
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap();
    assert_eq!(all.executions.len(), 4);
    assert_eq!(all.next_page_token, None);

    // Malformed input.
    let err = client
        .list_workflows(
            &ListWorkflowsRequest {
                query: "WorkflowId ==== nonsense".into(),
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap_err();
    assert_invalid(&err, "nonsense");
    let err = client
        .count_workflows(
            &CountWorkflowsRequest {
                query: Some("NoSuchAttribute = 'x'".into()),
            },
            &none(),
        )
        .await
        .unwrap_err();
    assert_invalid(&err, "NoSuchAttribute");
    let err = call_json(
        &client,
        "list_workflows",
        json!({"query": "", "next_page_token": "%%%"}),
    )
    .await
    .unwrap_err();
    assert_invalid(&err, "next_page_token");
    let err = call_json(&client, "list_workflows", json!({"page_size": 0}))
        .await
        .unwrap_err();
    assert_invalid(&err, "page_size");

    terminate(&client, &running.workflow_id.unwrap()).await;
}

// ----------------------------------------------------------------- history

fn temporal_cli_history(workflow_id: &str) -> Value {
    let output = std::process::Command::new(common::repo_root().join(".venv/bin/temporal"))
        .args([
            "workflow",
            "show",
            "--address",
            &devenv().target,
            "--namespace",
            &devenv().namespace,
            "--workflow-id",
            workflow_id,
            "--output",
            "json",
        ])
        .output()
        .expect("running the temporal CLI");
    assert!(
        output.status.success(),
        "temporal workflow show: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the CLI prints JSON")
}

#[tokio::test]
async fn history_is_the_same_proto_json_the_temporal_cli_prints() {
    let client = client().await;
    let id = start(&client, "SignalQueryWorkflow", vec![]).await;
    let handle = client.workflow_handle(&id, None);
    handle
        .signal("add", vec![json!({"k": "v"})], &none())
        .await
        .unwrap();
    handle
        .execute_update("set_values", vec![json!([1])], &none())
        .await
        .unwrap();
    finish(&client, &id).await;
    result_of(&client, &id).await.unwrap();

    let ours = handle.fetch_history(false, &none()).await.unwrap();
    let cli = temporal_cli_history(&id);
    let summary = |history: &Value| -> Vec<(String, String)> {
        history["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["eventId"].as_str().unwrap().to_owned(),
                    e["eventType"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(summary(&ours), summary(&cli));
    assert_eq!(
        summary(&ours).last().unwrap().1,
        "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
    );
    // Not only the same events: the same canonical JSON, field for field.
    assert_eq!(ours, cli);
}

#[tokio::test]
async fn history_wait_for_close_follows_new_events_until_the_close_event() {
    let client = client().await;
    let id = start(&client, "LongRunningWorkflow", vec![json!(2)]).await;
    let begun = Instant::now();
    let history = call_json(
        &client,
        "fetch_history",
        json!({"workflow_id": id, "wait_for_close": true, "call_timeout": 60}),
    )
    .await
    .unwrap();
    assert!(
        begun.elapsed() >= Duration::from_millis(1500),
        "waited for the timer"
    );
    let events = history["events"].as_array().unwrap();
    assert_eq!(
        events.last().unwrap()["eventType"],
        "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
    );
    assert!(events
        .iter()
        .any(|e| e["eventType"] == "EVENT_TYPE_TIMER_FIRED"));
    let ids: Vec<i64> = events
        .iter()
        .map(|e| e["eventId"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(
        ids,
        (1..=ids.len() as i64).collect::<Vec<_>>(),
        "no gaps, no repeats"
    );

    // Without waiting, a running workflow's history so far.
    let running = start(&client, "LongRunningWorkflow", vec![json!(60)]).await;
    let so_far = client
        .fetch_history(
            &FetchHistoryRequest {
                workflow_id: running.clone(),
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap();
    assert_eq!(
        so_far["events"][0]["eventType"],
        "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
    );
    // Waiting is abandoned by the call's deadline, promptly.
    let begun = Instant::now();
    let err = client
        .fetch_history(
            &FetchHistoryRequest {
                workflow_id: running.clone(),
                wait_for_close: true,
                ..Default::default()
            },
            &CallOptions::with_timeout(Duration::from_millis(500)),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::DeadlineExceeded, "{err}");
    assert!(begun.elapsed() < Duration::from_secs(2));
    terminate(&client, &running).await;

    let missing = unique_id("missing");
    let err = client
        .workflow_handle(&missing, None)
        .fetch_history(false, &none())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.message().contains(&missing), "{err}");
}

// ------------------------------------------------ async activity completion

/// What the worker's `async_activity` published about itself.
async fn published_activity(workflow_id: &str) -> Value {
    let path: PathBuf = devenv()
        .cleanup_dir
        .join(format!("{workflow_id}.activity.json"));
    eventually(Duration::from_secs(30), "the activity started", || {
        let path = path.clone();
        async move {
            std::fs::read_to_string(&path)
                .ok()
                .map(|text| serde_json::from_str::<Value>(&text).unwrap())
        }
    })
    .await
}

#[tokio::test]
async fn async_activity_completed_by_task_token_and_by_id() {
    let client = client().await;
    let by_token = start(&client, "AsyncActivityWorkflow", vec![]).await;
    let by_id = start(&client, "AsyncActivityWorkflow", vec![]).await;

    let info = published_activity(&by_token).await;
    let token = info["task_token"].as_str().unwrap().to_owned();
    let heartbeat = client
        .heartbeat_activity(
            &HeartbeatActivityRequest {
                task_token: Some(token.clone()),
                details: vec![json!({"progress": 50})],
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap();
    assert!(!heartbeat.cancel_requested);
    // The heartbeat details are visible on the pending activity.
    let description = client
        .workflow_handle(&by_token, None)
        .describe(&none())
        .await
        .map(|d| serde_json::to_value(d).unwrap())
        .unwrap();
    assert_eq!(
        description["pending_activities"][0]["heartbeat_details"],
        json!([{"progress": 50}])
    );
    call_json(
        &client,
        "complete_activity",
        json!({"task_token": token, "result": {"done": "by token"}}),
    )
    .await
    .unwrap();
    assert_eq!(
        result_of(&client, &by_token).await.unwrap(),
        json!({"done": "by token"})
    );
    // Completing it again: the activity is gone.
    let err = client
        .complete_activity(
            &CompleteActivityRequest {
                task_token: Some(token),
                result: Some(json!(1)),
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");

    let info = published_activity(&by_id).await;
    let handle = client.async_activity_handle(ActivityTarget::Id {
        workflow_id: by_id.clone(),
        run_id: info["run_id"].as_str().map(str::to_owned),
        activity_id: info["activity_id"].as_str().unwrap().to_owned(),
    });
    let heartbeat = handle.heartbeat(&[], &none()).await.unwrap();
    assert!(!heartbeat.cancel_requested);
    handle
        .complete(Some(&json!([1, 2])), &none())
        .await
        .unwrap();
    assert_eq!(result_of(&client, &by_id).await.unwrap(), json!([1, 2]));
}

#[tokio::test]
async fn async_activity_failed_and_cancelled() {
    let client = client().await;
    let failing = start(&client, "AsyncActivityWorkflow", vec![]).await;
    let info = published_activity(&failing).await;
    client
        .fail_activity(
            &FailActivityRequest {
                workflow_id: Some(failing.clone()),
                activity_id: info["activity_id"].as_str().map(str::to_owned),
                failure: ActivityFailure {
                    message: "external system said no".into(),
                    error_type: Some("ExternalRefusal".into()),
                    non_retryable: true,
                    details: vec![json!({"code": 409})],
                    next_retry_delay: None,
                },
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap();
    let err = result_of(&client, &failing).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WorkflowFailed, "{err}");
    let failure = err.detail("failure").unwrap();
    assert_eq!(failure["kind"], "activity");
    assert_eq!(failure["cause"]["message"], "external system said no");
    assert_eq!(failure["cause"]["type"], "ExternalRefusal");
    assert_eq!(failure["cause"]["details"], json!([{"code": 409}]));

    // Cancelling the workflow reaches the activity as cancel_requested on its
    // next heartbeat; reporting the cancellation lets the workflow end.
    let cancelled = start(&client, "AsyncActivityWorkflow", vec![]).await;
    let info = published_activity(&cancelled).await;
    let token = info["task_token"].as_str().unwrap().to_owned();
    client
        .cancel_workflow(
            &CancelWorkflowRequest {
                workflow_id: cancelled.clone(),
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap();
    eventually(Duration::from_secs(20), "cancel_requested", || async {
        let beat = call_json(&client, "heartbeat_activity", json!({"task_token": token}))
            .await
            .unwrap();
        (beat["cancel_requested"] == true).then_some(())
    })
    .await;
    client
        .report_activity_cancellation(
            &ReportActivityCancellationRequest {
                task_token: Some(token),
                details: vec![json!("stopped")],
                ..Default::default()
            },
            &none(),
        )
        .await
        .unwrap();
    let err = result_of(&client, &cancelled).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WorkflowCanceled, "{err}");
}

#[tokio::test]
async fn async_activity_errors_name_what_is_wrong() {
    let client = client().await;
    let missing = unique_id("missing");
    let err = call_json(
        &client,
        "heartbeat_activity",
        json!({"workflow_id": missing, "activity_id": "1"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.message().contains(&missing), "{err}");
    assert_eq!(err.detail("activity_id").unwrap(), "1");

    // A running workflow without such an activity.
    let id = start(&client, "AsyncActivityWorkflow", vec![]).await;
    published_activity(&id).await;
    let err = call_json(
        &client,
        "complete_activity",
        json!({"workflow_id": id, "activity_id": "no-such-activity"}),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.message().contains("no-such-activity"), "{err}");
    terminate(&client, &id).await;

    // A token the server cannot read.
    let err = call_json(&client, "complete_activity", json!({"task_token": "AAAA"}))
        .await
        .unwrap_err();
    assert_invalid(&err, "task token");

    let cases = [
        ("complete_activity", json!({"result": 1}), "task_token"),
        (
            "complete_activity",
            json!({"task_token": "%%%"}),
            "task_token",
        ),
        ("complete_activity", json!({"task_token": ""}), "task_token"),
        (
            "complete_activity",
            json!({"task_token": "AAAA", "workflow_id": "w", "activity_id": "1"}),
            "not both",
        ),
        (
            "heartbeat_activity",
            json!({"workflow_id": "w"}),
            "activity_id",
        ),
        (
            "complete_activity",
            json!({"task_token": "AAAA", "result": 1, "raw_result": {"data": ""}}),
            "raw_result",
        ),
        ("fail_activity", json!({"task_token": "AAAA"}), "failure"),
        (
            "fail_activity",
            json!({"task_token": "AAAA", "failure": {"message": "m", "kind": "x"}}),
            "kind",
        ),
        (
            "report_activity_cancellation",
            json!({"task_token": "AAAA", "details": 5}),
            "details",
        ),
    ];
    for (operation, request, needle) in cases {
        call_json_refused(&client, operation, &request.to_string(), needle).await;
    }
}

// ------------------------------------------------------------------- batch

/// Starts `n` long-running workflows sharing an ID prefix and waits until
/// visibility lists them all as running; returns the prefix's query.
async fn running_batch(client: &Client, n: usize) -> (String, Vec<String>) {
    let prefix = unique_id("batch");
    let mut ids = Vec::new();
    for i in 0..n {
        let mut request = start_request("LongRunningWorkflow", vec![json!(300)]);
        request.workflow_id = Some(format!("{prefix}-{i}"));
        client.start_workflow(&request, &none()).await.unwrap();
        ids.push(request.workflow_id.unwrap());
    }
    let query = format!("WorkflowId STARTS_WITH '{prefix}' AND ExecutionStatus = 'Running'");
    let count = CountWorkflowsRequest {
        query: Some(query.clone()),
    };
    eventually(Duration::from_secs(30), "visible as running", || async {
        let counted = client.count_workflows(&count, &none()).await.unwrap();
        (counted.count == n as i64).then_some(())
    })
    .await;
    (query, ids)
}

#[tokio::test]
async fn batch_terminate_and_cancel_by_query_and_wait_for_the_job() {
    let client = client().await;
    // One test, one job at a time: the dev server runs one batch job per
    // namespace at once.
    let (query, ids) = running_batch(&client, 2).await;
    let started = call_json(
        &client,
        "batch_terminate_workflows",
        json!({"query": query, "reason": "batch test"}),
    )
    .await
    .unwrap();
    let job_id = started["job_id"].as_str().unwrap().to_owned();
    assert_eq!(job_id.len(), 36, "a generated UUID: {job_id}");
    let job = call_json(
        &client,
        "wait_batch_operation",
        json!({"job_id": job_id, "call_timeout": 60}),
    )
    .await
    .unwrap();
    assert_eq!(job["state"], "completed", "{job}");
    assert_eq!(job["operation_type"], "terminate_workflow", "{job}");
    assert_eq!(job["total_operation_count"], 2, "{job}");
    assert_eq!(job["complete_operation_count"], 2, "{job}");
    assert_eq!(job["failure_operation_count"], 0, "{job}");
    assert_eq!(job["reason"], "batch test");
    for id in &ids {
        let err = result_of(&client, id).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WorkflowTerminated, "{err}");
        assert_eq!(err.detail("reason").unwrap(), "batch test");
    }

    let (query, ids) = running_batch(&client, 2).await;
    let job_id = unique_id("cancel-job");
    let started = client
        .batch_cancel_workflows(
            &temporal_bridge_core::BatchWorkflowsRequest {
                query,
                reason: "batch cancel test".into(),
                job_id: Some(job_id.clone()),
            },
            &none(),
        )
        .await
        .unwrap();
    assert_eq!(started.job_id, job_id);
    let job = client
        .wait_batch_operation(
            &WaitBatchOperationRequest {
                job_id: job_id.clone(),
            },
            &CallOptions::with_timeout(Duration::from_secs(60)),
        )
        .await
        .unwrap();
    assert_eq!(job.state, "completed");
    assert_eq!(job.operation_type, "cancel_workflow");
    assert_eq!(job.complete_operation_count, 2);
    for id in &ids {
        let err = result_of(&client, id).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::WorkflowCanceled, "{err}");
    }

    let err = client
        .wait_batch_operation(
            &WaitBatchOperationRequest {
                job_id: "no-such-job".into(),
            },
            &none(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.message().contains("no-such-job"), "{err}");
    for (request, needle) in [
        (json!({"query": "", "reason": "r"}), "query"),
        (json!({"query": "WorkflowId = 'x'"}), "reason"),
        (
            json!({"query": "WorkflowId = 'x'", "reason": "r", "jobid": "j"}),
            "jobid",
        ),
    ] {
        let err = call_json(&client, "batch_cancel_workflows", request)
            .await
            .unwrap_err();
        assert_invalid(&err, needle);
    }
}

// ------------------------------------------------------------ JSON contract

#[tokio::test]
async fn json_contract_of_the_new_operations_is_strict() {
    let client = client().await;
    let cases = [
        (
            "signal_workflow",
            json!({"workflow_id": "w"}),
            "signal_name",
        ),
        (
            "signal_workflow",
            json!({"workflow_id": "w", "signal_name": "s", "args": {"a": 1}}),
            "args",
        ),
        (
            "signal_workflow",
            json!({"workflow_id": "", "signal_name": "s"}),
            "workflow_id",
        ),
        (
            "signal_workflow",
            json!({"workflow_id": "w", "signal_name": "s", "args": [1], "raw_args": []}),
            "raw_args",
        ),
        ("query_workflow", json!({"workflow_id": "w"}), "query_type"),
        (
            "query_workflow",
            json!({"workflow_id": "w", "query_type": "q", "reject_condition": "never"}),
            "reject_condition",
        ),
        (
            "query_workflow",
            json!({"workflow_id": "w", "query_type": ""}),
            "query_type",
        ),
        ("execute_update", json!({"workflow_id": "w"}), "update_name"),
        (
            "execute_update",
            json!({"workflow_id": "w", "update_name": "u", "wait_for_stage": "admitted"}),
            "wait_for_stage",
        ),
        (
            "get_update_result",
            json!({"workflow_id": "w"}),
            "update_id",
        ),
        (
            "get_update_result",
            json!({"workflow_id": "w", "update_id": ""}),
            "update_id",
        ),
        ("list_workflows", json!({"page_size": -1}), "page_size"),
        ("list_workflows", json!({"querry": ""}), "querry"),
        ("count_workflows", json!({"query": 5}), "query"),
        ("fetch_history", json!({}), "workflow_id"),
        (
            "fetch_history",
            json!({"workflow_id": "w", "wait_for_close": "yes"}),
            "wait_for_close",
        ),
        ("wait_batch_operation", json!({}), "job_id"),
        ("wait_batch_operation", json!({"job_id": ""}), "job_id"),
    ];
    for (operation, request, needle) in cases {
        call_json_refused(&client, operation, &request.to_string(), needle).await;
    }
    for operation in temporal_bridge_core::OPERATIONS {
        let err = client
            .call_json(operation, "[]", &none())
            .await
            .unwrap_err();
        assert!(
            err.message().contains("must be a JSON object"),
            "{operation}: {err}"
        );
    }
    // Every new kind has a stable name that parses back.
    for name in ["query_failed", "query_rejected", "update_failed"] {
        let kind = ErrorKind::from_str_name(name).unwrap();
        assert_eq!(kind.as_str(), name);
    }
}
