//! The chat server (the seed's server, with a queue and a writer thread per client).
//!
//! Each client has two threads: `server_target` reads its lines and puts each
//! one in every member's queue ([`Room::broadcast`]); `write_to_client` takes
//! lines from this client's queue and sends them. So a client that stops reading
//! only fills its own queue, and is dropped when it is full.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;
use net_common::cli::LegacyServerArgs;
use net_common::live::LiveConnections;
use net_common::say;
use net_common::stop::Stop;
use net_common::{Encoding, errors, sockets};
use socket2::SockRef;

use crate::lines::{Lines, Next};
use crate::room::{Line, Room};

/// Python's `listen()` with no argument uses a backlog of at most 128.
const BACKLOG: i32 = 128;

/// The kernel's send buffer is a queue too, and on loopback it grows to megabytes.
/// Capping it means a client that stops reading fills its queue after ~100 KiB
/// (Linux doubles the value) instead of after megabytes of kernel memory.
const SEND_BUFFER: usize = 64 * 1024;

/// How long the goodbye may take on Ctrl-C before the remaining connections are cut.
const GOODBYE: Duration = Duration::from_millis(500);

// ANCHOR: opts
/// Relays every line to every client as "[<addr>] <text>" and announces who joins and leaves.
#[derive(Args, Debug)]
pub struct ServerOpts {
    #[command(flatten)]
    net: LegacyServerArgs<3000>,

    /// Longest line a client may send, in bytes; a longer one gets an error and a disconnect
    #[arg(long, default_value_t = 4096, value_name = "BYTES",
          value_parser = clap::value_parser!(u32).range(1..))]
    max_line: u32,

    /// Most clients in the room at once; the next one is told the room is full
    #[arg(long, default_value_t = 100, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    max_clients: u32,

    /// Lines that may wait for a slow client; when its queue is full it is dropped
    #[arg(long, default_value_t = 1000, value_name = "LINES",
          value_parser = clap::value_parser!(u32).range(1..))]
    queue: u32,
}
// ANCHOR_END: opts

// ANCHOR: run
pub fn run(opts: ServerOpts) -> anyhow::Result<()> {
    let encoding = opts.net.encoding;
    let max_line = opts.max_line as usize;
    let max_clients = opts.max_clients as usize;

    // 1. ss = socket.socket()
    // 2. ss.bind(('127.0.0.1', 3000))
    // 3. ss.listen()
    let ss = sockets::tcp_listener(opts.net.addr()?, BACKLOG)?;
    let local = ss.local_addr().map_err(|e| errors::io("getsockname", e))?;
    // Ctrl-C connects to us, so the blocked accept returns at once. Installed
    // before the `listening on` line, so that Ctrl-C works as soon as anyone can connect.
    let stop = Stop::for_tcp_server(local)?;
    sockets::announce_listening(local);
    let live = LiveConnections::new();
    let room = Arc::new(Room::new(opts.queue as usize, encoding));

    loop {
        // 4. s, addr = ss.accept()
        //    (a failed accept costs that one connection, not the server)
        let (s, addr) = sockets::accept(&ss);
        if stop.requested() {
            break;
        }
        // Only this thread adds members, so the count cannot grow between check and join.
        if room.len() >= max_clients {
            let clients = if max_clients == 1 {
                "client"
            } else {
                "clients"
            };
            say!("{addr} turned away: the room is full ({max_clients} {clients})");
            let full = format!("* the room is full ({max_clients} {clients}); try again later\n");
            let _ = (&s).write_all(&encoding.encode(&full));
            continue; // dropping s closes it
        }
        if let Err(e) = welcome(s, addr, &room, &live, max_line, encoding) {
            eprintln!("cannot serve {addr}: {}", errors::plain(&e));
        }
    }

    say!("stopping (Ctrl-C)");
    room.close("* server is stopping");
    // Each writer sends the goodbye and closes; cut whoever has not taken it in time.
    let deadline = Instant::now() + GOODBYE;
    while live.count() > 0 && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    live.close_all();
    Ok(())
}
// ANCHOR_END: run

