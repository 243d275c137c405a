// ANCHOR: args
//! Lesson 7: a multicast chat peer (seed 003, "UDP多点广播").
//!
//! Run two or more peers, each in its own terminal, and type lines into any of them:
//!
//! ```text
//! cargo run -p udp-multicast       # joined 230.0.0.1:3000 via 127.0.0.1 (sending from ...)
//! cargo run -p udp-multicast       # a second peer; every line typed reaches both
//! cargo run -p udp-multicast -- -m hello    # send one line to the group and leave
//! ```
//!
//! One datagram sent to the group address reaches every member of the group: the
//! sender needs no list of receivers. Every peer binds the same port, so each sets
//! SO_REUSEADDR before `bind`. On one machine the group lives on the loopback
//! interface: joining through 127.0.0.1 and sending through it (IP_MULTICAST_IF)
//! keeps every datagram here. `--interface` with another address of this machine
//! sends the datagrams out to its network; scripts/lab.sh builds two simulated
//! hosts to try that safely (`ip netns exec alice cargo run -p udp-multicast --
//! --interface 10.99.0.1`).
//!
//! Simplification: IPv4 only, as in the seed (an IPv6 group is joined by interface
//! index, not by address).

use std::io::Write;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4, UdpSocket};
use std::process::ExitCode;
use std::sync::mpsc::{self, Sender};
use std::thread;
use std::time::{Duration, Instant};

use clap::Parser;
use net_common::cli::{self, Messages};
use net_common::{Encoding, errors, say, sockets, stop, text};

/// Joins a multicast group, prints every datagram sent to it, and sends each line of stdin to it.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// The group to join: an IPv4 multicast address (224.0.0.0 to 239.255.255.255)
    #[arg(long, short, default_value = "230.0.0.1", value_parser = parse_group)]
    group: Ipv4Addr,

    /// The port every peer of the group binds; 0 picks a free one (the first line shows it)
    #[arg(long, short, default_value_t = 3000)]
    port: u16,

    /// This machine's address on the interface to join and send through; 127.0.0.1 keeps the group on this machine
    #[arg(long, short, default_value = "127.0.0.1")]
    interface: Ipv4Addr,

    /// How many routers a datagram may cross (IP_MULTICAST_TTL); 1 keeps it on the local network
    #[arg(long, default_value_t = 1)]
    ttl: u8,

    /// How text is decoded and encoded: utf8, gbk, or auto (send UTF-8; read UTF-8, else GBK)
    #[arg(long, short, default_value_t = Encoding::Auto)]
    encoding: Encoding,

    #[command(flatten)]
    input: Messages,
}

fn main() -> ExitCode {
    errors::main(run)
}

