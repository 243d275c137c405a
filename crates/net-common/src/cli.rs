//! The flags every lesson shares, with the same names, meanings and defaults everywhere.
//!
//! Each lesson flattens one of these into its clap command and adds its own
//! `--port`, so `--help` shows the lesson's real default:
//!
//! ```
//! use clap::Parser;
//! use net_common::cli::ServerArgs;
//!
//! #[derive(Parser)]
//! struct Server {
//!     #[command(flatten)]
//!     net: ServerArgs,
//!     /// Port to bind; 0 lets the system pick a free one
//!     #[arg(long, short, default_value_t = 9999)]
//!     port: u16,
//! }
//! let server = Server::parse_from(["server", "--port", "0"]);
//! assert_eq!(server.net.addr(server.port).unwrap().to_string(), "127.0.0.1:0");
//! ```

use std::{io::Write, net::SocketAddr, time::Duration};

use clap::{Args, Parser, error::ErrorKind};

use crate::{sockets, text::Encoding};

/// clap's `Parser::parse`, but a mistake is one line, like every other error, with
/// clap's tip in it (clap's own spreads over several). `--help` and `--version` print in full.
pub fn parse<T: Parser>() -> T {
    T::try_parse().unwrap_or_else(|e| {
        use ErrorKind::{DisplayHelp, DisplayHelpOnMissingArgumentOrSubcommand, DisplayVersion};
        if matches!(
            e.kind(),
            DisplayHelp | DisplayHelpOnMissingArgumentOrSubcommand | DisplayVersion
        ) {
            e.exit();
        }
        let args: Vec<String> = std::env::args().skip(1).collect();
        let _ = writeln!(std::io::stderr(), "{}", one_line(&e, &T::command(), &args));
        std::process::exit(2);
    })
}

/// clap's message in one line: "error: unexpected argument '--prot' found (tip: a
/// similar argument exists: '--port')". When the program has subcommands and none
/// was given, the tip says that one comes first.
fn one_line(e: &clap::Error, command: &clap::Command, args: &[String]) -> String {
    let rendered = e.render().to_string();
    let mut lines = rendered.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut line = lines.next().unwrap_or("error: bad command line").to_owned();
    let tips: Vec<&str> = lines.filter(|l| l.starts_with("tip:")).collect();
    let subcommands = command.get_subcommands().map(|c| c.get_name());
    let names: Vec<&str> = subcommands.filter(|n| *n != "help").collect();
    if !names.is_empty() && !args.iter().any(|a| names.contains(&a.as_str())) {
        let (program, sides, rest) = (command.get_name(), names.join("|"), args.join(" "));
        line += &format!(" (say which side first: {program} {sides} {rest})");
    } else if !tips.is_empty() {
        line += &format!(" ({})", tips.join("; "));
    }
    line
}

/// `--host` and `--encoding` for a program that binds an address. Each lesson
/// adds its own `--port`, so that `--help` shows the lesson's default.
#[derive(Args, Clone, Debug)]
pub struct ServerArgs {
    /// Address to bind: 127.0.0.1 keeps the server on this machine; ::1 for IPv6;
    /// 0.0.0.0 makes it reachable from other machines
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// How text is decoded and encoded: utf8, gbk, or auto (send UTF-8; read UTF-8, else GBK)
    #[arg(long, short, default_value_t = Encoding::Auto)]
    pub encoding: Encoding,
}

impl ServerArgs {
    /// The address to bind: `--host` and the lesson's `--port`.
    pub fn addr(&self, port: u16) -> anyhow::Result<SocketAddr> {
        sockets::resolve(&self.host, port)
    }
}

/// `--host`, `--encoding` and `--timeout` for a program that talks to a server.
/// Each lesson adds its own `--port`.
#[derive(Args, Clone, Debug)]
pub struct ClientArgs {
    /// The server's address: an IP address such as 127.0.0.1 or ::1, or a host name
    #[arg(long, default_value = "127.0.0.1")]
    pub host: String,
    /// How text is decoded and encoded: utf8, gbk, or auto (send UTF-8; read UTF-8, else GBK)
    #[arg(long, short, default_value_t = Encoding::Auto)]
    pub encoding: Encoding,
    /// Seconds to wait for the server before giving up
    #[arg(long, short, default_value_t = 5.0, value_parser = parse_seconds)]
    pub timeout: f64,
}

impl ClientArgs {
    /// The server's address (the first one, for a name): `--host` and the lesson's `--port`.
    pub fn addr(&self, port: u16) -> anyhow::Result<SocketAddr> {
        sockets::resolve(&self.host, port)
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
    /// Each `--message`, or else each line of stdin as it is typed (Python's `input()`),
    /// without its line ending; on a terminal it first says how. Bytes that are not UTF-8
    /// show as U+FFFD instead of stopping the program.
    pub fn lines(&self) -> Input {
        let stdin = self.messages.is_empty();
        if stdin && std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            let _ = writeln!(std::io::stderr(), "type lines; Ctrl-D ends");
        }
        Input {
            given: self.messages.clone().into_iter(),
            stdin,
        }
    }
}

/// What [`Messages::lines`] gives: the `--message`s, or the lines of stdin.
#[derive(Debug)]
pub struct Input {
    given: std::vec::IntoIter<String>,
    stdin: bool,
}

impl Iterator for Input {
    type Item = String;
    fn next(&mut self) -> Option<String> {
        if !self.stdin {
            return self.given.next();
        }
        let mut line = Vec::new();
        match std::io::BufRead::read_until(&mut std::io::stdin().lock(), b'\n', &mut line) {
            Ok(0) | Err(_) => None,
            Ok(_) => {
                let text = String::from_utf8_lossy(&line);
                Some(text.trim_end_matches(['\r', '\n']).to_owned())
            }
        }
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
        net: ClientArgs,
        #[arg(long, short, default_value_t = 7788)]
        port: u16,
    }

    #[test]
    fn defaults_pair_up_on_loopback() {
        let demo = Demo::parse_from(["demo"]);
        assert_eq!(
            demo.net.addr(demo.port).unwrap(),
            "127.0.0.1:7788".parse().unwrap()
        );
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
        let line = |e: &clap::Error, args: &[&str]| {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            one_line(e, &Demo::command(), &args)
        };
        assert_eq!(
            line(&e, &[]),
            "error: invalid value '99999' for '--port <PORT>': 99999 is not in 0..=65535"
        );
        let e = Demo::try_parse_from(["demo", "--nope"]).err().unwrap();
        assert_eq!(line(&e, &[]), "error: unexpected argument '--nope' found");
        let e = Demo::try_parse_from(["demo", "--prot", "5"]).err().unwrap();
        assert_eq!(
            line(&e, &[]),
            "error: unexpected argument '--prot' found (tip: a similar argument exists: '--port')"
        );
    }

    #[test]
    fn a_missing_subcommand_is_named() {
        #[derive(Parser)]
        #[command(name = "chat")]
        enum Sides {
            Server,
            Client,
        }
        let e = Sides::try_parse_from(["chat", "--port", "5"])
            .err()
            .unwrap();
        let args = ["--port".to_owned(), "5".to_owned()];
        assert_eq!(
            one_line(&e, &Sides::command(), &args),
            "error: unexpected argument '--port' found (say which side first: chat server|client --port 5)"
        );
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
