//! Lesson 4's real binary: its server against its client, raw sockets that misbehave,
//! the seed's Python client and `nc`; its client against the seed's Python server.

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

mod common;

use common::{ECHO, ask, piped_server, server, welcomed};
use lesson_testing::{
    Program, WAIT, assert_fails_with, assert_help_shows, eventually, python, read_text, run,
    tcp_peer, unused_addr,
};
use net_common::Encoding;

fn client_command(addr: SocketAddr, args: &[&str]) -> Command {
    lesson_testing::client_command(ECHO, addr, args)
}

/// Runs the client with `input` on stdin; asserts it succeeds and says which
/// address answered first. Returns the rest of its stdout.
fn talk(addr: SocketAddr, args: &[&str], input: &str) -> String {
    let (status, stdout, stderr) = run(client_command(addr, args), input.as_bytes(), WAIT);
    assert!(status.success(), "{stderr}");
    after_connected(&stdout, &addr.to_string())
}

/// What follows the client's `connected to <server>` line.
fn after_connected(stdout: &str, server: &str) -> String {
    let first = format!("connected to {server}\n");
    match stdout.strip_prefix(&first) {
        Some(rest) => rest.to_owned(),
        None => panic!("expected the client to start with {first:?}, got {stdout:?}"),
    }
}

/// The server's thread count (Linux).
fn threads(server: &Program) -> usize {
    lesson_testing::thread_count(server.id())
}

#[test]
fn the_client_prints_the_welcome_and_an_answer_per_line_then_sends_exit() {
    let (mut server, addr) = server(&[]);
    let stdout = talk(addr, &[], "zhangsan\nlisi\n\n王五\n");
    assert_eq!(
        stdout,
        "Welcome!\nHello, zhangsan!\nHello, lisi!\nHello, 王五!\nserver closed the connection\n",
        "the empty line is skipped: it would get no answer"
    );
    let opened = server.line();
    assert!(
        opened.starts_with("accept new connection from 127.0.0.1:"),
        "{opened}"
    );
    let closed = server.line();
    assert!(closed.ends_with("closed: the client sent exit"), "{closed}");
}

#[test]
fn on_the_wire_one_answer_per_recv_with_the_messages_newline() {
    let (_server, addr) = server(&[]);
    let mut peer = welcomed(addr);
    // The seed's style: no newline, none back.
    assert_eq!(ask(&mut peer, "bob"), "Hello, bob!");
    // A line tool's style: the newline comes back at the end of the answer.
    assert_eq!(ask(&mut peer, "你好\n"), "Hello, 你好!\n");
    assert_eq!(ask(&mut peer, "crlf\r\n"), "Hello, crlf!\r\n");
    // "exit" ends the conversation: the server closes.
    assert_eq!(ask(&mut peer, "exit\n"), "");
}

#[test]
fn gbk_is_read_under_auto_and_spoken_under_gbk() {
    let gbk = Encoding::Gbk.encode("你好").into_owned();
    // Under auto, GBK bytes are read as GBK; the answer goes out in UTF-8.
    let (_auto, addr) = server(&[]);
    let mut peer = welcomed(addr);
    peer.write_all(&gbk).unwrap();
    assert_eq!(read_text(&mut peer, "Hello, 你好!".len()), "Hello, 你好!");
    // Bytes that are neither UTF-8 nor GBK show as U+FFFD and cost nothing.
    let mut peer = welcomed(addr);
    peer.write_all(b"bad \xff").unwrap();
    assert_eq!(read_text(&mut peer, 15), "Hello, bad \u{fffd}!");

    // Under gbk, both ways are GBK; the client with --encoding gbk pairs with it.
    let (_gbk, addr) = server(&["--encoding", "gbk"]);
    let mut peer = welcomed(addr);
    peer.write_all(&gbk).unwrap();
    let mut answer = vec![0; 12];
    peer.read_exact(&mut answer).unwrap();
    assert_eq!(answer, Encoding::Gbk.encode("Hello, 你好!").as_ref());
    let stdout = talk(addr, &["--encoding", "gbk", "-m", "世界"], "");
    assert_eq!(
        stdout,
        "Welcome!\nHello, 世界!\nserver closed the connection\n"
    );
}

