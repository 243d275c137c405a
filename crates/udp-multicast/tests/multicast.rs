//! Lesson 7's real binary: several peers on one port of one machine, a seed-style
//! Python peer among them, leaving the group, Ctrl-C and bad flags.
//!
//! Every test starts its first peer with `--port 0` and the others on the port it
//! got, so tests never share a port, even running at once.

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use lesson_testing::{PipedStdout, Program, WAIT, assert_fails_with, python};

const PEER: &str = env!("CARGO_BIN_EXE_udp-multicast");

/// A running peer, the port it joined on, and the address it sends from.
struct Peer {
    program: Program,
    port: u16,
    me: SocketAddr,
}

/// Starts a peer and waits for its first line, which it prints once it has joined:
/// "joined 230.0.0.1:PORT via 127.0.0.1 (sending from 127.0.0.1:N, TTL 1)".
fn start(port: u16, args: &[&str]) -> Peer {
    let port_arg = port.to_string();
    let mut all = vec!["--port", &port_arg];
    all.extend_from_slice(args);
    let mut program = Program::start(PEER, &all);
    let first = program.line();
    let joined = first
        .strip_prefix("joined 230.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"));
    let (port, rest) = joined.split_once(' ').unwrap();
    assert!(
        rest.starts_with("via 127.0.0.1 (sending from 127.0.0.1:"),
        "{first}"
    );
    assert!(rest.ends_with(", TTL 1)"), "{first}");
    let me = rest["via 127.0.0.1 (sending from ".len()..rest.len() - ", TTL 1)".len()]
        .parse()
        .unwrap();
    Peer {
        program,
        port: port.parse().unwrap(),
        me,
    }
}

/// Reads lines until every expected line has come, in any order (datagrams from
/// different senders may arrive in any order); fails if one is missing after WAIT.
fn expect_lines(program: &mut Program, expected: &[String]) {
    let mut missing: Vec<&String> = expected.iter().collect();
    let deadline = Instant::now() + WAIT;
    while !missing.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        let Some(line) = program.next_line(left) else {
            panic!(
                "missing {missing:?}; saw {:?}; stderr: {}",
                program.seen(),
                program.stderr()
            );
        };
        missing.retain(|m| **m != line);
    }
}

#[test]
fn two_peers_hear_each_other_and_themselves_in_utf8_and_gbk() {
    let mut a = start(0, &[]);
    let mut b = start(a.port, &["--encoding", "gbk"]);
    assert_eq!(a.port, b.port);
    assert_ne!(a.me, b.me, "each peer sends from a port of its own");

    a.program.send_line("hello from A");
    b.program.send_line("你好，我是 B");
    // A reads B's GBK under --encoding auto; B reads A's ASCII under gbk.
    let (from_a, from_b) = ("hello from A", "你好，我是 B");
    expect_lines(
        &mut a.program,
        &[
            format!("from {} (you): {from_a}", a.me),
            format!("from {}: {from_b}", b.me),
        ],
    );
    expect_lines(
        &mut b.program,
        &[
            format!("from {}: {from_a}", a.me),
            format!("from {} (you): {from_b}", b.me),
        ],
    );
}

#[test]
fn exit_or_the_end_of_input_leaves_the_group_and_exit_is_not_sent() {
    let mut a = start(0, &[]);
    let mut b = start(a.port, &[]);
    a.program.send_line("exit");
    let (status, rest) = a.program.wait_exit(WAIT);
    assert!(status.success(), "{}", a.program.stderr());
    assert_eq!(rest, [format!("left 230.0.0.1:{}", a.port)]);

    // B hears its own marker, and nothing before it: "exit" never went out.
    b.program.send_line("marker");
    assert_eq!(b.program.line(), format!("from {} (you): marker", b.me));

    // The end of input leaves too.
    b.program.close_stdin();
    let (status, rest) = b.program.wait_exit(WAIT);
    assert!(status.success());
    assert_eq!(rest, [format!("left 230.0.0.1:{}", b.port)]);
    assert_eq!(b.program.stderr(), "");
}

