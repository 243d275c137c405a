//! Helpers for the lessons' integration tests. Learners need not open this crate.
//!
//! The rules they keep: a server is started with `--port 0` and its `listening on`
//! line tells the port; nothing sleeps to wait for a server; every blocking step
//! has a timeout, so a broken lesson fails a test in seconds instead of hanging CI.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::process::{Child, ChildStderr, ChildStdin, ChildStdout, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

/// How long a test waits for any one thing before it fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// A lesson program (or any other program) running under a test.
/// Dropping it kills the process.
pub struct Program {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    seen: Vec<String>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// Disconnects when the stderr reader has read everything.
    stderr_done: Receiver<()>,
}

impl Program {
    /// Starts `bin` with `args`, stdin, stdout and stderr piped.
    pub fn start(bin: &str, args: &[&str]) -> Program {
        let mut command = Command::new(bin);
        command.args(args);
        Program::spawn(command)
    }

    /// Starts a prepared command, stdin, stdout and stderr piped.
    pub fn spawn(mut command: Command) -> Program {
        let name = format!("{command:?}");
        // Keep panics honest: a lesson must not print a backtrace even when asked to.
        command.env("RUST_BACKTRACE", "1");
        command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let (stderr, stderr_done) = drain(child.stderr.take().expect("stderr is piped"));
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = Vec::new();
            loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&line);
                        let text = text.trim_end_matches(['\n', '\r']).to_owned();
                        if tx.send(text).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Program {
            name,
            child,
            stdin,
            lines,
            seen: Vec::new(),
            stderr,
            stderr_done,
        }
    }

    /// Starts a server with `args` (add `--port 0` yourself) and waits for its
    /// `listening on <addr>` line.
    pub fn server(bin: &str, args: &[&str]) -> (Program, SocketAddr) {
        let mut program = Program::start(bin, args);
        let addr = program.listening_addr();
        (program, addr)
    }

    /// Waits for the `listening on <addr>` line and returns the address.
    pub fn listening_addr(&mut self) -> SocketAddr {
        let line = self.wait_for(|l| l.starts_with("listening on "));
        let addr = line["listening on ".len()..]
            .split_whitespace()
            .next()
            .unwrap_or("");
        addr.parse()
            .unwrap_or_else(|e| panic!("bad address in {line:?}: {e}"))
    }

    /// The next line on stdout, or `None` after `timeout` or at the end of output.
    pub fn next_line(&mut self, timeout: Duration) -> Option<String> {
        match self.lines.recv_timeout(timeout) {
            Ok(line) => {
                self.seen.push(line.clone());
                Some(line)
            }
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => None,
        }
    }

    /// The next line on stdout; fails the test if none comes within [`WAIT`].
    pub fn line(&mut self) -> String {
        match self.next_line(WAIT) {
            Some(line) => line,
            None => panic!(
                "{}: no more output within {WAIT:?}\n{}",
                self.name,
                self.report()
            ),
        }
    }

    /// Reads stdout until a line matches; fails the test if none does within [`WAIT`].
    pub fn wait_for(&mut self, matches: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_line(left) {
                Some(line) if matches(&line) => return line,
                Some(_) => {}
                None => panic!(
                    "{}: the expected line did not come within {WAIT:?}\n{}",
                    self.name,
                    self.report()
                ),
            }
        }
    }

    /// Reads stdout until a line contains `text`.
    pub fn wait_for_text(&mut self, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next_line(left) {
                Some(line) if line.contains(text) => return line,
                Some(_) => {}
                None => panic!(
                    "{}: no line with {text:?} within {WAIT:?}\n{}",
                    self.name,
                    self.report()
                ),
            }
        }
    }

    /// Writes `text` and a newline to the program's stdin, in one write: `writeln!`
    /// on an unbuffered pipe writes them separately, and a program that forwards
    /// each read (as nc does) would then send the newline as a message of its own.
    pub fn send_line(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        stdin
            .write_all(format!("{text}\n").as_bytes())
            .unwrap_or_else(|e| panic!("{}: cannot write to stdin: {e}", self.name));
        stdin.flush().ok();
    }

    /// Writes `bytes` to the program's stdin in one `write` call (a tool such as
    /// `nc -u` turns each read of its stdin into one datagram).
    pub fn send_bytes(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().expect("stdin is still open");
        stdin
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("{}: cannot write to stdin: {e}", self.name));
    }

    /// Closes stdin: the program sees the end of its input.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The process id.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGINT, as Ctrl-C in a terminal does. Through the shell's own `kill`,
    /// which every machine has (the `kill` program is in procps, which some lack).
    pub fn interrupt(&self) {
        interrupt(self.child.id());
    }

    /// Waits for the program to exit; fails the test if it does not within `timeout`.
    /// Returns the exit status and the rest of its stdout.
    pub fn wait_exit(&mut self, timeout: Duration) -> (ExitStatus, Vec<String>) {
        self.close_stdin();
        let Some(status) = exit_within(&mut self.child, timeout) else {
            panic!(
                "{}: still running after {timeout:?}\n{}",
                self.name,
                self.report()
            );
        };
        // The readers end when the pipes close; let them finish, so that
        // `stderr()` and the returned lines hold everything the program wrote.
        let _ = self.stderr_done.recv_timeout(Duration::from_secs(2));
        let mut rest = Vec::new();
        // The stdout reader ends when the pipe closes; give it a moment to drain.
        while let Some(line) = self.next_line(Duration::from_millis(500)) {
            rest.push(line);
        }
        (status, rest)
    }

    /// Everything on stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().expect("stderr buffer")).into_owned()
    }

    /// Every stdout line read so far.
    pub fn seen(&self) -> &[String] {
        &self.seen
    }

    fn report(&self) -> String {
        format!(
            "stdout so far:\n  {}\nstderr so far:\n  {}",
            self.seen.join("\n  "),
            self.stderr().replace('\n', "\n  ")
        )
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads `pipe` (a child's stderr) to its end on a thread of its own. Returns what
/// it has read so far, and a channel that disconnects when it has read everything.
fn drain(mut pipe: ChildStderr) -> (Arc<Mutex<Vec<u8>>>, Receiver<()>) {
    let stderr = Arc::new(Mutex::new(Vec::new()));
    let sink = stderr.clone();
    let (done, stderr_done) = mpsc::channel::<()>();
    thread::spawn(move || {
        let _done = done; // dropped when this thread ends
        let mut buf = [0; 4096];
        while let Ok(n @ 1..) = pipe.read(&mut buf) {
            sink.lock()
                .expect("stderr buffer")
                .extend_from_slice(&buf[..n]);
        }
    });
    (stderr, stderr_done)
}

/// Sends SIGINT to `pid`, through the shell's own `kill`, which every machine has
/// (the `kill` program is in procps, which some lack).
fn interrupt(pid: u32) {
    let status = Command::new("sh")
        .args(["-c", &format!("kill -INT {pid}")])
        .status()
        .expect("run sh");
    assert!(status.success(), "kill -INT failed");
}

/// Polls `child` until it exits or `timeout` passes; then kills it and returns `None`.
fn exit_within(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// A program whose stdout is a pipe the test holds, for `| head -1`, `| head -c N`
/// and `| true`: read as much as the case needs ([`PipedStdout::first_line`],
/// [`PipedStdout::listening_addr`], [`PipedStdout::read_bytes`]), then
/// [`PipedStdout::close_stdout`] drops the pipe's read end, or keep it open and
/// never read it (a stalled `| less`). Dropping it kills the process.
pub struct PipedStdout {
    name: String,
    child: Child,
    stdout: Option<ChildStdout>,
    stderr: Arc<Mutex<Vec<u8>>>,
    /// Disconnects when the stderr reader has read everything.
    stderr_done: Receiver<()>,
}

impl PipedStdout {
    /// Starts `command` with stdout piped and stderr collected (stdin as the command
    /// sets it), with `RUST_BACKTRACE=1` so that a panic would show.
    pub fn spawn(mut command: Command) -> PipedStdout {
        let name = format!("{command:?}");
        command
            .env("RUST_BACKTRACE", "1")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        let stdout = child.stdout.take();
        // Drained all along, so a full stderr pipe never stalls the program.
        let (stderr, stderr_done) = drain(child.stderr.take().expect("stderr is piped"));
        PipedStdout {
            name,
            child,
            stdout,
            stderr,
            stderr_done,
        }
    }

    /// Reads `len` bytes of stdout (fewer if it ends first) within [`WAIT`];
    /// nothing more is taken from the pipe.
    pub fn read_bytes(&mut self, len: usize) -> Vec<u8> {
        self.read_stdout(move |stdout| {
            let mut got = Vec::new();
            let _ = stdout.take(len as u64).read_to_end(&mut got);
            got
        })
    }

    /// Reads stdout's first line (without its newline) within [`WAIT`], byte by
    /// byte, so that nothing more is taken from the pipe.
    pub fn first_line(&mut self) -> String {
        let line = self.read_stdout(|stdout| {
            let mut line = Vec::new();
            let mut byte = [0u8];
            while stdout.read_exact(&mut byte).is_ok() && byte[0] != b'\n' {
                line.push(byte[0]);
            }
            line
        });
        String::from_utf8_lossy(&line)
            .trim_end_matches('\r')
            .to_owned()
    }

    /// Reads the first line, which must be `listening on <addr>`, and returns the address.
    pub fn listening_addr(&mut self) -> SocketAddr {
        let line = self.first_line();
        line.strip_prefix("listening on ")
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "{}: expected 'listening on <addr>', got {line:?}",
                    self.name
                )
            })
    }

    fn read_stdout(
        &mut self,
        read: impl FnOnce(&mut ChildStdout) -> Vec<u8> + Send + 'static,
    ) -> Vec<u8> {
        let mut stdout = self.stdout.take().expect("stdout is still open");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let got = read(&mut stdout);
            let _ = tx.send((got, stdout));
        });
        let (got, stdout) = rx
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("{}: stdout gave nothing within {WAIT:?}", self.name));
        self.stdout = Some(stdout);
        got
    }

    /// Drops the read end of stdout, as `| head` does once it has enough.
    pub fn close_stdout(&mut self) {
        self.stdout = None;
    }

    /// Whether the read end of stdout is still held.
    pub fn stdout_open(&self) -> bool {
        self.stdout.is_some()
    }

    /// The process, for its stdin, its id or `try_wait`.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// Whether the process has not exited yet.
    pub fn running(&mut self) -> bool {
        self.child.try_wait().expect("try_wait").is_none()
    }

    /// Sends SIGINT, as Ctrl-C in a terminal does (through the shell's own `kill`).
    pub fn interrupt(&self) {
        interrupt(self.child.id());
    }

    /// Everything on stderr so far.
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.stderr.lock().expect("stderr buffer")).into_owned()
    }

    /// Kills the program and returns everything it wrote on stderr.
    pub fn kill(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = self.stderr_done.recv_timeout(Duration::from_secs(2));
        self.stderr()
    }

    /// Waits for the program to exit; kills it and fails the test (saying `what`)
    /// if it does not within `timeout`. Returns the exit status and all of stderr.
    pub fn wait_exit(&mut self, timeout: Duration, what: &str) -> (ExitStatus, String) {
        let Some(status) = exit_within(&mut self.child, timeout) else {
            panic!(
                "{}: {what}: still running after {timeout:?}\nstderr:\n{}",
                self.name,
                self.stderr()
            );
        };
        // The stderr reader ends when the pipe closes; let it finish.
        let _ = self.stderr_done.recv_timeout(Duration::from_secs(2));
        (status, self.stderr())
    }
}

