// ANCHOR: args
//! Lesson 9: lesson 4's server on ONE thread with an event loop (seed 003 "selectors模块").
//! Lesson 4 gives each connection a thread that blocks in recv. Here one thread asks the
//! selector (epoll, kqueue) which sockets are ready, and never waits in accept, recv or send.

use std::collections::HashMap;
use std::fs;
use std::io::{self, ErrorKind, Read, Write};
use std::os::unix::{fs::FileTypeExt, net::UnixStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser};
use mio::event::Source;
use mio::net::{TcpListener, UnixListener};
use mio::{Events, Interest, Poll, Registry, Token};
use net_common::cli::{self, ServerArgs};
use net_common::{Encoding, errors, out, say, sockets, stop, text};
use signal_hook_mio::v1_0::Signals;

/// Lesson 4's "Hello, <message>!" server on one thread with an event loop. Its client
/// is lesson 4's: cargo run -p tcp-echo-threaded -- client (or nc 127.0.0.1 13145).
#[derive(Parser, Debug)]
#[command(version)]
enum Cli {
    /// Serve every connection from one thread: "Welcome!", then "Hello, <message>!" until "exit"
    Server(Server),
}

#[derive(Args, Debug)]
struct Server {
    #[command(flatten)]
    net: ServerArgs,

    /// Port to bind; 0 lets the system pick a free one (the listening on line shows it)
    #[arg(long, short, default_value_t = 13145)]
    port: u16,

    /// Connections the system keeps waiting for accept, as in the seed's listen(5) (TCP)
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(i32).range(0..))]
    backlog: i32,

    /// Listen on a Unix domain socket (AF_UNIX, this machine only) at PATH instead of TCP
    #[arg(long, value_name = "PATH")]
    unix: Option<PathBuf>,
}

/// The listening socket's token (selectors' `key.data`); connections get 1, 2, 3, ...
const LISTENER: Token = Token(0);
const CTRL_C: Token = Token(usize::MAX);

/// Bytes of answers one connection may have waiting. Above this, the server reads no more
/// from it (backpressure): a client that never reads costs this much memory, no more.
const MAX_WAITING: usize = 64 * 1024;
// ANCHOR_END: args

// ANCHOR: server
fn main() -> ExitCode {
    let Cli::Server(args) = cli::parse::<Cli>(); // the one subcommand
    errors::main(|| server(args))
}

fn server(args: Server) -> anyhow::Result<()> {
    // sel = selectors.DefaultSelector(): epoll on Linux, kqueue on macOS and BSD.
    let mut poll = Poll::new().map_err(|e| errors::io("epoll_create", e))?;
    // Ctrl-C is one more source for the selector (Python: signal.set_wakeup_fd): no thread.
    let mut ctrl_c = Signals::new([libc::SIGINT]).map_err(|e| errors::io("sigaction", e))?;
    poll.registry()
        .register(&mut ctrl_c, CTRL_C, Interest::READABLE)
        .map_err(|e| errors::io("register", e))?;
    let mut state = EventLoop {
        listener: listen(&args, poll.registry())?,
        conns: HashMap::new(),
        next: 1,
        encoding: args.net.encoding,
    };
    let mut events = Events::with_capacity(1024);
    loop {
        // events = sel.select(): sleeps until a socket is ready. No timeout: no busy loop.
        match poll.poll(&mut events, None) {
            Err(e) if e.kind() != ErrorKind::Interrupted => Err(errors::io("epoll_wait", e))?,
            _ => {}
        }
        for event in &events {
            // for key, mask in events: key.data says whose socket is ready.
            match event.token() {
                LISTENER => state.accept_all(poll.registry()),
                CTRL_C => stop::stopping(|| drop(args.unix.as_ref().map(fs::remove_file))),
                token => state.serve(token, poll.registry()),
            }
        }
    }
}
// ANCHOR_END: server

// ANCHOR: eventloop
/// Everything the one thread keeps: the listener and every open conversation.
struct EventLoop {
    listener: Listener,
    conns: HashMap<Token, Conn>, // the open conversations, by token (selectors' key.data)
    next: usize,
    encoding: Encoding,
}

