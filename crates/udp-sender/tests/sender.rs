//! Lesson 1's real binary against a raw socket in the test and a seed-style
//! Python receiver. (Its pairing with lesson 2 is tested in lesson 2.)

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::thread;
use std::time::Duration;

use lesson_testing::{PipedStdout, Program, WAIT, assert_one_line_error, python, run};

const SENDER: &str = env!("CARGO_BIN_EXE_udp-sender");

fn peer() -> UdpSocket {
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(WAIT)).unwrap();
    peer
}

fn sender(args: &[&str], port: u16) -> Command {
    let mut command = Command::new(SENDER);
    command.args(args).args(["--port", &port.to_string()]);
    command
}

fn recv(peer: &UdpSocket) -> Vec<u8> {
    let mut buf = [0; 2048];
    let (n, _) = peer
        .recv_from(&mut buf)
        .expect("a datagram within the timeout");
    buf[..n].to_vec()
}

#[test]
fn each_stdin_line_is_one_datagram_without_its_newline() {
    let peer = peer();
    let port = peer.local_addr().unwrap().port();
    let (status, stdout, _) = run(sender(&[], port), "one\r\n二\n\nthree".as_bytes(), WAIT);
    assert!(status.success());
    assert_eq!(recv(&peer), b"one");
    assert_eq!(recv(&peer), "二".as_bytes());
    assert_eq!(
        recv(&peer),
        b"",
        "an empty line is an empty datagram: UDP allows it"
    );
    assert_eq!(recv(&peer), b"three");
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
}

#[test]
fn messages_can_be_sent_as_gbk() {
    let peer = peer();
    let port = peer.local_addr().unwrap().port();
    let (status, _, _) = run(sender(&["-e", "gbk", "-m", "你好"], port), b"", WAIT);
    assert!(status.success());
    assert_eq!(recv(&peer), b"\xc4\xe3\xba\xc3");
}

#[test]
fn reply_prints_the_answer_and_its_sender() {
    let peer = peer();
    let addr = peer.local_addr().unwrap();
    let answer = thread::spawn(move || {
        let mut buf = [0; 1024];
        let (n, from) = peer.recv_from(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"ping");
        peer.send_to("pong 好".as_bytes(), from).unwrap();
    });
    let (status, stdout, stderr) = run(sender(&["--reply", "-m", "ping"], addr.port()), b"", WAIT);
    answer.join().unwrap();
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        format!("sent 4 bytes to {addr}\nreply from {addr}: pong 好\n")
    );
}

#[test]
fn a_reply_with_control_characters_is_shown_not_obeyed() {
    let peer = peer();
    let addr = peer.local_addr().unwrap();
    let answer = thread::spawn(move || {
        let mut buf = [0; 1024];
        let (_, from) = peer.recv_from(&mut buf).unwrap();
        // Clear the screen, then a line that pretends to come from someone else.
        peer.send_to(b"\x1b[2Jok\r\nreply from 10.0.0.1:1: fake", from)
            .unwrap();
    });
    let (status, stdout, stderr) = run(sender(&["--reply", "-m", "ping"], addr.port()), b"", WAIT);
    answer.join().unwrap();
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "sent 4 bytes to {addr}\nreply from {addr}: \u{241b}[2Jok\u{240d}\u{240a}reply from 10.0.0.1:1: fake\n"
        ),
        "ESC, CR and LF must be shown as pictures, on the reply's own line"
    );
}

/// `udp-sender --port 9 -m hi | true`: stdout is a pipe whose reader has gone.
#[test]
fn a_closed_stdout_ends_the_sender_quietly() {
    let mut command = Command::new(SENDER);
    command
        .args(["--port", "9", "-m", "hi", "-m", "again"])
        .stdin(Stdio::null());
    let mut sender = PipedStdout::spawn(command);
    sender.close_stdout();
    let (status, stderr) = sender.wait_exit(WAIT, "the sender did not end");
    assert_eq!(status.code(), Some(0), "as `head` expects: {stderr}");
    assert_eq!(stderr, "", "no panic, no error");
}

