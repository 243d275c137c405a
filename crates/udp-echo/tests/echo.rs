//! Lesson 6's real binary: its server against its client, a raw socket, a
//! seed-style Python client and `nc -u`; its client against a seed-style Python
//! server and a test server that answers late or not at all.

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::net::{SocketAddr, UdpSocket};
use std::os::unix::process::ExitStatusExt;
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use lesson_testing::{PipedStdout, Program, WAIT, assert_fails_with, python, run};

const ECHO: &str = env!("CARGO_BIN_EXE_udp-echo");

fn server(args: &[&str]) -> (Program, SocketAddr) {
    let mut all = vec!["server", "--port", "0"];
    all.extend_from_slice(args);
    Program::server(ECHO, &all)
}

fn client(addr: SocketAddr, args: &[&str]) -> Command {
    let mut command = Command::new(ECHO);
    command
        .args(["client", "--host", &addr.ip().to_string()])
        .args(["--port", &addr.port().to_string()])
        .args(args);
    command
}

/// A raw socket for the test, with a read timeout so that nothing hangs.
fn peer() -> UdpSocket {
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(WAIT)).unwrap();
    peer
}

fn recv(socket: &UdpSocket) -> (Vec<u8>, SocketAddr) {
    let mut buf = [0; 4096];
    let (n, from) = socket
        .recv_from(&mut buf)
        .expect("a datagram within the timeout");
    (buf[..n].to_vec(), from)
}

#[test]
fn client_and_server_pair_up_in_utf8_and_gbk() {
    for encoding in ["utf8", "gbk"] {
        let (mut server, addr) = server(&["-e", encoding]);
        let (status, stdout, stderr) = run(
            client(addr, &["-e", encoding]),
            "Michael\n你好，世界\nexit\nnot sent\n".as_bytes(),
            WAIT,
        );
        assert!(status.success(), "{stderr}");
        assert_eq!(
            stdout,
            format!(
                "answer from {addr}: Hello, Michael!\nanswer from {addr}: Hello, 你好，世界!\n2 answered, 0 lost\n"
            ),
            "{encoding}"
        );
        let first = server.line();
        assert!(
            first.starts_with("from 127.0.0.1:") && first.ends_with(": Michael -> Hello, Michael!"),
            "{first}"
        );
        let second = server.line();
        assert!(
            second.ends_with(": 你好，世界 -> Hello, 你好，世界!"),
            "{second}"
        );
        // "exit" ended the client: nothing after it reached the server.
        server.interrupt();
        let (status, rest) = server.wait_exit(WAIT);
        assert!(status.success());
        assert_eq!(rest, ["stopping (Ctrl-C)"], "{encoding}");
    }
}

#[test]
fn works_over_ipv6_loopback() {
    let (_server, addr) = server(&["--host", "::1"]);
    assert!(addr.is_ipv6());
    let (status, stdout, stderr) = run(client(addr, &["-m", "v6"]), b"", WAIT);
    assert!(status.success(), "{stderr}");
    assert!(
        stdout.starts_with(&format!("answer from {addr}: Hello, v6!\n")),
        "{stdout}"
    );
}

#[test]
fn a_misbehaving_peer_costs_only_its_own_answers() {
    let (mut server, addr) = server(&[]);
    let rude = peer();
    // Longer than the server's 1024-byte buffer: cut, said so, and answered anyway.
    rude.send_to(&[b'x'; 3000], addr).unwrap();
    let (answer, from) = recv(&rude);
    assert_eq!(from, addr);
    assert_eq!(answer, [&b"Hello, "[..], &[b'x'; 1024], b"!"].concat());
    // Bytes that are not text are answered as they are and logged as U+FFFD.
    rude.send_to(b"\xff\xfe", addr).unwrap();
    assert_eq!(recv(&rude).0, b"Hello, \xff\xfe!");
    assert!(
        server
            .line()
            .contains("(truncated: 3000 bytes sent, first 1024 kept)")
    );
    assert!(
        server
            .line()
            .ends_with(": \u{fffd}\u{fffd} -> Hello, \u{fffd}\u{fffd}!")
    );

    // Somebody else is still served, and the log shows who sent what.
    let polite = peer();
    polite.send_to(b"ping", addr).unwrap();
    assert_eq!(recv(&polite).0, b"Hello, ping!");
    assert_eq!(
        server.line(),
        format!(
            "from {}: ping -> Hello, ping!",
            polite.local_addr().unwrap()
        )
    );
}