impl Drop for PipedStdout {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs a program to its end with `input` on stdin; fails the test if it runs
/// longer than `timeout`. Returns exit status, stdout and stderr.
pub fn run(mut command: Command, input: &[u8], timeout: Duration) -> (ExitStatus, String, String) {
    command.env("RUST_BACKTRACE", "1");
    let mut program = Program::spawn(command);
    if let Some(stdin) = program.stdin.as_mut() {
        // A program that exits without reading its input is fine.
        let _ = stdin.write_all(input);
    }
    let (status, lines) = program.wait_exit(timeout);
    let mut stdout = lines.join("\n");
    if !lines.is_empty() {
        stdout.push('\n');
    }
    (status, stdout, program.stderr())
}

/// Whether a tool is installed (`python3`, `nc`, `curl`, ...).
pub fn have(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Asserts the text is one line starting with "error: ", with no panic or backtrace.
pub fn assert_one_line_error(stderr: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "expected one line on stderr, got:\n{stderr}"
    );
    assert!(
        lines[0].starts_with("error: "),
        "expected 'error: ...', got: {stderr}"
    );
    assert!(!stderr.contains("panicked"), "panic on stderr: {stderr}");
}

/// The path of another lesson's binary in the same target directory, built
/// first if needed (`cargo test -p one-lesson` builds only that lesson's binary).
///
/// A lesson's own binary comes from `env!("CARGO_BIN_EXE_<name>")`; this is for
/// the other side, e.g. lesson 1's sender in lesson 2's tests.
pub fn lesson_bin(name: &str) -> String {
    let here = std::env::current_exe().expect("current_exe");
    // target/<profile>/deps/<test binary> -> target/<profile>
    let profile_dir = here
        .parent()
        .and_then(|deps| deps.parent())
        .expect("test binary lives in target/<profile>/deps");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "-p", name, "--bin", name]);
    if profile_dir.file_name().is_some_and(|p| p == "release") {
        build.arg("--release");
    }
    if let Some(target_dir) = profile_dir.parent() {
        build.arg("--target-dir").arg(target_dir);
    }
    let status = build
        .status()
        .unwrap_or_else(|e| panic!("cannot run cargo to build {name}: {e}"));
    assert!(status.success(), "cargo build -p {name} failed");
    let bin = profile_dir.join(name);
    assert!(bin.exists(), "{} was not built", bin.display());
    bin.to_string_lossy().into_owned()
}

