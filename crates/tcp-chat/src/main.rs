//! Lesson 5: a chat room over TCP (seed 003, "多线程socket通信").
//!
//! ```text
//! cargo run -p tcp-chat -- server          # listening on 127.0.0.1:3000
//! cargo run -p tcp-chat -- client          # in two or more other terminals; type lines
//! nc 127.0.0.1 3000                        # nc joins the room too
//! ```
//!
//! The seed's server keeps a list of sockets and, in the thread that read a
//! message, sends it to every socket in turn. Its programs do not run as printed
//! (the server defines `read_from_clien` but calls `read_from_client`; the client
//! writes `args(s, )` for `args=(s, )`), and its design lets one client that stops
//! reading block the whole room. This port keeps the idea and fixes the design:
//!
//! - messages are lines (`\n`), because TCP keeps no message boundaries; a client
//!   that sends without newlines, as the seed's does, is understood when it pauses
//!   (see `lines.rs`);
//! - every client has its own bounded queue and writer thread (see `room.rs`), so a
//!   client that stops reading is dropped instead of stalling everyone;
//! - `--max-line` and `--max-clients` keep memory bounded whatever clients send.

mod client;
mod lines;
mod room;
mod server;

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use net_common::errors;

/// A TCP chat room: the server relays every line to every client; the client prints the room and sends what you type.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Server(server::ServerOpts),
    Client(client::ClientOpts),
}

fn main() -> ExitCode {
    errors::main(|| match Cli::parse().command {
        Command::Server(opts) => server::run(opts),
        Command::Client(opts) => client::run(opts),
    })
}
