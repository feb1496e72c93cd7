//! Example 3: start the cancellable workflow, cancel it by ID once its
//! activity runs, and show that it ended canceled after its cleanup ran.

use std::time::Duration;
use temporal_bridge_core::{
    CallOptions, CancelWorkflowRequest, DescribeWorkflowRequest, ErrorKind, GetResultRequest,
    StartWorkflowRequest,
};

#[tokio::main]
async fn main() -> Result<(), temporal_bridge_core::Error> {
    let client = temporal_bridge_examples::connect().await?;
    let call = CallOptions::default();
    let workflow_id = format!("cancel_{}", uuid::Uuid::new_v4());
    let request = StartWorkflowRequest {
        workflow_type: "CancellableWorkflow".into(),
        task_queue: temporal_bridge_examples::task_queue(),
        workflow_id: Some(workflow_id.clone()),
        ..Default::default()
    };
    let started = client.start_workflow(&request, &call).await?;
    println!(
        "Started workflow WorkflowID {} RunID {}",
        started.workflow_id, started.run_id
    );

    // Cancel once the long activity is running, so there is work to clean up.
    let describe = DescribeWorkflowRequest {
        workflow_id: workflow_id.clone(),
        ..Default::default()
    };
    for _ in 0..300 {
        let description = client.describe_workflow(&describe, &call).await?;
        if !description.pending_activities.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let cancel = CancelWorkflowRequest {
        workflow_id: workflow_id.clone(),
        reason: Some("example 3 cancels it".into()),
        ..Default::default()
    };
    client.cancel_workflow(&cancel, &call).await?;
    println!("Requested cancellation of {workflow_id}");

    match client
        .get_workflow_result(&GetResultRequest::new(&workflow_id), &call)
        .await
    {
        Err(error) if error.kind() == ErrorKind::WorkflowCanceled => {
            println!("Workflow {workflow_id} ended: canceled");
        }
        Err(error) => return Err(error),
        Ok(outcome) => println!("Workflow completed unexpectedly: {:?}", outcome.result),
    }
    let status = client.describe_workflow(&describe, &call).await?;
    println!("Status: {}", status.summary.status);
    if let Ok(dir) = std::env::var("TB_CLEANUP_DIR") {
        let evidence = std::path::Path::new(&dir).join(&workflow_id);
        match std::fs::read_to_string(&evidence) {
            Ok(text) => println!("Cleanup activity ran: {} says {text:?}", evidence.display()),
            Err(_) => println!("Cleanup evidence not found at {}", evidence.display()),
        }
    }
    Ok(())
}
