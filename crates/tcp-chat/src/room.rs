//! The room: the seed's `socket_list`, with a queue of lines for each member.
use std::collections::HashMap;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread;
use std::time::{Duration, Instant};

use net_common::say;

use crate::server::ServerOpts;

/// Every member by id, and the server's options.
pub struct Room {
    pub members: Mutex<HashMap<u64, Member>>,
    pub opts: ServerOpts,
}

pub struct Member {
    pub addr: SocketAddr,
    pub stream: Arc<TcpStream>,
    /// Encoded lines, each shared (`Arc`, not copied) by every queue it is in.
    pub queue: Sender<Arc<[u8]>>,
    /// Bytes in `queue` that its writer has not sent yet.
    pub queued: usize,
}

impl Room {
    /// `socket_list.append(s)`; returns the other end of its queue, for its writer.
    pub fn join(&self, id: u64, addr: SocketAddr, stream: Arc<TcpStream>) -> Receiver<Arc<[u8]>> {
        let (queue, lines) = mpsc::channel();
        let member = Member {
            addr,
            stream,
            queue,
            queued: 0,
        };
        self.lock().insert(id, member);
        lines
    }

    /// `socket_list.remove(s)`: how many are left, or None if it was dropped already.
    pub fn leave(&self, id: u64) -> Option<usize> {
        let mut members = self.lock();
        members.remove(&id).map(|_| members.len())
    }

    /// Queues `text` for every member. One whose queue would grow past
    /// `--max-queue` bytes is dropped: it reads more slowly than the room talks.
    pub fn broadcast(&self, text: &str) {
        let line = self.encode(text);
        let max = self.opts.max_queue as usize;
        let mut over = Vec::new();
        for (&id, member) in self.lock().iter_mut() {
            if member.queued + line.len() > max {
                over.push(id);
            } else if member.queue.send(line.clone()).is_ok() {
                member.queued += line.len();
            }
        }
        for id in over {
            self.drop_member(id, &format!("it fell {max} bytes behind (--max-queue)"));
        }
    }

    /// Takes a member out for `why`, tells the room, and ends its connection.
    pub fn drop_member(&self, id: u64, why: &str) {
        let Some(member) = self.lock().remove(&id) else {
            return; // it had left already
        };
        // Wakes its writer (stuck in send?) with an error, its reader with the end.
        let _ = member.stream.shutdown(Shutdown::Both);
        let text = format!("* {} was dropped: {why} ({} here)", member.addr, self.len());
        say!("{text}");
        self.broadcast(&text);
    }

    pub fn tell(&self, id: u64, text: &str) {
        let line = self.encode(text);
        if let Some(member) = self.lock().get_mut(&id) {
            member.queued += line.len();
            let _ = member.queue.send(line);
        }
    }

    pub fn sent(&self, id: u64, bytes: usize) {
        if let Some(member) = self.lock().get_mut(&id) {
            member.queued -= bytes;
        }
    }

    /// Ctrl-C: says `text` to everyone and waits until it is sent, at most `within`.
    /// Nobody is taken out (so nobody "left"): the program exits, the kernel closes.
    pub fn close(&self, text: &str, within: Duration) {
        self.broadcast(text);
        let deadline = Instant::now() + within;
        while self.lock().values().any(|m| m.queued > 0) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(10));
        }
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// `content.encode('utf-8')`, plus the newline that ends each message on the wire.
    fn encode(&self, text: &str) -> Arc<[u8]> {
        let mut bytes = self.opts.net.encoding.encode(text).into_owned();
        bytes.push(b'\n');
        bytes.into()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Member>> {
        // A panicking connection thread must not take the whole room with it.
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
