//! Example 1: start `MySimpleWorkflow` by its type name and print its IDs.
//! Usage: start_workflow [name]

use temporal_bridge_core::{CallOptions, StartWorkflowRequest};

#[tokio::main]
async fn main() -> Result<(), temporal_bridge_core::Error> {
    let name = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "World".to_owned());
    let client = temporal_bridge_examples::connect().await?;
    let request = StartWorkflowRequest {
        workflow_type: "MySimpleWorkflow".into(),
        task_queue: temporal_bridge_examples::task_queue(),
        workflow_id: Some(format!("myworkflow_{}", uuid::Uuid::new_v4())),
        args: vec![name.into()],
        ..Default::default()
    };
    let started = client
        .start_workflow(&request, &CallOptions::default())
        .await?;
    println!(
        "Started workflow WorkflowID {} RunID {}",
        started.workflow_id, started.run_id
    );
    Ok(())
}