/// `python3 -c <script> <args...>`: an independent peer written in a seed's style.
pub fn python(script: &str, args: &[&str]) -> Command {
    let mut command = Command::new("python3");
    command.arg("-u").arg("-c").arg(script).args(args);
    command
}

/// A number from a running process's `/proc/<pid>/status` (Linux): e.g. `"Threads"`,
/// or `"VmRSS"` and `"VmHWM"` (peak resident memory), which are in kB.
pub fn proc_status(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("cannot read /proc/{pid}/status: {e}"));
    status
        .lines()
        .find_map(|line| line.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .unwrap_or_else(|| panic!("no number for {field} in /proc/{pid}/status"))
}

/// How many file descriptors (sockets included) a running process has open (Linux).
pub fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap_or_else(|e| panic!("cannot list /proc/{pid}/fd: {e}"))
        .count()
}

/// Polls `probe` until it returns `want` or `timeout` passes; returns the last value.
/// For counts that settle a moment after the event (threads ending, sockets closing).
pub fn settles<T: PartialEq + Copy>(want: T, timeout: Duration, probe: impl Fn() -> T) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        let now = probe();
        if now == want || Instant::now() >= deadline {
            return now;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// A raw TCP client for a test: connected to `addr`, with [`WAIT`] as its read
/// and write timeouts, so a server that never answers fails the test instead of hanging it.
pub fn tcp_peer(addr: SocketAddr) -> std::net::TcpStream {
    let stream = std::net::TcpStream::connect_timeout(&addr, WAIT)
        .unwrap_or_else(|e| panic!("cannot connect to {addr}: {e}"));
    stream
        .set_read_timeout(Some(WAIT))
        .expect("set_read_timeout");
    stream
        .set_write_timeout(Some(WAIT))
        .expect("set_write_timeout");
    stream
}

/// Reads exactly `len` bytes from a peer (within its timeouts) and returns them as text.
pub fn read_text(peer: &mut impl Read, len: usize) -> String {
    let mut buf = vec![0; len];
    peer.read_exact(&mut buf)
        .unwrap_or_else(|e| panic!("expected {len} bytes: {e}"));
    String::from_utf8_lossy(&buf).into_owned()
}

/// Waits up to [`WAIT`] for `done` to hold, checking every 20 ms. For what has no
/// event to wait on, such as threads of another process ending; never for a server to start.
pub fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {WAIT:?}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `command` with no input; asserts it fails with one `error: ...` line on
/// stderr that contains `text`. Returns its stdout.
pub fn assert_fails_with(command: Command, text: &str) -> String {
    let (status, stdout, stderr) = run(command, b"", WAIT);
    assert!(!status.success(), "expected a failure, got {status}");
    assert_one_line_error(&stderr);
    assert!(stderr.contains(text), "expected {text:?} in: {stderr}");
    stdout
}

/// A loopback address nothing listens on: a port the system just gave out and took back.
pub fn unused_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
}

