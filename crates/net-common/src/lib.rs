//! What every socket lesson shares, so that each lesson's own code reads like its
//! Python seed, step by step: create the socket, bind, listen, accept, receive, send, close.
//!
//! - [`text`]: the `--encoding` choice, decoding and encoding, and lines from a TCP stream.
//! - [`sockets`]: builders over socket2 that name the Python call they stand for.
//! - [`stop`]: Ctrl-C that stops a server at once: the exit is the stop.
//! - [`cli`]: the shared flags `--host`, `--port`, `--encoding`, `--timeout`.
//! - [`out`]: printing that never panics on a closed pipe and never stalls a server ([`say!`]).
//! - [`errors`]: one-line error messages with a hint, and the `main` wrapper.

pub mod cli;
pub mod errors;
pub mod out;
pub mod sockets;
pub mod stop;
pub mod text;

pub use text::Encoding;
