//! Ctrl-C that stops a server at once, whatever it is doing.
//!
//! In Python, Ctrl-C raises KeyboardInterrupt in the main thread and the seed dies
//! with a traceback. Here the handler runs on a thread of its own: it says so,
//! lets the program say goodbye (a chat room tells its members), and exits.
//!
//! Exiting is the whole stop. The kernel closes every socket the program still
//! has, and each connected client sees a clean end of stream (a FIN), just as
//! when the Python seed dies. Nothing has to wake a blocked `accept` or `recv`,
//! so the stop is as quick with no file descriptors left as at any other time.
//! (A flag that the accept loop checks would need a connection to wake it, and a
//! server out of descriptors cannot accept one.)

use std::time::Duration;

/// Installs a server's Ctrl-C (SIGINT) handler: it says `stopping (Ctrl-C)`,
/// runs `goodbye`, lets the log write what it holds, and exits with code 0.
/// Install it before the `listening on` line, so Ctrl-C works as soon as anyone
/// can connect. Only one handler can be installed per program.
pub fn on_ctrl_c(goodbye: impl Fn() + Send + 'static) -> anyhow::Result<()> {
    ctrlc::set_handler(move || {
        crate::say!("stopping (Ctrl-C)");
        goodbye();
        crate::out::flush(Duration::from_millis(300));
        std::process::exit(0);
    })
    .map_err(|e| anyhow::anyhow!("cannot install the Ctrl-C handler: {e}"))
}
