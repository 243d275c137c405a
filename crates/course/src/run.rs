//! Running a check: build the lesson's `exercises` test program with cargo, then run
//! its one test, `exercise::<name>`, with a time limit. The test program is run
//! directly, not through `cargo test`, so that a check that hangs can be stopped:
//! on Unix it runs in a process group of its own, and the whole group (the test and
//! the lesson programs it started) is killed when the time is up.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use serde_json::Value;

use crate::course::Exercise;

/// How long a lesson may take to build, in `course check` and `course grade`.
pub const BUILD_LIMIT: Duration = Duration::from_secs(600);

pub enum Outcome {
    Pass,
    /// The test's own words: its panic message, where it failed.
    Fail(String),
    TimedOut(Duration),
}

/// Builds `lesson`'s checks in the workspace at `root` (in `target`, or cargo's usual
/// target directory) and returns the test program, or the compiler's errors.
pub fn build(
    root: &Path,
    lesson: &str,
    target: Option<&Path>,
    limit: Duration,
) -> Result<Result<PathBuf, String>> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    if let Some(target) = target {
        command.env("CARGO_TARGET_DIR", target);
    }
    command
        .current_dir(root)
        .args([
            "test",
            "--quiet",
            "--package",
            lesson,
            "--test",
            "exercises",
        ])
        .arg("--no-run");
    // The compiler's errors in colour only where they will be shown on a terminal.
    let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    command.arg(if colour {
        "--message-format=json-diagnostic-rendered-ansi"
    } else {
        "--message-format=json"
    });
    let Some(done) = run_limited(&mut command, limit)? else {
        return Ok(Err(format!(
            "building {lesson} took more than {} s",
            limit.as_secs()
        )));
    };
    // One JSON object per line: compiler messages, then the artifacts built.
    let mut errors = String::new();
    let mut program = None;
    for message in done
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
    {
        match message["reason"].as_str() {
            Some("compiler-message") if message["message"]["level"] == "error" => {
                errors.push_str(message["message"]["rendered"].as_str().unwrap_or_default());
            }
            Some("compiler-artifact") if message["target"]["name"] == "exercises" => {
                program = message["executable"].as_str().map(PathBuf::from);
            }
            _ => {}
        }
    }
    match program {
        Some(program) if done.status.success() => Ok(Ok(program)),
        _ if errors.is_empty() => Ok(Err(done.stderr)),
        _ => Ok(Err(errors)),
    }
}

/// Runs one check with the test program `build` made.
pub fn check(root: &Path, program: &Path, exercise: &Exercise, limit: Duration) -> Result<Outcome> {
    let test = format!("exercise::{}", exercise.name);
    let mut command = Command::new(program);
    // Where `cargo test` would run it: the lesson's folder.
    command
        .current_dir(root.join("crates").join(&exercise.lesson))
        .args(["--ignored", "--exact", &test, "--test-threads=1"])
        .env("RUST_BACKTRACE", "0");
    let Some(done) = run_limited(&mut command, limit)? else {
        return Ok(Outcome::TimedOut(limit));
    };
    if done.status.success() && done.stdout.contains(&format!("test {test} ... ok")) {
        return Ok(Outcome::Pass);
    }
    if done.stdout.contains("running 0 tests") {
        anyhow::bail!("the lesson's tests have no check called {test}");
    }
    Ok(Outcome::Fail(failure(&done.stdout, &test)))
}

/// The part of the test's output that says what went wrong, without libtest's frame:
/// the panic message, then where (`tests/exercises.rs:50`).
fn failure(stdout: &str, test: &str) -> String {
    let start = format!("---- {test} stdout ----\n");
    let Some(begin) = stdout.find(&start) else {
        return stdout.trim().to_string();
    };
    let body = &stdout[begin + start.len()..];
    let body = body.split("\nfailures:\n").next().unwrap_or(body);
    let mut words = Vec::new();
    let mut place = None;
    for line in body.lines() {
        // "thread 'exercise::nick' (28385) panicked at tests/exercises.rs:50:9:"
        let panicked = line.strip_prefix(&format!("thread '{test}'"));
        if let Some((_, rest)) = panicked.and_then(|l| l.split_once(" panicked at ")) {
            // "tests/exercises.rs:50:9:" -> "tests/exercises.rs:50"
            let rest = rest.trim_end_matches(':');
            place = Some(
                rest.rsplit_once(':')
                    .map_or(rest, |(file_line, _)| file_line),
            );
        } else if !line.starts_with("note: run with `RUST_BACKTRACE=1`") {
            words.push(line);
        }
    }
    let mut text = words.join("\n").trim().to_string();
    if let Some(place) = place {
        text.push_str(&format!("\n(the check: {place})"));
    }
    text
}

