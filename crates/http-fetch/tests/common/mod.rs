//! Shared by this lesson's test files: a scratch directory per test, and running
//! the real http-fetch binary in it.

#![allow(clippy::unwrap_used, dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use net_common::testing::{WAIT, run};

pub const FETCH: &str = env!("CARGO_BIN_EXE_http-fetch");

/// A fresh, empty directory for one test, under the system's temp directory,
/// removed when the test ends.
pub struct Scratch(PathBuf);

impl std::ops::Deref for Scratch {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn scratch(name: &str) -> Scratch {
    let dir = std::env::temp_dir().join(format!("http-fetch-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// Runs `http-fetch ARGS` with `dir` as its current directory.
pub fn fetch_in(dir: &Path, args: &[&str]) -> (ExitStatus, String, String) {
    let mut command = Command::new(FETCH);
    command.args(args).current_dir(dir);
    run(command, b"", WAIT)
}

/// The names in a directory, sorted.
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Bytes that are not all alike, so a misplaced piece would show.
pub fn pattern(len: usize) -> Vec<u8> {
    let mut x: u32 = 2_463_534_242;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}
