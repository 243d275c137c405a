//! Lesson 3's real binary: its server against its client, a raw socket, the seed's
//! Python client and `nc`; its client against test servers and the seed's Python server.

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use lesson_testing::{
    PipedStdout, Program, WAIT, assert_fails_with, assert_help_shows, python, run, tcp_peer,
    unused_addr,
};
use net_common::Encoding;

const GREETER: &str = env!("CARGO_BIN_EXE_tcp-greeter");
const GREETING: &str = "欢迎访问小昱的 Rust 服务！Welcome to Xiaoyu's Rust service!";

fn server(args: &[&str]) -> (Program, SocketAddr) {
    let mut all = vec!["server", "--port", "0"];
    all.extend_from_slice(args);
    Program::server(GREETER, &all)
}

fn client_command(addr: SocketAddr, args: &[&str]) -> Command {
    lesson_testing::client_command(GREETER, addr, args)
}

/// Runs the client; returns success, its stdout after the `connected to` line, and stderr.
fn client(addr: SocketAddr, args: &[&str]) -> (bool, String, String) {
    let (status, stdout, stderr) = run(client_command(addr, args), b"", WAIT);
    let rest = strip_connected(&stdout, addr);
    (status.success(), rest, stderr)
}

/// The client's first line says which address answered; returns what follows.
fn strip_connected(stdout: &str, addr: SocketAddr) -> String {
    let first = format!("connected to {addr}\n");
    match stdout.strip_prefix(&first) {
        Some(rest) => rest.to_owned(),
        None => panic!("expected the client to start with {first:?}, got {stdout:?}"),
    }
}

/// Everything a raw client receives until the server closes.
fn receive_all(addr: SocketAddr) -> Vec<u8> {
    let mut bytes = Vec::new();
    tcp_peer(addr).read_to_end(&mut bytes).unwrap();
    bytes
}

#[test]
fn the_client_prints_the_greeting_and_the_server_logs_each_connection() {
    let (mut server, addr) = server(&[]);
    for _ in 0..3 {
        let (ok, stdout, stderr) = client(addr, &[]);
        assert!(ok, "{stderr}");
        assert_eq!(
            stdout,
            format!("{GREETING}\nserver closed the connection\n")
        );
        let line = server.line();
        assert!(line.starts_with("connection from 127.0.0.1:"), "{line}");
    }
}

#[test]
fn the_greeting_is_one_crlf_line_of_utf8_then_the_server_closes() {
    let (_server, addr) = server(&[]);
    // read_to_end returns only once the server has closed the connection.
    assert_eq!(receive_all(addr), format!("{GREETING}\r\n").as_bytes());
}

#[test]
fn a_gbk_greeting_reads_right_under_auto_and_gbk_and_garbled_under_utf8() {
    let (_server, addr) = server(&["--encoding", "gbk"]);
    let expected = Encoding::Gbk
        .encode(&format!("{GREETING}\r\n"))
        .into_owned();
    assert_eq!(receive_all(addr), expected);
    assert_eq!(&expected[..4], b"\xbb\xb6\xd3\xad", "欢迎 in GBK");

    for encoding in ["auto", "gbk"] {
        let (ok, stdout, _) = client(addr, &["--encoding", encoding]);
        assert!(ok);
        assert!(stdout.starts_with(&format!("{GREETING}\n")), "{encoding}");
    }
    // GBK bytes are not UTF-8: under utf8 they show as U+FFFD, and nothing crashes.
    let (ok, stdout, _) = client(addr, &["--encoding", "utf8"]);
    assert!(ok);
    assert!(stdout.contains('\u{fffd}'), "{stdout}");
    assert!(
        stdout.contains("Welcome to Xiaoyu's Rust service!"),
        "{stdout}"
    );
}

#[test]
fn the_client_reads_until_the_server_closes_not_one_recv() {
    // A server that sends 3000 bytes in small pieces, each cutting a character in two:
    // the seed's single recv(1024) would print a fraction, with a broken character.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let text = "中".repeat(1000);
    let bytes = text.clone().into_bytes();
    let slow_server = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_nodelay(true).unwrap();
        for piece in bytes.chunks(700) {
            conn.write_all(piece).unwrap();
            // Gives the client the chance to read each piece on its own.
            thread::sleep(Duration::from_millis(20));
        }
    });
    let (ok, stdout, stderr) = client(addr, &[]);
    slow_server.join().unwrap();
    assert!(ok, "{stderr}");
    assert_eq!(stdout, format!("{text}\nserver closed the connection\n"));
}

