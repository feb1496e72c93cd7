//! Makes the protobuf descriptor set of temporalio-protos available to
//! `include_bytes!`, for the proto-JSON form of histories. temporalio-protos
//! declares `links = "temporalio_protos"` and prints `descriptor_path`, which
//! Cargo hands to its direct dependents as `DEP_TEMPORALIO_PROTOS_DESCRIPTOR_PATH`.

use std::path::PathBuf;

fn main() {
    let source = std::env::var_os("DEP_TEMPORALIO_PROTOS_DESCRIPTOR_PATH")
        .map(PathBuf::from)
        .expect("temporalio-protos did not report its descriptor_path");
    println!("cargo:rerun-if-changed={}", source.display());
    println!("cargo:rerun-if-env-changed=DEP_TEMPORALIO_PROTOS_DESCRIPTOR_PATH");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::copy(&source, out.join("temporal_descriptors.bin")).unwrap_or_else(|e| {
        panic!(
            "copying the temporalio-protos descriptor set from {}: {e}",
            source.display()
        )
    });
}