#[test]
fn with_drop_every_2_the_client_retries_and_with_1_reports_lost_answers() {
    // Datagrams 2 and 4 are dropped: "b" and "c" are answered on their second try.
    let (mut dropping, addr) = server(&["--drop-every", "2"]);
    let args = [
        "--timeout",
        "0.2",
        "--retries",
        "1",
        "-m",
        "a",
        "-m",
        "b",
        "-m",
        "c",
    ];
    let (status, stdout, stderr) = run(client(addr, &args), b"", WAIT);
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "answer from {addr}: Hello, a!\n\
             no answer within 0.2s (try 1 of 2), sending \"b\" again\n\
             answer from {addr}: Hello, b! (try 2 of 2)\n\
             no answer within 0.2s (try 1 of 2), sending \"c\" again\n\
             answer from {addr}: Hello, c! (try 2 of 2)\n\
             3 answered, 0 lost\n"
        )
    );
    let log: Vec<String> = (0..5).map(|_| dropping.line()).collect();
    let dropped: Vec<&String> = log
        .iter()
        .filter(|l| l.ends_with("-> dropped on purpose"))
        .collect();
    assert_eq!(dropped.len(), 2, "{log:?}");
    assert!(log[1].ends_with(": b -> dropped on purpose"), "{log:?}");

    // Every datagram dropped: each wait is bounded, and the loss is reported.
    let (_server, addr) = server(&["--drop-every", "1"]);
    let started = Instant::now();
    let (status, stdout, _) = run(
        client(addr, &["-t", "0.2", "-r", "1", "-m", "x"]),
        b"",
        WAIT,
    );
    assert!(status.success(), "a lost answer is not an error");
    assert!(started.elapsed() < Duration::from_secs(5), "{stdout}");
    assert_eq!(
        stdout,
        "no answer within 0.2s (try 1 of 2), sending \"x\" again\n\
         no answer within 0.2s (try 2 of 2): the answer to \"x\" is lost (is the server running?)\n\
         0 answered, 1 lost\n"
    );
}

#[test]
fn a_late_answer_to_an_earlier_message_is_not_taken_for_the_current_one() {
    let fake = peer();
    let addr = fake.local_addr().unwrap();
    let stranger = peer();
    let fake_server = thread::spawn(move || {
        // Both tries of "a" go unanswered.
        let (data, client) = recv(&fake);
        assert_eq!(data, b"a");
        assert_eq!(recv(&fake).0, b"a");
        // When "b" comes, a stranger and the late answer to "a" arrive first.
        assert_eq!(recv(&fake).0, b"b");
        stranger.send_to(b"Hello, b!", client).unwrap();
        fake.send_to(b"Hello, a!", client).unwrap();
        fake.send_to(b"Hello, b!", client).unwrap();
        stranger.local_addr().unwrap()
    });
    let (status, stdout, stderr) = run(
        client(addr, &["-t", "0.3", "-r", "1", "-m", "a", "-m", "b"]),
        b"",
        WAIT,
    );
    let stranger = fake_server.join().unwrap();
    assert!(status.success(), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..2],
        [
            r#"no answer within 0.3s (try 1 of 2), sending "a" again"#,
            r#"no answer within 0.3s (try 2 of 2): the answer to "a" is lost (is the server running?)"#,
        ]
    );
    // The stranger and the late answer may arrive in either order.
    let mut ignored = lines[2..4].to_vec();
    ignored.sort_unstable();
    let mut expected = [
        format!(r#"ignored a datagram from {stranger} that is not the answer to "b": Hello, b!"#),
        format!(r#"ignored a datagram from {addr} that is not the answer to "b": Hello, a!"#),
    ];
    expected.sort_unstable();
    assert_eq!(ignored, expected);
    assert_eq!(
        lines[4..],
        [
            format!("answer from {addr}: Hello, b!").as_str(),
            "1 answered, 1 lost"
        ]
    );
}

/// Issue 15: the old client took an answer that *contained* an earlier message for
/// a late one, and one that contained this message for this one's, so the late
/// "Hello, ab!" passed for the answer to "a". Answers are now compared whole.
#[test]
fn a_late_answer_that_contains_the_current_message_is_still_late() {
    let fake = peer();
    let addr = fake.local_addr().unwrap();
    let fake_server = thread::spawn(move || {
        let (data, client) = recv(&fake);
        assert_eq!(data, b"ab", "nothing answers \"ab\"");
        assert_eq!(recv(&fake).0, b"a");
        fake.send_to(b"Hello, ab!", client).unwrap();
        fake.send_to(b"Hello, a!", client).unwrap();
    });
    let (status, stdout, stderr) = run(
        client(addr, &["-t", "0.3", "-r", "0", "-m", "ab", "-m", "a"]),
        b"",
        WAIT,
    );
    fake_server.join().unwrap();
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "no answer within 0.3s (try 1 of 1): the answer to \"ab\" is lost (is the server running?)\n\
             ignored a datagram from {addr} that is not the answer to \"a\": Hello, ab!\n\
             answer from {addr}: Hello, a!\n\
             1 answered, 1 lost\n"
        ),
        "the late answer to \"ab\" must not pass for the answer to \"a\""
    );
}