#[test]
fn a_server_that_never_closes_is_given_up_on_after_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let stalling = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.write_all(b"hello").unwrap();
        // Keep the connection open until the client gives up and closes it.
        conn.set_read_timeout(Some(WAIT)).unwrap();
        let _ = conn.read(&mut [0; 8]);
    });
    let stdout = assert_fails_with(
        client_command(addr, &["--timeout", "0.3"]),
        "sent nothing more for 0.3s and did not close the connection",
    );
    stalling.join().unwrap();
    assert_eq!(
        strip_connected(&stdout, addr),
        "hello\n",
        "what came is printed"
    );
}

#[test]
fn a_bad_peer_costs_the_server_nothing() {
    let (mut server, addr) = server(&[]);
    // One client sends garbage and resets the connection at once; the next is greeted.
    let mut rude = tcp_peer(addr);
    // The server may have greeted and closed already: then this write fails, which is fine.
    let _ = rude.write_all(&[0xff; 4096]);
    socket2::SockRef::from(&rude)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(rude);
    server.wait_for_text("connection from");
    let (ok, stdout, _) = client(addr, &[]);
    assert!(ok);
    assert!(stdout.starts_with(GREETING));
}

#[test]
fn two_hundred_clients_connected_at_once_are_all_greeted() {
    // 200 connections in a burst, faster than one thread accepts them. With the
    // seed's listen(5) the queue overflows, and the system makes the clients that
    // do not fit retry after a second (then 3, 7, ...): all are greeted, slowly.
    // A backlog that holds the whole burst avoids the wait.
    let (_server, addr) = server(&["--backlog", "256"]);
    let peers: Vec<_> = (0..200).map(|_| tcp_peer(addr)).collect();
    for mut peer in peers {
        let mut bytes = Vec::new();
        peer.read_to_end(&mut bytes).unwrap();
        assert_eq!(bytes, format!("{GREETING}\r\n").as_bytes());
    }
}

#[test]
fn a_half_closed_client_still_gets_the_greeting() {
    let (_server, addr) = server(&[]);
    let mut peer = tcp_peer(addr);
    // shutdown(SHUT_WR): "I have nothing to say", but still listening.
    peer.shutdown(Shutdown::Write).unwrap();
    let mut bytes = Vec::new();
    peer.read_to_end(&mut bytes).unwrap();
    assert_eq!(bytes, format!("{GREETING}\r\n").as_bytes());
}

#[test]
#[cfg(target_os = "linux")]
fn five_hundred_connect_disconnect_cycles_leave_the_server_as_it_was() {
    let (server, addr) = server(&[]);
    let threads = || lesson_testing::thread_count(server.id());
    let before = threads();
    for i in 0..500 {
        let mut peer = tcp_peer(addr);
        if i % 2 == 0 {
            peer.read_to_end(&mut Vec::new()).unwrap();
        } else {
            // Gone at once, with a reset instead of a clean close.
            socket2::SockRef::from(&peer)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
        }
    }
    assert_eq!(receive_all(addr), format!("{GREETING}\r\n").as_bytes());
    assert_eq!(threads(), before, "the greeter serves on one thread");
}

#[test]
fn ctrl_c_stops_the_server_within_a_second() {
    let (mut server, addr) = server(&[]);
    assert!(client(addr, &[]).0);
    server.interrupt();
    let (status, rest) = server.wait_exit(Duration::from_secs(1));
    assert!(status.success(), "exit status {status}");
    assert_eq!(rest.last().map(String::as_str), Some("stopping (Ctrl-C)"));
    assert_eq!(server.stderr(), "");
}

#[test]
fn works_over_ipv6_loopback() {
    let (_server, addr) = server(&["--host", "::1"]);
    assert!(addr.is_ipv6());
    let (ok, stdout, _) = client(addr, &[]);
    assert!(ok);
    assert!(stdout.starts_with(GREETING));
}

#[test]
fn errors_are_one_line_and_a_non_zero_exit() {
    let (_server, addr) = server(&[]);
    let mut second = Command::new(GREETER);
    second.args(["server", "--port", &addr.port().to_string()]);
    assert_fails_with(second, "is already in use");

    let stdout = assert_fails_with(
        client_command(unused_addr(), &[]),
        "connection refused (start the server first)",
    );
    let mut localhost = Command::new(GREETER);
    let port = unused_addr().port().to_string();
    localhost.args(["client", "--host", "localhost", "--port", &port]);
    assert_fails_with(localhost, "connection refused (start the server first)");
    assert_eq!(stdout, "");
}

#[test]
fn help_lists_every_flag_with_its_default() {
    let server_flags = [
        "--backlog",
        "[default: 5]",
        "[default: 9999]",
        "[default: 127.0.0.1]",
    ];
    assert_help_shows(GREETER, &["server"], &server_flags);
    assert_help_shows(GREETER, &["client"], &["--timeout", "[default: 9999]"]);
}

