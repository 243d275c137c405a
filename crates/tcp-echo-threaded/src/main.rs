// ANCHOR: top
//! Lesson 4: a TCP server with one thread per connection (seed 004 "服务器", seed 002 "TCP").
//! `server` answers "Hello, <message>!" until "exit"; `client` talks to it, and so can
//! `nc 127.0.0.1 13145`. `--unix PATH` uses a Unix domain socket instead of TCP.

use std::io::{self, ErrorKind::WouldBlock, Read, Write};
use std::os::unix::{fs::FileTypeExt, net::UnixListener, net::UnixStream};
use std::{fs, path::PathBuf, process::ExitCode, thread, time::Duration};

use clap::{Args, Parser};
use net_common::cli::{self, ClientArgs, Messages, ServerArgs};
use net_common::{Encoding, errors, out, say, sockets, stop, text};

/// A TCP server that answers "Hello, <message>!" with a thread per connection, and its client.
#[derive(Parser, Debug)]
#[command(version)]
enum Command {
    /// Serve each connection on its own thread: "Welcome!", then "Hello, <message>!" until "exit"
    Server(Server),
    /// Print the welcome, send each stdin line (or -m), print each answer, send "exit" at the end
    Client(Client),
}

#[derive(Args, Debug)]
struct Server {
    #[command(flatten)]
    net: ServerArgs,
    /// Port to bind; 0 lets the system pick a free one (the listening on line shows it)
    #[arg(long, short, default_value_t = 13145)]
    port: u16,
    /// Connections the system keeps waiting for accept, as in the seed's listen(5)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(i32).range(0..))]
    backlog: i32,
    /// Seconds one send may wait for a client that reads nothing; then its conversation ends
    #[arg(long, default_value_t = 10.0, value_name = "SECONDS", value_parser = cli::parse_seconds)]
    send_timeout: f64,
    /// Listen on a Unix domain socket at PATH instead of TCP (same machine only)
    #[arg(long, value_name = "PATH")]
    unix: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct Client {
    #[command(flatten)]
    net: ClientArgs,
    /// The server's port
    #[arg(long, short, default_value_t = 13145)]
    port: u16,
    /// Connect to the Unix domain socket at PATH instead of --host and --port
    #[arg(long, value_name = "PATH")]
    unix: Option<PathBuf>,
    #[command(flatten)]
    input: Messages,
}
fn main() -> ExitCode {
    errors::main(|| match cli::parse::<Command>() {
        Command::Server(args) => server(args),
        Command::Client(args) => client(args),
    })
}

// ANCHOR_END: top

// ANCHOR: server
fn server(args: Server) -> anyhow::Result<()> {
    // A client that never reads would block our send forever: it waits --send-timeout.
    let timeout = Some(Duration::from_secs_f64(args.send_timeout));
    let Some(path) = &args.unix else {
        // s = socket.socket(AF_INET, SOCK_STREAM); s.bind(('127.0.0.1', 13145)); s.listen(5)
        let s = sockets::tcp_listener(args.net.addr(args.port)?, args.backlog)?;
        let local = s.local_addr().map_err(|e| errors::io("getsockname", e))?;
        // Ctrl-C ends the program; the system closes every socket (a FIN for each client).
        stop::on_ctrl_c(|| {})?;
        sockets::announce_listening(local);
        loop {
            // sock, addr = s.accept()   (a failed accept costs that one connection)
            let (sock, addr) = sockets::accept(&s);
            let sock = sock.set_write_timeout(timeout).map(|()| sock);
            start(sock, addr.to_string(), &args);
        }
    };
    // socket.socket(AF_UNIX, SOCK_STREAM): a file instead of an address. A killed server
    // leaves its file, and bind would fail: remove a socket file nobody listens on.
    let socket = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_socket());
    if socket && UnixStream::connect(path).is_err() {
        let _ = fs::remove_file(path);
    }
    let s = UnixListener::bind(path).map_err(|e| errors::io(format!("bind({path:?})"), e))?;
    // The socket dies with us, its file does not: Ctrl-C removes it.
    let file = path.clone();
    stop::on_ctrl_c(move || drop(fs::remove_file(&file)))?;
    out::log_mode();
    say!("listening on {}", path.display());
    for (n, sock) in s.incoming().enumerate() {
        // A failed accept costs a pause. A Unix client has no address: we number them.
        let Ok(sock) = sock else {
            thread::sleep(Duration::from_millis(100));
            continue;
        };
        let sock = sock.set_write_timeout(timeout).map(|()| sock);
        start(sock, format!("local #{}", n + 1), &args);
    }
    Ok(())
}