/// Seed 003's server answers with car names, whatever it is sent: such answers
/// are taken as they come.
#[test]
fn a_server_that_answers_in_its_own_way_still_works() {
    let fake = peer();
    let addr = fake.local_addr().unwrap();
    let fake_server = thread::spawn(move || {
        for car in ["audi", "toyato"] {
            let (_, client) = recv(&fake);
            fake.send_to(car.as_bytes(), client).unwrap();
        }
    });
    let (status, stdout, stderr) = run(client(addr, &["-m", "a", "-m", "b"]), b"", WAIT);
    fake_server.join().unwrap();
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        format!("answer from {addr}: audi\nanswer from {addr}: toyato\n2 answered, 0 lost\n")
    );
}

#[test]
fn control_characters_are_shown_on_both_sides_never_obeyed() {
    let (mut server, addr) = server(&[]);
    let rude = peer();
    rude.send_to(b"\x1b[2Jx\rfrom 10.0.0.1:1: y\nz", addr)
        .unwrap();
    assert_eq!(recv(&rude).0, b"Hello, \x1b[2Jx\rfrom 10.0.0.1:1: y\nz!");
    let shown = "\u{241b}[2Jx\u{240d}from 10.0.0.1:1: y\u{240a}z";
    assert_eq!(
        server.line(),
        format!(
            "from {}: {shown} -> Hello, {shown}!",
            rude.local_addr().unwrap()
        ),
        "ESC, CR and LF must be shown as pictures, on the datagram's own line"
    );

    // The client shows its answers the same way.
    let (status, stdout, stderr) = run(client(addr, &["-m", "\x1b]0;title\x07"]), b"", WAIT);
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        format!("answer from {addr}: Hello, \u{241b}]0;title\u{2407}!\n1 answered, 0 lost\n")
    );
}

#[test]
fn a_closed_stdout_costs_the_server_its_log_and_nothing_else() {
    // `udp-echo server --port 0 | head -1`: the listening line, then the pipe closes.
    let mut command = Command::new(ECHO);
    command.args(["server", "--port", "0"]).stdin(Stdio::null());
    let mut server = PipedStdout::spawn(command);
    let addr = server.listening_addr();
    server.close_stdout();
    let peer = peer();
    for name in ["Michael", "Tracy", "Sarah"] {
        peer.send_to(name.as_bytes(), addr).unwrap();
        assert_eq!(recv(&peer).0, format!("Hello, {name}!").as_bytes());
    }
    assert!(server.running(), "the server must go on");
    server.interrupt();
    let (status, stderr) = server.wait_exit(WAIT, "the server did not end on SIGINT");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert_eq!(stderr, "", "no panic, no error");
}

#[test]
fn a_closed_stdout_ends_the_client_quietly() {
    let (_server, addr) = server(&[]);
    let mut command = client(addr, &["-m", "a", "-m", "b"]);
    command.stdin(Stdio::null());
    let mut client = PipedStdout::spawn(command);
    client.close_stdout(); // `| true`: nobody reads the answers
    let (status, stderr) = client.wait_exit(WAIT, "the client did not end");
    assert_eq!(status.code(), Some(0), "as `head` expects: {stderr}");
    assert_eq!(stderr, "", "no panic, no error");
}

#[test]
fn a_line_too_long_for_one_datagram_costs_only_that_line() {
    let (_server, addr) = server(&[]);
    let input = format!("{}\nshort\n", "x".repeat(70_000));
    let (status, stdout, stderr) = run(client(addr, &["-r", "0"]), input.as_bytes(), WAIT);
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "could not send a 70000-byte datagram: message too long\nanswer from {addr}: Hello, short!\n1 answered, 1 lost\n"
        )
    );
}

#[test]
fn ctrl_c_stops_the_server_within_a_second() {
    let (mut server, _) = server(&[]);
    server.interrupt();
    let (status, rest) = server.wait_exit(Duration::from_secs(1));
    assert!(status.success(), "exit status {status}");
    assert_eq!(rest, ["stopping (Ctrl-C)"]);
    assert_eq!(server.stderr(), "");
}