#[test]
#[cfg(target_os = "linux")]
fn two_hundred_clients_at_once_each_on_its_own_named_thread() {
    let (server, addr) = server(&[]);
    let before = threads(&server);
    let mut peers: Vec<TcpStream> = (0..200).map(|_| welcomed(addr)).collect();
    // Every client is connected and welcomed: 200 conversations are open at once.
    let names: Vec<String> = std::fs::read_dir(format!("/proc/{}/task", server.id()))
        .unwrap()
        .filter_map(|task| std::fs::read_to_string(task.unwrap().path().join("comm")).ok())
        .filter(|name| name.starts_with("tcplink 127"))
        .collect();
    assert_eq!(names.len(), 200, "one named thread per connection");
    assert_eq!(threads(&server), before + 200);
    for (i, peer) in peers.iter_mut().enumerate() {
        peer.write_all(format!("client {i}").as_bytes()).unwrap();
    }
    for (i, peer) in peers.iter_mut().enumerate() {
        let expected = format!("Hello, client {i}!");
        assert_eq!(read_text(peer, expected.len()), expected);
    }
    drop(peers);
    eventually("every conversation's thread ends", || {
        threads(&server) == before
    });
}

#[test]
#[cfg(target_os = "linux")]
fn five_hundred_connect_disconnect_cycles_leave_no_thread_behind() {
    let (server, addr) = server(&[]);
    let before = threads(&server);
    for i in 0..500 {
        let mut peer = tcp_peer(addr);
        match i % 3 {
            // Gone before the welcome,
            0 => {}
            // gone after it,
            1 => assert_eq!(read_text(&mut peer, 8), "Welcome!"),
            // or gone without a word, in the middle of a message.
            _ => peer.write_all(b"half a mess").unwrap(),
        }
    }
    eventually("the server's threads end", || threads(&server) == before);
    // And the server still answers.
    assert_eq!(ask(&mut welcomed(addr), "still here"), "Hello, still here!");
}

/// Pseudo-random bytes (xorshift), so the flood is the same on every run.
fn random_bytes(len: usize) -> Vec<u8> {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x.to_le_bytes()[0]
        })
        .collect()
}

#[test]
fn a_flood_of_random_bytes_costs_that_connection_at_most() {
    let (mut server, addr) = server(&[]);
    let mut bystander = welcomed(addr);

    // The flooder sends 1 MiB of random bytes and never reads the answers. Its
    // writes stop when the server, blocked writing answers nobody reads, stops reading.
    let flooder = tcp_peer(addr);
    flooder
        .set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let flood = {
        let mut flooder = flooder.try_clone().unwrap();
        thread::spawn(move || {
            let _ = flooder.write_all(&random_bytes(1 << 20));
        })
    };
    // Meanwhile every other conversation goes on.
    assert_eq!(ask(&mut bystander, "still here"), "Hello, still here!");
    flood.join().unwrap();
    assert_eq!(ask(&mut bystander, "and now?"), "Hello, and now?!");
    assert_eq!(ask(&mut welcomed(addr), "new"), "Hello, new!");

    // Its memory stayed bounded: the server reads 1 KiB at a time.
    #[cfg(target_os = "linux")]
    {
        let status = std::fs::read_to_string(format!("/proc/{}/status", server.id())).unwrap();
        let peak_kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap();
        assert!(peak_kib < 64 * 1024, "peak memory {peak_kib} KiB");
    }
    // Once it goes, its thread ends too.
    let flooder_addr = flooder.local_addr().unwrap();
    drop(flooder);
    server.wait_for_text(&format!("connection from {flooder_addr} closed"));
}

/// A client that sends and sends and reads nothing, until the server's send to it
/// blocks: our writes end by timing out once the server, blocked sending, stops
/// reading (200 ms or more after its send began to wait). Returns it and its address.
fn deaf_client(addr: SocketAddr) -> (TcpStream, SocketAddr) {
    let mut deaf = tcp_peer(addr);
    let deaf_addr = deaf.local_addr().unwrap();
    deaf.set_write_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    while deaf.write_all(&[b'x'; 1000]).is_ok() {}
    (deaf, deaf_addr)
}