// ANCHOR: welcome
/// 5. socket_list.append(s)
/// 6. threading.Thread(target=server_target, args=(s,)).start()
///    plus a second thread that does this client's sends.
fn welcome(
    s: TcpStream,
    addr: SocketAddr,
    room: &Arc<Room>,
    live: &LiveConnections,
    max_line: usize,
    encoding: Encoding,
) -> std::io::Result<()> {
    SockRef::from(&s).set_send_buffer_size(SEND_BUFFER)?;
    // Both threads and the live set use the one socket: &TcpStream can read and
    // write, and an Arc (not try_clone) keeps it at one file descriptor.
    let s = Arc::new(s);
    let registered = live.add(s.clone());
    let (id, queue) = room.join(addr, s.clone());
    // Announced before its reader starts, so the room hears "joined" before anything it says.
    announce(room, format!("* {addr} joined ({} here)", room.len()));

    let writer_s = s.clone();
    let reader_room = room.clone();
    let spawned = thread::Builder::new()
        .name(format!("write {addr}"))
        .spawn(move || write_to_client(&writer_s, queue))
        .and_then(|_| {
            thread::Builder::new()
                .name(format!("read {addr}"))
                .spawn(move || {
                    server_target(id, addr, &s, &reader_room, max_line, encoding);
                    drop(registered);
                })
        });
    if let Err(e) = spawned {
        // E.g. the system allows no more threads: this client only is turned away.
        let here = room.leave(id); // its writer, if it started, closes the connection
        announce(room, format!("* {addr} left ({here} here)"));
        return Err(e);
    }
    Ok(())
}
// ANCHOR_END: welcome

// ANCHOR: server_target
/// One client's reader: each message it sends goes to the whole room.
fn server_target(
    id: u64,
    addr: SocketAddr,
    s: &TcpStream,
    room: &Room,
    max_line: usize,
    encoding: Encoding,
) {
    let mut lines = Lines::new(s, max_line);
    let why = loop {
        // content = read_from_client(s)
        match lines.next() {
            Ok(Next::Message(bytes)) if bytes.is_empty() => {} // a bare Enter
            Ok(Next::Message(bytes)) => {
                // print(content); for client_s in socket_list: client_s.send(content...)
                announce(room, format!("[{addr}] {}", encoding.decode(&bytes)));
            }
            Ok(Next::End) => break "left".to_owned(),
            Ok(Next::TooLong) => {
                let error = format!(
                    "error: line longer than {max_line} bytes (the server's --max-line); disconnecting"
                );
                room.tell(id, &error);
                break format!("was disconnected: line longer than {max_line} bytes");
            }
            // The seed's `except: socket_list.remove(s)`: e.g. the client reset the
            // connection. A line it had not finished is not a message.
            Err(e) => break format!("vanished ({})", errors::plain(&e)),
        }
    };
    let here = room.leave(id);
    announce(room, format!("* {addr} {why} ({here} here)"));
}
// ANCHOR_END: server_target

// ANCHOR: write_to_client
/// One client's writer: sends what its queue holds until the room lets go of it.
fn write_to_client(s: &TcpStream, queue: Receiver<Line>) {
    for line in queue {
        if (&*s).write_all(&line).is_err() {
            // The connection is broken (reset, or shut down because the client was
            // dropped). Its reader sees that too, and takes it out of the room.
            return;
        }
    }
    // The member left, was dropped, or the server is stopping, and everything queued
    // is sent: end the connection. This also wakes its reader with the end of stream.
    let _ = s.shutdown(std::net::Shutdown::Both);
}
// ANCHOR_END: write_to_client

// ANCHOR: announce
/// The server's log is the room's transcript: print a line and send it to everyone.
fn announce(room: &Room, text: String) {
    say!("{text}");
    room.broadcast(&text);
}
// ANCHOR_END: announce
