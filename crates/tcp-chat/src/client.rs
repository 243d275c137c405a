//! The chat client: a thread prints the room while the main thread sends what you type.
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::mpsc::{self, Receiver};
use std::thread;

use clap::Args;
use net_common::cli::{ClientArgs, Messages};
use net_common::text::{LineBuffer, printable};
use net_common::{Encoding, errors, say, sockets};

/// Joins the room: prints what everyone says, and sends each line you type.
#[derive(Args, Debug)]
pub struct ClientOpts {
    #[command(flatten)]
    net: ClientArgs,
    /// The server's port
    #[arg(long, short, default_value_t = 3000)]
    port: u16,
    #[command(flatten)]
    input: Messages,
}

pub fn run(opts: ClientOpts) -> anyhow::Result<()> {
    let (encoding, timeout) = (opts.net.encoding, opts.net.timeout());
    // 1. s = socket.create_connection(('127.0.0.1', 3000)): each address in turn
    let mut s = sockets::create_connection(&opts.net.host, opts.port, timeout)?;
    let server = s.peer_addr().map_err(|e| errors::io("getpeername", e))?;
    let me = s.local_addr().map_err(|e| errors::io("getsockname", e))?;
    say!("connected to {server} as {me}; type a line to send it, \"exit\" or Ctrl-D to leave");

    // 2. threading.Thread(target=read_from_server, args=(s, )).start()
    //    with its own handle on the socket (try_clone is Python's dup)
    let reader = s.try_clone().map_err(|e| errors::io("dup", e))?;
    let (leaving, left) = mpsc::channel();
    thread::Builder::new()
        .spawn(move || read_from_server(reader, encoding, &left))
        .map_err(|e| errors::io("starting the reader thread", e))?;

    // 3. while True: line = input(''); if line is None or line == 'exit': break
    for line in opts.input.lines().take_while(|line| line != "exit") {
        // 4. s.send(line.encode('utf-8')), plus the newline that ends a message
        let mut data = encoding.encode(&line).into_owned();
        data.push(b'\n');
        s.write_all(&data).map_err(|e| errors::io("send", e))?;
    }
    // 5. Leave: shutdown(SHUT_WR) tells the server we are done. It relays what we
    //    sent, then closes its end, and then the reader thread ends the program.
    let _ = leaving.send(());
    let _ = s.shutdown(Shutdown::Write);
    thread::sleep(timeout);
    Ok(())
}

/// def read_from_server(s): while True: print(s.recv(2048).decode('utf-8'))
/// The seed's loop never ends (recv returns b'' forever when the server has
/// gone); here the end of the stream ends the program.
fn read_from_server(mut s: TcpStream, encoding: Encoding, left: &Receiver<()>) {
    // TCP may cut a line, or a character, between two reads: the buffer keeps
    // the bytes until the line is whole, and decodes each line on its own.
    let mut lines = LineBuffer::new(encoding, 64 * 1024);
    let mut buf = [0u8; 2048];
    loop {
        let n = match s.read(&mut buf) {
            Ok(n @ 1..) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Ok(_) | Err(_) => break, // the end of the stream, or a reset
        };
        // Shown safely: an ESC or a CR cannot clear the screen or fake a line.
        for line in lines.push(&buf[..n]) {
            say!("{}", printable(&line));
        }
    }
    if let Some(rest) = lines.finish() {
        say!("{}", printable(&rest));
    }
    if left.try_recv().is_err() {
        say!("server closed the connection"); // and not because we left
    }
    std::process::exit(0);
}