#[test]
fn a_client_that_never_reads_holds_its_thread_only_until_the_send_timeout() {
    let (mut server, addr) = server(&["--send-timeout", "0.5"]);
    let (_deaf, deaf_addr) = deaf_client(addr);
    let stopped = Instant::now();
    let closed = server.wait_for_text(&format!("connection from {deaf_addr} closed"));
    assert!(
        closed.ends_with("closed: the client read nothing for 0.5s"),
        "{closed}"
    );
    // Within a few timeouts of its last progress (0.93-0.95 s after our sends stopped,
    // here): see the chat room's hostile test for why it can take more than one.
    let took = stopped.elapsed();
    assert!(
        took < Duration::from_secs(2),
        "closed {took:?} after it stopped reading"
    );
    assert_eq!(ask(&mut welcomed(addr), "next"), "Hello, next!");
}

#[test]
fn a_client_that_never_reads_and_then_resets_is_logged_as_reset() {
    let (mut server, addr) = server(&["--send-timeout", "10"]);
    let (deaf, deaf_addr) = deaf_client(addr);
    // Closed with the server's answers unread: the kernel sends a reset, which ends
    // the server's waiting send at once, long before the 10 s.
    drop(deaf);
    let closed = server.wait_for_text(&format!("connection from {deaf_addr} closed"));
    assert!(
        closed.ends_with("closed: connection reset by peer"),
        "{closed}"
    );
}

/// A client past the welcome whose reading paces the server's sends: a small
/// receive buffer (SO_RCVBUF before connect, so the TCP window it offers stays
/// small) and Ethernet's MSS. With loopback's 64 KiB MSS the server's send buffer
/// grows to 4 MiB and holds every answer at once; with 1460 it stays near 200 KiB.
/// Its own send buffer is small too, so that its writes wait for the server to read.
/// [`WAIT`] is its read and write timeout.
fn small_window_peer(addr: SocketAddr) -> TcpStream {
    let domain = socket2::Domain::for_address(addr);
    let socket = socket2::Socket::new(domain, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.set_send_buffer_size(16384).unwrap();
    socket.set_tcp_mss(1460).unwrap();
    socket.connect_timeout(&addr.into(), WAIT).unwrap();
    let mut peer: TcpStream = socket.into();
    peer.set_read_timeout(Some(WAIT)).unwrap();
    peer.set_write_timeout(Some(WAIT)).unwrap();
    assert_eq!(read_text(&mut peer, 8), "Welcome!");
    peer
}

/// What a client sent, from the server's answers to it: "Hello, <piece>!" for each
/// piece of a recv (a line, or the part of one that the recv held), ending as the
/// piece did. So the same bytes come back wherever the recvs cut the lines.
fn unanswer(answers: &str) -> String {
    let (mut sent, mut rest) = (String::new(), answers);
    while !rest.is_empty() {
        let at = answers.len() - rest.len();
        let (piece, after) = rest
            .strip_prefix("Hello, ")
            .and_then(|body| body.split_once('!'))
            .unwrap_or_else(|| panic!("no answer at byte {at} of {}", answers.len()));
        sent.push_str(piece);
        rest = after;
        if let Some(after) = rest.strip_prefix('\n') {
            sent.push('\n');
            rest = after;
        }
    }
    sent
}

#[test]
fn a_slow_but_alive_reader_is_kept_past_the_send_timeout() {
    // --send-timeout bounds a send that makes NO progress, not a slow conversation.
    // That a client that stops reading IS dropped is the test above,
    // a_client_that_never_reads_holds_its_thread_only_until_the_send_timeout.
    let (mut server, addr) = server(&["--send-timeout", "1"]);
    let mut peer = small_window_peer(addr);
    let peer_addr = peer.local_addr().unwrap();
    // 600 lines of 1 KB, with no '!' in them: about 610 KB of answers.
    let lines = 600;
    let sent: String = (0..lines)
        .map(|i| format!("{i:04} {}\n", "slowreader".repeat(100)))
        .collect();
    let started = Instant::now();
    let writer = {
        let (mut writer, sent) = (peer.try_clone().unwrap(), sent.clone());
        thread::spawn(move || {
            writer.write_all(sent.as_bytes())?;
            let wrote = started.elapsed();
            // Half-closed: the server answers all it has read, then closes.
            writer.shutdown(Shutdown::Write)?;
            Ok::<_, std::io::Error>(wrote)
        })
    };
    // At most 4 KiB every 20 ms (under 200 KB/s), for about 4 s: the server's sends
    // wait for us all along, but never long without progress (it keeps this reader
    // with --send-timeout 0.03 too; 0.01, under our 20 ms pause, drops it).
    let (mut answers, mut buf, mut error) = (Vec::new(), [0; 4096], None);
    while started.elapsed() < 3 * WAIT {
        match peer.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => answers.extend_from_slice(&buf[..n]),
            Err(e) => {
                error = Some(e);
                break;
            }
        }
        thread::sleep(Duration::from_millis(20));
    }
    let read = started.elapsed();
    let closed = server.wait_for_text(&format!("connection from {peer_addr} closed"));
    let what = format!("{} bytes in {read:?} ({error:?}); {closed}", answers.len());
    assert!(
        closed.ends_with("closed: the client closed its side"),
        "{what}"
    );
    assert!(error.is_none(), "{what}");
    let got = unanswer(&String::from_utf8(answers).unwrap());
    assert_eq!(got.lines().count(), lines, "every answer came: {what}");
    assert!(got == sent, "the answers, in order and whole: {what}");
    // Our writes waited for the server, and so the server for us, for well over the
    // timeout in all: a server that bounded the total wait would have dropped us.
    let wrote = writer.join().unwrap().unwrap();
    eprintln!("{what}; the last line was taken after {wrote:?}");
    assert!(
        wrote > Duration::from_millis(1500),
        "the server never waited long: {wrote:?}"
    );
}

