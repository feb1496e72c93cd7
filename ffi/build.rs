//! Gives the shared library an SONAME, so programs linked against it record
//! `libtemporal_bridge.so` (found through the loader path or an rpath) rather
//! than the absolute path of the file they were linked with.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if matches!(
        os.as_str(),
        "linux" | "android" | "freebsd" | "netbsd" | "openbsd"
    ) {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,libtemporal_bridge.so");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
