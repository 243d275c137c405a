//! Checks for lesson 5's exercises (docs: "Exercises" in the tcp-chat chapter).
//! Each fails on the lesson as shipped and passes once the exercise is done:
//!
//! ```text
//! cargo test -p tcp-chat --test exercises -- --ignored nick
//! ```
//!
//! Reference solutions: exercises/tcp-chat/<name>.patch.

// In a test, an unwrap that fails fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

mod common;

mod exercise {
    use std::net::SocketAddr;

    use super::common::{Peer, server};

    /// Two members, `a` having heard `b` join, so both wait for the next thing said.
    fn two_members(addr: SocketAddr) -> (Peer, Peer) {
        let mut a = Peer::join(addr);
        let b = Peer::join(addr);
        a.wait_for_start(&format!("* {} joined", b.addr));
        (a, b)
    }

    /// Easy: "/me waves" is shown to the room as an action, "* 127.0.0.1:50001 waves".
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn me() {
        let (_server, addr) = server(&[]);
        let (mut a, mut b) = two_members(addr);
        a.send("/me waves 你好");
        let action = format!("* {} waves 你好", a.addr);
        assert_eq!(b.next(), action);
        assert_eq!(a.next(), action);
        // Other lines are messages as before.
        a.send("hello");
        assert_eq!(b.next(), format!("[{}] hello", a.addr));
    }

    /// Medium: "/nick NAME" labels the client's messages (and its leaving) with NAME;
    /// the room hears "* 127.0.0.1:50001 is now NAME".
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn nick() {
        let (_server, addr) = server(&[]);
        let (a, mut b) = two_members(addr);
        a.send("/nick alice");
        assert_eq!(b.next(), format!("* {} is now alice", a.addr));
        a.send("hello from alice");
        assert_eq!(b.next(), "[alice] hello from alice");
        b.send("hi");
        assert_eq!(b.next(), format!("[{}] hi", b.addr), "only alice changed");
        drop(a);
        assert_eq!(b.next(), "* alice left (1 here)");
    }

    /// Medium: "/who" tells the asker only who is in the room, in the order they joined:
    /// "* in the room: 127.0.0.1:50001, 127.0.0.1:50002".
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn who() {
        let (_server, addr) = server(&[]);
        let (mut a, mut b) = two_members(addr);
        let gone = Peer::join(addr).addr; // joins and leaves at once
        a.wait_for_start(&format!("* {gone} left"));
        a.send("/who");
        assert_eq!(a.next(), format!("* in the room: {}, {}", a.addr, b.addr));
        a.send("after");
        let before = b.wait_for_start(&format!("[{}] after", a.addr));
        assert!(
            !before
                .iter()
                .any(|l| l.contains("/who") || l.contains("in the room")),
            "/who must answer the asker only, but the others saw {before:?}"
        );
    }

    /// Harder: "/msg ADDRESS TEXT" is a private message: only the addressee and the
    /// sender see "[127.0.0.1:50001 -> 127.0.0.1:50002] TEXT"; an address that is not
    /// in the room gets "* no one here is ADDRESS", to the sender only.
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn msg() {
        let (_server, addr) = server(&[]);
        let (mut a, mut b) = two_members(addr);
        let mut c = Peer::join(addr);
        a.wait_for_start(&format!("* {} joined", c.addr));
        b.wait_for_start(&format!("* {} joined", c.addr));

        a.send(&format!("/msg {} psst, 你好", b.addr));
        let private = format!("[{} -> {}] psst, 你好", a.addr, b.addr);
        assert_eq!(b.next(), private);
        assert_eq!(a.next(), private);
        a.send("/msg 127.0.0.1:1 anyone?");
        assert_eq!(a.next(), "* no one here is 127.0.0.1:1");

        a.send("done");
        let before = c.wait_for_start(&format!("[{}] done", a.addr));
        assert!(
            !before
                .iter()
                .any(|l| l.contains("psst") || l.contains("anyone")),
            "a private message reached a third member: {before:?}"
        );
        assert_eq!(b.next(), format!("[{}] done", a.addr));
    }
}