#[test]
fn a_client_that_resets_mid_conversation_costs_only_itself() {
    let (mut server, addr) = server(&[]);
    let mut bystander = welcomed(addr);
    let mut rude = welcomed(addr);
    let rude_addr = rude.local_addr().unwrap();
    assert_eq!(ask(&mut rude, "hi"), "Hello, hi!");
    rude.write_all(b"half a mes").unwrap();
    // SO_LINGER 0: close() sends a reset instead of a clean end of stream.
    socket2::SockRef::from(&rude)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(rude);
    server.wait_for_text(&format!("connection from {rude_addr} closed"));
    assert_eq!(ask(&mut bystander, "ok?"), "Hello, ok?!");
}

#[test]
fn a_half_closed_client_still_gets_its_answer() {
    let (mut server, addr) = server(&[]);
    let mut peer = welcomed(addr);
    peer.write_all("半关闭".as_bytes()).unwrap();
    // shutdown(SHUT_WR): "I have nothing more to say", but still listening.
    peer.shutdown(Shutdown::Write).unwrap();
    let mut rest = String::new();
    peer.read_to_string(&mut rest).unwrap();
    assert_eq!(
        rest, "Hello, 半关闭!",
        "the answer, then the end of the stream"
    );
    server.wait_for_text("closed: the client closed its side");
}

#[test]
fn ctrl_c_stops_the_server_and_connected_clients_see_the_end() {
    let (mut server, addr) = server(&[]);
    // Our client waits for stdin, a raw client sits in the middle of a conversation.
    let mut client = Program::spawn(client_command(addr, &[]));
    assert_eq!(client.line(), format!("connected to {addr}"));
    assert_eq!(client.line(), "Welcome!");
    let mut raw = welcomed(addr);
    server.wait_for_text(&format!("from {}", raw.local_addr().unwrap()));

    server.interrupt();
    let (status, rest) = server.wait_exit(Duration::from_secs(1));
    assert!(status.success(), "exit status {status}");
    assert!(rest.contains(&"stopping (Ctrl-C)".to_owned()), "{rest:?}");
    assert_eq!(server.stderr(), "");

    // Our client learns it at its next recv: when it sends the next line.
    client.send_line("anyone there?");
    assert_eq!(client.line(), "server closed the connection");
    let (status, _) = client.wait_exit(WAIT);
    assert!(status.success());
    assert_eq!(raw.read(&mut [0; 16]).unwrap(), 0, "a clean end of stream");
}

