// ANCHOR: top
//! Lesson 3: a TCP server greets each connection and closes it (seed 001, "创建一个本地连接").
//!
//! ```text
//! cargo run -p tcp-greeter -- server                   # listening on 127.0.0.1:9999
//! cargo run -p tcp-greeter -- client                   # in a second terminal
//! cargo run -p tcp-greeter -- server --encoding gbk    # greet in GBK: the client still reads it
//! nc 127.0.0.1 9999                                    # any TCP tool can be the client
//! ```
//!
//! Unlike UDP, TCP has connections. The listening socket only waits for them:
//! each `accept` returns a new socket for one client, and the server talks to
//! that client through it while the listening socket waits for the next.

use std::io::{ErrorKind, Read, Write};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use net_common::cli::{self, ClientArgs, ServerArgs};
use net_common::text::{self, LineBuffer};
use net_common::{errors, say, sockets, stop};

/// The seed's greeting, in Chinese and English. It ends in CRLF, as the seed's does.
const GREETING: &str = "欢迎访问小昱的 Rust 服务！Welcome to Xiaoyu's Rust service!\r\n";

/// A TCP server that greets each connection and closes it, and a client that prints the greeting.
#[derive(Parser, Debug)]
#[command(version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Greet each connection with one line, then close it
    Server(Server),
    /// Connect and print what the server sends, until it closes the connection
    Client(Client),
}

#[derive(Args, Debug)]
struct Server {
    #[command(flatten)]
    net: ServerArgs,

    /// Port to bind; 0 lets the system pick a free one (the listening on line shows it)
    #[arg(long, short, default_value_t = 9999)]
    port: u16,

    /// Connections the system keeps waiting for accept, as in the seed's listen(5)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(i32).range(0..))]
    backlog: i32,
}

#[derive(Args, Debug)]
struct Client {
    #[command(flatten)]
    net: ClientArgs,

    /// The server's port
    #[arg(long, short, default_value_t = 9999)]
    port: u16,
}
fn main() -> ExitCode {
    errors::main(|| match cli::parse::<Cli>().command {
        Command::Server(args) => server(args),
        Command::Client(args) => client(args),
    })
}

// ANCHOR_END: top

// ANCHOR: server
fn server(args: Server) -> anyhow::Result<()> {
    // 1. serversocket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    // 2. serversocket.bind((host, port)): the seed binds gethostname(), which may
    //    face the network; we bind 127.0.0.1 unless --host says otherwise.
    // 3. serversocket.listen(5): from now on the system completes connections by
    //    itself and queues up to --backlog of them until we accept them.
    let serversocket = sockets::tcp_listener(args.net.addr(args.port)?, args.backlog)?;
    let local = serversocket
        .local_addr()
        .map_err(|e| errors::io("getsockname", e))?;
    // Ctrl-C ends the program; the system closes the sockets. Installed before the
    // `listening on` line, so that it works as soon as anyone can connect.
    stop::on_ctrl_c(|| {})?;
    sockets::announce_listening(local);

    let msg = args.net.encoding.encode(GREETING);
    loop {
        // 4. clientsocket, addr = serversocket.accept(): waits for the next connection.
        //    A failed accept costs that one connection, not the server.
        let (mut clientsocket, addr) = sockets::accept(&serversocket);
        // 5. print("连接地址: %s" % str(addr)). say! never waits for stdout: a log
        //    nobody reads loses lines, not connections.
        say!("connection from {addr}");

        // 6. clientsocket.send(msg.encode('utf-8')). Python's send() may send only
        //    part of the bytes (sendall() sends them all); write_all is sendall.
        if let Err(e) = clientsocket.write_all(&msg) {
            say!("could not greet {addr}: {}", errors::plain(&e));
        }
        // 7. clientsocket.close(): the socket is ours (we own it), and dropping it
        //    closes it. The client sees the end of the stream.
        drop(clientsocket);
    }
}
// ANCHOR_END: server

// ANCHOR: client
fn client(args: Client) -> anyhow::Result<()> {
    // 1. s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    // 2. s.connect((host, port)), trying each address a name such as localhost
    //    stands for (::1, then 127.0.0.1), as socket.create_connection does.
    let timeout = args.net.timeout();
    let mut s = sockets::create_connection(&args.net.host, args.port, timeout)?;
    let addr = s.peer_addr().map_err(|e| errors::io("getpeername", e))?;
    say!("connected to {addr}");
    // A server that neither sends nor closes would keep us waiting forever.
    s.set_read_timeout(Some(timeout))
        .map_err(|e| errors::io("setsockopt(SO_RCVTIMEO)", e))?;

    // 3. msg = s.recv(1024): the seed takes one recv as the whole greeting. But TCP
    //    carries a stream of bytes, not messages: one recv returns what has arrived
    //    so far, which may be only the start. So we read until the server closes
    //    the connection (recv returns no bytes). The line buffer gives out whole
    //    lines only, so a character that two reads cut in half is never split.
    let mut lines = LineBuffer::new(args.net.encoding, 4096);
    let mut buf = [0u8; 1024];
    let end = loop {
        let n = match s.read(&mut buf) {
            Ok(0) => break Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                break Err(anyhow::anyhow!(
                    "{addr} sent nothing more for {}s and did not close the connection",
                    args.net.timeout
                ));
            }
            Err(e) => break Err(errors::io("recv", e)),
        };
        // 4. print(msg.decode('utf-8')). The server chose these bytes: printable()
        //    shows a control character (ESC, CR, ...) instead of obeying it.
        for line in lines.push(&buf[..n]) {
            say!("{}", text::printable(&line));
        }
    };
    // What came without a line end is printed too, before any error.
    if let Some(rest) = lines.finish() {
        say!("{}", text::printable(&rest));
    }
    end?;
    say!("server closed the connection");
    // 5. s.close(): s is dropped here, at the end of its scope, which closes it.
    Ok(())
}
// ANCHOR_END: client