#[test]
fn messages_given_with_m_are_sent_then_the_peer_leaves() {
    let mut listener = start(0, &[]);
    let port = listener.port.to_string();
    let mut sender = Program::start(PEER, &["--port", &port, "-m", "one", "-m", "two"]);
    let (status, _) = sender.wait_exit(WAIT);
    assert!(status.success(), "{}", sender.stderr());
    // The sender hears its own lines too, and waits for them before it leaves.
    let seen = sender.seen().join("\n");
    let lines: Vec<&str> = seen.lines().skip(1).collect();
    assert_eq!(lines.len(), 3, "{seen}");
    assert!(
        lines[0].ends_with(" (you): one") && lines[1].ends_with(" (you): two"),
        "{seen}"
    );
    assert_eq!(lines[2], format!("left 230.0.0.1:{port}"));
    let first = listener.program.line();
    let second = listener.program.line();
    assert!(
        first.ends_with(": one") && second.ends_with(": two"),
        "{first} / {second}"
    );
}

/// Ctrl-C and the end of input at almost the same moment: the handler says goodbye and
/// exits while the main loop, seeing the end of input, would say it too. Once
/// "stopping (Ctrl-C)" is out, nothing else may print: "left" comes once. (Before the
/// handler held stdout until the exit, about one try in ten printed "left" twice.)
#[test]
fn ctrl_c_with_the_end_of_input_says_left_once() {
    for attempt in 0..30 {
        let mut peer = start(0, &[]);
        peer.program.interrupt();
        assert_eq!(peer.program.line(), "stopping (Ctrl-C)");
        // wait_exit closes stdin at once: the main loop ends its input now.
        let (status, rest) = peer.program.wait_exit(Duration::from_secs(2));
        assert!(status.success(), "attempt {attempt}: exit status {status}");
        let left = format!("left 230.0.0.1:{}", peer.port);
        assert_eq!(rest, [left], "attempt {attempt}");
    }
}

#[test]
fn ctrl_c_stops_a_peer_within_a_second() {
    let mut peer = start(0, &[]);
    let started = Instant::now();
    peer.program.interrupt();
    // Read the line before wait_exit, which closes stdin: the end of input would
    // make the peer leave too, and the test could not tell which stopped it.
    assert_eq!(peer.program.line(), "stopping (Ctrl-C)");
    let (status, rest) = peer.program.wait_exit(Duration::from_secs(1));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(status.success(), "exit status {status}");
    assert_eq!(rest, [format!("left 230.0.0.1:{}", peer.port)]);
    assert_eq!(peer.program.stderr(), "");
}

#[test]
fn control_characters_from_the_group_are_shown_never_obeyed() {
    let mut a = start(0, &[]);
    // Anybody on this machine can send to the group, with no need to join it.
    let stranger = UdpSocket::bind("127.0.0.1:0").unwrap();
    net_common::sockets::set_multicast_interface(&stranger, [127, 0, 0, 1].into()).unwrap();
    stranger.set_multicast_ttl_v4(1).unwrap();
    stranger
        .send_to(
            b"\x1b[2Jhi\rfrom 127.0.0.1:1: fake\nend",
            ("230.0.0.1", a.port),
        )
        .unwrap();
    assert_eq!(
        a.program.line(),
        format!(
            "from {}: \u{241b}[2Jhi\u{240d}from 127.0.0.1:1: fake\u{240a}end",
            stranger.local_addr().unwrap()
        ),
        "ESC, CR and LF must be shown as pictures, on the datagram's own line"
    );
}

