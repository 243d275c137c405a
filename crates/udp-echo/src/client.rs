//! `udp-echo client`: seed 001's UDP client, which sends each message and prints
//! the answer, with the timeout and retry that UDP needs.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

use net_common::cli::{LegacyClientArgs, Messages};
use net_common::say;
use net_common::stop::Stop;
use net_common::{Encoding, errors, sockets};

// ANCHOR: args
/// Flags of `udp-echo client`.
#[derive(clap::Args, Debug)]
// On loopback an answer takes microseconds, so the shared five seconds would make
// every lost answer a long wait.
#[command(mut_arg("timeout", |timeout| timeout
    .default_value("1")
    .help("Seconds to wait for each answer before sending the message again")))]
pub struct Args {
    #[command(flatten)]
    net: LegacyClientArgs<9999>,

    #[command(flatten)]
    input: Messages,

    /// How many times to send a message again when no answer comes
    #[arg(long, short, value_name = "N", default_value_t = 2)]
    retries: u32,
}
// ANCHOR_END: args

/// How many earlier messages the client remembers, to recognise their late answers.
const REMEMBERED: usize = 16;

// ANCHOR: run
pub fn run(args: &Args) -> anyhow::Result<()> {
    // 1. s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    //    Python binds it on the first sendto; we bind now, to a port the system picks.
    let server = args.net.addr()?;
    let s = sockets::udp_client(server)?;
    let mut earlier: VecDeque<Vec<u8>> = VecDeque::new();
    let (mut answered, mut lost) = (0, 0);
    // Ctrl-C while a wait is under way ends the client at once, with the shell's
    // status for Ctrl-C. A handler of our own also works where SIGINT was inherited
    // as ignored, as a shell's background jobs inherit it.
    let _stop = Stop::on_ctrl_c(|| {
        say!("stopping (Ctrl-C)");
        std::process::exit(130);
    })?;

    // 2. for data in [b'Michael', b'Tracy', b'Sarah']: (seed 004: data = input())
    for line in args.input.lines() {
        // Seed 003's client stops at "exit" without sending it.
        if line == "exit" {
            break;
        }
        let data = args.net.encoding.encode(&line).into_owned();
        if ask(&s, server, &line, &data, &earlier, args)? {
            answered += 1;
        } else {
            lost += 1;
        }

        if earlier.len() == REMEMBERED {
            earlier.pop_front();
        }
        earlier.push_back(data);
    }

    say!("{answered} answered, {lost} lost");
    // 5. s.close(): dropping the socket closes it.
    Ok(())
}
// ANCHOR_END: run

// ANCHOR: ask
/// Sends one message and waits for its answer, up to `--retries` more times, saying
/// what happens each time. Returns whether an answer came.
fn ask(
    s: &UdpSocket,
    server: SocketAddr,
    line: &str,
    data: &[u8],
    earlier: &VecDeque<Vec<u8>>,
    args: &Args,
) -> anyhow::Result<bool> {
    let tries = args.retries.saturating_add(1);
    for attempt in 1..=tries {
        // 3. s.sendto(data, (host, 9999))
        if let Err(e) = s.send_to(data, server) {
            // A line too long for one datagram costs that line, not the rest.
            say!(
                "could not send a {}-byte datagram: {}",
                data.len(),
                errors::plain(&e)
            );
            return Ok(false);
        }
        // 4. print(s.recv(1024).decode('utf-8')), but recv would wait forever
        //    for an answer that UDP never promised, so wait --timeout at most.
        if let Some(answer) = wait_for_answer(s, server, data, earlier, args)? {
            let retried = if attempt > 1 {
                format!(" (try {attempt} of {tries})")
            } else {
                String::new()
            };
            say!("answer from {server}: {answer}{retried}");
            return Ok(true);
        }
        let waited = args.net.timeout;
        if attempt < tries {
            say!("no answer within {waited}s (try {attempt} of {tries}), sending {line:?} again");
        } else {
            say!(
                "no answer within {waited}s (try {attempt} of {tries}): the answer to {line:?} is lost (is the server running?)"
            );
        }
    }
    Ok(false)
}
// ANCHOR_END: ask

// ANCHOR: wait
/// Waits up to `--timeout` for the server's answer to `data` and returns it decoded,
/// or `None` if none came. Datagrams that are not that answer are reported and
/// skipped: one from another address, or a late answer to an earlier message
/// (it contains that message, not this one). An answer that contains no message
/// at all is taken as this one's, for servers that do not echo (seed 003's).
fn wait_for_answer(
    s: &UdpSocket,
    server: SocketAddr,
    data: &[u8],
    earlier: &VecDeque<Vec<u8>>,
    args: &Args,
) -> anyhow::Result<Option<String>> {
    let encoding: Encoding = args.net.encoding;
    let deadline = Instant::now() + args.net.timeout();
    let mut buf = vec![0u8; 65_536];
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        // SO_RCVTIMEO: recvfrom gives up after what is left of the timeout.
        s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
            .map_err(|e| errors::io("setsockopt(SO_RCVTIMEO)", e))?;
        let (len, from) = match s.recv_from(&mut buf) {
            Ok(received) => received,
            // A signal (Ctrl-C) cuts a wait that has a timeout short; its handler ends us.
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            // A timeout shows as WouldBlock on Linux and TimedOut on Windows.
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                return Ok(None);
            }
            // Some systems learn from an ICMP "port unreachable" that nobody listens.
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionRefused | ErrorKind::ConnectionReset
                ) =>
            {
                say!("nothing is listening on {server}");
                return Ok(None);
            }
            Err(e) => return Err(errors::io("recvfrom", e)),
        };
        let reply = &buf[..len];
        let text = encoding.decode(reply);
        let text = text.trim_end();
        if from != server {
            say!("ignored a datagram from {from}, which is not the server: {text}");
        } else if !contains(reply, data) && earlier.iter().any(|old| contains(reply, old)) {
            say!("ignored a late answer to an earlier message: {text}");
        } else {
            return Ok(Some(text.to_owned()));
        }
    }
}
// ANCHOR_END: wait

/// Whether `needle` occurs in `haystack` (the empty message occurs everywhere).
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contains_finds_bytes_anywhere() {
        assert!(contains(b"Hello, Tracy!", b"Tracy"));
        assert!(contains(b"Hello, !", b""));
        assert!(!contains(b"Hello, Tracy!", b"Sarah"));
        assert!(!contains(b"Hi", b"Hello"));
    }
}
