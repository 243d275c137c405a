// ANCHOR: top
//! Lesson 8: an HTTP GET over a plain TCP socket (seeds 001 "创建一个远程连接" and
//! 004 "访问网页的示例"). Try it with `python3 scripts/http-server.py`.

mod head;
mod output;
mod url;

use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use clap::Parser;
use net_common::cli::{self, parse_seconds};
use net_common::{errors, say, sockets};

use output::Output;
use url::Url;

/// The one buffer every recv goes through: the head (at most 64 KiB), then the body.
const BUFFER: usize = 128 * 1024;

/// Fetches an http:// URL with a GET written by hand: prints the status line and headers, saves the body.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Exit status: 0 saved (2xx); 1 an error, a 4xx or 5xx, a body cut short or \
                  --max-time passed (kept as FILE.part); 2 a bad flag; 3 a redirect (3xx)."
)]
struct Args {
    /// The http:// URL to fetch (https:// needs TLS, which is outside this lesson)
    #[arg(default_value = "http://127.0.0.1:8000/")]
    url: String,
    /// Save the body as FILE (written as FILE.part, renamed when complete); - for stdout
    /// [default: the URL's last path segment, or index.html]
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Print the request, line by line with its CRLFs, before sending it
    #[arg(long)]
    show_request: bool,
    /// Seconds to wait for the connection, and for each read: how long the server may stay silent
    #[arg(long, short, default_value_t = 10.0, value_parser = parse_seconds)]
    timeout: f64,
    /// Seconds the whole fetch may take, however the server paces its bytes (like curl's)
    #[arg(long, value_name = "SECONDS", default_value_t = 60.0, value_parser = parse_seconds)]
    max_time: f64,
}

fn main() -> ExitCode {
    errors::main(run)
}

/// The request, byte for byte: lines ending in CRLF, then an empty line. HTTP/1.0,
/// where the seeds write 1.1: a 1.1 client must read bodies sent in chunks and
/// interim 1xx responses; to a 1.0 client a server sends the body as it is.
fn request(url: &Url) -> String {
    let (target, host, version) = (&url.target, url.host_header(), env!("CARGO_PKG_VERSION"));
    format!(
        "GET {target} HTTP/1.0\r\n\
         Host: {host}\r\n\
         User-Agent: http-fetch/{version} (socket lesson 8)\r\n\
         Connection: close\r\n\
         \r\n"
    )
}
// ANCHOR_END: top

// ANCHOR: run
fn run() -> Result<()> {
    let args: Args = cli::parse();
    let url = Url::parse(&args.url)?;
    // With the body on stdout (-o -), other lines go to stderr (not by eprintln!: it panics).
    let to_stderr = args.output.as_deref() == Some("-".as_ref());
    let show = |line: &str| {
        if to_stderr {
            let _ = writeln!(io::stderr(), "{line}");
        } else {
            say!("{line}");
        }
    };

    // 1. s = socket.socket(socket.AF_INET, socket.SOCK_STREAM); s.connect((host, 80)):
    //    create_connection tries each address the name stands for, as Python's does.
    let deadline = Instant::now() + Duration::from_secs_f64(args.max_time);
    let timeout = Duration::from_secs_f64(args.timeout);
    let connect_wait = timeout.min(Duration::from_secs_f64(args.max_time));
    let s = sockets::create_connection(&url.host, url.port, connect_wait)?;
    let mut s = Conn {
        s,
        timeout,
        deadline,
    };
    show(&format!("connected to {}", s.s.peer_addr()?));

    // 2. s.send(b'GET / HTTP/1.1\r\nHost: www.sina.com.cn\r\nConnection: close\r\n\r\n')
    //    "Connection: close" is how the seed's recv loop knows to stop. write_all
    //    is Python's sendall: a plain send may write only the first part.
    let request = request(&url);
    for line in request.lines().filter(|_| args.show_request) {
        show(&format!("> {line}\\r\\n"));
    }
    s.s.set_write_timeout(Some(s.wait()?))?;
    s.s.write_all(request.as_bytes())
        .map_err(|e| errors::io("send", e))?;

    // 3. d = s.recv(1024) until the head is complete: the seed's
    //    header, html = data.split(b'\r\n\r\n', 1) without waiting for the whole body.
    let mut buf = vec![0u8; BUFFER];
    let (head, filled) = head::read(&mut buf, |into| s.recv(into))?;
    // 4. print(header.decode('utf-8'))
    for line in head.lines() {
        show(&line);
    }
    if (300..400).contains(&head.code) {
        let to = head.values("location").next().unwrap_or("?");
        show(&format!("redirect to {to} (not followed)"));
        std::process::exit(3); // not an error, and not the page either
    }
    let (code, reason) = (head.code, &head.reason);
    if !(200..300).contains(&code) {
        bail!("the server answered {code} {reason}; nothing saved");
    }
    let length = head.length()?;

    // 5. with open('sina.html', 'wb') as f: f.write(html), piece by piece.
    let mut output = output::open(&args.output.unwrap_or_else(|| url.file_name().into()))?;
    let copied = copy(&mut s, &mut buf, filled, length, &mut output);
    if let Some(done) = output.finish(copied)? {
        show(&done);
    }
    Ok(()) // 6. s.close(): dropping the socket closes it.
}
// ANCHOR_END: run

// ANCHOR: copy
/// Copies the body, `buf[..n]` first: the seed's `while True: d = s.recv(1024) ...`,
/// writing each piece out instead of keeping them all, and stopping after `len` bytes if known.
fn copy(s: &mut Conn, buf: &mut [u8], n: usize, len: Option<u64>, out: &mut Output) -> Result<()> {
    // Bytes still to come; "until the server closes" never counts down to 0.
    let (mut left, mut filled) = (len.unwrap_or(u64::MAX), n);
    loop {
        let take = filled.min(usize::try_from(left).unwrap_or(usize::MAX));
        out.write(&buf[..take])?;
        left -= take as u64;
        if left == 0 {
            return Ok(());
        }
        // d = s.recv(1024); if not d: break (the server has closed the connection)
        filled = s.recv(buf)?;
        if filled == 0 {
            let Some(total) = len else { return Ok(()) };
            let got = out.written;
            bail!("the server closed the connection after {got} of {total} body bytes");
        }
    }
}
// ANCHOR_END: copy

// ANCHOR: conn
/// The socket and its two clocks. `--timeout` bounds each wait, so a silent server
/// is given up on; one that drips a byte a second is not, so `--max-time` bounds all.
struct Conn {
    s: TcpStream,
    timeout: Duration,
    deadline: Instant,
}

impl Conn {
    /// How long the next step may wait: `--timeout`, or less when the deadline is nearer.
    fn wait(&self) -> Result<Duration> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            bail!("gave up: the whole fetch took longer than --max-time allows");
        }
        Ok(left.min(self.timeout))
    }

    /// `d = s.recv(len(buf))`: how many bytes arrived, 0 once the server has closed.
    fn recv(&mut self, buf: &mut [u8]) -> Result<usize> {
        loop {
            // Python's s.settimeout(wait): the read gives up after that long.
            let wait = self.wait()?;
            self.s.set_read_timeout(Some(wait))?;
            match self.s.read(buf) {
                Ok(n) => return Ok(n),
                // If it was the deadline that ended the wait, wait() says so next time round.
                Err(e) if e.kind() == ErrorKind::WouldBlock && wait < self.timeout => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    let secs = self.timeout.as_secs_f64();
                    bail!("the server sent nothing for {secs}s (see --timeout)")
                }
                Err(e) => return Err(errors::io("recv", e)),
            }
        }
    }
}
// ANCHOR_END: conn
