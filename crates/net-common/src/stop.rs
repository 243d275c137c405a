//! Ctrl-C that stops a server at once, even while it is blocked in `accept` or `recvfrom`.
//!
//! In Python, Ctrl-C raises KeyboardInterrupt in the main thread and the seed dies
//! with a traceback. Here the handler runs on its own thread: it sets a flag, then
//! wakes the blocked call by reaching the server's own address, a connection for
//! TCP or an empty datagram for UDP. The woken loop sees the flag and ends cleanly.
//! Polling with a timeout instead would make every stop up to one timeout slow.
//!
//! A second Ctrl-C ends the program at once, with exit code 130.

use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::sockets;

/// Installs the Ctrl-C handler of a server: on Ctrl-C (SIGINT) it says
/// `stopping (Ctrl-C)`, runs `goodbye` (a chat room tells its members), and
/// ends the program with exit code 0.
///
/// Exiting is the whole stop: the kernel closes every socket the program still
/// has, and each connected client sees a clean end of stream (a FIN), just as
/// when the Python seed dies. Nothing has to wake a blocked `accept` or `recv`,
/// so the stop is as quick with no file descriptors left as at any other time.
/// Install it before the `listening on` line, so Ctrl-C works as soon as anyone
/// can connect.
pub fn on_ctrl_c(goodbye: impl Fn() + Send + 'static) -> anyhow::Result<()> {
    ctrlc::set_handler(move || {
        crate::say!("stopping (Ctrl-C)");
        goodbye();
        crate::out::flush(Duration::from_millis(300));
        std::process::exit(0);
    })
    .map_err(|e| anyhow::anyhow!("cannot install the Ctrl-C handler: {e}"))
}

/// Whether Ctrl-C (SIGINT) was pressed. Cheap to clone and check.
#[derive(Clone, Debug, Default)]
pub struct Stop {
    requested: Arc<AtomicBool>,
}

impl Stop {
    /// Installs the Ctrl-C handler: it sets the flag, then calls `wake`.
    /// Only one handler can be installed per program.
    pub fn on_ctrl_c(wake: impl Fn() + Send + 'static) -> anyhow::Result<Stop> {
        let stop = Stop::default();
        let flag = stop.clone();
        ctrlc::set_handler(move || {
            if flag.requested.swap(true, Ordering::SeqCst) {
                // Pressed twice: the program did not stop; do not make the user wait.
                std::process::exit(130);
            }
            wake();
        })
        .map_err(|e| anyhow::anyhow!("cannot install the Ctrl-C handler: {e}"))?;
        Ok(stop)
    }

    /// For a TCP server listening on `local`: Ctrl-C wakes its blocked `accept`.
    pub fn for_tcp_server(local: SocketAddr) -> anyhow::Result<Stop> {
        let target = sockets::reachable(local);
        Stop::on_ctrl_c(move || {
            let _ = TcpStream::connect_timeout(&target, Duration::from_millis(500));
        })
    }

    /// For a UDP server bound to `local`: Ctrl-C wakes its blocked `recvfrom`
    /// with an empty datagram.
    pub fn for_udp_server(local: SocketAddr) -> anyhow::Result<Stop> {
        let target = sockets::reachable(local);
        Stop::on_ctrl_c(move || {
            if let Ok(socket) = sockets::udp_client(target) {
                let _ = socket.send_to(&[], target);
            }
        })
    }

    /// Whether Ctrl-C was pressed.
    pub fn requested(&self) -> bool {
        self.requested.load(Ordering::SeqCst)
    }

    /// Asks for the stop by hand, as Ctrl-C would (without waking anything).
    pub fn request(&self) {
        self.requested.store(true, Ordering::SeqCst);
    }
}

/// Wakes a UDP socket's blocked `recv_from` from the same program, e.g. when a
/// client's reader thread should end.
pub fn wake_udp(socket: &UdpSocket) {
    if let Ok(local) = socket.local_addr() {
        let target = sockets::reachable(local);
        if let Ok(waker) = sockets::udp_client(target) {
            let _ = waker.send_to(&[], target);
        }
    }
}
