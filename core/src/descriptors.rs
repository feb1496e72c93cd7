//! The protobuf descriptor set of the pinned temporalio-protos (see
//! build.rs): every message, enum and service of the Temporal API version
//! this library speaks, loaded once per process on first use. It gives
//! histories their proto-JSON form and lets `call_rpc` reach any method.

use crate::error::{Error, Result};
use prost_reflect::DescriptorPool;
use std::sync::OnceLock;

const DESCRIPTORS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/temporal_descriptors.bin"));

/// The bundled descriptors, decoded on first use.
pub(crate) fn descriptor_pool() -> Result<&'static DescriptorPool> {
    static POOL: OnceLock<std::result::Result<DescriptorPool, String>> = OnceLock::new();
    POOL.get_or_init(|| DescriptorPool::decode(DESCRIPTORS).map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| Error::internal(format!("the bundled proto descriptors do not load: {e}")))
}
