//! `loadgen chat`: clients in a chat room (lesson 5), each sending lines at a steady
//! rate while reading everything the room relays.
//!
//! Each line is `c<client> s<sequence> <padding>`, so every reader can tell which
//! lines it missed (lost), got twice, or got out of order (reordered). The relay may
//! prefix lines (lesson 5 sends `[<addr>] <text>`) and add announcements; only the
//! `c.. s..` pair is read.
//!
//! `--burst N` is the other scenario: instead of the steady rate, the first
//! `--senders` clients each send N lines at once, as fast as the relay takes them,
//! while every client reads at most `--read-speed` bytes a second, like a terminal
//! (~2 MB/s). A relay that bounds its queues in lines, not by lack of progress,
//! drops such readers although they are still reading: `healthy_dropped=` again.
//!
//! `--stalled` adds one more client that never reads, with a tiny receive buffer so
//! it fills quickly. A relay that sends to every client in turn blocks on it; one
//! with a queue per client drops it and goes on. Healthy clients must never be
//! dropped: `healthy_dropped=` counts readers that saw their connection end.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;
use socket2::{SockAddr, Socket};

use crate::procstatus::{CpuMeter, CpuUse};
use crate::report::{Summary, per_second};
use crate::{Target, parse_duration};

/// Flags of `loadgen chat`.
#[derive(Args, Debug)]
pub struct Opts {
    #[command(flatten)]
    target: Target<3000>,

    /// Clients that send and read
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=1000))]
    clients: u32,

    /// Lines each client sends per second
    #[arg(long, default_value_t = 5.0, value_parser = parse_rate)]
    rate: f64,

    /// Seconds of sending, after every client has joined
    #[arg(long, default_value = "5", value_parser = parse_duration)]
    duration: Duration,

    /// Add one client that never reads
    #[arg(long)]
    stalled: bool,

    /// Bytes of padding in each line, so a stalled client's buffers fill sooner
    #[arg(long, default_value_t = 48, value_parser = clap::value_parser!(u32).range(0..=2000))]
    pad: u32,

    /// Seconds to wait after connecting, so the server has let everyone in
    #[arg(long, default_value = "1", value_parser = parse_duration)]
    settle: Duration,

    /// The server's process id: adds the CPU time it used per delivered line (server_cpu_us)
    #[arg(long)]
    pid: Option<u32>,

    /// Burst instead of a steady rate: each of the first --senders clients sends this many lines at once (0: steady --rate)
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u32).range(0..=100_000))]
    burst: u32,

    /// How many clients send in a --burst
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=1000))]
    senders: u32,

    /// Bytes a second each client reads at most, like a terminal (0: as fast as it can)
    #[arg(long, default_value_t = 0)]
    read_speed: u64,
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(r) if r > 0.0 && r <= 10_000.0 => Ok(r),
        _ => Err(format!(
            "'{text}' is not a rate between 0 and 10000 lines per second"
        )),
    }
}

/// The `c<client> s<sequence>` pair in a relayed line, wherever it is.
pub fn parse_line(line: &str) -> Option<(usize, u64)> {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    tokens.windows(2).find_map(|pair| {
        let client = pair[0].strip_prefix('c')?.parse().ok()?;
        let seq = pair[1].strip_prefix('s')?.parse().ok()?;
        Some((client, seq))
    })
}

/// What one reader saw.
#[derive(Debug, Default)]
pub struct Tally {
    /// For each sender, which sequence numbers arrived.
    seen: Vec<Vec<bool>>,
    last: Vec<Option<u64>>,
    pub distinct: u64,
    pub duplicates: u64,
    pub reordered: u64,
    pub unparsed: u64,
    /// Why the connection ended before the run did, if it did.
    pub dropped: Option<String>,
}

impl Tally {
    pub fn new(senders: usize) -> Tally {
        Tally {
            seen: vec![Vec::new(); senders],
            last: vec![None; senders],
            ..Tally::default()
        }
    }

    /// Counts one line; returns whether it was a new message.
    pub fn line(&mut self, line: &str) -> bool {
        let Some((client, seq)) = parse_line(line).filter(|(c, _)| *c < self.seen.len()) else {
            // Announcements ("* ... joined") are expected; they have no pair either.
            if !line.starts_with("* ") {
                self.unparsed += 1;
            }
            return false;
        };
        let Ok(index) = usize::try_from(seq) else {
            self.unparsed += 1;
            return false;
        };
        let seen = &mut self.seen[client];
        if seen.len() <= index {
            seen.resize(index + 1, false);
        }
        if seen[index] {
            self.duplicates += 1;
            return false;
        }
        seen[index] = true;
        if self.last[client].is_some_and(|last| seq < last) {
            self.reordered += 1;
        }
        self.last[client] = Some(self.last[client].map_or(seq, |last| last.max(seq)));
        self.distinct += 1;
        true
    }
}