#[test]
fn the_client_gives_up_on_a_server_that_never_welcomes() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        // Hold the connection until the client gives up and closes it.
        conn.set_read_timeout(Some(WAIT)).unwrap();
        let _ = conn.read_to_end(&mut Vec::new());
    });
    let stdout = assert_fails_with(
        client_command(addr, &["--timeout", "0.3"]),
        &format!("error: waited 0.3s for the welcome from {addr}"),
    );
    silent.join().unwrap();
    assert_eq!(after_connected(&stdout, &addr.to_string()), "");
}

#[test]
fn errors_are_one_line_and_a_non_zero_exit() {
    let (_server, addr) = server(&[]);
    let mut second = Command::new(ECHO);
    second.args(["server", "--port", &addr.port().to_string()]);
    assert_fails_with(second, "is already in use");
    assert_fails_with(client_command(unused_addr(), &[]), "connection refused");
}

#[test]
fn works_over_ipv6_loopback() {
    let (_server, addr) = server(&["--host", "::1"]);
    assert!(addr.is_ipv6());
    let stdout = talk(addr, &["-m", "v6"], "");
    assert!(stdout.starts_with("Welcome!\nHello, v6!\n"), "{stdout}");
}

#[test]
fn help_lists_every_flag_with_its_default() {
    let server_flags = [
        "--backlog",
        "[default: 5]",
        "--send-timeout",
        "[default: 10]",
        "[default: 13145]",
    ];
    assert_help_shows(ECHO, &["server"], &server_flags);
    assert_help_shows(
        ECHO,
        &["client"],
        &["--message", "--timeout", "[default: 13145]"],
    );
}

/// The seed's client, without its time.sleep(1): recv already waits for each answer.
const PYTHON_CLIENT: &str = r#"
import socket
import sys

# 创建socket，建立连接
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect(('127.0.0.1', int(sys.argv[1])))

# 接收欢迎信息
print(s.recv(1024).decode('utf8'))
# 发送请求
for data in [b'zhangsan', b'lisi', b'wangwu', '赵六'.encode('utf8')]:
    s.send(data)
    print(s.recv(1024).decode('utf8'))
s.send(b'exit')

# 关闭连接
s.close()
"#;

/// The seed's threaded server, on a port the system picks (it says which).
const PYTHON_SERVER: &str = r#"
import socket
import threading

def tcplink(sock, addr):
    print('Accept new connection from {}...'.format(addr))
    sock.send(b'Welcome!')
    while True:
        data = sock.recv(1024)
        if not data or data.decode('utf8') == 'exit':
            break
        sock.send(('Hello, %s!' % data.decode('utf8')).encode('utf8'))
    sock.close()
    print('Connection from {} closed'.format(addr))

# 创建socket，监听本地端口
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 0))
s.listen(5)
print('listening on %s:%d' % s.getsockname())

while True:
    # 接受一个新连接
    sock, addr = s.accept()
    t = threading.Thread(target=tcplink, args=(sock, addr))
    t.start()
"#;

#[test]
#[ignore = "needs python3 (scripts/ci.sh runs it)"]
fn the_seeds_python_client_is_answered() {
    let (mut server, addr) = server(&[]);
    let port = addr.port().to_string();
    let (status, stdout, stderr) = run(python(PYTHON_CLIENT, &[&port]), b"", WAIT);
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        "Welcome!\nHello, zhangsan!\nHello, lisi!\nHello, wangwu!\nHello, 赵六!\n"
    );
    server.wait_for_text("closed: the client sent exit");
}

