//! The C ABI of temporal-bridge: `libtemporal_bridge.{so,a}` and the
//! cbindgen-generated `include/temporal_bridge.h`.
//!
//! This crate only converts: C strings in, the core's JSON contract through
//! [`temporal_bridge_core::Client::call_json`], JSON strings and [`TbStatus`]
//! codes out. Every decision (validation, retries, error kinds) is the core's.
//! Layout: `pointers` owns every conversion between C pointers and Rust
//! values, `boundary` the panic boundary and output parameters, `call` the
//! blocking and callback machinery, `callback_threads` the few threads that
//! run async calls' callbacks; `client` exports the lifecycle and the
//! generic call by operation name, `operations` binds each core operation to
//! its named shorthand (generated into `shorthands` from the core's
//! operation table), and `cancel`,
//! `status`, `strings` export the rest.
//!
//! The user guide (ownership, threading, errors, example) is the header's
//! opening comment, kept in `cbindgen.toml`.

// Exported functions take raw pointers from C; their contracts are written
// in plain words in each function's documentation (which becomes the header),
// not in rustdoc `# Safety` sections.
#![allow(clippy::missing_safety_doc)]

mod boundary;
mod call;
mod callback_threads;
mod pointers;

// The exported functions, in the order the header lists them (cbindgen
// follows module order; the groups keep rustfmt from sorting them).
pub mod client;
pub mod operations;

pub mod codec;

pub mod worker;

pub mod shorthands;

pub mod rpc;

pub mod config;

pub mod metrics;

pub mod log;

pub mod contract;

pub mod cancel;

pub mod status;

pub mod strings;

pub use cancel::TbCancelToken;
pub use client::{TbCallCallback, TbClient, TbConnectCallback};
pub use status::TbStatus;
pub use worker::{TbActivityTask, TbWorker};
