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

mod client;
mod contract;
pub mod duration;
mod error;
mod options;
pub mod payload;
pub mod runtime;
mod workflow;

pub use client::{CallOptions, Client};
pub use contract::{parse_strict, CALL_TIMEOUT_FIELD, OPERATIONS};
pub use error::{Error, ErrorKind, Result};
pub use options::{ConnectOptions, RetrySettings, TlsOptions, TlsSetting};
pub use tokio_util::sync::CancellationToken;
pub use workflow::{
    CancelWorkflowRequest, DescribeWorkflowRequest, GetResultRequest, IdConflictPolicy,
    IdReusePolicy, RetryPolicy, StartWorkflowRequest, StartWorkflowResponse,
    TerminateWorkflowRequest, WorkflowHandle, WorkflowResult,
};
