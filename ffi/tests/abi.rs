//! The shared library as a binding loads it: its dynamic symbol table
//! exports exactly the `tb_` functions (nothing of Rust's or of a
//! dependency's that a binding could come to rely on), every function the
//! header declares among them; and its soname carries the ABI's major
//! version.

use std::path::PathBuf;
use std::process::Command;

/// The shared library cargo built with this test: `cargo test` leaves it in
/// `target/<profile>/deps/` beside the test binary (only `cargo build` also
/// copies it up to `target/<profile>/`, so that copy may be missing or older).
fn library() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/abi-<hash>
    let path = exe.with_file_name("libtemporal_bridge.so");
    assert!(
        path.is_file(),
        "{path:?} is missing: cargo builds it with the crate"
    );
    path
}

fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} (binutils) is needed: {e}"));
    assert!(out.status.success(), "{program} {args:?} failed: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn exported_symbols_are_exactly_the_tb_functions() {
    let library = library();
    let table = tool("nm", &["-D", "--defined-only", library.to_str().unwrap()]);
    let exported: Vec<&str> = table
        .lines()
        .filter_map(|line| line.split_whitespace().nth(2))
        .collect();
    let foreign: Vec<&&str> = exported.iter().filter(|s| !s.starts_with("tb_")).collect();
    assert!(
        foreign.is_empty(),
        "symbols other than tb_* are exported: {foreign:?}"
    );
    // Every function of the header is there (a declared function the
    // library lacks would fail only when a binding loads it).
    let header = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../include/temporal_bridge.h"),
    )
    .unwrap();
    let declared: Vec<&str> = header
        .lines()
        .filter_map(|line| {
            let name = line.split('(').next()?.rsplit([' ', '*']).next()?;
            (name.starts_with("tb_") && line.contains('(') && !line.starts_with(' '))
                .then_some(name)
        })
        .collect();
    assert!(
        declared.len() > 50,
        "parsed too few declarations: {declared:?}"
    );
    let missing: Vec<&&str> = declared.iter().filter(|d| !exported.contains(d)).collect();
    assert!(missing.is_empty(), "declared but not exported: {missing:?}");
}

#[test]
fn the_soname_carries_the_abi_major_version() {
    let library = library();
    let dynamic = tool("readelf", &["-d", library.to_str().unwrap()]);
    let want = format!(
        "Library soname: [libtemporal_bridge.so.{}]",
        temporal_bridge::strings::TB_ABI_VERSION_MAJOR
    );
    assert!(dynamic.contains(&want), "want {want} in\n{dynamic}");
    assert_eq!(
        temporal_bridge::strings::tb_abi_version() >> 16,
        temporal_bridge::strings::TB_ABI_VERSION_MAJOR
    );
}