/// One conversation: its socket, and the answers it had no room for yet.
struct Conn {
    sock: Box<dyn Stream>,
    peer: String,
    out: Vec<u8>,       // the outgoing buffer: answers not sent yet, in order
    interest: Interest, // what it is registered for: EVENT_READ, EVENT_WRITE or both
    held: Vec<u8>,      // the start of a character the last recv cut in two
    encoding: Encoding,
    ended: Option<&'static str>, // why it ends: "exit", or the client closed its side
}

impl EventLoop {
    /// Accepts until WouldBlock: one (edge-triggered) event can stand for many connections.
    fn accept_all(&mut self, registry: &Registry) {
        loop {
            let token = Token(self.next);
            // conn, addr = sock.accept(); conn.setblocking(False) (mio's sockets are).
            let (mut sock, peer) = match (self.listener)(token) {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                // Out of file descriptors, say: the rest wait for the next connection's event.
                Err(e) => return say!("accept failed: {}", errors::plain(&e)),
            };
            // sel.register(conn, selectors.EVENT_READ | selectors.EVENT_WRITE, data=...)
            let both = Interest::READABLE | Interest::WRITABLE;
            if registry.register(&mut sock, token, both).is_err() {
                continue; // out of memory: this connection closes, the others go on
            }
            self.next += 1;
            let live = self.conns.len() + 1;
            say!("accept new connection from {peer} ({live} live)");
            // conn.send(b'Welcome!'), through the outgoing buffer like every answer: it
            // waits, so EVENT_WRITE too, and a new socket's first event says it has room.
            let conn = Conn {
                sock,
                peer,
                out: self.encoding.encode("Welcome!").into_owned(),
                interest: Interest::READABLE | Interest::WRITABLE,
                held: Vec::new(),
                encoding: self.encoding,
                ended: None,
            };
            self.conns.insert(token, conn);
        }
    }

    /// `token`'s socket is ready: do what can be done now; close it once its conversation ends.
    fn serve(&mut self, token: Token, registry: &Registry) {
        // A connection closed earlier in this round may still have an event in the list.
        let Some(conn) = self.conns.get_mut(&token) else {
            return;
        };
        let why = match conn.pump(token, registry) {
            Ok(None) => return,
            Ok(Some(why)) => why.to_owned(),
            Err(e) => errors::plain(&e),
        };
        // sel.unregister(conn); conn.close(): dropping the socket closes it.
        if let Some(mut conn) = self.conns.remove(&token) {
            let _ = registry.deregister(&mut conn.sock);
            let live = self.conns.len();
            say!("connection from {} closed: {why} ({live} live)", conn.peer);
        }
    }
}
// ANCHOR_END: eventloop

