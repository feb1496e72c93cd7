//! Rules every operation applies to its request fields: required strings,
//! optional IDs (empty means absent), the execution a request addresses,
//! request IDs, and the context server errors get.

use crate::error::{Error, Quoted, Result};
use temporalio_protos::temporal::api::common::v1::WorkflowExecution;

pub(crate) fn non_empty(value: &Option<String>) -> Option<String> {
    value.clone().filter(|v| !v.is_empty())
}

pub(crate) fn require(field: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(
            Error::invalid_argument(format!("{field} must not be empty"))
                .with_detail("field", field),
        );
    }
    Ok(())
}

pub(crate) fn execution(workflow_id: &str, run_id: &Option<String>) -> WorkflowExecution {
    WorkflowExecution {
        workflow_id: workflow_id.to_owned(),
        run_id: non_empty(run_id).unwrap_or_default(),
    }
}

pub(crate) fn new_request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Adds workflow context to server errors ("workflow X: ...") and the ID as a detail.
pub(crate) fn about_workflow(workflow_id: &str) -> impl Fn(Error) -> Error + '_ {
    move |e: Error| {
        e.context(format!("workflow {}", Quoted(workflow_id)))
            .with_detail("workflow_id", workflow_id)
    }
}
