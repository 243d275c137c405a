//! Lesson 5's real binary: its server with its own clients, `nc`, a seed-style
//! Python client and raw sockets that misbehave on purpose (flood, reset, come
//! and go). tests/hostile.rs has the findings of issue 12.

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

mod common;

use common::{CHAT, Peer, server};
use lesson_testing::{
    Program, WAIT, assert_one_line_error, open_fds, proc_status, python, run, settles,
};

fn client(addr: SocketAddr) -> Program {
    Program::start(CHAT, &["client", "--port", &addr.port().to_string()])
}

/// The room's messages in a client's output, grouped by sender tag ("A 3" -> "A").
/// Also checks each message line's form, "[127.0.0.1:<port>] <tag> <n>".
fn messages_by_tag(lines: &[String]) -> HashMap<String, Vec<u32>> {
    let mut by_tag: HashMap<String, Vec<u32>> = HashMap::new();
    for line in lines.iter().filter(|l| l.starts_with('[')) {
        let (addr, text) = line[1..].split_once("] ").unwrap();
        assert!(addr.parse::<SocketAddr>().is_ok(), "{line}");
        let (tag, n) = text.rsplit_once(' ').unwrap();
        by_tag
            .entry(tag.to_owned())
            .or_default()
            .push(n.parse().unwrap());
    }
    by_tag
}

/// Reads a program's output until it has shown `count` messages ("[...] ...").
fn read_messages(program: &mut Program, count: usize) -> Vec<String> {
    let mut got = Vec::new();
    while got.len() < count {
        let line = program.line();
        if line.starts_with('[') {
            got.push(line);
        }
    }
    got
}

/// The seed's client (003), fixed so it runs: `args=(s, )`, an end to the reading
/// loop, and raw bytes to stdout (its `print` would add a newline after each recv,
/// splitting lines where TCP happened to cut them). One send per line typed, no newline.
const PYTHON_CLIENT: &str = r#"
import socket, sys, threading

s = socket.socket()
s.connect(('127.0.0.1', int(sys.argv[1])))
def read_from_server(s):
    while True:
        data = s.recv(2048)
        if not data:
            break
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
threading.Thread(target=read_from_server, args=(s, ), daemon=True).start()
while True:
    try:
        line = input('')
    except EOFError:
        break
    if line == 'exit':
        break
    s.send(line.encode(sys.argv[2]))
s.close()
"#;

const ROUNDS: u32 = 5;

/// Everyone in one room says ROUNDS numbered messages; everyone must see all of
/// them, in order per sender. The Python client sends without newlines, so the
/// test gives it its next line only after it has seen its previous one come back
/// (as a person typing would pause).
fn one_room(with_tools: bool) {
    let (mut server, addr) = server(&[]);
    let port = addr.port().to_string();
    let mut tags = vec!["A", "B", "C"];
    let mut rust: Vec<Program> = Vec::new();
    for (i, _) in tags.iter().enumerate() {
        rust.push(client(addr));
        server.wait_for_text(&format!("joined ({} here)", i + 1));
    }
    let mut tools: Vec<Program> = Vec::new();
    if with_tools {
        tools.push(Program::start("nc", &["127.0.0.1", &port]));
        server.wait_for_text("joined (4 here)");
        // GBK, as a Windows tool would send it: the server (auto) reads it and relays UTF-8.
        tools.push(Program::spawn(python(PYTHON_CLIENT, &[&port, "gbk"])));
        server.wait_for_text("joined (5 here)");
        tags.extend(["nc", "py 你好"]);
    }

    for n in 1..=ROUNDS {
        for (program, tag) in rust.iter_mut().chain(tools.iter_mut()).zip(&tags) {
            program.send_line(&format!("{tag} {n}"));
            if tag.starts_with("py") {
                program.wait_for_text(&format!("] {tag} {n}"));
            }
        }
    }

    let total = tags.len() * ROUNDS as usize;
    let mut outputs: Vec<Vec<String>> = rust.iter_mut().map(|p| read_messages(p, total)).collect();
    for tool in &mut tools {
        // The Python client's own messages were read already, while pacing it.
        let mut all: Vec<String> = tool
            .seen()
            .iter()
            .filter(|l| l.starts_with('['))
            .cloned()
            .collect();
        let more = total - all.len();
        all.extend(read_messages(tool, more));
        outputs.push(all);
    }
    let expected: Vec<u32> = (1..=ROUNDS).collect();
    for (output, who) in outputs.iter().zip(&tags) {
        let by_tag = messages_by_tag(output);
        assert_eq!(by_tag.len(), tags.len(), "{who} saw {output:?}");
        for tag in &tags {
            assert_eq!(
                by_tag[*tag], expected,
                "{who} saw {tag}'s messages as {output:?}"
            );
        }
    }

    // End of input leaves the room: each Rust client exits 0, and the room hears it.
    for mut program in rust {
        let (status, _) = program.wait_exit(WAIT);
        assert!(status.success(), "{}", program.stderr());
        assert_eq!(program.stderr(), "");
    }
    server.wait_for_text("left (");
}

