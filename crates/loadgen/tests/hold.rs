//! `loadgen hold` against a thread-per-connection echo server inside this test
//! process, so `--pid` is this process and its thread count shows the server's
//! threads come and go. (One test in this file: a second test's threads would
//! change the count.)

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::thread;

use common::loadgen;

#[test]
fn holds_every_connection_and_sees_the_threads_go_back() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            thread::spawn(move || {
                let _ = stream.write_all(b"Welcome!");
                let mut data = [0; 1024];
                while let Ok(n @ 1..) = stream.read(&mut data) {
                    let answer = format!("Hello, {}!", String::from_utf8_lossy(&data[..n]));
                    if stream.write_all(answer.as_bytes()).is_err() {
                        break;
                    }
                }
            });
        }
    });
    let pid = std::process::id().to_string();
    let s = loadgen(&[
        "hold",
        "--port",
        &port,
        "--connections",
        "200",
        "--threads",
        "4",
        "--pid",
        &pid,
    ]);
    assert_eq!(s.get("answered_start"), "200", "{}", s.0);
    assert_eq!(s.get("answered_end"), "200", "{}", s.0);
    assert_eq!(s.get("errors"), "0", "{}", s.0);
    // One server thread per held connection, all gone once they are released.
    assert!(
        s.num("threads_held") >= s.num("threads_before") + 200.0,
        "{}",
        s.0
    );
    assert!(s.num("threads_after") <= s.num("threads_before"), "{}", s.0);
    assert!(s.num("rss_held_kib") > 0.0, "{}", s.0);
}
