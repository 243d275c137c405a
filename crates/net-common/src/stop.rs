//! Ctrl-C that stops a server at once, whatever it is doing.
//!
//! In Python, Ctrl-C raises KeyboardInterrupt and the seed dies with a traceback.
//! Here a handler thread says so, lets the program say goodbye (a chat room tells
//! its members), and exits. Exiting is the whole stop: the kernel closes every
//! socket, and each client sees a clean end of stream (a FIN), as when the seed dies.
//! Nothing has to wake a blocked `accept` or `recv`: a flag that the accept loop
//! checks would need a connection to wake it, and a server out of descriptors
//! cannot accept one.

use std::time::Duration;

/// Installs the Ctrl-C (SIGINT) handler, a thread that runs [`stopping`]. Install it
/// (once) before the `listening on` line, so Ctrl-C works as soon as anyone can connect.
pub fn on_ctrl_c(goodbye: impl Fn() + Send + 'static) -> anyhow::Result<()> {
    ctrlc::set_handler(move || stopping(&goodbye))
        .map_err(|e| anyhow::anyhow!("cannot install the Ctrl-C handler: {e}"))
}

/// What Ctrl-C does: says `stopping (Ctrl-C)`, runs `goodbye`, lets the log write what
/// it holds, and exits with code 0. An event loop that waits for Ctrl-C itself calls it.
pub fn stopping(goodbye: impl Fn()) -> ! {
    let _only_us = crate::out::last_words();
    crate::say!("stopping (Ctrl-C)");
    goodbye();
    crate::out::flush(Duration::from_millis(300));
    std::process::exit(0);
}
