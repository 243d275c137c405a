//! What tests/echo.rs and tests/exercises.rs share: the server under test and raw
//! clients that have read their welcome.

// Each test file uses a different part of this module.
#![allow(dead_code)]
// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use lesson_testing::{Program, read_text, tcp_peer};

pub const ECHO: &str = env!("CARGO_BIN_EXE_tcp-echo-selectors");

/// `tcp-echo-selectors server --port 0` plus `args`, and the address it listens on.
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

/// Sends one message and reads its answer with ONE read: the server sends all the
/// answers to one recv in one write.
pub fn ask(peer: &mut (impl Read + Write), msg: &str) -> String {
    peer.write_all(msg.as_bytes()).unwrap();
    let mut buf = [0; 4096];
    let n = peer.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

/// A path for a Unix domain socket that no other test uses (the file is not created).
pub fn socket_path(name: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("echo9-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{name}.sock"))
}