/// `udp-multicast | head -1`: once the reader of stdout has gone, the peer ends
/// quietly, as a client does, the next time it has something to print.
#[test]
fn a_closed_stdout_ends_the_peer_quietly() {
    let mut command = Command::new(PEER);
    command.args(["--port", "0"]).stdin(Stdio::piped());
    let mut peer = PipedStdout::spawn(command);
    assert!(peer.first_line().starts_with("joined "));
    peer.close_stdout();
    let mut stdin = peer.child().stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, b"hello\n").unwrap();
    let (status, stderr) = peer.wait_exit(WAIT, "the peer did not end after its stdout closed");
    assert_eq!(status.code(), Some(0), "as `head` expects: {stderr}");
    assert_eq!(stderr, "", "no panic, no error");
}

/// `udp-multicast ARGS...`, which should fail at once with one error line.
fn peer_command(args: &[&str]) -> Command {
    let mut command = Command::new(PEER);
    command.args(args);
    command
}

#[test]
fn a_bad_group_or_interface_is_a_clear_error() {
    let stdout = assert_fails_with(
        peer_command(&["--group", "10.0.0.1"]),
        "error: invalid value '10.0.0.1' for '--group <GROUP>': 10.0.0.1 is not a multicast address",
    );
    assert!(stdout.is_empty(), "{stdout:?}");
    // 198.51.100.7 is reserved for documentation (TEST-NET-2): no machine here has it, so the join fails.
    let stdout = assert_fails_with(
        peer_command(&["--port", "0", "--interface", "198.51.100.7"]),
        "error: cannot join 230.0.0.1 through 198.51.100.7: ",
    );
    assert!(stdout.is_empty(), "{stdout:?}");
}
/// Seed 003's multicast chat peer, in its own style, with the fixes one machine
/// needs: SO_REUSEADDR before bind, TTL 1, and the group joined and sent to through
/// 127.0.0.1 (IP_MULTICAST_IF). It prints "joined" once it is in the group.
const PYTHON_PEER: &str = r#"
import socket, sys, threading
#定义本机IP地址
SENDERIP = '127.0.0.1'
#定义本地端口
SENDERPORT = int(sys.argv[1])
#定义本程序的多点广播IP地址
MYGROUP = '230.0.0.1'
s = socket.socket(type=socket.SOCK_DGRAM)
#设置允许多点广播使用相同的端口 (before bind, or the bind fails)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('', SENDERPORT))
#设置广播消息的TTL
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(SENDERIP))
#将socket进入广播组
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, socket.inet_aton(MYGROUP) + socket.inet_aton(SENDERIP))
print('joined')
#定义从socket读取数据的方法
def read_socket(sock):
    while True:
        data = sock.recv(2048)
        print(data.decode('utf-8'))
threading.Thread(target=read_socket, args=(s, ), daemon=True).start()
#循环读取键盘输入，并输出到socket中
while True:
    try:
        line = input('')
    except EOFError:
        break
    if line == 'exit':
        break
    s.sendto(line.encode('utf-8'), (MYGROUP, SENDERPORT))
"#;

#[test]
#[ignore = "needs python3 (scripts/ci.sh runs it)"]
fn three_peers_two_rust_one_python_on_one_port_all_hear_every_message() {
    let mut a = start(0, &[]);
    let mut b = start(a.port, &[]);
    let mut c = Program::spawn(python(PYTHON_PEER, &[&a.port.to_string()]));
    assert_eq!(c.line(), "joined");

    a.program.send_line("from A");
    b.program.send_line("来自 B");
    c.send_line("from Python");
    // The Python peer sends from the socket it receives on, so from the group's port.
    let python_says = format!("from 127.0.0.1:{}: from Python", a.port);
    expect_lines(
        &mut a.program,
        &[
            format!("from {} (you): from A", a.me),
            format!("from {}: 来自 B", b.me),
            python_says.clone(),
        ],
    );
    expect_lines(
        &mut b.program,
        &[
            format!("from {}: from A", a.me),
            format!("from {} (you): 来自 B", b.me),
            python_says,
        ],
    );
    expect_lines(
        &mut c,
        &[
            "from A".to_owned(),
            "来自 B".to_owned(),
            "from Python".to_owned(),
        ],
    );
    c.send_line("exit");
    assert!(c.wait_exit(WAIT).0.success(), "{}", c.stderr());
}
