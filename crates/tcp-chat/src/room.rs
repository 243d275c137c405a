//! The room: who is in it, and for each member a queue of lines still to send.
//!
//! The seed keeps `socket_list` and, in the thread that read a message, calls
//! `send` on every socket in turn. One client that stops reading fills its socket's
//! buffers; then that `send` blocks, and with it the sender's thread and every
//! message after it. Here a broadcast only puts the line in each member's queue,
//! which never blocks (`try_send`), and each member's own writer thread does the
//! `send`. A queue that is full means its client has stopped reading: it is dropped.
//!
//! Memory stays bounded: every queue holds the same lines, shared (`Arc`), not
//! copied, so however many clients stall, the lines held are the last `--queue`
//! ones, each at most about `--max-line` bytes.

use std::collections::HashMap;
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use net_common::Encoding;
use net_common::say;

/// One encoded line, ready for the wire, shared by every member's queue.
pub type Line = Arc<[u8]>;

/// Every member, and what to do with a line for them.
pub struct Room {
    members: Mutex<Members>,
    queue_len: usize,
    encoding: Encoding,
}

#[derive(Default)]
struct Members {
    next_id: u64,
    by_id: HashMap<u64, Member>,
}

struct Member {
    addr: SocketAddr,
    queue: SyncSender<Line>,
    stream: Arc<TcpStream>,
}

impl Room {
    /// A room whose members may each have `queue_len` lines waiting to be sent.
    pub fn new(queue_len: usize, encoding: Encoding) -> Self {
        Room {
            members: Mutex::default(),
            queue_len,
            encoding,
        }
    }

    /// How many members there are.
    pub fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    // ANCHOR: join
    /// Adds a member: `socket_list.append(s)`. Returns its id and the other end of
    /// its queue, for its writer thread.
    pub fn join(&self, addr: SocketAddr, stream: Arc<TcpStream>) -> (u64, Receiver<Line>) {
        // A bounded queue: sync_channel(n) holds n lines, then try_send says Full.
        let (queue, lines) = mpsc::sync_channel(self.queue_len);
        let mut members = self.lock();
        members.next_id += 1;
        let id = members.next_id;
        members.by_id.insert(
            id,
            Member {
                addr,
                queue,
                stream,
            },
        );
        (id, lines)
    }
    // ANCHOR_END: join

    /// Takes a member out: `socket_list.remove(s)`. Its writer sends what is still
    /// queued, then closes the connection. Returns how many members are left.
    pub fn leave(&self, id: u64) -> usize {
        let mut members = self.lock();
        members.by_id.remove(&id);
        members.by_id.len()
    }

    // ANCHOR: broadcast
    /// Queues `text` for every member, and drops each member whose queue is full.
    pub fn broadcast(&self, text: &str) {
        let line = self.encode(text);
        let mut dropped = Vec::new();
        {
            let mut members = self.lock();
            let full: Vec<u64> = members
                .by_id
                .iter()
                .filter(|(_, member)| {
                    // Disconnected means its writer has ended (the connection broke);
                    // its reader thread will see that and take it out.
                    matches!(
                        member.queue.try_send(line.clone()),
                        Err(TrySendError::Full(_))
                    )
                })
                .map(|(id, _)| *id)
                .collect();
            dropped.extend(full.iter().filter_map(|id| members.by_id.remove(id)));
        }
        // Printing can block (a paused terminal), so never while holding the lock.
        for member in dropped {
            say!(
                "dropped {}: it stopped reading (its queue of {} lines is full)",
                member.addr,
                self.queue_len
            );
            // Its writer is stuck in send() to a client that does not read; shutdown
            // wakes it with an error, and its reader with the end of the stream.
            let _ = member.stream.shutdown(Shutdown::Both);
        }
    }
    // ANCHOR_END: broadcast

    /// Queues `text` for one member only (if its queue has room).
    pub fn tell(&self, id: u64, text: &str) {
        let line = self.encode(text);
        if let Some(member) = self.lock().by_id.get(&id) {
            let _ = member.queue.try_send(line);
        }
    }

    /// Says `text` to everyone, then lets go of every queue: each writer sends what
    /// is queued, then closes its connection.
    pub fn close(&self, text: &str) {
        self.broadcast(text);
        self.lock().by_id.clear();
    }

    /// `content.encode('utf-8')`, plus the newline that ends each message on the wire.
    fn encode(&self, text: &str) -> Line {
        let mut bytes = self.encoding.encode(text).into_owned();
        bytes.push(b'\n');
        bytes.into()
    }

    fn lock(&self) -> MutexGuard<'_, Members> {
        // A panicking connection thread must not take the whole room with it.
        self.members.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
