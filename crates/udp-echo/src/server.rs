//! `udp-echo server`: seed 001's UDP server, which answers every datagram it receives.

use std::io::ErrorKind;

use net_common::cli::LegacyServerArgs;
use net_common::say;
use net_common::stop::Stop;
use net_common::{errors, sockets};

use crate::chance::Chance;

// ANCHOR: args
/// Flags of `udp-echo server`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[command(flatten)]
    net: LegacyServerArgs<9999>,

    /// Share of datagrams to drop on purpose, from 0 (none) to 1 (all), to see the client retry
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = parse_rate)]
    drop_rate: f64,

    /// Seed for choosing the dropped datagrams, to repeat a run exactly [default: from the clock]
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
}
// ANCHOR_END: args

// ANCHOR: run
pub fn run(args: &Args) -> anyhow::Result<()> {
    // 1. serversocket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    // 2. serversocket.bind((host, 9999))
    //    The seed binds socket.gethostname(), an address other machines can reach;
    //    we bind loopback unless --host says otherwise.
    let serversocket = sockets::udp_bound(args.net.addr()?)?;
    let local = serversocket
        .local_addr()
        .map_err(|e| errors::io("getsockname", e))?;
    // Ctrl-C sends us an empty datagram, so the blocked recvfrom returns at once.
    // Installed before the first line, so a Ctrl-C right after it is caught too.
    let stop = Stop::for_udp_server(local)?;
    // print('Bind UDP on 9999...')
    sockets::announce_listening(local);
    if args.drop_rate > 0.0 {
        say!(
            "dropping {}% of datagrams on purpose (--drop-rate {})",
            args.drop_rate * 100.0,
            args.drop_rate
        );
    }
    let mut chance = args.seed.map_or_else(Chance::from_clock, Chance::new);

    let mut data = [0u8; 1024];
    loop {
        // 3. data, addr = serversocket.recvfrom(1024)
        let (len, real_len, addr) = match sockets::recv_from_with_length(&serversocket, &mut data) {
            Ok(received) => received,
            // Windows reports here that an earlier answer found nobody listening
            // (ICMP "port unreachable"). That costs the vanished client, not the server.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionReset | ErrorKind::ConnectionRefused
                ) =>
            {
                continue;
            }
            Err(e) => return Err(errors::io("recvfrom", e)),
        };
        if stop.requested() {
            say!("stopping (Ctrl-C)");
            break;
        }
        let data = &data[..len];

        // print('Received from %s:%s.' % addr), with what was received.
        let text = args.net.encoding.decode(data);
        let text = text.trim_end_matches(['\r', '\n']);
        let cut = if len < real_len {
            format!(" (truncated: {real_len} bytes sent, first {len} kept)")
        } else {
            String::new()
        };
        if chance.happens(args.drop_rate) {
            say!("from {addr}: {text}{cut} -> dropped on purpose");
            continue;
        }

        // 4. serversocket.sendto(b'Hello, %s!' % data, addr)
        let answer = greeting(data);
        match serversocket.send_to(&answer, addr) {
            Ok(_) => {
                let answer = args.net.encoding.decode(&answer);
                say!("from {addr}: {text}{cut} -> {}", answer.trim_end());
            }
            // One client's trouble (say, an answer too long for a datagram) is not the server's.
            Err(e) => say!(
                "from {addr}: {text}{cut} -> could not answer: {}",
                errors::plain(&e)
            ),
        }
    }

    // 5. Dropping the socket closes it (the seed's loop never ends, so it never closes).
    Ok(())
}
// ANCHOR_END: run

// ANCHOR: greeting
/// `b'Hello, %s!' % data`, built from bytes as the seed does, so the answer is in
/// whatever encoding the client used ("Hello, " and "!" are the same bytes in UTF-8
/// and GBK). One change: a line ending the client sent (`nc` sends one) goes after
/// the "!" instead of before it.
fn greeting(data: &[u8]) -> Vec<u8> {
    let line = data.strip_suffix(b"\n").unwrap_or(data);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let ending = &data[line.len()..];
    [b"Hello, ", line, b"!", ending].concat()
}
// ANCHOR_END: greeting

/// Parses `--drop-rate`: a share from 0 to 1.
fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(p) if (0.0..=1.0).contains(&p) => Ok(p),
        _ => Err(format!(
            "'{text}' is not a share between 0 and 1 (0.5 drops half)"
        )),
    }
}

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

    #[test]
    fn the_drop_rate_is_a_share() {
        assert_eq!(parse_rate("0.5"), Ok(0.5));
        assert_eq!(parse_rate("1"), Ok(1.0));
        assert!(parse_rate("1.5").is_err());
        assert!(parse_rate("-0.1").is_err());
        assert!(parse_rate("NaN").is_err());
        assert!(parse_rate("half").is_err());
    }
}
