//! Shared bits of the Rust examples: where the server is (`TB_TARGET`,
//! default `127.0.0.1:7233`) and which task queue the worker polls
//! (`TB_TASK_QUEUE`, default `mytaskqueue`).

use temporal_bridge_core::{Client, ConnectOptions, Error};

/// The task queue the examples use.
pub fn task_queue() -> String {
    std::env::var("TB_TASK_QUEUE").unwrap_or_else(|_| "mytaskqueue".to_owned())
}

/// Connects to the server named by `TB_TARGET`.
pub async fn connect() -> Result<Client, Error> {
    let target = std::env::var("TB_TARGET").unwrap_or_else(|_| "127.0.0.1:7233".to_owned());
    Client::connect(ConnectOptions::new(target)).await
}
