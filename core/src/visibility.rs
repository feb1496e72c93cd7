//! Visibility: listing and counting workflow executions with a visibility
//! query (`WorkflowType = 'X' AND ExecutionStatus = 'Running'`). Lists come a
//! page at a time, the page token crossing the JSON boundary as base64.
//! Visibility is eventually consistent: a workflow started a moment ago may
//! not be listed yet.

use crate::client::{CallOptions, Client, RpcKind};
use crate::description::WorkflowSummary;
use crate::error::{Error, Result};
use crate::payload::decode_payload;
use crate::transport::method;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use temporalio_protos::temporal::api::workflowservice::v1::{
    CountWorkflowExecutionsRequest, ListWorkflowExecutionsRequest,
};

/// Request of `list_workflows`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListWorkflowsRequest {
    /// Visibility query; empty lists every workflow of the namespace.
    #[serde(default)]
    pub query: String,
    /// Most executions per page; the server's default when absent.
    #[serde(default)]
    pub page_size: Option<u32>,
    /// Where to continue: the `next_page_token` of the previous page (base64).
    #[serde(default)]
    pub next_page_token: Option<String>,
    /// Return memo and search attributes as raw payloads.
    #[serde(default)]
    pub raw: bool,
    /// With `raw`: run the payloads through the client's payload codec
    /// first (raw payloads are otherwise returned as stored).
    #[serde(default)]
    pub decode: bool,
}

/// Response of `list_workflows`: one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ListWorkflowsResponse {
    /// The executions of this page, each what the start of its
    /// `describe_workflow` says.
    pub executions: Vec<WorkflowSummary>,
    /// Token of the next page (base64), `null` after the last page.
    pub next_page_token: Option<String>,
}

/// Request of `count_workflows`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CountWorkflowsRequest {
    /// Visibility query, optionally with `GROUP BY ExecutionStatus`; counts
    /// every workflow of the namespace when absent.
    #[serde(default)]
    pub query: Option<String>,
}

/// One group of a `GROUP BY` count.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CountGroup {
    /// The values of the grouped-by attributes, e.g. `["Running"]`.
    pub group_values: Vec<Value>,
    /// Executions in this group.
    pub count: i64,
}

/// Response of `count_workflows`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct CountWorkflowsResponse {
    /// Executions matching the query.
    pub count: i64,
    /// Per-group counts when the query has `GROUP BY`, else empty.
    pub groups: Vec<CountGroup>,
}

impl Client {
    /// Lists one page of the workflow executions matching a visibility query.
    pub async fn list_workflows(
        &self,
        request: &ListWorkflowsRequest,
        call: &CallOptions,
    ) -> Result<ListWorkflowsResponse> {
        let page_size = match request.page_size {
            None => 0,
            Some(0) => return Err(Error::invalid_argument("page_size must be at least 1")),
            Some(n) => {
                i32::try_from(n).map_err(|_| Error::invalid_argument("page_size is too large"))?
            }
        };
        let next_page_token = match request.next_page_token.as_deref() {
            None | Some("") => Vec::new(),
            Some(token) => BASE64.decode(token).map_err(|e| {
                Error::invalid_argument(format!("next_page_token is not valid base64: {e}"))
                    .with_detail("field", "next_page_token")
            })?,
        };
        let message = ListWorkflowExecutionsRequest {
            namespace: self.namespace().to_owned(),
            page_size,
            next_page_token,
            query: request.query.clone(),
        };
        let response = self
            .scoped(call, |scope| {
                self.rpc(
                    scope.replies_as_stored(request.raw && !request.decode),
                    RpcKind::Ordinary,
                    message,
                    method::list_workflow_executions,
                )
            })
            .await
            .map_err(|e| about_query(e, &request.query))?;
        Ok(ListWorkflowsResponse {
            executions: response
                .executions
                .iter()
                .map(|info| WorkflowSummary::from_proto(info, request.raw))
                .collect(),
            next_page_token: (!response.next_page_token.is_empty())
                .then(|| BASE64.encode(&response.next_page_token)),
        })
    }

    /// Counts the workflow executions matching a visibility query.
    pub async fn count_workflows(
        &self,
        request: &CountWorkflowsRequest,
        call: &CallOptions,
    ) -> Result<CountWorkflowsResponse> {
        let query = request.query.clone().unwrap_or_default();
        let message = CountWorkflowExecutionsRequest {
            namespace: self.namespace().to_owned(),
            query: query.clone(),
        };
        let response = self
            .scoped(call, |scope| {
                self.rpc(
                    scope,
                    RpcKind::Ordinary,
                    message,
                    method::count_workflow_executions,
                )
            })
            .await
            .map_err(|e| about_query(e, &query))?;
        Ok(CountWorkflowsResponse {
            count: response.count,
            groups: response
                .groups
                .iter()
                .map(|g| CountGroup {
                    group_values: g.group_values.iter().map(decode_payload).collect(),
                    count: g.count,
                })
                .collect(),
        })
    }
}

/// Names the query in errors: a malformed one is the usual cause.
fn about_query(error: Error, query: &str) -> Error {
    error
        .context(format!("visibility query {query:?}"))
        .with_detail("query", query)
}