#[test]
fn three_clients_see_every_message_in_order_per_sender() {
    one_room(false);
}

#[test]
#[ignore = "needs python3 and nc (scripts/ci.sh runs it)"]
fn three_clients_nc_and_a_seed_style_python_client_share_one_room() {
    one_room(true);
}

#[test]
fn a_10_mib_line_disconnects_its_sender_with_bounded_memory_and_the_room_goes_on() {
    let (server, addr) = server(&[]);
    let mut observer = Peer::join(addr);
    let rss_before = proc_status(server.id(), "VmRSS");

    let flooder = TcpStream::connect_timeout(&addr, WAIT).unwrap();
    let flooder_addr = flooder.local_addr().unwrap();
    flooder.set_read_timeout(Some(WAIT)).unwrap();
    flooder.set_write_timeout(Some(WAIT)).unwrap();
    let mut writer = flooder.try_clone().unwrap();
    let (done, flood_result) = mpsc::channel();
    thread::spawn(move || {
        let chunk = vec![b'x'; 64 * 1024];
        let mut result = Ok(());
        for _ in 0..160 {
            // 160 * 64 KiB = 10 MiB, and never a newline
            result = writer.write_all(&chunk);
            if result.is_err() {
                break;
            }
        }
        let _ = done.send(result);
    });

    let mut reader = BufReader::new(&flooder);
    let mut line = String::new();
    loop {
        line.clear();
        reader.read_line(&mut line).unwrap();
        if !line.starts_with('*') {
            break; // skip the join announcements
        }
    }
    assert_eq!(
        line,
        "error: line longer than 4096 bytes (the server's --max-line); disconnecting\n"
    );
    // Then the server ends the connection: end of stream, or a reset if it left bytes unread.
    let mut rest = [0u8; 16];
    match reader.read(&mut rest) {
        Ok(0) => {}
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Ok(n) => panic!(
            "expected the end of the connection, got {:?}",
            String::from_utf8_lossy(&rest[..n])
        ),
        Err(e) => panic!("expected the end of the connection, got {e}"),
    }
    // The writer stops with an error: the server did not take all 10 MiB.
    let result = flood_result.recv_timeout(WAIT).unwrap();
    assert!(result.is_err(), "the whole 10 MiB was accepted");

    let (_, gone) = observer.wait_for(|l| is_leave(l, flooder_addr));
    assert!(
        gone.contains("was disconnected: line longer than 4096 bytes"),
        "{gone}"
    );
    observer.send("still here 1");
    observer.wait_for(|l| l.ends_with("] still here 1"));

    // Peak memory: the server never held the line (10 MiB would show as >= 10,240 kB).
    let peak = proc_status(server.id(), "VmHWM");
    assert!(
        peak < rss_before + 8 * 1024,
        "peak {peak} kB, {rss_before} kB before the flood"
    );
}

/// A raw connection (no reader thread); returns once it has read its own join
/// line, so the server is not writing to it when the test resets it.
fn raw_join(addr: SocketAddr, observer: &mut Peer) -> (TcpStream, SocketAddr) {
    let stream = TcpStream::connect_timeout(&addr, WAIT).unwrap();
    stream.set_read_timeout(Some(WAIT)).unwrap();
    let who = stream.local_addr().unwrap();
    let joined = format!("* {who} joined");
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    while !line.starts_with(&joined) {
        line.clear();
        reader.read_line(&mut line).unwrap(); // the read timeout fails the test
    }
    observer.wait_for(|l| l.starts_with(&joined));
    (stream, who)
}

/// Whether `line` announces that `who` is out of the room (left, vanished, ...).
fn is_leave(line: &str, who: SocketAddr) -> bool {
    line.starts_with(&format!("* {who} ")) && !line.contains(" joined (")
}

/// A connection that ends with a TCP reset: SO_LINGER 0, then close.
fn reset(stream: TcpStream) {
    socket2::SockRef::from(&stream)
        .set_linger(Some(Duration::ZERO))
        .unwrap();
    drop(stream);
}

