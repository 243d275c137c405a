//! Lessons across two simulated hosts: scripts/lab.sh puts alice (10.99.0.1) and
//! bob (10.99.0.2) in network namespaces joined by a virtual cable. Multicast with
//! a real, non-loopback interface, UDP echo, and a TCP lesson cross it. Every test
//! makes a lab of its own (a unique LAB_PREFIX) and tears it down after.
//!
//! These need root: as root, `cargo test -p udp-multicast --test lab -- --ignored`
//! (scripts/ci.sh runs them; `sudo cargo` usually finds no cargo, as sudo resets PATH)
//! (scripts/ci.sh runs them).

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use lesson_testing::{Program, WAIT, lesson_bin, run};

const PEER: &str = env!("CARGO_BIN_EXE_udp-multicast");

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A lab of alice and bob; dropping it tears it down, even when a test fails.
struct Lab {
    prefix: String,
}

impl Lab {
    /// `LAB_PREFIX=<test><pid>- scripts/lab.sh up`
    fn up(test: &str) -> Lab {
        let lab = Lab {
            prefix: format!("{test}{}-", std::process::id()),
        };
        let (status, stdout, stderr) = run(lab.script("up"), b"", WAIT);
        assert!(status.success(), "lab.sh up failed: {stdout}{stderr}");
        lab
    }

    fn script(&self, action: &str) -> Command {
        let mut command = Command::new(workspace().join("scripts/lab.sh"));
        command.arg(action).env("LAB_PREFIX", &self.prefix);
        command
    }

    /// `ip netns exec <host> <program> <args>`: a program on alice or bob.
    fn on(&self, host: &str, program: &str, args: &[&str]) -> Command {
        let mut command = Command::new("ip");
        command
            .args(["netns", "exec", &format!("{}{host}", self.prefix), program])
            .args(args);
        command
    }

    /// Tears the lab down and checks that it is gone.
    fn down(self) {
        let (status, _, stderr) = run(self.script("down"), b"", WAIT);
        assert!(status.success(), "lab.sh down failed: {stderr}");
        let (status, stdout, _) = run(self.script("status"), b"", WAIT);
        assert!(!status.success(), "status after down: {stdout}");
        assert!(stdout.contains("alice: not up") && stdout.contains("bob: not up"));
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        let _ = self.script("down").output();
    }
}

/// Starts a multicast peer on a host and checks its first two lines: what it
/// joined, and the note that datagrams now leave the machine. Returns the peer,
/// the port it joined on, and the address it sends from.
fn peer(lab: &Lab, host: &str, interface: &str, port: u16) -> (Program, u16, String) {
    let port = port.to_string();
    let mut program =
        Program::spawn(lab.on(host, PEER, &["--interface", interface, "--port", &port]));
    let first = program.line();
    let rest = first
        .strip_prefix("joined 230.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected first line: {first}"));
    let (port, rest) = rest.split_once(' ').unwrap();
    let me = rest
        .strip_prefix(&format!("via {interface} (sending from "))
        .and_then(|r| r.strip_suffix(", TTL 1)"))
        .unwrap_or_else(|| panic!("unexpected first line: {first}"));
    assert_eq!(
        program.line(),
        format!(
            "note: {interface} is not loopback, so datagrams to the group will now leave this machine (TTL 1)"
        )
    );
    (program, port.parse().unwrap(), me.to_owned())
}

#[test]
#[ignore = "needs root: creates network namespaces (scripts/ci.sh runs it)"]
fn multicast_crosses_the_cable_between_alice_and_bob() {
    let lab = Lab::up("mc");
    let (mut alice, port, alice_addr) = peer(&lab, "alice", "10.99.0.1", 0);
    let (mut bob, _, bob_addr) = peer(&lab, "bob", "10.99.0.2", port);
    assert!(alice_addr.starts_with("10.99.0.1:") && bob_addr.starts_with("10.99.0.2:"));

    alice.send_line("hello bob");
    assert_eq!(bob.line(), format!("from {alice_addr}: hello bob"));
    assert_eq!(alice.line(), format!("from {alice_addr} (you): hello bob"));
    bob.send_line("你好 alice");
    assert_eq!(alice.line(), format!("from {bob_addr}: 你好 alice"));

    // Ctrl-C works through `ip netns exec`, which becomes the program.
    let started = Instant::now();
    alice.interrupt();
    // Before wait_exit, which closes stdin (the end of input would stop it too).
    assert_eq!(alice.line(), "stopping (Ctrl-C)");
    let (status, rest) = alice.wait_exit(Duration::from_secs(1));
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(status.success());
    assert_eq!(rest, [format!("left 230.0.0.1:{port}")]);
    drop((alice, bob));
    lab.down();
}

#[test]
#[ignore = "needs root: creates network namespaces (scripts/ci.sh runs it)"]
fn udp_echo_and_a_tcp_greeter_cross_from_alice_to_bob() {
    let lab = Lab::up("tcp");

    // Lesson 6: the server on bob, the client on alice.
    let echo = lesson_bin("udp-echo");
    let (_server, addr) = {
        let mut server = Program::spawn(lab.on(
            "bob",
            &echo,
            &["server", "--host", "10.99.0.2", "--port", "0"],
        ));
        let addr = server.listening_addr();
        (server, addr)
    };
    assert_eq!(addr.ip().to_string(), "10.99.0.2");
    let port = addr.port().to_string();
    let client = lab.on(
        "alice",
        &echo,
        &[
            "client",
            "--host",
            "10.99.0.2",
            "--port",
            &port,
            "-m",
            "from alice",
        ],
    );
    let (status, stdout, stderr) = run(client, b"", WAIT);
    assert!(status.success(), "{stderr}");
    assert_eq!(
        stdout,
        format!("answer from {addr}: Hello, from alice!\n1 answered, 0 lost\n")
    );

    // Lesson 3: the greeter on bob, its client on alice, across the cable.
    let greeter = lesson_bin("tcp-greeter");
    let mut server = Program::spawn(lab.on(
        "bob",
        &greeter,
        &["server", "--host", "10.99.0.2", "--port", "0"],
    ));
    let addr = server.listening_addr();
    let port = addr.port().to_string();
    let client = lab.on(
        "alice",
        &greeter,
        &["client", "--host", "10.99.0.2", "--port", &port],
    );
    let (status, stdout, stderr) = run(client, b"", WAIT);
    assert!(status.success(), "tcp-greeter client: {stderr}");
    assert!(stdout.contains("Welcome"), "no greeting in: {stdout}");
    // The connection came from alice's address, so it crossed the cable.
    let logged = server.wait_for_text("connection from");
    assert!(logged.starts_with("connection from 10.99.0.1:"), "{logged}");
    assert_eq!(addr.ip().to_string(), "10.99.0.2");
    drop(server);
    lab.down();
}
