//! Support shared by the workspace's tests, and the workspace-level integration tests.
//!
//! Tests over `../shared` (the public corpus and clarvynn's measured behaviour beside
//! the checkout) find it through [`shared_path`], which never lets a missing corpus
//! pass in silence: it says so on the real standard error (which the test harness does
//! not capture), and it fails the test when `CPL_REQUIRE_SHARED` is set, as CI sets it
//! whenever `../shared` exists.

pub mod browser;
pub mod collector;
pub mod conformance;

use std::io::Write as _;
use std::path::PathBuf;

/// The workspace's root directory.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from(".."), PathBuf::from)
}

/// `../shared/<relative>` beside the workspace, if it exists.
///
/// When it does not, the skip is announced on the process's standard error (bypassing
/// the harness's capture, so `cargo test` shows it), and the test fails if the
/// environment variable `CPL_REQUIRE_SHARED` is set.
pub fn shared_path(relative: &str) -> Option<PathBuf> {
    let path = workspace_root().join("..").join("shared").join(relative);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CPL_REQUIRE_SHARED").is_none(),
        "CPL_REQUIRE_SHARED is set but {} does not exist",
        path.display()
    );
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(
        std::io::stderr().lock(),
        "SKIPPED {test}: {} not found (put the shared corpus beside the checkout to run it)",
        path.display()
    );
    None
}