#[test]
fn resets_mid_line_and_300_joins_and_leaves_leave_no_thread_or_socket_behind() {
    let (server, addr) = server(&[]);
    let mut observer = Peer::join(addr);
    let pid = server.id();
    let threads = proc_status(pid, "Threads");
    let fds = open_fds(pid);

    // Resets in the middle of a line: the half line is not a message, and the room goes on.
    for n in 0..20 {
        let (stream, who) = raw_join(addr, &mut observer);
        (&stream)
            .write_all(format!("half a li{n}").as_bytes())
            .unwrap();
        reset(stream);
        let (before, gone) = observer.wait_for(|l| is_leave(l, who));
        assert!(
            gone.contains("vanished (connection reset by peer)"),
            "{gone}"
        );
        assert!(
            !before.iter().any(|l| l.contains("half a li")),
            "{before:?}"
        );
    }

    // 300 clients come and go: some say something first, some reset, some just leave.
    for n in 0..300 {
        match n % 3 {
            0 => {
                let peer = Peer::join(addr);
                peer.send(&format!("hello {n}"));
                observer.wait_for(|l| l.ends_with(&format!("] hello {n}")));
            }
            1 => reset(raw_join(addr, &mut observer).0),
            _ => drop(Peer::join(addr)),
        }
    }

    // Every reader and writer thread ends and every socket is closed, soon after.
    let settled = settles((threads, fds), WAIT, || {
        (proc_status(pid, "Threads"), open_fds(pid))
    });
    assert_eq!(settled, (threads, fds), "(threads, fds) after 320 clients");
    observer.send("still here 2");
    observer.wait_for(|l| l.ends_with("] still here 2"));
    let last = Peer::join(addr);
    let (_, joined) = observer.wait_for(|l| l.starts_with(&format!("* {} joined", last.addr)));
    assert!(joined.ends_with("joined (2 here)"), "{joined}");
}

#[test]
fn the_client_over_max_clients_is_told_the_room_is_full() {
    let (mut server, addr) = server(&["--max-clients", "2"]);
    let first = Peer::join(addr);
    let _second = Peer::join(addr);
    let mut third = Peer::connect(addr);
    let (_, full) = third.wait_for(|_| true);
    assert_eq!(full, "* the room is full (2 here); try again later");
    third.closed();
    server.wait_for_text(&format!("{} turned away: the room is full", third.addr));

    // With one place free, the client gets in.
    drop(first);
    server.wait_for_text("left (1 here)");
    let mut cmd = Command::new(CHAT);
    cmd.args([
        "client",
        "--port",
        &addr.port().to_string(),
        "-m",
        "made it",
    ]);
    let (status, stdout, stderr) = run(cmd, b"", WAIT);
    assert!(status.success(), "{stderr}");
    assert!(stdout.contains("joined (2 here)"), "{stdout}");
    assert!(stdout.contains("] made it\n"), "{stdout}");
}

#[test]
fn exit_leaves_the_room_and_the_others_hear_it() {
    let (_server, addr) = server(&[]);
    let mut observer = Peer::join(addr);
    let mut leaver = client(addr);
    let (_, joined) = observer.wait_for(|l| l.contains(" joined (2 here)"));
    leaver.send_line("你好，我走了 1");
    leaver.send_line("exit");
    let (status, rest) = leaver.wait_exit(WAIT);
    assert!(status.success(), "{}", leaver.stderr());
    assert!(
        rest.iter().all(|l| !l.contains("server closed")),
        "{rest:?}"
    );
    let who = joined.split(' ').nth(1).unwrap().to_owned();
    observer.wait_for(|l| l == format!("[{who}] 你好，我走了 1"));
    observer.wait_for(|l| l.starts_with(&format!("* {who} left (1 here)")));
}

#[test]
fn works_over_ipv6_loopback() {
    let (_server, addr) = server(&["--host", "::1"]);
    assert!(addr.is_ipv6());
    let mut peer = Peer::join(addr);
    peer.send("v6 你好 1");
    let (_, line) = peer.wait_for(|l| l.ends_with("v6 你好 1"));
    assert_eq!(line, format!("[{}] v6 你好 1", peer.addr));
}

#[test]
fn no_server_and_busy_port_are_one_line_errors() {
    let (_server, addr) = server(&[]);
    let mut busy = Command::new(CHAT);
    busy.args(["server", "--port", &addr.port().to_string()]);
    let (status, stdout, stderr) = run(busy, b"", WAIT);
    assert!(!status.success());
    assert_eq!(stdout, "");
    assert_one_line_error(&stderr);

    // A port nobody listens on: bind one, note it, close it.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let mut cmd = Command::new(CHAT);
    cmd.args(["client", "--port", &free.port().to_string()]);
    let (status, _, stderr) = run(cmd, b"", WAIT);
    assert!(!status.success());
    assert_one_line_error(&stderr);
    assert!(
        stderr.contains("connection refused (start the server first)"),
        "{stderr}"
    );
}

#[test]
fn the_client_connects_by_name_and_says_which_address_answered() {
    // localhost may stand for ::1 and 127.0.0.1; create_connection tries each.
    let (_server, addr) = server(&[]);
    let mut cmd = Command::new(CHAT);
    let port = addr.port().to_string();
    cmd.args(["client", "--host", "localhost", "--port", &port, "-m", "hi"]);
    let (status, stdout, stderr) = run(cmd, b"", WAIT);
    assert!(status.success(), "{stderr}");
    assert!(
        stdout.starts_with(&format!("connected to {addr} as ")),
        "the client must say which address of localhost answered: {stdout}"
    );
}