#[test]
#[ignore = "needs python3 (scripts/ci.sh runs it)"]
fn the_client_talks_to_the_seeds_python_server() {
    let mut python_server = Program::spawn(python(PYTHON_SERVER, &[]));
    let addr = python_server.listening_addr();
    let stdout = talk(addr, &[], "张三\nlisi\n");
    assert_eq!(
        stdout,
        "Welcome!\nHello, 张三!\nHello, lisi!\nserver closed the connection\n"
    );
    python_server.wait_for_text("Accept new connection from ('127.0.0.1', ");
    python_server.wait_for_text("closed");
}

#[test]
#[ignore = "needs nc (scripts/ci.sh installs netcat-openbsd)"]
fn nc_gets_an_answer_per_line_even_when_the_lines_arrive_together() {
    // printf 'alice\nbob\nexit\n' | nc 127.0.0.1 13145: the three lines come in one
    // recv. Each gets its own answer, and "exit" ends the conversation.
    let (mut server, addr) = server(&[]);
    let mut nc = Command::new("nc");
    nc.args(["127.0.0.1", &addr.port().to_string()]);
    let (status, stdout, _) = run(nc, b"alice\nbob\nexit\n", WAIT);
    assert!(status.success());
    assert_eq!(stdout, "Welcome!Hello, alice!\nHello, bob!\n");
    server.wait_for_text("closed: the client sent exit");
}

#[test]
#[ignore = "needs nc (scripts/ci.sh installs netcat-openbsd)"]
fn nc_typed_lines_get_an_answer_each_on_its_own_line() {
    let (mut server, addr) = server(&[]);
    let mut nc = Program::start("nc", &["127.0.0.1", &addr.port().to_string()]);
    // "Welcome!" has no newline (as in the seed): on a terminal the first typed line
    // follows it, and each answer then stands on a line of its own.
    nc.send_line("one");
    assert_eq!(nc.line(), "Welcome!Hello, one!");
    nc.send_line("二");
    assert_eq!(nc.line(), "Hello, 二!");
    nc.send_line("exit");
    server.wait_for_text("closed: the client sent exit");
    // nc ends when its input ends too.
    let (status, rest) = nc.wait_exit(WAIT);
    assert!(status.success());
    assert!(rest.is_empty(), "{rest:?}");
}

#[test]
fn lines_in_one_recv_get_an_answer_each_with_their_own_line_end() {
    let (mut server, addr) = server(&[]);
    let mut peer = welcomed(addr);
    // Two lines and a piece without a newline, in one send: the piece is one more
    // message, as the seed takes every recv.
    peer.write_all(b"alice\r\nbob\ncarol").unwrap();
    let want = "Hello, alice!\r\nHello, bob!\nHello, carol!";
    assert_eq!(read_text(&mut peer, want.len()), want);
    // The answers before "exit" still go out; what follows it is never read.
    peer.write_all(b"dave\nexit\nerin\n").unwrap();
    let mut rest = String::new();
    peer.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "Hello, dave!\n");
    server.wait_for_text("closed: the client sent exit");
}

#[test]
fn a_character_cut_between_two_recvs_waits_for_its_rest() {
    let (_server, addr) = server(&[]);
    let mut peer = welcomed(addr);
    peer.set_nodelay(true).unwrap();
    let bytes = "你好".as_bytes();
    // The first byte alone: the server must not answer "Hello, !" for it, nor
    // "Hello, \u{fffd}...".
    peer.write_all(&bytes[..1]).unwrap();
    // Gives the server the chance to receive the byte on its own.
    thread::sleep(Duration::from_millis(100));
    peer.write_all(&bytes[1..]).unwrap();
    assert_eq!(read_text(&mut peer, "Hello, 你好!".len()), "Hello, 你好!");
}

