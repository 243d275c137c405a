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
        for want in [
            format!("from {from} (5 bytes): hello"),
            format!("from {from} (6 bytes): 你好"),
        ] {
            let line = receiver.line();
            assert_eq!(
                line, want,
                "each line should show the datagram's size in bytes after the sender \
                 (\"你好\" is 6 bytes in UTF-8)"
            );
        }
    }

    /// Medium: `--hex` shows each datagram as its bytes in hex instead of decoding
    /// it: "from 127.0.0.1:50001: 68 69 e4 bd a0", so that any bytes can be read.
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn hex() {
        let (mut receiver, addr) = Program::server(RECEIVER, &["--port", "0", "--hex"]);
        let peer = peer();
        peer.send_to(b"hi\xe4\xbd\xa0\x1b\n", addr).unwrap();
        let from = peer.local_addr().unwrap();
        let line = receiver.next_line(WAIT);
        assert_eq!(
            line,
            Some(format!("from {from}: 68 69 e4 bd a0 1b 0a")),
            "with --hex, each byte should be shown as two lower-case hex digits, separated \
             by spaces (stderr: {})",
            receiver.stderr()
        );
        let (mut plain, addr) = Program::server(RECEIVER, &["--port", "0"]);
        peer.send_to(b"hi", addr).unwrap();
        assert_eq!(
            plain.line(),
            format!("from {from}: hi"),
            "without --hex, text is shown as before"
        );
    }

    /// Medium: `--ack` answers each datagram with "got N bytes", so that
    /// `udp-sender --reply` hears back.
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn ack() {
        let (mut receiver, addr) = Program::server(RECEIVER, &["--port", "0", "--ack"]);
        let peer = peer();
        peer.send_to("你好".as_bytes(), addr).unwrap();
        let mut buf = [0; 64];
        let answer = peer.recv_from(&mut buf);
        let Ok((n, from)) = answer else {
            panic!(
                "with --ack, the receiver should answer each datagram, but no answer came \
                 (stderr: {})",
                receiver.stderr()
            );
        };
        assert_eq!(
            from, addr,
            "the answer should come from the receiver's own socket"
        );
        assert_eq!(
            String::from_utf8_lossy(&buf[..n]),
            "got 6 bytes",
            "the answer should say how many bytes arrived (\"你好\" is 6 in UTF-8)"
        );
        receiver.wait_for_text(": 你好");
    }
}
