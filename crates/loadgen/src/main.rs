//! The benchmarks' load generator: drives a lesson server over loopback and prints
//! one `key=value` summary line per run, which scripts/bench.sh reads.
//!
//! ```text
//! cargo run -p tcp-echo-threaded --release -- server --port 13145 &
//! cargo run -p loadgen --release -- echo --clients 100 --duration 3
//! cargo run -p loadgen --release -- echo --unix /tmp/echo.sock --clients 100   # lesson 9 --unix
//! cargo run -p loadgen --release -- hold --connections 10000 --pid <server pid>
//! cargo run -p loadgen --release -- chat --port 3000 --clients 100 --stalled
//! cargo run -p loadgen --release -- udp --port 9999 --clients 10 --in-flight 32
//! ```
//!
//! Every run ends by itself: the load lasts `--duration`, every connect, send and
//! receive gives up after `--timeout`, and the counts of clients and connections
//! have upper limits. A peer that fails costs its own connection (counted in
//! `errors=`), not the run. The server is the thing measured, so the load generator
//! keeps its own work small: few threads, no printing while it runs.

mod chat;
mod echo;
mod hold;
mod procstatus;
mod report;
mod udp;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use net_common::{cli, errors, sockets};

/// Drives a lesson server with many clients and prints one `key=value` summary line.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Echo round trips (lesson 4's protocol) from N concurrent clients: rate and p50/p99
    Echo(echo::Opts),
    /// Hold thousands of echo connections open; report the server's memory and threads
    Hold(hold::Opts),
    /// Chat clients sending lines at a steady rate (lesson 5): delivered lines per second
    Chat(chat::Opts),
    /// UDP echo round trips (lesson 6): rate, p50/p99 and the share of datagrams lost
    Udp(udp::Opts),
}

/// Where the server is, and how long one step may take.
#[derive(Args, Clone, Debug)]
pub struct Target<const PORT: u16> {
    /// The server's address
    #[arg(long, default_value = "127.0.0.1")]
    host: String,

    /// The server's port
    #[arg(long, short, default_value_t = PORT)]
    port: u16,

    /// Seconds one connect, send or receive may take before it counts as an error
    #[arg(long, default_value_t = 5.0, value_parser = cli::parse_seconds)]
    timeout: f64,
}

impl<const PORT: u16> Target<PORT> {
    pub fn addr(&self) -> anyhow::Result<SocketAddr> {
        sockets::resolve(&self.host, self.port)
    }

    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout)
    }
}

/// Parses `--duration`: seconds, more than 0 and at most 600, so a run always ends.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 600.0 => Ok(Duration::from_secs_f64(s)),
        _ => Err(format!(
            "'{text}' is not a number of seconds between 0 and 600"
        )),
    }
}

/// Splits `0..n` into `parts` nearly equal, non-empty ranges of indexes.
pub fn shares(n: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    let parts = parts.clamp(1, n.max(1));
    (0..parts)
        .map(|i| (i * n / parts)..((i + 1) * n / parts))
        .filter(|r| !r.is_empty())
        .collect()
}

fn main() -> ExitCode {
    errors::main(|| {
        let summary = match Cli::parse().command {
            Command::Echo(opts) => echo::run(&opts)?,
            Command::Hold(opts) => hold::run(&opts)?,
            Command::Chat(opts) => chat::run(&opts)?,
            Command::Udp(opts) => udp::run(&opts)?,
        };
        println!("{}", summary.line());
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_cover_every_index_once() {
        assert_eq!(shares(10, 3), vec![0..3, 3..6, 6..10]);
        assert_eq!(shares(2, 8), vec![0..1, 1..2]);
        assert_eq!(shares(1, 1), vec![0..1]);
    }

    #[test]
    fn durations_are_bounded() {
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("601").is_err());
        assert!(parse_duration("soon").is_err());
    }
}
