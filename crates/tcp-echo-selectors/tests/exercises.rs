//! Checks for lesson 9's exercises (docs: "Exercises" in the tcp-echo-selectors chapter).
//! Each fails on the lesson as shipped and passes once the exercise is done:
//!
//! ```text
//! cargo test -p tcp-echo-selectors --test exercises -- --ignored max_clients
//! ```
//!
//! Reference solutions: exercises/tcp-echo-selectors/<name>.patch.

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

mod common;

mod exercise {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::thread;
    use std::time::{Duration, Instant};

    use lesson_testing::{Program, tcp_peer, thread_count};

    use super::common::{ask, server, welcomed};

    /// Reads until the server closes the connection; a reset counts as closed too.
    fn rest(peer: &mut TcpStream) -> String {
        let mut bytes = Vec::new();
        let _ = peer.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// The server, or a failed check that says what to add.
    fn started(args: &[&str], flag: &str) -> (Program, std::net::SocketAddr) {
        let mut all = vec!["server", "--port", "0"];
        all.extend_from_slice(args);
        let mut probe = std::process::Command::new(super::common::ECHO);
        probe.args(["server", "--help"]);
        let help = probe.output().unwrap();
        assert!(
            String::from_utf8_lossy(&help.stdout).contains(flag),
            "the server has no {flag} flag yet: add it to `struct Server` (see the chapter's exercises)"
        );
        server(args)
    }

    /// Easy: `--max-clients N`: while N conversations are open, a new connection gets
    /// "Sorry, the server is full" (no welcome) and is closed at once; the log says
    /// "refused 127.0.0.1:50003: the server is full (2 live)". Once one leaves, the
    /// next is welcomed again.
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn max_clients() {
        let (mut server, addr) = started(&["--max-clients", "2"], "--max-clients");
        let mut first = welcomed(addr);
        let _second = welcomed(addr);
        let mut third = tcp_peer(addr);
        let third_addr = third.local_addr().unwrap();
        assert_eq!(
            rest(&mut third),
            "Sorry, the server is full",
            "a third client must get the refusal, and then the end of the stream"
        );
        let line = server.wait_for_text("refused");
        assert_eq!(
            line,
            format!("refused {third_addr}: the server is full (2 live)"),
            "the log line for a refused client"
        );
        assert_eq!(ask(&mut first, "exit"), "", "the first one leaves");
        server.wait_for_text("(1 live)");
        let mut fourth = welcomed(addr);
        assert_eq!(
            ask(&mut fourth, "in"),
            "Hello, in!",
            "once a place is free, a new client is served"
        );
    }

    /// Medium: statistics per client, at the end of its log line:
    /// "... closed: the client sent exit (0 live); 2 messages, 14 bytes in, 34 bytes out,
    /// at most 16 bytes waiting". "At most ... waiting" is the largest the outgoing
    /// buffer ever was: it shows the backpressure at work.
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn stats() {
        let (mut server, addr) = server(&[]);
        let mut peer = welcomed(addr);
        let peer_addr = peer.local_addr().unwrap();
        assert_eq!(ask(&mut peer, "zhangsan"), "Hello, zhangsan!");
        assert_eq!(ask(&mut peer, "li"), "Hello, li!");
        assert_eq!(ask(&mut peer, "exit"), "");
        let line = server.wait_for_text(&format!("connection from {peer_addr} closed"));
        // In: "zhangsan" + "li" + "exit" = 14 bytes; out: "Welcome!" + the two answers = 34.
        assert!(
            line.ends_with("closed: the client sent exit (0 live); 2 messages, 14 bytes in, 34 bytes out, at most 16 bytes waiting"),
            "expected the statistics after \"(0 live)\", got: {line}"
        );

        // A client that sends and never reads: its buffer stops a little above 64 KiB.
        let mut deaf = tcp_peer(addr);
        let deaf_addr = deaf.local_addr().unwrap();
        deaf.set_write_timeout(Some(Duration::from_millis(300)))
            .unwrap();
        while deaf.write_all(&[b'x'; 1000]).is_ok() {}
        socket2::SockRef::from(&deaf)
            .set_linger(Some(Duration::ZERO))
            .unwrap();
        drop(deaf);
        let line = server.wait_for_text(&format!("connection from {deaf_addr} closed"));
        let waiting: usize = line
            .rsplit("at most ")
            .next()
            .and_then(|w| w.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no \"at most N bytes waiting\" in: {line}"));
        assert!(
            (64 * 1024..64 * 1024 + 16 * 1024).contains(&waiting),
            "a client that never reads should have a little over 65536 bytes waiting at most, not {waiting}: {line}"
        );
    }

    /// Harder: `--idle-timeout SECONDS`: a client that sends nothing for that long is
    /// closed, and the log says "... closed: the client sent nothing for 1s (0 live)".
    /// Lesson 4 had a socket timeout per thread for this; here the one loop keeps the
    /// time itself: poll's timeout is the nearest deadline. No thread, no sleeping, no
    /// waking up every few milliseconds.
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn idle_timeout() {
        let (mut server, addr) = started(&["--idle-timeout", "1"], "--idle-timeout");
        let threads = thread_count(server.id());
        let mut peer = welcomed(addr);
        let mut quiet = welcomed(addr);
        for name in ["a", "b", "c"] {
            thread::sleep(Duration::from_millis(400));
            assert_eq!(
                ask(&mut peer, name),
                format!("Hello, {name}!"),
                "each message starts the client's wait anew"
            );
        }
        assert_eq!(rest(&mut quiet), "", "the quiet client is closed");
        let since = Instant::now();
        assert_eq!(
            rest(&mut peer),
            "",
            "the server closes the other one too, a second after its last message"
        );
        let waited = since.elapsed();
        assert!(
            waited >= Duration::from_millis(400),
            "closed too early ({waited:?}): each message starts the wait anew"
        );
        let line = server.wait_for_text("(0 live)");
        assert!(
            line.ends_with("closed: the client sent nothing for 1s (0 live)"),
            "the log line: {line}"
        );
        assert_eq!(
            thread_count(server.id()),
            threads,
            "no thread of its own for the clock"
        );
    }
}