/// t = threading.Thread(target=tcplink, args=(sock, addr)); t.start(). Any socket
/// that reads and writes will do: a TcpStream or a UnixStream.
fn start(sock: io::Result<impl Read + Write + Send + 'static>, addr: String, args: &Server) {
    say!("accept new connection from {addr}");
    let (encoding, secs) = (args.net.encoding, args.send_timeout);
    // Named for its client (see `top -H`); `move`: it takes the socket and address along.
    let builder = thread::Builder::new().name(format!("tcplink {addr}"));
    let spawned = builder.spawn(move || {
        let why = match sock.and_then(|sock| tcplink(sock, encoding)) {
            Ok(why) => why.to_owned(),
            Err(e) if e.kind() == WouldBlock => {
                format!("the client read nothing for {secs}s")
            }
            Err(e) => errors::plain(&e),
        };
        say!("connection from {addr} closed: {why}");
    });
    // Out of threads: this client is closed (the closure is dropped), the others go on.
    if let Err(e) = spawned {
        say!("cannot start a thread: {}", errors::plain(&e));
    }
}
// ANCHOR_END: server

// ANCHOR: tcplink
/// One conversation, the seed's `tcplink(sock, addr)`. Returns why it ended. The
/// socket is dropped, and so closed (sock.close()), when it returns.
fn tcplink(mut sock: impl Read + Write, encoding: Encoding) -> io::Result<&'static str> {
    // sock.send(b'Welcome!')
    sock.write_all(&encoding.encode("Welcome!"))?;
    // At most 1024 bytes per recv, as in the seed: a flood costs 1 KiB at a time.
    let (mut data, mut held) = ([0u8; 1024], Vec::new());
    loop {
        // data = sock.recv(1024). if not data: break: the client has closed its
        // side. It may still be reading (a half-close); it has all its answers.
        let n = sock.read(&mut data)?;
        if n == 0 {
            return Ok("the client closed its side");
        }
        // data.decode('utf8'): a character cut by the end of this recv waits for the rest.
        held.extend_from_slice(&data[..n]);
        let whole: Vec<u8> = held.drain(..text::complete_len(&held, encoding)).collect();
        // Each line in this recv is a message (nc sends lines); the rest, or the whole
        // recv from a client that sends no newline, is one more (fragile, see above).
        let mut answer = String::new();
        for line in encoding.decode(&whole).split_inclusive('\n') {
            let msg = line.trim_end_matches(['\r', '\n']);
            if msg == "exit" {
                sock.write_all(&encoding.encode(&answer))?;
                return Ok("the client sent exit");
            }
            // 'Hello, %s!' % data, ending as the message did: with nothing, \n or \r\n
            answer += &format!("Hello, {msg}!{}", &line[msg.len()..]);
        }
        // In ONE write: two small writes meet Nagle's algorithm, which holds the
        // second back until the first is acknowledged (about 40 ms on Linux).
        sock.write_all(&encoding.encode(&answer))?;
    }
}
// ANCHOR_END: tcplink

// ANCHOR: client
fn client(args: Client) -> anyhow::Result<()> {
    let (timeout, rcvtimeo) = (Some(args.net.timeout()), |e| errors::io("SO_RCVTIMEO", e));
    if let Some(path) = &args.unix {
        let s =
            UnixStream::connect(path).map_err(|e| errors::io(format!("connect({path:?})"), e))?;
        s.set_read_timeout(timeout).map_err(rcvtimeo)?;
        return converse(s, &path.display().to_string(), &args);
    }
    // s = socket.socket(AF_INET, SOCK_STREAM); s.connect(('127.0.0.1', 13145)),
    // trying each address of a name such as localhost (::1, 127.0.0.1) in turn.
    let s = sockets::create_connection(&args.net.host, args.port, args.net.timeout())?;
    s.set_read_timeout(timeout).map_err(rcvtimeo)?;
    let server = s.peer_addr().map_err(|e| errors::io("getpeername", e))?;
    converse(s, &server.to_string(), &args)
}

/// The seed's client: the welcome, then one message and its answer at a time.
fn converse(mut s: impl Read + Write, server: &str, args: &Client) -> anyhow::Result<()> {
    say!("connected to {server}"); // Every recv waits at most --timeout.
    if recv(&mut s, "the welcome", server, args)? {
        // An empty message would get no answer (seed 002 skips it too).
        for data in args.input.lines().filter(|data| !data.is_empty()) {
            // s.send(data); its answer comes before the next, so two never share a recv.
            let bytes = args.net.encoding.encode(&data);
            s.write_all(&bytes).map_err(|e| errors::io("send", e))?;
            if !recv(&mut s, "an answer", server, args)? {
                break;
            }
        }
        // s.send(b'exit'): the server closes, and recv returns no bytes.
        let _ = s.write_all(b"exit");
        while recv(&mut s, "the server to close the connection", server, args)? {}
    }
    say!("server closed the connection");
    Ok(())
}

/// print(s.recv(1024).decode('utf8')). Returns false when the server has closed.
fn recv(s: &mut impl Read, what: &str, server: &str, args: &Client) -> anyhow::Result<bool> {
    let mut data = [0u8; 1024];
    let n = s.read(&mut data).map_err(|e| match e.kind() {
        WouldBlock => {
            anyhow::anyhow!("waited {}s for {what} from {server}", args.net.timeout)
        }
        _ => errors::io("recv", e),
    })?;
    // The server chose these bytes: printable() shows its control characters.
    if n > 0 {
        say!("{}", text::printable(&args.net.encoding.decode(&data[..n])));
    }
    Ok(n > 0)
}
// ANCHOR_END: client
