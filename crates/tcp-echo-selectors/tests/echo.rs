//! Lesson 9's real binary: against lesson 4's client, raw sockets that misbehave, the
//! seed's Python client and `nc`; over TCP and over a Unix domain socket.

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

mod common;

use common::{ECHO, ask, server, socket_path, welcomed};
use lesson_testing::{
    PipedStdout, Program, WAIT, assert_fails_with, assert_help_shows, eventually, lesson_bin,
    open_fds, proc_status, python, read_text, run, tcp_peer, thread_count,
};
use net_common::Encoding;

/// Lesson 4's client, built from its own crate.
fn lesson4_client(addr: SocketAddr, args: &[&str]) -> Command {
    lesson_testing::client_command(&lesson_bin("tcp-echo-threaded"), addr, args)
}

/// Threads and file descriptors of the server: they must not grow with connections.
fn threads_and_fds(server: &Program) -> (usize, usize) {
    (thread_count(server.id()), open_fds(server.id()))
}

#[test]
fn lesson_4s_client_is_answered() {
    let (mut server, addr) = server(&[]);
    let (status, stdout, stderr) = run(
        lesson4_client(addr, &[]),
        "zhangsan\n李四\n".as_bytes(),
        WAIT,
    );
    assert!(status.success(), "{stderr}");
    let lines: Vec<&str> = stdout
        .lines()
        .filter(|l| !l.starts_with("connected to"))
        .collect();
    assert_eq!(
        lines,
        [
            "Welcome!",
            "Hello, zhangsan!",
            "Hello, 李四!",
            "server closed the connection"
        ]
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
fn on_the_wire_one_recv_without_newline_is_one_message_and_each_line_gets_its_answer() {
    let (_server, addr) = server(&[]);
    let mut peer = welcomed(addr);
    // The seed's style: no newline, so the whole recv is one message, and no newline back.
    assert_eq!(ask(&mut peer, "bob and alice"), "Hello, bob and alice!");
    // A line tool's style: each line's ending comes back after its answer.
    assert_eq!(ask(&mut peer, "你好\n"), "Hello, 你好!\n");
    assert_eq!(ask(&mut peer, "crlf\r\n"), "Hello, crlf!\r\n");
    // Lines in one recv are answered separately, all in one send.
    assert_eq!(
        ask(&mut peer, "one\ntwo\r\n"),
        "Hello, one!\nHello, two!\r\n"
    );
    // "exit" ends the conversation; what came before it in the same recv is answered.
    assert_eq!(ask(&mut peer, "last\nexit\nignored\n"), "Hello, last!\n");
    assert_eq!(
        peer.read(&mut [0; 16]).unwrap(),
        0,
        "then the server closes"
    );
}

#[test]
fn gbk_is_read_under_auto_and_spoken_under_gbk() {
    let gbk = Encoding::Gbk.encode("你好").into_owned();
    let (_auto, addr) = server(&[]);
    let mut peer = welcomed(addr);
    peer.write_all(&gbk).unwrap();
    assert_eq!(read_text(&mut peer, "Hello, 你好!".len()), "Hello, 你好!");
    let (_gbk, addr) = server(&["--encoding", "gbk"]);
    let mut peer = welcomed(addr);
    peer.write_all(&gbk).unwrap();
    let mut answer = vec![0; 12];
    peer.read_exact(&mut answer).unwrap();
    assert_eq!(answer, Encoding::Gbk.encode("Hello, 你好!").as_ref());
}

#[test]
#[cfg(target_os = "linux")]
fn two_hundred_clients_at_once_on_one_thread() {
    let (mut server, addr) = server(&[]);
    let before = threads_and_fds(&server);
    let mut peers: Vec<TcpStream> = (0..200).map(|_| welcomed(addr)).collect();
    for (i, peer) in peers.iter_mut().enumerate() {
        peer.write_all(format!("client {i}").as_bytes()).unwrap();
    }
    for (i, peer) in peers.iter_mut().enumerate() {
        let expected = format!("Hello, client {i}!");
        assert_eq!(read_text(peer, expected.len()), expected);
    }
    server.wait_for_text("(200 live)");
    let (threads, fds) = threads_and_fds(&server);
    assert_eq!(threads, before.0, "no thread per connection");
    assert_eq!(fds, before.1 + 200, "one descriptor per connection");
    drop(peers);
    server.wait_for_text("(0 live)");
}

#[test]
#[cfg(target_os = "linux")]
fn five_hundred_connect_disconnect_cycles_leave_no_descriptor_behind() {
    let (server, addr) = server(&[]);
    let (threads, fds) = threads_and_fds(&server);
    // The loop and net-common's log writer (Ctrl-C is a source in the loop): never more.
    assert!(threads <= 2, "{threads} threads at the start");
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
        assert_eq!(thread_count(server.id()), threads, "cycle {i}");
    }
    eventually("the server's descriptors go back to their baseline", || {
        open_fds(server.id()) == fds
    });
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
fn random_bytes_cost_nothing_but_that_conversation() {
    let (mut server, addr) = server(&[]);
    let mut bystander = welcomed(addr);
    let noisy = tcp_peer(addr);
    let noisy_addr = noisy.local_addr().unwrap();
    // It reads its answers too (in another thread), so this is noise, not a flood.
    let mut reader = noisy.try_clone().unwrap();
    let drain = thread::spawn(move || {
        let mut all = Vec::new();
        let _ = reader.read_to_end(&mut all);
        all.len()
    });
    let mut writer = &noisy;
    writer.write_all(&random_bytes(256 * 1024)).unwrap();
    assert_eq!(ask(&mut bystander, "still here"), "Hello, still here!");
    writer.shutdown(Shutdown::Write).unwrap();
    assert!(
        drain.join().unwrap() > 256 * 1024,
        "answers, U+FFFD and all"
    );
    let closed = server.wait_for_text(&format!("connection from {noisy_addr} closed"));
    assert!(
        closed.contains("closed: the client closed its side")
            || closed.contains("closed: the client sent exit"),
        "{closed}"
    );
    assert_eq!(ask(&mut bystander, "and now?"), "Hello, and now?!");
}

#[test]
#[cfg(target_os = "linux")]
fn a_client_that_sends_10_mib_and_never_reads_costs_bounded_memory_and_nobody_waits() {
    let (server, addr) = server(&["--backlog", "32"]);
    // Warm up: the first connections allocate what every later one reuses.
    for _ in 0..20 {
        assert_eq!(ask(&mut welcomed(addr), "warm"), "Hello, warm!");
    }
    let rss_before = proc_status(server.id(), "VmRSS");

    // A small receive buffer on the flooder's side, so that the kernel cannot soak up
    // the answers: they pile up in the server, unless the server stops reading.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect_timeout(&addr.into(), WAIT).unwrap();
    let flooder: TcpStream = socket.into();
    flooder
        .set_write_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let sent = Arc::new(AtomicUsize::new(0));
    let flood = {
        let (mut flooder, sent) = (flooder.try_clone().unwrap(), sent.clone());
        thread::spawn(move || {
            let chunk = [b'x'; 64 * 1024];
            // 10 MiB, or until the server stops taking them (a write times out).
            for _ in 0..160 {
                if flooder.write_all(&chunk).is_err() {
                    break;
                }
                sent.fetch_add(chunk.len(), Ordering::SeqCst);
            }
        })
    };
    eventually("the flood is under way", || {
        sent.load(Ordering::SeqCst) >= 1 << 20
    });

    // Meanwhile 20 other clients, each answered within half a second.
    let mut others: Vec<TcpStream> = (0..20).map(|_| welcomed(addr)).collect();
    for (i, peer) in others.iter_mut().enumerate() {
        let asked = Instant::now();
        assert_eq!(
            ask(peer, &format!("other {i}")),
            format!("Hello, other {i}!")
        );
        let took = asked.elapsed();
        assert!(
            took < Duration::from_millis(500),
            "client {i} waited {took:?}"
        );
    }
    flood.join().unwrap();

    let grew_kib = proc_status(server.id(), "VmHWM").saturating_sub(rss_before);
    let sent_mib = sent.load(Ordering::SeqCst) as f64 / f64::from(1 << 20);
    assert!(
        grew_kib < 4 * 1024,
        "the server's memory grew by {grew_kib} KiB while a client sent {sent_mib:.1} MiB and read nothing"
    );
    // And once the flooder goes, so does its conversation.
    drop(flooder);
    assert_eq!(ask(&mut welcomed(addr), "after"), "Hello, after!");
}

#[test]
fn a_client_that_resets_mid_message_costs_only_itself() {
    let (mut server, addr) = server(&[]);
    let mut bystander = welcomed(addr);
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
fn ctrl_c_with_50_clients_exits_0_within_a_second_and_every_client_sees_the_end() {
    let (mut server, addr) = server(&["--backlog", "64"]);
    let mut peers: Vec<TcpStream> = (0..50).map(|_| welcomed(addr)).collect();
    server.wait_for_text("(50 live)");
    let pressed = Instant::now();
    server.interrupt();
    let (status, rest) = server.wait_exit(Duration::from_secs(1));
    assert!(status.success(), "exit status {status}");
    assert!(pressed.elapsed() < Duration::from_secs(1));
    assert!(rest.contains(&"stopping (Ctrl-C)".to_owned()), "{rest:?}");
    assert_eq!(server.stderr(), "");
    for (i, peer) in peers.iter_mut().enumerate() {
        assert_eq!(
            peer.read(&mut [0; 16]).unwrap(),
            0,
            "client {i}: a clean end of stream"
        );
    }
}

#[test]
#[cfg(target_os = "linux")]
fn a_closed_stdout_does_not_stop_the_serving_and_ctrl_c_still_exits_0() {
    // `server | head -1`: the reader of our stdout is gone after the first line.
    let mut command = Command::new(ECHO);
    command.args(["server", "--port", "0"]);
    let mut server = PipedStdout::spawn(command);
    let addr = server.listening_addr();
    server.close_stdout();
    for i in 0..50 {
        assert_eq!(
            ask(&mut welcomed(addr), &format!("{i}")),
            format!("Hello, {i}!")
        );
    }
    assert!(server.running(), "the server died");
    // Ctrl-C with a client connected: "stopping (Ctrl-C)" goes to the same closed
    // pipe, from the loop's own thread, and must not turn the exit into a panic.
    let open = welcomed(addr);
    server.interrupt();
    let (status, stderr) = server.wait_exit(Duration::from_secs(2), "after Ctrl-C");
    assert_eq!(status.code(), Some(0), "stderr: {stderr}");
    assert!(stderr.is_empty(), "stderr: {stderr}");
    drop(open);
}

#[test]
fn over_a_unix_socket_a_stale_file_is_replaced_and_our_own_is_removed_at_the_stop() {
    let path = socket_path("stale");
    // A server that is gone left its socket file behind.
    drop(UnixListener::bind(&path).unwrap());
    assert!(path.exists());
    let unix = path.to_str().unwrap();
    let mut server = Program::start(ECHO, &["server", "--unix", unix]);
    assert_eq!(server.line(), format!("listening on {unix}"));

    let mut peer = UnixStream::connect(&path).unwrap();
    peer.set_read_timeout(Some(WAIT)).unwrap();
    assert_eq!(read_text(&mut peer, 8), "Welcome!");
    assert_eq!(ask(&mut peer, "local\n"), "Hello, local!\n");
    assert_eq!(
        server.line(),
        "accept new connection from local #1 (1 live)"
    );

    // A second server on the same path is refused: the first one is alive.
    let mut second = Command::new(ECHO);
    second.args(["server", "--unix", unix]);
    assert_fails_with(second, "is in use by a running server");

    server.interrupt();
    let (status, _) = server.wait_exit(Duration::from_secs(1));
    assert!(status.success());
    assert_eq!(peer.read(&mut [0; 16]).unwrap(), 0, "a clean end of stream");
    assert!(
        !path.exists(),
        "the server removes its socket file when it stops"
    );
}

#[test]
fn a_unix_path_that_is_not_a_socket_is_left_alone() {
    let path = socket_path("file");
    std::fs::write(&path, "precious").unwrap();
    let mut command = Command::new(ECHO);
    command.args(["server", "--unix", path.to_str().unwrap()]);
    assert_fails_with(command, "exists and is not a socket");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "precious");
}

#[test]
fn errors_are_one_line_and_a_non_zero_exit() {
    let (_server, addr) = server(&[]);
    let mut second = Command::new(ECHO);
    second.args(["server", "--port", &addr.port().to_string()]);
    assert_fails_with(second, "is already in use");
    let mut nowhere = Command::new(ECHO);
    nowhere.args(["server", "--unix", "/nonexistent-dir/echo.sock"]);
    assert_fails_with(nowhere, "cannot bind /nonexistent-dir/echo.sock");
}

#[test]
fn works_over_ipv6_loopback() {
    let (_server, addr) = server(&["--host", "::1"]);
    assert!(addr.is_ipv6());
    assert_eq!(ask(&mut welcomed(addr), "v6"), "Hello, v6!");
}

#[test]
fn help_lists_every_flag_with_its_default_and_names_the_client() {
    assert_help_shows(
        ECHO,
        &["server"],
        &[
            "--backlog",
            "[default: 5]",
            "[default: 13145]",
            "--unix <PATH>",
            "--encoding",
        ],
    );
    assert_help_shows(ECHO, &[], &["cargo run -p tcp-echo-threaded -- client"]);
}

/// Seed 004's client, without its time.sleep(1): recv already waits for each answer.
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
#[ignore = "needs nc (scripts/ci.sh installs netcat-openbsd)"]
fn nc_gets_line_answers() {
    let (mut server, addr) = server(&[]);
    let mut nc = Program::start("nc", &["127.0.0.1", &addr.port().to_string()]);
    // "Welcome!" has no newline (as in the seed), so it shows in front of the first answer.
    nc.send_line("one");
    assert_eq!(nc.line(), "Welcome!Hello, one!");
    // `printf 'alice\nbob\nexit\n' | nc`: three lines in one read, each answered.
    nc.send_bytes("二\nthree\nexit\n".as_bytes());
    assert_eq!(nc.line(), "Hello, 二!");
    assert_eq!(nc.line(), "Hello, three!");
    server.wait_for_text("closed: the client sent exit (0 live)");
    let (status, rest) = nc.wait_exit(WAIT);
    assert!(status.success());
    assert!(rest.is_empty(), "{rest:?}");
}

/// CPU time the process has used (user + system), in clock ticks (Linux).
#[cfg(target_os = "linux")]
fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The fields after the command name, which is in parentheses: utime is the 12th, stime the 13th.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
}

#[test]
#[cfg(target_os = "linux")]
fn an_idle_server_with_open_connections_uses_no_cpu() {
    let (server, addr) = server(&[]);
    let _idle: Vec<TcpStream> = (0..20).map(|_| welcomed(addr)).collect();
    let before = cpu_ticks(server.id());
    // Not waiting for the server: measuring that it does nothing while nothing happens.
    thread::sleep(Duration::from_millis(500));
    let used = cpu_ticks(server.id()) - before;
    assert!(
        used <= 1,
        "{used} ticks of CPU in 0.5 s of nothing: a busy loop"
    );
}

#[test]
#[cfg(target_os = "linux")]
#[ignore = "needs prlimit (util-linux; scripts/ci.sh runs it)"]
fn out_of_file_descriptors_the_waiting_are_accepted_later_and_ctrl_c_still_works() {
    let mut command = Command::new("prlimit");
    command.args([
        "--nofile=40",
        ECHO,
        "server",
        "--port",
        "0",
        "--backlog",
        "128",
    ]);
    let mut server = Program::spawn(command);
    let addr = server.listening_addr();
    // 60 connections: the kernel completes them all (the backlog is 128), but the
    // server has descriptors for about 30.
    let mut peers: Vec<TcpStream> = (0..60).map(|_| tcp_peer(addr)).collect();
    let mut waiting = None;
    for (i, peer) in peers.iter_mut().enumerate() {
        peer.set_read_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        let mut welcome = [0; 8];
        if peer.read_exact(&mut welcome).is_err() {
            waiting = Some(i);
            break;
        }
    }
    let waiting = waiting.expect("some connections wait: the server is out of descriptors");
    assert!(waiting > 10, "only {waiting} were accepted");
    server.wait_for_text("accept failed: too many open files");
    assert_eq!(
        ask(&mut peers[0], "still"),
        "Hello, still!",
        "the others are served"
    );
    // Ten leave; the next listener event (a new client) accepts the ones waiting.
    peers.drain(1..11);
    let _new = tcp_peer(addr);
    let first_waiting = &mut peers[waiting - 10];
    first_waiting.set_read_timeout(Some(WAIT)).unwrap();
    assert_eq!(read_text(first_waiting, 8), "Welcome!");
    server.interrupt();
    let (status, _) = server.wait_exit(Duration::from_secs(1));
    assert!(status.success(), "exit status {status}");
}

#[test]
fn a_character_cut_between_two_recvs_is_kept_whole() {
    let (_server, addr) = server(&[]);
    let mut peer = welcomed(addr);
    // "你" is e4 bd a0 in UTF-8: its first byte ends one recv, the rest starts the next.
    peer.write_all(b"cut \xe4").unwrap();
    assert_eq!(read_text(&mut peer, "Hello, cut !".len()), "Hello, cut !");
    peer.write_all(b"\xbd\xa0 end").unwrap();
    assert_eq!(
        read_text(&mut peer, "Hello, 你 end!".len()),
        "Hello, 你 end!"
    );
}