/// Runs `bin args... --help`; asserts it succeeds and shows each of `texts`.
pub fn assert_help_shows(bin: &str, args: &[&str], texts: &[&str]) {
    let mut command = Command::new(bin);
    command.args(args).arg("--help");
    let (status, stdout, _) = run(command, b"", WAIT);
    assert!(status.success(), "{bin} --help failed");
    for text in texts {
        assert!(stdout.contains(text), "{text} missing from:\n{stdout}");
    }
}

/// `bin client --host <ip> --port <port> args...`: the client side of a two-sided lesson.
pub fn client_command(bin: &str, addr: SocketAddr, args: &[&str]) -> Command {
    let mut command = Command::new(bin);
    command
        .args(["client", "--host", &addr.ip().to_string()])
        .args(["--port", &addr.port().to_string()])
        .args(args);
    command
}

/// How many threads the process `pid` has (Linux only).
pub fn thread_count(pid: u32) -> usize {
    usize::try_from(proc_status(pid, "Threads")).expect("a thread count fits usize")
}

#[cfg(test)]
mod proc_tests {
    use super::*;

    #[test]
    fn reads_this_process_threads_memory_and_fds() {
        let pid = std::process::id();
        assert!(proc_status(pid, "Threads") >= 1);
        assert!(proc_status(pid, "VmHWM") >= proc_status(pid, "VmRSS") / 2);
        // Other tests run in parallel and open files too, so no exact count here.
        assert!(open_fds(pid) >= 3, "stdin, stdout and stderr at least");
        let calls = std::sync::atomic::AtomicU32::new(0);
        let probe = || calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        assert_eq!(settles(3, WAIT, probe), 3, "polls until the value comes");
        assert_eq!(
            settles(0, Duration::from_millis(50), || 1),
            1,
            "gives up in time"
        );
    }
}

