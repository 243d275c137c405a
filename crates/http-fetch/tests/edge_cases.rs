//! http-fetch's real binary against a raw-socket server inside the test, which
//! answers one connection with canned bytes: every edge case the lesson handles.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::os::unix::fs::FileTypeExt;
use std::path::Path;
use std::process::ExitStatus;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use common::{fetch_in, names, pattern, scratch};
use lesson_testing::{PipedStdout, WAIT, assert_one_line_error};
use net_common::sockets;

/// How the canned server writes its answer.
#[derive(Clone, Copy)]
enum Pace {
    /// One write for everything.
    AtOnce,
    /// One write per byte, with Nagle off, so the client sees many tiny reads.
    ByteByByte,
}

/// The canned server's thread: it returns the request it read and its listener.
type Served = JoinHandle<(Vec<u8>, TcpListener)>;

/// Serves one connection on 127.0.0.1: reads the request head, writes `answer`,
/// closes. The handle returns the request bytes and the listener (to check that
/// nobody connected again).
fn serve(answer: Vec<u8>, pace: Pace) -> (SocketAddr, Served) {
    serve_on("127.0.0.1:0", answer, pace).unwrap()
}

fn serve_on(bind: &str, answer: Vec<u8>, pace: Pace) -> std::io::Result<(SocketAddr, Served)> {
    let listener = TcpListener::bind(bind)?;
    let addr = listener.local_addr()?;
    let handle = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(WAIT)).unwrap();
        conn.set_write_timeout(Some(WAIT)).unwrap();
        let mut request = Vec::new();
        let mut byte = [0; 1];
        while !request.ends_with(b"\r\n\r\n") && request.len() < 65536 {
            match conn.read(&mut byte) {
                Ok(1) => request.push(byte[0]),
                _ => break,
            }
        }
        // The client may stop reading early (a head over the limit): ignore write errors.
        match pace {
            Pace::AtOnce => {
                let _ = conn.write_all(&answer);
            }
            Pace::ByteByByte => {
                conn.set_nodelay(true).unwrap();
                for b in &answer {
                    if conn.write_all(&[*b]).is_err() {
                        break;
                    }
                }
            }
        }
        (request, listener)
    });
    Ok((addr, handle))
}

fn url(addr: SocketAddr, path: &str) -> String {
    format!("http://{addr}{path}")
}

/// A 200 head with the `extra` header lines (each ending in CRLF).
fn ok_head(extra: &str) -> String {
    format!("HTTP/1.1 200 OK\r\nServer: canned\r\n{extra}\r\n")
}

/// A 200 answer with a Content-Length body.
fn ok_with_body(extra: &str, body: &[u8]) -> Vec<u8> {
    let head = ok_head(&format!("{extra}Content-Length: {}\r\n", body.len()));
    [head.as_bytes(), body].concat()
}

/// What one fetch from the canned server gave.
struct Exchange {
    addr: SocketAddr,
    status: ExitStatus,
    stdout: String,
    stderr: String,
    /// The request bytes the server received.
    request: Vec<u8>,
    /// The server's listener, to check that nobody connected again.
    listener: TcpListener,
}

