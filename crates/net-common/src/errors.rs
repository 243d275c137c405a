//! One-line error messages for the failures a learner meets first, each with a
//! hint of what to do, and the `main` wrapper that prints them.
//!
//! A Python seed that hits a busy port dies with a traceback ending in
//! `OSError: [Errno 98] Address already in use`. A lesson says instead:
//! `error: port 9999 is already in use by another program (perhaps another lesson; try --port)`.

use std::io::{self, ErrorKind, Write};
use std::{fmt::Display, net::SocketAddr, process::ExitCode};

/// Runs a lesson's real `main`; an error becomes one line on stderr and exit code 1.
/// ```no_run
/// fn main() -> std::process::ExitCode {
///     net_common::errors::main(|| /* the lesson */ Ok(()))
/// }
/// ```
pub fn main(run: impl FnOnce() -> anyhow::Result<()>) -> ExitCode {
    let result = run();
    // A server's log may still hold lines for stdout: give it a moment to write them.
    crate::out::flush(std::time::Duration::from_millis(300));
    if let Err(e) = result {
        // `{:#}` joins the error and its causes with ": " on one line.
        // Written, not eprintln!, which panics when stderr is a closed pipe.
        let _ = writeln!(io::stderr(), "error: {e:#}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// The OS message without Rust's " (os error 98)" suffix, starting lower-case.
pub fn plain(e: &io::Error) -> String {
    let text = e.to_string();
    let mut chars = text.split(" (os error").next().unwrap_or_default().chars();
    let first = chars.next().map(char::to_lowercase);
    first.into_iter().flatten().chain(chars).collect()
}

/// `bind((host, port))` failed.
pub fn bind(addr: SocketAddr, e: io::Error) -> anyhow::Error {
    let port = addr.port();
    anyhow::Error::msg(match e.kind() {
        ErrorKind::AddrInUse => format!(
            "port {port} is already in use by another program (perhaps another lesson; try --port)"
        ),
        ErrorKind::AddrNotAvailable => format!(
            "cannot bind {addr}: that address does not belong to this machine (try --host 127.0.0.1)"
        ),
        ErrorKind::PermissionDenied => format!(
            "permission denied to bind port {port} (ports below 1024 need root; try --port)"
        ),
        _ => format!("cannot bind {addr}: {}", plain(&e)),
    })
}

/// `connect((host, port))` failed.
pub fn connect(addr: SocketAddr, e: io::Error) -> anyhow::Error {
    let hint = match e.kind() {
        ErrorKind::ConnectionRefused => "connection refused (start the server first)".to_owned(),
        ErrorKind::TimedOut | ErrorKind::WouldBlock => {
            "timed out (is the server running, and is the address right?)".to_owned()
        }
        ErrorKind::NetworkUnreachable | ErrorKind::HostUnreachable => {
            format!("{} (check --host)", plain(&e))
        }
        _ => plain(&e),
    };
    anyhow::Error::msg(format!("could not connect to {addr}: {hint}"))
}

/// Name resolution (`socket.getaddrinfo`, which `connect` does for you in Python) failed.
/// The resolver's own words ("failed to lookup address information") rarely help a learner.
pub fn unknown_host(host: &str) -> anyhow::Error {
    anyhow::Error::msg(format!(
        "unknown host '{host}' (check the spelling, or use an IP address such as 127.0.0.1)"
    ))
}

/// Any other socket call failed: `what` names the call, e.g. "recvfrom".
pub fn io(what: impl Display, e: io::Error) -> anyhow::Error {
    anyhow::Error::msg(format!("{what} failed: {}", plain(&e)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_with_a_hint() {
        let addr: SocketAddr = "127.0.0.1:9999".parse().unwrap();
        let e = bind(addr, io::Error::from(ErrorKind::AddrInUse));
        assert_eq!(
            e.to_string(),
            "port 9999 is already in use by another program (perhaps another lesson; try --port)"
        );
        let e = connect(addr, io::Error::from_raw_os_error(111));
        assert_eq!(
            e.to_string(),
            "could not connect to 127.0.0.1:9999: connection refused (start the server first)"
        );
        assert_eq!(
            plain(&io::Error::from_raw_os_error(98)),
            "address already in use"
        );
    }
}
