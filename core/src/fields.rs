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

/// A random (v4) UUID from the thread's CSPRNG: no system call per call, as
/// `Uuid::new_v4` makes.
pub(crate) fn new_request_id() -> String {
    uuid::Builder::from_random_bytes(rand::random())
        .into_uuid()
        .to_string()
}

/// Adds workflow context to server errors ("workflow X: ...") and the ID as a detail.
pub(crate) fn about_workflow(workflow_id: &str) -> impl Fn(Error) -> Error + '_ {
    move |e: Error| {
        e.context(format!("workflow {}", Quoted(workflow_id)))
            .with_detail("workflow_id", workflow_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_are_distinct_random_uuids() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| new_request_id()).collect();
        assert_eq!(ids.len(), 1000);
        for id in &ids {
            let uuid = uuid::Uuid::parse_str(id).unwrap();
            assert_eq!(uuid.get_version(), Some(uuid::Version::Random), "{id}");
            assert_eq!(uuid.get_variant(), uuid::Variant::RFC4122, "{id}");
            assert_eq!(id, &uuid.hyphenated().to_string());
        }
    }
}
