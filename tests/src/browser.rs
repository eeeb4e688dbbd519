//! Headless Chromium, driven by its command-line switches, for the HTML report's
//! browser test: load a page, read its DOM, its console and a screenshot.
//!
//! Switches rather than the DevTools protocol: the report has no script to drive, and
//! what the test needs (the serialised DOM, console messages, a screenshot at a width)
//! each takes one run of `chromium` with `--dump-dom`, `--enable-logging=stderr` or
//! `--screenshot`. No protocol client, no websocket, no crate to keep in step with
//! Chromium's versions. Every run gets a fresh profile directory, its own process group
//! and a deadline: past it the whole group (browser, zygote, renderers) is killed.

use std::io::Write as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How long one Chromium run may take before it is killed.
pub const DEADLINE: Duration = Duration::from_secs(90);

/// The switches of every run: headless, no sandbox (CI runs as root), no GPU, and
/// nothing that would reach the network.
const SWITCHES: [&str; 8] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
];

/// Chromium on this machine, if any: `chromium` (Debian's package), else
/// `chromium-browser`, on the `PATH`.
///
/// When there is none, the skip is announced on the real standard error, and the
/// test fails instead if `CPL_REQUIRE_CHROMIUM` is set (as `.ci/run` sets it once it has
/// installed Chromium).
pub fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join(name))
                .find(|path| path.is_file())
        })
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CPL_REQUIRE_CHROMIUM").is_none(),
            "CPL_REQUIRE_CHROMIUM is set but no `chromium` is on the PATH"
        );
        let thread = std::thread::current();
        let _ = writeln!(
            std::io::stderr().lock(),
            "SKIPPED {}: chromium not found (apt-get install chromium)",
            thread.name().unwrap_or("a browser test")
        );
    }
    found
}

/// What one run printed.
pub struct Run {
    /// Standard output (the DOM, with `--dump-dom`).
    pub stdout: String,
    /// Standard error (the log, console messages included).
    pub stderr: String,
}

impl Run {
    /// The page's console messages: the log lines Chromium tags `CONSOLE`, whatever
    /// their level.
    pub fn console(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|line| line.contains(":CONSOLE"))
            .collect()
    }
}

/// Runs `chromium` on `page` with `extra` switches and a fresh profile, killed with its
/// children after [`DEADLINE`].
pub fn run(chromium: &Path, page: &Path, extra: &[&str]) -> Result<Run, String> {
    let profile = tempfile::tempdir().map_err(|error| format!("no profile dir: {error}"))?;
    let output = tempfile::tempdir().map_err(|error| format!("no output dir: {error}"))?;
    let (out_path, err_path) = (output.path().join("out"), output.path().join("err"));
    let file = |path: &Path| {
        std::fs::File::create(path).map_err(|error| format!("{}: {error}", path.display()))
    };
    let url = format!("file://{}", page.display());
    let mut child = Command::new(chromium)
        .args(SWITCHES)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--enable-logging=stderr", "--v=0"])
        .args(extra)
        .arg(&url)
        .stdin(Stdio::null())
        .stdout(file(&out_path)?)
        .stderr(file(&err_path)?)
        .process_group(0)
        .spawn()
        .map_err(|error| format!("cannot start {}: {error}", chromium.display()))?;
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() < DEADLINE => {
                std::thread::sleep(Duration::from_millis(100));
            }
            _ => break None,
        }
    };
    // The browser's helpers share its process group: end them all, in every case.
    if let Some(group) = rustix::process::Pid::from_raw(
        i32::try_from(child.id()).map_err(|_| "a process id out of range".to_owned())?,
    ) {
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    }
    let _ = child.wait();
    let read = |path: &Path| std::fs::read_to_string(path).unwrap_or_default();
    let run = Run {
        stdout: read(&out_path),
        stderr: read(&err_path),
    };
    match status {
        Some(status) if status.success() => Ok(run),
        Some(status) => Err(format!("chromium exited with {status}:\n{}", run.stderr)),
        None => Err(format!(
            "chromium did not finish in {} s; killed:\n{}",
            DEADLINE.as_secs(),
            run.stderr
        )),
    }
}

/// Takes a screenshot of `page` `width` CSS pixels wide and `height` high into `png`.
pub fn screenshot(
    chromium: &Path,
    page: &Path,
    png: &Path,
    (width, height): (u32, u32),
) -> Result<Run, String> {
    run(
        chromium,
        page,
        &[
            &format!("--window-size={width},{height}"),
            &format!("--screenshot={}", png.display()),
        ],
    )
}
