//! Printing to stdout that never panics and never stalls a server.
//!
//! `println!` panics when stdout is a closed pipe (`| head`, `| true`), and blocks
//! when nobody reads it. Neither may kill a lesson, so lessons print with [`say!`](crate::say):
//!
//! - A client prints straight to stdout, and ends quietly with exit code 0 when the
//!   reader of its stdout has gone, as `head` expects.
//! - A server's stdout is a log: after [`log_mode`] (which
//!   [`announce_listening`](crate::sockets::announce_listening) calls), lines go to a
//!   queue of [`QUEUE`] lines that one thread writes out. Serving never waits: a line
//!   that finds the queue full is dropped and counted, and the log says how many were
//!   lost when it can write again. A closed stdout loses the log and nothing else.

use std::fmt::{Arguments, Write as _};
use std::io::{ErrorKind, Write};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::time::Duration;

/// How many log lines may wait for a slow stdout before new ones are dropped.
pub const QUEUE: usize = 4096;

/// `println!` for lessons: `say!("from {addr}: {text}")`.
#[macro_export]
macro_rules! say {
    () => {
        $crate::out::line(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::out::line(format_args!($($arg)*))
    };
}

enum Entry {
    Line(String),
    /// Everything before this is written; tell the sender.
    Flushed(mpsc::Sender<()>),
}

static LOG: OnceLock<SyncSender<Entry>> = OnceLock::new();
static DROPPED: AtomicU64 = AtomicU64::new(0);

/// From now on stdout is a log that never makes the program wait (see the module).
pub fn log_mode() {
    LOG.get_or_init(|| {
        let (queue, entries) = mpsc::sync_channel::<Entry>(QUEUE);
        let writer = std::thread::Builder::new().name("log".to_owned());
        let _ = writer.spawn(move || {
            let mut stdout = std::io::stdout();
            for entry in entries {
                match entry {
                    Entry::Line(text) => {
                        let lost = DROPPED.swap(0, Ordering::Relaxed);
                        if lost > 0 {
                            let _ = writeln!(
                                stdout,
                                "({lost} log lines dropped: stdout was not read fast enough)"
                            );
                        }
                        let _ = stdout.write_all(text.as_bytes());
                        let _ = stdout.flush();
                    }
                    Entry::Flushed(done) => _ = done.send(()),
                }
            }
        });
        queue
    });
}

/// Prints one line (what [`say!`](crate::say) calls).
pub fn line(args: Arguments<'_>) {
    let mut text = String::new();
    let _ = text.write_fmt(args);
    text.push('\n');
    if let Some(log) = LOG.get() {
        if let Err(TrySendError::Full(_)) = log.try_send(Entry::Line(text)) {
            DROPPED.fetch_add(1, Ordering::Relaxed);
        }
        return;
    }
    let mut out = std::io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    if written.is_err_and(|e| e.kind() == ErrorKind::BrokenPipe) {
        // Nobody reads our output any more (`| head` has what it wanted).
        std::process::exit(0);
    }
}

/// A client's last words: while the returned lock lives, no other thread prints (this one
/// still can: the lock is reentrant), so a main loop that ends meanwhile cannot repeat a
/// goodbye. A server's log keeps writing, so it gets no lock.
pub fn last_words() -> Option<std::io::StdoutLock<'static>> {
    LOG.get().is_none().then(|| std::io::stdout().lock())
}

/// Waits up to `timeout` for the log to be written, e.g. before the program exits.
pub fn flush(timeout: Duration) {
    match LOG.get() {
        None => _ = std::io::stdout().flush(),
        Some(log) => {
            let (done, written) = mpsc::channel();
            if log.try_send(Entry::Flushed(done)).is_ok() {
                let _ = written.recv_timeout(timeout);
            }
        }
    }
}
