//! A connection's HTTP/2 state machine, and who polls it.
//!
//! Its task polls it on the thread that drives the runtime. A call made on
//! another thread (an event loop's) puts its request on the connection and
//! then writes it from there (a poll that only writes), instead of waking
//! the driving thread just to write it; the rest of the exchange (reading
//! the reply) is handed to the task, which starts it on the driving thread
//! right after it next reads from the connection. The driving thread thus
//! wakes only for what the server sends.
//!
//! Why no reply is missed: a call hands its exchange over while it holds
//! the connection (so no poll can write its request before), only the task
//! reads from the connection, and the task starts what was handed over
//! after each read. So the poll that reads a reply is followed by the start
//! of the exchange waiting for it.
//!
//! A call of an event loop that has a [`LoopReactor`] (Python's asyncio
//! loops) goes further: it keeps its exchange, and the loop reads the reply
//! itself, from a TCP stream lent to the loop's epoll while the loop's calls
//! are the only ones on the connection (see [`loop_io`]); the driving thread
//! then does not wake at all. The loop polls the connection with its own
//! wake-ups of it held back, and polls it again after its calls ran, so
//! what they asked of the connection (letting a stream go) is done there.

use bytes::Bytes;
use futures::future::BoxFuture;
use futures::task::AtomicWaker;
use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Wake, Waker};

use super::endpoint::Io;
use super::loop_io::{self, LoopReactor, ReadOwner};
use std::sync::atomic::AtomicUsize;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

type H2Connection = h2::client::Connection<Socket, Bytes>;

thread_local! {
    /// The connection whose wake-ups this thread holds back right now (its
    /// address), because this thread polls it itself next, only to write.
    static HOLDING: Cell<usize> = const { Cell::new(0) };
    /// This thread polls a connection whose stream its loop watches: it reads.
    static LOOP_READS: Cell<bool> = const { Cell::new(false) };
}

/// A connection's stream, which reads nothing on a thread that holds a
/// connection (see [`Driven::send_now`]): its reads stay the task's, whose
/// interest in reading stays registered (the task reads until there is
/// nothing left). A loop that reads its own replies reads (see
/// [`loop_io`]); it sees the server's PINGs go by, for [`ReadOwner`].
pub(crate) struct Socket {
    io: Box<dyn Io>,
    /// Told when the server sends a PING (TCP only).
    owner: Option<Arc<ReadOwner>>,
    frames: FrameScan,
}

impl Socket {
    pub(crate) fn new(io: Box<dyn Io>, owner: Option<Arc<ReadOwner>>) -> Socket {
        Socket {
            io,
            owner,
            frames: FrameScan::default(),
        }
    }
}

/// Follows the HTTP/2 frames the server sends, to see its PINGs.
#[derive(Default)]
struct FrameScan {
    header: [u8; 9],
    have: usize,
    /// Payload bytes of the current frame still to skip.
    skip: usize,
}

impl FrameScan {
    /// Whether `bytes` finish the header of a PING that is not an ACK.
    fn ping_in(&mut self, mut bytes: &[u8]) -> bool {
        let mut ping = false;
        while !bytes.is_empty() {
            if self.skip > 0 {
                let n = self.skip.min(bytes.len());
                self.skip -= n;
                bytes = &bytes[n..];
                continue;
            }
            let n = (9 - self.have).min(bytes.len());
            self.header[self.have..self.have + n].copy_from_slice(&bytes[..n]);
            self.have += n;
            bytes = &bytes[n..];
            if self.have == 9 {
                let h = &self.header;
                self.skip =
                    (usize::from(h[0]) << 16) | (usize::from(h[1]) << 8) | usize::from(h[2]);
                ping |= h[3] == 0x6 && h[4] & 0x1 == 0;
                self.have = 0;
            }
        }
        ping
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if HOLDING.with(Cell::get) != 0 && !LOOP_READS.with(Cell::get) {
            return Poll::Pending;
        }
        let before = buf.filled().len();
        let this = &mut *self;
        let read = Pin::new(&mut this.io).poll_read(cx, buf);
        if let Some(owner) = &this.owner {
            if this.frames.ping_in(&buf.filled()[before..]) {
                owner.server_pinged();
            }
        }
        read
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

pub(crate) struct Driven {
    connection: Mutex<Option<H2Connection>>,
    /// The connection's task.
    task: AtomicWaker,
    /// What h2 wakes: the task, unless this thread holds the wake-up back.
    waker: Waker,
    /// A wake-up was held back (see [`HOLDING`]).
    held: AtomicBool,
    handed: Mutex<Handed>,
    /// Who watches the stream (TCP only).
    owner: Option<Arc<ReadOwner>>,
    /// Calls of a loop in flight whose replies that loop reads.
    loop_calls: AtomicUsize,
}

/// Exchanges handed over by other threads, for the task to start.
#[derive(Default)]
struct Handed {
    exchanges: Vec<BoxFuture<'static, ()>>,
    /// The task has ended: nothing handed over would be started.
    ended: bool,
}

struct Wakeup(Weak<Driven>);

impl Wake for Wakeup {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if let Some(driven) = self.0.upgrade() {
            let held = HOLDING.with(Cell::get) == Arc::as_ptr(&driven) as usize
                || (driven.owner.is_some() && loop_io::holds(Arc::as_ptr(&driven)));
            if held {
                driven.held.store(true, Ordering::Release);
            } else {
                driven.task.wake();
            }
        }
    }
}

/// Lets this thread read while it polls a connection (see [`LOOP_READS`]).
struct LoopReads(bool);

impl LoopReads {
    fn set() -> LoopReads {
        LoopReads(LOOP_READS.with(|r| r.replace(true)))
    }
}

impl Drop for LoopReads {
    fn drop(&mut self) {
        LOOP_READS.with(|r| r.set(self.0));
    }
}

/// Holds this thread's wake-ups of one connection back while it lives.
struct Holding(usize);

impl Holding {
    fn set(driven: &Driven) -> Holding {
        Holding(HOLDING.with(|h| h.replace(driven as *const Driven as usize)))
    }
}

impl Drop for Holding {
    fn drop(&mut self) {
        HOLDING.with(|h| h.set(self.0));
    }
}

impl Driven {
    pub(crate) fn new(connection: H2Connection, owner: Option<Arc<ReadOwner>>) -> Arc<Driven> {
        Arc::new_cyclic(|me| Driven {
            connection: Mutex::new(Some(connection)),
            task: AtomicWaker::new(),
            waker: Waker::from(Arc::new(Wakeup(me.clone()))),
            held: AtomicBool::new(false),
            handed: Mutex::new(Handed::default()),
            owner,
            loop_calls: AtomicUsize::new(0),
        })
    }

