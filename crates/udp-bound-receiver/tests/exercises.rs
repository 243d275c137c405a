//! Checks for lesson 2's exercises (docs: "Exercises" in the udp-bound-receiver chapter).
//! Each fails on the lesson as shipped and passes once the exercise is done:
//!
//! ```text
//! cargo test -p udp-bound-receiver --test exercises -- --ignored byte_count
//! ```
//!
//! Reference solutions: exercises/udp-bound-receiver/<name>.patch.

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

mod exercise {
    use std::net::UdpSocket;
    use std::time::Duration;

    use lesson_testing::{Program, WAIT};

    const RECEIVER: &str = env!("CARGO_BIN_EXE_udp-bound-receiver");

    fn peer() -> UdpSocket {
        let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
        peer.set_read_timeout(Some(WAIT)).unwrap();
        peer
    }

    /// Easy: show each datagram's size: "from 127.0.0.1:50001 (5 bytes): hello".
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn byte_count() {
        let (mut receiver, addr) = Program::server(RECEIVER, &["--port", "0"]);
        let peer = peer();
        peer.send_to("hello".as_bytes(), addr).unwrap();
        peer.send_to("你好".as_bytes(), addr).unwrap();
        let from = peer.local_addr().unwrap();
        assert_eq!(receiver.line(), format!("from {from} (5 bytes): hello"));
        assert_eq!(receiver.line(), format!("from {from} (6 bytes): 你好"));
    }

    /// Medium: when it stops (Ctrl-C or --count), print
    /// "received N datagrams from M senders".
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn summary() {
        let (mut receiver, addr) = Program::server(RECEIVER, &["--port", "0"]);
        let (a, b) = (peer(), peer());
        for (peer, text) in [(&a, "1"), (&b, "2"), (&a, "3")] {
            peer.send_to(text.as_bytes(), addr).unwrap();
            receiver.wait_for_text(&format!(": {text}"));
        }
        receiver.interrupt();
        let (status, rest) = receiver.wait_exit(Duration::from_secs(2));
        assert!(status.success());
        assert!(
            rest.iter()
                .any(|l| l == "received 3 datagrams from 2 senders"),
            "{rest:?}"
        );
    }

    /// Harder: `--ack` answers each datagram with "got N bytes", so that
    /// `udp-sender --reply` hears back.
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn ack() {
        let (mut receiver, addr) = Program::server(RECEIVER, &["--port", "0", "--ack"]);
        let peer = peer();
        peer.send_to("你好".as_bytes(), addr).unwrap();
        let mut buf = [0; 64];
        let (n, from) = peer.recv_from(&mut buf).expect("an answer");
        assert_eq!((&buf[..n], from), (&b"got 6 bytes"[..], addr));
        receiver.wait_for_text(": 你好");
    }
}
