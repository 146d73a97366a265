//! Lays out the release binary's code with `symbol-order.txt` (written by
//! `scripts/symbol-order.py`): the functions that run at start-up first, then
//! the request path, hottest first. The kernel maps code 64 KB around every
//! page a process touches, so with start-up code scattered through 10 MB of
//! text most of it ended up resident; laid out together, idle memory is ~6 MB
//! smaller (docs/design.md, "Code layout and idle memory").
//!
//! Only where the linker is known to be lld, which takes the file as given:
//! rustc links x86_64 Linux binaries with its bundled lld since 1.90, unless
//! told to use another linker.

use std::path::Path;
use std::process::Command;

fn main() {
    // The directory of this build, read when the script runs: `env!` would
    // bake in where the script was compiled, and cargo reuses a compiled
    // build script for an identical crate checked out elsewhere (a git
    // worktree sharing the target directory), which then looked for the
    // file in a checkout that no longer existed and linked without it.
    let Some(manifest_dir) = std::env::var_os("CARGO_MANIFEST_DIR") else {
        return;
    };
    let order = Path::new(&manifest_dir).join("symbol-order.txt");
    println!("cargo:rerun-if-changed={}", order.display());
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    if !order.exists()
        || !links_with_bundled_lld()
        || std::env::var("PROFILE").as_deref() != Ok("release")
    {
        return;
    }
    println!(
        "cargo:rustc-link-arg-bin=dynalith=-Wl,--symbol-ordering-file={}",
        order.display()
    );
    // A name the file lists but this build lacks (code changed since the file
    // was written) only loses its place; it is not an error.
    println!("cargo:rustc-link-arg-bin=dynalith=-Wl,--no-warn-symbol-ordering");
}

fn links_with_bundled_lld() -> bool {
    let env = |name: &str| std::env::var(name).unwrap_or_default();
    // RUSTC_LINKER: a linker configured for the target, by config or environment.
    if env("TARGET") != "x86_64-unknown-linux-gnu" || !env("RUSTC_LINKER").is_empty() {
        return false;
    }
    let rustflags = env("CARGO_ENCODED_RUSTFLAGS");
    if rustflags.contains("linker") || rustflags.contains("fuse-ld") {
        return false;
    }
    rustc_minor_version().is_some_and(|minor| minor >= 90)
}

/// The minor version of the rustc building this crate (`rustc 1.95.0 (...)`).
fn rustc_minor_version() -> Option<u32> {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let output = Command::new(rustc).arg("--version").output().ok()?;
    let version = String::from_utf8(output.stdout).ok()?;
    let mut numbers = version.split_whitespace().nth(1)?.split('.');
    if numbers.next()? != "1" {
        return None;
    }
    numbers.next()?.parse().ok()
}
