//! The harness itself: what every lesson's tests rely on.

use std::time::Duration;

use lesson_testing::{Program, WAIT};

#[test]
fn the_listening_line_gives_the_address_and_later_lines_follow() {
    let script =
        "echo 'note: starting'; echo 'listening on 127.0.0.1:4321'; read line; echo \"got $line\"";
    let (mut program, addr) = Program::server("sh", &["-c", script]);
    assert_eq!(addr, "127.0.0.1:4321".parse().unwrap());
    program.send_line("hello");
    assert_eq!(program.line(), "got hello");
    let (status, rest) = program.wait_exit(WAIT);
    assert!(status.success(), "{status}");
    assert!(rest.is_empty(), "{rest:?}");
}

#[test]
fn interrupt_sends_sigint_and_wait_exit_reports_it() {
    let mut program = Program::start(
        "sh",
        &[
            "-c",
            "trap 'echo stopped; exit 0' INT; echo ready; while :; do sleep 0.05; done",
        ],
    );
    assert_eq!(program.line(), "ready");
    program.interrupt();
    let (status, rest) = program.wait_exit(Duration::from_secs(5));
    assert!(status.success(), "{status}");
    assert_eq!(rest, ["stopped"]);
}

#[test]
fn a_program_that_prints_nothing_more_gives_none_after_the_timeout() {
    let mut program = Program::start("sh", &["-c", "echo one; exec sleep 5"]);
    assert_eq!(program.line(), "one");
    assert_eq!(program.next_line(Duration::from_millis(200)), None);
}
