//! http-fetch against real web servers, python3's http.server and nginx: the
//! downloaded file must match the served one byte for byte, and what curl saves.
//! nginx's /chunked/ location sends HTTP/1.1 clients (curl) a chunked body; it
//! must send our HTTP/1.0 request the same bytes without chunks.
//! They need those tools, so they are ignored by default; scripts/ci.sh installs
//! the tools and runs them with `cargo test -- --ignored`.

#![allow(clippy::unwrap_used)]

mod common;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{fetch_in, pattern, run_to_end, scratch};
use lesson_testing::{Program, WAIT, have, python};

/// Files to serve: (name on disk, path in the URL, contents).
fn served_files() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    vec![
        ("data.bin", "/data.bin", pattern(3 * 1024 * 1024 + 7)),
        (
            "中文 名.txt",
            "/%E4%B8%AD%E6%96%87%20%E5%90%8D.txt",
            "你好，世界\n".repeat(1000).into_bytes(),
        ),
        ("empty.txt", "/empty.txt", Vec::new()),
    ]
}

fn write_files(root: &Path) {
    for (name, _, contents) in served_files() {
        std::fs::write(root.join(name), contents).unwrap();
    }
}

/// Fetches `base + url_path` with http-fetch and with curl; both must equal `contents`.
/// Returns http-fetch's stdout (the head).
fn fetch_and_compare(
    test: &str,
    base: &str,
    url_path: &str,
    name: &str,
    contents: &[u8],
) -> String {
    let url = format!("{base}{url_path}");
    let ours = scratch(&format!("{test}-ours"));
    let (status, stdout, stderr) = fetch_in(&ours, &[&url]);
    assert!(status.success(), "{url}: {stderr}");
    let got = std::fs::read(ours.join(name)).unwrap();
    assert!(
        got == contents,
        "{url}: http-fetch saved {} bytes, the server has {}",
        got.len(),
        contents.len()
    );

    let theirs = scratch(&format!("{test}-curl"));
    let mut curl = Command::new("curl");
    curl.args(["-sS", "--fail", "-o"])
        .arg(theirs.join("saved"))
        .arg(&url);
    let (status, _, stderr) = run_to_end(curl);
    assert!(status.success(), "curl {url}: {stderr}");
    assert!(
        std::fs::read(theirs.join("saved")).unwrap() == got,
        "{url}: curl saved different bytes"
    );
    stdout
}

/// `python3 -m http.server 0` serving `root` on loopback; returns it and its port.
fn python_http_server(root: &Path) -> (Program, u16) {
    // python -u: unbuffered, so the "Serving HTTP on ... port N" line comes at once.
    let mut server = Program::start(
        "python3",
        &[
            "-u",
            "-m",
            "http.server",
            "0",
            "--bind",
            "127.0.0.1",
            "--directory",
            root.to_str().unwrap(),
        ],
    );
    let line = server.wait_for_text("Serving HTTP on");
    let port = line
        .split(" port ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {line:?}"));
    (server, port)
}

#[test]
#[ignore = "needs python3 and curl (scripts/ci.sh runs it)"]
fn matches_python_http_server_and_curl_byte_for_byte() {
    assert!(
        have("python3") && have("curl"),
        "python3 and curl are needed"
    );
    let root = scratch("python-root");
    write_files(&root);
    let (_server, port) = python_http_server(&root);
    let base = format!("http://127.0.0.1:{port}");
    for (name, url_path, contents) in served_files() {
        let head = fetch_and_compare("python", &base, url_path, name, &contents);
        assert!(
            head.contains(&format!("Content-Length: {}\n", contents.len())),
            "{head}"
        );
    }
}

/// Seed 001's client ("创建一个远程连接"), pointed at a loopback server and path
/// given as arguments instead of www.sina.com.cn: it keeps the whole answer in
/// memory and splits it at the first empty line.
const SEED_CLIENT: &str = r#"
import socket, sys

host, port, path, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.connect((host, port))
s.send(b'GET ' + path.encode() + b' HTTP/1.1\r\nHost: ' + host.encode() + b'\r\nConnection: close\r\n\r\n')
buffer = []
while True:
    d = s.recv(1024)
    if d:
        buffer.append(d)
    else:
        break