#[cfg(test)]
mod piped_stdout_tests {
    use super::*;

    #[test]
    fn reads_the_listening_line_then_waits_for_the_exit_and_stderr() {
        let mut command = Command::new("sh");
        command.args([
            "-c",
            "echo 'listening on 127.0.0.1:9'; read _; echo bye >&2; exit 3",
        ]);
        command.stdin(Stdio::piped());
        let mut program = PipedStdout::spawn(command);
        assert_eq!(program.listening_addr(), "127.0.0.1:9".parse().unwrap());
        program.close_stdout();
        assert!(!program.stdout_open());
        assert!(program.running(), "it waits for a line on stdin");
        program
            .child()
            .stdin
            .take()
            .unwrap()
            .write_all(b"go\n")
            .unwrap();
        let (status, stderr) = program.wait_exit(WAIT, "sh did not end");
        assert_eq!(status.code(), Some(3));
        assert_eq!(stderr, "bye\n");
    }

    #[test]
    fn reads_only_the_bytes_asked_for() {
        let mut command = Command::new("sh");
        command.args(["-c", "printf 'abcdef'"]);
        command.stdin(Stdio::null());
        let mut program = PipedStdout::spawn(command);
        assert_eq!(program.read_bytes(2), b"ab");
        assert_eq!(program.read_bytes(0), b"");
        assert_eq!(program.first_line(), "cdef", "the rest stayed in the pipe");
    }
}
