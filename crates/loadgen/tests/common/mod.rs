//! What the load generator's tests share: running it, reading its summary line,
//! and a tiny echo server in lesson 4's protocol.

// Each test file uses its own part of this module.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::process::Command;
use std::thread;
use std::time::Duration;

use lesson_testing::run;

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

/// How the test's echo server behaves.
#[derive(Clone, Copy)]
pub enum Echo {
    /// "Welcome!", then "Hello, <message>!" for every message.
    Faithful,
    /// Like `Faithful`, but every nth connection closes right after its welcome.
    BreakEvery(usize),
    /// Answers "Howdy, bench!": as long as "Hello, bench!", but wrong.
    WrongAnswer,
}

/// A thread-per-connection echo server on a free port of this process; returns the port.
pub fn echo_server(behaviour: Echo) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for (i, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            thread::spawn(move || {
                let _ = stream.write_all(b"Welcome!");
                if matches!(behaviour, Echo::BreakEvery(n) if (i + 1) % n == 0) {
                    return;
                }
                let mut data = [0; 1024];
                while let Ok(n @ 1..) = stream.read(&mut data) {
                    let answer = match behaviour {
                        Echo::WrongAnswer => "Howdy, bench!".to_owned(),
                        _ => format!("Hello, {}!", String::from_utf8_lossy(&data[..n])),
                    };
                    if stream.write_all(answer.as_bytes()).is_err() {
                        break;
                    }
                }
            });
        }
    });
    port.to_string()
}
