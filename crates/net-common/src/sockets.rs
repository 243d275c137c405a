//! Socket builders over socket2. Each names the Python call it stands for, so a
//! lesson can read like its seed: create the socket, bind, listen, accept.
//!
//! std's `TcpListener::bind` does socket + bind + listen in one call and hides the
//! backlog (it always passes 128). These builders keep the steps and the backlog visible.

use std::io;
use std::net::{
    IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream, ToSocketAddrs, UdpSocket,
};
use std::time::Duration;

use socket2::{Domain, Protocol, SockRef, Socket, Type};

use crate::errors;

/// Turns `--host` and `--port` into an address, as Python's `getaddrinfo` does
/// inside `bind` and `sendto`. An IP address is used as it is; a name goes to
/// the system resolver, and its first answer is taken.
pub fn resolve(host: &str, port: u16) -> anyhow::Result<SocketAddr> {
    let first = resolve_all(host, port)?.into_iter().next();
    first.ok_or_else(|| errors::unknown_host(host))
}

/// Every address `host` stands for (`localhost` may be both ::1 and 127.0.0.1);
/// an empty list is reported by the caller.
fn resolve_all(host: &str, port: u16) -> anyhow::Result<Vec<SocketAddr>> {
    // A bare "::1" is accepted as well as "[::1]".
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    // A name not spelled like a host name (dot-separated labels of letters, digits, '-'
    // and '_', none empty, at most 253 in all) is refused without asking a DNS server.
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_';
    let label = |l: &str| (1..=63).contains(&l.len()) && l.bytes().all(allowed);
    if bare.len() > 253 || !bare.split('.').all(label) {
        return Err(errors::unknown_host(host));
    }
    let found = (bare, port).to_socket_addrs();
    Ok(found.map_err(|_| errors::unknown_host(host))?.collect())
}

/// `socket.socket(AF_INET or AF_INET6, SOCK_STREAM)`: the family follows the address.
pub fn tcp_socket(addr: SocketAddr) -> io::Result<Socket> {
    Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))
}

/// `socket.socket(AF_INET or AF_INET6, SOCK_DGRAM)`.
pub fn udp_socket(addr: SocketAddr) -> io::Result<Socket> {
    Socket::new(Domain::for_address(addr), Type::DGRAM, Some(Protocol::UDP))
}

/// `s.bind((host, port))`, with the one-line error a learner can act on.
pub fn bind(socket: &Socket, addr: SocketAddr) -> anyhow::Result<()> {
    socket.bind(&addr.into()).map_err(|e| errors::bind(addr, e))
}

/// A listening TCP socket, step by step as in the seeds:
///
/// ```text
/// s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
/// s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
/// s.bind((host, port))
/// s.listen(backlog)
/// ```
///
/// SO_REUSEADDR is the one step the seeds leave out: without it a server restarted
/// within a minute of stopping fails with "address already in use", because the
/// old connections linger in TIME_WAIT. It does not let two servers share a port.
pub fn tcp_listener(addr: SocketAddr, backlog: i32) -> anyhow::Result<TcpListener> {
    let socket = tcp_socket(addr).map_err(|e| errors::io("socket()", e))?;
    socket
        .set_reuse_address(true)
        .map_err(|e| errors::io("setsockopt(SO_REUSEADDR)", e))?;
    bind(&socket, addr)?;
    socket
        .listen(backlog)
        .map_err(|e| errors::io("listen()", e))?;
    Ok(socket.into())
}

