//! The chat client: a thread prints the room while the main thread sends what you type.

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread;

use clap::Args;
use net_common::cli::{LegacyClientArgs, Messages};
use net_common::say;
use net_common::{Encoding, errors, sockets};

/// Joins the room: prints what everyone says, and sends each line you type.
#[derive(Args, Debug)]
pub struct ClientOpts {
    #[command(flatten)]
    net: LegacyClientArgs<3000>,

    #[command(flatten)]
    input: Messages,
}

// ANCHOR: run
pub fn run(opts: ClientOpts) -> anyhow::Result<()> {
    let encoding = opts.net.encoding;
    let server = opts.net.addr()?;

    // 1. s = socket.socket(); s.connect(('127.0.0.1', 3000))
    let s = sockets::tcp_connect(server, opts.net.timeout())?;
    let me = s.local_addr().map_err(|e| errors::io("getsockname", e))?;
    say!("connected to {server} as {me}; type a line to send it, \"exit\" or Ctrl-D to leave");

    // 2. threading.Thread(target=read_from_server, args=(s, )).start()
    let leaving = Arc::new(AtomicBool::new(false));
    let (finished, reader_done) = mpsc::channel();
    let reader_s = s.try_clone().map_err(|e| errors::io("dup", e))?;
    let reader_leaving = leaving.clone();
    thread::Builder::new()
        .spawn(move || {
            read_from_server(&reader_s, encoding, &reader_leaving);
            let _ = finished.send(());
        })
        .map_err(|e| errors::io("starting the reader thread", e))?;

    // 3. while True: line = input(''); if line is None or line == 'exit': break
    for line in opts.input.lines() {
        if line == "exit" {
            break;
        }
        // 4. s.send(line.encode('utf-8')), plus the newline that marks where the
        //    message ends: the seed sends none, and TCP keeps no message boundaries.
        let mut data = encoding.encode(&line).into_owned();
        data.push(b'\n');
        if let Err(e) = (&s).write_all(&data) {
            // The server is gone: the reader thread says so and ends the program.
            let _ = reader_done.recv_timeout(opts.net.timeout());
            return Err(errors::io("send", e));
        }
    }

    // 5. Leave. shutdown(SHUT_WR) tells the server we are done; it relays what we
    //    sent, then closes its end, and the reader thread prints the room until then.
    leaving.store(true, Ordering::SeqCst);
    let _ = s.shutdown(Shutdown::Write);
    let _ = reader_done.recv_timeout(opts.net.timeout());
    Ok(())
}
// ANCHOR_END: run

// ANCHOR: read_from_server
/// def read_from_server(s): while True: print(s.recv(2048).decode('utf-8'))
///
/// The seed's loop never ends: when the server goes away, recv returns b'' forever.
/// Here the end of the stream ends the program, because the main thread is blocked
/// reading the keyboard and nothing can wake it.
fn read_from_server(s: &TcpStream, encoding: Encoding, leaving: &AtomicBool) {
    // A character can be split between two reads; the decoder keeps its first bytes.
    let mut decoder = encoding.stream_decoder();
    let mut buf = [0u8; 2048];
    let mut at_line_start = true;
    let mut show = |text: &str| {
        if !text.is_empty() {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            at_line_start = text.ends_with('\n');
        }
    };
    let reset = loop {
        match (&mut &*s).read(&mut buf) {
            Ok(0) => break false,
            Ok(n) => show(&decoder.feed(&buf[..n])),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break true,
        }
    };
    show(&decoder.finish());
    if !at_line_start {
        say!();
    }
    if leaving.load(Ordering::SeqCst) {
        return; // we left, so the server closing its end is expected
    }
    if reset {
        say!("server closed the connection (reset)");
    } else {
        say!("server closed the connection");
    }
    std::process::exit(0);
}
// ANCHOR_END: read_from_server
