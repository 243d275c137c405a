//! Lesson 4: a TCP server with one thread per connection (seed 004 "服务器", seed 002 "TCP").
//!
//! ```text
//! cargo run -p tcp-echo-threaded -- server           # listening on 127.0.0.1:13145
//! cargo run -p tcp-echo-threaded -- client           # type names; Ctrl-D sends "exit"
//! cargo run -p tcp-echo-threaded -- client -m zhangsan -m lisi
//! nc 127.0.0.1 13145                                 # type lines; "exit" ends the conversation
//! ```
//!
//! The accept loop hands each connection to a thread of its own, so one slow client
//! never keeps the others waiting. Each thread costs a stack: fine for hundreds of
//! clients, not for tens of thousands.
//!
//! Fragile on purpose: like the seed, the server takes whatever one recv returns as one
//! message. TCP keeps no message boundaries. Two quick sends can arrive in one recv, and
//! one long send in several, and then the answers are wrong. It works here only because the
//! client waits for each answer before it sends again (the seed's client sleeps a second).
//! Lesson 5 (tcp-chat) fixes it by ending every message with a newline.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, OnceLock};
use std::thread;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use net_common::cli::{self, LegacyClientArgs, LegacyServerArgs, Messages};
use net_common::live::LiveConnections;
use net_common::say;
use net_common::stop::Stop;
use net_common::{Encoding, errors, sockets};

// ANCHOR: args
/// A TCP server that answers "Hello, <message>!" with a thread per connection, and its client.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve each connection on its own thread: "Welcome!", then "Hello, <message>!" until "exit"
    Server(Server),
    /// Print the welcome, send each stdin line (or -m), print each answer, send "exit" at the end
    Client(Client),
}

#[derive(Args, Debug)]
struct Server {
    #[command(flatten)]
    net: LegacyServerArgs<13145>,

    /// Connections the system keeps waiting for accept, as in the seed's listen(5)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(i32).range(0..))]
    backlog: i32,

    /// Seconds one send may wait for a client that reads nothing; then its conversation ends
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS", value_parser = cli::parse_seconds)]
    send_timeout: f64,
}

#[derive(Args, Debug)]
struct Client {
    #[command(flatten)]
    net: LegacyClientArgs<13145>,

    #[command(flatten)]
    input: Messages,
}
// ANCHOR_END: args

fn main() -> ExitCode {
    errors::main(|| match cli::parse::<Cli>().command {
        Command::Server(args) => server(args),
        Command::Client(args) => client(args),
    })
}

// ANCHOR: server
fn server(args: Server) -> anyhow::Result<()> {
    // s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    // s.bind(('127.0.0.1', 13145))
    // s.listen(5)
    let s = sockets::tcp_listener(args.net.addr()?, args.backlog)?;
    let local = s.local_addr().map_err(|e| errors::io("getsockname", e))?;
    // Before the `listening on` line, so that Ctrl-C works as soon as anyone can connect.
    let stop = Stop::for_tcp_server(local)?;
    sockets::announce_listening(local);
    let live = LiveConnections::new();

    loop {
        // sock, addr = s.accept()
        //   (a failed accept costs that one connection, not the server)
        let (sock, addr) = sockets::accept(&s);
        if stop.requested() {
            break;
        }
        // The connection's thread and the live set share the one socket, so that
        // Ctrl-C can close it (an Arc, not try_clone: one file descriptor each).
        let sock = Arc::new(sock);
        let registered = live.add(sock.clone());
        say!("accept new connection from {addr} ({} live)", live.count());

        // t = threading.Thread(target=tcplink, args=(sock, addr)); t.start()
        // The name shows which client a thread serves, in a panic message, a
        // debugger or `top -H` (Linux keeps its first 15 bytes).
        let (live_here, stop_here) = (live.clone(), stop.clone());
        let (encoding, send_timeout) = (args.net.encoding, args.send_timeout);
        let spawned = thread::Builder::new()
            .name(format!("tcplink {addr}"))
            .spawn(move || {
                let mut why = tcplink(&sock, encoding, send_timeout);
                drop(registered);
                if stop_here.requested() {
                    why = "the server is stopping".to_owned();
                }
                say!(
                    "connection from {addr} closed: {why} ({} live)",
                    live_here.count()
                );
            });
        // Out of threads: this client is closed (the closure is dropped), the others go on.
        if let Err(e) = spawned {
            eprintln!("cannot start a thread for {addr}: {}", errors::plain(&e));
        }
    }

    say!("stopping (Ctrl-C)");
    // Each client sees the end of the stream, and each thread's blocked recv returns.
    live.close_all();
    Ok(())
}
// ANCHOR_END: server

// ANCHOR: tcplink
/// One conversation, the seed's `tcplink(sock, addr)`. Returns why it ended.
fn tcplink(sock: &TcpStream, encoding: Encoding, send_timeout: f64) -> String {
    match converse(sock, encoding, send_timeout) {
        Ok(why) => why.to_owned(),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            format!("the client read nothing for {send_timeout}s")
        }
        Err(e) => errors::plain(&e),
    }
    // sock.close(): the socket closes when its last Arc is dropped.
}

