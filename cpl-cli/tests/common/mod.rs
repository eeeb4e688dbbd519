//! What every CLI test needs: the workspace root, and a way to run the real `cpl`.
#![allow(dead_code)] // each test crate uses a different part

use std::path::{Path, PathBuf};
use std::process::Command;

/// The workspace root: tests run `cpl` from here, so paths in output are relative.
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs `cpl` from the workspace root without colour: (exit code, stdout, stderr).
pub(crate) fn cpl(args: &[&str]) -> (i32, String, String) {
    cpl_in(&workspace_root(), args)
}

/// Runs `cpl` in `dir` without colour: (exit code, stdout, stderr).
pub(crate) fn cpl_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_cpl"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .expect("run cpl");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs `cpl` from the workspace root with its stdout closed at once (as `cpl … | head`
/// does): (exit code, stderr).
pub(crate) fn cpl_with_closed_stdout(args: &[&str]) -> (i32, String) {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_cpl"))
        .args(args)
        .current_dir(workspace_root())
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cpl");
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    let status = child.wait().expect("wait");
    (status.code().unwrap_or(-1), stderr)
}
