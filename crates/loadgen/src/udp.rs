//! `loadgen udp`: clients sending datagrams to an echo server (lesson 6) and
//! waiting for the answers, with `--in-flight` datagrams outstanding each.
//!
//! Each datagram is `u<sequence>`; the answer (lesson 6 says "Hello, u7!") carries
//! the number back, so an answer is matched to its datagram whatever the order.
//! UDP says nothing about a datagram that is lost: one not answered within
//! `--loss-timeout` counts as lost, and another is sent in its place.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;
use net_common::sockets;

use crate::procstatus::{CpuMeter, CpuUse};
use crate::report::{Latencies, Summary, per_second};
use crate::{Target, parse_duration};

/// Flags of `loadgen udp`.
#[derive(Args, Debug)]
pub struct Opts {
    #[command(flatten)]
    target: Target<9999>,

    /// Clients, each with its own socket and thread
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    clients: u32,

    /// Datagrams each client keeps waiting for an answer
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    in_flight: u32,

    /// Seconds of sending
    #[arg(long, default_value = "3", value_parser = parse_duration)]
    duration: Duration,

    /// Seconds after which a datagram without an answer counts as lost
    #[arg(long, default_value = "0.2", value_parser = parse_duration)]
    loss_timeout: Duration,

    /// The server's process id: adds the CPU time it used per answer (server_cpu_us)
    #[arg(long)]
    pid: Option<u32>,
}

/// The sequence number in an answer: the digits after its last 'u'.
pub fn answer_seq(answer: &[u8]) -> Option<u64> {
    let at = answer.iter().rposition(|b| *b == b'u')?;
    let digits: Vec<u8> = answer[at + 1..]
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

#[derive(Default)]
struct Counts {
    sent: u64,
    answered: u64,
    lost: u64,
    late: u64,
    errors: u64,
    first_error: Option<String>,
    latencies: Latencies,
}

/// A client's socket: `connect()`ed, so `send()` goes to the server and `recv()`
/// takes only its answers, with short waits so lost datagrams are replaced on time.
fn client_socket(server: SocketAddr, loss_timeout: Duration) -> anyhow::Result<UdpSocket> {
    let socket = sockets::udp_client(server)?;
    socket
        .connect(server)
        .map_err(|e| net_common::errors::connect(server, e))?;
    socket.set_read_timeout(Some((loss_timeout / 4).max(Duration::from_millis(1))))?;
    Ok(socket)
}

fn client(
    socket: &UdpSocket,
    opts_in_flight: usize,
    duration: Duration,
    loss_timeout: Duration,
    start_line: &Barrier,
) -> Counts {
    let mut counts = Counts::default();
    let mut waiting: HashMap<u64, Instant> = HashMap::new();
    let mut next = 0u64;
    let mut buf = [0u8; 2048];

    start_line.wait();
    let end = Instant::now() + duration;
    loop {
        let now = Instant::now();
        if now < end {
            while waiting.len() < opts_in_flight {
                match socket.send(format!("u{next}").as_bytes()) {
                    Ok(_) => {
                        waiting.insert(next, Instant::now());
                        counts.sent += 1;
                        next += 1;
                    }
                    Err(e) => {
                        counts.errors += 1;
                        counts.first_error.get_or_insert_with(|| e.to_string());
                        // E.g. "connection refused" from an ICMP error: do not spin.
                        thread::sleep(Duration::from_millis(1));
                        break;
                    }
                }
            }
        } else if waiting.is_empty() || now > end + loss_timeout {
            break;
        }
        match socket.recv(&mut buf) {
            Ok(n) => match answer_seq(&buf[..n]).and_then(|seq| waiting.remove(&seq)) {
                Some(sent_at) => {
                    counts.latencies.record(sent_at.elapsed());
                    counts.answered += 1;
                }
                None => counts.late += 1,
            },
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => {
                counts.errors += 1;
                counts.first_error.get_or_insert_with(|| e.to_string());
                thread::sleep(Duration::from_millis(1));
            }
        }
        let before = waiting.len();
        let now = Instant::now();
        waiting.retain(|_, sent_at| now.duration_since(*sent_at) < loss_timeout);
        counts.lost += (before - waiting.len()) as u64;
    }
    counts.lost += waiting.len() as u64;
    counts
}

pub fn run(opts: &Opts) -> anyhow::Result<Summary> {
    let server = opts.target.addr()?;
    let start_line = Arc::new(Barrier::new(opts.clients as usize + 1));
    let mut workers = Vec::new();
    for _ in 0..opts.clients {
        let socket = client_socket(server, opts.loss_timeout)?;
        let start_line = start_line.clone();
        let (in_flight, duration, loss_timeout) =
            (opts.in_flight as usize, opts.duration, opts.loss_timeout);
        let worker = thread::Builder::new()
            .name("udp client".to_owned())
            .spawn(move || client(&socket, in_flight, duration, loss_timeout, &start_line))
            .map_err(|e| anyhow::anyhow!("cannot start a thread: {e}"))?;
        workers.push(worker);
    }
    start_line.wait();
    let server_cpu = opts.pid.map(CpuMeter::start).transpose()?;
    let own_cpu = CpuMeter::start(std::process::id())?;
    let mut total = Counts::default();
    for worker in workers {
        let counts = worker
            .join()
            .map_err(|_| anyhow::anyhow!("a client thread panicked"))?;
        total.sent += counts.sent;
        total.answered += counts.answered;
        total.lost += counts.lost;
        total.late += counts.late;
        total.errors += counts.errors;
        if total.first_error.is_none() {
            total.first_error = counts.first_error;
        }
        total.latencies.merge(counts.latencies);
    }
    let cpu = CpuUse::measure(server_cpu.as_ref(), &own_cpu)?;
    if total.answered == 0 {
        anyhow::bail!(
            "no datagram to {server} was answered ({})",
            total
                .first_error
                .as_deref()
                .unwrap_or("is the server running?")
        );
    }
    if let Some(e) = &total.first_error {
        eprintln!("loadgen: {} error(s), the first: {e}", total.errors);
    }
    let loss_share = total.lost as f64 / total.sent.max(1) as f64;
    let summary = Summary::new("udp")
        .put("clients", opts.clients)
        .put("in_flight", opts.in_flight)
        .num("duration_s", opts.duration.as_secs_f64(), 2)
        .put("sent", total.sent)
        .put("answered", total.answered)
        .num("rate", per_second(total.answered, opts.duration), 1)
        .put("lost", total.lost)
        .num("loss_share", loss_share, 4)
        .put("late", total.late);
    let summary = total
        .latencies
        .put_into(summary)
        .put("errors", total.errors);
    Ok(cpu.put_into(summary, total.answered))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_comes_back_in_any_wrapping() {
        assert_eq!(answer_seq(b"Hello, u42!"), Some(42));
        assert_eq!(answer_seq(b"Echo: u7!"), Some(7));
        assert_eq!(answer_seq(b"u0"), Some(0));
        assert_eq!(answer_seq(b"Hello, !"), None);
        assert_eq!(answer_seq(b"Hello, u!"), None);
    }
}
