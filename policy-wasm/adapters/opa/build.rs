//! Link flags for the OPA module: only this crate's wasm build gets them.

fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if arch != "wasm32" {
        return;
    }
    // OPA hosts supply `env.memory` (npm: 5 pages, opa-py-wasm: 2 pages) and refuse a module that
    // declares more initial pages than they give: a 32 KiB stack keeps everything inside 2 pages.
    for arg in [
        "--import-memory",
        "-zstack-size=32768",
        "--initial-memory=131072",
        "--stack-first",
    ] {
        println!("cargo::rustc-link-arg-cdylib={arg}");
    }
}
