// ANCHOR: args
//! `udp-echo server`: seed 001's UDP server, which answers every datagram it receives.

use net_common::cli::ServerArgs;
use net_common::{errors, say, sockets, stop, text};

#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    net: ServerArgs,

    /// Port to bind; 0 lets the system pick a free one (the listening on line shows it)
    #[arg(long, short, default_value_t = 9999)]
    port: u16,

    /// Drop every Nth datagram on purpose (2 drops the 2nd, 4th, 6th, ...), to see the client retry
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    drop_every: Option<u64>,
}
// ANCHOR_END: args

// ANCHOR: run
pub fn run(args: &Args) -> anyhow::Result<()> {
    // 1. serversocket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    // 2. serversocket.bind((host, 9999)): the seed binds socket.gethostname(), which
    //    other machines can reach; we bind loopback unless --host says otherwise.
    let serversocket = sockets::udp_bound(args.net.addr(args.port)?)?;
    let local = serversocket
        .local_addr()
        .map_err(|e| errors::io("getsockname", e))?;
    // Ctrl-C says "stopping (Ctrl-C)" and ends the program, which closes the socket.
    stop::on_ctrl_c(|| ())?;
    // print('Bind UDP on 9999...')
    sockets::announce_listening(local);

    let mut data = [0u8; 1024];
    let mut count: u64 = 0;
    loop {
        // 3. data, addr = serversocket.recvfrom(1024)
        let (len, real_len, addr) = match sockets::recv_from_with_length(&serversocket, &mut data) {
            // Windows says here that an earlier answer found nobody listening (ICMP
            // "port unreachable"): that costs the vanished client, not the server.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => continue,
            received => received.map_err(|e| errors::io("recvfrom", e))?,
        };
        count += 1;
        let data = &data[..len];

        // print('Received from %s:%s.' % addr), with what was received, its control
        // characters shown rather than obeyed (anybody can send us anything).
        let text = args.net.encoding.decode(data);
        let text = text::printable(text.trim_end_matches(['\r', '\n']));
        let cut = if len < real_len {
            format!(" (truncated: {real_len} bytes sent, first {len} kept)")
        } else {
            String::new()
        };
        if args.drop_every.is_some_and(|n| count % n == 0) {
            say!("from {addr}: {text}{cut} -> dropped on purpose");
            continue;
        }

        // 4. serversocket.sendto(b'Hello, %s!' % data, addr)
        match serversocket.send_to(&greeting(data), addr) {
            Ok(_) => say!("from {addr}: {text}{cut} -> Hello, {text}!"),
            // One client's trouble (say, an answer too long for a datagram) is not the server's.
            Err(e) => say!(
                "from {addr}: {text}{cut} -> could not answer: {}",
                errors::plain(&e)
            ),
        }
    }
    // 5. The loop never ends, as in the seed: Ctrl-C ends the program and closes the socket.
}

/// `b'Hello, %s!' % data`, built from bytes as the seed does, so the answer is in
/// whatever encoding the client used ("Hello, " and "!" are the same bytes in UTF-8
/// and GBK). One change: a line ending the client sent (`nc` sends one) goes after
/// the "!" instead of before it. The client uses it too, to know which answer to expect.
pub fn greeting(data: &[u8]) -> Vec<u8> {
    let line = data.strip_suffix(b"\n").unwrap_or(data);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let ending = &data[line.len()..];
    [b"Hello, ", line, b"!", ending].concat()
}
// ANCHOR_END: run

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_greeting_wraps_the_message_and_keeps_its_line_ending_last() {
        assert_eq!(greeting(b"Michael"), b"Hello, Michael!");
        assert_eq!(greeting(b"nc\n"), b"Hello, nc!\n");
        assert_eq!(greeting(b"win\r\n"), b"Hello, win!\r\n");
        assert_eq!(greeting(b""), b"Hello, !");
        // GBK bytes pass through untouched.
        assert_eq!(greeting(b"\xc4\xe3"), b"Hello, \xc4\xe3!");
    }
}
