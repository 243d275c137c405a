//! Lesson 8: an HTTP/1.1 GET over a plain TCP socket (seed 001, "创建一个远程连接",
//! and seed 004, "访问网页的示例").
//!
//! Serve a directory in one terminal, fetch from it in another:
//!
//! ```text
//! python3 -m http.server 8000 --bind 127.0.0.1       # serves the current directory
//! cargo run -p http-fetch                             # GET http://127.0.0.1:8000/ -> index.html
//! cargo run -p http-fetch -- http://127.0.0.1:8000/ --show-request --print
//! cargo run -p http-fetch -- http://127.0.0.1:8000/Cargo.toml -o /tmp/Cargo.toml
//! cargo run -p http-fetch -- http://127.0.0.1:8000/Cargo.toml -o - | head
//! ```
//!
//! The lesson's point: HTTP is just bytes on a TCP stream. The request is a few
//! lines of text we write ourselves, each ending in CRLF ("\r\n"; the seed 004's
//! bare "\n" is a bug that many servers forgive and some do not). The answer is
//! a head of text lines, an empty line, then the body's bytes.
//!
//! Where the seeds keep the whole answer in memory, this streams the body through
//! one 256 KiB buffer, and it knows where the body ends (Content-Length, chunked,
//! or the server closing), so a download cut short is an error, not a short file.
//!
//! Simplifications: http:// only (no TLS), one GET, redirects are reported but
//! not followed, only the first address a host name resolves to is tried.

mod chunked;
mod head;
mod output;
mod url;

use std::fmt::Display;
use std::io::{self, ErrorKind, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{anyhow, bail};
use clap::Parser;
use net_common::cli::{self, parse_seconds};
use net_common::{Encoding, errors, sockets};

use chunked::ChunkedDecoder;
use head::Framing;
use output::{Output, TextDecoder};
use url::Url;

/// The one buffer every recv goes through: the head (at most 64 KiB), then the body.
/// A recv takes whatever has arrived, up to the buffer's size. With 64 KiB, a fast
/// local server left this program making about 60% more recvs than curl in some
/// runs, at twice the CPU; with 256 KiB it keeps up (scripts/bench.sh, 1 GiB).
const BUFFER: usize = 256 * 1024;

/// Exit code for a redirect (3xx): not an error, not the page either.
const EXIT_REDIRECT: u8 = 3;

// ANCHOR: args
/// Fetches an http:// URL with a GET written by hand: prints the status line and headers, saves the body.
#[derive(Parser, Debug)]
#[command(
    version,
    after_help = "Exit status: 0 the body was saved (2xx); 1 an error, including a URL it cannot \
                  fetch, 4xx and 5xx (nothing is saved) and a body cut short (kept as \
                  FILE.part); 2 a mistake in the flags; 3 a redirect (3xx), reported with its \
                  Location and not followed."
)]
struct Args {
    /// The http:// URL to fetch (https:// needs TLS, which is outside this lesson)
    #[arg(default_value = "http://127.0.0.1:8000/")]
    url: String,

    /// Save the body as FILE (written as FILE.part, renamed when complete); - for stdout
    /// [default: the URL's last path segment, or index.html]
    #[arg(short, long, value_name = "FILE", conflicts_with = "print")]
    output: Option<PathBuf>,

    /// Show the body as text instead of saving it, decoded with the charset from Content-Type
    #[arg(long)]
    print: bool,

    /// How --print decodes a body whose Content-Type names no charset: utf8, gbk, or auto
    #[arg(long, short, default_value_t = Encoding::Auto)]
    encoding: Encoding,

    /// Print the request, line by line with its CRLFs, before sending it
    #[arg(long)]
    show_request: bool,

    /// Seconds to wait for the connection, and for each read, before giving up
    #[arg(long, short, default_value_t = 10.0, value_parser = parse_seconds)]
    timeout: f64,
}
// ANCHOR_END: args

