//! Lesson 6: a UDP server that answers every datagram, and a client that does not
//! wait forever for an answer (seed 001 and 004, "UDP编程"; seed 003, "简易c/s通信").
//!
//! ```text
//! cargo run -p udp-echo -- server                  # listening on 127.0.0.1:9999
//! cargo run -p udp-echo -- client                  # type lines; Ctrl-D or "exit" ends
//! cargo run -p udp-echo -- server --drop-every 2   # lose every second datagram on purpose,
//! cargo run -p udp-echo -- client --timeout 0.5    # and watch the client try again
//! nc -u 127.0.0.1 9999                             # any UDP tool is a client too
//! ```

mod client;
mod server;

use std::process::ExitCode;

use clap::Parser;
use net_common::{cli, errors};

/// A UDP server that answers every datagram, and a client that times out and retries.
#[derive(Parser, Debug)]
#[command(version)]
enum Command {
    /// Answer every datagram with "Hello, <message>!" and log its sender
    Server(server::Args),
    /// Send each line of stdin (or each --message), wait for the answer, and send again if none comes
    Client(client::Args),
}

fn main() -> ExitCode {
    errors::main(|| match cli::parse::<Command>() {
        Command::Server(args) => server::run(&args),
        Command::Client(args) => client::run(&args),
    })
}
