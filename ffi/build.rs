//! Gives the shared library an SONAME that carries the ABI's major version
//! (`libtemporal_bridge.so.1`), so programs linked against it record that
//! name and a library of another major is never loaded in its place; and
//! puts the `libtemporal_bridge.so.1` link beside the built library, so
//! programs linked straight from `target/<profile>` find it there too.

/// The ABI major version (`TB_ABI_VERSION_MAJOR`; a test checks they agree).
const ABI_MAJOR: u32 = 1;

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(
        os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd"
    ) {
        let soname = format!("libtemporal_bridge.so.{ABI_MAJOR}");
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{soname}");
        // OUT_DIR is <target>/<profile>/build/<crate>-<hash>/out.
        if let Some(profile_dir) = std::env::var_os("OUT_DIR")
            .map(std::path::PathBuf::from)
            .and_then(|out| out.ancestors().nth(3).map(|p| p.to_path_buf()))
        {
            let link = profile_dir.join(&soname);
            if std::fs::read_link(&link).is_err() {
                let _ = std::fs::remove_file(&link);
                #[cfg(unix)]
                let _ = std::os::unix::fs::symlink("libtemporal_bridge.so", &link);
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
