//! `loadgen echo`: N clients doing lesson 4's round trip over and over.
//!
//! Lesson 4's protocol: the server sends "Welcome!", then answers each message
//! with "Hello, <message>!". The message carries no newline, so lesson 4 and the
//! seed-style Python server give the same answer, byte for byte.
//!
//! Each client has exactly one message in flight, so the server really has N
//! conversations going. The load generator does not need N threads for that: each
//! of its threads sends on all of its connections, then collects the answers in
//! order. (A connection's latency then includes waiting its turn to be read,
//! which is what a client with many sockets would see.)

use std::io::{self, ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;

use crate::procstatus::{CpuMeter, CpuUse};
use crate::report::{Latencies, Summary, per_second};
use crate::{Target, parse_duration, shares};

/// Flags of `loadgen echo`.
#[derive(Args, Debug)]
pub struct Opts {
    #[command(flatten)]
    target: Target<13145>,

    /// Concurrent clients, each with one message in flight
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..=20_000))]
    clients: u32,

    /// Seconds of load, after every client is connected
    #[arg(long, default_value = "3", value_parser = parse_duration)]
    duration: Duration,

    /// Most threads the load generator uses (the clients are shared among them)
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1024))]
    threads: u32,

    /// The message each round trip sends
    #[arg(long, default_value = "bench")]
    message: String,

    /// The server's process id: adds the CPU time it used per round trip (server_cpu_us)
    #[arg(long)]
    pid: Option<u32>,

    /// Connect to a Unix domain socket at PATH instead of --host/--port (lesson 9's --unix)
    #[arg(long, value_name = "PATH")]
    unix: Option<PathBuf>,
}

/// Where the clients connect: a TCP address, or a Unix domain socket's path.
#[derive(Clone, Debug)]
pub enum Endpoint {
    Tcp(SocketAddr),
    Unix(PathBuf),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Tcp(addr) => write!(f, "{addr}"),
            Endpoint::Unix(path) => write!(f, "{}", path.display()),
        }
    }
}

