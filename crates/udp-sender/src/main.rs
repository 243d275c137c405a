// ANCHOR: args
//! Lesson 1: send each line as one UDP datagram (seed 000, "udp网络程序-发送数据"
//! and "发送、接收数据").
//!
//! Start lesson 2's receiver in one terminal, then send from another:
//!
//! ```text
//! cargo run -p udp-bound-receiver
//! cargo run -p udp-sender                    # type lines; Ctrl-D ends
//! cargo run -p udp-sender -- -m 你好 -m hello
//! cargo run -p udp-sender -- --reply -m ping # wait for an answer (try lesson 6's server)
//! ```
//!
//! UDP has no connection: each `sendto` is one datagram, sent whether or not
//! anybody listens. Nothing tells the sender it arrived.

use std::io::ErrorKind;
use std::process::ExitCode;

use clap::Parser;
use net_common::cli::{self, ClientArgs, Messages};
use net_common::{errors, say, sockets, text};

/// Sends each line of stdin (or each --message) as one UDP datagram; --reply waits for an answer.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    net: ClientArgs,

    /// The receiver's port (lesson 2's receiver binds 7788)
    #[arg(long, short, default_value_t = 7788)]
    port: u16,

    #[command(flatten)]
    input: Messages,

    /// After each datagram, wait up to --timeout seconds for one answer and print it
    #[arg(long)]
    reply: bool,
}

fn main() -> ExitCode {
    errors::main(run)
}
// ANCHOR_END: args

// ANCHOR: run
fn run() -> anyhow::Result<()> {
    let args: Args = cli::parse();

    // 1. udp_socket = socket(AF_INET, SOCK_DGRAM)
    //    Python binds it on the first sendto; we bind now, to a port the system picks.
    // 2. dest_addr = ('127.0.0.1', 7788)
    let dest_addr = args.net.addr(args.port)?;
    let udp_socket = sockets::udp_client(dest_addr)?;
    // recvfrom would wait forever for an answer that UDP never promised.
    udp_socket
        .set_read_timeout(Some(args.net.timeout()))
        .map_err(|e| errors::io("setsockopt(SO_RCVTIMEO)", e))?;

    // 3. send_data = input(...), once per line until the input ends
    //    (on a terminal it first says "type lines; Ctrl-D ends" on stderr).
    for send_data in args.input.lines() {
        // 4. udp_socket.sendto(send_data.encode('utf-8'), dest_addr)
        let bytes = args.net.encoding.encode(&send_data);
        let sent = udp_socket
            .send_to(&bytes, dest_addr)
            .map_err(|e| errors::io(format!("sendto {dest_addr}"), e))?;
        say!("sent {sent} bytes to {dest_addr}");

        if args.reply {
            // 5. recv_data = udp_socket.recvfrom(1024)
            let mut recv_data = [0u8; 1024];
            match udp_socket.recv_from(&mut recv_data) {
                // 6. print(recv_data[0].decode('gbk')); print(recv_data[1])
                Ok((len, sender)) => {
                    let text = args.net.encoding.decode(&recv_data[..len]);
                    // Anybody can answer: show its control characters, never obey them.
                    say!("reply from {sender}: {}", text::printable(&text));
                }
                // A timeout shows as WouldBlock on Linux and TimedOut on Windows.
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    say!(
                        "no reply within {}s (UDP promises nothing: the datagram or its answer may be lost, or nobody answers)",
                        args.net.timeout
                    );
                }
                // The kernel may learn from an ICMP "port unreachable" that nobody listens.
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                    say!("no reply: nothing is listening on {dest_addr}");
                }
                Err(e) => return Err(errors::io("recvfrom", e)),
            }
        }
    }

    // 7. udp_socket.close(): dropping the socket closes it.
    Ok(())
}
// ANCHOR_END: run
