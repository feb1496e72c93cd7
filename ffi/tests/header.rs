//! The committed C header must be exactly what cbindgen generates from the
//! current source: this test regenerates it and fails on any difference.
//! `TB_UPDATE_HEADER=1 cargo test -p temporal-bridge-ffi --test header`
//! rewrites the committed file instead.

use std::path::Path;

#[test]
fn committed_header_is_fresh() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
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

    if std::env::var_os("TB_UPDATE_HEADER").is_some() {
        std::fs::write(&header_path, &generated).expect("include/temporal_bridge.h is writable");
        return;
    }
    let committed = std::fs::read(&header_path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/temporal_bridge.h is stale (it differs from what cbindgen generates from ffi/src);\n\
         regenerate it with: TB_UPDATE_HEADER=1 cargo test -p temporal-bridge-ffi --test header"
    );

    // Every named operation function, blocking and async, is in the header.
    let text = String::from_utf8(generated).expect("the header is UTF-8");
    for (_, function) in temporal_bridge::operations::NAMED_OPERATIONS {
        for name in [function.to_string(), format!("{function}_async")] {
            assert!(
                text.contains(&format!("{name}(")),
                "{name} is missing from the header"
            );
        }
    }
}
