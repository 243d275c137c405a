//! `loadgen hold`: open thousands of echo connections with a few threads, do one
//! round trip on each at the start and one at the end, then let them all go.
//!
//! With `--pid` of the server it reads the server's resident memory (VmRSS) and
//! thread count from /proc/<pid>/status before, while the connections are held,
//! and after they are released: a thread-per-connection server should go back to
//! its starting thread count once the clients leave.
//!
//! What to expect from a thread per connection: each thread reserves its stack as
//! address space (2 MiB by default for Rust's spawned threads), but only the pages it
//! touches become resident, a few KiB for a thread that reads and writes small
//! messages. So resident memory grows by kilobytes per connection, not megabytes.
//! Smaller stacks (`thread::Builder::stack_size`) reserve less address space, but
//! save little resident memory; they mostly matter where address space is scarce.
//! Each connection also needs a file descriptor in the server (two, if it keeps a
//! duplicate to close them all on Ctrl-C) and one here: raise `ulimit -n`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use clap::Args;

use crate::echo::{EchoConn, hello};
use crate::procstatus::Status;
use crate::report::Summary;
use crate::{Target, parse_duration, shares};

/// Flags of `loadgen hold`.
#[derive(Args, Debug)]
pub struct Opts {
    #[command(flatten)]
    target: Target<13145>,

    /// Connections to open and hold (each needs a file descriptor here and in the server: raise `ulimit -n`)
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=50_000))]
    connections: u32,

    /// Threads that open the connections (each opens its share one after another)
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=256))]
    threads: u32,

    /// The server's process id, to report its memory and threads from /proc/<pid>/status
    #[arg(long)]
    pid: Option<u32>,

    /// Longest wait, in seconds, for the server's threads to go back to their starting count
    #[arg(long, default_value = "10", value_parser = parse_duration)]
    settle: Duration,

    /// The message each round trip sends
    #[arg(long, default_value = "hold")]
    message: String,
}

/// What one phase did on a share of the connections.
struct Phase {
    conns: Vec<EchoConn>,
    answered: u64,
    errors: u64,
    first_error: Option<String>,
}

/// What a phase does with one connection (a new one for `None`).
type Step = Arc<dyn Fn(Option<EchoConn>) -> std::io::Result<EchoConn> + Send + Sync>;

/// Runs `step` on every connection in `shares` threads. A connection whose step
/// fails is closed and counted.
fn phase(work: Vec<Vec<Option<EchoConn>>>, step: Step) -> anyhow::Result<Phase> {
    let mut workers = Vec::new();
    for share in work {
        let step = step.clone();
        let worker = thread::Builder::new()
            .name("hold".to_owned())
            .spawn(move || {
                let mut done = Phase {
                    conns: Vec::with_capacity(share.len()),
                    answered: 0,
                    errors: 0,
                    first_error: None,
                };
                for conn in share {
                    match step(conn) {
                        Ok(conn) => {
                            done.conns.push(conn);
                            done.answered += 1;
                        }
                        Err(e) => {
                            done.errors += 1;
                            done.first_error.get_or_insert_with(|| e.to_string());
                        }
                    }
                }
                done
            })
            .map_err(|e| anyhow::anyhow!("cannot start a thread: {e}"))?;
        workers.push(worker);
    }
    let mut all = Phase {
        conns: Vec::new(),
        answered: 0,
        errors: 0,
        first_error: None,
    };
    for worker in workers {
        let done = worker
            .join()
            .map_err(|_| anyhow::anyhow!("a load thread panicked"))?;
        all.conns.extend(done.conns);
        all.answered += done.answered;
        all.errors += done.errors;
        if all.first_error.is_none() {
            all.first_error = done.first_error;
        }
    }
    Ok(all)
}

fn split<T>(items: Vec<T>, parts: usize) -> Vec<Vec<T>> {
    let ranges = shares(items.len(), parts);
    let mut items = items.into_iter();
    ranges
        .into_iter()
        .map(|r| items.by_ref().take(r.len()).collect())
        .collect()
}

pub fn run(opts: &Opts) -> anyhow::Result<Summary> {
    let addr: SocketAddr = opts.target.addr()?;
    let timeout = opts.target.timeout();
    let threads = opts.threads as usize;
    let status = |pid: Option<u32>| pid.map(Status::of).transpose();
    let before = status(opts.pid)?;

    // Open every connection and do the first round trip on it.
    let message: Arc<[u8]> = opts.message.as_bytes().into();
    let expected: Arc<[u8]> = hello(&opts.message).into();
    let started = Instant::now();
    let slots: Vec<Option<EchoConn>> = (0..opts.connections).map(|_| None).collect();
    let (m, e) = (message.clone(), expected.clone());
    let opened = phase(
        split(slots, threads),
        Arc::new(move |_| {
            let mut conn = EchoConn::open(addr, timeout)?;
            conn.round_trip(&m, &e)?;
            Ok(conn)
        }),
    )?;
    let open_took = started.elapsed();
    let held = status(opts.pid)?;

    // The last round trip on every connection still open.
    let slots = opened.conns.into_iter().map(Some).collect();
    let ended = phase(
        split(slots, threads),
        Arc::new(move |conn: Option<EchoConn>| {
            let mut conn = conn.ok_or_else(|| std::io::Error::other("no connection"))?;
            conn.round_trip(&message, &expected)?;
            Ok(conn)
        }),
    )?;

    // Let them all go, and wait for the server's threads to finish.
    drop(ended.conns);
    let released = Instant::now();
    let mut after = status(opts.pid)?;
    if let (Some(before), Some(pid)) = (before, opts.pid) {
        while after.is_some_and(|a| a.threads > before.threads) && released.elapsed() < opts.settle
        {
            thread::sleep(Duration::from_millis(50));
            after = Some(Status::of(pid)?);
        }
    }
    let settle_took = released.elapsed();

    for (what, phase_errors, first) in [
        ("opening", opened.errors, &opened.first_error),
        ("the last round trip", ended.errors, &ended.first_error),
    ] {
        if let Some(e) = first {
            eprintln!("loadgen: {phase_errors} error(s) in {what}, the first: {e}");
        }
    }
    if opened.answered == 0 {
        anyhow::bail!(
            "no connection to {addr} was answered ({})",
            opened.first_error.as_deref().unwrap_or("unknown")
        );
    }

    let mut summary = Summary::new("hold")
        .put("connections", opts.connections)
        .put("answered_start", opened.answered)
        .put("answered_end", ended.answered)
        .put("errors", opened.errors + ended.errors)
        .num("open_s", open_took.as_secs_f64(), 2);
    if let (Some(before), Some(held), Some(after)) = (before, held, after) {
        summary = summary
            .put("rss_before_kib", before.rss_kib)
            .put("rss_held_kib", held.rss_kib)
            .put("rss_after_kib", after.rss_kib)
            .put("threads_before", before.threads)
            .put("threads_held", held.threads)
            .put("threads_after", after.threads)
            .num("settle_s", settle_took.as_secs_f64(), 2);
    }
    Ok(summary)
}