/// The seed's client.py, as written there: one recv(1024), decoded as UTF-8.
const PYTHON_CLIENT: &str = r#"
import socket
import sys

# 创建 socket 对象
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
host = '127.0.0.1'
port = int(sys.argv[1])
# 连接服务，指定主机和端口
s.connect((host, port))
# 接收小于 1024 字节的数据
msg = s.recv(1024)
s.close()
print (msg.decode('utf-8'))
"#;

/// The seed's server.py: greets each connection and closes it. It binds a port the
/// system picks and says which, so the test can find it.
const PYTHON_SERVER: &str = r#"
import socket
import sys

serversocket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
serversocket.bind(('127.0.0.1', 0))
serversocket.listen(5)
print('listening on %s:%d' % serversocket.getsockname())
encoding = sys.argv[1]

while True:
    clientsocket, addr = serversocket.accept()
    print("连接地址: %s" % str(addr))
    msg = '欢迎访问小昱的python服务！' + "\r\n"
    clientsocket.send(msg.encode(encoding))
    clientsocket.close()
"#;

#[test]
#[ignore = "needs python3 (scripts/ci.sh runs it)"]
fn the_seeds_python_client_prints_the_greeting() {
    let (_server, addr) = server(&[]);
    let port = addr.port().to_string();
    let (status, stdout, stderr) = run(python(PYTHON_CLIENT, &[&port]), b"", WAIT);
    assert!(status.success(), "{stderr}");
    // The greeting's CRLF, then print()'s own newline: an empty line.
    assert_eq!(stdout, format!("{GREETING}\n\n"));
}

#[test]
#[ignore = "needs python3 (scripts/ci.sh runs it)"]
fn the_client_prints_the_seeds_python_server_greeting_in_utf8_and_gbk() {
    for encoding in ["utf-8", "gbk"] {
        let mut python_server = Program::spawn(python(PYTHON_SERVER, &[encoding]));
        let addr = python_server.listening_addr();
        let (ok, stdout, stderr) = client(addr, &[]);
        assert!(ok, "{stderr}");
        assert_eq!(
            stdout, "欢迎访问小昱的python服务！\nserver closed the connection\n",
            "{encoding}"
        );
        assert!(python_server.line().starts_with("连接地址: ('127.0.0.1', "));
    }
}

#[test]
#[ignore = "needs nc (scripts/ci.sh installs netcat-openbsd)"]
fn nc_receives_the_greeting() {
    let (_server, addr) = server(&[]);
    let mut nc = Command::new("nc");
    // -N: shut down our side when stdin ends (here at once), then read until the server closes.
    nc.args(["-N", "127.0.0.1", &addr.port().to_string()]);
    let (status, stdout, _) = run(nc, b"", WAIT);
    assert!(status.success());
    assert_eq!(stdout, format!("{GREETING}\n"));
}

#[test]
fn localhost_reaches_a_server_on_either_loopback_address() {
    // localhost is often both ::1 and 127.0.0.1: the client tries each in turn, as
    // Python's create_connection does, and says which one answered. (Some machines'
    // /etc/hosts give localhost only one of them; the other is then skipped here.)
    let names: Vec<SocketAddr> = ("localhost", 0).to_socket_addrs().unwrap().collect();
    for host in ["127.0.0.1", "::1"] {
        let ip: std::net::IpAddr = host.parse().unwrap();
        if !names.iter().any(|a| a.ip() == ip) {
            eprintln!("skipped: localhost does not stand for {host} on this machine");
            continue;
        }
        let (_server, addr) = server(&["--host", host]);
        let port = addr.port().to_string();
        let mut command = Command::new(GREETER);
        command.args(["client", "--host", "localhost", "--port", &port]);
        let (status, stdout, stderr) = run(command, b"", WAIT);
        assert!(status.success(), "server on {host}: {stderr}");
        assert_eq!(
            stdout,
            format!("connected to {addr}\n{GREETING}\nserver closed the connection\n"),
            "server on {host}"
        );
    }
}