/// A connected stream of either family.
pub enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.read(buf),
            Stream::Unix(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(s) => s.write(buf),
            Stream::Unix(s) => s.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn unix_connect(path: &Path, timeout: Duration) -> io::Result<Stream> {
    let stream = UnixStream::connect(path)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    Ok(Stream::Unix(stream))
}

/// One echo connection: connected, and the welcome already read.
pub struct EchoConn {
    stream: Stream,
    sent_at: Instant,
}

impl EchoConn {
    /// `s.connect(addr)`, then `s.recv` of the "Welcome!".
    pub fn open(addr: SocketAddr, timeout: Duration) -> io::Result<EchoConn> {
        EchoConn::open_at(&Endpoint::Tcp(addr), timeout)
    }

    /// The same over TCP or a Unix domain socket.
    pub fn open_at(at: &Endpoint, timeout: Duration) -> io::Result<EchoConn> {
        let mut stream = match at {
            Endpoint::Tcp(addr) => {
                let stream = TcpStream::connect_timeout(addr, timeout)?;
                stream.set_read_timeout(Some(timeout))?;
                stream.set_write_timeout(Some(timeout))?;
                // One small write per round trip, always after the previous answer:
                // Nagle would not delay it anyway; this only makes sure.
                stream.set_nodelay(true)?;
                Stream::Tcp(stream)
            }
            Endpoint::Unix(path) => unix_connect(path, timeout)?,
        };
        expect(&mut stream, b"Welcome!")?;
        Ok(EchoConn {
            stream,
            sent_at: Instant::now(),
        })
    }

    pub fn send(&mut self, message: &[u8]) -> io::Result<()> {
        self.sent_at = Instant::now();
        self.stream.write_all(message)
    }

    /// Reads the answer and returns how long the round trip took.
    pub fn answer(&mut self, expected: &[u8]) -> io::Result<Duration> {
        expect(&mut self.stream, expected)?;
        Ok(self.sent_at.elapsed())
    }

    pub fn round_trip(&mut self, message: &[u8], expected: &[u8]) -> io::Result<Duration> {
        self.send(message)?;
        self.answer(expected)
    }
}

/// Reads exactly `expected.len()` bytes (an answer may come in pieces) and checks them.
fn expect(stream: &mut Stream, expected: &[u8]) -> io::Result<()> {
    let mut got = vec![0; expected.len()];
    stream.read_exact(&mut got)?;
    if got != expected {
        return Err(io::Error::new(
            ErrorKind::InvalidData,
            format!(
                "expected {:?}, got {:?}",
                String::from_utf8_lossy(expected),
                String::from_utf8_lossy(&got)
            ),
        ));
    }
    Ok(())
}

/// `Hello, <message>!`: what lesson 4 answers.
pub fn hello(message: &str) -> Vec<u8> {
    format!("Hello, {message}!").into_bytes()
}

#[derive(Default)]
struct ThreadResult {
    round_trips: u64,
    errors: u64,
    first_error: Option<String>,
    latencies: Latencies,
    conns: Vec<EchoConn>,
}

impl ThreadResult {
    fn error(&mut self, e: &io::Error) {
        self.errors += 1;
        self.first_error.get_or_insert_with(|| e.to_string());
    }
}

pub fn run(opts: &Opts) -> anyhow::Result<Summary> {
    let addr = match &opts.unix {
        Some(path) => Endpoint::Unix(path.clone()),
        None => Endpoint::Tcp(opts.target.addr()?),
    };
    let timeout = opts.target.timeout();
    let message = opts.message.as_bytes().to_vec();
    let expected = hello(&opts.message);
    let parts = shares(opts.clients as usize, opts.threads as usize);
    // Every thread, and this one, start the load together.
    let start_line = Arc::new(Barrier::new(parts.len() + 1));

    let mut workers = Vec::new();
    for part in parts {
        let (start_line, message, expected, addr) = (
            start_line.clone(),
            message.clone(),
            expected.clone(),
            addr.clone(),
        );
        let duration = opts.duration;
        let worker = thread::Builder::new()
            .name("echo clients".to_owned())
            .spawn(move || {
                let mut result = ThreadResult::default();
                for _ in part {
                    match EchoConn::open_at(&addr, timeout) {
                        Ok(conn) => result.conns.push(conn),
                        Err(e) => result.error(&e),
                    }
                }
                start_line.wait();
                let deadline = Instant::now() + duration;
                while Instant::now() < deadline && !result.conns.is_empty() {
                    let mut failed = vec![false; result.conns.len()];
                    for (i, conn) in result.conns.iter_mut().enumerate() {
                        if let Err(e) = conn.send(&message) {
                            failed[i] = true;
                            result.errors += 1;
                            result.first_error.get_or_insert_with(|| e.to_string());
                        }
                    }
                    for (i, conn) in result.conns.iter_mut().enumerate() {
                        if failed[i] {
                            continue;
                        }
                        match conn.answer(&expected) {
                            Ok(took) => {
                                result.latencies.record(took);
                                result.round_trips += 1;
                            }
                            Err(e) => {
                                failed[i] = true;
                                result.errors += 1;
                                result.first_error.get_or_insert_with(|| e.to_string());
                            }
                        }
                    }
                    // A connection that failed once is out of the run.
                    let mut i = 0;
                    result.conns.retain(|_| {
                        i += 1;
                        !failed[i - 1]
                    });
                }
                result
            })
            .map_err(|e| anyhow::anyhow!("cannot start a thread: {e}"))?;
        workers.push(worker);
    }

    start_line.wait();
    let start = Instant::now();
    let server_cpu = opts.pid.map(CpuMeter::start).transpose()?;
    let own_cpu = CpuMeter::start(std::process::id())?;
    let mut total = ThreadResult::default();
    let mut held = Vec::new();
    for worker in workers {
        let result = worker
            .join()
            .map_err(|_| anyhow::anyhow!("a load thread panicked"))?;
        total.round_trips += result.round_trips;
        total.errors += result.errors;
        if total.first_error.is_none() {
            total.first_error = result.first_error;
        }
        total.latencies.merge(result.latencies);
        held.push(result.conns);
    }
    let took = start.elapsed();
    let cpu = CpuUse::measure(server_cpu.as_ref(), &own_cpu)?;
    // Closing is not part of the measurement; the server sees the end of each stream.
    drop(held);

    if total.round_trips == 0 {
        anyhow::bail!(
            "no round trip with {addr} succeeded ({})",
            total.first_error.as_deref().unwrap_or("no connection")
        );
    }
    if let Some(e) = &total.first_error {
        eprintln!("loadgen: {} error(s), the first: {e}", total.errors);
    }
    let summary = Summary::new("echo")
        .put("clients", opts.clients)
        .num("duration_s", took.as_secs_f64(), 2)
        .put("round_trips", total.round_trips)
        .num("rate", per_second(total.round_trips, took), 1);
    let summary = total
        .latencies
        .put_into(summary)
        .put("errors", total.errors);
    Ok(cpu.put_into(summary, total.round_trips))
}