/// Reads one client's lines until `stop`, counting them into a tally.
/// With `speed` > 0, it reads at most that many bytes a second, like a terminal.
fn read_room(
    stream: TcpStream,
    senders: usize,
    speed: u64,
    stop: &AtomicBool,
    delivered: &AtomicU64,
) -> Tally {
    let mut tally = Tally::new(senders);
    // A small buffer, so that pacing the lines paces the reads from the socket too.
    let mut reader = BufReader::with_capacity(4096, stream);
    let mut line = Vec::new();
    // When the next line may be read: a terminal has no credit for the time it
    // had nothing to show, so `next` never lies in the past when a line is counted.
    let mut next = Instant::now();
    while !stop.load(Ordering::Relaxed) {
        if let Some(wait) = next.checked_duration_since(Instant::now()) {
            thread::sleep(wait.min(Duration::from_millis(100)));
            continue; // and look at `stop` again
        }
        // A timeout leaves what it read in `line`; the next call goes on from there.
        match reader.read_until(b'\n', &mut line) {
            Ok(0) => {
                tally.dropped = Some("the server closed the connection".to_owned());
                break;
            }
            Ok(_) if line.ends_with(b"\n") => {
                if speed > 0 {
                    let takes = Duration::from_secs_f64(line.len() as f64 / speed as f64);
                    next = next.max(Instant::now()) + takes;
                }
                if tally.line(&String::from_utf8_lossy(&line)) {
                    delivered.fetch_add(1, Ordering::Relaxed);
                }
                line.clear();
            }
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                tally.dropped = Some(e.to_string());
                break;
            }
        }
        // A relay that never sends a newline cannot make us hold unbounded memory.
        if line.len() > 64 * 1024 {
            tally.unparsed += 1;
            line.clear();
        }
    }
    tally
}

/// A client that never reads, with the smallest receive buffer the system allows.
fn stalled_client(addr: SocketAddr, timeout: Duration) -> anyhow::Result<TcpStream> {
    let socket = net_common::sockets::tcp_socket(addr)?;
    socket.set_recv_buffer_size(1)?; // the system rounds it up to its minimum
    socket
        .connect_timeout(&SockAddr::from(addr), timeout)
        .map_err(|e| net_common::errors::connect(addr, e))?;
    Ok(Socket::into(socket))
}

/// Whether the server has closed `stream`: reads what is waiting until the end of
/// the stream (closed) or a pause (still open), for at most five seconds.
fn was_closed(mut stream: &TcpStream) -> bool {
    // With the tiny buffer, the server would send the rest a sliver at a time, with
    // pauses of its persist timer in between: open the window wide first.
    let _ = socket2::SockRef::from(stream).set_recv_buffer_size(4 << 20);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut buf = [0; 64 * 1024];
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return false;
            }
            Err(_) => return true,
        }
    }
    false
}

