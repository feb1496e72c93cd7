//! temporal-bridge core: a Temporal client with a typed async Rust API and a
//! JSON contract shared by the C and Python bindings.
//!
//! ```no_run
//! # async fn demo() -> Result<(), temporal_bridge_core::Error> {
//! use temporal_bridge_core::{CallOptions, Client, ConnectOptions, StartWorkflowRequest};
//! let client = Client::connect(ConnectOptions::new("127.0.0.1:7233")).await?;
//! let started = client
//!     .start_workflow(
//!         &StartWorkflowRequest {
//!             workflow_type: "MySimpleWorkflow".into(),
//!             task_queue: "mytaskqueue".into(),
//!             args: vec!["World".into()],
//!             ..Default::default()
//!         },
//!         &CallOptions::default(),
//!     )
//!     .await?;
//! let handle = client.workflow_handle(started.workflow_id, None);
//! let outcome = handle.result(true, false, &CallOptions::default()).await?;
//! println!("{:?}", outcome.result);
//! # Ok(()) }
//! ```

mod activity_completion;
mod batch;
mod client;
pub mod codec;
mod codec_server;
mod contract;
mod description;
mod descriptors;
pub mod duration;
mod envconfig;
mod error;
mod fields;
mod header;
mod history;
mod json_text;
mod log;
mod metrics;
mod operations;
mod options;
pub mod payload;
mod reset;
mod rpc;
pub mod runtime;
mod schedule;
mod schema;
mod signal_query;
mod status;
mod transport;
mod update;
mod visibility;
mod worker;
mod workflow;

pub use activity_completion::{
    ActivityFailure, ActivityTarget, AsyncActivityHandle, CompleteActivityRequest,
    FailActivityRequest, HeartbeatActivityRequest, HeartbeatActivityResponse,
    ReportActivityCancellationRequest,
};
pub use batch::{
    BatchOperationResponse, BatchStartedResponse, BatchWorkflowsRequest, WaitBatchOperationRequest,
};

pub use client::{CallOptions, Client, CredentialsUpdate};
pub use contract::{check_abi_version, Empty, ABI_VERSION, CALL_TIMEOUT_FIELD, RPC_TIMEOUT_FIELD};
pub use description::{
    ExecutionRef, PendingActivity, PendingChild, WorkflowDescription, WorkflowSummary,
};
pub use envconfig::{
    load_client_config, ClientConfigCodec, ClientConfigProfile, ClientConfigTls, DataSource,
    LoadConfigOptions, DEFAULT_ADDRESS,
};
pub use error::{Error, ErrorKind, Result};
pub use header::{TraceContext, TRACER_HEADER};
pub use history::{history_to_json, FetchHistoryRequest};
pub use json_text::parse_strict;
pub use log::{set_log_sink, LogLevel, LogRecord, LogSink};
pub use metrics::{
    configure_metrics, configure_metrics_json, configure_metrics_with_sink, metrics_info,
    metrics_snapshot, prometheus_text, MetricKind, MetricRecord, MetricSample, MetricSink,
    MetricsInfo, MetricsOptions,
};
pub use operations::{Operation, OPERATIONS, OPERATION_TABLE};
pub use options::{
    BasicAuth, Compression, ConnectOptions, ConnectRequest, HttpConnectProxy, KeepaliveOptions,
    KeepaliveSetting, RetrySettings, TlsOptions, TlsSetting,
};
pub use reset::{ResetType, ResetWorkflowRequest, ResetWorkflowResponse};
pub use rpc::{
    find_rpc_method, list_rpc_methods, rpc_methods, CallRpcRequest, CallRpcResponse,
    ListRpcMethodsRequest, ListRpcMethodsResponse, ProtoRequest, ProtoResponse, Repeat, RpcMethod,
    RPC_SERVICES,
};
pub use schedule::{
    CreateScheduleRequest, CreateScheduleResponse, ListSchedulesRequest, ListSchedulesResponse,
    PatchScheduleRequest, ScheduleBackfill, ScheduleDescription, ScheduleIdRequest,
    UpdateScheduleRequest,
};
pub use schema::contract_schema;
pub use signal_query::{
    QueryRejectConditionSetting, QueryWorkflowRequest, QueryWorkflowResponse, SignalWorkflowRequest,
};
pub use tokio_util::sync::CancellationToken;
pub use update::{ExecuteUpdateRequest, GetUpdateResultRequest, UpdateResponse, UpdateWaitStage};
pub use visibility::{
    CountGroup, CountWorkflowsRequest, CountWorkflowsResponse, ListWorkflowsRequest,
    ListWorkflowsResponse,
};
pub use worker::{
    ActivityAnswer, ActivityHandler, ActivityInfo, ActivityTask, ActivityWorker,
    ActivityWorkerOptions, AsyncHandler, BlockingHandler, CancelReason, WorkerStats,
};
pub use workflow::{
    CancelWorkflowRequest, DescribeWorkflowRequest, GetResultRequest, IdConflictPolicy,
    IdReusePolicy, RetryPolicy, StartWorkflowRequest, StartWorkflowResponse,
    TerminateWorkflowRequest, WorkflowHandle, WorkflowResult,
};
