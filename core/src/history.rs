//! Workflow histories: every event of one run, fetched page by page and
//! optionally followed until the run closes, given as the canonical protobuf
//! JSON mapping (camelCase fields, enum names, 64-bit integers as strings,
//! bytes as base64) — the form `temporal workflow show --output json` prints
//! and every SDK can load for replay. The generated proto types have no
//! proto-JSON of their own, so the history is re-read through the descriptor
//! set of temporalio-protos (prost-reflect) and serialized from there.

use crate::client::{CallOptions, CallScope, Client, Repolls, RpcKind};
use crate::descriptors::descriptor_pool;
use crate::error::{Error, Result};
use crate::fields::{about_workflow, execution, require};
use crate::transport::method;
use prost::Message;
use prost_reflect::{DynamicMessage, SerializeOptions};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use temporalio_protos::temporal::api::enums::v1::HistoryEventFilterType;
use temporalio_protos::temporal::api::history::v1::{History, HistoryEvent};
use temporalio_protos::temporal::api::workflowservice::v1::GetWorkflowExecutionHistoryRequest;

const HISTORY_MESSAGE: &str = "temporal.api.history.v1.History";

/// Request of `fetch_history`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FetchHistoryRequest {
    /// Workflow ID.
    pub workflow_id: String,
    /// Run whose history to fetch; the latest run when absent.
    #[serde(default)]
    pub run_id: Option<String>,
    /// Keep waiting for new events until the run closes (completes, fails,
    /// is canceled, terminated, times out or continues as new).
    #[serde(default)]
    pub wait_for_close: bool,
    /// Run the events' payloads through the client's payload codec (a
    /// history is otherwise returned as stored, like every raw payload).
    #[serde(default)]
    pub decode: bool,
}

/// Response of `fetch_history`: the history as [`history_to_json`] writes it
/// (what [`Client::fetch_history`] returns, as the contract's response).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(transparent)]
pub(crate) struct HistoryResponse(pub(crate) Value);

impl From<Value> for HistoryResponse {
    fn from(history: Value) -> Self {
        HistoryResponse(history)
    }
}

impl JsonSchema for HistoryResponse {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "HistoryResponse".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "Response of `fetch_history`: the run's history \
                (`temporal.api.history.v1.History`) in the protobuf JSON mapping, as \
                `temporal workflow show --output json` prints it: lowerCamelCase \
                fields, enum names, 64-bit integers as strings, bytes as base64, \
                default values left out.",
            "type": "object",
            "properties": {
                "events": {
                    "description": "The events (`temporal.api.history.v1.HistoryEvent`), in order.",
                    "type": "array",
                    "items": {"type": "object"},
                },
            },
        })
    }
}

/// The canonical proto-JSON form of a history: `{"events": [...]}`.
pub fn history_to_json(history: &History) -> Result<Value> {
    let descriptor = descriptor_pool()?
        .get_message_by_name(HISTORY_MESSAGE)
        .ok_or_else(|| Error::internal(format!("no descriptor for {HISTORY_MESSAGE}")))?;
    let message = DynamicMessage::decode(descriptor, history.encode_to_vec().as_slice())
        .map_err(|e| Error::internal(format!("re-reading the history: {e}")))?;
    // The defaults are the canonical mapping's: lowerCamelCase names, enum
    // names, 64-bit integers as strings, default-valued fields left out.
    message
        .serialize_with_options(serde_json::value::Serializer, &SerializeOptions::new())
        .map_err(|e| Error::internal(format!("writing the history as JSON: {e}")))
}

impl Client {
    /// Fetches the history of one run, every page of it. With
    /// `wait_for_close`, long-polls for new events until the run's close
    /// event (bounded only by the call's deadline).
    pub async fn fetch_history_proto(
        &self,
        request: &FetchHistoryRequest,
        call: &CallOptions,
    ) -> Result<History> {
        require("workflow_id", &request.workflow_id)?;
        let workflow_id = request.workflow_id.as_str();
        self.scoped(call, |scope| {
            self.history_events(scope.replies_as_stored(!request.decode), request)
        })
        .await
        .map(|events| History { events })
        .map_err(about_workflow(workflow_id))
    }

