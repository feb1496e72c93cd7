//! Scenarios against the real dev server that run over plaintext and over
//! TLS alike: each test binary calls them with the client it connects (the
//! TLS ones through `tls_proxy`), so what production runs is what is tested.

use super::{call_json, none, result_of, start_request, unique_id};
use serde_json::json;
use std::time::{Duration, Instant};
use temporal_bridge_core::{Client, ErrorKind, ResetType, ResetWorkflowRequest};

/// A request the server can never accept (a 10 MB workflow ID) is refused
/// after one attempt, promptly, and the message quotes only a prefix of it.
pub async fn oversized_request_is_refused_once(client: &Client) {
    let mut request = start_request("MySimpleWorkflow", vec![json!("x")]);
    let huge_id = "w".repeat(10 * 1024 * 1024);
    request.workflow_id = Some(huge_id.clone());
    let begun = Instant::now();
    let err = client.start_workflow(&request, &none()).await.unwrap_err();
    // The server can never accept it: one attempt, not ten over 20 s.
    assert!(err.detail("attempts").is_none(), "{err:?}");
    assert!(
        begun.elapsed() < Duration::from_secs(5),
        "{:?}",
        begun.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::Rpc, "{}", err.message());
    assert_eq!(err.detail("grpc_code").unwrap(), "RESOURCE_EXHAUSTED");
    // The message quotes a bounded prefix of the ID, not all 10 MB of it.
    assert!(
        err.message().len() < 10 * 1024,
        "{} bytes",
        err.message().len()
    );
    assert!(err.message().contains("bytes in all"), "{}", err.message());
}

/// A failed `FailsOnceWorkflow` reset to its first workflow task runs again
/// and completes; bad and unknown resets are refused by name.
pub async fn reset_runs_a_failed_workflow_again(client: &Client) {
    let request = start_request("FailsOnceWorkflow", vec![]);
    let started = client.start_workflow(&request, &none()).await.unwrap();
    let err = result_of(client, &started.workflow_id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::WorkflowFailed, "{err}");

    // Both ways of naming the point at once are refused before any call.
    let both = ResetWorkflowRequest {
        workflow_id: started.workflow_id.clone(),
        reset_type: Some(ResetType::FirstWorkflowTask),
        event_id: Some(4),
        ..Default::default()
    };
    let err = client.reset_workflow(&both, &none()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert_eq!(err.detail("field").unwrap(), "event_id");

    // Back to the first workflow task: the workflow's code runs again, its
    // activity succeeds this time, and the new run completes.
    let handle = client.workflow_handle(&started.workflow_id, Some(started.run_id.clone()));
    let reset = handle
        .reset(
            Some(ResetType::FirstWorkflowTask),
            None,
            Some("try again".into()),
            &none(),
        )
        .await
        .unwrap();
    assert_eq!(reset.workflow_id, started.workflow_id);
    assert_ne!(reset.run_id, started.run_id);
    assert!(reset.event_id > 0);
    let outcome = client
        .workflow_handle(&started.workflow_id, None)
        .result(true, false, &none())
        .await
        .unwrap();
    assert_eq!(outcome.result, Some(json!("recovered")));
    let description = client
        .workflow_handle(&started.workflow_id, Some(reset.run_id.clone()))
        .describe(&none())
        .await
        .map(|d| serde_json::to_value(d).unwrap())
        .unwrap();
    assert_eq!(description["status"], "completed");

    // The JSON contract: by event ID, and an unknown workflow is not found.
    let response = call_json(
        client,
        "reset_workflow",
        json!({"workflow_id": started.workflow_id, "run_id": reset.run_id,
               "event_id": reset.event_id, "reason": "again", "reapply_signals": false}),
    )
    .await
    .unwrap();
    assert_ne!(response["run_id"], json!(reset.run_id));
    let missing = ResetWorkflowRequest {
        workflow_id: unique_id("no-such-workflow"),
        ..Default::default()
    };
    let err = client.reset_workflow(&missing, &none()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}
