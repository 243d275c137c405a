//! `loadgen echo` against a tiny echo server inside the test, in lesson 4's
//! protocol ("Welcome!", then "Hello, <message>!" per message).

#![allow(clippy::unwrap_used)]

mod common;

use std::net::TcpListener;
use std::process::Command;

use common::{Echo, LOADGEN, RUN_LIMIT, echo_server, loadgen};
use lesson_testing::{assert_one_line_error, run};

#[test]
fn reports_the_rate_and_latency_of_every_client() {
    let port = echo_server(Echo::Faithful);
    let s = loadgen(&[
        "echo",
        "--port",
        &port,
        "--clients",
        "5",
        "--threads",
        "2",
        "--duration",
        "0.3",
    ]);
    assert!(s.0.starts_with("loadgen echo clients=5 "), "{}", s.0);
    assert_eq!(s.get("errors"), "0");
    assert!(s.num("round_trips") >= 5.0, "{}", s.0);
    let rate = s.num("round_trips") / s.num("duration_s");
    assert!((rate / s.num("rate") - 1.0).abs() < 0.01, "{}", s.0);
    assert!(s.num("p50_us") <= s.num("p99_us"), "{}", s.0);
    assert!(s.num("loadgen_cpu_us") >= 0.0, "{}", s.0);
}

#[test]
fn a_broken_connection_is_counted_and_the_others_go_on() {
    let port = echo_server(Echo::BreakEvery(2));
    let s = loadgen(&[
        "echo",
        "--port",
        &port,
        "--clients",
        "4",
        "--duration",
        "0.3",
    ]);
    // Connections 2 and 4 close after the welcome: two errors, two clients carry on.
    assert_eq!(s.get("errors"), "2", "{}", s.0);
    assert!(s.num("round_trips") > 0.0, "{}", s.0);
}

#[test]
fn the_server_cpu_is_reported_with_its_pid() {
    let port = echo_server(Echo::Faithful);
    // The server runs in this test process, so this process's pid is the server's.
    let pid = std::process::id().to_string();
    let s = loadgen(&[
        "echo",
        "--port",
        &port,
        "--clients",
        "2",
        "--duration",
        "0.3",
        "--pid",
        &pid,
    ]);
    assert!(s.num("server_cpu_us") >= 0.0, "{}", s.0);
}

#[test]
fn no_server_is_a_one_line_error() {
    // Bind and drop: a port where nothing listens.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let mut command = Command::new(LOADGEN);
    command.args(["echo", "--port", &port, "--duration", "0.2"]);
    let (status, stdout, stderr) = run(command, b"", RUN_LIMIT);
    assert!(!status.success());
    assert_eq!(stdout, "");
    assert_one_line_error(&stderr);
    assert!(stderr.contains("no round trip"), "{stderr}");
}

#[test]
fn a_wrong_answer_is_an_error_not_a_round_trip() {
    let port = echo_server(Echo::WrongAnswer);
    let mut command = Command::new(LOADGEN);
    command.args([
        "echo",
        "--port",
        &port,
        "--clients",
        "2",
        "--duration",
        "0.2",
    ]);
    let (status, _, stderr) = run(command, b"", RUN_LIMIT);
    assert!(!status.success());
    assert_one_line_error(&stderr);
    assert!(stderr.contains("Howdy"), "{stderr}");
}

#[test]
fn unix_talks_to_a_unix_domain_socket() {
    use std::io::{Read, Write};
    use std::os::unix::net::UnixListener;
    let dir = std::env::temp_dir().join(format!("loadgen-unix-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("echo.sock");
    let _ = std::fs::remove_file(&path);
    let listener = UnixListener::bind(&path).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            std::thread::spawn(move || {
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
    let s = loadgen(&[
        "echo",
        "--unix",
        path.to_str().unwrap(),
        "--clients",
        "3",
        "--duration",
        "0.3",
    ]);
    assert_eq!(s.get("errors"), "0", "{}", s.0);
    assert!(s.num("round_trips") >= 3.0, "{}", s.0);
    let _ = std::fs::remove_file(&path);
}