    /// Every event of one run, within a running call's scope.
    pub(crate) async fn history_events(
        &self,
        scope: CallScope,
        request: &FetchHistoryRequest,
    ) -> Result<Vec<HistoryEvent>> {
        // A long poll while waiting (re-issued by its own deadline, transient
        // failures ridden out); an ordinary read otherwise.
        let kind = if request.wait_for_close {
            RpcKind::Patient
        } else {
            RpcKind::Ordinary
        };
        let mut events = Vec::new();
        let mut page_token = Vec::new();
        let mut repolls = Repolls::new();
        loop {
            let message = GetWorkflowExecutionHistoryRequest {
                namespace: self.namespace().to_owned(),
                execution: Some(execution(&request.workflow_id, &request.run_id)),
                maximum_page_size: 0,
                next_page_token: page_token.clone(),
                wait_new_event: request.wait_for_close,
                history_event_filter_type: HistoryEventFilterType::AllEvent as i32,
                skip_archival: false,
            };
            let response = self
                .rpc(scope, kind, message, method::get_workflow_execution_history)
                .await?;
            let before = events.len();
            if let Some(history) = response.history {
                events.extend(history.events);
            }
            // Waiting, the token stays set until the close event was
            // delivered; an empty page with a token is "poll again".
            if response.next_page_token.is_empty() {
                return Ok(events);
            }
            page_token = response.next_page_token;
            if events.len() == before {
                repolls.pace(self).await;
            }
        }
    }

    /// [`Client::fetch_history_proto`] as canonical proto-JSON (`{"events": [...]}`).
    pub async fn fetch_history(
        &self,
        request: &FetchHistoryRequest,
        call: &CallOptions,
    ) -> Result<Value> {
        history_to_json(&self.fetch_history_proto(request, call).await?)
    }
}

impl crate::workflow::WorkflowHandle {
    /// The history of the handle's run (the latest run when not pinned) as
    /// proto-JSON (see [`Client::fetch_history`]).
    pub async fn fetch_history(&self, wait_for_close: bool, call: &CallOptions) -> Result<Value> {
        let request = FetchHistoryRequest {
            workflow_id: self.workflow_id.clone(),
            run_id: self.target_run_id.clone(),
            wait_for_close,
            decode: false,
        };
        self.client.fetch_history(&request, call).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use temporalio_protos::temporal::api::enums::v1::EventType;
    use temporalio_protos::temporal::api::history::v1::{
        history_event::Attributes, HistoryEvent, WorkflowExecutionStartedEventAttributes,
    };

    #[test]
    fn history_is_canonical_proto_json() {
        let history = History {
            events: vec![HistoryEvent {
                event_id: 1,
                event_time: Some(prost_wkt_types::Timestamp {
                    seconds: 1_700_000_000,
                    nanos: 5_000_000,
                }),
                event_type: EventType::WorkflowExecutionStarted as i32,
                task_id: 1_048_587,
                attributes: Some(Attributes::WorkflowExecutionStartedEventAttributes(
                    WorkflowExecutionStartedEventAttributes {
                        workflow_task_timeout: Some(prost_wkt_types::Duration {
                            seconds: 10,
                            nanos: 0,
                        }),
                        attempt: 1,
                        ..Default::default()
                    },
                )),
                ..Default::default()
            }],
        };
        let json = history_to_json(&history).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"events": [{
                "eventId": "1",
                "eventTime": "2023-11-14T22:13:20.005Z",
                "eventType": "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED",
                "taskId": "1048587",
                "workflowExecutionStartedEventAttributes": {
                    "workflowTaskTimeout": "10s",
                    "attempt": 1,
                },
            }]})
        );
    }
}