/// The client keeps Ctrl-C's default action, as the seed does: it ends at once,
/// wherever it waits, and the shell sees a process killed by SIGINT.
#[test]
fn ctrl_c_stops_a_waiting_client_at_once() {
    let silent = peer();
    let addr = silent.local_addr().unwrap();
    let mut client = Program::spawn(client(addr, &["--timeout", "60", "-m", "anyone?"]));
    // Once the datagram is here, the client is waiting for its answer.
    assert_eq!(recv(&silent).0, b"anyone?");
    client.interrupt();
    let started = Instant::now();
    let (status, rest) = client.wait_exit(Duration::from_secs(1));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert_eq!(status.signal(), Some(2), "ended by SIGINT: {status}");
    assert!(rest.is_empty(), "{rest:?}");
    assert_eq!(client.stderr(), "");
}

#[test]
fn bad_flags_and_a_busy_port_are_one_line_errors() {
    let mut bad_drop = Command::new(ECHO);
    bad_drop.args(["server", "--drop-every", "0"]);
    assert_fails_with(
        bad_drop,
        "error: invalid value '0' for '--drop-every <N>': 0 is not in 1..18446744073709551615",
    );

    let (_first, addr) = server(&[]);
    let mut busy = Command::new(ECHO);
    busy.args(["server", "--port", &addr.port().to_string()]);
    let stdout = assert_fails_with(busy, &format!("port {} is already in use", addr.port()));
    assert!(stdout.is_empty(), "{stdout:?}");
}

/// Seed 001's client, in its own style: one sendto per message, no newline
/// (with a timeout, so that a broken server fails the test instead of hanging it).
const PYTHON_CLIENT: &str = r#"
import socket
import sys

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
for data in [b'Michael', b'Tracy', '莎拉'.encode('utf-8')]:
    # 发送数据:
    s.sendto(data, ('127.0.0.1', int(sys.argv[1])))
    # 接收数据:
    print(s.recv(1024).decode('utf-8'))
s.close()
"#;

#[test]
#[ignore = "needs python3 (scripts/ci.sh runs it)"]
fn answers_a_seed_style_python_client() {
    let (mut server, addr) = server(&[]);
    let (status, stdout, stderr) = run(
        python(PYTHON_CLIENT, &[&addr.port().to_string()]),
        b"",
        WAIT,
    );
    assert!(status.success(), "{stderr}");
    assert_eq!(stdout, "Hello, Michael!\nHello, Tracy!\nHello, 莎拉!\n");
    for name in ["Michael", "Tracy", "莎拉"] {
        let line = server.line();
        assert!(line.starts_with("from 127.0.0.1:"), "{line}");
        assert!(
            line.ends_with(&format!(": {name} -> Hello, {name}!")),
            "{line}"
        );
    }
}

#[test]
#[ignore = "needs nc (scripts/ci.sh runs it)"]
fn answers_nc_u_line_by_line() {
    let (mut server, addr) = server(&[]);
    let mut nc = Program::start("nc", &["-u", "127.0.0.1", &addr.port().to_string()]);
    // nc sends each line with its newline; the answer keeps it at the end.
    nc.send_bytes(b"hello\n");
    assert_eq!(nc.line(), "Hello, hello!");
    nc.send_bytes("你好\n".as_bytes());
    assert_eq!(nc.line(), "Hello, 你好!");
    assert!(server.line().ends_with(": hello -> Hello, hello!"));
    assert!(server.line().ends_with(": 你好 -> Hello, 你好!"));
}

/// Seed 004's server, in its own style ("Echo: %s!"), bound to a free port it prints
/// first, and stopping after two datagrams.
const PYTHON_SERVER: &str = r#"
import socket

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
print(s.getsockname()[1])
for _ in range(2):
    data, addr = s.recvfrom(1024)
    print('Received from %s:%s.' % addr)
    s.sendto(b'Echo: %s!' % data, addr)
s.close()
"#;

#[test]
#[ignore = "needs python3 (scripts/ci.sh runs it)"]
fn the_client_talks_to_a_seed_style_python_server() {
    let mut py = Program::spawn(python(PYTHON_SERVER, &[]));
    let port: u16 = py.line().parse().unwrap();
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let (status, stdout, stderr) = run(client(addr, &["-m", "hello", "-m", "你好"]), b"", WAIT);
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        format!(
            "answer from {addr}: Echo: hello!\nanswer from {addr}: Echo: 你好!\n2 answered, 0 lost\n"
        )
    );
    assert!(py.line().starts_with("Received from 127.0.0.1:"));
    assert!(py.wait_exit(WAIT).0.success());
}
