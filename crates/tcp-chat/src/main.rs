//! Lesson 5: a chat room over TCP (seed 003, "多线程socket通信").
//!
//! ```text
//! cargo run -p tcp-chat -- server          # listening on 127.0.0.1:3000
//! cargo run -p tcp-chat -- client          # in two or more other terminals; type lines
//! nc 127.0.0.1 3000                        # nc joins the room too
//! ```
mod client;
mod lines;
mod room;
mod server;

use clap::{Parser, Subcommand};
use net_common::{cli, errors};

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

fn main() -> std::process::ExitCode {
    errors::main(|| match cli::parse::<Cli>().command {
        Command::Server(opts) => server::run(opts),
        Command::Client(opts) => client::run(opts),
    })
}
