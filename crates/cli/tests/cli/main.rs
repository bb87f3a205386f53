//! Integration tests of the `stratagraph` binary: every command run as a user runs it, on
//! the repository's examples and on temporary directories.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cluster_cmds;
mod engine_cmds;
mod paper_cmds;
mod report_cmd;
mod research_cmds;
mod store_cmds;
mod sweep_cmds;
mod sync_cmds;

use std::path::{Path, PathBuf};
use std::process::Command;

/// A file of the repository, by its path from the workspace root.
pub(crate) fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(path)
}

/// The sample strategy used throughout.
pub(crate) fn sma_graph() -> String {
    repo("examples/sma_crossover.json").display().to_string()
}

/// The sample market data used throughout.
pub(crate) fn sample_csv() -> String {
    repo("examples/data/synthetic_random_walk_daily.csv")
        .display()
        .to_string()
}

/// What a finished command left behind.
#[derive(Debug)]
pub(crate) struct Output {
    /// The exit code (-1 when killed by a signal).
    pub code: i32,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
}

impl Output {
    /// Asserts a zero exit and returns stdout.
    pub fn ok(&self) -> &str {
        assert_eq!(self.code, 0, "command failed: {self:#?}");
        &self.stdout
    }

    /// Asserts a zero exit and parses stdout as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(self.ok())
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {self:#?}"))
    }

    /// Asserts a failure reported as exactly one `error: ...` line on stderr, without a
    /// panic, and returns that line.
    pub fn one_line_error(&self) -> &str {
        assert_ne!(self.code, 0, "command should fail: {self:#?}");
        assert!(!self.stderr.contains("panicked"), "panic: {self:#?}");
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "want one line on stderr: {self:#?}");
        assert!(lines[0].starts_with("error: "), "{self:#?}");
        lines[0]
    }
}

/// Runs the binary with `args`, away from any real database.
pub(crate) fn run(args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_stratagraph"))
        .args(args)
        .env_remove("STRATAGRAPH_DB")
        .output()
        .expect("the binary runs");
    Output {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