/// `&TcpStream` reads and writes as well as `TcpStream` does.
fn converse(
    mut sock: &TcpStream,
    encoding: Encoding,
    send_timeout: f64,
) -> io::Result<&'static str> {
    // A client that sends but never reads would, once its receive buffer and our
    // send buffer are full, block our send forever. It may cost its own thread
    // this long; then its conversation ends.
    sock.set_write_timeout(Some(Duration::from_secs_f64(send_timeout)))?;
    // sock.send(b'Welcome!')
    sock.write_all(&encoding.encode("Welcome!"))?;

    let mut decoder = encoding.stream_decoder();
    // At most 1024 bytes per recv, as in the seed: a client that floods us costs
    // this thread 1 KiB at a time, never more memory.
    let mut data = [0u8; 1024];
    loop {
        // data = sock.recv(1024)
        let n = sock.read(&mut data)?;
        // if not data: break. The client has closed its side. It may still be
        // reading (a half-close), and it has all its answers by now.
        if n == 0 {
            return Ok("the client closed its side");
        }
        // data.decode('utf8'). Whatever this one recv returned is taken as one
        // message (see the header: fragile). One trailing newline is removed, so a
        // line tool such as nc works too, and it comes back at the end of the answer.
        let text = decoder.feed(&data[..n]);
        let (msg, line_end) = split_line_end(&text);
        if msg == "exit" {
            return Ok("the client sent exit");
        }

        // sock.send(('Hello, %s!' % data.decode('utf8')).encode('utf8'))
        // Formatted first, then sent in ONE write. Sending "Hello, " and the name as
        // two small writes is a classic trap: Nagle's algorithm holds the second back
        // until the first is acknowledged, and the client delays that ACK (about 40 ms
        // on Linux) hoping to send it along with data of its own. Every answer would
        // then take 40 ms.
        let answer = format!("Hello, {msg}!{line_end}");
        sock.write_all(&encoding.encode(&answer))?;
    }
}

/// Splits off one trailing "\n" or "\r\n".
fn split_line_end(text: &str) -> (&str, &str) {
    for end in ["\r\n", "\n"] {
        if let Some(msg) = text.strip_suffix(end) {
            return (msg, end);
        }
    }
    (text, "")
}
// ANCHOR_END: tcplink

// ANCHOR: client
fn client(args: Client) -> anyhow::Result<()> {
    // s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    // s.connect(('127.0.0.1', 13145))
    let addr = args.net.addr()?;
    let mut s = sockets::tcp_connect(addr, args.net.timeout())?;

    // Our messages go out from a thread of their own, so this one can print whatever
    // the server sends and see at once when it closes, even while you are still typing.
    let (answered, answers) = mpsc::channel();
    let gave_up = Arc::new(OnceLock::new());
    let sender = Sender {
        s: s.try_clone().map_err(|e| errors::io("dup", e))?,
        addr,
        encoding: args.net.encoding,
        timeout: args.net.timeout(),
        answers,
        gave_up: gave_up.clone(),
    };
    let messages = args.input.lines();
    thread::Builder::new()
        .name("sender".to_owned())
        .spawn(move || sender.send_all(messages))
        .map_err(|e| errors::io("starting a thread", e))?;

    let mut decoder = args.net.encoding.stream_decoder();
    let mut data = [0u8; 1024];
    loop {
        // print(s.recv(1024).decode('utf8')): the welcome, then one answer per recv.
        let n = s.read(&mut data).map_err(|e| errors::io("recv", e))?;
        if n == 0 {
            break;
        }
        let text = decoder.feed(&data[..n]);
        say!("{}", split_line_end(&text).0);
        // Tell the sender it may send the next message. An error means it is done.
        let _ = answered.send(());
    }
    if let Some(why) = gave_up.get() {
        anyhow::bail!("{why}");
    }
    say!("server closed the connection");
    Ok(())
}
// ANCHOR_END: client

// ANCHOR: sender
/// The client's sending side.
struct Sender {
    s: TcpStream,
    addr: SocketAddr,
    encoding: Encoding,
    timeout: Duration,
    /// One () per recv on the reading side.
    answers: Receiver<()>,
    /// Why the sender gave up waiting, for the reading side to report.
    gave_up: Arc<OnceLock<String>>,
}

impl Sender {
    fn send_all(mut self, messages: impl Iterator<Item = String>) {
        // Wait for the welcome, and for each answer before the next message: the
        // server takes one recv as one message, so two messages sent back to back
        // could arrive as one. (The seed's client sleeps a second instead.)
        if !self.answered("the welcome") {
            return;
        }
        for data in messages {
            // Nothing to send is no message, and no answer would come (seed 002
            // skips empty input too).
            if data.is_empty() {
                continue;
            }
            // s.send(data). If it fails, the reading side sees why.
            if self.s.write_all(&self.encoding.encode(&data)).is_err()
                || !self.answered("an answer")
            {
                return;
            }
        }
        // s.send(b'exit'), then s.close(). Shutting down our side as well means
        // even a server that does not know "exit" sees the end of the stream.
        let _ = self.s.write_all(b"exit");
        let _ = self.s.shutdown(Shutdown::Write);
        // The reading side ends when the server closes; it has --timeout to do so.
        while self.answered("the server to close the connection") {}
    }

    /// Waits up to --timeout for the reading side to receive something. On
    /// timeout, shuts the socket down, which ends the reading side's recv.
    fn answered(&self, what: &str) -> bool {
        match self.answers.recv_timeout(self.timeout) {
            Ok(()) => true,
            Err(RecvTimeoutError::Disconnected) => false,
            Err(RecvTimeoutError::Timeout) => {
                let _ = self.gave_up.set(format!(
                    "waited {}s for {what} from {}",
                    self.timeout.as_secs_f64(),
                    self.addr
                ));
                let _ = self.s.shutdown(Shutdown::Both);
                false
            }
        }
    }
}
// ANCHOR_END: sender

#[cfg(test)]
mod tests {
    use super::split_line_end;

    #[test]
    fn one_line_end_is_split_off() {
        assert_eq!(split_line_end("bob\n"), ("bob", "\n"));
        assert_eq!(split_line_end("bob\r\n"), ("bob", "\r\n"));
        assert_eq!(split_line_end("bob\n\n"), ("bob\n", "\n"));
        assert_eq!(split_line_end("bob"), ("bob", ""));
    }
}
