// ANCHOR: opts
//! The chat server: the seed's server, with a queue and a writer thread per client.
use std::io::{self, ErrorKind, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::{Arc, Mutex, mpsc::Receiver};
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;
use net_common::cli::{ServerArgs, parse_seconds};
use net_common::{errors, say, sockets, stop, text};
use socket2::SockRef;

use crate::lines::read_from_client;
use crate::room::Room;

/// Relays every line to every client as "[<addr>] <text>" and announces who joins and leaves.
#[derive(Args, Debug)]
pub struct ServerOpts {
    #[command(flatten)]
    pub net: ServerArgs,
    /// Port to bind; 0 lets the system pick a free one (the listening on line shows it)
    #[arg(long, short, default_value_t = 3000)]
    pub port: u16,
    /// Longest line a client may send, in bytes; a longer one gets an error and a disconnect
    #[arg(long, default_value_t = 4096, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_line: u32,
    /// Most clients in the room at once; the next one is told the room is full
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_clients: u32,
    /// Lines a second a client may send on average (people type far fewer); faster ones are slowed
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate: u32,
    /// Lines a client may send at once beyond --rate, such as a pasted block of text
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..))]
    pub burst: u32,
    /// Drop a client that takes no byte for this many seconds: time for a paused terminal to resume
    #[arg(long, default_value_t = 30.0, value_parser = parse_seconds)]
    pub stall_timeout: f64,
    /// Drop a client when more bytes wait for it: 1 MiB is thousands of lines, 0.5 s of a terminal
    #[arg(long, default_value_t = 1 << 20, value_parser = clap::value_parser!(u32).range(4096..))]
    pub max_queue: u32,
}
// ANCHOR_END: opts

// ANCHOR: run
pub fn run(opts: ServerOpts) -> anyhow::Result<()> {
    let (addr, max) = (opts.net.addr(opts.port)?, opts.max_clients as usize);
    let members = Mutex::default();
    let room = Arc::new(Room { members, opts });
    // Ctrl-C: tell the room, give the writers half a second to send it, exit.
    let goodbye = room.clone();
    stop::on_ctrl_c(move || goodbye.close("* server is stopping", Duration::from_millis(500)))?;

    // 1. ss = socket.socket()
    // 2. ss.bind(('127.0.0.1', 3000))
    // 3. ss.listen()    (Python's listen() uses a backlog of at most 128)
    let ss = sockets::tcp_listener(addr, 128)?;
    let local = ss.local_addr().map_err(|e| errors::io("getsockname", e))?;
    sockets::announce_listening(local);

    for id in 1.. {
        // 4. s, addr = ss.accept()   (a failed accept is logged, and the wait goes on)
        let (s, addr) = sockets::accept(&ss);
        // Only this thread adds members, so the count cannot grow between check and join.
        if room.len() >= max {
            say!("{addr} turned away: the room is full ({max} here)");
            let full = format!("* the room is full ({max} here); try again later\n");
            let _ = (&s).write_all(full.as_bytes());
            continue; // dropping s closes it
        }
        if let Err(e) = welcome(id, s, addr, &room) {
            room.drop_member(id, &format!("cannot serve it ({})", errors::plain(&e)));
        }
    }
    Ok(())
}

/// 5. socket_list.append(s)
/// 6. threading.Thread(target=server_target, args=(s,)).start(), and a writer thread
fn welcome(id: u64, s: TcpStream, addr: SocketAddr, room: &Arc<Room>) -> io::Result<()> {
    // The kernel's send buffer is a queue too: a small one keeps what waits in ours.
    SockRef::from(&s).set_send_buffer_size(64 * 1024)?;
    // SO_SNDTIMEO: a send that sends nothing for this long fails with WouldBlock.
    s.set_write_timeout(Some(Duration::from_secs_f64(room.opts.stall_timeout)))?;
    let s = Arc::new(s); // both threads use it: &TcpStream can read and write
    let queue = room.join(id, addr, s.clone());
    // Announced before its reader starts, so the room hears "joined" before anything it says.
    announce(room, format!("* {addr} joined ({} here)", room.len()));
    let (writer_s, writer_room, room) = (s.clone(), room.clone(), room.clone());
    thread::Builder::new().spawn(move || write_to_client(id, &writer_s, queue, &writer_room))?;
    thread::Builder::new().spawn(move || server_target(id, addr, &s, &room))?;
    Ok(())
}
// ANCHOR_END: run

// ANCHOR: server_target
/// One client's reader: each message it sends goes to the whole room.
fn server_target(id: u64, addr: SocketAddr, s: &TcpStream, room: &Room) {
    let (encoding, max_line) = (room.opts.net.encoding, room.opts.max_line);
    let mut pending = Vec::new(); // the bytes of a line not finished yet
    // A token bucket of --burst tokens, refilled at --rate a second; a line takes
    // one. Empty, the reader waits without reading: TCP backpressure slows the sender.
    let (rate, burst) = (f64::from(room.opts.rate), f64::from(room.opts.burst));
    let (mut tokens, mut last) = (burst, Instant::now());
    let why = loop {
        // content = read_from_client(s)
        match read_from_client(s, &mut pending, max_line as usize, encoding) {
            Ok(Some(bytes)) if bytes.is_empty() => {} // a bare Enter
            Ok(Some(bytes)) => {
                // print(content); for client_s in socket_list: client_s.send(content...)
                announce(room, format!("[{addr}] {}", encoding.decode(&bytes)));
                tokens = (tokens + last.elapsed().as_secs_f64() * rate).min(burst) - 1.0;
                last = Instant::now();
                if tokens < 0.0 {
                    thread::sleep(Duration::from_secs_f64(-tokens / rate));
                }
            }
            Ok(None) => break "left".to_owned(),
            Err(e) if e.kind() == ErrorKind::InvalidData => {
                let why = format!("line longer than {max_line} bytes");
                let error = format!("error: {why} (the server's --max-line); disconnecting");
                room.tell(id, &error);
                break format!("was disconnected: {why}");
            }
            // The seed's `except: socket_list.remove(s)`, e.g. the client reset the connection.
            Err(e) => break format!("vanished ({})", errors::plain(&e)),
        }
    };
    if let Some(here) = room.leave(id) {
        announce(room, format!("* {addr} {why} ({here} here)"));
    }
}
// ANCHOR_END: server_target

// ANCHOR: write_to_client
/// One client's writer: sends what its queue holds until the room lets go of it.
fn write_to_client(id: u64, mut s: &TcpStream, queue: Receiver<Arc<[u8]>>, room: &Room) {
    for line in queue {
        match s.write_all(&line) {
            Ok(()) => room.sent(id, line.len()),
            // SO_SNDTIMEO passed with nothing sent: the client has stopped reading.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                let why = format!("it read nothing for {} s", room.opts.stall_timeout);
                return room.drop_member(id, &format!("{why} (--stall-timeout)"));
            }
            // Broken (reset, or dropped): its reader sees that too, and leaves the room.
            Err(_) => return,
        }
    }
    // The member left and everything queued is sent: end the connection.
    let _ = s.shutdown(Shutdown::Both);
}

/// Prints a line to the log (a terminal too, so safely) and sends it to everyone.
fn announce(room: &Room, text: String) {
    say!("{}", text::printable(&text));
    room.broadcast(&text);
}
// ANCHOR_END: write_to_client