/// Serves `answer` once and runs `http-fetch http://ADDR{path} ARGS...` in `dir`.
fn exchange(
    dir: &Path,
    answer: impl Into<Vec<u8>>,
    pace: Pace,
    path: &str,
    args: &[&str],
) -> Exchange {
    let (addr, server) = serve(answer.into(), pace);
    let mut all = vec![url(addr, path)];
    all.extend(args.iter().map(|a| a.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let (status, stdout, stderr) = fetch_in(dir, &all);
    let (request, listener) = server.join().unwrap();
    Exchange {
        addr,
        status,
        stdout,
        stderr,
        request,
        listener,
    }
}

#[test]
fn the_request_is_written_byte_for_byte_with_crlf() {
    let dir = scratch("request");
    let x = exchange(
        &dir,
        ok_with_body("", b""),
        Pace::AtOnce,
        "/a b/x.txt?q=1#frag",
        &["--show-request"],
    );
    assert!(x.status.success(), "{}", x.stderr);
    let (addr, version) = (x.addr, env!("CARGO_PKG_VERSION"));
    let expected = format!(
        "GET /a%20b/x.txt?q=1 HTTP/1.0\r\nHost: {addr}\r\nUser-Agent: http-fetch/{version} (socket lesson 8)\r\nConnection: close\r\n\r\n"
    );
    assert_eq!(String::from_utf8_lossy(&x.request), expected);
    let shown = format!(
        "connected to {addr}\n> GET /a%20b/x.txt?q=1 HTTP/1.0\\r\\n\n> Host: {addr}\\r\\n\n> User-Agent: http-fetch/{version} (socket lesson 8)\\r\\n\n> Connection: close\\r\\n\n> \\r\\n\nHTTP/1.1 200 OK\n"
    );
    assert!(x.stdout.starts_with(&shown), "{}", x.stdout);
    assert_eq!(std::fs::read(dir.join("x.txt")).unwrap(), b"");
}

#[test]
fn a_content_length_body_is_saved_under_the_last_path_segment() {
    let dir = scratch("content-length");
    let body = pattern(200_000);
    // Bytes after the declared length are not part of the body.
    let answer = [ok_with_body("", &body), b"EXTRA".to_vec()].concat();
    let x = exchange(&dir, answer, Pace::AtOnce, "/files/data.bin", &[]);
    assert!(x.status.success(), "{}", x.stderr);
    assert_eq!(
        x.stdout,
        format!(
            "connected to {}\nHTTP/1.1 200 OK\nServer: canned\nContent-Length: 200000\nsaved 200000 bytes to data.bin\n",
            x.addr
        )
    );
    assert_eq!(std::fs::read(dir.join("data.bin")).unwrap(), body);
    assert_eq!(names(&dir), ["data.bin"], "no .part is left behind");
}

#[test]
fn a_chunked_body_is_refused_with_one_line_and_nothing_saved() {
    // We ask in HTTP/1.0, so a server should not chunk; one that does anyway is
    // refused rather than saved with the chunk sizes inside the file.
    let dir = scratch("chunked");
    let answer = ok_head("Transfer-Encoding: chunked\r\n") + "4\r\nWiki\r\n0\r\n\r\n";
    let x = exchange(&dir, answer, Pace::AtOnce, "/", &["-o", "wiki.txt"]);
    assert_eq!(x.status.code(), Some(1), "{}", x.stdout);
    assert_one_line_error(&x.stderr);
    assert!(
        x.stderr
            .contains("'Transfer-Encoding: chunked', not decoded in this lesson"),
        "{}",
        x.stderr
    );
    assert!(
        names(&dir).is_empty(),
        "nothing is saved: {:?}",
        names(&dir)
    );
}

#[test]
fn without_content_length_the_body_ends_when_the_server_closes() {
    let dir = scratch("until-close");
    let body = pattern(100_000);
    let answer = [
        &b"HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n"[..],
        &body,
    ]
    .concat();
    let x = exchange(&dir, answer, Pace::AtOnce, "/", &[]);
    assert!(x.status.success(), "{}", x.stderr);
    assert_eq!(std::fs::read(dir.join("index.html")).unwrap(), body);
    assert!(x.stdout.contains("\nHTTP/1.0 200 OK\n"), "{}", x.stdout);
}

#[test]
fn a_body_cut_short_is_an_error_and_stays_a_part_file() {
    let dir = scratch("short");
    let answer = ok_head("Content-Length: 100\r\n") + "0123456789";
    let x = exchange(&dir, answer, Pace::AtOnce, "/big.bin", &[]);
    assert_eq!(x.status.code(), Some(1));
    assert_one_line_error(&x.stderr);
    assert!(
        x.stderr.contains("the server closed the connection after 10 of 100 body bytes (what arrived is kept in big.bin.part)"),
        "{}",
        x.stderr
    );
    assert_eq!(names(&dir), ["big.bin.part"]);
    assert_eq!(
        std::fs::read(dir.join("big.bin.part")).unwrap(),
        b"0123456789"
    );
}

#[test]
fn a_head_over_64_kib_is_refused() {
    let dir = scratch("big-head");
    let padding = format!("X-Padding: {}\r\n", "p".repeat(70_000));
    let x = exchange(&dir, ok_with_body(&padding, b"hi"), Pace::AtOnce, "/", &[]);
    assert_eq!(x.status.code(), Some(1));
    assert_eq!(x.stderr, "error: the response head is larger than 64 KiB\n");
    assert_eq!(x.stdout, format!("connected to {}\n", x.addr));
    assert!(names(&dir).is_empty());
}

#[test]
fn a_server_that_sends_one_byte_at_a_time_is_read_whole() {
    let dir = scratch("byte-by-byte");
    let answer = ok_with_body(
        "Content-Type: text/plain; charset=utf-8\r\n",
        "你好!\n".as_bytes(),
    );
    let x = exchange(&dir, answer, Pace::ByteByByte, "/slow.txt", &[]);
    assert!(x.status.success(), "{}", x.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("slow.txt")).unwrap(),
        "你好!\n"
    );
    assert!(
        x.stdout
            .contains("Content-Type: text/plain; charset=utf-8\n"),
        "{}",
        x.stdout
    );
}

#[test]
fn a_301_is_reported_with_its_location_and_not_followed() {
    let dir = scratch("redirect");
    let answer = "HTTP/1.1 301 Moved Permanently\r\nLocation: /new/place.html\r\nContent-Length: 9\r\n\r\nmoved on!";
    let x = exchange(&dir, answer, Pace::AtOnce, "/old.html", &[]);
    assert_eq!(x.status.code(), Some(3), "a redirect exits 3: {}", x.stderr);
    assert_eq!(
        x.stdout,
        format!(
            "connected to {}\nHTTP/1.1 301 Moved Permanently\nLocation: /new/place.html\nContent-Length: 9\nredirect to /new/place.html (not followed)\n",
            x.addr
        )
    );
    assert_eq!(x.stderr, "");
    assert!(names(&dir).is_empty());
    x.listener.set_nonblocking(true).unwrap();
    let again = x.listener.accept().map(|_| ()).map_err(|e| e.kind());
    assert_eq!(
        again,
        Err(ErrorKind::WouldBlock),
        "the redirect was followed"
    );
}

#[test]
fn names_from_hostile_urls_stay_in_the_current_directory() {
    let outer = scratch("hostile");
    for (path, expected) in [
        ("/../../etc/passwd", "passwd"),
        ("/%2e%2e", "index.html"),
        ("/%2e%2e/%2e%2e/", "index.html"),
        ("/%2e%2e%2f%2e%2e%2fhostile-probe", "_.._hostile-probe"),
        ("/dir//", "index.html"),
        ("/.profile", "profile"),
        ("/%00%0d%0a", "___"),
    ] {
        let inner = outer.join("cwd");
        std::fs::create_dir(&inner).unwrap();
        let x = exchange(&inner, ok_with_body("", b"safe"), Pace::AtOnce, path, &[]);
        assert!(x.status.success(), "{path}: {}", x.stderr);
        assert_eq!(
            names(&outer),
            ["cwd"],
            "{path} wrote outside the current directory"
        );
        assert_eq!(names(&inner), [expected], "{path}");
        assert_eq!(std::fs::read(inner.join(expected)).unwrap(), b"safe");
        std::fs::remove_dir_all(&inner).unwrap();
    }
    assert!(!Path::new("/etc/hostile-probe").exists());
}

#[test]
fn dash_sends_the_body_to_stdout_and_the_head_to_stderr() {
    let dir = scratch("stdout");
    let x = exchange(
        &dir,
        ok_with_body("", b"line one\nline two\n"),
        Pace::AtOnce,
        "/x.txt",
        &["-o", "-"],
    );
    assert!(x.status.success(), "{}", x.stderr);
    assert_eq!(x.stdout, "line one\nline two\n");
    assert!(
        x.stderr
            .starts_with(&format!("connected to {}\nHTTP/1.1 200 OK\n", x.addr)),
        "{}",
        x.stderr
    );
    assert!(names(&dir).is_empty());
}

#[test]
fn a_device_or_a_pipe_is_written_directly_without_a_part_file() {
    let dir = scratch("devices");
    let body = pattern(300_000);
    let x = exchange(
        &dir,
        ok_with_body("", &body),
        Pace::AtOnce,
        "/",
        &["-o", "/dev/null"],
    );
    assert!(x.status.success(), "{}", x.stderr);
    assert!(
        x.stdout.ends_with("wrote 300000 bytes to /dev/null\n"),
        "{}",
        x.stdout
    );
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    assert!(!Path::new("/dev/null.part").exists());

    let fifo = dir.join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let x = exchange(
        &dir,
        ok_with_body("", &body),
        Pace::AtOnce,
        "/",
        &["-o", "pipe"],
    );
    assert!(x.status.success(), "{}", x.stderr);
    assert_eq!(reader.join().unwrap(), body);
    assert_eq!(names(&dir), ["pipe"]);
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
}

#[test]
fn an_error_status_saves_nothing() {
    let dir = scratch("404");
    let answer = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nnot here!";
    let x = exchange(&dir, answer, Pace::AtOnce, "/gone.txt", &[]);
    assert_eq!(x.status.code(), Some(1));
    assert_eq!(
        x.stderr,
        "error: the server answered 404 Not Found; nothing saved\n"
    );
    assert!(
        x.stdout.contains("\nHTTP/1.1 404 Not Found\n"),
        "{}",
        x.stdout
    );
    assert!(names(&dir).is_empty());
}

#[test]
fn an_interim_103_is_not_taken_for_the_page() {
    // A server must not send a 1xx to an HTTP/1.0 request; one that does is an error.
    let dir = scratch("103");
    let answer = [
        &b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n"[..],
        &ok_with_body("", b"ok\n"),
    ]
    .concat();
    let x = exchange(&dir, answer, Pace::AtOnce, "/", &[]);
    assert_eq!(x.status.code(), Some(1), "{}", x.stdout);
    assert_eq!(
        x.stderr,
        "error: the server answered 103 Early Hints; nothing saved\n"
    );
    assert!(names(&dir).is_empty());
}

#[test]
fn a_silent_server_times_out() {
    let dir = scratch("silent");
    // Listening but never accepting: the connection is made, no answer ever comes.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let started = Instant::now();
    let (status, _, stderr) = fetch_in(&dir, &[&url(addr, "/"), "--timeout", "0.5"]);
    assert!(!status.success());
    assert_one_line_error(&stderr);
    assert!(
        stderr.contains("the server sent nothing for 0.5s (see --timeout)"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    drop(listener);
}

#[test]
fn bad_urls_and_refused_connections_are_one_line_errors() {
    let dir = scratch("bad");
    // A socket bound but not listening holds its port, so no other test can take
    // it, and a connection to it is refused.
    let bound = sockets::tcp_socket("127.0.0.1:0".parse().unwrap()).unwrap();
    sockets::bind(&bound, "127.0.0.1:0".parse().unwrap()).unwrap();
    let free = bound.local_addr().unwrap().as_socket().unwrap();
    for (args, expected) in [
        (
            vec!["https://127.0.0.1/"],
            "error: https:// needs TLS, which is outside this lesson",
        ),
        (
            vec!["ftp://127.0.0.1/"],
            "error: 'ftp://' URLs are not supported",
        ),
        (
            vec!["http://127.0.0.1:http/"],
            "error: 'http' is not a port number",
        ),
        (vec![&url(free, "/")], "error: could not connect to"),
    ] {
        let (status, _, stderr) = fetch_in(&dir, &args);
        assert_eq!(status.code(), Some(1), "{args:?}");
        assert_one_line_error(&stderr);
        assert!(stderr.starts_with(expected), "{args:?}: {stderr}");
    }
    let (status, _, stderr) = fetch_in(&dir, &["http://127.0.0.1/", "--print", "-o", "x"]);
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(names(&dir).is_empty());
}

#[test]
fn an_ipv6_literal_url_works() {
    let dir = scratch("ipv6");
    let Ok((addr, server)) = serve_on("[::1]:0", ok_with_body("", b"v6"), Pace::AtOnce) else {
        eprintln!("skipped: this machine has no ::1");
        return;
    };
    let (status, _, stderr) = fetch_in(&dir, &[&format!("http://[::1]:{}/six", addr.port())]);
    assert!(status.success(), "{stderr}");
    let (request, _) = server.join().unwrap();
    assert!(
        String::from_utf8_lossy(&request).contains(&format!("\r\nHost: [::1]:{}\r\n", addr.port()))
    );
    assert_eq!(std::fs::read(dir.join("six")).unwrap(), b"v6");
}

#[test]
fn a_dripping_server_is_given_up_on_at_max_time() {
    // One byte every 200 ms never lets --timeout 1 fire; --max-time 2 ends it.
    let dir = scratch("drip");
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_write_timeout(Some(WAIT)).unwrap();
        let _ = conn.write_all(ok_head("Content-Length: 1000\r\n").as_bytes());
        // Bounded: at most WAIT, and it stops as soon as the client has gone.
        let started = Instant::now();
        while started.elapsed() < WAIT && conn.write_all(b"x").is_ok() {
            thread::sleep(Duration::from_millis(200));
        }
    });
    let started = Instant::now();
    let args = [&url(addr, "/drip.bin"), "--timeout", "1", "--max-time", "2"];
    let (status, _, stderr) = fetch_in(&dir, &args);
    let took = started.elapsed();
    server.join().unwrap();
    assert_eq!(status.code(), Some(1), "{stderr}");
    assert_one_line_error(&stderr);
    assert!(
        stderr.starts_with("error: gave up: the whole fetch took longer than --max-time allows (what arrived is kept in drip.bin.part)"),
        "{stderr}"
    );
    assert!(
        took >= Duration::from_millis(1900) && took < Duration::from_secs(4),
        "took {took:?}, expected about 2 s"
    );
    assert_eq!(names(&dir), ["drip.bin.part"]);
}

#[test]
fn a_closed_stdout_ends_the_body_quietly() {
    use std::process::{Command, Stdio};
    // `http-fetch URL -o - | head -c 10` and `| true`: exit 0, no panic.
    for keep in [10, 0] {
        let dir = scratch(&format!("epipe-{keep}"));
        let (addr, server) = serve(ok_with_body("", &pattern(4 << 20)), Pace::AtOnce);
        let mut command = Command::new(common::FETCH);
        command
            .args([&url(addr, "/big.bin"), "-o", "-"])
            .current_dir(&*dir)
            .stdin(Stdio::null());
        let mut fetch = PipedStdout::spawn(command);
        assert_eq!(fetch.read_bytes(keep).len(), keep, "the first {keep} bytes");
        fetch.close_stdout();
        let (status, stderr) = fetch.wait_exit(WAIT, "http-fetch did not end");
        assert_eq!(status.code(), Some(0), "keep {keep}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        server.join().unwrap();
    }
}
