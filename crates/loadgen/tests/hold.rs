//! `loadgen hold` against a thread-per-connection echo server inside this test
//! process, so `--pid` is this process and its thread count shows the server's
//! threads come and go. (One test in this file: a second test's threads would
//! change the count.)

#![allow(clippy::unwrap_used)]

mod common;

use common::{Echo, echo_server, loadgen};

#[test]
fn holds_every_connection_and_sees_the_threads_go_back() {
    let port = echo_server(Echo::Faithful);
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
    // The baseline is the count while held, less the 200: `threads_before` can miss
    // the two threads that read loadgen's stdout and stderr in this process, which
    // start at about the moment loadgen counts (a race that failed 1 run in 5).
    assert!(
        s.num("threads_held") >= s.num("threads_before") + 200.0,
        "{}",
        s.0
    );
    assert!(
        s.num("threads_after") <= s.num("threads_held") - 200.0,
        "{}",
        s.0
    );
    assert!(s.num("rss_held_kib") > 0.0, "{}", s.0);
}
