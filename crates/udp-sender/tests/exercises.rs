//! Checks for lesson 1's exercises (docs: "Exercises" in the udp-sender chapter).
//! Each fails on the lesson as shipped and passes once the exercise is done:
//!
//! ```text
//! cargo test -p udp-sender --test exercises -- --ignored summary
//! ```
//!
//! Reference solutions: exercises/udp-sender/<name>.patch.

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

mod exercise {
    use std::net::UdpSocket;
    use std::process::Command;
    use std::thread;

    use lesson_testing::{WAIT, run};

    const SENDER: &str = env!("CARGO_BIN_EXE_udp-sender");

    fn peer() -> UdpSocket {
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.set_read_timeout(Some(WAIT)).unwrap();
        peer
    }

    fn send(args: &[&str], peer: &UdpSocket) -> String {
        let mut command = Command::new(SENDER);
        command
            .args(args)
            .args(["--port", &peer.local_addr().unwrap().port().to_string()]);
        let (status, stdout, stderr) = run(command, b"", WAIT);
        assert!(status.success(), "udp-sender {args:?} failed: {stderr}");
        stdout
    }

    /// Easy: when the input ends, print "sent N datagrams, M bytes in total".
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn summary() {
        let peer = peer();
        let stdout = send(&["-m", "a", "-m", "你好"], &peer);
        assert_eq!(
            stdout.lines().last(),
            Some("sent 2 datagrams, 7 bytes in total"),
            "after the last message, udp-sender should print the summary line \
             'sent 2 datagrams, 7 bytes in total' (\"你好\" is 6 bytes in UTF-8); it printed:\n{stdout}"
        );
    }

    /// Easy: `--repeat N` sends each message N times (default 1).
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn repeat() {
        let peer = peer();
        let mut command = Command::new(SENDER);
        command.args(["--port", &peer.local_addr().unwrap().port().to_string()]);
        command.args(["--repeat", "3", "-m", "hi", "-m", "yo"]);
        let (status, _, stderr) = run(command, b"", WAIT);
        assert!(
            status.success(),
            "udp-sender does not accept --repeat 3 yet: add the flag ({stderr})"
        );
        let mut buf = [0; 64];
        let mut got = Vec::new();
        for _ in 0..6 {
            let Ok((n, _)) = peer.recv_from(&mut buf) else {
                panic!("--repeat 3 with two messages should send six datagrams; only {got:?} came");
            };
            got.push(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
        assert_eq!(
            got,
            ["hi", "hi", "hi", "yo", "yo", "yo"],
            "each message should be sent three times in a row, in order"
        );
        send(&["-m", "once"], &peer);
        let (n, _) = peer.recv_from(&mut buf).unwrap();
        assert_eq!(
            &buf[..n],
            b"once",
            "without --repeat, each message should be sent once"
        );
    }

    /// Easy: with `--reply`, say how long the answer took:
    /// "reply from 127.0.0.1:7788 in 0.4 ms: pong" (`std::time::Instant`).
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn round_trip_time() {
        let peer = peer();
        let addr = peer.local_addr().unwrap();
        let answer = {
            let peer = peer.try_clone().unwrap();
            thread::spawn(move || {
                let mut buf = [0; 64];
                let (_, from) = peer.recv_from(&mut buf).unwrap();
                peer.send_to(b"pong", from).unwrap();
            })
        };
        let stdout = send(&["--reply", "-m", "ping"], &peer);
        answer.join().unwrap();
        let want = format!(
            "the reply line should read 'reply from {addr} in <ms> ms: pong', with \
             the milliseconds since the datagram was sent; udp-sender printed:\n{stdout}"
        );
        let line = stdout
            .lines()
            .find(|l| l.starts_with("reply from"))
            .expect(&want);
        let rest = line
            .strip_prefix(&format!("reply from {addr} in "))
            .expect(&want);
        let (ms, text) = rest.split_once(" ms: ").expect(&want);
        assert!(
            ms.parse::<f64>().is_ok_and(|ms| ms >= 0.0),
            "{ms:?} is not a number of milliseconds: {want}"
        );
        assert_eq!(text, "pong", "{want}");
    }
}
