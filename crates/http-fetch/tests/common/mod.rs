//! Shared by this lesson's test files: a scratch directory per test, and running
//! the real http-fetch binary in it.

#![allow(clippy::unwrap_used, dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use lesson_testing::WAIT;

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

/// Runs `http-fetch ARGS` with `dir` as its current directory; fails the test if
/// it runs longer than [`WAIT`]. Returns exit status, stdout and stderr.
pub fn fetch_in(dir: &Path, args: &[&str]) -> (ExitStatus, String, String) {
    let mut command = Command::new(FETCH);
    command.args(args).current_dir(dir);
    run_to_end(command)
}

/// Runs a command with no input and collects its stdout and stderr exactly.
///
/// (lesson_testing::run reads stdout line by line, trimming "\r" and ending
/// every line with "\n"; a body written to stdout with `-o -` must come back byte
/// for byte, so here both pipes are read whole.)
pub fn run_to_end(mut command: Command) -> (ExitStatus, String, String) {
    command
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let read_all = |mut pipe: Box<dyn Read + Send>| {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = read_all(Box::new(child.stdout.take().unwrap()));
    let stderr = read_all(Box::new(child.stderr.take().unwrap()));
    let deadline = Instant::now() + WAIT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} still running after {WAIT:?}");
        }
        thread::sleep(Duration::from_millis(5));
    };
    (status, stdout.join().unwrap(), stderr.join().unwrap())
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
