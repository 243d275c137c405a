// ANCHOR: args
//! Lesson 2: bind a fixed UDP port and print what arrives (seed 000, "udp绑定信息").
//!
//! ```text
//! cargo run -p udp-bound-receiver            # listening on 127.0.0.1:7788
//! cargo run -p udp-sender -- -m 你好          # in a second terminal
//! ```
//!
//! A sender's port changes every run, because the system picks it. A receiver
//! binds a port of its own choosing, so senders know where to send.

use std::process::ExitCode;

use clap::Parser;
use net_common::cli::{self, ServerArgs};
use net_common::{errors, say, sockets, stop, text};

/// Binds a UDP port and prints each datagram that arrives, with its sender.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    #[command(flatten)]
    net: ServerArgs,

    /// Port to bind; 0 lets the system pick a free one (the listening on line shows it)
    #[arg(long, short, default_value_t = 7788)]
    port: u16,

    /// Stop after N datagrams (the seed receives one); without it, run until Ctrl-C
    #[arg(long, short = 'n', value_name = "N")]
    count: Option<u64>,

    /// Bytes to receive per datagram, as in recvfrom(1024); longer datagrams are cut
    #[arg(long, default_value_t = 1024, value_name = "BYTES",
          value_parser = clap::value_parser!(u16).range(1..))]
    buffer: u16,
}

fn main() -> ExitCode {
    errors::main(run)
}
// ANCHOR_END: args

// ANCHOR: run
fn run() -> anyhow::Result<()> {
    let args: Args = cli::parse();

    // 1. udp_socket = socket(AF_INET, SOCK_DGRAM)
    // 2. udp_socket.bind(('127.0.0.1', 7788))
    //    The seed binds '' (every interface); we bind loopback unless --host says otherwise.
    let udp_socket = sockets::udp_bound(args.net.addr(args.port)?)?;
    let local_addr = udp_socket
        .local_addr()
        .map_err(|e| errors::io("getsockname", e))?;
    // Ctrl-C says "stopping (Ctrl-C)" and ends the program, which closes the socket.
    // Installed before we say we are listening, so an early Ctrl-C is handled too.
    stop::on_ctrl_c(|| ())?;
    sockets::announce_listening(local_addr);

    let mut recv_data = vec![0u8; usize::from(args.buffer)];
    let mut received = 0;
    while args.count.is_none_or(|count| received < count) {
        // 3. recv_data = udp_socket.recvfrom(1024)
        let (len, real_len, sender) = sockets::recv_from_with_length(&udp_socket, &mut recv_data)
            .map_err(|e| errors::io("recvfrom", e))?;
        received += 1;

        // 4. print(recv_data[0].decode('gbk')), with the sender that recvfrom also returns.
        //    Anybody can send us anything: its control characters are shown, not obeyed.
        let decoded = args.net.encoding.decode(&recv_data[..len]);
        let text = text::printable(&decoded);
        if len < real_len {
            say!("from {sender} (truncated: {real_len} bytes sent, first {len} kept): {text}");
        } else {
            say!("from {sender}: {text}");
        }
    }

    // 5. udp_socket.close(): dropping the socket closes it.
    Ok(())
}
// ANCHOR_END: run