#[test]
fn control_characters_from_the_server_are_shown_not_obeyed() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let hostile = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(WAIT)).unwrap();
        conn.write_all(b"Welcome!\x1b[2J\x1b]0;owned\x07").unwrap();
        let _ = conn.read(&mut [0; 64]);
        conn.write_all(b"fake\rHello, x!").unwrap();
        // Read the client's "exit" before closing, as the seed's server does: closing
        // with unread bytes would send a reset instead of a clean end of stream.
        let _ = conn.read(&mut [0; 64]);
    });
    let stdout = talk(addr, &["-m", "x"], "");
    hostile.join().unwrap();
    assert_eq!(
        stdout,
        "Welcome!\u{241b}[2J\u{241b}]0;owned\u{2407}\nfake\u{240d}Hello, x!\nserver closed the connection\n"
    );
}

#[test]
fn a_closed_stdout_costs_the_log_not_the_server() {
    // `tcp-echo-threaded server --port 0 | true`: println! would panic at the first
    // log line; the server must go on with every conversation.
    let (mut server, addr) = piped_server(&[]);
    server.close_stdout();
    for i in 0..20 {
        let mut peer = welcomed(addr);
        assert_eq!(
            ask(&mut peer, &format!("n{i}\n")),
            format!("Hello, n{i}!\n")
        );
    }
    assert!(server.running(), "the server died");
}

#[test]
#[ignore = "needs prlimit (util-linux; scripts/ci.sh runs it)"]
fn ctrl_c_stops_the_server_within_a_second_when_it_is_out_of_file_descriptors() {
    let mut server = Program::start(
        "prlimit",
        &[
            "--nofile=128",
            ECHO,
            "server",
            "--port",
            "0",
            "--backlog",
            "1024",
        ],
    );
    let addr = server.listening_addr();
    let peers: Vec<TcpStream> = (0..400).map(|_| tcp_peer(addr)).collect();
    // Each connection holds a descriptor: soon all 128 are taken, and accept fails (EMFILE).
    let pid = server.id();
    eventually("the server runs out of descriptors", || {
        lesson_testing::open_fds(pid) >= 120
    });
    server.wait_for_text("accept failed: too many open files");
    server.interrupt();
    let (status, _) = server.wait_exit(Duration::from_secs(1));
    assert!(status.success(), "exit status {status}");
    drop(peers);
}

#[test]
fn ctrl_c_with_fifty_clients_connected_exits_at_once_and_each_sees_the_end() {
    let (mut server, addr) = server(&[]);
    let mut peers: Vec<TcpStream> = (0..50).map(|_| welcomed(addr)).collect();
    for peer in &mut peers {
        assert_eq!(ask(peer, "hi"), "Hello, hi!");
    }
    server.interrupt();
    let (status, _) = server.wait_exit(Duration::from_secs(1));
    assert!(status.success(), "exit status {status}");
    for peer in &mut peers {
        assert_eq!(peer.read(&mut [0; 16]).unwrap(), 0, "a clean end of stream");
    }
}

/// A fresh path for a Unix domain socket, in a fresh directory.
fn socket_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tcp-echo-threaded-{}-{name}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir.join("echo.sock")
}

/// `server --unix PATH`, once it says it listens.
fn unix_server(path: &Path) -> Program {
    let mut server = Program::start(ECHO, &["server", "--unix", path.to_str().unwrap()]);
    assert_eq!(server.line(), format!("listening on {}", path.display()));
    server
}

#[test]
fn over_a_unix_socket_the_same_conversation_and_ctrl_c_removes_the_file() {
    let path = socket_path("talk");
    let mut server = unix_server(&path);
    // A raw AF_UNIX peer, seed style.
    let mut peer = UnixStream::connect(&path).unwrap();
    peer.set_read_timeout(Some(WAIT)).unwrap();
    assert_eq!(read_text(&mut peer, 8), "Welcome!");
    peer.write_all(b"unix").unwrap();
    assert_eq!(read_text(&mut peer, 12), "Hello, unix!");
    server.wait_for_text("accept new connection from local #1");
    // And our client.
    let mut client = Command::new(ECHO);
    client.args(["client", "--unix", path.to_str().unwrap(), "-m", "本机"]);
    let (status, stdout, stderr) = run(client, b"", WAIT);
    assert!(status.success(), "{stderr}");
    assert_eq!(
        after_connected(&stdout, &path.display().to_string()),
        "Welcome!\nHello, 本机!\nserver closed the connection\n"
    );
    server.interrupt();
    let (status, _) = server.wait_exit(Duration::from_secs(1));
    assert!(status.success());
    assert!(!path.exists(), "Ctrl-C removes the socket file");
    assert_eq!(peer.read(&mut [0; 8]).unwrap(), 0, "a clean end of stream");
}

