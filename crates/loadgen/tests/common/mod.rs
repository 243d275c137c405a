//! What the load generator's tests share: running it, and reading its summary line.

use std::process::Command;
use std::time::Duration;

use net_common::testing::run;

pub const LOADGEN: &str = env!("CARGO_BIN_EXE_loadgen");

/// How long one loadgen run may take in a test before the test fails.
pub const RUN_LIMIT: Duration = Duration::from_secs(30);

/// Runs `loadgen args...` to its end; returns its summary line, after checking
/// that it succeeded and printed exactly one line.
pub fn loadgen(args: &[&str]) -> Summary {
    let mut command = Command::new(LOADGEN);
    command.args(args);
    let (status, stdout, stderr) = run(command, b"", RUN_LIMIT);
    assert!(status.success(), "loadgen {args:?} failed: {stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "expected one summary line, got {stdout:?}");
    Summary(lines[0].to_owned())
}

/// One `loadgen <kind> key=value ...` line.
pub struct Summary(pub String);

impl Summary {
    pub fn get(&self, key: &str) -> &str {
        self.0
            .split_whitespace()
            .find_map(|pair| pair.strip_prefix(key)?.strip_prefix('='))
            .unwrap_or_else(|| panic!("no {key}= in {}", self.0))
    }

    pub fn num(&self, key: &str) -> f64 {
        self.get(key)
            .parse()
            .unwrap_or_else(|e| panic!("{key} in {}: {e}", self.0))
    }
}
