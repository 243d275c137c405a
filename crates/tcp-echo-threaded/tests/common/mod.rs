//! What tests/echo.rs and tests/exercises.rs share: the server under test and a
//! raw client that has read its welcome.

// Each test file uses a different part of this module.
#![allow(dead_code)]
// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;

use lesson_testing::{PipedStdout, Program, read_text, tcp_peer};

pub const ECHO: &str = env!("CARGO_BIN_EXE_tcp-echo-threaded");

/// `tcp-echo-threaded server --port 0` plus `args`, and the address it listens on.
pub fn server(args: &[&str]) -> (Program, SocketAddr) {
    let mut all = vec!["server", "--port", "0"];
    all.extend_from_slice(args);
    Program::server(ECHO, &all)
}

/// A raw client that has read its welcome.
pub fn welcomed(addr: SocketAddr) -> TcpStream {
    let mut peer = tcp_peer(addr);
    assert_eq!(read_text(&mut peer, 8), "Welcome!");
    peer
}

/// Sends one message and reads its answer with ONE read: the server must send
/// each answer in one write (two small writes would meet Nagle's algorithm).
pub fn ask(peer: &mut TcpStream, msg: &str) -> String {
    peer.write_all(msg.as_bytes()).unwrap();
    let mut buf = [0; 4096];
    let n = peer.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// `tcp-echo-threaded server --port 0` plus `args`, stdout a pipe the test holds,
/// read up to its `listening on` line: `close_stdout()` closes it (as `| true`
/// does), or keep it and never read it.
pub fn piped_server(args: &[&str]) -> (PipedStdout, SocketAddr) {
    let mut command = Command::new(ECHO);
    command.args(["server", "--port", "0"]).args(args);
    let mut server = PipedStdout::spawn(command);
    let addr = server.listening_addr();
    (server, addr)
}
