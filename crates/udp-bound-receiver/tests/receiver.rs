//! Lesson 2's real binary against lesson 1's sender, a seed-style Python sender,
//! and a raw socket in the test.

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::net::UdpSocket;
use std::process::Command;
use std::time::Duration;

use lesson_testing::{PipedStdout, Program, WAIT, assert_one_line_error, lesson_bin, python, run};

const RECEIVER: &str = env!("CARGO_BIN_EXE_udp-bound-receiver");

fn port(addr: std::net::SocketAddr) -> String {
    addr.port().to_string()
}

#[test]
fn prints_what_lesson_1_sends_including_chinese() {
    let (mut receiver, addr) = Program::server(RECEIVER, &["--port", "0", "--count", "2"]);
    let mut sender = Command::new(lesson_bin("udp-sender"));
    sender.args(["--port", &port(addr)]);
    let (status, stdout, stderr) = run(sender, "你好，世界！\nhello\n".as_bytes(), WAIT);
    assert!(status.success(), "sender failed: {stderr}");
    assert_eq!(
        stdout,
        format!("sent 18 bytes to {addr}\nsent 5 bytes to {addr}\n")
    );

    let first = receiver.line();
    assert!(
        first.starts_with("from 127.0.0.1:") && first.ends_with(": 你好，世界！"),
        "{first}"
    );
    let second = receiver.line();
    assert!(second.ends_with(": hello"), "{second}");
    let (status, _) = receiver.wait_exit(WAIT);
    assert!(status.success(), "--count 2 ends the receiver with exit 0");
}

#[test]
fn a_long_datagram_is_reported_as_truncated_with_its_real_length() {
    let (mut receiver, addr) = Program::server(RECEIVER, &["--port", "0", "--buffer", "1024"]);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.send_to(&[b'x'; 3000], addr).unwrap();
    peer.send_to(b"short", addr).unwrap();
    let line = receiver.line();
    let expected = format!(
        "from {} (truncated: 3000 bytes sent, first 1024 kept): {}",
        peer.local_addr().unwrap(),
        "x".repeat(1024)
    );
    assert_eq!(line, expected);
    assert_eq!(
        receiver.line(),
        format!("from {}: short", peer.local_addr().unwrap())
    );
}

#[test]
fn invalid_bytes_show_as_replacement_characters() {
    for encoding in ["utf8", "gbk", "auto"] {
        let (mut receiver, addr) =
            Program::server(RECEIVER, &["--port", "0", "--encoding", encoding]);
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.send_to(b"ab\xffcd", addr).unwrap();
        let line = receiver.line();
        assert!(line.ends_with(": ab\u{fffd}cd"), "{encoding}: {line}");
    }
}

#[test]
fn control_characters_are_shown_and_cannot_fake_a_line() {
    let (mut receiver, addr) = Program::server(RECEIVER, &["--port", "0"]);
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    // ESC clears the screen; CR and LF would start what looks like another sender's line.
    peer.send_to(b"hi\x1b[2J\rfrom 10.0.0.1:1: fake\nend", addr)
        .unwrap();
    peer.send_to(b"next", addr).unwrap();
    let me = peer.local_addr().unwrap();
    assert_eq!(
        receiver.line(),
        format!("from {me}: hi\u{241b}[2J\u{240d}from 10.0.0.1:1: fake\u{240a}end"),
        "ESC, CR and LF must be shown as pictures, on the datagram's own line"
    );
    assert_eq!(receiver.line(), format!("from {me}: next"));
}

/// `udp-bound-receiver | head -1`: once the reader of stdout has gone, the
/// receiver goes on receiving (its log is lost), and never panics.
#[test]
fn a_closed_stdout_costs_the_log_not_the_receiver() {
    let mut command = Command::new(RECEIVER);
    command.args(["--port", "0", "--count", "2"]);
    let mut receiver = PipedStdout::spawn(command);
    // Read the listening line, then drop the pipe's reading end.
    let addr = receiver.listening_addr();
    receiver.close_stdout();
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.send_to(b"one", addr).unwrap();
    peer.send_to(b"two", addr).unwrap();
    let (status, stderr) = receiver.wait_exit(
        WAIT,
        "the receiver did not take both datagrams with its stdout closed",
    );
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "", "no panic, no error");
}

#[test]
fn ctrl_c_stops_the_receiver_within_a_second() {
    let (mut receiver, _) = Program::server(RECEIVER, &["--port", "0"]);
    receiver.interrupt();
    let (status, rest) = receiver.wait_exit(Duration::from_secs(1));
    assert!(status.success(), "exit status {status}");
    assert_eq!(rest, ["stopping (Ctrl-C)"]);
    assert_eq!(receiver.stderr(), "");
}

#[test]
fn a_busy_port_is_one_line_and_a_non_zero_exit() {
    let (_first, addr) = Program::server(RECEIVER, &["--port", "0"]);
    let mut second = Command::new(RECEIVER);
    second.args(["--port", &port(addr)]);
    let (status, stdout, stderr) = run(second, b"", WAIT);
    assert!(!status.success());
    assert_eq!(stdout, "");
    assert_one_line_error(&stderr);
    assert_eq!(
        stderr.trim_end(),
        format!(
            "error: port {} is already in use by another program (perhaps another lesson; try --port)",
            addr.port()
        )
    );
}

#[test]
fn listens_on_ipv6_loopback() {
    let (mut receiver, addr) = Program::server(RECEIVER, &["--host", "::1", "--port", "0"]);
    assert!(addr.is_ipv6());
    let peer = UdpSocket::bind("[::1]:0").unwrap();
    peer.send_to("v6 你好".as_bytes(), addr).unwrap();
    assert!(receiver.line().ends_with(": v6 你好"));
}

/// The seed's sender, in its own style: one sendto per message, no newline.
const PYTHON_SENDER: &str = r#"
import sys
from socket import *

# 1. 创建udp套接字
udp_socket = socket(AF_INET, SOCK_DGRAM)
dest_addr = ('127.0.0.1', int(sys.argv[1]))
# GBK, as the Windows network debugging assistant sends it
udp_socket.sendto('你好，GBK'.encode('gbk'), dest_addr)
udp_socket.sendto('你好，UTF-8'.encode('utf-8'), dest_addr)
udp_socket.sendto(b'bad \xff byte', dest_addr)
udp_socket.close()
"#;

#[test]
#[ignore = "needs python3 (scripts/ci.sh runs it)"]
fn shows_gbk_from_a_python_sender_under_auto_and_gbk() {
    for (encoding, utf8_line) in [("auto", "你好，UTF-8"), ("gbk", "浣犲ソ锛孶TF-8")] {
        let (mut receiver, addr) =
            Program::server(RECEIVER, &["--port", "0", "-e", encoding, "-n", "3"]);
        let (status, _, stderr) = run(python(PYTHON_SENDER, &[&port(addr)]), b"", WAIT);
        assert!(status.success(), "python sender failed: {stderr}");
        assert!(receiver.line().ends_with(": 你好，GBK"), "{encoding}");
        // Under gbk, UTF-8 bytes turn into mojibake: the encoding must match the sender's.
        let line = receiver.line();
        assert!(
            line.ends_with(&format!(": {utf8_line}")),
            "{encoding}: {line}"
        );
        assert!(
            receiver.line().ends_with(": bad \u{fffd} byte"),
            "{encoding}"
        );
        assert!(receiver.wait_exit(WAIT).0.success());
    }
}