    /// Whether an event loop can read this connection's replies.
    pub(crate) fn loop_capable(&self) -> bool {
        self.owner.is_some()
    }

    /// As [`Driven::send_now`], on a loop's thread, for a call whose reply
    /// the loop reads (see [`loop_io`]).
    pub(crate) fn send_loop<T>(
        self: &Arc<Self>,
        reactor: &LoopReactor,
        queue: impl FnOnce() -> T,
    ) -> T {
        let Some(owner) = self.owner.as_ref() else {
            return self.send_now(queue);
        };
        let mut connection = self.lock_connection();
        self.loop_calls.fetch_add(1, Ordering::AcqRel);
        reactor.adopt(self, owner);
        let _holding = Holding::set(self);
        let _reads = LoopReads::set();
        let queued = queue();
        self.poll_here(&mut connection);
        queued
    }

    /// The loop's epoll saw the stream readable: reads it on this thread.
    pub(crate) fn pump_loop(&self) {
        let mut connection = self.lock_connection();
        // Under the lock: reads (and their "drained") come only from polls.
        if let Some(owner) = &self.owner {
            owner.readable();
        }
        let _holding = Holding::set(self);
        let _reads = LoopReads::set();
        self.poll_here(&mut connection);
    }

    /// A loop's call whose reply the loop reads has ended.
    pub(crate) fn loop_call_ended(&self) {
        self.loop_calls.fetch_sub(1, Ordering::AcqRel);
    }

    /// After the loop (epoll `id`) polled its calls: polls the connection if
    /// they woke it. The loop keeps the stream for its next call (until the
    /// runtime reclaims it, see [`loop_io::reclaim_all`]); true: the loop
    /// neither has the stream nor calls in flight on it, and forgets it.
    pub(crate) fn settle_loop(&self, id: u64) -> bool {
        if self.held.load(Ordering::Acquire) {
            let mut connection = self.lock_connection();
            let _holding = Holding::set(self);
            let _reads = LoopReads::set();
            self.poll_here(&mut connection);
        }
        let Some(owner) = &self.owner else {
            return true;
        };
        if self.loop_calls.load(Ordering::Acquire) > 0 {
            return false;
        }
        owner.loop_idle(id);
        !owner.lent_to(id)
    }

    /// The loop (epoll `id`) is gone: the runtime's reactor takes the stream
    /// back, if that loop had it.
    pub(crate) fn abandoned_by(&self, id: u64) {
        if self.owner.as_ref().is_some_and(|o| o.release(id)) {
            self.task.wake();
        }
    }

    /// Another thread's call, or a keepalive ping: the runtime's reactor
    /// takes the stream back (moved at the connection's next poll).
    pub(crate) fn reclaim(&self) {
        if self.owner.as_ref().is_some_and(|o| o.give_back()) {
            self.task.wake();
        }
    }