// ANCHOR: conn
impl Conn {
    /// Sends what waits, then receives until WouldBlock. mio is edge-triggered: an event
    /// says "something changed" once; bytes left unread now would raise no second one.
    fn pump(&mut self, token: Token, registry: &Registry) -> io::Result<Option<&'static str>> {
        let mut data = [0u8; 1024];
        loop {
            self.flush()?;
            if !self.reading() {
                break;
            }
            // data = conn.recv(1024)
            match self.sock.read(&mut data) {
                // if not data: the client has closed its side. Its answers still go out.
                Ok(0) => self.ended = Some("the client closed its side"),
                Ok(n) => self.answer(&data[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break, // drained
                Err(e) => return Err(e),
            }
        }
        if let (Some(why), true) = (self.ended, self.out.is_empty()) {
            return Ok(Some(why));
        }
        // sel.modify(conn, events): EVENT_WRITE while answers wait, EVENT_READ while reading.
        let want = match (self.reading(), self.out.is_empty()) {
            (true, true) => Interest::READABLE,
            (true, false) => Interest::READABLE | Interest::WRITABLE,
            (false, _) => Interest::WRITABLE,
        };
        if want != self.interest {
            registry.reregister(&mut self.sock, token, want)?;
            self.interest = want;
        }
        Ok(None)
    }

    /// Whether to take more from this client: not after "exit", nor while answers pile up.
    fn reading(&self) -> bool {
        self.ended.is_none() && self.out.len() <= MAX_WAITING
    }

    /// conn.send(out): as much as the kernel takes now; the rest waits for EVENT_WRITE.
    fn flush(&mut self) -> io::Result<()> {
        while !self.out.is_empty() {
            match self.sock.write(&self.out) {
                Ok(n) => drop(self.out.drain(..n)),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// One recv: each line is a message, answered with the line's own ending; bytes
    /// without a newline are one message (seed 004). Fragile, as in lesson 4.
    fn answer(&mut self, data: &[u8]) {
        // data.decode('utf8'): a character cut by the end of this recv waits for its rest.
        self.held.extend_from_slice(data);
        let complete = text::complete_len(&self.held, self.encoding);
        let whole: Vec<u8> = self.held.drain(..complete).collect();
        let text = self.encoding.decode(&whole);
        for piece in text.split_inclusive('\n') {
            // The line ending ("\n" or "\r\n") is split off, to go back after the "!".
            let msg = piece.trim_end_matches('\n').trim_end_matches('\r');
            let line_end = &piece[msg.len()..];
            // if data.decode('utf8') == 'exit': break
            if msg == "exit" {
                self.ended = Some("the client sent exit");
                return;
            }
            // conn.send(('Hello, %s!' % data).encode('utf8')), queued for the next flush.
            let answer = format!("Hello, {msg}!{line_end}");
            self.out.extend_from_slice(&self.encoding.encode(&answer));
        }
    }
}
// ANCHOR_END: conn

// ANCHOR: listener
/// What a conversation needs from a TCP or Unix socket: Read, Write, a place in the selector.
trait Stream: Read + Write + Source {}
impl<T: Read + Write + Source> Stream for T {}

/// The listening socket's `accept()`: a new connection, and a name for the log.
type Listener = Box<dyn Fn(Token) -> io::Result<(Box<dyn Stream>, String)>>;

/// s = socket.socket(...); s.bind(...); s.listen(5); s.setblocking(False);
/// sel.register(s, selectors.EVENT_READ). Then the `listening on` line.
fn listen(args: &Server, registry: &Registry) -> anyhow::Result<Listener> {
    let register = |s: &mut dyn Source| registry.register(s, LISTENER, Interest::READABLE);
    let Some(path) = &args.unix else {
        let s = sockets::tcp_listener(args.net.addr(args.port)?, args.backlog)?;
        // The selector does the waiting: a blocking accept would stall the whole loop.
        s.set_nonblocking(true)
            .map_err(|e| errors::io("fcntl", e))?;
        let local = s.local_addr().map_err(|e| errors::io("getsockname", e))?;
        let mut s = TcpListener::from_std(s);
        register(&mut s).map_err(|e| errors::io("register", e))?;
        sockets::announce_listening(local);
        return Ok(Box::new(move |_| {
            let (conn, addr) = s.accept()?;
            Ok((Box::new(conn), addr.to_string()))
        }));
    };
    remove_stale(path)?;
    // s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(path); s.listen()
    let bind_error = |e| anyhow::anyhow!("cannot bind {}: {}", path.display(), errors::plain(&e));
    let mut s = UnixListener::bind(path).map_err(bind_error)?;
    register(&mut s).map_err(|e| errors::io("register", e))?;
    out::log_mode();
    say!("listening on {}", path.display());
    Ok(Box::new(move |token| {
        let (conn, _) = s.accept()?;
        Ok((Box::new(conn), format!("local #{}", token.0)))
    }))
}

/// A socket file no server answers on is left by one that is gone: remove it, or bind
/// fails. A live server's file, or a file that is not a socket, stays.
fn remove_stale(path: &Path) -> anyhow::Result<()> {
    let why = match fs::symlink_metadata(path) {
        Err(_) => return Ok(()), // nothing there
        Ok(found) if !found.file_type().is_socket() => "exists and is not a socket",
        Ok(_) if UnixStream::connect(path).is_ok() => "is in use by a running server",
        Ok(_) => return fs::remove_file(path).map_err(|e| errors::io("unlink", e)),
    };
    anyhow::bail!("{} {why} (choose another --unix path)", path.display())
}
// ANCHOR_END: listener
