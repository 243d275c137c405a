//! `loadgen udp` against tiny UDP echo servers inside the test: one that answers
//! everything, and one that ignores every second datagram.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::UdpSocket;
use std::thread;

use common::loadgen;

/// A UDP echo server on a free port that answers "Hello, <data>!", skipping
/// every `skip_every`th datagram (0: none).
fn udp_echo(skip_every: u64) -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let port = socket.local_addr().unwrap().port();
    thread::spawn(move || {
        let mut buf = [0; 1024];
        let mut count = 0u64;
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            count += 1;
            if skip_every > 0 && count % skip_every == 0 {
                continue;
            }
            let answer = [b"Hello, ", &buf[..n], b"!"].concat();
            let _ = socket.send_to(&answer, from);
        }
    });
    port.to_string()
}

#[test]
fn every_datagram_is_answered_by_a_server_that_answers_all() {
    let port = udp_echo(0);
    let s = loadgen(&[
        "udp",
        "--port",
        &port,
        "--clients",
        "2",
        "--in-flight",
        "4",
        "--duration",
        "0.3",
    ]);
    assert!(s.num("answered") > 0.0, "{}", s.0);
    assert_eq!(s.num("answered") + s.num("lost"), s.num("sent"), "{}", s.0);
    assert!(s.num("p50_us") <= s.num("p99_us"), "{}", s.0);
    assert_eq!(s.get("errors"), "0", "{}", s.0);
}

#[test]
fn the_loss_share_is_measured() {
    let port = udp_echo(2);
    let s = loadgen(&[
        "udp",
        "--port",
        &port,
        "--in-flight",
        "8",
        "--duration",
        "0.5",
        "--loss-timeout",
        "0.05",
    ]);
    // Every second datagram goes unanswered: about half are lost.
    let share = s.num("loss_share");
    assert!((0.4..=0.6).contains(&share), "{}", s.0);
}
