//! What every socket lesson shares, so that each lesson's own code reads like its
//! Python seed, step by step: create the socket, bind, listen, accept, receive, send, close.
//!
//! - [`text`]: the `--encoding` choice, decoding and encoding, and a streaming decoder for TCP.
//! - [`sockets`]: builders over socket2 that name the Python call they stand for.
//! - [`stop`]: Ctrl-C that wakes a blocked `accept` or `recvfrom` at once.
//! - [`live`]: a server's open connections, to count them and close them all.
//! - [`cli`]: the shared flags `--host`, `--port`, `--encoding`, `--timeout`.
//! - [`out`]: printing that never panics on a closed pipe and never stalls a server ([`say!`]).
//! - [`errors`]: one-line error messages with a hint, and the `main` wrapper.

pub mod cli;
pub mod errors;
pub mod live;
pub mod out;
pub mod sockets;
pub mod stop;
pub mod text;

pub use text::Encoding;