#[test]
#[ignore = "needs root: unshare --mount and mount --bind (util-linux; scripts/ci.sh runs it)"]
fn a_name_whose_first_address_refuses_is_reached_at_the_next() {
    // The client tries each address a name stands for, as Python's create_connection
    // does. Here localhost is only 127.0.0.1, so a made-up name stands for ::1 first and
    // 127.0.0.1 second, in an /etc/hosts of its own: bind-mounted over the real one in
    // a private mount namespace (unshare --mount), which only the client runs in.
    let uid = lesson_testing::proc_status(std::process::id(), "Uid");
    assert_eq!(uid, 0, "needs root, for unshare --mount and mount --bind");
    // The server listens on 127.0.0.1 only, so on ::1 the port refuses.
    let (_server, addr) = server(&[]);
    let port = addr.port().to_string();
    let v6 = SocketAddr::new(Ipv6Addr::LOCALHOST.into(), addr.port());
    let refused = TcpStream::connect_timeout(&v6, WAIT).map(drop);
    assert!(
        refused
            .as_ref()
            .is_err_and(|e| e.kind() == ErrorKind::ConnectionRefused),
        "nothing may listen on {v6}: {refused:?}"
    );
    let hosts = std::env::temp_dir().join(format!("tcp-greeter-hosts-{}", std::process::id()));
    fs::write(&hosts, "::1 fallback.test\n127.0.0.1 fallback.test\n").unwrap();
    // getent shows on stderr the order glibc's getaddrinfo gives (std asks it too).
    let script = r#"mount --bind "$1" /etc/hosts && getent ahosts fallback.test >&2 &&
        exec "$2" client --host fallback.test --port "$3""#;
    let mut command = Command::new("unshare");
    command.args([
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
        "sh",
    ]);
    command.arg(&hosts).args([GREETER, &port]);
    let (status, stdout, stderr) = run(command, b"", WAIT);
    fs::remove_file(&hosts).unwrap();
    let real = fs::read_to_string("/etc/hosts").unwrap();
    assert!(
        !real.contains("fallback.test"),
        "the real /etc/hosts changed"
    );
    let order: Vec<&str> = (stderr.lines())
        .filter_map(|line| line.split_once(" STREAM").map(|(ip, _)| ip.trim()))
        .collect();
    eprintln!("getaddrinfo(\"fallback.test\") in the namespace: {order:?}");
    assert_eq!(order, ["::1", "127.0.0.1"], "::1 must come first: {stderr}");
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        format!("connected to {addr}\n{GREETING}\nserver closed the connection\n")
    );
}

#[test]
fn control_characters_from_the_server_are_shown_not_obeyed() {
    // A hostile server: clear the screen, set the window title, and a carriage
    // return that would overwrite the start of the line on a terminal.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hostile = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.write_all(b"\x1b[2Jhi\x1b]0;owned\x07 innocent\rspoofed\r\nend")
            .unwrap();
    });
    let (ok, stdout, stderr) = client(addr, &[]);
    hostile.join().unwrap();
    assert!(ok, "{stderr}");
    assert_eq!(
        stdout,
        "\u{241b}[2Jhi\u{241b}]0;owned\u{2407} innocent\u{240d}spoofed\nend\nserver closed the connection\n"
    );
}

/// A server whose stdout is a pipe this test holds, read up to its `listening on`
/// line: `close_stdout()` closes it (as `| true` does), or keep it and never read
/// (as a stalled `| less`).
fn piped_server() -> (PipedStdout, SocketAddr) {
    let mut command = Command::new(GREETER);
    command.args(["server", "--port", "0", "--backlog", "128"]);
    let mut server = PipedStdout::spawn(command);
    let addr = server.listening_addr();
    (server, addr)
}

#[test]
fn a_closed_stdout_costs_the_log_not_the_server() {
    // `tcp-greeter server --port 0 | true`: the reader of stdout is gone. println!
    // would panic on the first log line; the server must go on greeting.
    let (mut server, addr) = piped_server();
    server.close_stdout();
    for _ in 0..50 {
        assert_eq!(receive_all(addr), format!("{GREETING}\r\n").as_bytes());
    }
    assert!(server.running(), "the server died");
}

#[test]
fn a_stdout_nobody_reads_never_stops_the_server() {
    // A pipe holds 64 KiB, about 1,800 log lines; then a write to it blocks. The
    // log drops lines instead, so connection 8,000 is greeted like the first.
    let (server, addr) = piped_server();
    let started = Instant::now();
    for i in 0..8_000 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "too slow at {i}"
        );
        assert_eq!(
            receive_all(addr),
            format!("{GREETING}\r\n").as_bytes(),
            "connection {i}"
        );
    }
    assert!(server.stdout_open(), "the pipe stayed open and unread");
}

#[test]
#[ignore = "needs prlimit (util-linux; scripts/ci.sh runs it)"]
fn ctrl_c_stops_the_server_within_a_second_with_few_file_descriptors() {
    let mut server = Program::start(
        "prlimit",
        &[
            "--nofile=128",
            GREETER,
            "server",
            "--port",
            "0",
            "--backlog",
            "1024",
        ],
    );
    let addr = server.listening_addr();
    let peers: Vec<_> = (0..400).map(|_| tcp_peer(addr)).collect();
    server.interrupt();
    let (status, _) = server.wait_exit(Duration::from_secs(1));
    assert!(status.success(), "exit status {status}");
    drop(peers);
}
