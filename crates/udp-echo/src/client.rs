// ANCHOR: args
//! `udp-echo client`: seed 001's UDP client, with the timeout and retry UDP needs.

use std::io::ErrorKind::{ConnectionReset, TimedOut, WouldBlock};
use std::net::{SocketAddr, UdpSocket};
use std::time::Instant;

use net_common::cli::{ClientArgs, Messages};
use net_common::{errors, say, sockets, text};

use crate::server::greeting;

#[derive(clap::Args, Debug)]
// On loopback an answer takes microseconds: wait 1 s for it, not the shared 5 s.
#[command(mut_arg("timeout", |timeout| timeout
    .default_value("1")
    .help("Seconds to wait for each answer before sending the message again")))]
pub struct Args {
    #[command(flatten)]
    net: ClientArgs,

    /// The server's port
    #[arg(long, short, default_value_t = 9999)]
    port: u16,

    #[command(flatten)]
    input: Messages,

    /// How many times to send a message again when no answer comes
    #[arg(long, short, value_name = "N", default_value_t = 2)]
    retries: u32,
}

/// How many earlier messages the client remembers, to recognise their late answers.
const REMEMBERED: usize = 16;
// ANCHOR_END: args

// ANCHOR: run
pub fn run(args: &Args) -> anyhow::Result<()> {
    // 1. s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), bound to a port the system
    //    picks. Ctrl-C ends the client as it ends the seed: at once, wherever it waits.
    let server = args.net.addr(args.port)?;
    let s = sockets::udp_client(server)?;
    // What our server answers to each earlier message, to know a late answer when it comes.
    let mut earlier: Vec<Vec<u8>> = Vec::new();
    let (mut answered, mut lost) = (0, 0);

    // 2. for data in [b'Michael', b'Tracy', b'Sarah']: (seed 004: input()), up to seed 003's "exit"
    for line in args.input.lines().take_while(|line| line != "exit") {
        let data = args.net.encoding.encode(&line);
        match ask(&s, server, &line, &data, &earlier, args)? {
            true => answered += 1,
            false => lost += 1,
        }
        if earlier.len() == REMEMBERED {
            earlier.remove(0);
        }
        earlier.push(greeting(&data));
    }

    say!("{answered} answered, {lost} lost");
    // 5. s.close(): dropping the socket closes it.
    Ok(())
}
// ANCHOR_END: run

// ANCHOR: ask
/// Sends one message and waits for its answer, `--retries` more times at most; true if one came.
fn ask(
    s: &UdpSocket,
    server: SocketAddr,
    line: &str,
    data: &[u8],
    earlier: &[Vec<u8>],
    args: &Args,
) -> anyhow::Result<bool> {
    let (tries, expected) = (args.retries.saturating_add(1), greeting(data));
    let mut buf = [0u8; 65_536];
    for attempt in 1..=tries {
        // 3. s.sendto(data, (host, 9999)); a line too long for one datagram costs that line.
        if let Err(e) = s.send_to(data, server) {
            let why = errors::plain(&e);
            say!("could not send a {}-byte datagram: {why}", data.len());
            return Ok(false);
        }
        // 4. print(s.recv(1024).decode('utf-8')), but recv would wait forever for an
        //    answer that UDP never promised: each recvfrom waits what is left of --timeout.
        let deadline = Instant::now() + args.net.timeout();
        let time_left = || deadline.checked_duration_since(Instant::now());
        while let Some(left) = time_left().filter(|left| !left.is_zero()) {
            s.set_read_timeout(Some(left))
                .map_err(|e| errors::io("setsockopt(SO_RCVTIMEO)", e))?;
            let (len, from) = match s.recv_from(&mut buf) {
                // Time is up: WouldBlock on Linux, TimedOut on Windows (where ConnectionReset
                // says that an ICMP "port unreachable" came back: nobody listens).
                Err(e) if matches!(e.kind(), WouldBlock | TimedOut | ConnectionReset) => break,
                received => received.map_err(|e| errors::io("recvfrom", e))?,
            };
            let reply = &buf[..len];
            // Anybody can send us anything: control characters are shown, not obeyed.
            let text = text::printable(args.net.encoding.decode(reply).trim_end()).into_owned();
            if from != server || is_late(reply, &expected, earlier) {
                say!("ignored a datagram from {from} that is not the answer to {line:?}: {text}");
            } else if attempt == 1 {
                say!("answer from {server}: {text}");
                return Ok(true);
            } else {
                say!("answer from {server}: {text} (try {attempt} of {tries})");
                return Ok(true);
            }
        }
        let waited = args.net.timeout;
        let waited = format!("no answer within {waited}s (try {attempt} of {tries})");
        if attempt < tries {
            say!("{waited}, sending {line:?} again");
        } else {
            say!("{waited}: the answer to {line:?} is lost (is the server running?)");
        }
    }
    Ok(false)
}
/// Whether `reply` is our server's answer to an earlier message, not this one's. Whole
/// answers are compared ("Hello, ab!" contains "a"); other servers' answers pass as this one's.
fn is_late(reply: &[u8], expected: &[u8], earlier: &[Vec<u8>]) -> bool {
    reply != expected && earlier.iter().any(|old| old == reply)
}
// ANCHOR_END: ask

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_earlier_message_s_exact_answer_is_late() {
        let earlier = [greeting(b"ab"), greeting(b"Tracy")];
        assert!(is_late(b"Hello, ab!", b"Hello, a!", &earlier));
        assert!(!is_late(b"Hello, a!", b"Hello, a!", &earlier));
        // The same message again: its answer is this one's.
        assert!(!is_late(b"Hello, ab!", b"Hello, ab!", &earlier));
        // Another server's answers are taken as they come.
        assert!(!is_late(b"toyato", b"Hello, a!", &earlier));
    }
}
