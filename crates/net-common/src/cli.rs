//! The flags every lesson shares, with the same names, meanings and defaults everywhere.
//!
//! Each lesson flattens one of these into its clap command and passes its own
//! default port as the const parameter, so `--help` shows the real default:
//!
//! ```
//! use clap::Parser;
//! use net_common::cli::ServerArgs;
//!
//! #[derive(Parser)]
//! struct Server {
//!     #[command(flatten)]
//!     net: ServerArgs<9999>,
//! }
//! let server = Server::parse_from(["server", "--port", "0"]);
//! assert_eq!(server.net.port, 0);
//! ```

use std::net::SocketAddr;
use std::time::Duration;

use clap::error::ErrorKind;
use clap::{Args, Parser};

use crate::sockets;
use crate::text::Encoding;

/// Parses the command line like clap's `Parser::parse`, but a mistake is reported
/// in one line, as every other error is: clap's own message also has a blank line
/// and "For more information, try '--help'." `--help` and `--version` print in full.
pub fn parse<T: Parser>() -> T {
    T::try_parse().unwrap_or_else(|e| exit_with(&e))
}

fn exit_with(e: &clap::Error) -> ! {
    use ErrorKind::{DisplayHelp, DisplayHelpOnMissingArgumentOrSubcommand, DisplayVersion};
    if matches!(
        e.kind(),
        DisplayHelp | DisplayHelpOnMissingArgumentOrSubcommand | DisplayVersion
    ) {
        e.exit();
    }
    eprintln!("{}", one_line(e));
    std::process::exit(2);
}

/// The first line of clap's message: "error: invalid value 'x' for '--port <PORT>': ...".
fn one_line(e: &clap::Error) -> String {
    let rendered = e.render().to_string();
    rendered
        .lines()
        .next()
        .unwrap_or("error: bad command line")
        .to_owned()
}

/// `--host`, `--port` and `--encoding` for a program that binds an address.
#[derive(Args, Clone, Debug)]
pub struct ServerArgs<const PORT: u16> {
    /// Address to bind: 127.0.0.1 keeps the server on this machine; ::1 for IPv6;
    /// 0.0.0.0 makes it reachable from other machines
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// Port to bind; 0 lets the system pick a free one (the `listening on` line shows it)
    #[arg(long, short, default_value_t = PORT)]
    pub port: u16,

    /// How text is decoded and encoded: utf8, gbk, or auto (send UTF-8; read UTF-8, else GBK)
    #[arg(long, short, default_value_t = Encoding::Auto)]
    pub encoding: Encoding,
}

impl<const PORT: u16> ServerArgs<PORT> {
    /// The address to bind, from `--host` and `--port`.
    pub fn addr(&self) -> anyhow::Result<SocketAddr> {
        sockets::resolve(&self.host, self.port)
    }
}

/// `--host`, `--port`, `--encoding` and `--timeout` for a program that talks to a server.
#[derive(Args, Clone, Debug)]
pub struct ClientArgs<const PORT: u16> {
    /// The server's address: an IP address such as 127.0.0.1 or ::1, or a host name
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,

    /// The server's port
    #[arg(long, short, default_value_t = PORT)]
    pub port: u16,

    /// How text is decoded and encoded: utf8, gbk, or auto (send UTF-8; read UTF-8, else GBK)
    #[arg(long, short, default_value_t = Encoding::Auto)]
    pub encoding: Encoding,

    /// Seconds to wait for the server before giving up
    #[arg(long, short, default_value_t = 5.0, value_parser = parse_seconds)]
    pub timeout: f64,
}

impl<const PORT: u16> ClientArgs<PORT> {
    /// The server's address, from `--host` and `--port`.
    pub fn addr(&self) -> anyhow::Result<SocketAddr> {
        sockets::resolve(&self.host, self.port)
    }

    /// `--timeout` as a Duration.
    pub fn timeout(&self) -> Duration {
        Duration::from_secs_f64(self.timeout)
    }
}

/// `-m/--message TEXT`, repeatable: what a client sends instead of reading stdin.
#[derive(Args, Clone, Debug, Default)]
pub struct Messages {
    /// Send TEXT instead of reading lines from stdin (repeat for several messages)
    #[arg(short, long = "message", value_name = "TEXT")]
    pub messages: Vec<String>,
}

impl Messages {
    /// The messages to send: each `--message`, or else each line of stdin as it
    /// is typed (Python's `input()`), without its line ending. Bytes on stdin that
    /// are not UTF-8 show as U+FFFD instead of stopping the program.
    pub fn lines(&self) -> Box<dyn Iterator<Item = String> + Send> {
        if !self.messages.is_empty() {
            return Box::new(self.messages.clone().into_iter());
        }
        let stdin = std::io::stdin();
        Box::new(std::iter::from_fn(move || {
            let mut line = Vec::new();
            match std::io::BufRead::read_until(&mut stdin.lock(), b'\n', &mut line) {
                Ok(0) | Err(_) => None,
                Ok(_) => {
                    while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                        line.pop();
                    }
                    Some(String::from_utf8_lossy(&line).into_owned())
                }
            }
        }))
    }
}

/// Parses a `--timeout` in seconds: a positive number, at most a day.
pub fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(s) if s > 0.0 && s <= 86_400.0 => Ok(s),
        _ => Err(format!(
            "'{text}' is not a number of seconds between 0 and 86400"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Demo {
        #[command(flatten)]
        net: ClientArgs<7788>,
    }

    #[test]
    fn defaults_pair_up_on_loopback() {
        let demo = Demo::parse_from(["demo"]);
        assert_eq!(demo.net.addr().unwrap(), "127.0.0.1:7788".parse().unwrap());
        assert_eq!(demo.net.encoding, Encoding::Auto);
        assert_eq!(demo.net.timeout(), Duration::from_secs(5));
    }

    #[test]
    fn help_shows_every_default() {
        let help = Demo::command().render_help().to_string();
        for default in [
            "[default: 127.0.0.1]",
            "[default: 7788]",
            "[default: auto]",
            "[default: 5]",
        ] {
            assert!(help.contains(default), "{default} missing from:\n{help}");
        }
    }

    #[test]
    fn a_usage_error_is_one_line() {
        let e = Demo::try_parse_from(["demo", "--port", "99999"])
            .err()
            .unwrap();
        assert_eq!(
            one_line(&e),
            "error: invalid value '99999' for '--port <PORT>': 99999 is not in 0..=65535"
        );
        let e = Demo::try_parse_from(["demo", "--nope"]).err().unwrap();
        assert_eq!(one_line(&e), "error: unexpected argument '--nope' found");
    }

    #[test]
    fn a_bad_encoding_or_timeout_is_refused() {
        let e = Demo::try_parse_from(["demo", "--encoding", "latin1"])
            .err()
            .unwrap();
        assert!(
            e.to_string()
                .contains("unknown encoding 'latin1' (use utf8, gbk or auto)"),
            "{e}"
        );
        assert!(Demo::try_parse_from(["demo", "--timeout", "-1"]).is_err());
    }
}