pub struct Finished {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// The process group of the program `run_limited` waits for, so that Ctrl-C can
/// stop it too (it is not in the terminal's group). 0: none.
static RUNNING: AtomicU32 = AtomicU32::new(0);

/// On Ctrl-C, stops what runs and exits.
pub fn stop_on_ctrl_c() {
    let _ = ctrlc::set_handler(|| {
        kill_group(RUNNING.load(Ordering::SeqCst));
        std::process::exit(130);
    });
}

/// Runs `command` to its end, or kills it after `limit` (then `None`).
pub fn run_limited(command: &mut Command, limit: Duration) -> Result<Option<Finished>> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(command, 0);
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot start {:?}", command.get_program()))?;
    let group = child.id();
    RUNNING.store(group, Ordering::SeqCst);
    let stdout = read_all(child.stdout.take());
    let stderr = read_all(child.stderr.take());
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if start.elapsed() > limit {
            break None;
        }
        thread::sleep(Duration::from_millis(20));
    };
    // Also ends what the program left behind (a lesson server it started, say).
    kill_group(group);
    RUNNING.store(0, Ordering::SeqCst);
    let _ = child.kill();
    let _ = child.wait();
    let Some(status) = status else {
        return Ok(None);
    };
    // A grandchild that escaped the group could keep a pipe open: do not wait forever.
    let collect =
        |rx: mpsc::Receiver<String>| rx.recv_timeout(Duration::from_secs(2)).unwrap_or_default();
    Ok(Some(Finished {
        status,
        stdout: collect(stdout),
        stderr: collect(stderr),
    }))
}

fn read_all(pipe: Option<impl Read + Send + 'static>) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    if let Some(mut pipe) = pipe {
        thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            let _ = tx.send(String::from_utf8_lossy(&bytes).into_owned());
        });
    }
    rx
}

/// Kills the process group `group` (Unix; elsewhere `Child::kill` has to do).
fn kill_group(group: u32) {
    #[cfg(unix)]
    if group != 0 {
        // The shell's kill, because std cannot signal a group and this crate has no unsafe code.
        let _ = Command::new("sh")
            .args(["-c", &format!("kill -KILL -- -{group} 2>/dev/null")])
            .status();
    }
    #[cfg(not(unix))]
    let _ = group;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_that_hangs_is_stopped_at_the_limit() {
        let (program, args) = if cfg!(windows) {
            ("powershell", ["-Command", "Start-Sleep 30"])
        } else {
            ("sh", ["-c", "sleep 30 & sleep 30"])
        };
        let start = Instant::now();
        let done = run_limited(Command::new(program).args(args), Duration::from_millis(300));
        assert!(matches!(done, Ok(None)), "should have timed out");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "took {:?}",
            start.elapsed()
        );
    }

    #[test]
    fn a_failure_is_the_panic_message_and_where() {
        let stdout = "\nrunning 1 test\ntest exercise::nick ... FAILED\n\nfailures:\n\n\
            ---- exercise::nick stdout ----\n\nthread 'exercise::nick' (123) panicked at tests/exercises.rs:50:9:\n\
            /nick should rename\nnote: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\n\n\
            failures:\n    exercise::nick\n\ntest result: FAILED. 0 passed; 1 failed\n";
        assert_eq!(
            failure(stdout, "exercise::nick"),
            "/nick should rename\n(the check: tests/exercises.rs:50)"
        );
    }
}