/// `clientsocket, addr = serversocket.accept()`: waits for the next connection.
/// A failed accept (the client gave up before we took it, or the process is out of
/// file descriptors) costs that one connection, not the server: it is logged and the
/// wait goes on, after a pause so that a lasting failure does not fill the log.
pub fn accept(listener: &TcpListener) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept() {
            Ok(accepted) => return accepted,
            Err(e) => {
                crate::say!("accept failed: {}", errors::plain(&e));
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// `s = socket.socket(...); s.connect((host, port))`, giving up after `timeout`.
pub fn tcp_connect(addr: SocketAddr, timeout: Duration) -> anyhow::Result<TcpStream> {
    TcpStream::connect_timeout(&addr, timeout).map_err(|e| errors::connect(addr, e))
}

/// `socket.create_connection((host, port), timeout)`: tries each address the name
/// stands for until one accepts, as Python does (the server may listen on only one of
/// `localhost`'s ::1 and 127.0.0.1). If every address fails, the error is the last one's.
pub fn create_connection(host: &str, port: u16, timeout: Duration) -> anyhow::Result<TcpStream> {
    let mut last = None;
    for addr in resolve_all(host, port)? {
        match tcp_connect(addr, timeout) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| errors::unknown_host(host)))
}

/// A UDP socket bound to `addr`: `socket(AF_INET, SOCK_DGRAM)` then `bind((host, port))`.
pub fn udp_bound(addr: SocketAddr) -> anyhow::Result<UdpSocket> {
    let socket = udp_socket(addr).map_err(|e| errors::io("socket()", e))?;
    bind(&socket, addr)?;
    Ok(socket.into())
}

/// A UDP socket with SO_REUSEADDR set before `bind`, so several programs on one
/// machine can bind the same port (each multicast peer needs this):
///
/// ```text
/// s = socket.socket(type=socket.SOCK_DGRAM)
/// s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
/// s.bind((host, port))
/// ```
///
/// The multicast seed sets SO_REUSEADDR after `bind`, where it is too late.
pub fn udp_reusable(addr: SocketAddr) -> anyhow::Result<UdpSocket> {
    let socket = udp_socket(addr).map_err(|e| errors::io("socket()", e))?;
    socket
        .set_reuse_address(true)
        .map_err(|e| errors::io("setsockopt(SO_REUSEADDR)", e))?;
    bind(&socket, addr)?;
    Ok(socket.into())
}

/// A UDP socket for a client that talks to `peer`. Python binds it for you on the
/// first `sendto`, to any address and a port the system picks; this binds the same
/// way, up front, in the peer's family.
pub fn udp_client(peer: SocketAddr) -> anyhow::Result<UdpSocket> {
    let any: IpAddr = match peer {
        SocketAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        SocketAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    udp_bound(SocketAddr::new(any, 0))
}

/// `data, addr = s.recvfrom(bufsize)`, and also the datagram's real length.
/// A datagram longer than the buffer is cut to fit, and Python (like std's `recv_from`)
/// says nothing about the rest. Here a first look with MSG_PEEK | MSG_TRUNC asks the
/// kernel how long the waiting datagram really is, without taking it; then `recv_from`
/// takes it. Returns `(received, real length, sender)`: received < real means truncated.
pub fn recv_from_with_length(
    socket: &UdpSocket,
    buf: &mut [u8],
) -> io::Result<(usize, usize, SocketAddr)> {
    let real = SockRef::from(socket).recv_with_flags(&mut [], libc::MSG_PEEK | libc::MSG_TRUNC)?;
    let (received, sender) = socket.recv_from(buf)?;
    Ok((received, real.max(received), sender))
}

/// `s.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, inet_aton(group) + inet_aton(interface))`:
/// join `group` on the interface that has the address `interface`.
pub fn join_multicast(socket: &UdpSocket, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
    socket.join_multicast_v4(&group, &interface)
}

/// `s.setsockopt(IPPROTO_IP, IP_DROP_MEMBERSHIP, ...)`: leave the group.
pub fn leave_multicast(socket: &UdpSocket, group: Ipv4Addr, interface: Ipv4Addr) -> io::Result<()> {
    socket.leave_multicast_v4(&group, &interface)
}

/// `s.setsockopt(IPPROTO_IP, IP_MULTICAST_IF, inet_aton(interface))`: the interface
/// multicast datagrams leave through. Without it they follow the default route, and
/// on one machine nobody receives them.
pub fn set_multicast_interface(socket: &UdpSocket, interface: Ipv4Addr) -> io::Result<()> {
    SockRef::from(socket).set_multicast_if_v4(&interface)
}

/// `s.setsockopt(IPPROTO_IP, IP_MULTICAST_TTL, ttl)`: how many routers a datagram
/// may cross. 1 keeps it on the local network.
pub fn set_multicast_ttl(socket: &UdpSocket, ttl: u32) -> io::Result<()> {
    socket.set_multicast_ttl_v4(ttl)
}

/// `s.setsockopt(IPPROTO_IP, IP_MULTICAST_LOOP, 1)`: whether this machine's own
/// members of the group receive what it sends.
pub fn set_multicast_loop(socket: &UdpSocket, on: bool) -> io::Result<()> {
    socket.set_multicast_loop_v4(on)
}

/// Prints a server's first line, `listening on <address>`, with the address it really
/// got (so `--port 0` shows the port the system picked), and a note when other machines
/// can reach it. From then on stdout is a log that never makes it wait ([`crate::out`]).
pub fn announce_listening(local: SocketAddr) {
    crate::out::log_mode();
    crate::say!("listening on {local}");
    if !local.ip().is_loopback() {
        crate::say!(
            "note: bound to {}, so other machines can reach this server too (use --host 127.0.0.1 to keep it local)",
            local.ip()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_takes_ips_and_names() {
        assert_eq!(
            resolve("127.0.0.1", 1).unwrap(),
            "127.0.0.1:1".parse().unwrap()
        );
        assert_eq!(resolve("::1", 2).unwrap(), "[::1]:2".parse().unwrap());
        assert_eq!(resolve("[::1]", 2).unwrap(), "[::1]:2".parse().unwrap());
        assert!(resolve("localhost", 3).unwrap().ip().is_loopback());
        // Spelled so that it is refused without a DNS query leaving the machine.
        let e = resolve("no such host", 4).unwrap_err();
        assert!(
            e.to_string().starts_with("unknown host 'no such host'"),
            "{e}"
        );
    }

    #[test]
    fn a_busy_port_is_reported_in_one_line() {
        let first = tcp_listener("127.0.0.1:0".parse().unwrap(), 5).unwrap();
        let addr = first.local_addr().unwrap();
        let e = tcp_listener(addr, 5).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "port {} is already in use by another program (perhaps another lesson; try --port)",
                addr.port()
            )
        );
    }

    #[test]
    fn two_reusable_udp_sockets_share_a_port() {
        let a = udp_reusable("127.0.0.1:0".parse().unwrap()).unwrap();
        let port = a.local_addr().unwrap().port();
        let b = udp_reusable(SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port));
        assert!(b.is_ok(), "{:?}", b.err());
    }

    #[test]
    fn a_truncated_datagram_reports_its_real_length() {
        let receiver = udp_bound("127.0.0.1:0".parse().unwrap()).unwrap();
        let to = receiver.local_addr().unwrap();
        let sender = udp_client(to).unwrap();
        sender.send_to(&[7; 3000], to).unwrap();
        sender.send_to(b"hi", to).unwrap();
        let mut buf = [0; 1024];
        let (got, real, from) = recv_from_with_length(&receiver, &mut buf).unwrap();
        assert_eq!(
            (got, real, from.port()),
            (1024, 3000, sender.local_addr().unwrap().port())
        );
        let (got, real, _) = recv_from_with_length(&receiver, &mut buf).unwrap();
        assert_eq!((got, real, &buf[..2]), (2, 2, &b"hi"[..]));
    }
}
