//! Example 2: in a separate process, knowing only the workflow ID, wait for
//! the workflow's result and print it. Usage: get_result <workflow-id>

use temporal_bridge_core::{CallOptions, GetResultRequest};

#[tokio::main]
async fn main() -> Result<(), temporal_bridge_core::Error> {
    let Some(workflow_id) = std::env::args().nth(1) else {
        eprintln!("usage: get_result <workflow-id>");
        std::process::exit(2);
    };
    let client = temporal_bridge_examples::connect().await?;
    let outcome = client
        .get_workflow_result(
            &GetResultRequest::new(&workflow_id),
            &CallOptions::default(),
        )
        .await?;
    println!(
        "Workflow {workflow_id} result: {}",
        outcome.result.unwrap_or_default()
    );
    Ok(())
}
