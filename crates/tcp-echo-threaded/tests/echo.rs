//! Lesson 4's real binary: its server against its client, raw sockets that misbehave,
//! the seed's Python client and `nc`; its client against the seed's Python server.

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::thread;
use std::time::Duration;

mod common;

use common::{ECHO, ask, server, welcomed};
use lesson_testing::{
    Program, WAIT, assert_fails_with, assert_help_shows, eventually, python, read_text, run,
    tcp_peer, unused_addr,
};
use net_common::Encoding;

fn client_command(addr: SocketAddr, args: &[&str]) -> Command {
    lesson_testing::client_command(ECHO, addr, args)
}

/// The server's thread count (Linux).
fn threads(server: &Program) -> usize {
    lesson_testing::thread_count(server.id())
}

#[test]
fn the_client_prints_the_welcome_and_an_answer_per_line_then_sends_exit() {
    let (mut server, addr) = server(&[]);
    let input = "zhangsan\nlisi\n\n王五\n";
    let (status, stdout, stderr) = run(client_command(addr, &[]), input.as_bytes(), WAIT);
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        "Welcome!\nHello, zhangsan!\nHello, lisi!\nHello, 王五!\nserver closed the connection\n",
        "the empty line is skipped: it would get no answer"
    );
    let opened = server.line();
    assert!(
        opened.starts_with("accept new connection from 127.0.0.1:") && opened.ends_with("(1 live)"),
        "{opened}"
    );
    let closed = server.line();
    assert!(
        closed.ends_with("closed: the client sent exit (0 live)"),
        "{closed}"
    );
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
    let gbk_client = client_command(addr, &["--encoding", "gbk", "-m", "世界"]);
    let (status, stdout, stderr) = run(gbk_client, b"", WAIT);
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        "Welcome!\nHello, 世界!\nserver closed the connection\n"
    );
}

#[test]
#[cfg(target_os = "linux")]
fn two_hundred_clients_at_once_each_on_its_own_named_thread() {
    let (mut server, addr) = server(&[]);
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
    server.wait_for_text("(200 live)");
    drop(peers);
    server.wait_for_text("(0 live)");
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

#[test]
fn a_client_that_never_reads_holds_its_thread_only_until_the_send_timeout() {
    let (mut server, addr) = server(&["--send-timeout", "0.5"]);
    // Sends and sends, reads nothing: soon the server's send to it blocks.
    let mut deaf = tcp_peer(addr);
    let deaf_addr = deaf.local_addr().unwrap();
    deaf.set_write_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    // Our writes end by timing out once the server, blocked sending, stops reading.
    while deaf.write_all(&[b'x'; 1000]).is_ok() {}
    let closed = server.wait_for_text(&format!("connection from {deaf_addr} closed"));
    assert!(
        closed.ends_with("closed: the client read nothing for 0.5s (0 live)"),
        "{closed}"
    );
    assert_eq!(ask(&mut welcomed(addr), "next"), "Hello, next!");
}

#[test]
fn a_client_that_resets_mid_conversation_costs_only_itself() {
    let (mut server, addr) = server(&[]);
    let mut bystander = welcomed(addr);
    server.wait_for_text("(1 live)");
    let mut rude = welcomed(addr);
    let rude_addr = rude.local_addr().unwrap();
    server.wait_for_text("(2 live)");
    assert_eq!(ask(&mut rude, "hi"), "Hello, hi!");
    rude.write_all(b"half a mes").unwrap();
    // SO_LINGER 0: close() sends a reset instead of a clean end of stream.
    socket2::SockRef::from(&rude)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(rude);
    let closed = server.wait_for_text(&format!("connection from {rude_addr} closed"));
    assert!(closed.ends_with("(1 live)"), "{closed}");
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
    server.wait_for_text("closed: the client closed its side (0 live)");
}

#[test]
fn ctrl_c_stops_the_server_and_connected_clients_see_the_end() {
    let (mut server, addr) = server(&[]);
    // Our client waits for stdin, a raw client sits in the middle of a conversation.
    let mut client = Program::spawn(client_command(addr, &[]));
    assert_eq!(client.line(), "Welcome!");
    let mut raw = welcomed(addr);
    server.wait_for_text("(2 live)");

    server.interrupt();
    let (status, rest) = server.wait_exit(Duration::from_secs(1));
    assert!(status.success(), "exit status {status}");
    assert!(rest.contains(&"stopping (Ctrl-C)".to_owned()), "{rest:?}");
    assert_eq!(server.stderr(), "");

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
    assert_eq!(stdout, "");
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
    let (status, stdout, _) = run(client_command(addr, &["-m", "v6"]), b"", WAIT);
    assert!(status.success());
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
    server.wait_for_text("closed: the client sent exit (0 live)");
}

#[test]
#[ignore = "needs python3 (scripts/ci.sh runs it)"]
fn the_client_talks_to_the_seeds_python_server() {
    let mut python_server = Program::spawn(python(PYTHON_SERVER, &[]));
    let addr = python_server.listening_addr();
    let (status, stdout, stderr) = run(client_command(addr, &[]), "张三\nlisi\n".as_bytes(), WAIT);
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        "Welcome!\nHello, 张三!\nHello, lisi!\nserver closed the connection\n"
    );
    python_server.wait_for_text("Accept new connection from ('127.0.0.1', ");
    python_server.wait_for_text("closed");
}

#[test]
#[ignore = "needs nc (scripts/ci.sh installs netcat-openbsd)"]
fn nc_gets_line_answers() {
    let (mut server, addr) = server(&[]);
    let mut nc = Program::start("nc", &["127.0.0.1", &addr.port().to_string()]);
    // "Welcome!" has no newline (as in the seed), so it shows in front of the first answer.
    nc.send_line("one");
    assert_eq!(nc.line(), "Welcome!Hello, one!");
    nc.send_line("二");
    assert_eq!(nc.line(), "Hello, 二!");
    nc.send_line("exit");
    server.wait_for_text("closed: the client sent exit (0 live)");
    // nc ends when its input ends too.
    let (status, rest) = nc.wait_exit(WAIT);
    assert!(status.success());
    assert!(rest.is_empty(), "{rest:?}");
}