#[test]
fn reply_says_when_no_answer_comes() {
    let silent = peer();
    let port = silent.local_addr().unwrap().port();
    let (status, stdout, _) = run(
        sender(&["--reply", "-t", "0.3", "-m", "anyone?"], port),
        b"",
        WAIT,
    );
    assert!(
        status.success(),
        "a lost answer is not an error: UDP promises nothing"
    );
    assert!(stdout.contains("no reply within 0.3s"), "{stdout}");
    assert_eq!(recv(&silent), b"anyone?");
}

#[test]
fn bad_input_is_a_one_line_error() {
    for (args, expected) in [
        (
            vec!["--host", "no such host", "-m", "x"],
            "error: unknown host 'no such host'",
        ),
        (
            vec!["--encoding", "latin1", "-m", "x"],
            "error: invalid value 'latin1'",
        ),
        (vec!["--timeout", "soon"], "error: invalid value 'soon'"),
    ] {
        let mut command = Command::new(SENDER);
        command.args(&args);
        let (status, _, stderr) = run(command, b"", WAIT);
        assert!(!status.success(), "{args:?}");
        assert!(stderr.starts_with(expected), "{args:?}: {stderr}");
        assert_one_line_error(&stderr);
    }
}

/// The seed's receiver ("udp绑定信息"), bound to a free port it prints first.
const PYTHON_RECEIVER: &str = r#"
from socket import *

# 1. 创建套接字
udp_socket = socket(AF_INET, SOCK_DGRAM)
# 2. 绑定本地的相关信息
udp_socket.bind(('127.0.0.1', 0))
print(udp_socket.getsockname()[1])
for _ in range(2):
    # 3. 等待接收对方发送的数据
    recv_data = udp_socket.recvfrom(1024)
    # 4. 显示接收到的数据
    print(recv_data[0].decode('gbk'))
    udp_socket.sendto('收到'.encode('gbk'), recv_data[1])
# 5. 关闭套接字
udp_socket.close()
"#;

#[test]
#[ignore = "needs python3 (scripts/ci.sh runs it)"]
fn talks_to_a_seed_style_python_receiver_in_gbk() {
    let mut receiver = Program::spawn(python(PYTHON_RECEIVER, &[]));
    let port: u16 = receiver.line().parse().unwrap();
    let (status, stdout, stderr) = run(
        sender(
            &["--encoding", "gbk", "--reply", "-m", "你好", "-m", "再见"],
            port,
        ),
        b"",
        WAIT,
    );
    assert!(status.success(), "{stderr}");
    assert_eq!(receiver.line(), "你好");
    assert_eq!(receiver.line(), "再见");
    let replies: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("reply from"))
        .collect();
    assert_eq!(replies.len(), 2, "{stdout}");
    assert!(replies.iter().all(|l| l.ends_with(": 收到")), "{stdout}");
    assert!(receiver.wait_exit(Duration::from_secs(5)).0.success());
}

/// On a terminal the sender says how to type, instead of waiting silently (a
/// newcomer met a program that seemed to hang). `script` gives it a terminal.
#[test]
#[ignore = "needs script (bsdutils) for a terminal; scripts/ci.sh runs it"]
fn on_a_terminal_it_says_how_to_type_and_end() {
    let peer = peer();
    let port = peer.local_addr().unwrap().port();
    let command = format!("{SENDER} --port {port}");
    let mut script = Command::new("script");
    script.args(["-qec", &command, "/dev/null"]);
    // "hi", then Ctrl-D (EOT) ends the input, as on a real terminal.
    let (status, stdout, _) = run(script, b"hi\n\x04", WAIT);
    assert!(status.success(), "{status}: {stdout}");
    assert!(
        stdout.contains("type lines; Ctrl-D ends"),
        "on a terminal the sender should first say how to type lines and end: {stdout:?}"
    );
    assert_eq!(recv(&peer), b"hi");
}

#[test]
fn without_a_terminal_it_does_not_prompt() {
    let peer = peer();
    let port = peer.local_addr().unwrap().port();
    let (status, stdout, stderr) = run(sender(&[], port), b"hi\n", WAIT);
    assert!(status.success(), "{status}");
    assert!(!stderr.contains("type lines"), "{stderr:?}");
    assert!(stdout.contains("sent 2 bytes"), "{stdout:?}");
}