    /// Polls the connection on this thread, again while the poll woke it
    /// (held back); what remains is the task's.
    fn poll_here(&self, connection: &mut Option<H2Connection>) {
        for _ in 0..4 {
            self.held.store(false, Ordering::Release);
            if poll(connection, &self.waker).is_ready() {
                self.task.wake();
                return;
            }
            if !self.held.load(Ordering::Acquire) {
                return;
            }
        }
        self.held.store(false, Ordering::Release);
        self.task.wake();
    }

    /// The connection's task: until the connection ends (closed by either
    /// side, or broken).
    pub(crate) fn run(self: Arc<Self>) -> impl Future<Output = ()> + Send {
        std::future::poll_fn(move |cx| {
            self.task.register(cx.waker());
            let polled = {
                let mut connection = self.lock_connection();
                poll(&mut connection, &self.waker)
            };
            // After the read: the replies it read have their exchanges.
            let handed = std::mem::take(&mut self.lock_handed().exchanges);
            for exchange in handed {
                tokio::spawn(exchange);
            }
            polled
        })
    }

    /// The task is done: the connection is closed (if it was not already),
    /// which fails its streams, and exchanges still handed over start (and
    /// end, with the connection's error).
    pub(crate) fn end(&self) {
        let handed = {
            let mut handed = self.lock_handed();
            handed.ended = true;
            std::mem::take(&mut handed.exchanges)
        };
        drop(self.lock_connection().take());
        for exchange in handed {
            tokio::spawn(exchange);
        }
    }

    /// Runs `queue` (which puts a request on the connection and hands the
    /// rest of its exchange over) while holding the connection, with this
    /// thread's wake-ups of it held back; then writes what it queued from
    /// this thread. Not on the driving thread.
    pub(crate) fn send_now<T>(&self, queue: impl FnOnce() -> T) -> T {
        self.reclaim();
        let mut connection = self.lock_connection();
        let _holding = Holding::set(self);
        let queued = queue();
        if self.held.swap(false, Ordering::AcqRel) {
            let ready = poll(&mut connection, &self.waker).is_ready();
            // What the poll asked for again (or the connection's end) is
            // the task's to do.
            if ready || self.held.swap(false, Ordering::AcqRel) {
                self.task.wake();
            }
        }
        queued
    }

    /// Hands the rest of an exchange to the task (started when it next
    /// runs); gives it back if the task has ended.
    pub(crate) fn hand_over(
        &self,
        exchange: BoxFuture<'static, ()>,
    ) -> Result<(), BoxFuture<'static, ()>> {
        let mut handed = self.lock_handed();
        if handed.ended {
            return Err(exchange);
        }
        handed.exchanges.push(exchange);
        Ok(())
    }

    /// Wakes the task (to start what was handed over, now).
    pub(crate) fn wake_task(&self) {
        self.task.wake();
    }

    fn lock_connection(&self) -> MutexGuard<'_, Option<H2Connection>> {
        self.connection
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn lock_handed(&self) -> MutexGuard<'_, Handed> {
        self.handed
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Polls the connection in `slot` (dropped once it ended), waking `waker`.
fn poll(slot: &mut Option<H2Connection>, waker: &Waker) -> Poll<()> {
    let Some(connection) = slot.as_mut() else {
        return Poll::Ready(());
    };
    match Pin::new(connection).poll(&mut Context::from_waker(waker)) {
        Poll::Ready(_) => {
            *slot = None;
            Poll::Ready(())
        }
        Poll::Pending => Poll::Pending,
    }
}

#[cfg(test)]
mod tests {
    use super::FrameScan;

    fn frame(kind: u8, flags: u8, payload: &[u8]) -> Vec<u8> {
        let len = payload.len();
        let mut bytes = vec![
            (len >> 16) as u8,
            (len >> 8) as u8,
            len as u8,
            kind,
            flags,
            0,
            0,
            0,
            0,
        ];
        bytes.extend_from_slice(payload);
        bytes
    }

    #[test]
    fn frame_scan_sees_pings_only_where_frames_begin() {
        let ping = frame(0x6, 0, &[2, 4, 16, 16, 9, 14, 7, 7]);
        let ack = frame(0x6, 0x1, &[0; 8]);
        // A DATA frame whose payload looks like a PING header.
        let data = frame(0x0, 0, &frame(0x6, 0, &[0; 8]));
        let settings = frame(0x4, 0, &[]);
        let mut stream = Vec::new();
        for part in [&settings, &data, &ack, &data, &ping, &data] {
            stream.extend_from_slice(part);
        }
        // Whole, then one byte at a time: the same single PING.
        let mut scan = FrameScan::default();
        assert!(scan.ping_in(&stream));
        let mut scan = FrameScan::default();
        let seen: usize = stream
            .iter()
            .map(|b| usize::from(scan.ping_in(&[*b])))
            .sum();
        assert_eq!(seen, 1);
        // Without the PING: none.
        let mut scan = FrameScan::default();
        assert!(!scan.ping_in(&[settings, data.clone(), ack, data].concat()));
    }
}
