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
        let hint =
            "\"/me waves\" must reach everyone as an action, \"* ADDRESS waves\", not as a message";
        assert_eq!(b.next(), action, "{hint}");
        assert_eq!(a.next(), action, "{hint} (the sender sees it too)");
        // Other lines are messages as before.
        a.send("hello");
        let hint = "a line without /me must still be a message \"[ADDRESS] text\"";
        assert_eq!(b.next(), format!("[{}] hello", a.addr), "{hint}");
    }

    /// Medium: "/nick NAME" labels the client's messages (and its leaving) with NAME;
    /// the room hears "* 127.0.0.1:50001 is now NAME".
    #[test]
    #[ignore = "exercise: fails until solved"]
    fn nick() {
        let (_server, addr) = server(&[]);
        let (a, mut b) = two_members(addr);
        a.send("/nick alice");
        let hint = "\"/nick alice\" must tell the room \"* ADDRESS is now alice\"";
        assert_eq!(b.next(), format!("* {} is now alice", a.addr), "{hint}");
        a.send("hello from alice");
        let hint = "after /nick, the client's messages must read \"[alice] ...\"";
        assert_eq!(b.next(), "[alice] hello from alice", "{hint}");
        b.send("hi");
        let hint = "only the client that said /nick changes its name";
        assert_eq!(b.next(), format!("[{}] hi", b.addr), "{hint}");
        drop(a);
        let hint = "its leaving must be announced with its name too";
        assert_eq!(b.next(), "* alice left (1 here)", "{hint}");
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
        let hint = "\"/who\" must answer the asker with every member, in the order they joined";
        assert_eq!(
            a.next(),
            format!("* in the room: {}, {}", a.addr, b.addr),
            "{hint}"
        );
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
        let hint = "\"/msg ADDRESS TEXT\" must reach the addressee as \"[FROM -> TO] TEXT\"";
        assert_eq!(b.next(), private, "{hint}");
        assert_eq!(a.next(), private, "the sender of a /msg must see it too");
        a.send("/msg 127.0.0.1:1 anyone?");
        let hint = "a /msg to an address not in the room must tell the sender \"* no one here is ADDRESS\"";
        assert_eq!(a.next(), "* no one here is 127.0.0.1:1", "{hint}");

        a.send("done");
        let before = c.wait_for_start(&format!("[{}] done", a.addr));
        assert!(
            !before
                .iter()
                .any(|l| l.contains("psst") || l.contains("anyone")),
            "a private message reached a third member: {before:?}"
        );
        let hint = "after a /msg, ordinary messages must reach everyone as before";
        assert_eq!(b.next(), format!("[{}] done", a.addr), "{hint}");
    }
}
