//! The committed generated files must be exactly what the current source
//! generates; this test regenerates them and fails on any difference:
//! - `ffi/src/shorthands.rs`: the named C functions (`tb_workflow_start`,
//!   ...), one blocking and one `_async` per row of the core's operation
//!   table (cbindgen cannot expand macros, so they are written out);
//! - `include/temporal_bridge.h`: what cbindgen generates from `ffi/src`;
//! - `include/temporal_bridge.schema.json`: the JSON Schemas of the contract,
//!   `temporal_bridge_core::contract_schema()` pretty-printed.
//!
//! `TB_UPDATE_HEADER=1 cargo test -p temporal-bridge-ffi --test header`
//! rewrites the committed files instead.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use temporal_bridge_core::OPERATION_TABLE;

fn updating() -> bool {
    std::env::var_os("TB_UPDATE_HEADER").is_some()
}

fn check_or_write(path: &Path, generated: &[u8], what: &str) {
    if updating() {
        std::fs::write(path, generated).unwrap_or_else(|e| panic!("{path:?} is not writable: {e}"));
        return;
    }
    let committed = std::fs::read(path).unwrap_or_default();
    assert!(
        committed == generated,
        "{what} is stale (it differs from what the source generates);\n\
         regenerate it with: TB_UPDATE_HEADER=1 cargo test -p temporal-bridge-ffi --test header"
    );
}

/// One doc comment from `text`'s lines.
fn doc(out: &mut String, text: &str) {
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() {
            out.push_str("///\n");
        } else {
            writeln!(out, "/// {line}").unwrap();
        }
    }
}

fn shorthands_source() -> Vec<u8> {
    let mut out = String::from(
        "//! The named C functions of the operations: one blocking and one `_async`\n\
         //! function per row of the core's operation table, forwarding to the\n\
         //! generic call with the operation's name.\n\
         //!\n\
         //! GENERATED from `temporal_bridge_core::OPERATION_TABLE` by\n\
         //! `TB_UPDATE_HEADER=1 cargo test -p temporal-bridge-ffi --test header`;\n\
         //! do not edit (the same test fails when this file is stale).\n\
         \n\
         use crate::cancel::TbCancelToken;\n\
         use crate::client::{TbCallCallback, TbClient};\n\
         use crate::operations::{run_async, run_blocking, Named};\n\
         use crate::status::TbStatus;\n\
         use std::ffi::{c_char, c_void};\n",
    );
    for operation in OPERATION_TABLE {
        let name = operation.name;
        let function = operation.c_function;
        let named = format!("Named::new({name:?}, {function:?})");
        out.push('\n');
        doc(&mut out, operation.doc);
        writeln!(
            out,
            "///\n/// Runs the `{name}` operation; arguments and outputs as `tb_client_call`."
        )
        .unwrap();
        writeln!(
            out,
            "#[no_mangle]\n\
             pub unsafe extern \"C\" fn {function}(\n\
             client: *const TbClient,\n\
             request_json: *const c_char,\n\
             cancel: *const TbCancelToken,\n\
             response_out: *mut *mut c_char,\n\
             error_out: *mut *mut c_char,\n\
             ) -> TbStatus {{\n\
             // SAFETY: the header's contract, as for tb_client_call.\n\
             unsafe {{ run_blocking({named}, client, request_json, cancel, response_out, error_out) }}\n\
             }}\n"
        )
        .unwrap();
        writeln!(
            out,
            "/// Async form of `{function}`; callback contract as `tb_client_call_async`.\n\
             #[no_mangle]\n\
             pub unsafe extern \"C\" fn {function}_async(\n\
             client: *const TbClient,\n\
             request_json: *const c_char,\n\
             cancel: *const TbCancelToken,\n\
             callback: TbCallCallback,\n\
             user_data: *mut c_void,\n\
             ) -> TbStatus {{\n\
             // SAFETY: the header's contract, as for tb_client_call_async.\n\
             unsafe {{ run_async({named}, client, request_json, cancel, callback, user_data) }}\n\
             }}"
        )
        .unwrap();
    }
    rustfmt(out)
}

/// `source` as `cargo fmt` leaves it, so the committed file passes
/// `cargo fmt --check` as generated.
fn rustfmt(source: String) -> Vec<u8> {
    let mut child = Command::new(std::env::var("RUSTFMT").unwrap_or_else(|_| "rustfmt".into()))
        .args(["--edition", "2021", "--emit", "stdout", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("rustfmt runs (it comes with the Rust toolchain)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(source.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "rustfmt failed on the generated source"
    );
    output.stdout
}

#[test]
fn committed_generated_files_are_fresh() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    // Shorthands first: the header is generated from them.
    check_or_write(
        &crate_dir.join("src/shorthands.rs"),
        &shorthands_source(),
        "ffi/src/shorthands.rs",
    );

    let header_path = crate_dir.join("../include/temporal_bridge.h");
    let config = cbindgen::Config::from_file(crate_dir.join("cbindgen.toml"))
        .expect("ffi/cbindgen.toml is readable");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_config(config)
        .with_src(crate_dir.join("src/lib.rs"))
        .generate()
        .expect("cbindgen can generate the header")
        .write(&mut generated);
    check_or_write(&header_path, &generated, "include/temporal_bridge.h");

    let mut schema = serde_json::to_string_pretty(&temporal_bridge_core::contract_schema())
        .expect("the contract's schema is JSON");
    schema.push('\n');
    check_or_write(
        &crate_dir.join("../include/temporal_bridge.schema.json"),
        schema.as_bytes(),
        "include/temporal_bridge.schema.json",
    );

    // Every operation's function, blocking and async, is in the header.
    let text = String::from_utf8(generated).expect("the header is UTF-8");
    for operation in OPERATION_TABLE {
        let function = operation.c_function;
        for name in [function.to_string(), format!("{function}_async")] {
            assert!(
                text.contains(&format!("{name}(")),
                "{name} is missing from the header"
            );
        }
    }
}