pub fn run(opts: &Opts) -> anyhow::Result<Summary> {
    let addr = opts.target.addr()?;
    let timeout = opts.target.timeout();
    let clients = opts.clients as usize;

    // The stalled client joins first, so every line of the run is relayed to it.
    let stalled = opts
        .stalled
        .then(|| stalled_client(addr, timeout))
        .transpose()?;

    let stop = Arc::new(AtomicBool::new(false));
    let delivered = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::with_capacity(clients);
    let mut readers = Vec::with_capacity(clients);
    let speed = opts.read_speed;
    for _ in 0..clients {
        let stream = net_common::sockets::tcp_connect(addr, timeout)?;
        stream.set_write_timeout(Some(timeout))?;
        stream.set_read_timeout(Some(Duration::from_millis(100)))?;
        stream.set_nodelay(true)?;
        writers.push(Some(stream.try_clone()?));
        let (stop, delivered) = (stop.clone(), delivered.clone());
        let reader = thread::Builder::new()
            .name("chat reader".to_owned())
            .spawn(move || read_room(stream, clients, speed, &stop, &delivered))
            .map_err(|e| anyhow::anyhow!("cannot start a thread: {e}"))?;
        readers.push(reader);
    }
    thread::sleep(opts.settle);

    // Send at a steady pace: line i is due at start + i / (clients * rate), from
    // client i % clients. If the relay pushes back, lines go out late, never in a burst
    // larger than what is due.
    let padding = "x".repeat(opts.pad as usize);
    let interval = Duration::from_secs_f64(1.0 / (clients as f64 * opts.rate));
    let mut sent_by = vec![0u64; clients];
    let mut send_failed = vec![false; clients];
    let server_cpu = opts.pid.map(CpuMeter::start).transpose()?;
    let own_cpu = CpuMeter::start(std::process::id())?;
    let start = Instant::now();
    if opts.burst > 0 {
        // Each sender writes its lines as fast as the relay takes them, all at once.
        let senders = (opts.senders as usize).min(clients);
        let mut bursts = Vec::with_capacity(senders);
        for (client, writer) in writers.iter_mut().enumerate().take(senders) {
            let (Some(mut writer), lines) = (writer.take(), opts.burst) else {
                continue;
            };
            let padding = padding.clone();
            bursts.push(thread::spawn(move || {
                let mut sent = 0u64;
                while sent < u64::from(lines) {
                    let line = format!("c{client} s{sent} {padding}\n");
                    if writer.write_all(line.as_bytes()).is_err() {
                        return (client, sent, true);
                    }
                    sent += 1;
                }
                (client, sent, false)
            }));
        }
        for burst in bursts {
            let (client, sent, failed) = burst
                .join()
                .map_err(|_| anyhow::anyhow!("a sender thread panicked"))?;
            sent_by[client] = sent;
            send_failed[client] = failed;
        }
    }
    let end = start
        + if opts.burst > 0 {
            Duration::ZERO
        } else {
            opts.duration
        };
    let mut due = start;
    let mut i = 0usize;
    while due < end {
        let now = Instant::now();
        if due > now {
            thread::sleep(due - now);
        }
        let client = i % clients;
        if let Some(writer) = writers[client].as_mut() {
            let line = format!("c{client} s{} {padding}\n", sent_by[client]);
            if writer.write_all(line.as_bytes()).is_ok() {
                sent_by[client] += 1;
            } else {
                send_failed[client] = true;
                writers[client] = None;
            }
        }
        i += 1;
        due = start + interval.mul_f64(i as f64);
        if Instant::now() > end + timeout {
            break; // the relay is stuck; what was sent is what counts
        }
    }
    let send_took = start.elapsed();
    let sent: u64 = sent_by.iter().sum();

    // Let the relay deliver what is in flight: until every reader has everything,
    // or nothing more arrives for a second (at most five seconds, or a minute for
    // a burst read at terminal speed).
    let expected_all = sent * clients as u64;
    let drain_start = Instant::now();
    let mut last = (delivered.load(Ordering::Relaxed), Instant::now());
    while delivered.load(Ordering::Relaxed) < expected_all
        && drain_start.elapsed() < Duration::from_secs(if opts.burst > 0 { 60 } else { 5 })
    {
        thread::sleep(Duration::from_millis(20));
        let now = delivered.load(Ordering::Relaxed);
        if now != last.0 {
            last = (now, Instant::now());
        } else if last.1.elapsed() > Duration::from_secs(1) {
            break;
        }
    }
    // A burst is over when it is delivered; a steady run when it stops sending.
    let all_took = start.elapsed();
    let rate_time = if opts.burst > 0 { all_took } else { send_took };
    let cpu = CpuUse::measure(server_cpu.as_ref(), &own_cpu)?;
    let stalled_dropped = stalled.as_ref().map(was_closed);
    stop.store(true, Ordering::Relaxed);

    let mut total = Tally::default();
    let mut healthy_dropped = 0u64;
    let mut healthy_left = 0u64;
    let mut first_drop = None;
    for (client, reader) in readers.into_iter().enumerate() {
        let tally = reader
            .join()
            .map_err(|_| anyhow::anyhow!("a reader thread panicked"))?;
        if tally.dropped.is_some() || send_failed[client] {
            healthy_dropped += 1;
            first_drop = first_drop.or(tally.dropped);
            continue;
        }
        healthy_left += 1;
        total.distinct += tally.distinct;
        total.duplicates += tally.duplicates;
        total.reordered += tally.reordered;
        total.unparsed += tally.unparsed;
    }
    if let Some(why) = first_drop {
        eprintln!("loadgen: {healthy_dropped} healthy client(s) dropped, the first: {why}");
    }
    let expected = sent * healthy_left;
    let summary = Summary::new("chat")
        .put("clients", clients)
        .put("stalled", u8::from(stalled.is_some()))
        .num("rate_per_client", opts.rate, 1)
        .num("duration_s", send_took.as_secs_f64(), 2)
        .put("sent", sent)
        .put("expected", expected)
        .put("delivered", total.distinct)
        .num("delivered_per_s", per_second(total.distinct, rate_time), 1)
        .num("delivery_s", all_took.as_secs_f64(), 2)
        .put("lost", expected.saturating_sub(total.distinct))
        .put("reordered", total.reordered)
        .put("duplicates", total.duplicates)
        .put("unparsed", total.unparsed)
        .put("healthy_dropped", healthy_dropped)
        .put(
            "stalled_dropped",
            stalled_dropped.map_or("none".to_owned(), |d| u8::from(d).to_string()),
        );
    Ok(cpu.put_into(summary, total.distinct))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_pair_with_or_without_a_prefix() {
        assert_eq!(parse_line("c3 s17 xxxx\n"), Some((3, 17)));
        assert_eq!(parse_line("[127.0.0.1:5000] c0 s0 xx"), Some((0, 0)));
        assert_eq!(parse_line("* 127.0.0.1:5000 joined (3 here)"), None);
        assert_eq!(parse_line("c3 x17"), None);
    }

    #[test]
    fn counts_lost_duplicated_and_reordered_lines() {
        let mut tally = Tally::new(2);
        for line in [
            "c0 s0", "c0 s2", "c0 s1", "c0 s1", "c1 s0", "* hi", "garbage", "c9 s0",
        ] {
            tally.line(line);
        }
        assert_eq!(
            (
                tally.distinct,
                tally.duplicates,
                tally.reordered,
                tally.unparsed
            ),
            (4, 1, 1, 2)
        );
    }
}
