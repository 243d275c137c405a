//! Lesson 6: a UDP server that answers every datagram, and a client that does not
//! wait forever for an answer (seed 001 and 004, "UDP编程"; seed 003, "简易c/s通信").
//!
//! ```text
//! cargo run -p udp-echo -- server                  # listening on 127.0.0.1:9999
//! cargo run -p udp-echo -- client                  # type lines; Ctrl-D or "exit" ends
//! cargo run -p udp-echo -- client -m Michael -m Tracy -m Sarah
//! cargo run -p udp-echo -- server --drop-rate 0.5  # lose half the datagrams on purpose,
//! cargo run -p udp-echo -- client --timeout 0.5    # and watch the client try again
//! nc -u 127.0.0.1 9999                             # any UDP tool is a client too
//! ```
//!
//! UDP promises nothing: a datagram or its answer may be lost, and nothing says so.
//! The seeds' clients call `s.recv(1024)` and hang forever when that happens. This
//! client waits `--timeout` seconds, sends again up to `--retries` times, and then
//! reports the answer as lost. Seed 004 answers "Echo: %s!" on port 13145; this
//! client understands that server too (`--port 13145`).

mod chance;
mod client;
mod server;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use net_common::errors;

/// A UDP server that answers every datagram, and a client that times out and retries.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Answer every datagram with "Hello, <message>!" and log its sender
    Server(server::Args),
    /// Send each line of stdin (or each --message), wait for the answer, and send again if none comes
    Client(client::Args),
}

fn main() -> ExitCode {
    errors::main(|| match Cli::parse().command {
        Command::Server(args) => server::run(&args),
        Command::Client(args) => client::run(&args),
    })
}