#[test]
fn a_stale_socket_file_is_replaced_but_a_live_one_or_a_plain_file_is_kept() {
    let path = socket_path("stale");
    // A socket file with nobody listening, as a killed server leaves it.
    drop(UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let mut first = unix_server(&path);
    // A second server on the same path must not steal it from a live one.
    let mut second = Command::new(ECHO);
    second.args(["server", "--unix", path.to_str().unwrap()]);
    assert_fails_with(second, "failed: address already in use");
    let mut peer = UnixStream::connect(&path).unwrap();
    peer.set_read_timeout(Some(WAIT)).unwrap();
    assert_eq!(read_text(&mut peer, 8), "Welcome!");
    first.interrupt();
    first.wait_exit(Duration::from_secs(1));
    // A file that is not a socket (a typo in --unix) is never removed.
    fs::write(&path, "precious").unwrap();
    let mut typo = Command::new(ECHO);
    typo.args(["server", "--unix", path.to_str().unwrap()]);
    assert_fails_with(typo, "failed: address already in use");
    assert_eq!(fs::read_to_string(&path).unwrap(), "precious");
}

#[test]
fn the_unix_client_talks_to_a_seed_style_server_and_says_when_none_listens() {
    let path = socket_path("client");
    let listener = UnixListener::bind(&path).unwrap();
    let seed = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(WAIT)).unwrap();
        conn.write_all(b"Welcome!").unwrap();
        let mut data = [0; 1024];
        loop {
            let n = conn.read(&mut data).unwrap();
            if n == 0 || &data[..n] == b"exit" {
                break;
            }
            let answer = format!("Hello, {}!", String::from_utf8_lossy(&data[..n]));
            conn.write_all(answer.as_bytes()).unwrap();
        }
    });
    let mut client = Command::new(ECHO);
    client.args(["client", "--unix", path.to_str().unwrap()]);
    let (status, stdout, stderr) = run(client, "a\nb\n".as_bytes(), WAIT);
    seed.join().unwrap();
    assert!(status.success(), "{stderr}");
    assert_eq!(
        after_connected(&stdout, &path.display().to_string()),
        "Welcome!\nHello, a!\nHello, b!\nserver closed the connection\n"
    );
    fs::remove_file(&path).unwrap();
    let mut none = Command::new(ECHO);
    none.args(["client", "--unix", path.to_str().unwrap()]);
    assert_fails_with(none, "no such file or directory");
}

#[test]
fn localhost_reaches_a_server_on_either_loopback_address() {
    // The client tries each address localhost stands for (::1, 127.0.0.1), as
    // Python's create_connection does. Some machines' /etc/hosts give localhost
    // only one of them; the other is then skipped here.
    let names: Vec<SocketAddr> = ("localhost", 0).to_socket_addrs().unwrap().collect();
    for host in ["127.0.0.1", "::1"] {
        let ip: std::net::IpAddr = host.parse().unwrap();
        if !names.iter().any(|a| a.ip() == ip) {
            eprintln!("skipped: localhost does not stand for {host} on this machine");
            continue;
        }
        let (_server, addr) = server(&["--host", host]);
        let mut client = Command::new(ECHO);
        client.args([
            "client",
            "--host",
            "localhost",
            "--port",
            &addr.port().to_string(),
            "-m",
            "x",
        ]);
        let (status, stdout, stderr) = run(client, b"", WAIT);
        assert!(status.success(), "server on {host}: {stderr}");
        assert!(
            stdout.starts_with(&format!("connected to {addr}\nWelcome!\nHello, x!\n")),
            "{stdout}"
        );
    }
}