fn run() -> anyhow::Result<()> {
    let args: Args = cli::parse();
    // ANCHOR_END: args

    // ANCHOR: setup
    // 1. s = socket.socket(type=socket.SOCK_DGRAM)
    // 2. s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1), before bind (the
    //    seed sets it after, too late for a second peer), then s.bind((..., 3000)).
    //    The seed binds its own address. On Linux a socket bound to 127.0.0.1 (or any
    //    unicast address) receives only datagrams addressed to 127.0.0.1, and a
    //    multicast datagram is addressed to the group, so it would receive nothing.
    //    Binding the group address takes exactly the group's datagrams on this port;
    //    0.0.0.0 works too, but also takes unicast and other groups' datagrams to the
    //    port. (Windows cannot bind a group address; there, bind 0.0.0.0.)
    let s = sockets::udp_reusable(SocketAddr::from((args.group, args.port)))?;
    let port = s
        .local_addr()
        .map_err(|e| errors::io("getsockname", e))?
        .port();
    let group = SocketAddrV4::new(args.group, port);

    // 3. s.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, inet_aton(MYGROUP) + inet_aton(SENDERIP))
    sockets::join_multicast(&s, args.group, args.interface).map_err(|e| {
        anyhow::anyhow!(
            "cannot join {} through {}: {} (is it an address of this machine? try --interface 127.0.0.1)",
            args.group,
            args.interface,
            errors::plain(&e)
        )
    })?;

    // The seed sends from the socket it receives on. Here every peer on one machine
    // binds the same port, so all would show the same sender, 127.0.0.1:3000. A
    // second socket, on a port of its own, makes each peer's sender address tell it
    // apart. The sending options belong to it:
    let sender = sockets::udp_bound(SocketAddr::from((args.interface, 0)))?;
    let me = sender
        .local_addr()
        .map_err(|e| errors::io("getsockname", e))?;
    // 4. s.setsockopt(IPPROTO_IP, IP_MULTICAST_IF, inet_aton(SENDERIP)): without it the
    //    datagrams follow the default route, away from the group's interface.
    sockets::set_multicast_interface(&sender, args.interface)
        .map_err(|e| errors::io("setsockopt(IP_MULTICAST_IF)", e))?;
    // 5. s.setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, 64): the seed's 64 could cross
    //    routers to other networks; 1 stays on this one.
    sockets::set_multicast_ttl(&sender, u32::from(args.ttl))
        .map_err(|e| errors::io("setsockopt(IP_MULTICAST_TTL)", e))?;
    // IP_MULTICAST_LOOP (on by default, said here to be sure): the peers on this
    // machine, this one included, receive what it sends.
    sockets::set_multicast_loop(&sender, true)
        .map_err(|e| errors::io("setsockopt(IP_MULTICAST_LOOP)", e))?;
    // ANCHOR_END: setup

    // ANCHOR: chat
    // Ctrl-C says "stopping (Ctrl-C)", says we left, and ends the program: closing
    // the socket leaves the group. Caught from before the first line on.
    stop::on_ctrl_c(move || say!("left {group}"))?;
    // Printed after the join, so whoever reads it knows this peer hears the group now.
    say!(
        "joined {group} via {} (sending from {me}, TTL {})",
        args.interface,
        args.ttl
    );
    if !args.interface.is_loopback() {
        say!(
            "note: {} is not loopback, so datagrams to the group will now leave this machine (TTL {})",
            args.interface,
            args.ttl
        );
    }

    // 6. threading.Thread(target=read_socket, args=(s,)).start()
    let reader = s.try_clone().map_err(|e| errors::io("dup", e))?;
    let encoding = args.encoding;
    // The reader tells us each time it has printed one of our own datagrams.
    let (heard_mine, mine) = mpsc::channel();
    thread::spawn(move || read_socket(&reader, encoding, me, &heard_mine));

    // 7. while True: line = input(''); if line == 'exit': break
    //        s.sendto(line.encode('utf-8'), (MYGROUP, SENDERPORT))
    let mut sent = 0;
    for line in args.input.lines().take_while(|line| line != "exit") {
        match sender.send_to(&args.encoding.encode(&line), group) {
            Ok(_) => sent += 1,
            // A line too long for one datagram costs that line, not the chat.
            Err(e) => say!("not sent: {}", errors::plain(&e)),
        }
    }
    // What we sent comes back to us too (IP_MULTICAST_LOOP), a moment later. Wait
    // for it, briefly, so that it prints before "left" and not after; a datagram
    // lost on the way, as UDP allows, does not keep us.
    let deadline = Instant::now() + Duration::from_millis(500);
    for _ in 0..sent {
        let left = deadline.saturating_duration_since(Instant::now());
        if mine.recv_timeout(left).is_err() {
            break;
        }
    }

    // 8. The seed never leaves: its os.exit() comes after `break` and never runs.
    //    IP_DROP_MEMBERSHIP tells the interface that this socket no longer listens
    //    (closing the socket would too); the reader thread ends with the program.
    sockets::leave_multicast(&s, args.group, args.interface)
        .map_err(|e| errors::io("setsockopt(IP_DROP_MEMBERSHIP)", e))?;
    say!("left {group}");
    Ok(())
}
// ANCHOR_END: chat

// ANCHOR: read
/// The seed's `read_socket`: prints every datagram sent to the group, with its
/// sender (`recvfrom` instead of the seed's `recv`, which drops the sender).
fn read_socket(sock: &UdpSocket, encoding: Encoding, me: SocketAddr, heard_mine: &Sender<()>) {
    let mut data = [0u8; 2048];
    loop {
        // data = sock.recv(2048)
        match sockets::recv_from_with_length(sock, &mut data) {
            Ok((len, real_len, from)) => {
                let you = if from == me { " (you)" } else { "" };
                // Anybody can send to the group: control characters are shown, not obeyed.
                let decoded = encoding.decode(&data[..len]);
                let text = text::printable(&decoded);
                if len < real_len {
                    say!(
                        "from {from}{you} (truncated: {real_len} bytes sent, first {len} kept): {text}"
                    );
                } else {
                    say!("from {from}{you}: {text}");
                }
                if from == me {
                    let _ = heard_mine.send(());
                }
            }
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "error: {}", errors::io("recvfrom", e));
                return;
            }
        }
    }
}

/// Parses `--group`: only a multicast address can be joined.
fn parse_group(text: &str) -> Result<Ipv4Addr, String> {
    match text.parse::<Ipv4Addr>() {
        Ok(ip) if ip.is_multicast() => Ok(ip),
        Ok(_) => Err(format!(
            "{text} is not a multicast address (use one from 224.0.0.0 to 239.255.255.255, such as 230.0.0.1)"
        )),
        Err(_) => Err(format!("'{text}' is not an IPv4 address")),
    }
}
// ANCHOR_END: read

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_multicast_groups_are_accepted() {
        assert_eq!(parse_group("230.0.0.1"), Ok(Ipv4Addr::new(230, 0, 0, 1)));
        assert!(
            parse_group("127.0.0.1")
                .unwrap_err()
                .contains("not a multicast")
        );
        assert!(parse_group("group").is_err());
    }
}