fn main() -> ExitCode {
    let mut redirected = false;
    let code = errors::main(|| {
        redirected = run()?;
        Ok(())
    });
    if redirected {
        ExitCode::from(EXIT_REDIRECT)
    } else {
        code
    }
}

// ANCHOR: request
/// The request, byte for byte: request line, headers, each ending in CRLF, and
/// an empty line to end the head. A GET has no body.
fn request(url: &Url) -> String {
    format!(
        "GET {target} HTTP/1.1\r\n\
         Host: {host}\r\n\
         User-Agent: http-fetch/{version} (socket lesson 8)\r\n\
         Connection: close\r\n\
         \r\n",
        target = url.target,
        host = url.host_header(),
        version = env!("CARGO_PKG_VERSION"),
    )
}
// ANCHOR_END: request

// ANCHOR: run
/// Returns whether the answer was a redirect.
fn run() -> anyhow::Result<bool> {
    let args: Args = cli::parse();
    let url = Url::parse(&args.url)?;
    let timeout = Duration::from_secs_f64(args.timeout);
    // With the body on stdout (-o -), everything else goes to stderr.
    let mut info: Box<dyn Write> = if args.output.as_deref() == Some(Path::new("-")) {
        Box::new(io::stderr())
    } else {
        Box::new(io::stdout())
    };

    // 1. s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    //    s.connect(('www.sina.com.cn', 80))
    //    Python's connect looks the name up itself; here that step is visible.
    let addr = sockets::resolve(&url.host, url.port)?;
    let mut s = sockets::tcp_connect(addr, timeout)?;
    // The seed would wait forever for a server that stops sending.
    s.set_read_timeout(Some(timeout))
        .and_then(|()| s.set_write_timeout(Some(timeout)))
        .map_err(|e| errors::io("setsockopt(SO_RCVTIMEO)", e))?;

    // 2. s.send(b'GET / HTTP/1.1\r\nHost: www.sina.com.cn\r\nConnection: close\r\n\r\n')
    //    "Connection: close" asks the server to close when done, which is how the
    //    seed's recv loop knows to stop. write_all is Python's sendall: a plain
    //    send may write only the first part.
    let request = request(&url);
    if args.show_request {
        for line in request.split_inclusive("\r\n") {
            say(
                &mut info,
                format!("> {}\\r\\n", line.trim_end_matches("\r\n")),
            )?;
        }
    }
    s.write_all(request.as_bytes())
        .map_err(|e| errors::io("send", e))?;

    // 3. d = s.recv(1024) until the head is complete; the seed's
    //    header, html = data.split(b'\r\n\r\n', 1) without waiting for the whole body.
    let mut buf = vec![0u8; BUFFER];
    let mut filled = 0;
    let head = loop {
        let (head, body_bytes) =
            head::read(&mut buf, filled, |into| recv(&mut s, into, args.timeout))?;
        filled = body_bytes;
        // 4. print(header.decode('utf-8'))
        for line in head.lines() {
            say(&mut info, line)?;
        }
        // A 1xx (such as 103 Early Hints) is only a preview: the real answer follows.
        if !head.is_interim() {
            break head;
        }
    };

    if (300..400).contains(&head.code) {
        let note = match head.header("location") {
            Some(location) => format!(
                "redirect to {} (not followed: fetch that URL to go there)",
                url.join(&String::from_utf8_lossy(location))
            ),
            None => "a redirect without a Location (not followed)".to_owned(),
        };
        say(&mut info, note)?;
        return Ok(true);
    }
    if !(200..300).contains(&head.code) {
        bail!(
            "the server answered {} {}; nothing saved",
            head.code,
            head.reason
        );
    }
    let framing = head.framing()?;

    // 5. with open('sina.html', 'wb') as f: f.write(html), piece by piece.
    let mut output = if args.print {
        let (decoder, note) =
            TextDecoder::for_content_type(head.header("content-type"), args.encoding);
        if let Some(note) = note {
            eprintln!("note: {note}");
        }
        say(&mut info, "")?;
        Output::Text {
            decoder,
            out: io::stdout(),
            ends_line: true,
        }
    } else {
        let path = args.output.unwrap_or_else(|| url.file_name().into());
        Output::to_path(&path)?
    };
    let result = copy_body(
        &mut s,
        &mut buf,
        filled,
        framing,
        &mut output,
        &mut *info,
        args.timeout,
    );
    if let Err(e) = result {
        return Err(match output.kept() {
            Some(part) => anyhow!("{e:#} (what arrived is kept in {})", part.display()),
            None => e,
        });
    }
    if let Some(done) = output.finish()? {
        say(&mut info, done)?;
    }

    // 6. s.close(): dropping the socket closes it.
    Ok(false)
}
// ANCHOR_END: run

