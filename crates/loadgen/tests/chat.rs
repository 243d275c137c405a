//! `loadgen chat` against tiny line relays inside the test: a faithful one, one
//! that loses every tenth line, and one that closes a client on purpose.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use common::loadgen;

/// A relay on a free port: every line from a client goes to every client.
/// `lose_every` = n skips every nth line; `drop_client` closes the nth client to join.
fn relay(lose_every: usize, drop_client: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let clients: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
    let relayed = Arc::new(Mutex::new(0usize));
    thread::spawn(move || {
        for (i, stream) in listener.incoming().enumerate() {
            let Ok(stream) = stream else { continue };
            if drop_client == i + 1 {
                continue; // closed at once
            }
            clients.lock().unwrap().push(stream.try_clone().unwrap());
            let (clients, relayed) = (clients.clone(), relayed.clone());
            thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    let mut count = relayed.lock().unwrap();
                    *count += 1;
                    if lose_every > 0 && *count % lose_every == 0 {
                        continue;
                    }
                    for mut client in clients.lock().unwrap().iter() {
                        let _ = writeln!(client, "[relay] {line}");
                    }
                }
            });
        }
    });
    port.to_string()
}

fn chat(port: &str, extra: &[&str]) -> common::Summary {
    let mut args = vec![
        "chat",
        "--port",
        port,
        "--clients",
        "4",
        "--rate",
        "50",
        "--duration",
        "0.4",
        "--settle",
        "0.2",
    ];
    args.extend_from_slice(extra);
    loadgen(&args)
}

#[test]
fn every_line_reaches_every_client_through_a_faithful_relay() {
    let s = chat(&relay(0, 0), &[]);
    assert!(s.num("sent") >= 40.0, "{}", s.0);
    assert_eq!(s.num("expected"), s.num("sent") * 4.0, "{}", s.0);
    assert_eq!(s.num("delivered"), s.num("expected"), "{}", s.0);
    for zero in [
        "lost",
        "reordered",
        "duplicates",
        "unparsed",
        "healthy_dropped",
    ] {
        assert_eq!(s.get(zero), "0", "{zero}: {}", s.0);
    }
    assert_eq!(s.get("stalled"), "0");
}

#[test]
fn lost_lines_are_counted() {
    let s = chat(&relay(10, 0), &[]);
    // Each lost line is missed by all 4 readers.
    let lost_lines = (s.num("sent") / 10.0).floor() * 4.0;
    assert_eq!(s.num("lost"), lost_lines, "{}", s.0);
}

#[test]
fn a_dropped_healthy_client_is_reported() {
    let s = chat(&relay(0, 2), &[]);
    assert_eq!(s.get("healthy_dropped"), "1", "{}", s.0);
}

#[test]
fn a_stalled_client_is_added_and_watched() {
    // The stalled client joins first; this relay never drops anyone.
    let s = chat(&relay(0, 0), &["--stalled"]);
    assert_eq!(s.get("stalled"), "1", "{}", s.0);
    assert_eq!(s.get("stalled_dropped"), "0", "{}", s.0);
    assert_eq!(s.get("healthy_dropped"), "0", "{}", s.0);
}

#[test]
fn a_burst_read_at_terminal_speed_is_delivered_whole_and_paced() {
    // 2 senders x 50 lines of about 64 bytes, read at 20 kB/s by each of 4 clients.
    let s = chat(
        &relay(0, 0),
        &["--burst", "50", "--senders", "2", "--read-speed", "20000"],
    );
    assert_eq!(s.num("sent"), 100.0, "{}", s.0);
    assert_eq!(s.num("delivered"), 400.0, "{}", s.0);
    assert_eq!(s.get("healthy_dropped"), "0", "{}", s.0);
    // 6.4 kB for each reader at 20 kB/s: at least a quarter of a second.
    assert!(s.num("delivery_s") >= 0.25, "{}", s.0);
}