data = b''.join(buffer)
header, html = data.split(b'\r\n\r\n', 1)
print(header.decode('utf-8'))
with open(out, 'wb') as f:
    f.write(html)
s.close()
"#;

#[test]
#[ignore = "needs python3 (scripts/ci.sh runs it)"]
fn saves_what_the_seeds_python_client_saves() {
    assert!(have("python3"), "python3 is needed");
    let root = scratch("seed-root");
    write_files(&root);
    let (_server, port) = python_http_server(&root);
    let port = &port.to_string();
    let ours = scratch("seed-ours");
    let (status, stdout, stderr) = fetch_in(&ours, &[&format!("http://127.0.0.1:{port}/data.bin")]);
    assert!(status.success(), "{stderr}");
    let seed_file = ours.join("seed.bin");
    let seed = python(
        SEED_CLIENT,
        &["127.0.0.1", port, "/data.bin", seed_file.to_str().unwrap()],
    );
    let (status, seed_stdout, stderr) = run_to_end(seed);
    assert!(status.success(), "the seed's client failed: {stderr}");
    assert!(std::fs::read(ours.join("data.bin")).unwrap() == std::fs::read(&seed_file).unwrap());
    // Both print the same status line (ours after "connected to ...").
    assert_eq!(
        stdout.lines().nth(1),
        seed_stdout.lines().next(),
        "{stdout}"
    );
}

/// The nginx binary: Debian puts it in /usr/sbin, which a non-root PATH may lack.
fn nginx() -> String {
    if have("nginx") {
        "nginx".to_owned()
    } else {
        "/usr/sbin/nginx".to_owned()
    }
}

/// Stops nginx even when the test fails (SIGINT is nginx's fast shutdown).
struct Nginx(Program);

impl Drop for Nginx {
    fn drop(&mut self) {
        self.0.interrupt();
        let _ = self.0.wait_exit(WAIT);
    }
}

/// Starts our own nginx on a free loopback port, serving `root`. It runs in the
/// foreground as one process (no daemon, no workers), with its pid, logs and
/// temp files inside `dir`, so it needs no setup and leaves nothing behind.
fn start_nginx(dir: &Path, root: &Path) -> (Nginx, SocketAddr) {
    // Let the system pick a free port, then hand it to nginx.
    let addr = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let d = dir.display();
    let config = format!(
        "daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    default_type application/octet-stream;
    server {{
        listen {addr};
        root {root};
        # SSI drops Content-Length, so nginx sends these chunked to HTTP/1.1 clients.
        location /chunked/ {{ ssi on; ssi_types *; alias {root}/; }}
    }}
}}
",
        root = root.display()
    );
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, config).unwrap();
    let mut command = Command::new(nginx());
    command
        .arg("-p")
        .arg(dir)
        .arg("-e")
        .arg(dir.join("error.log"))
        .arg("-c")
        .arg(&conf);
    let server = Nginx(Program::spawn(command));
    // nginx prints nothing when it is ready: try to connect until it answers.
    let deadline = Instant::now() + WAIT;
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        if Instant::now() > deadline {
            let log = std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
            panic!(
                "nginx did not start on {addr}:\n{}\n{log}",
                server.0.stderr()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    (server, addr)
}

#[test]
#[ignore = "needs nginx and curl (scripts/ci.sh runs it)"]
fn matches_nginx_and_curl_byte_for_byte_with_and_without_chunks() {
    assert!(have("curl"), "curl is needed");
    let dir = scratch("nginx");
    let root = dir.join("www");
    std::fs::create_dir(&root).unwrap();
    write_files(&root);
    let (_nginx, addr) = start_nginx(&dir, &root);
    let base = format!("http://{addr}");
    for (name, url_path, contents) in served_files() {
        let head = fetch_and_compare("nginx", &base, url_path, name, &contents);
        assert!(
            head.contains(&format!("Content-Length: {}\n", contents.len())),
            "{head}"
        );
        let head = fetch_and_compare(
            "nginx-chunked",
            &base,
            &format!("/chunked{url_path}"),
            name,
            &contents,
        );
        // SSI drops Content-Length; curl's HTTP/1.1 request gets the body in
        // chunks, but to our HTTP/1.0 request nginx sends it whole and closes.
        assert!(!head.contains("Transfer-Encoding"), "{head}");
    }
}