// ANCHOR: copy_body
/// The seed's recv loop (`while True: d = s.recv(1024); if d: ... else: break`),
/// writing each piece out instead of keeping them all, and stopping where the
/// framing says the body ends. `buf[..filled]` holds body bytes already received.
fn copy_body(
    s: &mut TcpStream,
    buf: &mut [u8],
    mut filled: usize,
    framing: Framing,
    output: &mut Output,
    info: &mut dyn Write,
    timeout: f64,
) -> anyhow::Result<()> {
    let mut chunked = ChunkedDecoder::new();
    let mut received: u64 = 0;
    let mut write = |data: &[u8], received: &mut u64| -> anyhow::Result<()> {
        *received += data.len() as u64;
        output
            .write_all(data)
            .map_err(|e| errors::io("writing the body", e))
    };
    loop {
        let data = &buf[..filled];
        let complete = match framing {
            Framing::Length(total) => {
                let left = total - received;
                let take = usize::try_from(left).unwrap_or(usize::MAX).min(data.len());
                write(&data[..take], &mut received)?;
                take as u64 == left
            }
            Framing::Chunked => {
                let mut rest = data;
                while !rest.is_empty() && !chunked.is_done() {
                    let (used, piece) = chunked.decode(rest)?;
                    write(piece, &mut received)?;
                    rest = &rest[used..];
                }
                chunked.is_done()
            }
            Framing::UntilClose => {
                write(data, &mut received)?;
                false
            }
        };
        if complete {
            break;
        }
        // d = s.recv(1024)
        filled = recv(s, buf, timeout)?;
        // if not d: break (the server has closed the connection)
        if filled == 0 {
            match framing {
                Framing::Length(total) => {
                    bail!("the server closed the connection after {received} of {total} body bytes")
                }
                Framing::Chunked => bail!(
                    "the server closed the connection before the last chunk ({received} body bytes received)"
                ),
                Framing::UntilClose => break,
            }
        }
    }
    // Trailer fields come after a chunked body: checksums, signatures, timings.
    for trailer in chunked.trailers() {
        say(
            info,
            format!("trailer: {}", String::from_utf8_lossy(trailer)),
        )?;
    }
    Ok(())
}
// ANCHOR_END: copy_body

/// Prints a line of the head, or a note: on stdout, or on stderr under `-o -`.
fn say(info: &mut dyn Write, line: impl Display) -> anyhow::Result<()> {
    writeln!(info, "{line}").map_err(|e| errors::io("writing to stdout", e))
}

/// `d = s.recv(len(buf))`: how many bytes arrived, 0 once the server has closed.
fn recv(s: &mut TcpStream, buf: &mut [u8], timeout: f64) -> anyhow::Result<usize> {
    loop {
        match s.read(buf) {
            Ok(n) => return Ok(n),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            // A timeout shows as WouldBlock on Linux and TimedOut on Windows.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                bail!("the server sent nothing for {timeout}s (see --timeout)")
            }
            Err(e) => return Err(errors::io("recv", e)),
        }
    }
}
